//! Multipart uploads streamed into the blob store: each file field is written chunk
//! by chunk to a private temporary file while it is hashed, then moved under its hash.
//! Nothing holds a whole upload in memory, and a body that ends early or passes the
//! route's limit is a 413, never "no file".

use std::collections::HashMap;

use axum::extract::Multipart;
use khien_store::{StoredFile, UploadError};

use crate::AppState;
use crate::error::{AppError, AppResult};

/// Largest attachment (dossier part, plan evidence); the request body limit applies
/// first.
pub const MAX_ATTACHMENT: u64 = 6 * 1024 * 1024;

/// Longest text field accepted in a multipart form.
const MAX_TEXT_FIELD: usize = 64 * 1024;
/// Most text fields accepted in one multipart form.
const MAX_TEXT_FIELDS: usize = 200;

/// What a multipart form brought: its files (by field name, in order) and text fields.
#[derive(Debug, Default)]
pub struct Upload {
    pub files: Vec<(String, StoredFile)>,
    pub fields: HashMap<String, String>,
    /// Repeated text fields (e.g. several `systems`), in order.
    pub lists: HashMap<String, Vec<String>>,
}

impl Upload {
    pub fn file(&self, field: &str) -> Option<&StoredFile> {
        self.files.iter().find(|(n, _)| n == field).map(|(_, f)| f)
    }

    pub fn files_of<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a StoredFile> + 'a {
        self.files
            .iter()
            .filter(move |(n, _)| n == field)
            .map(|(_, f)| f)
    }

    pub fn text(&self, field: &str) -> String {
        self.fields.get(field).cloned().unwrap_or_default()
    }

    /// The file a form must carry; "no file" otherwise.
    pub fn required_file(&self, field: &str) -> AppResult<&StoredFile> {
        self.file(field)
            .ok_or(AppError::BadRequest("import.no_file"))
    }

    /// An optional date field (dd/mm/yyyy or ISO) as stored (`yyyy-mm-dd`).
    pub fn date(&self, field: &str) -> AppResult<Option<String>> {
        match self
            .fields
            .get(field)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            None => Ok(None),
            Some(v) => khien_domain::time_fmt::parse_user_date(v)
                .map(|d| Some(khien_domain::time_fmt::iso_date(d)))
                .ok_or(AppError::BadRequest("err.date")),
        }
    }
}

fn cut_off(_: impl std::fmt::Debug) -> AppError {
    AppError::PayloadTooLarge
}

/// Reads a multipart form, streaming the fields named in `file_fields` into the blob
/// store (each at most `max_file` bytes; empty files are skipped).
pub async fn read_upload(
    state: &AppState,
    mp: &mut Multipart,
    file_fields: &[&str],
    max_file: u64,
) -> AppResult<Upload> {
    let mut up = Upload::default();
    let mut texts = 0usize;
    while let Some(mut field) = mp.next_field().await.map_err(cut_off)? {
        let name = field.name().unwrap_or("").to_string();
        if file_fields.contains(&name.as_str()) {
            let filename = field.file_name().unwrap_or("tep").to_string();
            let mut w = state
                .store
                .blobs
                .writer(max_file)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            while let Some(chunk) = field.chunk().await.map_err(cut_off)? {
                w.write(&chunk).await.map_err(|e| match e {
                    UploadError::TooLarge(_) => AppError::PayloadTooLarge,
                    UploadError::Io(e) => AppError::Internal(e.to_string()),
                })?;
            }
            if w.size() == 0 {
                continue;
            }
            let stored = w
                .finish(&filename)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            up.files.push((name, stored));
        } else {
            texts += 1;
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(cut_off)? {
                if text.len() + chunk.len() > MAX_TEXT_FIELD || texts > MAX_TEXT_FIELDS {
                    return Err(AppError::PayloadTooLarge);
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text).map_err(|_| AppError::BadRequest("err.encoding"))?;
            up.lists.entry(name.clone()).or_default().push(text.clone());
            up.fields.insert(name, text);
        }
    }
    Ok(up)
}
