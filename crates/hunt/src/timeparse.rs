//! Timestamp parsing for the formats the readers meet. Times without a zone
//! are taken as UTC.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// RFC 3339 / ISO 8601 (with or without zone, `T` or space), a bare date,
/// or Unix seconds.
pub fn parse_any(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    if let Ok(dt) = s.parse::<DateTime>() {
        return dt.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp());
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return d
            .to_datetime(jiff::civil::Time::midnight())
            .to_zoned(TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    if let Ok(secs) = s.parse::<f64>()
        && secs.is_finite()
        && secs > 0.0
    {
        // Milliseconds when the number is too large to be seconds.
        let secs = if secs > 1.0e11 { secs / 1000.0 } else { secs };
        #[allow(clippy::cast_possible_truncation)]
        return Timestamp::from_millisecond((secs * 1000.0) as i64).ok();
    }
    None
}

/// Apache/Nginx `10/Oct/2000:13:55:36 -0700`.
pub fn parse_clf(s: &str) -> Option<Timestamp> {
    jiff::fmt::strtime::parse("%d/%b/%Y:%H:%M:%S %z", s)
        .ok()?
        .to_timestamp()
        .ok()
}

/// RFC 3164 `Jun 14 15:16:01` (no year: `year` is used).
pub fn parse_bsd(s: &str, year: i16) -> Option<Timestamp> {
    let s = format!(
        "{year} {}",
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    let dt = jiff::fmt::strtime::parse("%Y %b %d %H:%M:%S", &s)
        .ok()?
        .to_datetime()
        .ok()?;
    dt.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp())
}

/// Formats as ISO 8601 UTC with `Z`.
pub fn format(t: &Timestamp) -> String {
    t.to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(
            format(&parse_any("2025-11-27T07:40:10.165324Z").unwrap()),
            "2025-11-27T07:40:10.165324Z"
        );
        assert_eq!(
            format(&parse_any("2019-09-03 10:04:35").unwrap()),
            "2019-09-03T10:04:35Z"
        );
        assert_eq!(
            format(&parse_clf("11/Jul/2018:08:41:28 +0300").unwrap()),
            "2018-07-11T05:41:28Z"
        );
        assert_eq!(
            format(&parse_bsd("Jun  4 15:16:01", 2005).unwrap()),
            "2005-06-04T15:16:01Z"
        );
        assert!(parse_any("nonsense").is_none());
    }
}
