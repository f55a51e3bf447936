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
    /// Unread reminders (the bell), counted up to `UNREAD_CAP` + 1.
    pub unread: i64,
}

impl UserChip {
    /// The bell's count as shown: "99+" past the cap.
    pub fn unread_text(&self) -> String {
        if self.unread > khien_store::reminders::UNREAD_CAP {
            format!("{}+", khien_store::reminders::UNREAD_CAP)
        } else {
            self.unread.to_string()
        }
    }
}

/// The menu's groups (templates/base.html) and the pages each holds, by path prefix:
/// which heading shows as the current one.
const MENU_GROUPS: &[(&str, &[&str])] = &[
    ("systems", &["/units", "/systems", "/levels", "/dossiers"]),
    ("duties", &["/obligations", "/ranking", "/reports", "/leader", "/protection", "/backups", "/budget", "/vendors", "/training", "/risks", "/assessments"]),
    ("threats", &["/findings", "/advisories", "/hunts", "/rules", "/kev"]),
    ("incidents", &["/incidents", "/alerts", "/response-plans", "/drills", "/team"]),
];

pub struct Chrome {
    pub t: T,
    pub user: Option<UserChip>,
    pub csrf: String,
    pub path: String,
    pub province: String,
    /// The form this request sent and was refused, if any (see [`FormState`]).
    pub form: FormState,
}

/// A form that was sent and refused: what was typed and what was wrong, by field.
/// Every page carries one in its `Chrome` (empty on GET). Templates read values and
/// messages through `Chrome::value`, `Chrome::field_errors` and the macros in
/// `templates/forms.html`, so a refused form comes back as typed, with each message at
/// its field and the whole list on top. A page with several forms (the dossier) names
/// which one was sent.
#[derive(Debug, Default, Clone)]
pub struct FormState {
    pub form: String,
    values: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

impl FormState {
    pub fn refused(
        form: impl Into<String>,
        values: Vec<(String, String)>,
        errors: Vec<FieldError>,
    ) -> Self {
        FormState {
            form: form.into(),
            values,
            errors,
        }
    }
    pub fn is_refused(&self) -> bool {
        !self.errors.is_empty()
    }
    /// The typed value of `field`, if this form was sent.
    pub fn get(&self, form: &str, field: &str) -> Option<&str> {
        if self.form != form {
            return None;
        }
        self.values
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }
}

/// The people who acted in a history, to name them as people read it.
#[derive(Debug, Default, Clone)]
pub struct People(pub std::collections::HashMap<String, khien_store::accounts::Person>);

impl People {
    pub async fn of(scoped: &khien_store::Scoped<'_>, usernames: &[&str]) -> AppResult<People> {
        Ok(People(scoped.people(usernames).await?))
    }

    /// "Nguyễn Văn An (Quản lý đơn vị, Sở Tài chính)"; the platform is "Hệ thống"; an
    /// account since removed keeps its recorded name.
    pub fn label(&self, t: &T, username: &str) -> String {
        if username == "system" {
            return t.s("common.system_actor").to_string();
        }
        match self.0.get(username) {
            Some(p) => format!(
                "{} ({}, {})",
                p.display_name,
                t.label("role", p.role.as_str()),
                p.unit_name
            ),
            None => username.to_string(),
        }
    }
}

/// Form bodies as pairs, in order (repeated names kept), for re-rendering what was sent.
pub fn form_pairs(body: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k != "_csrf")
        .collect()
}

/// A urlencoded form body read as `T`, for forms that re-render on refusal: a body
/// that is not a form at all is a 400 (the browser never sends one).
pub fn parse_form<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, crate::error::AppError> {
    serde_urlencoded::from_str(body).map_err(|_| crate::error::AppError::BadRequest("err.bad_request"))
}

/// A store refusal as messages for the form that was sent, or an error page for what
/// is not about the input (a right, a missing object, a race, a fault). `conflicts`
/// names the field a uniqueness refusal belongs to (`("err.unit_code_taken", "code")`);
/// any other refusal of the request's state is shown on top of the form (field `""`).
pub fn refusal_as_fields(
    e: khien_store::StoreError,
    conflicts: &[(&'static str, &'static str)],
) -> Result<Vec<FieldError>, AppError> {
    use khien_store::StoreError;
    match e {
        StoreError::Invalid(inv) => Ok(inv.errors),
        StoreError::Conflict(key) if !key.ends_with("err_concurrent") && key != "err.concurrent" => {
            let field = conflicts
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, f)| *f)
                .unwrap_or("");
            Ok(vec![FieldError {
                field,
                key,
                detail: String::new(),
            }])
        }
        other => Err(other.into()),
    }
}

/// A refused form's page: 422, so tests and proxies can tell it from a saved one.
pub fn render_refused<P: askama::Template>(page: &P) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    Ok((
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        Html(page.render()?),
    )
        .into_response())
}

impl Chrome {
    /// For forms sent without a session (sign-in, the public incident report): makes
    /// sure the browser holds a pre-session CSRF cookie and this page carries its
    /// token; the headers set the cookie when it is new.
    pub fn with_pre_session_csrf(
        &mut self,
        state: &AppState,
        headers: &axum::http::HeaderMap,
    ) -> AppResult<axum::http::HeaderMap> {
        let mut out = axum::http::HeaderMap::new();
        if self.csrf.is_empty() || crate::auth::cookie(headers, crate::auth::PRE_COOKIE).is_none() {
            self.csrf = crate::auth::crypto::random_token().map_err(AppError::Internal)?;
            crate::auth::set_cookie(
                &mut out,
                crate::auth::PRE_COOKIE,
                &self.csrf,
                3600,
                state.config.secure_cookies,
                true,
            );
        }
        Ok(out)
    }

    /// May report and work on incidents (see `auth::roles::IncidentWorker`).
    pub fn role_works_incidents(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| khien_domain::incidents::may_report(u.role).is_ok())
    }
    /// The provincial response team (alerts, sharing).
    pub fn role_is_incident_team(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| khien_domain::incidents::is_team(u.role))
    }
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
    /// `active` on a menu group's heading when the page is one of the group's.
    pub fn menu_group_class(&self, group: &str) -> &'static str {
        let prefixes = MENU_GROUPS.iter().find(|(g, _)| *g == group).map(|(_, p)| *p).unwrap_or(&[]);
        if prefixes.iter().any(|p| self.path.starts_with(p)) { "active" } else { "" }
    }
    pub fn other_lang(&self) -> &'static str {
        match self.t.lang {
            Lang::Vi => "en",
            Lang::En => "vi",
        }
    }
    /// A regime as people name it ("Nghị định 85/2016/NĐ-CP"), never its id.
    pub fn regime_name(&self, id: &str) -> String {
        khien_levels::load_regime(id)
            .map(|r| r.short_title().to_string())
            .unwrap_or_else(|_| id.to_string())
    }
    pub fn date(&self, stored: &str) -> String {
        khien_domain::time_fmt::display_date(stored)
    }
    pub fn datetime(&self, stored: &str) -> String {
        khien_domain::time_fmt::display_datetime(stored)
    }
    /// A share as people write it here: "87,5%" (decimal comma), whole when it is whole.
    pub fn percent(&self, pct: &f64) -> String {
        let tenths = (pct * 10.0).round() as i64;
        if tenths % 10 == 0 {
            format!("{}%", thousands(tenths / 10))
        } else {
            format!("{},{}%", thousands(tenths / 10), (tenths % 10).abs())
        }
    }
    /// A date (not stored text) as people read it: dd/mm/yyyy.
    pub fn date_of(&self, d: &time::Date) -> String {
        khien_domain::time_fmt::format_date(*d)
    }
    /// A catalogue string with one argument, for templates.
    pub fn f1(&self, key: &str, arg: &str) -> String {
        self.t.f(key, &[arg])
    }
    /// A catalogue string with two arguments, for templates.
    pub fn f2(&self, key: &str, a: &str, b: &str) -> String {
        self.t.f(key, &[a, b])
    }
    /// A count with thousands separators ("12.345").
    pub fn n(&self, n: &i64) -> String {
        thousands(*n)
    }
    /// Indentation for tree items in a `<select>`.
    pub fn indent(&self, depth: usize) -> String {
        "— ".repeat(depth)
    }
    pub fn field_label(&self, field: &str) -> String {
        self.t.s(&format!("field.{field}")).to_string()
    }
    /// What to show in `field` of `form`: what was typed if that form was just refused,
    /// else `stored` (the saved value, or empty).
    pub fn value(&self, form: &str, field: &str, stored: &str) -> String {
        self.form.get(form, field).unwrap_or(stored).to_string()
    }
    /// Whether `form` is the form that was just refused (to open its `<details>`).
    pub fn refused(&self, form: &str) -> bool {
        self.form.form == form && self.form.is_refused()
    }
    /// Messages for one field of the refused form, in the user's language.
    pub fn field_errors(&self, form: &str, field: &str) -> Vec<String> {
        if self.form.form != form {
            return vec![];
        }
        self.form
            .errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| field_message(&self.t, e))
            .collect()
    }
    /// Every problem of the refused form, as (field, label, message) for the summary on
    /// top; a problem of the whole form has no field and no label.
    pub fn form_summary(&self, form: &str) -> Vec<(String, String, String)> {
        if self.form.form != form {
            return vec![];
        }
        self.form
            .errors
            .iter()
            .map(|e| {
                let label = if e.field.is_empty() {
                    String::new()
                } else {
                    self.field_label(e.field)
                };
                (e.field.to_string(), label, field_message(&self.t, e))
            })
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
                    // A page is still served when the count cannot be read.
                    unread: state.store.unread_reminders(&principal.user_id).await.unwrap_or(0),
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
            form: FormState::default(),
        })
    }
}

pub fn render<P: askama::Template>(page: &P) -> AppResult<Html<String>> {
    Ok(Html(page.render()?))
}

/// Page links for list pages: keeps the current query, changes `page`.
/// The link to page `page` reached by the keyset cursor `after` (the page number is
/// only shown; the cursor decides what is listed).
/// The link to the page after `page`: by its cursor (keyset) when the list gives one,
/// else by number.
pub fn next_href<T>(base_query: &str, page: &khien_store::Page<T>) -> String {
    match &page.next_after {
        Some(after) => after_href(base_query, page.page + 1, after),
        None => page_href(base_query, page.page + 1),
    }
}

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
