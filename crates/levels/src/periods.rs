//! Legal periods (thời hạn) counted as the Civil Code 2015 counts them: the one place
//! every deadline of the platform is computed (dossier clocks, incident reporting
//! clocks, periodic obligations).
//!
//! - Art 147.1: a period in minutes or hours starts at the moment given, so it is
//!   exact arithmetic on the instant ([`after_hours`]).
//! - Art 147.2–3: a period in days, weeks, months or years does not count the day of
//!   the event; it starts the next day. Which day an instant falls on is the Vietnam
//!   calendar date (UTC+7), never the UTC date ([`vietnam_date`]).
//! - Art 148.1, 148.6: a period in days ends at the end (24:00, shown as 23:59:59) of
//!   its last day ([`end_of_days`]).
//! - Art 148.3–4: a period in months or years ends on the corresponding day of the last
//!   month, or on that month's last day when it has none (31/08 + 6 months = 28/02 or
//!   29/02) ([`add_months`]).
//! - Art 148.5: a last day that is a Saturday, Sunday or public holiday moves to the
//!   next working day ([`roll_to_working_day`]), with the holidays and swapped days of
//!   the configured [`Calendar`].
//!
//! A fixed calendar date ("trước ngày 15") is not a period and never moves: callers
//! build those dates themselves. No function here reads the clock.

use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::error::LevelError;
use crate::working_days::Calendar;

/// Vietnam's offset: legal dates are calendar dates in UTC+7.
pub const VIETNAM: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

const LAST_SECOND: Time = match Time::from_hms(23, 59, 59) {
    Ok(t) => t,
    Err(_) => Time::MIDNIGHT,
};

/// A last day after Art 148.5 was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastDay {
    pub date: Date,
    /// True when a holiday the calendar marks `certain = false` was among the days
    /// looked at: the date is provisional until that year's official notice.
    pub provisional: bool,
}

/// The Vietnam calendar date of an instant given at any offset.
pub fn vietnam_date(at: OffsetDateTime) -> Date {
    at.to_offset(VIETNAM).date()
}

/// `at` plus `hours`, exactly (Art 147.1), expressed in UTC+7.
pub fn after_hours(at: OffsetDateTime, hours: u32) -> Result<OffsetDateTime, LevelError> {
    at.checked_add(Duration::hours(i64::from(hours)))
        .map(|t| t.to_offset(VIETNAM))
        .ok_or(LevelError::DateOutOfRange)
}

/// `date` itself if it is a working day, else the next working day (Art 148.5).
pub fn roll_to_working_day(date: Date, calendar: &Calendar) -> Result<LastDay, LevelError> {
    let mut day = date;
    let mut provisional = false;
    loop {
        provisional |= calendar.holiday(day).is_some_and(|h| !h.certain);
        if calendar.is_working_day(day)? {
            return Ok(LastDay {
                date: day,
                provisional,
            });
        }
        day = day.next_day().ok_or(LevelError::DateOutOfRange)?;
    }
}

/// The last day of a period of `days` days after the event on `date` (Art 147.2: the
/// event's day is not counted), moved to the next working day if it is off. `days = 0`
/// returns `date`.
pub fn add_days(date: Date, days: u32, calendar: &Calendar) -> Result<Date, LevelError> {
    last_day_after_days(date, days, calendar).map(|d| d.date)
}

/// [`add_days`], also saying whether an unconfirmed holiday was involved.
pub fn last_day_after_days(
    date: Date,
    days: u32,
    calendar: &Calendar,
) -> Result<LastDay, LevelError> {
    if days == 0 {
        return Ok(LastDay {
            date,
            provisional: false,
        });
    }
    let last = date
        .checked_add(Duration::days(i64::from(days)))
        .ok_or(LevelError::DateOutOfRange)?;
    roll_to_working_day(last, calendar)
}

/// The end of a period of `days` days that starts with the event at `at`: 23:59:59
/// (UTC+7) of the last day, counted from the Vietnam date of `at` and moved past
/// weekends and holidays (Art 147–148).
pub fn end_of_days(
    at: OffsetDateTime,
    days: u32,
    calendar: &Calendar,
) -> Result<(OffsetDateTime, bool), LevelError> {
    let last = last_day_after_days(vietnam_date(at), days, calendar)?;
    Ok((end_of_day(last.date), last.provisional))
}

/// 23:59:59 of `date` in UTC+7: the last second of a legal day (Art 148.6 "24 giờ").
pub fn end_of_day(date: Date) -> OffsetDateTime {
    PrimitiveDateTime::new(date, LAST_SECOND).assume_offset(VIETNAM)
}

/// The corresponding day `months` months after `date`, or the last day of that month
/// when it has no such day (Art 148.3; years are 12 months, Art 148.4). Not moved.
pub fn add_months(date: Date, months: u32) -> Result<Date, LevelError> {
    let index =
        i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + i64::from(months);
    let year = i32::try_from(index.div_euclid(12)).map_err(|_| LevelError::DateOutOfRange)?;
    let month = u8::try_from(index.rem_euclid(12) + 1).map_err(|_| LevelError::DateOutOfRange)?;
    let month = Month::try_from(month).map_err(|_| LevelError::DateOutOfRange)?;
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).map_err(|_| LevelError::DateOutOfRange)
}

/// The last day of a period of `months` months after `date` (Art 148.3–5): the
/// corresponding day, moved to the next working day if it is off.
pub fn last_day_after_months(
    date: Date,
    months: u32,
    calendar: &Calendar,
) -> Result<LastDay, LevelError> {
    roll_to_working_day(add_months(date, months)?, calendar)
}
