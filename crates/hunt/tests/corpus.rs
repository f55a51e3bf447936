//! Integration tests on the shared corpus (../../../shared/corpus, or
//! $KHIEN_CORPUS). A missing corpus fails the tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use khien_hunt::hunt::Hunter;
use khien_hunt::sigma::SigmaSet;

fn corpus() -> PathBuf {
    let p = std::env::var_os("KHIEN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus")));
    assert!(
        p.join("sigma/regression_data").is_dir(),
        "test corpus not found at {} (set KHIEN_CORPUS)",
        p.display()
    );
    p
}

fn find_files(dir: &Path, name: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            find_files(&p, name, out);
        } else if p.file_name().and_then(|n| n.to_str()) == Some(name) {
            out.push(p);
        }
    }
}

/// (rule id, match_count) from an info.yml (match_count defaults to 1).
fn read_info(p: &Path) -> (String, usize) {
    let text = std::fs::read_to_string(p).unwrap();
    let mut id = None;
    let mut count = 1;
    let mut in_meta = false;
    for line in text.lines() {
        let t = line.trim();
        if line.starts_with("rule_metadata:") {
            in_meta = true;
        } else if !line.starts_with(' ') {
            in_meta = false;
        }
        if in_meta && id.is_none() {
            if let Some(v) = t.strip_prefix("- id:").or_else(|| t.strip_prefix("id:")) {
                id = Some(v.trim().trim_matches('\'').trim_matches('"').to_string());
            }
        }
        if let Some(v) = t.strip_prefix("match_count:") {
            count = v.trim().parse().unwrap();
        }
    }
    (id.expect("rule id in info.yml"), count)
}

#[test]
fn sigma_regression_cases_all_85() {
    let root = corpus().join("sigma");
    let reg = root.join("regression_data");
    let mut infos = Vec::new();
    find_files(&reg, "info.yml", &mut infos);
    infos.sort();
    assert_eq!(infos.len(), 85, "expected 85 regression cases");
    let mut failures = Vec::new();
    for info in &infos {
        let (rule_id, expected) = read_info(info);
        let case_dir = info.parent().unwrap();
        let rel = case_dir.strip_prefix(&reg).unwrap();
        let rule_path = root.join(format!("{}.yml", rel.display()));
        let sigma = SigmaSet::load(&[rule_path.clone()]);
        if sigma.rule_count() != 1 {
            failures.push(format!(
                "{}: rule not loaded: errors {:?} skipped {:?}",
                rel.display(),
                sigma.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
                sigma.skipped
            ));
            continue;
        }
        let hunter = Hunter { sigma: Some(sigma), ..Hunter::default() };
        let evtx = case_dir.join(format!("{rule_id}.evtx"));
        let res = hunter.hunt_file(&evtx);
        let got = res.detections.iter().filter(|d| d.rule_id == rule_id).count();
        if got != expected || res.error.is_some() {
            failures.push(format!(
                "{}: expected {expected}, got {got} (events {}, error {:?})",
                rel.display(),
                res.events,
                res.error
            ));
        }
    }
    println!("regression: {}/85 passed", 85 - failures.len());
    assert!(failures.is_empty(), "{} of 85 regression cases failed:\n{}", failures.len(), failures.join("\n"));
}
