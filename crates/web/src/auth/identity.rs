use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use khien_domain::Principal;
use khien_domain::time_fmt::{parse_rfc3339, to_rfc3339};
use khien_domain::users::TokenScope;

use super::crypto::sha256_hex;
use crate::AppState;
use crate::i18n::Lang;

pub const SESSION_COOKIE: &str = "khien_session";
/// Pre-session cookie carrying the sign-in form's CSRF token.
pub const PRE_COOKIE: &str = "khien_pre";
pub const LANG_COOKIE: &str = "khien_lang";

#[derive(Debug, Clone)]
pub enum Via {
    Session {
        id_hash: String,
        csrf: String,
    },
    /// A session that still owes its second factor: good only for `/login/totp`.
    PendingTotp {
        id_hash: String,
        csrf: String,
    },
    /// An API token, which may write only what its scope names.
    Token {
        scope: TokenScope,
    },
}

#[derive(Debug, Clone)]
pub struct Identity {
    pub principal: Principal,
    pub via: Via,
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

/// `Set-Cookie` with the attributes every Khiên cookie carries.
pub fn set_cookie(
    headers: &mut HeaderMap,
    name: &str,
    value: &str,
    max_age_secs: i64,
    secure: bool,
    http_only: bool,
) {
    let mut c = format!("{name}={value}; Path=/; SameSite=Strict; Max-Age={max_age_secs}");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    if let Ok(v) = HeaderValue::from_str(&c) {
        headers.append(SET_COOKIE, v);
    }
}

/// Set when the identity could not be looked up because the database is unreachable.
#[derive(Debug, Clone)]
pub struct DatabaseUnavailable(pub String);

/// Resolves the caller (API token or session cookie) and the language, and stores them
/// in the request's extensions for the extractors.
pub async fn resolve_identity(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let headers = req.headers();
    let lang = cookie(headers, LANG_COOKIE)
        .and_then(|l| Lang::parse(&l))
        .unwrap_or(Lang::Vi);
    let mut identity = None;
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let Some(token) = bearer {
        if req.uri().path().starts_with("/api/")
            && let Ok(Some((principal, scope))) =
                state.store.api_token_principal(&sha256_hex(token)).await
        {
            identity = Some(Identity {
                principal,
                via: Via::Token { scope },
            });
        }
    } else if let Some(token) = cookie(headers, SESSION_COOKIE) {
        let id_hash = sha256_hex(&token);
        let found = state.store.session(&id_hash).await;
        if let Err(e) = &found
            && e.is_unavailable()
        {
            // Not "signed out": the database is down. A layer inside the error pages
            // answers 503 (see `layers::refuse_when_unavailable`).
            req.extensions_mut().insert(DatabaseUnavailable(e.to_string()));
        }
        if let Ok(Some(s)) = found {
            let now = state.store.now();
            let new_expiry = now + state.config.session_idle;
            // Slide the idle timeout, but write at most once every five minutes.
            let stale = parse_rfc3339(&s.expires_at)
                .is_none_or(|e| new_expiry - e > time::Duration::minutes(5));
            if stale && !s.totp_pending {
                let _ = state
                    .store
                    .touch_session(&id_hash, &to_rfc3339(new_expiry))
                    .await;
            }
            let via = if s.totp_pending {
                Via::PendingTotp {
                    id_hash,
                    csrf: s.csrf_token,
                }
            } else {
                Via::Session {
                    id_hash,
                    csrf: s.csrf_token,
                }
            };
            identity = Some(Identity {
                principal: s.principal,
                via,
            });
        }
    }
    req.extensions_mut().insert(lang);
    if let Some(i) = identity {
        req.extensions_mut().insert(i);
    }
    next.run(req).await
}
