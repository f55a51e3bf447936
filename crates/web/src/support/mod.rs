//! Helpers every capability's pages and API share: streamed uploads into the blob
//! store, streamed downloads, work that must stay off the async threads, and PDF
//! copies of documents.

pub mod blocking;
pub mod client_addr;
pub mod pdf;
pub mod upload;

pub use upload::{Upload, read_upload};

use axum::body::Body;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::{AppError, AppResult};

/// Streams a stored file out as a download (never inline), whatever its size.
pub async fn download(
    state: &AppState,
    sha256: &str,
    filename: &str,
    size: Option<u64>,
) -> AppResult<Response> {
    let file = state
        .store
        .blobs
        .open(sha256)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => AppError::NotFound,
            // The blob store is unreachable (S3 down): not the user's missing file.
            _ => AppError::Internal(format!("blob store: {e}")),
        })?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024));
    let mut resp = (
        [
            (CONTENT_TYPE, "application/octet-stream".to_string()),
            (CONTENT_DISPOSITION, attachment_disposition(filename)),
        ],
        body,
    )
        .into_response();
    if let Some(n) = size
        && let Ok(v) = axum::http::HeaderValue::from_str(&n.to_string())
    {
        resp.headers_mut().insert(CONTENT_LENGTH, v);
    }
    Ok(resp)
}

/// Streams the attachment `att` out of `files` (an owner's attachments, already read
/// through the caller's scope); another id is a 404.
pub async fn download_attachment(
    state: &AppState,
    files: Vec<khien_store::dossiers::Attachment>,
    att: &str,
) -> AppResult<Response> {
    let f = files
        .into_iter()
        .find(|f| f.id == att)
        .ok_or(AppError::NotFound)?;
    download(state, &f.sha256, &f.filename, u64::try_from(f.size).ok()).await
}

/// Bytes made here (generated documents) as a download.
pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One sheet of `rows` (with a guide sheet when given) as a download, written off the
/// async threads.
pub async fn xlsx_download(
    sheet: String,
    columns: Vec<khien_docs::xlsx::Column>,
    rows: Vec<Vec<String>>,
    guide: Option<khien_docs::xlsx::Guide>,
    filename: &str,
) -> crate::error::AppResult<Response> {
    let bytes = blocking::run(move || khien_docs::xlsx::write_table(&sheet, &columns, &rows, guide.as_ref()))
        .await?
        .map_err(|e| crate::error::AppError::Internal(e.to_string()))?;
    Ok(download_bytes(filename, XLSX_MIME, bytes))
}

pub fn download_bytes(filename: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (CONTENT_TYPE, content_type.to_string()),
            (CONTENT_DISPOSITION, attachment_disposition(filename)),
        ],
        bytes,
    )
        .into_response()
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266).
pub fn attachment_disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

pub fn base_query(raw: Option<&str>) -> String {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
    let kept: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, v)| k != "page" && k != "after" && !v.is_empty())
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

/// A stored file read whole, for small documents read at once (a KEV feed); the upload
/// limit that stored it bounds it.
pub async fn read_stored(state: &AppState, sha256: &str) -> AppResult<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut r = state
        .store
        .blobs
        .open(sha256)
        .await
        .map_err(|e| AppError::Internal(format!("blob store: {e}")))?;
    let mut out = Vec::new();
    r.read_to_end(&mut out)
        .await
        .map_err(|e| AppError::Internal(format!("blob store: {e}")))?;
    Ok(out)
}
