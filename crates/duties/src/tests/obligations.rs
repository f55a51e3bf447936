use serde_json::{Value, json};

use crate::DutyError;
use crate::obligations::{CheckInput, obligations_for, obligations_json};
use crate::rules::Rules;

fn rules() -> Rules {
    Rules::embedded().unwrap()
}

fn run_with(input: Value, rules: &Rules) -> Result<Value, DutyError> {
    let i = CheckInput::from_json(&input.to_string(), rules)?;
    let list = obligations_for(
        &i.unit,
        &i.systems,
        i.today,
        i.due_soon_days,
        &i.province,
        &i.regime,
        rules,
    )?;
    Ok(super::json(&obligations_json(&list)?))
}

fn run(input: Value) -> Result<Value, DutyError> {
    run_with(input, &rules())
}

/// (obligation, subject, due, status) rows of an answer.
fn rows(out: &Value) -> Vec<(String, Value, String, String)> {
    out["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["obligation"].as_str().unwrap().to_string(),
                o["subject"].clone(),
                o["due"].as_str().unwrap().to_string(),
                o["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn expect(list: &[(&str, Value, &str, &str)]) -> Vec<(String, Value, String, String)> {
    list.iter()
        .map(|(o, s, d, st)| (o.to_string(), s.clone(), d.to_string(), st.to_string()))
        .collect()
}

fn basis_of<'a>(out: &'a Value, obligation: &str) -> Vec<&'a str> {
    out["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["obligation"] == obligation)
        .map(|o| o["basis"].as_str().unwrap())
        .collect()
}

/// A unit with systems in every situation; today is Thursday 20/08/2026, so "due soon"
/// reaches Saturday 19/09.
fn unit_case(province: &str, regime: &str, reports: Value) -> Value {
    json!({
        "regime": regime, "province": province, "today": "2026-08-20", "due_soon_days": 30,
        "unit": {"last_assessment": "2024-09-10", "reports": reports},
        "systems": [
            {"id": "hue-1", "level": 3, "status": "operating", "last_scan": "2026-02-28",
             "last_hunt": "2026-03-31", "last_drill": "2026-05-10", "last_assessment": "2025-08-31",
             "last_critical_fix": "2026-08-01"},
            {"id": 7, "level": 2, "status": "operating", "last_hunt": "2026-01-19"},
            {"id": "old", "level": 4, "status": "retired"},
            {"id": "new", "level": 3, "status": "planned"},
            {"id": "site", "level": 3, "status": "building", "last_scan": "2020-01-01"},
            {"id": "l5", "level": 5, "status": "operating", "last_scan": "2026-07-01", "last_hunt": "2026-07-01",
             "last_assessment": "2026-03-01", "last_critical_fix": "2026-06-01"}
        ]
    })
}

/// The national obligations of `unit_case` (retired, planned and building systems owe
/// nothing).
fn national_rows() -> Vec<(&'static str, Value, &'static str, &'static str)> {
    vec![
        // 28/02 + 6 months = Fri 28/08.
        ("scan", json!("hue-1"), "2026-08-28", "due_soon"),
        // Never scanned: owed today.
        ("scan", json!(7), "2026-08-20", "due_soon"),
        // 01/07 + 6 months = Fri 01/01/2027 (New Year) → Mon 04/01.
        ("scan", json!("l5"), "2027-01-04", "ok"),
        // 31/03 + 6 months = Wed 30/09 (September has no 31st).
        ("hunt", json!("hue-1"), "2026-09-30", "ok"),
        // 19/01 + 6 months = Sun 19/07 → Mon 20/07, a month ago.
        ("hunt", json!(7), "2026-07-20", "overdue"),
        ("hunt", json!("l5"), "2027-01-04", "ok"),
        // Fixed 01/08, last hunt before it: owed that day.
        ("hunt_after_fix", json!("hue-1"), "2026-08-01", "overdue"),
        // Fixed 01/06, hunted 01/07: done.
        ("hunt_after_fix", json!("l5"), "2026-06-01", "done"),
        // Drill dated in 2026: done; none for l5 yet: due 31/12.
        ("drill", json!("hue-1"), "2026-12-31", "done"),
        ("drill", json!("l5"), "2026-12-31", "ok"),
        // Level 3: 31/08/2025 + 12 months = Mon 31/08/2026.
        (
            "system_assessment",
            json!("hue-1"),
            "2026-08-31",
            "due_soon",
        ),
        // Level 5: 01/03 + 6 months = Tue 01/09 and Wed 02/09 off → Thu 03/09.
        ("system_assessment", json!("l5"), "2026-09-03", "due_soon"),
        // 10/09/2024 + 24 months = Thu 10/09/2026.
        ("unit_assessment", json!("unit"), "2026-09-10", "due_soon"),
        // Before 20/12: the 19th; only 2025's was submitted.
        ("annual_level_report", json!("unit"), "2026-12-19", "ok"),
    ]
}

#[test]
fn national_rules_for_every_kind_of_system() {
    let reports =
        json!([{"kind": "annual_level_report", "period": "2025", "submitted_on": "2025-12-18"}]);
    let out = run(unit_case("default", "nd85-2016", reports.clone())).unwrap();
    assert_eq!(rows(&out), expect(&national_rows()));
    assert_eq!(
        basis_of(&out, "system_assessment"),
        ["Điều 20 khoản 2 điểm c Nghị định 85/2016/NĐ-CP"; 2]
    );
    assert_eq!(
        basis_of(&out, "annual_level_report"),
        ["Điều 13 khoản 4 điểm a Thông tư 12/2022/TT-BTTTT"]
    );
    assert!(basis_of(&out, "scan")[0].starts_with("Chỉ thị 18/CT-TTg"));

    // Under Decree 331 the same duties, cited from it.
    let out = run(unit_case("default", "nd331-2026", reports)).unwrap();
    assert_eq!(rows(&out), expect(&national_rows()));
    assert_eq!(
        basis_of(&out, "annual_level_report"),
        ["Điều 35 khoản 4 điểm a Nghị định 331/2026/NĐ-CP"]
    );
    assert!(
        basis_of(&out, "system_assessment")[0]
            .starts_with("Điều 31 khoản 2 điểm c Nghị định 331/2026/NĐ-CP")
    );
}

#[test]
fn dak_lak_owes_the_national_rules_only() {
    let out = run(unit_case("dak-lak", "nd85-2016", json!([]))).unwrap();
    assert_eq!(rows(&out), expect(&national_rows()));
}

#[test]
fn thai_nguyen_adds_monthly_and_quarterly_reports_and_cites_its_letter() {
    let reports = json!([
        {"kind": "monthly_report", "period": "2026-08", "submitted_on": "2026-08-12"},
        {"kind": "quarterly_report", "period": "2026-Q2", "submitted_on": "2026-06-10"}
    ]);
    let out = run(unit_case("thai-nguyen", "nd85-2016", reports)).unwrap();
    let mut want = national_rows();
    // Q3: before the 15th of September; only Q2 was submitted.
    want.push(("quarterly_report", json!("unit"), "2026-09-14", "due_soon"));
    // August's report was submitted on the 12th.
    want.push(("monthly_report", json!("unit"), "2026-08-14", "done"));
    assert_eq!(rows(&out), expect(&want));
    assert!(
        basis_of(&out, "hunt_after_fix")
            .iter()
            .all(|b| b.contains("1880/UBND-KGVX"))
    );
    assert!(basis_of(&out, "monthly_report")[0].contains("1880/UBND-KGVX"));
}

#[test]
fn report_occurrences_by_period() {
    // (province, today, reports, expected report rows)
    type Case = (
        &'static str,
        &'static str,
        Value,
        Vec<(&'static str, &'static str, &'static str)>,
    );
    let cases: Vec<Case> = vec![
        // September's and Q3's due on the 14th, both missed by the 20th.
        (
            "thai-nguyen",
            "2026-09-20",
            json!([]),
            vec![
                ("annual_level_report", "2026-12-19", "ok"),
                ("quarterly_report", "2026-09-14", "overdue"),
                ("monthly_report", "2026-09-14", "overdue"),
            ],
        ),
        // October: Q4 is due in December, October's report on the 14th.
        (
            "thai-nguyen",
            "2026-10-01",
            json!([{"kind": "quarterly_report", "period": "2026-Q3", "submitted_on": "2026-09-30"}]),
            vec![
                ("annual_level_report", "2026-12-19", "ok"),
                ("quarterly_report", "2026-12-14", "ok"),
                ("monthly_report", "2026-10-14", "due_soon"),
            ],
        ),
        // A fixed date does not move: Sat 14/03/2026 stays.
        (
            "thai-nguyen",
            "2026-03-14",
            json!([{"kind": "monthly_report", "period": "2026-03", "submitted_on": "2026-03-13"}]),
            vec![
                ("annual_level_report", "2026-12-19", "ok"),
                ("quarterly_report", "2026-03-14", "due_soon"),
                ("monthly_report", "2026-03-14", "done"),
            ],
        ),
        // Monthly reports start in May 2024: none for April; Q2 2024 is owed.
        (
            "thai-nguyen",
            "2024-04-20",
            json!([]),
            vec![
                ("annual_level_report", "2024-12-19", "ok"),
                ("quarterly_report", "2024-06-14", "ok"),
            ],
        ),
        (
            "thai-nguyen",
            "2024-05-02",
            json!([]),
            vec![
                ("annual_level_report", "2024-12-19", "ok"),
                ("quarterly_report", "2024-06-14", "ok"),
                ("monthly_report", "2024-05-14", "due_soon"),
            ],
        ),
        // Kon Tum: the quarter's report due Mon 14/12, missed on the 15th; the annual
        // level report on the 19th is close.
        (
            "kon-tum",
            "2026-12-15",
            json!([]),
            vec![
                ("annual_level_report", "2026-12-19", "due_soon"),
                ("quarterly_report", "2026-12-14", "overdue"),
            ],
        ),
        (
            "kon-tum",
            "2026-12-15",
            json!([
            {"kind": "quarterly_report", "period": "2026-Q4", "submitted_on": "2026-12-15"},
            {"kind": "annual_level_report", "period": "2026", "submitted_on": "2026-12-01"}]),
            vec![
                ("annual_level_report", "2026-12-19", "done"),
                ("quarterly_report", "2026-12-14", "done"),
            ],
        ),
        // A report of a kind another province asks for is accepted and changes nothing.
        (
            "kon-tum",
            "2026-01-10",
            json!([{"kind": "monthly_report", "period": "2026-01", "submitted_on": "2026-01-09"}]),
            vec![
                ("annual_level_report", "2026-12-19", "ok"),
                ("quarterly_report", "2026-03-14", "ok"),
            ],
        ),
        // Hà Tĩnh: the inspection report before 25/11 (the 24th).
        (
            "ha-tinh",
            "2026-11-25",
            json!([]),
            vec![
                ("annual_level_report", "2026-12-19", "due_soon"),
                ("annual_inspection_report", "2026-11-24", "overdue"),
            ],
        ),
        (
            "ha-tinh",
            "2026-11-25",
            json!([{"kind": "annual_inspection_report", "period": "2026", "submitted_on": "2026-11-25"}]),
            vec![
                ("annual_level_report", "2026-12-19", "due_soon"),
                ("annual_inspection_report", "2026-11-24", "done"),
            ],
        ),
        (
            "ha-tinh",
            "2027-01-05",
            json!([{"kind": "annual_inspection_report", "period": "2026", "submitted_on": "2026-11-20"}]),
            vec![
                ("annual_level_report", "2027-12-19", "ok"),
                ("annual_inspection_report", "2027-11-24", "ok"),
            ],
        ),
        // The default rules have no provincial reports.
        (
            "default",
            "2026-09-20",
            json!([]),
            vec![("annual_level_report", "2026-12-19", "ok")],
        ),
    ];
    for (province, today, reports, want) in cases {
        let out = run(
            json!({"regime": "nd85-2016", "province": province, "today": today,
            "unit": {"reports": reports}}),
        )
        .unwrap();
        let got: Vec<(String, String, String)> = rows(&out)
            .into_iter()
            .filter(|r| r.0.ends_with("_report"))
            .map(|r| (r.0, r.2, r.3))
            .collect();
        let want: Vec<(String, String, String)> = want
            .iter()
            .map(|(o, d, s)| (o.to_string(), d.to_string(), s.to_string()))
            .collect();
        assert_eq!(got, want, "{province} on {today}");
    }
}

#[test]
fn kon_tum_cites_its_letter_for_assessments() {
    let out = run(unit_case("kon-tum", "nd85-2016", json!([]))).unwrap();
    let mut want = national_rows();
    want.push(("quarterly_report", json!("unit"), "2026-09-14", "due_soon"));
    assert_eq!(rows(&out), expect(&want));
    for b in basis_of(&out, "system_assessment")
        .iter()
        .chain(&basis_of(&out, "unit_assessment"))
    {
        assert!(
            b.contains("Điều 20 khoản 2 điểm c Nghị định 85/2016/NĐ-CP") && b.contains("Kon Tum"),
            "{b}"
        );
    }
}

#[test]
fn rolling_periods_across_month_ends_leap_years_and_holidays() {
    // (last scan, today, due, status)
    let cases = [
        ("2023-08-31", "2024-02-20", "2024-02-29", "due_soon"), // leap day, a Thursday
        ("2025-08-29", "2026-02-20", "2026-03-02", "due_soon"), // no 29/02/2026; Sat 28 → Mon
        ("2025-08-17", "2026-01-10", "2026-02-23", "ok"),       // 17/02/2026 is Tết
        ("2025-10-30", "2026-05-04", "2026-05-04", "due_soon"), // 30/04, 01/05, weekend
        ("2025-10-30", "2026-05-05", "2026-05-04", "overdue"),
        ("2026-06-30", "2026-08-20", "2026-12-30", "ok"),
        ("2026-06-30", "2026-12-31", "2026-12-30", "overdue"),
    ];
    for (last, today, due, status) in cases {
        let out = run(json!({"regime": "nd85-2016", "province": "default", "today": today,
            "systems": [{"id": "s", "level": 1, "status": "operating", "last_scan": last, "last_hunt": today}]}))
        .unwrap();
        let scan = rows(&out).into_iter().find(|r| r.0 == "scan").unwrap();
        assert_eq!(
            (scan.2.as_str(), scan.3.as_str()),
            (due, status),
            "last scan {last}, today {today}"
        );
    }
}

#[test]
fn due_soon_window_and_levels() {
    // A level 1 system owes scans and hunts only; no level: the same.
    let input = |days: u32| {
        json!({"regime": "nd85-2016", "province": "default", "today": "2026-08-20", "due_soon_days": days,
            "unit": {"last_assessment": "2026-01-01"},
            "systems": [
                {"id": "a", "level": 1, "status": "operating", "last_scan": "2026-02-21", "last_hunt": "2026-02-20"},
                {"id": "b", "status": "operating", "last_scan": "2026-02-20", "last_hunt": "2026-02-20"}]})
    };
    let out = run(input(0)).unwrap();
    assert_eq!(
        rows(&out),
        expect(&[
            ("scan", json!("a"), "2026-08-21", "ok"),
            ("scan", json!("b"), "2026-08-20", "due_soon"),
            ("hunt", json!("a"), "2026-08-20", "due_soon"),
            ("hunt", json!("b"), "2026-08-20", "due_soon"),
            // 01/01/2026 + 24 months = Sat 01/01/2028; Mon 03/01 is the compensatory
            // New Year day → Tue 04/01.
            ("unit_assessment", json!("unit"), "2028-01-04", "ok"),
            ("annual_level_report", json!("unit"), "2026-12-19", "ok"),
        ])
    );
    let out = run(input(1)).unwrap();
    assert_eq!(rows(&out)[0].3, "due_soon");
    // Without due_soon_days the window is 30 days.
    let mut i = input(0);
    i.as_object_mut().unwrap().remove("due_soon_days");
    i["systems"][0]["last_scan"] = json!("2026-03-19"); // → Sat 19/09 → Mon 21/09
    let out = run(i.clone()).unwrap();
    assert_eq!(
        (rows(&out)[0].2.as_str(), rows(&out)[0].3.as_str()),
        ("2026-09-21", "ok")
    );
    i["systems"][0]["last_scan"] = json!("2026-03-18"); // → Fri 18/09
    let out = run(i).unwrap();
    assert_eq!(
        (rows(&out)[0].2.as_str(), rows(&out)[0].3.as_str()),
        ("2026-09-18", "due_soon")
    );
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let base = || json!({"regime": "nd85-2016", "province": "default", "today": "2026-08-20"});
    let with = |k: &str, v: Value| {
        let mut b = base();
        b[k] = v;
        b
    };
    let sys = |s: Value| with("systems", json!([s]));
    let cases = [
        (
            with("province", json!("ha-noi")),
            "unknown province `ha-noi`",
        ),
        (with("regime", json!("nd99")), "unknown regime `nd99`"),
        (with("today", json!("2026-02-30")), "not a date"),
        (with("today", json!("20/08/2026")), "not a date"),
        (with("colour", json!("red")), "unknown field `colour`"),
        (with("due_soon_days", json!(-1)), "invalid value"),
        (with("due_soon_days", json!(100000)), "at most 3660"),
        (
            sys(json!({"id": "a", "level": 6, "status": "operating"})),
            "level 6 is not 1–5",
        ),
        (
            sys(json!({"id": "a", "level": 3, "status": "active"})),
            "unknown variant `active`",
        ),
        (
            sys(json!({"id": "a", "status": "operating", "last_scan": "2026-09-01"})),
            "after today",
        ),
        (
            sys(json!({"id": "a", "status": "operating", "last_scn": "2026-01-01"})),
            "unknown field `last_scn`",
        ),
        (
            with(
                "systems",
                json!([{"id": 1, "status": "operating"}, {"id": "1", "status": "retired"}]),
            ),
            "listed twice",
        ),
        (
            with(
                "unit",
                json!({"reports": [{"kind": "weekly_report", "period": "2026", "submitted_on": "2026-01-01"}]}),
            ),
            "unknown report kind",
        ),
        (
            with(
                "unit",
                json!({"reports": [{"kind": "quarterly_report", "period": "2026-08", "submitted_on": "2026-08-01"}]}),
            ),
            "is not YYYY-Qn",
        ),
        (
            with(
                "unit",
                json!({"reports": [{"kind": "monthly_report", "period": "2026-8", "submitted_on": "2026-08-01"}]}),
            ),
            "is not YYYY-MM",
        ),
        (
            with(
                "unit",
                json!({"reports": [{"kind": "monthly_report", "period": "2026-13", "submitted_on": "2026-08-01"}]}),
            ),
            "is not YYYY-MM",
        ),
        (
            with(
                "unit",
                json!({"reports": [{"kind": "annual_level_report", "period": "2026-Q4", "submitted_on": "2026-08-01"}]}),
            ),
            "is not YYYY",
        ),
        (
            with(
                "unit",
                json!({"reports": [{"kind": "annual_level_report", "period": "2026"}]}),
            ),
            "missing field `submitted_on`",
        ),
        (
            with("unit", json!({"last_assessment": "2027-01-01"})),
            "after today",
        ),
    ];
    for (input, want) in cases {
        let err = run(input.clone()).unwrap_err();
        assert!(err.is_input_error(), "{input}: {err}");
        assert!(err.to_string().contains(want), "{input}: {err}");
    }
}

#[test]
fn a_due_date_in_a_year_the_calendar_lacks_is_an_error() {
    let err = run(json!({"regime": "nd85-2016", "province": "default", "today": "2028-12-01",
        "systems": [{"id": "a", "status": "operating", "last_scan": "2028-08-01", "last_hunt": "2028-12-01"}]}))
    .unwrap_err();
    assert_eq!(err.code(), "level.calendar_year_missing");
    assert!(err.to_string().contains("2029"));
}

#[test]
fn an_edited_copy_of_the_rules_changes_the_answer_without_a_release() {
    let dir = std::env::temp_dir().join(format!("khien-duties-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/obligations");
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    let input = json!({"regime": "nd85-2016", "province": "ha-tinh", "today": "2026-08-20",
        "systems": [{"id": "a", "status": "operating", "last_scan": "2026-02-28", "last_hunt": "2026-08-01"}]});
    let shipped = Rules::from_dir(&dir).unwrap();
    assert_eq!(
        run_with(input.clone(), &shipped).unwrap(),
        run(input.clone()).unwrap()
    );

    // The department scans every 3 months and moves its inspection report to 30/11.
    let default = std::fs::read_to_string(dir.join("default.toml")).unwrap();
    std::fs::write(
        dir.join("default.toml"),
        default.replacen(
            "every_months = 6\nlast = \"last_scan\"",
            "every_months = 3\nlast = \"last_scan\"",
            1,
        ),
    )
    .unwrap();
    let ha_tinh = std::fs::read_to_string(dir.join("ha-tinh.toml")).unwrap();
    std::fs::write(
        dir.join("ha-tinh.toml"),
        ha_tinh.replace("due_day = 24", "due_day = 30"),
    )
    .unwrap();
    let edited = Rules::from_dir(&dir).unwrap();
    let out = run_with(input, &edited).unwrap();
    let got: Vec<_> = rows(&out)
        .into_iter()
        .filter(|r| r.0 == "scan" || r.0 == "annual_inspection_report")
        .collect();
    assert_eq!(
        got,
        expect(&[
            ("scan", json!("a"), "2026-05-28", "overdue"),
            (
                "annual_inspection_report",
                json!("unit"),
                "2026-11-30",
                "ok"
            ),
        ])
    );

    // A broken copy is refused, naming the file.
    std::fs::write(
        dir.join("ha-tinh.toml"),
        "province = \"ha-tinh\"\nname = \"Hà Tĩnh\"\nrules = [{ id = \"x\" }]\n",
    )
    .unwrap();
    let err = Rules::from_dir(&dir).unwrap_err();
    assert!(err.to_string().contains("ha-tinh.toml"), "{err}");
    std::fs::remove_file(dir.join("ha-tinh.toml")).unwrap();
    std::fs::remove_file(dir.join("default.toml")).unwrap();
    let err = Rules::from_dir(&dir).unwrap_err();
    assert!(err.to_string().contains("default.toml"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
