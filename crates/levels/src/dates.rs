//! ISO dates (`YYYY-MM-DD`) in the data files.

use serde::{Deserialize, Deserializer};
use time::{Date, Month};

use crate::error::LevelError;

/// Parse `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<Date, LevelError> {
    let bad = || LevelError::InvalidInput(format!("`{text}` is not a date (YYYY-MM-DD)"));
    let mut parts = text.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let year: i32 = y.parse().map_err(|_| bad())?;
    let month: u8 = m.parse().map_err(|_| bad())?;
    let day: u8 = d.parse().map_err(|_| bad())?;
    let month = Month::try_from(month).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, day).map_err(|_| bad())
}

/// Format as `YYYY-MM-DD`.
pub fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

pub(crate) fn de_date<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    let text = String::deserialize(d)?;
    parse_date(&text).map_err(serde::de::Error::custom)
}

pub(crate) fn de_opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    text.map(|t| parse_date(&t).map_err(serde::de::Error::custom))
        .transpose()
}
