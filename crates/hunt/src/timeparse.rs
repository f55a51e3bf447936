//! Timestamp parsing and printing for the formats the readers meet. Times
//! without a zone are taken as UTC.
//!
//! The parsers are written by hand rather than with `time`'s format
//! descriptions: `parse_any` runs once per event, and the forms it accepts
//! (ISO 8601 extended and basic, RFC 3339, RFC 9557 annotations, a bare
//! date) do not fit one description. They accept the same strings, edge
//! cases included, as the parsers they replaced (jiff's), so a log reads
//! the same from one version of `khien hunt` to the next.

use std::time::SystemTime;

pub use time::Timestamp;
use time::{Date, Month};

/// Seconds of the earliest and latest instants a timestamp may hold. Inside
/// these, the calendar date stays within years -9999..=9999 at every UTC
/// offset up to ±25:59:59, so any time read with an offset prints back.
const MIN_SECS: i64 = -377_705_023_201; // -009999-01-02T01:59:59Z
const MAX_SECS: i64 = 253_402_207_200; // 9999-12-30T22:00:00Z
const MAX_OFFSET_SECS: i32 = 25 * 3600 + 59 * 60 + 59;
/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

fn instant(secs: i64, nanos: u32) -> Option<Timestamp> {
    if !(MIN_SECS..=MAX_SECS).contains(&secs) {
        return None;
    }
    Timestamp::new(secs, nanos).ok()
}

/// Seconds from the Unix epoch to midnight UTC of `date`.
fn midnight_secs(date: Date) -> i64 {
    (i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY) * 86_400
}

fn hms_secs(hour: u8, minute: u8, second: u8) -> i64 {
    i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
}

fn calendar_date(year: i32, month: u8, day: u8) -> Option<Date> {
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// A UTC calendar date and time of day, `None` when it is not a valid one
/// (no leap seconds).
pub fn from_civil(
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
) -> Option<Timestamp> {
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let date = calendar_date(year, month, day)?;
    instant(midnight_secs(date) + hms_secs(hour, minute, second), 0)
}

/// A file system time as a timestamp.
pub fn from_system_time(t: SystemTime) -> Option<Timestamp> {
    let (secs, nanos) = match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => (i64::try_from(d.as_secs()).ok()?, d.subsec_nanos()),
        Err(before) => {
            let d = before.duration();
            let secs = i64::try_from(d.as_secs()).ok()?;
            match d.subsec_nanos() {
                0 => (-secs, 0),
                n => (-secs - 1, 1_000_000_000 - n),
            }
        }
    };
    instant(secs, nanos)
}

/// Nanoseconds since the Unix epoch as a timestamp.
pub fn from_unix_nanos(nanos: i128) -> Option<Timestamp> {
    let secs = i64::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
    let sub = u32::try_from(nanos.rem_euclid(1_000_000_000)).ok()?;
    instant(secs, sub)
}

/// `t` moved by `secs` seconds, `None` when that leaves the range.
pub fn checked_add_secs(t: Timestamp, secs: i64) -> Option<Timestamp> {
    instant(t.as_seconds().checked_add(secs)?, t.nanosecond())
}

/// The same UTC date and time of day a year earlier (29 February becomes
/// the 28th).
pub fn year_earlier(t: Timestamp) -> Option<Timestamp> {
    let (year, month, mut day) = t.to_calendar_date();
    if month == Month::February && day == 29 {
        day = 28;
    }
    let date = Date::from_calendar_date(year - 1, month, day).ok()?;
    let time_of_day = t.as_seconds().rem_euclid(86_400);
    instant(midnight_secs(date) + time_of_day, t.nanosecond())
}

/// RFC 3339 / ISO 8601 (with or without zone, `T` or space), a bare date,
/// or Unix seconds.
pub fn parse_any(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(p) = iso(s.as_bytes()) {
        let (hour, minute, second, nanos) = p.time.unwrap_or_default();
        let local = midnight_secs(p.date) + hms_secs(hour, minute, second);
        if p.time.is_some() {
            let at = match p.offset {
                Some(Offset::Zulu) => instant(local, nanos),
                Some(Offset::Secs(Some(off))) => instant(local - i64::from(off), nanos),
                Some(Offset::Secs(None)) | None => None,
            };
            if at.is_some() {
                return at;
            }
        }
        // `Z` says the time is UTC, so it is not read again as a local time;
        // a numeric offset that could not be applied is dropped.
        if !matches!(p.offset, Some(Offset::Zulu)) {
            return instant(local, nanos);
        }
    }
    if let Ok(secs) = s.parse::<f64>()
        && secs.is_finite()
        && secs > 0.0
    {
        // Milliseconds when the number is too large to be seconds.
        let secs = if secs > 1.0e11 { secs / 1000.0 } else { secs };
        #[allow(clippy::cast_possible_truncation)]
        let ms = (secs * 1000.0) as i64;
        if !(MIN_SECS * 1000..=MAX_SECS * 1000).contains(&ms) {
            return None;
        }
        return Timestamp::from_milliseconds(ms).ok();
    }
    None
}

/// RFC 3339 with `Z` or an offset: only an instant, never a local time.
fn parse_instant(s: &str) -> Option<Timestamp> {
    let p = iso(s.as_bytes())?;
    let (hour, minute, second, nanos) = p.time?;
    let local = midnight_secs(p.date) + hms_secs(hour, minute, second);
    match p.offset? {
        Offset::Zulu => instant(local, nanos),
        Offset::Secs(off) => instant(local - i64::from(off?), nanos),
    }
}

/// Apache/Nginx `10/Oct/2000:13:55:36 -0700`.
pub fn parse_clf(s: &str) -> Option<Timestamp> {
    let mut b = s.as_bytes();
    let day = field(&mut b, 2)?;
    literal(&mut b, b'/')?;
    let month = month_abbrev(&mut b)?;
    literal(&mut b, b'/')?;
    let year = year_field(&mut b)?;
    literal(&mut b, b':')?;
    let (hour, minute, second) = clock(&mut b)?;
    skip_blanks(&mut b);
    let offset = clf_offset(&mut b)?;
    if !b.is_empty() {
        return None;
    }
    let date = calendar_date(year, month, day)?;
    instant(
        midnight_secs(date) + hms_secs(hour, minute, second) - i64::from(offset),
        0,
    )
}

/// RFC 3164 `Jun 14 15:16:01` (no year: `year` is used).
pub fn parse_bsd(s: &str, year: i16) -> Option<Timestamp> {
    // The year is read as at most four digits (and a sign), so a longer
    // one never matches.
    if !(-9999..=9999).contains(&year) {
        return None;
    }
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut b = s.as_bytes();
    let month = month_abbrev(&mut b)?;
    skip_blanks(&mut b);
    let day = field(&mut b, 2)?;
    skip_blanks(&mut b);
    let (hour, minute, second) = clock(&mut b)?;
    if !b.is_empty() {
        return None;
    }
    let date = calendar_date(i32::from(year), month, day)?;
    instant(midnight_secs(date) + hms_secs(hour, minute, second), 0)
}

/// Formats as ISO 8601 UTC with `Z`, with as many fractional digits as the
/// time needs (none for whole seconds).
pub fn format(t: &Timestamp) -> String {
    let utc = t.to_utc();
    let (year, month, day) = utc.to_calendar_date();
    let (hour, minute, second, nanos) = utc.as_hms_nano();
    let mut buf = [0u8; 40];
    let mut n = 0;
    let mut put = |bytes: &[u8]| {
        buf[n..n + bytes.len()].copy_from_slice(bytes);
        n += bytes.len();
    };
    if year < 0 {
        put(b"-00");
    }
    let year = year.unsigned_abs();
    put(&[
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
    ]);
    put(b"-");
    put(&two(u8::from(month)));
    put(b"-");
    put(&two(day));
    put(b"T");
    put(&two(hour));
    put(b":");
    put(&two(minute));
    put(b":");
    put(&two(second));
    if nanos != 0 {
        let mut frac = [b'.'; 10];
        let mut rest = nanos;
        for d in frac[1..].iter_mut().rev() {
            *d = digit(rest);
            rest /= 10;
        }
        let len = frac.iter().rposition(|d| *d != b'0').map_or(0, |i| i + 1);
        put(&frac[..len]);
    }
    put(b"Z");
    std::str::from_utf8(&buf[..n])
        .map(str::to_owned)
        .unwrap_or_default()
}

/// The last decimal digit of `n`, as ASCII.
fn digit(n: u32) -> u8 {
    b'0' + (n % 10) as u8
}

fn two(n: u8) -> [u8; 2] {
    [b'0' + n / 10 % 10, b'0' + n % 10]
}

/// `Option<Timestamp>` as an RFC 3339 string or null, for serde.
pub mod opt_rfc3339 {
    use std::fmt;

    use serde::de::{self, Deserializer, Visitor};
    use serde::ser::Serializer;

    use super::Timestamp;

    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&super::format(t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        d.deserialize_option(OptionVisitor)
    }

    struct OptionVisitor;

    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<Timestamp>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an RFC 3339 timestamp or null")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(TimestampVisitor).map(Some)
        }
    }

    struct TimestampVisitor;

    impl Visitor<'_> for TimestampVisitor {
        type Value = Timestamp;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an RFC 3339 timestamp")
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Timestamp, E> {
            super::parse_instant(s).ok_or_else(|| E::invalid_value(de::Unexpected::Str(s), &self))
        }
    }
}

// ---- ISO 8601 / RFC 3339 ------------------------------------------------
//
// date     = year ("-" MM "-" DD | MMDD)    year: 4 digits, or sign + 6
// datetime = date [("T" | "t" | " ") time [offset]] [annotations]
// time     = HH [":" MM [":" SS [frac]]] | HH [MM [SS [frac]]]
// frac     = ("." | ",") 1*9DIGIT           second 60 is read as 59
// offset   = "Z" | "z" | ("+" | "-") HH [[":"] MM [[":"] SS [frac]]]
// Colons are used throughout a time or offset or not at all.

enum Offset {
    Zulu,
    /// Seconds east of UTC; `None` when out of range once rounded.
    Secs(Option<i32>),
}

struct Iso {
    date: Date,
    time: Option<(u8, u8, u8, u32)>,
    offset: Option<Offset>,
}

fn iso(s: &[u8]) -> Option<Iso> {
    let mut s = s;
    let date = iso_date(&mut s)?;
    let mut time = None;
    let mut offset = None;
    if let Some((b' ' | b'T' | b't', rest)) = s.split_first() {
        s = rest;
        time = Some(iso_time(&mut s)?);
        offset = iso_offset(&mut s)?;
    }
    if s.first() == Some(&b'[') {
        annotations(&mut s)?;
    }
    s.is_empty().then_some(Iso { date, time, offset })
}

fn iso_date(s: &mut &[u8]) -> Option<Date> {
    let year = match s.first() {
        Some(&sign @ (b'+' | b'-')) => {
            *s = &s[1..];
            let y = i32::try_from(digits(s, 6)?).ok()?;
            if y > 9999 || (y == 0 && sign == b'-') {
                return None;
            }
            if sign == b'-' { -y } else { y }
        }
        _ => i32::try_from(digits(s, 4)?).ok()?,
    };
    let extended = eat(s, b'-');
    let month = digits(s, 2)?;
    if extended {
        if !eat(s, b'-') {
            return None;
        }
    } else if s.first() == Some(&b'-') {
        return None;
    }
    let day = digits(s, 2)?;
    calendar_date(year, u8::try_from(month).ok()?, u8::try_from(day).ok()?)
}

fn iso_time(s: &mut &[u8]) -> Option<(u8, u8, u8, u32)> {
    let hour = digits(s, 2)?;
    if hour > 23 {
        return None;
    }
    let extended = s.first() == Some(&b':');
    let (mut minute, mut second, mut nanos) = (0, 0, 0);
    if next_part(s, extended) {
        minute = digits(s, 2)?;
        if minute > 59 {
            return None;
        }
        if next_part(s, extended) {
            second = digits(s, 2)?;
            if second > 60 {
                return None;
            }
            // No leap seconds: 60 is the last second of the minute.
            second = second.min(59);
            nanos = fraction(s)?.unwrap_or(0);
        }
    }
    Some((
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
        nanos,
    ))
}

/// Outer `None`: not an offset after all (an error); inner: no offset.
fn iso_offset(s: &mut &[u8]) -> Option<Option<Offset>> {
    let negative = match s.first() {
        Some(b'Z' | b'z') => {
            *s = &s[1..];
            return Some(Some(Offset::Zulu));
        }
        Some(b'+') => false,
        Some(b'-') => true,
        _ => return Some(None),
    };
    *s = &s[1..];
    let hours = digits(s, 2)?;
    if hours > 25 {
        return None;
    }
    let extended = s.first() == Some(&b':');
    let mut secs = hours * 3600;
    if next_part(s, extended) {
        let minutes = digits(s, 2)?;
        if minutes > 59 {
            return None;
        }
        secs += minutes * 60;
        if next_part(s, extended) {
            let seconds = digits(s, 2)?;
            if seconds > 59 {
                return None;
            }
            secs += seconds;
            // Offsets are whole seconds: a fraction rounds.
            if fraction(s)?.is_some_and(|n| n >= 500_000_000) {
                secs += 1;
            }
        }
    }
    let secs = i32::try_from(secs)
        .ok()
        .filter(|s| *s <= MAX_OFFSET_SECS)
        .map(|s| if negative { -s } else { s });
    Some(Some(Offset::Secs(secs)))
}

/// RFC 9557 suffixes (`[Europe/Paris]`, `[+07:00]`, `[u-ca=iso8601]`):
/// checked for form and otherwise ignored. Only the first may name a zone;
/// a critical (`!`) key/value one is refused.
fn annotations(s: &mut &[u8]) -> Option<()> {
    zone_annotation(s)?;
    while s.first() == Some(&b'[') {
        key_value_annotation(s)?;
    }
    Some(())
}

fn zone_annotation(s: &mut &[u8]) -> Option<()> {
    let mut t = &s[1..];
    eat(&mut t, b'!');
    if let Some(b'+' | b'-') = t.first() {
        t = &t[1..];
        let hours = digits(&mut t, 2)?;
        if hours > 25 {
            return None;
        }
        let extended = t.first() == Some(&b':');
        // Hours and minutes only: zone offsets have no seconds.
        if next_part(&mut t, extended) && (digits(&mut t, 2)? > 59 || t.first() == Some(&b':')) {
            return None;
        }
    } else {
        zone_name_part(&mut t)?;
        if t.first() == Some(&b'=') {
            // A key/value annotation: leave it to the caller's loop.
            return Some(());
        }
        while eat(&mut t, b'/') {
            zone_name_part(&mut t)?;
        }
    }
    if !eat(&mut t, b']') {
        return None;
    }
    *s = t;
    Some(())
}

fn zone_name_part(s: &mut &[u8]) -> Option<()> {
    let (&first, rest) = s.split_first()?;
    if !(first == b'_' || first == b'.' || first.is_ascii_alphabetic()) {
        return None;
    }
    *s = rest;
    skip_while(s, |b| {
        matches!(b, b'_' | b'.' | b'+' | b'-') || b.is_ascii_alphanumeric()
    });
    Some(())
}

fn key_value_annotation(s: &mut &[u8]) -> Option<()> {
    let mut t = &s[1..];
    let critical = eat(&mut t, b'!');
    let (&first, rest) = t.split_first()?;
    if !(first == b'_' || first.is_ascii_lowercase()) {
        return None;
    }
    t = rest;
    skip_while(&mut t, |b| {
        matches!(b, b'_' | b'-') || b.is_ascii_lowercase() || b.is_ascii_digit()
    });
    if !eat(&mut t, b'=') {
        return None;
    }
    loop {
        let (&first, rest) = t.split_first()?;
        if !first.is_ascii_alphanumeric() {
            return None;
        }
        t = rest;
        skip_while(&mut t, |b| b.is_ascii_alphanumeric());
        if !eat(&mut t, b'-') {
            break;
        }
    }
    if !eat(&mut t, b']') || critical {
        return None;
    }
    *s = t;
    Some(())
}

/// Whether another component follows: after a colon in the extended form,
/// or when two digits come next in the basic one.
fn next_part(s: &mut &[u8], extended: bool) -> bool {
    if extended {
        eat(s, b':')
    } else {
        s.len() >= 2 && s[0].is_ascii_digit() && s[1].is_ascii_digit()
    }
}

/// Exactly `n` digits.
fn digits(s: &mut &[u8], n: usize) -> Option<u32> {
    let (head, rest) = s.split_at_checked(n)?;
    let mut v = 0u32;
    for &b in head {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(b - b'0');
    }
    *s = rest;
    Some(v)
}

/// An optional `.` or `,` and 1 to 9 digits, as nanoseconds. Outer `None`:
/// a separator without digits.
fn fraction(s: &mut &[u8]) -> Option<Option<u32>> {
    let Some((b'.' | b',', rest)) = s.split_first() else {
        return Some(None);
    };
    let n = rest
        .iter()
        .take(9)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if n == 0 {
        return None;
    }
    let mut v = 0u32;
    for &b in &rest[..n] {
        v = v * 10 + u32::from(b - b'0');
    }
    for _ in n..9 {
        v *= 10;
    }
    *s = &rest[n..];
    Some(Some(v))
}

fn eat(s: &mut &[u8], b: u8) -> bool {
    match s.split_first() {
        Some((&first, rest)) if first == b => {
            *s = rest;
            true
        }
        _ => false,
    }
}

fn skip_while(s: &mut &[u8], pred: impl Fn(u8) -> bool) {
    let n = s.iter().take_while(|b| pred(**b)).count();
    *s = &s[n..];
}

// ---- strftime-style fields (web and BSD syslog dates) -------------------
//
// As strptime reads them: a number may follow blanks and have fewer digits
// than its width, month names ignore case, a space matches any run of
// blanks (or none).

fn skip_blanks(s: &mut &[u8]) {
    skip_while(s, |b| b.is_ascii_whitespace());
}

fn literal(s: &mut &[u8], b: u8) -> Option<()> {
    eat(s, b).then_some(())
}

/// Blanks, then 1 to `width` digits.
fn number(s: &mut &[u8], width: usize) -> Option<u32> {
    skip_blanks(s);
    let n = s
        .iter()
        .take(width)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if n == 0 {
        return None;
    }
    let mut v = 0u32;
    for &b in &s[..n] {
        v = v * 10 + u32::from(b - b'0');
    }
    *s = &s[n..];
    Some(v)
}

/// A day of the month, hour, minute or second (at most 2 digits).
fn field(s: &mut &[u8], width: usize) -> Option<u8> {
    if s.is_empty() {
        return None;
    }
    u8::try_from(number(s, width)?).ok()
}

fn year_field(s: &mut &[u8]) -> Option<i32> {
    let (&first, rest) = s.split_first()?;
    let negative = first == b'-';
    if matches!(first, b'+' | b'-') {
        *s = rest;
    }
    let y = i32::try_from(number(s, 4)?).ok()?;
    Some(if negative { -y } else { y })
}

/// `HH:MM:SS` (second 60 is read as 59).
fn clock(s: &mut &[u8]) -> Option<(u8, u8, u8)> {
    let hour = field(s, 2)?;
    literal(s, b':')?;
    let minute = field(s, 2)?;
    literal(s, b':')?;
    let second = field(s, 2)?;
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some((hour, minute, second.min(59)))
}

fn month_abbrev(s: &mut &[u8]) -> Option<u8> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let (name, rest) = s.split_at_checked(3)?;
    let i = MONTHS.iter().position(|m| name.eq_ignore_ascii_case(*m))?;
    *s = rest;
    u8::try_from(i + 1).ok()
}

/// `-0700`: sign, hours and minutes, optional seconds, no colons.
fn clf_offset(s: &mut &[u8]) -> Option<i32> {
    let negative = match s.first()? {
        b'+' => false,
        b'-' => true,
        _ => return None,
    };
    *s = &s[1..];
    let hours = digits(s, 2)?;
    if hours > 25 || s.first() == Some(&b':') || !next_part(s, false) {
        return None;
    }
    let minutes = digits(s, 2)?;
    if minutes > 59 {
        return None;
    }
    let mut secs = hours * 3600 + minutes * 60;
    if next_part(s, false) {
        let seconds = digits(s, 2)?;
        if seconds > 59 {
            return None;
        }
        secs += seconds;
    }
    if let Some(b'.' | b',') = s.first() {
        return None;
    }
    let secs = i32::try_from(secs).ok()?;
    Some(if negative { -secs } else { secs })
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

    fn any(s: &str) -> Option<String> {
        parse_any(s).map(|t| format(&t))
    }

    #[test]
    fn iso_forms() {
        let cases = [
            ("2024-06-14T17:30:00+07:00", Some("2024-06-14T10:30:00Z")),
            ("  2024-06-14T17:30:00Z  ", Some("2024-06-14T17:30:00Z")),
            ("20240614T173000Z", Some("2024-06-14T17:30:00Z")),
            ("2024-06-14t17:30:00,5z", Some("2024-06-14T17:30:00.5Z")),
            ("2024-06-14T17Z", Some("2024-06-14T17:00:00Z")),
            ("2024-06-14 1730-0530", Some("2024-06-14T23:00:00Z")),
            ("2024-06-14T17:30:00+07", Some("2024-06-14T10:30:00Z")),
            ("2024-05-01T10:00:00.000+0000", Some("2024-05-01T10:00:00Z")),
            ("2016-12-31T23:59:60Z", Some("2016-12-31T23:59:59Z")),
            (
                "2024-06-14T17:30:00Z[Asia/Ho_Chi_Minh]",
                Some("2024-06-14T17:30:00Z"),
            ),
            (
                "2024-06-14T17:30:00+07:00[u-ca=iso8601]",
                Some("2024-06-14T10:30:00Z"),
            ),
            ("2024-06-14T17:30:00Z[!u-ca=iso8601]", None),
            ("2024-06-14", Some("2024-06-14T00:00:00Z")),
            ("20240614", Some("2024-06-14T00:00:00Z")),
            ("-000001-01-01T00:00:00Z", Some("-000001-01-01T00:00:00Z")),
            ("+002024-06-14T17:30:00Z", Some("2024-06-14T17:30:00Z")),
            ("2024-06-14T17:30:00.1234567891Z", None),
            ("2024-06-14T17:30+0730:00", None),
            ("2024-02-30", None),
            ("2024-06-14T24:00:00Z", None),
            ("9999-12-31T00:00:00Z", None),
            ("9999-12-30T22:00:00.999Z", Some("9999-12-30T22:00:00.999Z")),
            ("1714557600", Some("2024-05-01T10:00:00Z")),
            ("1714557600123", Some("2024-05-01T10:00:00.123Z")),
            ("1714557600.5", Some("2024-05-01T10:00:00.5Z")),
            ("0", None),
        ];
        for (input, want) in cases {
            assert_eq!(any(input).as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn web_and_bsd_forms() {
        let clf = |s: &str| parse_clf(s).map(|t| format(&t));
        assert_eq!(
            clf("11/jul/2018:08:41:28 +030015").as_deref(),
            Some("2018-07-11T05:41:13Z")
        );
        assert_eq!(
            clf(" 1/Jul/2018:8:41:28    +0300").as_deref(),
            Some("2018-07-01T05:41:28Z")
        );
        assert_eq!(clf("11/Jul/2018:08:41:28 +03:00"), None);
        assert_eq!(clf("11/Jul/2018:08:41:28 +03"), None);
        assert_eq!(clf("31/Jun/2018:08:41:28 +0300"), None);
        let bsd = |s: &str, y| parse_bsd(s, y).map(|t| format(&t));
        assert_eq!(
            bsd("Feb 29 00:00:00", 2024).as_deref(),
            Some("2024-02-29T00:00:00Z")
        );
        assert_eq!(bsd("Feb 29 00:00:00", 2023), None);
        assert_eq!(
            bsd("jun 4 15:16:60", 2005).as_deref(),
            Some("2005-06-04T15:16:59Z")
        );
    }

    #[test]
    fn arithmetic() {
        let t = parse_any("2024-02-29T12:00:00.5Z").unwrap();
        assert_eq!(format(&year_earlier(t).unwrap()), "2023-02-28T12:00:00.5Z");
        assert_eq!(
            format(&checked_add_secs(t, -48 * 3600).unwrap()),
            "2024-02-27T12:00:00.5Z"
        );
        assert_eq!(checked_add_secs(t, i64::MAX), None);
        let max = parse_any("9999-12-30T22:00:00Z").unwrap();
        assert_eq!(checked_add_secs(max, 1), None);
    }

    #[test]
    fn spill_form_round_trips() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Row {
            #[serde(with = "super::opt_rfc3339")]
            t: Option<Timestamp>,
        }
        for row in [
            Row {
                t: parse_any("2019-01-20T07:29:57.8638931Z"),
            },
            Row { t: None },
        ] {
            let json = serde_json::to_string(&row).unwrap();
            assert_eq!(serde_json::from_str::<Row>(&json).unwrap(), row);
        }
        assert_eq!(
            serde_json::to_string(&Row {
                t: parse_any("2019-01-20T07:29:57.8638931Z")
            })
            .unwrap(),
            r#"{"t":"2019-01-20T07:29:57.8638931Z"}"#
        );
        assert!(serde_json::from_str::<Row>(r#"{"t":"2019-01-20"}"#).is_err());
    }
}
