//! Output writers: aligned table, CSV (UTF-8 BOM, for Excel), JSON lines;
//! and the end-of-run summary.

use std::io::{self, Write};

use serde_json::{Map, Value};

use crate::detection::Detection;
use crate::hunt::HuntReport;
use crate::timeparse;

/// Output format of `khien hunt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    #[default]
    Table,
    Csv,
    Jsonl,
}

const COLUMNS: &[&str] = &[
    "timestamp",
    "source",
    "record_id",
    "computer",
    "channel",
    "event_id",
    "rule_id",
    "rule_title",
    "level",
    "author",
    "tags",
    "matched",
];

fn ts(d: &Detection) -> String {
    d.timestamp
        .as_ref()
        .map(timeparse::format)
        .unwrap_or_default()
}

fn matched_text(d: &Detection) -> String {
    d.matched
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn row(d: &Detection) -> [String; 12] {
    [
        ts(d),
        d.source.to_string(),
        d.record_id.to_string(),
        d.computer.clone(),
        d.channel.clone(),
        d.event_id.map(|e| e.to_string()).unwrap_or_default(),
        d.rule_id.clone(),
        d.rule_title.clone(),
        d.level.clone(),
        d.author.clone(),
        d.tags.join(","),
        matched_text(d),
    ]
}

/// One detection as a JSON object (the `jsonl` line).
pub fn to_json(d: &Detection) -> Value {
    let mut m = Map::new();
    m.insert(
        "timestamp".into(),
        d.timestamp
            .as_ref()
            .map_or(Value::Null, |t| Value::String(timeparse::format(t))),
    );
    m.insert("source".into(), Value::String(d.source.to_string()));
    m.insert("record_id".into(), Value::from(d.record_id));
    m.insert("computer".into(), Value::String(d.computer.clone()));
    m.insert("channel".into(), Value::String(d.channel.clone()));
    m.insert(
        "event_id".into(),
        d.event_id.map_or(Value::Null, Value::from),
    );
    m.insert("rule_id".into(), Value::String(d.rule_id.clone()));
    m.insert("rule_title".into(), Value::String(d.rule_title.clone()));
    m.insert("level".into(), Value::String(d.level.clone()));
    m.insert("author".into(), Value::String(d.author.clone()));
    m.insert("tags".into(), Value::from(d.tags.clone()));
    let mut matched = Map::new();
    for (k, v) in &d.matched {
        match matched.get_mut(k) {
            Some(Value::String(prev)) => {
                prev.push_str(" | ");
                prev.push_str(v);
            }
            _ => {
                matched.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    m.insert("matched".into(), Value::Object(matched));
    Value::Object(m)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(['=', '+', '-', '@']) {
        // Quote, and neutralise spreadsheet formulas with a leading quote.
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Table columns: (header, width); the last one is not padded.
const TABLE: &[(&str, usize)] = &[
    ("timestamp", 27),
    ("level", 13),
    ("computer", 20),
    ("channel", 24),
    ("event", 5),
    ("rule", 44),
    ("source#record", 36),
    ("matched", 100),
];

fn table_line(w: &mut dyn Write, cells: &[String]) -> io::Result<()> {
    let mut out = String::new();
    for (i, (c, (_, width))) in cells.iter().zip(TABLE).enumerate() {
        if i > 0 {
            out.push_str("  ");
        }
        let c = clip(c, *width);
        let n = c.chars().count();
        out.push_str(&c);
        if i + 1 < TABLE.len() {
            out.push_str(&" ".repeat(width.saturating_sub(n)));
        }
    }
    writeln!(w, "{}", out.trim_end())
}

/// Writes the header (CSV: UTF-8 BOM and column names; table: headings).
pub fn begin(w: &mut dyn Write, format: OutputFormat) -> io::Result<()> {
    match format {
        OutputFormat::Csv => {
            // BOM and CRLF line ends, so Excel opens it as UTF-8.
            w.write_all("\u{feff}".as_bytes())?;
            w.write_all(COLUMNS.join(",").as_bytes())?;
            w.write_all(b"\r\n")
        }
        OutputFormat::Table => table_line(
            w,
            &TABLE.iter().map(|(h, _)| h.to_string()).collect::<Vec<_>>(),
        ),
        OutputFormat::Jsonl => Ok(()),
    }
}

/// Writes one detection.
pub fn write_one(w: &mut dyn Write, format: OutputFormat, d: &Detection) -> io::Result<()> {
    match format {
        OutputFormat::Jsonl => {
            serde_json::to_writer(&mut *w, &to_json(d))?;
            w.write_all(b"\n")
        }
        OutputFormat::Csv => {
            let line: Vec<String> = row(d).iter().map(|f| csv_field(f)).collect();
            w.write_all(line.join(",").as_bytes())?;
            w.write_all(b"\r\n")
        }
        OutputFormat::Table => {
            let src = d.source.rsplit(['/', '\\']).next().unwrap_or(&d.source);
            table_line(
                w,
                &[
                    ts(d),
                    d.level.clone(),
                    d.computer.clone(),
                    d.channel.clone(),
                    d.event_id.map(|e| e.to_string()).unwrap_or_default(),
                    d.rule_title.clone(),
                    format!("{src}#{}", d.record_id),
                    matched_text(d),
                ],
            )
        }
    }
}

/// Writes a whole list (header included).
pub fn write(w: &mut dyn Write, format: OutputFormat, dets: &[Detection]) -> io::Result<()> {
    begin(w, format)?;
    for d in dets {
        write_one(w, format, d)?;
    }
    Ok(())
}

/// Why a hunted file was not really checked, if it was not.
pub fn file_warning(f: &crate::hunt::FileResult, iocs: bool) -> Option<&'static str> {
    if f.error.is_some() {
        Some("could not be read")
    } else if f.events == 0 {
        Some("no events")
    } else if f.in_period == 0 {
        Some("every event is outside the period")
    } else if f.rules_applied == 0 && !iocs {
        Some("no rule applies to these events")
    } else {
        None
    }
}

/// Coverage per file: format, events read, inside the period, rules that
/// applied, and a warning when a file was not really checked. With many
/// files only those with a warning are listed.
pub fn coverage(report: &HuntReport, iocs: bool) -> String {
    let mut s = String::new();
    let many = report.files.len() > 50;
    s.push_str("coverage (format, events, inside the period, rules applied):\n");
    let mut listed = 0;
    for f in &report.files {
        let warn = file_warning(f, iocs);
        if many && warn.is_none() {
            continue;
        }
        listed += 1;
        s.push_str(&format!(
            "  {}: {}, {} events, {} in period, {} rules{}\n",
            f.path.display(),
            f.format.map_or("?", |x| x.name()),
            f.events,
            f.in_period,
            f.rules_applied,
            warn.map(|w| format!("  WARNING: {w}")).unwrap_or_default()
        ));
    }
    if many && listed == 0 {
        s.push_str(&format!("  {} files, every one checked\n", report.files.len()));
    }
    for p in &report.unrecognised {
        s.push_str(&format!("  {}: not recognised, not hunted\n", p.display()));
    }
    for (p, why) in &report.passed_over {
        s.push_str(&format!("  {}: passed over: {why}\n", p.display()));
    }
    s
}

/// End-of-run summary text.
pub fn summary(report: &HuntReport, rules: usize, iocs: usize, rule_problems: &[String]) -> String {
    let mut s = String::new();
    s.push_str("== hunt summary ==\n");
    s.push_str(&format!(
        "files: {} hunted, {} not recognised; events: {}; skipped records: {}\n",
        report.files.len(),
        report.unrecognised.len(),
        report.events(),
        report.skipped_records()
    ));
    s.push_str(&format!(
        "sigma rules loaded: {rules}; IOCs loaded: {iocs}\n"
    ));
    s.push_str(&format!("detections: {}\n", report.counts.total));
    for (level, n) in report.by_level() {
        s.push_str(&format!("  {level}: {n}\n"));
    }
    let by_rule = report.by_rule();
    if !by_rule.is_empty() {
        s.push_str("by rule:\n");
        for (id, title, n) in by_rule.iter().take(50) {
            s.push_str(&format!("  {n:>7}  {title} [{id}]\n"));
        }
        if by_rule.len() > 50 {
            s.push_str(&format!("  ... {} more rules\n", by_rule.len() - 50));
        }
    }
    s.push_str(&coverage(report, iocs > 0));
    for f in &report.files {
        if f.skipped > 0 || f.incomplete {
            s.push_str(&format!(
                "skipped {} record(s) in {}{}\n",
                f.skipped,
                f.path.display(),
                if f.incomplete { " (part of the file could not be read)" } else { "" }
            ));
            for p in f.problems.iter().take(5) {
                s.push_str(&format!("    {p}\n"));
            }
        }
        if let Some(e) = &f.error {
            s.push_str(&format!("error: {e}\n"));
        }
    }
    for e in &report.errors {
        s.push_str(&format!("error: {e}\n"));
    }
    for p in rule_problems {
        s.push_str(p);
        s.push('\n');
    }
    s
}
