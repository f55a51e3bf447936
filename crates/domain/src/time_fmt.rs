//! Time formats. Storage keeps UTC RFC 3339 text; people see dd/mm/yyyy in
//! Asia/Ho_Chi_Minh, which has been UTC+7 without daylight saving since 1975, so a fixed
//! offset is exact and needs no tz database on the host.

use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{Date, OffsetDateTime, UtcOffset};

pub const VIETNAM: UtcOffset = offset!(+7);

/// Stored timestamps: UTC with exactly six fractional digits, so that text order is
/// time order (RFC 3339 formatting drops trailing zeros: `…05.51Z` < `…05.5Z`).
pub fn to_rfc3339(t: OffsetDateTime) -> String {
    let fmt = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    t.to_offset(UtcOffset::UTC).format(&fmt).unwrap_or_default()
}

/// The Vietnamese calendar day of an instant: the legal day of every deadline.
pub fn vn_date(t: OffsetDateTime) -> Date {
    t.to_offset(VIETNAM).date()
}

pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// `dd/mm/yyyy HH:MM` in Vietnam time; the input is stored RFC 3339.
pub fn display_datetime(stored: &str) -> String {
    let fmt = format_description!("[day]/[month]/[year] [hour]:[minute]");
    parse_rfc3339(stored)
        .and_then(|t| t.to_offset(VIETNAM).format(&fmt).ok())
        .unwrap_or_else(|| stored.to_string())
}

/// Stored ISO date (`yyyy-mm-dd`) shown as `dd/mm/yyyy`.
pub fn display_date(stored: &str) -> String {
    parse_iso_date(stored)
        .map(format_date)
        .unwrap_or_else(|| stored.to_string())
}

pub fn format_date(d: Date) -> String {
    let fmt = format_description!("[day]/[month]/[year]");
    d.format(&fmt).unwrap_or_default()
}

pub fn iso_date(d: Date) -> String {
    let fmt = format_description!("[year]-[month]-[day]");
    d.format(&fmt).unwrap_or_default()
}

pub fn parse_iso_date(s: &str) -> Option<Date> {
    let fmt = format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &fmt).ok()
}

/// Accepts what people type: `dd/mm/yyyy` (also with `-` or `.`) or ISO `yyyy-mm-dd`.
pub fn parse_user_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if let Some(d) = parse_iso_date(s) {
        return Some(d);
    }
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    if parts.len() != 3 {
        return None;
    }
    let day: u8 = parts[0].trim().parse().ok()?;
    let month: u8 = parts[1].trim().parse().ok()?;
    let year: i32 = parts[2].trim().parse().ok()?;
    let month = time::Month::try_from(month).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn formats_in_vietnam_time() {
        assert_eq!(display_datetime("2026-11-21T18:30:00Z"), "22/11/2026 01:30");
        assert_eq!(display_date("2024-09-30"), "30/09/2024");
        assert_eq!(parse_user_date("30/09/2024"), Some(date!(2024 - 09 - 30)));
        assert_eq!(parse_user_date("2024-09-30"), Some(date!(2024 - 09 - 30)));
        assert_eq!(parse_user_date("31/02/2024"), None);
        assert_eq!(parse_user_date("hôm qua"), None);
        assert_eq!(
            to_rfc3339(datetime!(2026-01-02 03:04:05 +7)),
            "2026-01-01T20:04:05.000000Z"
        );
        // Fixed width: text order is time order.
        let a = to_rfc3339(datetime!(2026-01-01 00:00:05.5 UTC));
        let b = to_rfc3339(datetime!(2026-01-01 00:00:05.51 UTC));
        assert!(a < b, "{a} < {b}");
        assert_eq!(parse_rfc3339(&a), Some(datetime!(2026-01-01 00:00:05.5 UTC)));
        // 17:30 UTC is already the next day in Vietnam, also across the year's end.
        assert_eq!(vn_date(datetime!(2026-12-31 17:30 UTC)), date!(2027 - 01 - 01));
        assert_eq!(vn_date(datetime!(2026-12-31 16:59 UTC)), date!(2026 - 12 - 31));
    }
}
