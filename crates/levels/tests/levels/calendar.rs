//! Working-day calendar, regime clocks and configurable role names.

use khien_levels::dates::parse_date;
use khien_levels::regime::ClockStep;
use khien_levels::working_days::add_days;
use khien_levels::{Calendar, LevelError, Role, RoleNames, add_working_days, load_regime};

// ------------------------------------------------------------------ working days and clocks

fn d(s: &str) -> time::Date {
    parse_date(s).unwrap()
}

#[test]
fn working_days_skip_weekends_holidays_and_count_swapped_saturdays() {
    let cal = Calendar::vietnam().unwrap();
    // Friday + 1 working day = Monday.
    assert_eq!(
        add_working_days(d("2024-03-01"), 1, cal).unwrap(),
        d("2024-03-04")
    );
    assert_eq!(
        add_working_days(d("2024-03-01"), 0, cal).unwrap(),
        d("2024-03-01")
    );
    // Tết Ất Tỵ 2025: off 27–31/01; 08/02 (Saturday) is worked.
    assert_eq!(
        add_working_days(d("2025-01-24"), 1, cal).unwrap(),
        d("2025-02-03")
    );
    assert_eq!(
        add_working_days(d("2025-02-06"), 2, cal).unwrap(),
        d("2025-02-08")
    );
    // 30/4–1/5/2025 plus swapped Friday 02/05; Saturday 26/04 is worked.
    assert_eq!(
        add_working_days(d("2025-04-25"), 1, cal).unwrap(),
        d("2025-04-26")
    );
    assert_eq!(
        add_working_days(d("2025-04-29"), 1, cal).unwrap(),
        d("2025-05-05")
    );
    // Hùng Kings 2026 falls on Sunday 26/04: compensatory Monday 27/04.
    assert_eq!(
        add_working_days(d("2026-04-24"), 1, cal).unwrap(),
        d("2026-04-28")
    );
    // Across the year end.
    assert_eq!(
        add_working_days(d("2026-12-31"), 1, cal).unwrap(),
        d("2027-01-04")
    );
}

#[test]
fn calendar_days_roll_to_the_next_working_day() {
    let cal = Calendar::vietnam().unwrap();
    assert_eq!(
        add_days(d("2024-03-01"), 15, cal).unwrap(),
        d("2024-03-18"),
        "Sat 16/03 rolls to Mon"
    );
    assert_eq!(add_days(d("2024-03-01"), 13, cal).unwrap(), d("2024-03-14"));
    assert_eq!(
        add_days(d("2025-01-13"), 15, cal).unwrap(),
        d("2025-02-03"),
        "28/01 is Tết"
    );
}

#[test]
fn unconfigured_years_are_an_error_not_a_guess() {
    let cal = Calendar::vietnam().unwrap();
    assert_eq!(
        cal.years().into_iter().collect::<Vec<_>>(),
        [2022, 2023, 2024, 2025, 2026, 2027, 2028]
    );
    assert_eq!(
        add_working_days(d("2028-12-28"), 5, cal),
        Err(LevelError::YearNotConfigured(2029))
    );
    assert_eq!(
        add_working_days(d("2021-06-01"), 1, cal),
        Err(LevelError::YearNotConfigured(2021))
    );
    assert!(cal.holidays().any(|h| !h.certain), "estimates are marked");
    let custom = Calendar::from_toml(
        "[[years]]\nyear = 2030\nholidays = [{ date = \"2030-01-01\", name = \"Tết Dương lịch\" }]\n",
    )
    .unwrap();
    // Counting starts the day after the start date, so only days counted must be covered.
    assert_eq!(
        add_working_days(d("2029-12-31"), 1, &custom).unwrap(),
        d("2030-01-02")
    );
    assert_eq!(
        add_working_days(d("2029-12-28"), 1, &custom),
        Err(LevelError::YearNotConfigured(2029))
    );
    assert_eq!(
        add_working_days(d("2030-01-01"), 1, &custom).unwrap(),
        d("2030-01-02")
    );
    assert!(
        Calendar::from_toml(
            "[[years]]\nyear = 2030\nholidays = [{ date = \"2031-01-01\", name = \"x\" }]\n"
        )
        .is_err()
    );
}

#[test]
fn regime_clocks_compute_deadlines() {
    let cal = Calendar::vietnam().unwrap();
    let nd85 = load_regime("nd85-2016").unwrap();
    let nd331 = load_regime("nd331-2026").unwrap();
    let start = d("2026-09-01"); // Tuesday; 2026-09-02 is National Day
    let deadline = |r: &khien_levels::Regime, step, level| {
        r.clock(step, level).unwrap().deadline(start, cal).unwrap()
    };
    assert_eq!(deadline(nd85, ClockStep::Appraisal, 3), d("2026-09-16"));
    assert_eq!(deadline(nd85, ClockStep::Appraisal, 4), d("2026-10-01"));
    assert_eq!(
        deadline(nd331, ClockStep::ValidityCheck, 3),
        d("2026-09-09")
    );
    assert_eq!(deadline(nd331, ClockStep::Appraisal, 3), d("2026-09-23"));
    assert_eq!(deadline(nd331, ClockStep::Appraisal, 5), d("2026-10-07"));
    assert_eq!(deadline(nd331, ClockStep::Approval, 1), d("2026-09-11"));
    assert!(nd85.clock(ClockStep::ValidityCheck, 3).is_none());
    assert!(nd85.clock(ClockStep::Appraisal, 2).is_none());
}

#[test]
fn role_names_are_configurable() {
    let names = RoleNames::defaults()
        .unwrap()
        .merged_with(RoleNames::from_toml("[names.ministry_public_security]\nvi = \"Công an tỉnh X\"\nen = \"X Provincial Police\"\n").unwrap());
    assert_eq!(names.vi(Role::MinistryPublicSecurity), "Công an tỉnh X");
    assert_eq!(names.en(Role::PrimeMinister), "Prime Minister");
    assert!(RoleNames::from_toml("[names.ministry_of_magic]\nvi = \"x\"\nen = \"y\"\n").is_err());
}
