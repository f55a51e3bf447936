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

/// A date typed as `dd/mm/yyyy` (or ISO). Empty is `err.required` when `required`;
/// an impossible day (29/02/2026) or another shape is `err.date`. Returns the date when
/// it is one.
pub fn date_field(
    errs: &mut Invalid,
    field: &'static str,
    raw: &str,
    required: bool,
) -> Option<time::Date> {
    let v = raw.trim();
    if v.is_empty() {
        if required {
            errs.push(field, "err.required", "");
        }
        return None;
    }
    let d = crate::time_fmt::parse_user_date(v);
    if d.is_none() {
        errs.push(field, "err.date", "");
    }
    d
}

/// A date that records something already done (a decision, a regulation): not after
/// `today` (the Vietnamese day).
pub fn past_date_field(
    errs: &mut Invalid,
    field: &'static str,
    raw: &str,
    today: time::Date,
) -> Option<time::Date> {
    let d = date_field(errs, field, raw, true)?;
    if d > today {
        errs.push(field, "err.date_future", crate::time_fmt::format_date(today));
        return None;
    }
    Some(d)
}

/// An optional phone number: digits with the usual separators, an optional leading `+`
/// and an optional extension (`x12`, `#12`), 8 to 15 digits (Vietnamese landlines have 10 or 11 with
/// the area code, mobiles 10; hotlines such as 1900 xxxx have 8).
pub fn optional_phone(errs: &mut Invalid, field: &'static str, raw: &str) -> Option<String> {
    let v = optional_text(errs, field, raw, 40)?;
    let (number, ext) = match v.to_lowercase().split_once(['x', '#']) {
        Some((n, e)) => (n.to_string(), Some(e.trim().to_string())),
        None => (v.clone(), None),
    };
    let number = number.trim();
    let body = number.strip_prefix('+').unwrap_or(number);
    let shape_ok = body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')'));
    let digits = body.chars().filter(char::is_ascii_digit).count();
    let ext_ok = ext.is_none_or(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_digit()));
    if !shape_ok || !(8..=15).contains(&digits) || !ext_ok {
        errs.push(field, "err.phone", "");
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_and_phones() {
        let mut e = Invalid::default();
        assert_eq!(date_field(&mut e, "d", "29/02/2026", true), None);
        assert_eq!(date_field(&mut e, "d2", "", true), None);
        assert_eq!(date_field(&mut e, "d3", "", false), None);
        assert_eq!(date_field(&mut e, "d4", "28/02/2026", true), Some(date!(2026 - 02 - 28)));
        let keys: Vec<_> = e.errors.iter().map(|f| (f.field, f.key)).collect();
        assert_eq!(keys, [("d", "err.date"), ("d2", "err.required")]);
        let mut e = Invalid::default();
        let today = date!(2026 - 03 - 10);
        assert_eq!(past_date_field(&mut e, "d", "11/03/2026", today), None);
        assert_eq!(past_date_field(&mut e, "d", "10/03/2026", today), Some(today));
        assert_eq!(e.errors.len(), 1);
        assert_eq!(e.errors[0].key, "err.date_future");
        for ok in ["0262 3852 123", "+84 912 345 678", "(0262) 385.2123", "1900 1234", "0262 3852123 x12"] {
            let mut e = Invalid::default();
            optional_phone(&mut e, "p", ok);
            assert!(e.is_empty(), "{ok}");
        }
        for bad in ["abc", "12", "0912-abc-123", "+84 912 345 678 999 999", "0262x"] {
            let mut e = Invalid::default();
            optional_phone(&mut e, "p", bad);
            assert_eq!(e.errors.len(), 1, "{bad}");
        }
    }
}
