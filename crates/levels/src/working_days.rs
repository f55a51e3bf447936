//! Working-day calendar: Monday–Friday, minus public holidays, plus swapped Saturdays.
//!
//! Holidays are data (data/regimes/holidays-vn.toml), one list per year, because the
//! Tết break and day swaps are decided every year. A computation that touches a year the
//! calendar does not list fails with [`LevelError::YearNotConfigured`] instead of
//! silently treating Tết as working days. No function here reads the clock.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use serde::Deserialize;
use time::{Date, Weekday};

/// Calendar-day periods live with the other Civil Code periods.
pub use crate::periods::add_days;

use crate::dates::parse_date;
use crate::error::LevelError;

const HOLIDAYS_TOML: &str = include_str!("../../../data/regimes/holidays-vn.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayFile {
    years: Vec<YearFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    #[serde(default)]
    source: String,
    #[serde(default)]
    holidays: Vec<DayFile>,
    #[serde(default)]
    extra_working_days: Vec<DayFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DayFile {
    date: String,
    name: String,
    #[serde(default = "yes")]
    certain: bool,
}

fn yes() -> bool {
    true
}

/// One configured day (a holiday, or a Saturday worked to swap a holiday).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    pub date: Date,
    pub name: String,
    /// False where the date is an estimate not yet confirmed by an official notice.
    pub certain: bool,
}

/// Holidays and swapped working days for a set of years.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Calendar {
    years: BTreeMap<i32, String>,
    holidays: BTreeMap<Date, CalendarDay>,
    extra_working: BTreeMap<Date, CalendarDay>,
}

static VIETNAM: LazyLock<Result<Calendar, LevelError>> = LazyLock::new(|| {
    Calendar::from_toml(HOLIDAYS_TOML).map_err(|e| LevelError::Data {
        file: "holidays-vn.toml".into(),
        message: e.to_string(),
    })
});

impl Calendar {
    /// The embedded Vietnamese calendar (parsed at first use).
    pub fn vietnam() -> Result<&'static Calendar, LevelError> {
        VIETNAM.as_ref().map_err(Clone::clone)
    }

    /// Parse a calendar file with the shape of data/regimes/holidays-vn.toml.
    pub fn from_toml(text: &str) -> Result<Calendar, LevelError> {
        let file: HolidayFile =
            toml::from_str(text).map_err(|e| LevelError::InvalidInput(e.to_string()))?;
        let mut cal = Calendar::default();
        for y in file.years {
            if cal.years.insert(y.year, y.source).is_some() {
                return Err(LevelError::InvalidInput(format!(
                    "year {} listed twice",
                    y.year
                )));
            }
            for (list, target) in [
                (y.holidays, &mut cal.holidays),
                (y.extra_working_days, &mut cal.extra_working),
            ] {
                for d in list {
                    let date = parse_date(&d.date)?;
                    if date.year() != y.year {
                        return Err(LevelError::InvalidInput(format!(
                            "{} is listed under year {}",
                            d.date, y.year
                        )));
                    }
                    target.insert(
                        date,
                        CalendarDay {
                            date,
                            name: d.name,
                            certain: d.certain,
                        },
                    );
                }
            }
        }
        for date in cal.extra_working.keys() {
            if cal.holidays.contains_key(date) {
                return Err(LevelError::InvalidInput(format!(
                    "{date} is both a holiday and a working day"
                )));
            }
        }
        Ok(cal)
    }

    /// Years with a configured holiday list.
    pub fn years(&self) -> BTreeSet<i32> {
        self.years.keys().copied().collect()
    }

    /// The source note of a year's list.
    pub fn source(&self, year: i32) -> Option<&str> {
        self.years.get(&year).map(String::as_str)
    }

    /// All configured holidays, in date order.
    pub fn holidays(&self) -> impl Iterator<Item = &CalendarDay> {
        self.holidays.values()
    }

    /// All swapped working Saturdays/Sundays, in date order.
    pub fn extra_working_days(&self) -> impl Iterator<Item = &CalendarDay> {
        self.extra_working.values()
    }

    /// The configured holiday on `date`, if any.
    pub fn holiday(&self, date: Date) -> Option<&CalendarDay> {
        self.holidays.get(&date)
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: Date) -> Result<bool, LevelError> {
        if !self.years.contains_key(&date.year()) {
            return Err(LevelError::YearNotConfigured(date.year()));
        }
        if self.extra_working.contains_key(&date) {
            return Ok(true);
        }
        let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
        Ok(!weekend && !self.holidays.contains_key(&date))
    }
}

fn next_day(date: Date) -> Result<Date, LevelError> {
    date.next_day().ok_or(LevelError::DateOutOfRange)
}

/// The date `n` working days after `date`. Counting starts the day after `date` (a period
/// "from the day of receipt" excludes that day), so `n = 0` returns `date` itself.
pub fn add_working_days(date: Date, n: u32, calendar: &Calendar) -> Result<Date, LevelError> {
    let mut current = date;
    let mut left = n;
    while left > 0 {
        current = next_day(current)?;
        if calendar.is_working_day(current)? {
            left -= 1;
        }
    }
    Ok(current)
}
