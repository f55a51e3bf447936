//! What every page shares: the chrome (language, signed-in user, CSRF token, menu) and
//! small helpers templates call.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Html;
use khien_domain::{FieldError, Role};

use crate::AppState;
use crate::auth::{Identity, Via};
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, T};

pub struct UserChip {
    pub display_name: String,
    pub role: Role,
}

pub struct Chrome {
    pub t: T,
    pub user: Option<UserChip>,
    pub csrf: String,
    pub path: String,
    pub province: String,
}

impl Chrome {
    pub fn can_edit_systems(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role.can_edit_systems())
    }
    /// May run and conclude threat hunts (see `auth::roles::HuntRunner`).
    pub fn role_is_hunter(&self) -> bool {
        use crate::auth::Access;
        self.user
            .as_ref()
            .is_some_and(|u| crate::auth::roles::HuntRunner::ROLES.contains(&u.role))
    }
    pub fn can_edit_units(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.can_edit_units())
    }
    pub fn is_admin(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role == Role::ProvinceAdmin)
    }
    pub fn nav_class(&self, prefix: &str) -> &'static str {
        let active = if prefix == "/" {
            self.path == "/"
        } else {
            self.path.starts_with(prefix)
        };
        if active { "active" } else { "" }
    }
    pub fn other_lang(&self) -> &'static str {
        match self.t.lang {
            Lang::Vi => "en",
            Lang::En => "vi",
        }
    }
    pub fn date(&self, stored: &str) -> String {
        khien_domain::time_fmt::display_date(stored)
    }
    pub fn datetime(&self, stored: &str) -> String {
        khien_domain::time_fmt::display_datetime(stored)
    }
    /// Indentation for tree items in a `<select>`.
    pub fn indent(&self, depth: usize) -> String {
        "— ".repeat(depth)
    }
    pub fn field_label(&self, field: &str) -> String {
        self.t.s(&format!("field.{field}")).to_string()
    }
    /// Messages for one field, in the user's language.
    pub fn errors_for(&self, errors: &[FieldError], field: &str) -> Vec<String> {
        errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| field_message(&self.t, e))
            .collect()
    }
}

pub fn field_message(t: &T, e: &FieldError) -> String {
    if e.detail.is_empty() {
        t.s(e.key).to_string()
    } else {
        format!("{} ({})", t.s(e.key), e.detail)
    }
}

impl FromRequestParts<AppState> for Chrome {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = parts.extensions.get::<Lang>().copied().unwrap_or(Lang::Vi);
        let identity = parts.extensions.get::<Identity>();
        let (user, csrf) = match identity {
            Some(Identity {
                principal,
                via: Via::Session { csrf, .. },
            }) => (
                Some(UserChip {
                    display_name: principal.display_name.clone(),
                    role: principal.role,
                }),
                csrf.clone(),
            ),
            Some(Identity {
                via: Via::PendingTotp { csrf, .. },
                ..
            }) => (None, csrf.clone()),
            _ => (
                None,
                crate::auth::cookie(&parts.headers, crate::auth::PRE_COOKIE).unwrap_or_default(),
            ),
        };
        Ok(Chrome {
            t: T { lang },
            user,
            csrf,
            path: parts.uri.path().to_string(),
            province: state.config.province_name.clone(),
        })
    }
}

pub fn render<P: askama::Template>(page: &P) -> AppResult<Html<String>> {
    Ok(Html(page.render()?))
}

/// Page links for list pages: keeps the current query, changes `page`.
/// The link to page `page` reached by the keyset cursor `after` (the page number is
/// only shown; the cursor decides what is listed).
pub fn after_href(base_query: &str, page: i64, after: &str) -> String {
    let after: String = url_escape(after);
    if base_query.is_empty() {
        format!("?page={page}&after={after}")
    } else {
        format!("?{base_query}&page={page}&after={after}")
    }
}

fn url_escape(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .unwrap_or_default()
        .trim_start_matches('=')
        .to_string()
}

/// 10000 → "10.000" (Vietnamese digit grouping).
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

pub fn page_href(base_query: &str, page: i64) -> String {
    if base_query.is_empty() {
        format!("?page={page}")
    } else {
        format!("?{base_query}&page={page}")
    }
}
