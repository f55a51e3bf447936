//! What a hunt must have before it is queued or recorded: the one place this is
//! decided for the UI upload, the API and the CLI report.

use time::Date;

/// What was asked for.
#[derive(Debug, Clone, Default)]
pub struct NewHunt<'a> {
    pub title: &'a str,
    pub systems: usize,
    /// Log files (a recorded hunt ran elsewhere and carries none).
    pub sources: usize,
    pub rule_sets: usize,
    pub ioc_sets: usize,
    pub builtin_rules: bool,
    /// Enabled rules of the province's rule library the hunt will use.
    pub library_rules: usize,
    pub period_from: Option<Date>,
    pub period_to: Option<Date>,
}

/// Why a new hunt is refused (an i18n key), checked in the order a person fixes them.
pub fn check_new(h: &NewHunt<'_>, queued: bool) -> Result<(), &'static str> {
    if h.title.trim().is_empty() || h.title.chars().count() > 200 {
        return Err("hunt.err_title");
    }
    if h.systems == 0 {
        return Err("hunt.err_systems");
    }
    if let (Some(from), Some(to)) = (h.period_from, h.period_to)
        && from > to
    {
        return Err("hunt.err_period");
    }
    if queued {
        if h.sources == 0 {
            return Err("hunt.err_sources");
        }
        if h.rule_sets == 0 && h.ioc_sets == 0 && !h.builtin_rules && h.library_rules == 0 {
            return Err("hunt.err_rules");
        }
    }
    Ok(())
}

/// The conclusions a finished hunt can be given.
pub const CONCLUSIONS: [&str; 2] = ["clean", SUSPICIOUS];

/// "Có dấu hiệu đáng ngờ": the conclusion that opens an incident.
pub const SUSPICIOUS: &str = "suspicious";

/// What a hunt checked in one log file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileFacts {
    /// The format was recognised (the file was read as a log at all).
    pub recognised: bool,
    /// Reading it failed.
    pub failed: bool,
    pub events: i64,
    /// Events inside the hunt's period.
    pub in_period: i64,
    /// Sigma rules evaluated on at least one of those events.
    pub rules_applied: i64,
    /// An IOC sweep ran over every event (a loaded, non-empty IOC set).
    pub ioc_sweep: bool,
}

/// Why a file was not really checked (i18n keys), in the order a person reads them.
/// An empty list means the file's events were read and something applied to them.
pub fn file_gaps(f: &FileFacts) -> Vec<&'static str> {
    if !f.recognised {
        return vec!["hunt.gap_not_recognised"];
    }
    if f.failed {
        return vec!["hunt.gap_failed"];
    }
    if f.events == 0 {
        return vec!["hunt.gap_no_events"];
    }
    let mut gaps = Vec::new();
    if f.in_period == 0 {
        gaps.push("hunt.gap_outside_period");
    } else if f.rules_applied == 0 && !f.ioc_sweep {
        gaps.push("hunt.gap_no_rule");
    }
    gaps
}

/// A hunt checked everything it was given: at least one file, and no file with a
/// gap. Only such a hunt may be concluded "no sign of compromise", and only such a
/// hunt counts as the system's last hunt (the 6-monthly duty).
pub fn full_coverage(files: &[FileFacts]) -> bool {
    !files.is_empty() && files.iter().all(|f| file_gaps(f).is_empty())
}

/// Whether a hunt may be concluded now: it has finished, the conclusion is one of
/// [`CONCLUSIONS`], and none has been recorded yet — a conclusion is a signed-off
/// statement ("no sign of compromise"), so a second click or a second tab cannot
/// overwrite it. A hunt whose coverage was limited (a file with no applicable rule,
/// every event outside the period, a file not read) cannot be concluded "clean":
/// the result must not claim more than was checked.
pub fn may_conclude(status: &str, current: &str, new: &str, limited: bool) -> Result<(), &'static str> {
    if status != "done" || !CONCLUSIONS.contains(&new) {
        return Err("hunt.err_conclusion");
    }
    if current != "pending" {
        return Err("hunt.err_already_concluded");
    }
    if new == "clean" && limited {
        return Err("hunt.err_clean_limited");
    }
    Ok(())
}

/// The directives' cadence: every operating system is hunted at least every 6 months
/// (Directive 18/2022).
pub const HUNT_EVERY_MONTHS: u32 = 6;

/// The first instant (stored form, UTC) a counted hunt must have finished at or after
/// for `today`'s duty to be kept: 00:00 Vietnam time on the day six months before
/// (Civil Code 2015 Art 148: the corresponding day, or the month's last day when the
/// month has none).
pub fn hunt_cutoff(today: Date) -> String {
    let day = months_before(today, HUNT_EVERY_MONTHS);
    crate::time_fmt::to_rfc3339(day.midnight().assume_offset(crate::time_fmt::VIETNAM))
}

/// `date` moved back `months` months, keeping the day or clamping it to the month's end.
pub fn months_before(date: Date, months: u32) -> Date {
    let total = date.year() * 12 + i32::from(u8::from(date.month())) - 1 - months as i32;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = time::Month::try_from(u8::try_from(month0 + 1).unwrap_or(1)).unwrap_or(time::Month::January);
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(date)
}


#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_reversed_period_and_missing_inputs_are_refused() {
        let ok = NewHunt {
            title: "Săn lùng quý IV",
            systems: 1,
            sources: 1,
            builtin_rules: true,
            ..Default::default()
        };
        assert_eq!(check_new(&ok, true), Ok(()));
        let reversed = NewHunt {
            period_from: Some(date!(2026 - 11 - 30)),
            period_to: Some(date!(2026 - 11 - 01)),
            ..ok.clone()
        };
        assert_eq!(check_new(&reversed, true), Err("hunt.err_period"));
        assert_eq!(check_new(&NewHunt { sources: 0, ..ok.clone() }, true), Err("hunt.err_sources"));
        assert_eq!(check_new(&NewHunt { sources: 0, ..ok.clone() }, false), Ok(()));
        assert_eq!(
            check_new(&NewHunt { builtin_rules: false, ..ok.clone() }, true),
            Err("hunt.err_rules")
        );
        assert_eq!(check_new(&NewHunt { title: "  ", ..ok.clone() }, true), Err("hunt.err_title"));
        assert_eq!(check_new(&NewHunt { systems: 0, ..ok }, true), Err("hunt.err_systems"));
    }

    #[test]
    fn a_conclusion_is_given_once_to_a_finished_hunt() {
        assert_eq!(may_conclude("done", "pending", "clean", false), Ok(()));
        assert_eq!(may_conclude("running", "pending", "clean", false), Err("hunt.err_conclusion"));
        assert_eq!(may_conclude("done", "pending", "pending", false), Err("hunt.err_conclusion"));
        assert_eq!(may_conclude("done", "clean", "suspicious", false), Err("hunt.err_already_concluded"));
    }

    #[test]
    fn a_hunt_that_checked_nothing_is_not_clean() {
        let read = FileFacts {
            recognised: true,
            events: 4661,
            in_period: 4661,
            rules_applied: 3,
            ..Default::default()
        };
        assert!(file_gaps(&read).is_empty());
        assert!(full_coverage(std::slice::from_ref(&read)));
        assert!(!full_coverage(&[]), "nothing hunted is not full coverage");
        let outside = FileFacts { in_period: 0, ..read.clone() };
        assert_eq!(file_gaps(&outside), ["hunt.gap_outside_period"]);
        let no_rule = FileFacts { rules_applied: 0, ..read.clone() };
        assert_eq!(file_gaps(&no_rule), ["hunt.gap_no_rule"]);
        assert!(file_gaps(&FileFacts { ioc_sweep: true, ..no_rule.clone() }).is_empty());
        assert_eq!(file_gaps(&FileFacts::default()), ["hunt.gap_not_recognised"]);
        assert!(!full_coverage(&[read, no_rule]));
        assert_eq!(may_conclude("done", "pending", "clean", true), Err("hunt.err_clean_limited"));
        assert_eq!(may_conclude("done", "pending", "suspicious", true), Ok(()));
    }
}

#[cfg(test)]
mod cadence_tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn six_months_back_clamps_to_the_month_end() {
        assert_eq!(months_before(date!(2026 - 08 - 31), 6), date!(2026 - 02 - 28));
        assert_eq!(months_before(date!(2028 - 08 - 31), 6), date!(2028 - 02 - 29));
        assert_eq!(months_before(date!(2026 - 03 - 15), 6), date!(2025 - 09 - 15));
        assert_eq!(months_before(date!(2026 - 01 - 01), 13), date!(2024 - 12 - 01));
    }

    #[test]
    fn the_cutoff_is_vietnam_midnight() {
        assert_eq!(hunt_cutoff(date!(2026 - 12 - 02)), "2026-06-01T17:00:00.000000Z");
    }
}
