//! CSRF: every state-changing request made with a browser session (or from the sign-in
//! form) must carry the synchronizer token, as the `_csrf` form field or the
//! `X-CSRF-Token` header; a cross-origin `Origin` is refused outright. API calls with a
//! bearer token carry no ambient credentials and need no token.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
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
        Some(Via::Token { .. }) => return next.run(req).await,
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
        // An API call with no credential at all is unauthenticated, not forged.
        if identity.is_none() && req.uri().path().starts_with("/api/") {
            return AppError::Unauthenticated { api: true }.into_response();
        }
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

/// Longest multipart prefix read to find the first field: the boundary line, its
/// headers and a 64-character token fit many times over.
const MULTIPART_PEEK: usize = 16 * 1024;

/// Finds the `_csrf` token: in a urlencoded form (small, read whole and handed on), or
/// as the first field of a multipart body, of which only that prefix is read — the
/// rest (possibly a large upload) streams on to the handler untouched. The body limit
/// has already been applied.
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
    if content_type.starts_with("multipart/form-data") {
        let Some(boundary) = multer_boundary(&content_type) else {
            return Ok((Request::from_parts(parts, body), None));
        };
        let (body, token) = first_multipart_field(body, &boundary).await?;
        return Ok((Request::from_parts(parts, body), token));
    }
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
    } else {
        None
    };
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

fn multer_boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_string())
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

/// Reads frames until the first part of a multipart body is complete (or the peek
/// limit is reached) and returns a body that replays those bytes before the rest.
async fn first_multipart_field(
    body: Body,
    boundary: &str,
) -> Result<(Body, Option<String>), Response> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut prefix: Vec<u8> = Vec::new();
    let mut token = None;
    let mut ended = false;
    loop {
        if let Some(t) = parse_first_field(&prefix, boundary) {
            token = t;
            break;
        }
        if prefix.len() >= MULTIPART_PEEK {
            break;
        }
        match body.frame().await {
            None => {
                ended = true;
                token = parse_first_field(&prefix, boundary).flatten();
                break;
            }
            Some(Err(_)) => {
                return Err(axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response());
            }
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    prefix.extend_from_slice(&data);
                }
            }
        }
    }
    let head = futures_util::stream::once(async move {
        Ok::<_, axum::Error>(axum::body::Bytes::from(prefix))
    });
    let replay = if ended {
        Body::from_stream(head)
    } else {
        use futures_util::StreamExt;
        Body::from_stream(head.chain(body.into_data_stream()))
    };
    Ok((replay, token))
}

/// `Some(Some(token))` when the first part is a complete `_csrf` field, `Some(None)`
/// when the first part is complete but something else, `None` while incomplete.
fn parse_first_field(buf: &[u8], boundary: &str) -> Option<Option<String>> {
    let opening = format!("--{boundary}\r\n");
    let start = find(buf, opening.as_bytes())?;
    let after = &buf[start + opening.len()..];
    let headers_end = find(after, b"\r\n\r\n")?;
    let headers = String::from_utf8_lossy(&after[..headers_end]).to_ascii_lowercase();
    let value = &after[headers_end + 4..];
    let closing = format!("\r\n--{boundary}");
    let end = find(value, closing.as_bytes())?;
    let is_csrf = headers
        .lines()
        .any(|l| l.starts_with("content-disposition:") && l.contains("name=\"_csrf\""));
    Some(
        is_csrf
            .then(|| String::from_utf8(value[..end].to_vec()).ok())
            .flatten(),
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_in_the_first_multipart_field_only() {
        let b = "XyZ";
        let first = "--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok123\r\n--XyZ\r\nrest";
        assert_eq!(parse_first_field(first.as_bytes(), b), Some(Some("tok123".into())));
        let other = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n_csrf\r\n--XyZ";
        assert_eq!(parse_first_field(other.as_bytes(), b), Some(None));
        assert_eq!(parse_first_field(b"--XyZ\r\nContent-Disp", b), None);
        assert_eq!(
            multer_boundary("multipart/form-data; boundary=\"----x\""),
            Some("----x".into())
        );
    }
}
