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
        if h.rule_sets == 0 && h.ioc_sets == 0 && !h.builtin_rules {
            return Err("hunt.err_rules");
        }
    }
    Ok(())
}

/// The conclusions a finished hunt can be given.
pub const CONCLUSIONS: [&str; 2] = ["clean", "suspicious"];

/// Whether a hunt may be concluded now: it has finished, the conclusion is one of
/// [`CONCLUSIONS`], and none has been recorded yet — a conclusion is a signed-off
/// statement ("no sign of compromise"), so a second click or a second tab cannot
/// overwrite it.
pub fn may_conclude(status: &str, current: &str, new: &str) -> Result<(), &'static str> {
    if status != "done" || !CONCLUSIONS.contains(&new) {
        return Err("hunt.err_conclusion");
    }
    if current != "pending" {
        return Err("hunt.err_already_concluded");
    }
    Ok(())
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
        assert_eq!(may_conclude("done", "pending", "clean"), Ok(()));
        assert_eq!(may_conclude("running", "pending", "clean"), Err("hunt.err_conclusion"));
        assert_eq!(may_conclude("done", "pending", "pending"), Err("hunt.err_conclusion"));
        assert_eq!(may_conclude("done", "clean", "suspicious"), Err("hunt.err_already_concluded"));
    }
}
