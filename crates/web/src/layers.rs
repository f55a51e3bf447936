//! The layers around every route: security headers, metrics, identity, CSRF and the
//! rendering of error responses as pages.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{self, HeaderName};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::auth::{csrf_guard, resolve_identity};
use crate::{AppState, Metrics};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn wrap(router: axum::Router<AppState>, state: AppState) -> Router {
    router
        .layer(middleware::from_fn_with_state(state.clone(), csrf_guard))
        .layer(middleware::from_fn_with_state(state.clone(), limit_body))
        .layer(middleware::from_fn(refuse_when_unavailable))
        // A panic in a handler becomes a 500 page (rendered by `render_errors`, just
        // outside) instead of a dropped connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::error::render_errors,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            resolve_identity,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_and_secure,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::support::client_addr::resolve_client,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// A request whose session could not be looked up because the database is down gets a
/// 503 page, not the sign-in page (which would only fail again).
async fn refuse_when_unavailable(req: Request, next: Next) -> Response {
    if let Some(down) = req
        .extensions()
        .get::<crate::auth::DatabaseUnavailable>()
    {
        return crate::error::AppError::Unavailable(down.0.clone()).into_response();
    }
    next.run(req).await
}

fn panic_response(detail: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = detail
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| detail.downcast_ref::<&str>().copied())
        .unwrap_or("panic");
    crate::error::AppError::Internal(format!("handler panicked: {detail}")).into_response()
}

async fn count_and_secure(State(state): State<AppState>, req: Request, next: Next) -> Response {
    Metrics::inc(&state.metrics.requests);
    let mut resp = next.run(req).await;
    let status = resp.status().as_u16();
    if (400..500).contains(&status) {
        Metrics::inc(&state.metrics.responses_4xx);
    } else if status >= 500 {
        Metrics::inc(&state.metrics.responses_5xx);
    }
    let h = resp.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(
        h,
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    set(
        h,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if state.config.secure_cookies {
        set(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    resp
}

/// Applies the route's body limit (see [`crate::body_limit`]): a declared length over it
/// is refused at once, and a streamed body is cut off when it passes it.
async fn limit_body(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = crate::body_limit(&state.config, req.method(), req.uri().path());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    // Large bodies take a slot: a few at a time, so memory, disk and the one SQLite
    // writer stay free for everyone else.
    let _slot = if limit > state.config.max_body_bytes {
        match tokio::time::timeout(
            state.config.upload_wait,
            state.config.upload_slots.clone().acquire_owned(),
        )
        .await
        {
            Ok(Ok(permit)) => Some(permit),
            _ => return crate::error::AppError::Busy.into_response(),
        }
    } else {
        None
    };
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    /// A handler that panics answers a 500 page in Vietnamese; the connection (and the
    /// server) carry on.
    #[tokio::test]
    #[allow(clippy::disallowed_methods)]
    async fn a_panicking_handler_is_a_500_page() {
        let dir = std::env::temp_dir().join(format!("khien-panic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = khien_store::Store::connect(
            &format!("sqlite://{}/k.db", dir.display()),
            Arc::new(time::OffsetDateTime::now_utc),
        )
        .await
        .unwrap();
        let state = AppState {
            store,
            config: Arc::new(crate::WebConfig::default()),
            metrics: Arc::new(Metrics::default()),
        };
        let router: axum::Router<AppState> = axum::Router::new().route(
            "/boom",
            axum::routing::get(|| async {
                let v: Vec<u8> = Vec::new();
                // An out-of-bounds index: the kind of bug a panic layer exists for.
                #[allow(clippy::indexing_slicing)]
                let _ = v[usize::from(v.is_empty())];
                "unreachable"
            }),
        );
        let app = wrap(router, state);
        let resp = app
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), 500);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("Lỗi hệ thống"), "{text}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
