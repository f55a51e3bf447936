//! Integration tests of khien-levels: data consistency, every criterion of both regimes,
//! components, errors, working days, and the examples in docs/level-input.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use khien_levels::catalogue::RequirementKind;
use khien_levels::dates::parse_date;
use khien_levels::regime::{ClockStep, Evaluation};
use khien_levels::{
    Calendar, LevelError, LevelInput, Role, RoleNames, all_regimes, classify, classify_json,
    load_regime, regime_in_force,
};
use serde_json::{Value, json};

// ------------------------------------------------------------------ helpers

fn input(regime: &str, fields: Value) -> LevelInput {
    let mut obj = fields.as_object().cloned().unwrap_or_default();
    obj.insert("regime".into(), json!(regime));
    serde_json::from_value(Value::Object(obj)).expect("test input parses")
}

/// Who appraises and approves, per regime and level (domain.md §1.3, §11.2) — written out
/// here independently of the data files.
fn expected_roles(regime: &str, level: u8) -> (Role, Role) {
    let ministry = if regime == "nd85-2016" {
        Role::MinistryIct
    } else {
        Role::MinistryPublicSecurity
    };
    match level {
        1 | 2 => (Role::SpecialisedUnit, Role::SpecialisedUnit),
        3 => (Role::SpecialisedUnit, Role::Owner),
        4 => (ministry, Role::Owner),
        5 => (ministry, Role::PrimeMinister),
        _ => panic!("no level {level}"),
    }
}

// ------------------------------------------------------------------ data consistency

#[test]
fn every_data_file_parses_and_is_consistent() {
    let regimes = all_regimes().expect("regime data parses");
    let ids: Vec<&str> = regimes.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["nd85-2016", "nd331-2026"]);
    for r in regimes {
        let mut seen = BTreeSet::new();
        for c in r.criteria.iter().chain(&r.fallback) {
            assert!(
                seen.insert(c.id.clone()),
                "{}: duplicate criterion id {}",
                r.id,
                c.id
            );
            assert!(
                c.article.starts_with("Điều "),
                "{} {}: article missing",
                r.id,
                c.id
            );
            assert!(!c.text.trim().is_empty(), "{} {}: text missing", r.id, c.id);
            assert!(
                (1..=5).contains(&c.level),
                "{} {}: level {}",
                r.id,
                c.id,
                c.level
            );
            match c.evaluation {
                Evaluation::Automatic => {
                    assert!(
                        !c.when.is_empty(),
                        "{} {}: automatic criterion without `when`",
                        r.id,
                        c.id
                    )
                }
                Evaluation::Manual => {
                    assert!(c.when.is_empty(), "{} {}: manual with `when`", r.id, c.id)
                }
            }
        }
        for level in 1..=5u8 {
            assert!(
                r.criteria
                    .iter()
                    .any(|c| c.level == level && c.evaluation == Evaluation::Automatic),
                "{}: level {level} has no automatic criterion",
                r.id
            );
            let a = r.authority(level).expect("authority row per level");
            assert_eq!(
                (a.appraiser, a.approver),
                expected_roles(&r.id, level),
                "{} L{level}",
                r.id
            );
            assert_eq!(
                a.expert_opinion.is_some(),
                level >= 4,
                "{} L{level} expert opinion",
                r.id
            );
            assert_eq!(
                a.plan_approver,
                (level == 5).then_some(Role::Owner),
                "{} L{level}",
                r.id
            );
            assert!(
                r.clock(ClockStep::Approval, level).is_some(),
                "{} L{level} approval clock",
                r.id
            );
            let parts: Vec<&str> = r.dossier_for(level).map(|p| p.key.as_str()).collect();
            assert_eq!(
                parts.len(),
                if level >= 4 { 5 } else { 4 },
                "{} L{level} dossier",
                r.id
            );
            assert!(
                r.catalogue.for_level(level).count() > 0,
                "{} L{level} catalogue",
                r.id
            );
        }
        assert!(r.clock(ClockStep::Appraisal, 3).is_some());
        assert!(r.clock(ClockStep::Appraisal, 4).is_some());
        for req in &r.catalogue.requirements {
            assert!(
                r.catalogue.group(&req.group).is_some(),
                "{}: unknown group {}",
                r.id,
                req.group
            );
        }
    }
    Calendar::vietnam().expect("holiday data parses");
    let names = RoleNames::defaults().expect("role names parse");
    for role in [
        Role::SpecialisedUnit,
        Role::Owner,
        Role::OperatingUnit,
        Role::MinistryIct,
        Role::MinistryPublicSecurity,
        Role::MinistryDefence,
        Role::GovernmentCipherBoard,
        Role::PrimeMinister,
    ] {
        assert!(names.get(role).is_some(), "no display name for {role:?}");
    }
}

#[test]
fn validity_dates_and_regime_in_force() {
    let nd85 = load_regime("nd85-2016").unwrap();
    let nd331 = load_regime("nd331-2026").unwrap();
    assert_eq!(nd85.valid_from, parse_date("2016-07-01").unwrap());
    assert_eq!(nd331.valid_from, parse_date("2026-08-19").unwrap());
    assert_eq!(nd85.valid_until, Some(parse_date("2026-08-18").unwrap()));
    let on = |d: &str| {
        regime_in_force(parse_date(d).unwrap())
            .unwrap()
            .map(|r| r.id.as_str())
    };
    assert_eq!(on("2026-08-18"), Some("nd85-2016"));
    assert_eq!(on("2026-08-19"), Some("nd331-2026"));
    assert_eq!(on("2010-01-01"), None);
}

#[test]
fn circular_12_catalogue_matches_the_appendix_counts() {
    let cat = &load_regime("nd85-2016").unwrap().catalogue;
    // domain.md §3.3, counted from the Circular 12 appendices.
    let expect = [
        (RequirementKind::Management, [13, 16, 20, 20, 20]),
        (RequirementKind::Plan, [2, 2, 2, 2, 2]),
        (RequirementKind::Technical, [13, 17, 21, 21, 21]),
        (RequirementKind::NetworkZone, [3, 5, 7, 8, 8]),
        (RequirementKind::DesignMeasure, [3, 6, 16, 17, 19]),
    ];
    for (kind, counts) in expect {
        for (i, n) in counts.iter().enumerate() {
            let level = i as u8 + 1;
            assert_eq!(cat.count(kind, level), *n, "{kind:?} at level {level}");
        }
    }
    // Every TCVN 11930 clause sits in the level's clause (5 = level 1 … 9 = level 5) and
    // the group's sub-clause (x.1 management, x.2 technical).
    let mut seen = BTreeSet::new();
    for (level, (req, at)) in (1..=5u8).flat_map(|l| cat.for_level(l).map(move |x| (l, x))) {
        if let Some(clause) = &at.clause {
            let prefix = format!(
                "{}.{}.",
                level + 4,
                if req.kind == RequirementKind::Management {
                    1
                } else {
                    2
                }
            );
            assert!(
                clause.starts_with(&prefix),
                "{} L{level}: {clause}",
                req.key
            );
            assert!(seen.insert(clause.clone()), "clause {clause} used twice");
        }
        let item = at.item.as_deref().unwrap_or_default();
        assert!(!item.is_empty(), "{} L{level}: no appendix item", req.key);
    }
    let incident = cat
        .requirements
        .iter()
        .find(|r| r.key == "m.ops.incident")
        .unwrap();
    assert_eq!(
        incident.at_level(3).unwrap().clause.as_deref(),
        Some("7.1.5.8")
    );
    assert!(incident.at_level(1).is_none());
}

#[test]
fn tcvn_14423_catalogue_is_marked_partial() {
    let cat = &load_regime("nd331-2026").unwrap().catalogue;
    assert!(!cat.verified);
    assert!(cat.groups.iter().filter(|g| !g.verified).count() >= 17);
    for level in 1..=5 {
        assert_eq!(cat.count(RequirementKind::Management, level), 5);
        assert_eq!(cat.count(RequirementKind::Plan, level), 2);
        assert_eq!(cat.count(RequirementKind::Technical, level), 4);
    }
}

// ------------------------------------------------------------------ every criterion

/// One table row: the criterion that must fire for `input`, at `level`.
#[derive(serde::Deserialize)]
struct Case {
    regime: String,
    criterion: String,
    level: u8,
    input: Value,
}

/// The table of criterion cases (tests/criterion-cases.jsonl; `//` lines are comments).
fn criterion_cases() -> Vec<Case> {
    include_str!("criterion-cases.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("//"))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad case {l}: {e}")))
        .collect()
}

#[test]
fn every_criterion_fires_with_its_article_and_authorities() {
    for case in criterion_cases() {
        let (regime_id, id, fields, level) = (
            case.regime.as_str(),
            case.criterion.as_str(),
            case.input,
            case.level,
        );
        let regime = load_regime(regime_id).unwrap();
        let criterion = regime
            .criteria
            .iter()
            .find(|c| c.id == id)
            .expect("criterion exists");
        assert_eq!(criterion.level, level, "{regime_id} {id}: data level");
        let d = classify(&input(regime_id, fields.clone())).unwrap();
        let ctx = format!("{regime_id} {id} {fields}");
        assert_eq!(d.level, level, "{ctx}");
        assert!(!d.fallback, "{ctx}");
        let fired = d
            .criteria
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("{ctx}: not fired: {:?}", d.criteria));
        assert_eq!(fired.article, criterion.article, "{ctx}");
        assert_eq!(fired.text, criterion.text, "{ctx}");
        assert!(
            d.criteria.iter().all(|c| regime
                .criteria
                .iter()
                .any(|k| k.id == c.id && k.level == level)),
            "{ctx}"
        );
        assert_eq!(
            (d.appraiser, d.approver),
            expected_roles(regime_id, level),
            "{ctx}"
        );
    }
}

#[test]
fn the_case_table_covers_every_automatic_criterion() {
    let cases = criterion_cases();
    for r in all_regimes().unwrap() {
        for c in r
            .criteria
            .iter()
            .filter(|c| c.evaluation == Evaluation::Automatic)
        {
            assert!(
                cases
                    .iter()
                    .any(|k| k.regime == r.id && k.criterion == c.id),
                "{} {} has no test case",
                r.id,
                c.id
            );
        }
    }
}

#[test]
fn manual_criteria_are_listed_but_never_fire() {
    let nd85 = load_regime("nd85-2016").unwrap();
    let nd331 = load_regime("nd331-2026").unwrap();
    let manual = |r: &khien_levels::Regime| -> Vec<String> {
        r.criteria
            .iter()
            .filter(|c| c.evaluation == Evaluation::Manual)
            .map(|c| c.id.clone())
            .collect()
    };
    assert_eq!(manual(nd85), ["11.5"]);
    assert_eq!(manual(nd331), ["11.2", "12.4", "13.5", "14.4", "15.5"]);
}

#[test]
fn thresholds_are_exact() {
    let level = |r: &str, f: Value| classify(&input(r, f)).unwrap().level;
    let cb = |p: u64, s: u64| json!({"system_type": "citizen_business", "information": ["personal"], "personal_data_subjects": p, "sensitive_data_subjects": s});
    assert_eq!(level("nd85-2016", cb(9_999, 0)), 2);
    assert_eq!(level("nd85-2016", cb(10_000, 0)), 3);
    assert_eq!(
        level("nd331-2026", cb(10_000, 0)),
        2,
        "Decree 331 raised the basic threshold"
    );
    assert_eq!(level("nd331-2026", cb(99_999, 9_999)), 2);
    assert_eq!(level("nd331-2026", cb(100_000, 0)), 3);
    assert_eq!(level("nd331-2026", cb(0, 10_000)), 3);
}

#[test]
fn fields_of_the_other_regime_are_ignored() {
    // Decree 331 has no online-public-service levels; Decree 85 has no
    // administrative-procedure criterion. One stored system record can be classified
    // under both regimes.
    let ops = json!({"system_type": "citizen_business", "online_public_service_level": 4});
    assert_eq!(classify(&input("nd331-2026", ops)).unwrap().level, 2);
    let tthc =
        json!({"system_type": "citizen_business", "handles_administrative_procedures": true});
    assert_eq!(classify(&input("nd85-2016", tthc)).unwrap().level, 2);
}

#[test]
fn highest_criterion_wins_and_all_criteria_at_that_level_are_listed() {
    let d = classify(&input(
        "nd331-2026",
        json!({"system_type": "citizen_business", "information": ["personal"], "handles_administrative_procedures": true,
               "conditional_business_service": true, "personal_data_subjects": 250000}),
    ))
    .unwrap();
    assert_eq!(d.level, 3);
    let ids: Vec<&str> = d.criteria.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["13.2.a", "13.2.b", "13.2.c"]);
}

// ------------------------------------------------------------------ fallback

#[test]
fn systems_meeting_no_criterion_use_the_fallback_rule() {
    for regime in ["nd85-2016", "nd331-2026"] {
        let cases = [
            (
                json!({"system_type": "other", "information": ["public"]}),
                1,
            ),
            (json!({"system_type": "other"}), 1),
            (
                json!({"system_type": "other", "information": ["personal"]}),
                2,
            ),
            (
                json!({"system_type": "industrial_control", "information": ["private"]}),
                2,
            ),
            (json!({"system_type": "infrastructure"}), 1),
            (json!({}), 1),
        ];
        for (fields, level) in cases {
            let d = classify(&input(regime, fields.clone())).unwrap();
            assert_eq!(d.level, level, "{regime} {fields}");
            assert!(d.fallback, "{regime} {fields}");
            assert_eq!(d.criteria.len(), 1);
            assert!(d.criteria[0].id.starts_with("fallback"));
            assert_eq!((d.appraiser, d.approver), expected_roles(regime, level));
        }
        // `other` systems still meet the type-free criteria.
        let d = classify(&input(
            regime,
            json!({"system_type": "other", "defence_security_harm": "harm"}),
        ))
        .unwrap();
        assert_eq!(d.level, 3);
        assert!(!d.fallback);
    }
}

// ------------------------------------------------------------------ components

#[test]
fn component_systems_take_the_highest_level() {
    let d = classify(&input(
        "nd85-2016",
        json!({"system_type": "internal", "information": ["public"], "components": [
            {"system_type": "internal", "information": ["private"]},
            {"system_type": "citizen_business", "online_public_service_level": 3},
            {"system_type": "infrastructure", "infrastructure_scope": "sector_or_province",
             "components": [{"system_type": "citizen_business", "conditional_business_service": true}]}
        ]}),
    ))
    .unwrap();
    assert_eq!(d.level, 3);
    let ids: Vec<&str> = d.criteria.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["9.2.a", "9.3", "9.2.b"]);
    assert_eq!(
        (d.appraiser, d.approver),
        (Role::SpecialisedUnit, Role::Owner)
    );

    // A parent with no type of its own is a pure container.
    let d = classify(&input(
        "nd331-2026",
        json!({"components": [
            {"regime": "nd331-2026", "system_type": "internal", "information": ["public"]},
            {"system_type": "infrastructure", "infrastructure_scope": "national", "requires_24x7": true}
        ]}),
    ))
    .unwrap();
    assert_eq!(d.level, 4);
    assert_eq!(
        d.criteria.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["14.2"]
    );
    assert_eq!(
        (d.appraiser, d.approver),
        (Role::MinistryPublicSecurity, Role::Owner)
    );

    // Duplicates across components are listed once; a level-5 part makes it level 5.
    let d = classify(&input(
        "nd85-2016",
        json!({"system_type": "infrastructure", "infrastructure_scope": "international", "components": [
            {"system_type": "infrastructure", "infrastructure_scope": "international"},
            {"system_type": "industrial_control", "industrial_works_grade": "I"}
        ]}),
    ))
    .unwrap();
    assert_eq!(d.level, 5);
    assert_eq!(d.criteria.len(), 1);
    assert_eq!(
        (d.appraiser, d.approver),
        (Role::MinistryIct, Role::PrimeMinister)
    );
    assert_eq!(d.plan_approver, Some(Role::Owner));
    assert_eq!(d.expert_opinion, Some(Role::SpecialisedUnit));

    // A fallback component does not hide a real criterion at the same level.
    let d = classify(&input(
        "nd85-2016",
        json!({"components": [{"system_type": "other", "information": ["private"]}, {"system_type": "internal", "information": ["private"]}]}),
    ))
    .unwrap();
    assert_eq!(d.level, 2);
    assert_eq!(d.criteria.len(), 2);
    assert!(!d.fallback);
}

// ------------------------------------------------------------------ errors

fn err(text: &str) -> LevelError {
    classify_json(text).expect_err("should fail")
}

#[test]
fn bad_input_is_a_clear_input_error() {
    let cases = [
        (
            r#"{"regime": "nd85-2016", "system_type": "internal", "colour": "red"}"#,
            "unknown field `colour`",
        ),
        (
            r#"{"regime": "nd85-2016", "system_type": "intranet"}"#,
            "unknown variant `intranet`",
        ),
        (
            r#"{"regime": "nd85-2016", "information": ["secret"]}"#,
            "unknown variant `secret`",
        ),
        (
            r#"{"regime": "nd85-2016", "industrial_works_grade": "V"}"#,
            "unknown variant `V`",
        ),
        (
            r#"{"regime": "nd85-2016", "defence_security_harm": "grave"}"#,
            "unknown variant `grave`",
        ),
        (
            r#"{"regime": "nd85-2016", "infrastructure_scope": "global"}"#,
            "unknown variant `global`",
        ),
        (
            r#"{"regime": "nd85-2016", "components": [{"system_type": "internal", "typo": 1}]}"#,
            "unknown field `typo`",
        ),
        (
            r#"{"regime": "nd85-2016", "personal_data_subjects": -3}"#,
            "invalid value",
        ),
        (
            r#"{"regime": "nd85-2016", "online_public_service_level": 5}"#,
            "online_public_service_level must be 0–4",
        ),
        (r#"{"system_type": "internal"}"#, "`regime` is required"),
        (
            r#"{"regime": "nd85-2016", "components": [{"regime": "nd331-2026"}]}"#,
            "components[0].regime",
        ),
        (r#"{"regime": "nd85-2016""#, "EOF"),
    ];
    for (text, needle) in cases {
        let e = err(text);
        assert!(e.is_input_error(), "{text}: {e:?}");
        assert!(
            e.to_string().contains(needle),
            "{text}: `{e}` lacks `{needle}`"
        );
        assert_eq!(e.code(), "level.invalid_input");
    }
    let e = err(r#"{"regime": "nd72-2030"}"#);
    assert!(matches!(e, LevelError::UnknownRegime(..)));
    assert!(e.is_input_error());
    assert!(e.to_string().contains("nd85-2016, nd331-2026"));
}

#[test]
fn cli_exit_codes() {
    use khien_levels::{LevelCommand, run};
    let dir = std::env::temp_dir().join(format!("khien-levels-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    std::fs::write(
        &good,
        r#"{"regime": "nd331-2026", "system_type": "internal"}"#,
    )
    .unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"regime": "nd331-2026", "system_kind": "internal"}"#,
    )
    .unwrap();
    let code = |file| format!("{:?}", run(LevelCommand::Classify { file }));
    assert_eq!(code(good), format!("{:?}", std::process::ExitCode::SUCCESS));
    assert_eq!(code(bad), format!("{:?}", std::process::ExitCode::from(2)));
    assert_eq!(
        code(dir.join("missing.json")),
        format!("{:?}", std::process::ExitCode::from(2))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[path = "levels/calendar.rs"]
mod calendar;
#[path = "levels/docs.rs"]
mod docs;
#[path = "levels/periods.rs"]
mod periods;
