use crate::rules::{PeriodKind, Rules};

const DEFAULT: &str = include_str!("../../../../data/obligations/default.toml");

fn load(files: &[(&str, &str)]) -> Result<Rules, crate::DutyError> {
    let dir = std::env::temp_dir().join(format!(
        "khien-duties-bad-{}-{}",
        std::process::id(),
        files.iter().map(|f| f.1.len()).sum::<usize>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let r = Rules::from_dir(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    r
}

#[test]
fn shipped_rules_cover_the_five_provinces() {
    let rules = Rules::embedded().unwrap();
    let mut ids = rules.province_ids();
    ids.sort_unstable();
    assert_eq!(
        ids,
        ["dak-lak", "default", "ha-tinh", "kon-tum", "thai-nguyen"]
    );
    let names = |p: &str| -> Vec<String> {
        let mut v: Vec<String> = rules
            .effective(p)
            .unwrap()
            .iter()
            .map(|r| r.id.clone())
            .collect();
        v.dedup();
        v
    };
    let national = [
        "scan",
        "hunt",
        "hunt_after_fix",
        "drill",
        "system_assessment",
        "unit_assessment",
        "annual_level_report",
    ];
    assert_eq!(names("default"), national);
    assert_eq!(names("dak-lak"), national);
    assert_eq!(
        names("kon-tum"),
        [&national[..], &["quarterly_report"]].concat()
    );
    assert_eq!(
        names("thai-nguyen"),
        [&national[..], &["quarterly_report", "monthly_report"]].concat()
    );
    assert_eq!(
        names("ha-tinh"),
        [&national[..], &["annual_inspection_report"]].concat()
    );
    assert_eq!(
        rules.report_period("monthly_report"),
        Some(PeriodKind::Month)
    );
    assert_eq!(
        rules.report_period("quarterly_report"),
        Some(PeriodKind::Quarter)
    );
    assert_eq!(
        rules.report_period("annual_inspection_report"),
        Some(PeriodKind::Year)
    );
    assert_eq!(rules.report_period("scan"), None);
}

#[test]
fn period_names() {
    let d = |s: &str| khien_levels::dates::parse_date(s).unwrap();
    let cases = [
        (
            PeriodKind::Month,
            "2026-08-20",
            "2026-08-01",
            "2026-08-31",
            "2026-08",
        ),
        (
            PeriodKind::Month,
            "2024-02-10",
            "2024-02-01",
            "2024-02-29",
            "2024-02",
        ),
        (
            PeriodKind::Quarter,
            "2026-08-20",
            "2026-07-01",
            "2026-09-30",
            "2026-Q3",
        ),
        (
            PeriodKind::Quarter,
            "2026-12-31",
            "2026-10-01",
            "2026-12-31",
            "2026-Q4",
        ),
        (
            PeriodKind::Quarter,
            "2027-01-01",
            "2027-01-01",
            "2027-03-31",
            "2027-Q1",
        ),
        (
            PeriodKind::Year,
            "2026-08-20",
            "2026-01-01",
            "2026-12-31",
            "2026",
        ),
    ];
    for (kind, date, first, last, name) in cases {
        assert_eq!(
            kind.containing(d(date)),
            (d(first), d(last), name.to_string()),
            "{date}"
        );
        assert!(kind.is_name(name));
    }
    for (kind, bad) in [
        (PeriodKind::Month, "2026-00"),
        (PeriodKind::Month, "2026-Q3"),
        (PeriodKind::Month, "2026-+1"),
        (PeriodKind::Quarter, "2026-Q5"),
        (PeriodKind::Quarter, "2026-q3"),
        (PeriodKind::Year, "26"),
        (PeriodKind::Year, "2026 "),
    ] {
        assert!(!kind.is_name(bad), "{bad}");
    }
}

#[test]
fn inconsistent_rule_files_are_refused() {
    let rule =
        |body: &str| format!("province = \"kon-tum\"\nname = \"Kon Tum\"\n[[rules]]\n{body}\n");
    let report = "id = \"quarterly_report\"\nsubject = \"unit\"\ncadence = \"per_period\"\nperiod = \"quarter\"\ndue_month = 3\nfact = \"report\"\nbasis = \"x\"\n";
    let cases = [
        (
            rule(&format!("{report}due_day = 31")),
            "does not exist in every June",
        ),
        (
            rule(&format!("{report}due_day = 14\nevery_months = 3")),
            "does not belong to cadence per_period",
        ),
        (
            rule(&format!(
                "{}due_day = 14",
                report.replace("due_month = 3", "due_month = 4")
            )),
            "due_month must be 1–3",
        ),
        (
            rule(&format!(
                "{}due_day = 14",
                report.replace("basis = \"x\"", "basis = { \"nd99\" = \"x\" }")
            )),
            "unknown regime nd99",
        ),
        (
            rule(&format!(
                "{}due_day = 14",
                report.replace("subject = \"unit\"", "subject = \"unit\"\nlevels = [3]")
            )),
            "levels only apply to systems",
        ),
        (
            rule(
                "id = \"scan\"\nsubject = \"system\"\ncadence = \"rolling\"\nevery_months = 6\nlast = \"report\"\nbasis = \"x\"",
            ),
            "fact this subject does not have",
        ),
        (
            rule("id = \"scan\"\nsubject = \"system\"\ncadence = \"weekly\"\nbasis = \"x\""),
            "cadence \"weekly\"",
        ),
        (
            rule(
                "id = \"Scan\"\nsubject = \"system\"\ncadence = \"rolling\"\nevery_months = 6\nlast = \"last_scan\"\nbasis = \"x\"",
            ),
            "lower-case",
        ),
        (
            rule(
                "id = \"scan\"\nsubject = \"system\"\ncadence = \"rolling\"\nevery_months = 6\nlast = \"last_scan\"\nbasis = \"x\"\nvalid_from = \"2026-01-01\"\nvalid_to = \"2025-01-01\"",
            ),
            "valid_to is before valid_from",
        ),
        (
            rule(
                "id = \"scan\"\nsubject = \"system\"\ncadence = \"rolling\"\nevery_months = 6\nlast = \"last_scan\"\nbasis = \"x\"\n[[rules]]\nid = \"scan\"\nsubject = \"system\"\ncadence = \"rolling\"\nevery_months = 3\nlast = \"last_scan\"\nbasis = \"y\"\nvalid_from = \"2025-01-01\"",
            ),
            "bind the same systems",
        ),
    ];
    for (text, want) in cases {
        let err = load(&[("default.toml", DEFAULT), ("kon-tum.toml", &text)]).unwrap_err();
        assert!(err.to_string().contains(want), "{want}: {err}");
        assert!(err.to_string().contains("kon-tum.toml"), "{err}");
    }
    // The same id for different levels, or for windows that do not meet, is fine.
    let ok = rule(
        "id = \"scan\"\nsubject = \"system\"\nlevels = [1, 2]\ncadence = \"rolling\"\nevery_months = 6\nlast = \"last_scan\"\nbasis = \"x\"\n[[rules]]\nid = \"scan\"\nsubject = \"system\"\nlevels = [3]\ncadence = \"rolling\"\nevery_months = 3\nlast = \"last_scan\"\nbasis = \"y\"\n[[rules]]\nid = \"drill\"\nsubject = \"system\"\ncadence = \"rolling\"\nevery_months = 12\nlast = \"last_drill\"\nbasis = \"x\"\nvalid_to = \"2024-12-31\"\n[[rules]]\nid = \"drill\"\nsubject = \"system\"\ncadence = \"rolling\"\nevery_months = 6\nlast = \"last_drill\"\nbasis = \"x\"\nvalid_from = \"2025-01-01\"",
    );
    assert!(load(&[("default.toml", DEFAULT), ("kon-tum.toml", &ok)]).is_ok());
    // A file must be named after its province, and reports keep one kind of period.
    let err = load(&[
        ("default.toml", DEFAULT),
        ("kontum.toml", &rule(&format!("{report}due_day = 14"))),
    ])
    .unwrap_err();
    assert!(
        err.to_string().contains("name the file kon-tum.toml"),
        "{err}"
    );
    let monthly = "province = \"ha-tinh\"\nname = \"x\"\n[[rules]]\nid = \"quarterly_report\"\nsubject = \"unit\"\ncadence = \"per_period\"\nperiod = \"month\"\ndue_month = 1\ndue_day = 14\nfact = \"report\"\nbasis = \"x\"\n";
    let err = load(&[
        ("default.toml", DEFAULT),
        ("kon-tum.toml", &rule(&format!("{report}due_day = 14"))),
        ("ha-tinh.toml", monthly),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("two kinds of period"), "{err}");
}
