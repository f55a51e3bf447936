//! CSRF: every state-changing request made with a browser session (or from the sign-in
//! form) must carry the synchronizer token, as the `_csrf` form field or the
//! `X-CSRF-Token` header; a cross-origin `Origin` is refused outright. API calls with a
//! bearer token carry no ambient credentials and need no token.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::Method;
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::crypto::same;
use super::identity::{Identity, PRE_COOKIE, Via, cookie};
use crate::AppState;
use crate::error::AppError;

pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    // A request that carries a bearer token (valid or not) brings no ambient credential:
    // a browser cannot be made to send one cross-site. Let it through to be judged on
    // the token (a bad one gets 401, not a CSRF error).
    let bearer = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    if bearer && req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let identity = req.extensions().get::<Identity>().cloned();
    let expected = match identity.as_ref().map(|i| &i.via) {
        Some(Via::Token) => return next.run(req).await,
        Some(Via::Session { csrf, .. } | Via::PendingTotp { csrf, .. }) => Some(csrf.clone()),
        None => cookie(req.headers(), PRE_COOKIE),
    };
    if let Some(origin) = req.headers().get(ORIGIN).and_then(|o| o.to_str().ok()) {
        let host = req
            .headers()
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or("");
        if origin == "null" || origin_host != host {
            return AppError::Csrf.into_response();
        }
    }
    let Some(expected) = expected else {
        return AppError::Csrf.into_response();
    };
    let limit = crate::body_limit(&state.config, req.method(), req.uri().path());
    let header_token = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let (req, presented) = match header_token {
        Some(t) => (req, Some(t)),
        None => match token_from_body(req, limit).await {
            Ok(pair) => pair,
            Err(resp) => return resp,
        },
    };
    match presented {
        Some(t) if same(&t, &expected) => next.run(req).await,
        _ => AppError::Csrf.into_response(),
    }
}

/// Reads the `_csrf` field from a form or multipart body, then rebuilds the request with
/// the same bytes for the handler. The body limit has already been applied.
async fn token_from_body(
    req: Request,
    limit: usize,
) -> Result<(Request, Option<String>), Response> {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return Err(axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response()),
    };
    let token = if content_type.starts_with("application/x-www-form-urlencoded") {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|pairs| {
                pairs
                    .into_iter()
                    .find(|(k, _)| k == "_csrf")
                    .map(|(_, v)| v)
            })
    } else if content_type.starts_with("multipart/form-data") {
        let probe = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
        match Multipart::from_request(probe, &()).await {
            Ok(mut mp) => {
                let mut found = None;
                while let Ok(Some(field)) = mp.next_field().await {
                    if field.name() == Some("_csrf") {
                        found = field.text().await.ok();
                        break;
                    }
                }
                found
            }
            Err(_) => None,
        }
    } else {
        None
    };
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}
