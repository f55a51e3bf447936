//! One error type for handlers, mapped to a status in one place. Users see a catalogue
//! message in their language; logs get the detail.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::AppState;
use crate::i18n::{Lang, T};
use khien_store::StoreError;

#[derive(Debug)]
pub enum AppError {
    /// Not signed in: HTML goes to the sign-in page, the API answers 401.
    Unauthenticated {
        api: bool,
    },
    Forbidden,
    NotFound,
    /// A bad request with a catalogue key.
    BadRequest(&'static str),
    Csrf,
    /// The body passed the route's limit or ended early.
    PayloadTooLarge,
    /// Someone else changed the object first (a double click, two tabs): nothing was
    /// written by this request.
    Conflict(&'static str),
    /// The database cannot be reached: a 503 page, not the sign-in page.
    Unavailable(String),
    /// Too many large uploads at once: try again shortly.
    Busy,
    /// A component this request needs is not installed on the server (LibreOffice for
    /// PDF copies): a 503 with a catalogue key saying what is missing.
    Missing(&'static str),
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unavailable(_) | AppError::Busy | AppError::Missing(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable code that users, logs and API clients quote.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated { .. } => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::Csrf => "csrf",
            AppError::NotFound => "not_found",
            AppError::BadRequest(_) => "bad_request",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::Conflict(_) => "conflict",
            AppError::Unavailable(_) => "unavailable",
            AppError::Busy => "busy",
            AppError::Missing(_) => "missing_component",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn message_key(&self) -> &'static str {
        match self {
            AppError::Unauthenticated { .. } => "err.unauthenticated",
            AppError::Forbidden => "err.forbidden",
            AppError::Csrf => "err.csrf",
            AppError::NotFound => "err.not_found",
            AppError::BadRequest(k) | AppError::Conflict(k) | AppError::Missing(k) => k,
            AppError::PayloadTooLarge => "err.too_large",
            AppError::Unavailable(_) => "err.unavailable",
            AppError::Busy => "err.busy",
            AppError::Internal(_) => "err.internal",
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Forbidden => AppError::Forbidden,
            StoreError::Conflict(k) if k.ends_with("err_concurrent") || k == "err.concurrent" => {
                AppError::Conflict(k)
            }
            StoreError::Conflict(k) => AppError::BadRequest(k),
            StoreError::Invalid(_) => AppError::BadRequest("err.invalid"),
            e if e.is_unavailable() => AppError::Unavailable(e.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

/// Extension set on error responses so the page layer can render them in the request's
/// language (see `pages::render_errors`).
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub code: &'static str,
    pub key: &'static str,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::Internal(detail) => tracing::error!(%detail, "internal error"),
            AppError::Unavailable(detail) => tracing::error!(%detail, "database unavailable"),
            _ => {}
        }
        if let AppError::Unauthenticated { api: false } = self {
            return Redirect::to("/login").into_response();
        }
        let mut resp = (self.status(), self.code()).into_response();
        resp.extensions_mut().insert(ErrorInfo {
            code: self.code(),
            key: self.message_key(),
        });
        resp
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: crate::view::Chrome,
    status: u16,
    /// Shown only for faults (5xx), which users quote to support; a refused request
    /// (4xx) says what to do instead, never a code such as `bad_request`.
    code: Option<&'static str>,
    message: String,
}

/// Turns bare error responses into a page in the request's language (HTML routes) or a
/// JSON body (the API). One place, so every error looks the same.
pub async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    use axum::extract::FromRequestParts;
    let lang = req.extensions().get::<Lang>().copied().unwrap_or(Lang::Vi);
    let api = req.uri().path().starts_with("/api/");
    // The page keeps the site's header and menu, so the user is never stranded.
    let (mut parts, body) = req.into_parts();
    let chrome = if api {
        None
    } else {
        crate::view::Chrome::from_request_parts(&mut parts, &state).await.ok()
    };
    let req = Request::from_parts(parts, body);
    let resp = next.run(req).await;
    let status = resp.status();
    let info = resp
        .extensions()
        .get::<ErrorInfo>()
        .cloned()
        .or_else(|| match status.as_u16() {
            404 => Some(ErrorInfo {
                code: "not_found",
                key: "err.not_found",
            }),
            405 => Some(ErrorInfo {
                code: "method_not_allowed",
                key: "err.method",
            }),
            413 => Some(ErrorInfo {
                code: "payload_too_large",
                key: "err.too_large",
            }),
            415 | 422 | 400 => Some(ErrorInfo {
                code: "bad_request",
                key: "err.bad_request",
            }),
            408 => Some(ErrorInfo {
                code: "timeout",
                key: "err.timeout",
            }),
            500 => Some(ErrorInfo {
                code: "internal",
                key: "err.internal",
            }),
            _ => None,
        });
    let Some(info) = info else { return resp };
    if resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"text/html") || v.as_bytes().starts_with(b"application/json")
        })
    {
        return resp;
    }
    let t = T { lang };
    if api {
        // `key` is the refusal's stable code (its catalogue key); `message` is in the
        // caller's language.
        let body = serde_json::json!({ "error": info.code, "key": info.key, "message": t.s(info.key) });
        return (status, axum::Json(body)).into_response();
    }
    let Some(c) = chrome else {
        return status.into_response();
    };
    let page = ErrorPage {
        c,
        status: status.as_u16(),
        code: status.is_server_error().then_some(info.code),
        message: t.s(info.key).to_string(),
    };
    match askama::Template::render(&page) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => status.into_response(),
    }
}
