use serde_json::{Value, json};

use crate::incident_clocks::{ClockRules, IncidentFacts, deadlines_json, incident_deadlines};
use crate::{DueAt, DutyError};
use khien_levels::Calendar;

fn run(input: Value) -> Result<Value, DutyError> {
    let facts = IncidentFacts::from_json(&input.to_string())?;
    let dues = incident_deadlines(&facts, Calendar::vietnam().unwrap())?;
    Ok(super::json(&deadlines_json(&facts.regime, &dues)?))
}

/// (kind, due) pairs of an answer.
fn dues(out: &Value) -> Vec<(String, Value)> {
    out["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["kind"].as_str().unwrap().to_string(), r["due"].clone()))
        .collect()
}

fn pairs(list: &[(&str, Value)]) -> Vec<(String, Value)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

const TT20_A: &str = "Điều 9 khoản 2 điểm a Thông tư 20/2017/TT-BTTTT";
const TT20_B: &str = "Điều 9 khoản 2 điểm b Thông tư 20/2017/TT-BTTTT";
const ND331: &str = "Điều 31 khoản 2 điểm d Nghị định 331/2026/NĐ-CP";

#[test]
fn legacy_regime_cases() {
    let cases: Vec<(Value, Vec<(&str, Value)>)> = vec![
        // Friday 23:30: five days from Saturday, Wed 19/08 is a working day.
        (
            json!({"regime": "nd85-2016", "detected_at": "2026-08-14T23:30:00+07:00"}),
            vec![("notification", json!("2026-08-19T23:59:59+07:00"))],
        ),
        // The same wall-clock time in New York is Saturday in Vietnam: one day later.
        (
            json!({"regime": "nd85-2016", "detected_at": "2026-08-14T23:30:00-05:00"}),
            vec![("notification", json!("2026-08-20T23:59:59+07:00"))],
        ),
        // UTC input: 17:30 Z is 00:30 on Tue 25/08 in Vietnam → Sun 30/08 → Mon 31/08.
        (
            json!({"regime": "nd85-2016", "detected_at": "2026-08-24T17:30:00Z"}),
            vec![("notification", json!("2026-08-31T23:59:59+07:00"))],
        ),
        // Detected Sat 25/04: last day Thu 30/04 (holiday), Fri 01/05 (holiday), weekend.
        (
            json!({"regime": "nd85-2016", "detected_at": "2026-04-25T10:00:00+07:00"}),
            vec![("notification", json!("2026-05-04T23:59:59+07:00"))],
        ),
        // Beyond capacity: initial report at once; the response is still going on.
        (
            json!({"regime": "nd85-2016", "detected_at": "2026-12-29T08:00:00+07:00", "beyond_capacity": true}),
            vec![
                ("notification", json!("2027-01-04T23:59:59+07:00")), // Sun 03/01 → Mon
                ("initial_report", json!("immediately")),
                ("closure_report", Value::Null),
            ],
        ),
        // Response ended on the eve of National Day week: Wed 02/09 off → Thu 03/09.
        (
            json!({"regime": "nd85-2016", "detected_at": "2026-08-20T09:00:00+07:00",
                   "beyond_capacity": true, "response_ended_at": "2026-08-28T16:00:00+07:00"}),
            vec![
                ("notification", json!("2026-08-25T23:59:59+07:00")),
                ("initial_report", json!("immediately")),
                ("closure_report", json!("2026-09-03T23:59:59+07:00")),
            ],
        ),
        // Response ended before Tết: last day Mon 16/02 is Tết, so is the week, then
        // the weekend → Mon 23/02.
        (
            json!({"regime": "nd85-2016", "detected_at": "2026-02-02T09:00:00+07:00",
                   "beyond_capacity": true, "response_ended_at": "2026-02-11T16:00:00+07:00"}),
            vec![
                ("notification", json!("2026-02-09T23:59:59+07:00")), // Sat 07/02 → Mon 09/02
                ("initial_report", json!("immediately")),
                ("closure_report", json!("2026-02-23T23:59:59+07:00")),
            ],
        ),
        // Handled in-house: no Form 03 or Form 04, whatever the response's end.
        (
            json!({"regime": "nd85-2016", "detected_at": "2026-03-02T09:00:00+07:00",
                   "response_ended_at": "2026-03-03T09:00:00+07:00", "serious": true}),
            vec![("notification", json!("2026-03-09T23:59:59+07:00"))], // Sat 07/03 → Mon
        ),
        // Personal data: 72 hours from the confirmation, exactly, through a weekend.
        (
            json!({"regime": "nd85-2016", "detected_at": "2025-06-02T09:00:00+07:00",
                   "personal_data_breach_confirmed_at": "2025-06-05T22:10:00+07:00"}),
            vec![
                ("notification", json!("2025-06-09T23:59:59+07:00")), // Sat 07/06 → Mon 09/06
                (
                    "personal_data_breach_notice",
                    json!("2025-06-08T22:10:00+07:00"),
                ),
            ],
        ),
    ];
    for (input, want) in cases {
        let out = run(input.clone()).unwrap();
        assert_eq!(out["regime"], "nd85-2016");
        assert_eq!(dues(&out), pairs(&want), "{input}");
    }
}

#[test]
fn regime_2026_cases() {
    let cases: Vec<(Value, Vec<(&str, Value)>)> = vec![
        // An ordinary incident: the 72-hour report and an open-ended closure report.
        (
            json!({"regime": "nd331-2026", "detected_at": "2026-08-21T10:05:00+07:00"}),
            vec![
                ("report", json!("2026-08-24T10:05:00+07:00")),
                ("closure_report", Value::Null),
            ],
        ),
        // Serious, Friday 23:30: 24 h runs into Saturday, 72 h into Monday — no moving.
        (
            json!({"regime": "nd331-2026", "detected_at": "2026-08-14T23:30:00+07:00", "serious": true}),
            vec![
                ("initial_notice", json!("2026-08-15T23:30:00+07:00")),
                ("report", json!("2026-08-17T23:30:00+07:00")),
                ("closure_report", Value::Null),
            ],
        ),
        // Offsets: -05:00 and Z come out in +07:00.
        (
            json!({"regime": "nd331-2026", "detected_at": "2026-12-31T20:15:00-05:00",
                   "serious_interruption": true}),
            vec![
                ("immediate_report", json!("immediately")),
                ("report", json!("2027-01-04T08:15:00+07:00")),
                ("closure_report", Value::Null),
            ],
        ),
        (
            json!({"regime": "nd331-2026", "detected_at": "2026-09-01T02:00:00Z",
                   "national_security_signs": true, "serious": true,
                   "personal_data_breach_confirmed_at": "2026-09-02T03:30:00Z",
                   "response_ended_at": "2026-09-10T00:00:00Z", "beyond_capacity": true}),
            vec![
                ("immediate_report", json!("immediately")),
                ("initial_notice", json!("2026-09-02T09:00:00+07:00")),
                ("report", json!("2026-09-04T09:00:00+07:00")),
                ("closure_report", Value::Null),
                (
                    "personal_data_breach_notice",
                    json!("2026-09-05T10:30:00+07:00"),
                ),
            ],
        ),
        // Seconds survive, fractions of a second are dropped (shown early, never late).
        (
            json!({"regime": "nd331-2026", "detected_at": "2026-02-28T23:59:59.750+07:00"}),
            vec![
                ("report", json!("2026-03-03T23:59:59+07:00")),
                ("closure_report", Value::Null),
            ],
        ),
    ];
    for (input, want) in cases {
        let out = run(input.clone()).unwrap();
        assert_eq!(out["regime"], "nd331-2026");
        assert_eq!(dues(&out), pairs(&want), "{input}");
    }
}

#[test]
fn every_report_cites_its_article() {
    let out = run(
        json!({"regime": "nd85-2016", "detected_at": "2026-08-20T09:00:00+07:00",
        "beyond_capacity": true, "response_ended_at": "2026-08-28T16:00:00+07:00",
        "personal_data_breach_confirmed_at": "2026-08-21T09:00:00+07:00"}),
    )
    .unwrap();
    let basis: Vec<&str> = out["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["basis"].as_str().unwrap())
        .collect();
    assert_eq!(
        basis,
        [
            TT20_A,
            TT20_B,
            TT20_B,
            "Điều 23 khoản 1 Nghị định 13/2023/NĐ-CP"
        ]
    );
    let out = run(
        json!({"regime": "nd331-2026", "detected_at": "2026-08-20T09:00:00+07:00", "serious": true,
        "personal_data_breach_confirmed_at": "2026-08-21T09:00:00+07:00"}),
    )
    .unwrap();
    let basis: Vec<&str> = out["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["basis"].as_str().unwrap())
        .collect();
    assert_eq!(
        basis,
        [ND331, ND331, ND331, "Điều 23 khoản 1 Luật 91/2025/QH15"]
    );
    for b in basis {
        assert!(b.starts_with("Điều ") && b.contains(" khoản "), "{b}");
    }
}

#[test]
fn provisional_when_an_estimated_holiday_moved_the_deadline() {
    // Last day Tue 01/09/2026, the adjacent National Day the calendar estimates.
    let facts = IncidentFacts::from_json(
        &json!({"regime": "nd85-2016", "detected_at": "2026-08-27T09:00:00+07:00"}).to_string(),
    )
    .unwrap();
    let dues = incident_deadlines(&facts, Calendar::vietnam().unwrap()).unwrap();
    assert_eq!(dues.len(), 1);
    assert!(dues[0].provisional);
    assert!(matches!(dues[0].due, DueAt::At(_)));
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let cases = [
        (
            json!({"regime": "nd99-2030", "detected_at": "2026-08-14T23:30:00+07:00"}),
            "unknown regime",
        ),
        (
            json!({"regime": "nd85-2016"}),
            "missing field `detected_at`",
        ),
        (
            json!({"regime": "nd85-2016", "detected_at": "2026-08-14 23:30"}),
            "not an RFC 3339",
        ),
        (
            json!({"regime": "nd85-2016", "detected_at": "2026-02-30T10:00:00+07:00"}),
            "not an RFC 3339",
        ),
        (
            json!({"regime": "nd85-2016", "detected_at": "2026-08-14T23:30:00"}),
            "not an RFC 3339",
        ),
        (
            json!({"regime": "nd85-2016", "detected_at": "2026-08-14T23:30:00+07:00", "severity": "high"}),
            "unknown field `severity`",
        ),
        (
            json!({"regime": "nd85-2016", "detected_at": "2026-08-14T23:30:00+07:00", "serious": "yes"}),
            "invalid type",
        ),
        (
            json!({"regime": "nd85-2016", "detected_at": "2026-08-14T23:30:00+07:00",
                "response_ended_at": "2026-08-14T10:00:00+07:00"}),
            "before detected_at",
        ),
    ];
    for (input, want) in cases {
        let err = run(input.clone()).unwrap_err();
        assert!(err.is_input_error(), "{input}: {err}");
        assert!(err.to_string().contains(want), "{input}: {err}");
    }
    // Null is "absent".
    let out = run(
        json!({"regime": "nd85-2016", "detected_at": "2026-08-14T23:30:00+07:00",
        "beyond_capacity": null, "response_ended_at": null}),
    )
    .unwrap();
    assert_eq!(dues(&out).len(), 1);
}

#[test]
fn a_year_the_calendar_lacks_is_an_error_not_a_guess() {
    let err = run(json!({"regime": "nd85-2016", "detected_at": "2029-03-01T09:00:00+07:00"}))
        .unwrap_err();
    assert_eq!(err.code(), "level.calendar_year_missing");
    assert!(!err.is_input_error());
    // Hours need no calendar: the 2026 regime answers for any year.
    let out =
        run(json!({"regime": "nd331-2026", "detected_at": "2031-03-01T09:00:00+07:00"})).unwrap();
    assert_eq!(dues(&out)[0].1, json!("2031-03-04T09:00:00+07:00"));
}

#[test]
fn clock_rules_are_checked_when_loaded() {
    let shipped = include_str!("../../../../data/regimes/incident-clocks.toml");
    assert!(ClockRules::from_toml(shipped, "x").is_ok());
    let bad = [
        (
            shipped.replace("id = \"nd85-2016\"", "id = \"nd86-2016\""),
            "unknown regime",
        ),
        (
            shipped.replace("kind = \"initial_report\"", "kind = \"notification\""),
            "listed twice",
        ),
        (
            shipped.replace("due = { days = 5 }", "due = { days = 5000 }"),
            "longer than a year",
        ),
        (
            shipped.replace("when_any = [\"serious\"]", "when_any = [\"grave\"]"),
            "unknown variant",
        ),
    ];
    for (text, want) in bad {
        let err = ClockRules::from_toml(&text, "x").unwrap_err();
        assert!(err.to_string().contains(want), "{err}");
    }
}
