//! The examples in docs/level-input.md are run, so the documentation cannot drift.

use std::collections::BTreeSet;

use khien_levels::classify_json;
use serde_json::Value;

// ------------------------------------------------------------------ docs cannot drift

#[test]
fn every_example_in_docs_level_input_md_gives_the_documented_output() {
    let doc = include_str!("../../../../docs/level-input.md");
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let kind = match line.trim() {
            "```json input" => &mut inputs,
            "```json output" => &mut outputs,
            _ => continue,
        };
        let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        kind.push(block.join("\n"));
    }
    assert_eq!(inputs.len(), 10, "one example per level per regime");
    assert_eq!(inputs.len(), outputs.len());
    let mut covered = BTreeSet::new();
    for (i, (inp, out)) in inputs.iter().zip(&outputs).enumerate() {
        let got: Value = serde_json::from_str(
            &classify_json(inp).unwrap_or_else(|e| panic!("example {i}: {e}")),
        )
        .unwrap();
        let want: Value =
            serde_json::from_str(out).unwrap_or_else(|e| panic!("example {i} output: {e}"));
        assert_eq!(got, want, "example {i}:\n{inp}");
        covered.insert((
            got["regime"].as_str().unwrap().to_string(),
            got["level"].as_u64().unwrap(),
        ));
    }
    assert_eq!(
        covered.len(),
        10,
        "examples cover levels 1–5 of both regimes: {covered:?}"
    );
}
