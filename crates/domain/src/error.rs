//! Validation errors that name the field and carry a catalogue key, so the UI can show
//! them in the user's language and an import can report them by row and column.

use serde::Serialize;

/// One problem with one field. `key` is an i18n catalogue key (e.g. `err.required`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub key: &'static str,
    /// The offending value (or a detail such as the maximum length), shown to the user.
    pub detail: String,
}

/// A rejected input: every field error found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, thiserror::Error)]
#[error("invalid input: {} problem(s)", .errors.len())]
pub struct Invalid {
    pub errors: Vec<FieldError>,
}

impl Invalid {
    pub fn push(&mut self, field: &'static str, key: &'static str, detail: impl Into<String>) {
        self.errors.push(FieldError {
            field,
            key,
            detail: detail.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(value)` when no error was recorded.
    pub fn into_result<T>(self, value: T) -> Result<T, Invalid> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

/// Trims a required text field and checks its length (in characters).
pub fn required_text(errs: &mut Invalid, field: &'static str, raw: &str, max: usize) -> String {
    let v = raw.trim();
    if v.is_empty() {
        errs.push(field, "err.required", "");
    } else if v.chars().count() > max {
        errs.push(field, "err.too_long", max.to_string());
    }
    v.to_string()
}

/// Trims an optional text field; empty becomes `None`.
pub fn optional_text(
    errs: &mut Invalid,
    field: &'static str,
    raw: &str,
    max: usize,
) -> Option<String> {
    let v = raw.trim();
    if v.is_empty() {
        return None;
    }
    if v.chars().count() > max {
        errs.push(field, "err.too_long", max.to_string());
    }
    Some(v.to_string())
}

/// A light e-mail shape check: one `@`, something on both sides, a dot in the domain.
pub fn optional_email(errs: &mut Invalid, field: &'static str, raw: &str) -> Option<String> {
    let v = optional_text(errs, field, raw, 200)?;
    let ok = match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !v.contains(char::is_whitespace)
        }
        None => false,
    };
    if !ok {
        errs.push(field, "err.email", v.clone());
    }
    Some(v)
}
