//! Civil Code 2015 Arts 147–148 periods on the Vietnamese calendar, each expectation
//! worked out by hand from the article and the year's holidays.

use khien_levels::dates::parse_date;
use khien_levels::periods::{
    add_months, after_hours, end_of_day, end_of_days, last_day_after_days, last_day_after_months,
    roll_to_working_day, vietnam_date,
};
use khien_levels::{Calendar, LevelError};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn d(s: &str) -> time::Date {
    parse_date(s).unwrap()
}

fn t(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap()
}

fn cal() -> &'static Calendar {
    Calendar::vietnam().unwrap()
}

#[test]
fn months_take_the_corresponding_day_or_the_months_last() {
    // (start, months, corresponding day before Art 148.5)
    let cases = [
        ("2026-01-15", 6, "2026-07-15"),
        ("2025-08-31", 6, "2026-02-28"), // February has no 31st
        ("2023-08-31", 6, "2024-02-29"), // leap year
        ("2026-03-31", 1, "2026-04-30"),
        ("2026-01-31", 1, "2026-02-28"),
        ("2024-02-29", 12, "2025-02-28"), // a year after a leap day
        ("2024-02-29", 48, "2028-02-29"),
        ("2026-12-31", 1, "2027-01-31"), // across the year end
        ("2026-07-14", 24, "2028-07-14"),
        ("2026-05-31", 0, "2026-05-31"),
    ];
    for (start, months, want) in cases {
        assert_eq!(
            add_months(d(start), months).unwrap(),
            d(want),
            "{start} + {months} months"
        );
    }
}

#[test]
fn a_last_day_off_moves_to_the_next_working_day() {
    // (start, months, last day after Art 148.5)
    let cases = [
        ("2025-08-31", 6, "2026-03-02"),  // Sat 28/02 → Mon 02/03
        ("2025-10-30", 6, "2026-05-04"),  // Thu 30/04 holiday, Fri 01/05 holiday, weekend
        ("2025-08-17", 6, "2026-02-23"),  // Tue 17/02 is Tết: Tết week, then the weekend
        ("2026-03-02", 6, "2026-09-03"),  // Wed 02/09 National Day → Thu 03/09
        ("2026-03-01", 6, "2026-09-03"),  // Tue 01/09 (the adjacent day) and 02/09
        ("2026-01-15", 6, "2026-07-15"),  // a Wednesday: stays
        ("2025-12-31", 12, "2026-12-31"), // Thursday: stays
        ("2026-01-01", 12, "2027-01-04"), // Fri 01/01/2027 holiday, weekend
        ("2026-04-27", 24, "2028-04-27"), // Thursday
        ("2027-07-29", 6, "2028-01-31"),  // Sat 29/01/2028 → Mon 31/01
    ];
    for (start, months, want) in cases {
        assert_eq!(
            last_day_after_months(d(start), months, cal()).unwrap().date,
            d(want),
            "{start} + {months} months"
        );
    }
}

#[test]
fn day_periods_skip_the_event_day_and_end_at_midnight_vietnam_time() {
    // (event instant, days, end)
    let cases = [
        // Friday 23:30 in Vietnam: days count from Saturday; Wed 19/08 is a working day.
        ("2026-08-14T23:30:00+07:00", 5, "2026-08-19T23:59:59+07:00"),
        // The same instant given in New York time is Saturday 15/08 in Vietnam.
        ("2026-08-14T23:30:00-05:00", 5, "2026-08-20T23:59:59+07:00"),
        // 18:00 UTC is already 01:00 the next day in Vietnam.
        ("2026-08-13T18:00:00Z", 5, "2026-08-19T23:59:59+07:00"),
        ("2026-08-13T16:59:59Z", 5, "2026-08-18T23:59:59+07:00"),
        // Last day Thu 30/04 (holiday), Fri 01/05 (holiday), weekend → Mon 04/05.
        ("2026-04-25T09:00:00+07:00", 5, "2026-05-04T23:59:59+07:00"),
        // Last day Wed 02/09 (National Day) → Thu 03/09.
        ("2026-08-28T17:00:00+07:00", 5, "2026-09-03T23:59:59+07:00"),
        // Response ended on the eve of Tết week: 16/02 is off, and 17–20, then the weekend.
        ("2026-02-11T10:00:00+07:00", 5, "2026-02-23T23:59:59+07:00"),
        // Across the year end: Sun 03/01/2027 → Mon 04/01.
        ("2026-12-29T08:00:00+07:00", 5, "2027-01-04T23:59:59+07:00"),
        // Sun 02/01/2028 → Mon 03/01 is the compensatory New Year day → Tue 04/01.
        ("2027-12-28T08:00:00+07:00", 5, "2028-01-04T23:59:59+07:00"),
        // A swapped working Saturday (04/05/2024) is a working day.
        ("2024-04-29T08:00:00+07:00", 5, "2024-05-04T23:59:59+07:00"),
    ];
    for (at, days, want) in cases {
        let (end, _) = end_of_days(t(at), days, cal()).unwrap();
        assert_eq!(end, t(want), "{at} + {days} days");
    }
}

#[test]
fn hour_periods_are_exact_from_the_instant() {
    let cases = [
        ("2026-08-14T23:30:00+07:00", 72, "2026-08-17T23:30:00+07:00"),
        ("2026-08-14T23:30:00-05:00", 24, "2026-08-16T11:30:00+07:00"),
        ("2026-12-31T20:15:00Z", 72, "2027-01-04T03:15:00+07:00"),
        // Hours do not stop for holidays or weekends.
        ("2026-04-29T09:41:00+07:00", 72, "2026-05-02T09:41:00+07:00"),
        ("2028-02-28T12:00:00+07:00", 24, "2028-02-29T12:00:00+07:00"),
    ];
    for (at, hours, want) in cases {
        let due = after_hours(t(at), hours).unwrap();
        assert_eq!(due, t(want), "{at} + {hours} h");
        assert_eq!(due.offset().whole_hours(), 7, "shown in Vietnam time");
    }
}

#[test]
fn estimates_are_flagged_and_missing_years_are_errors() {
    // 2026-09-01 (the adjacent National Day) is an estimate in the calendar.
    let moved = last_day_after_days(d("2026-08-27"), 5, cal()).unwrap();
    assert_eq!(moved.date, d("2026-09-03"));
    assert!(moved.provisional);
    let firm = last_day_after_days(d("2026-04-25"), 5, cal()).unwrap();
    assert_eq!(firm.date, d("2026-05-04"));
    assert!(!firm.provisional);
    assert_eq!(
        roll_to_working_day(d("2029-01-01"), cal()),
        Err(LevelError::YearNotConfigured(2029))
    );
    assert_eq!(
        last_day_after_months(d("2028-08-01"), 6, cal()),
        Err(LevelError::YearNotConfigured(2029))
    );
    // Hours need no calendar at all.
    assert!(after_hours(t("2035-01-01T00:00:00Z"), 72).is_ok());
    assert_eq!(vietnam_date(t("2026-12-31T17:00:00Z")), d("2027-01-01"));
    assert_eq!(end_of_day(d("2026-02-28")), t("2026-02-28T23:59:59+07:00"));
}
