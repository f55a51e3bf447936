//! Dates and instants as the commands read and print them: `YYYY-MM-DD` dates, RFC 3339
//! instants at any offset in, always `+07:00` with seconds out.

use serde::{Deserialize, Deserializer};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use khien_levels::periods::VIETNAM;

use crate::error::DutyError;

/// Parse `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<Date, DutyError> {
    khien_levels::dates::parse_date(text)
        .map_err(|_| DutyError::InvalidInput(format!("`{text}` is not a date (YYYY-MM-DD)")))
}

/// Format as `YYYY-MM-DD`.
pub fn format_date(date: Date) -> String {
    khien_levels::dates::format_date(date)
}

/// Parse an RFC 3339 instant (`2026-08-14T23:30:00+07:00`, `…Z`, `…-05:00`; seconds
/// required, fractions allowed).
pub fn parse_instant(text: &str) -> Result<OffsetDateTime, DutyError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        DutyError::InvalidInput(format!(
            "`{text}` is not an RFC 3339 date and time (e.g. 2026-08-14T23:30:00+07:00)"
        ))
    })
}

/// `YYYY-MM-DDTHH:MM:SS+07:00`: the instant in Vietnam time, fractions of a second
/// dropped (a deadline shown a fraction early, never late).
pub fn format_instant(at: OffsetDateTime) -> String {
    let t = at.to_offset(VIETNAM);
    format!(
        "{}T{:02}:{:02}:{:02}+07:00",
        format_date(t.date()),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub(crate) fn de_opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|t| parse_date(&t).map_err(serde::de::Error::custom))
        .transpose()
}

pub(crate) fn de_date<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    let t = String::deserialize(d)?;
    parse_date(&t).map_err(serde::de::Error::custom)
}

pub(crate) fn de_opt_instant<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<OffsetDateTime>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|t| parse_instant(&t).map_err(serde::de::Error::custom))
        .transpose()
}

pub(crate) fn de_instant<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
    let t = String::deserialize(d)?;
    parse_instant(&t).map_err(serde::de::Error::custom)
}

/// The largest input file the commands read (the facts of one unit, or one incident).
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Read a command's input (`-` is standard input), refusing more than
/// [`MAX_INPUT_BYTES`].
pub fn read_input(path: &std::path::Path) -> Result<String, DutyError> {
    use std::io::Read;
    let io = |e: std::io::Error| DutyError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let mut text = String::new();
    let reader: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(io)?)
    };
    reader
        .take(MAX_INPUT_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(io)?;
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(DutyError::InvalidInput(format!(
            "{} is larger than {} MiB",
            path.display(),
            MAX_INPUT_BYTES / 1024 / 1024
        )));
    }
    Ok(text)
}
