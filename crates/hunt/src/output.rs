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

pub fn write_jsonl(w: &mut dyn Write, dets: &[Detection]) -> io::Result<()> {
    for d in dets {
        serde_json::to_writer(&mut *w, &to_json(d))?;
        w.write_all(b"\n")?;
    }
    Ok(())
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

/// CSV with a UTF-8 BOM and CRLF line ends, so Excel opens it as UTF-8.
pub fn write_csv(w: &mut dyn Write, dets: &[Detection]) -> io::Result<()> {
    w.write_all("\u{feff}".as_bytes())?;
    w.write_all(COLUMNS.join(",").as_bytes())?;
    w.write_all(b"\r\n")?;
    for d in dets {
        let line: Vec<String> = row(d).iter().map(|f| csv_field(f)).collect();
        w.write_all(line.join(",").as_bytes())?;
        w.write_all(b"\r\n")?;
    }
    Ok(())
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

/// Human-readable table (long fields clipped).
pub fn write_table(w: &mut dyn Write, dets: &[Detection]) -> io::Result<()> {
    let headers = [
        "timestamp",
        "level",
        "computer",
        "channel",
        "event",
        "rule",
        "source#record",
        "matched",
    ];
    let rows: Vec<[String; 8]> = dets
        .iter()
        .map(|d| {
            let src = d.source.rsplit('/').next().unwrap_or(&d.source);
            [
                ts(d),
                d.level.clone(),
                clip(&d.computer, 24),
                clip(&d.channel, 28),
                d.event_id.map(|e| e.to_string()).unwrap_or_default(),
                clip(&d.rule_title, 48),
                clip(&format!("{src}#{}", d.record_id), 40),
                clip(&matched_text(d), 80),
            ]
        })
        .collect();
    let mut widths = headers.map(|h| h.chars().count());
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |w: &mut dyn Write, cells: &[String]| -> io::Result<()> {
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            out.push_str(c);
            if i + 1 < cells.len() {
                out.push_str(&" ".repeat(widths[i].saturating_sub(c.chars().count())));
            }
        }
        writeln!(w, "{}", out.trim_end())
    };
    line(w, &headers.map(String::from))?;
    for r in &rows {
        line(w, r)?;
    }
    Ok(())
}

pub fn write(w: &mut dyn Write, format: OutputFormat, dets: &[Detection]) -> io::Result<()> {
    match format {
        OutputFormat::Table => write_table(w, dets),
        OutputFormat::Csv => write_csv(w, dets),
        OutputFormat::Jsonl => write_jsonl(w, dets),
    }
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
    s.push_str(&format!("detections: {}\n", report.detections.len()));
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
    for f in &report.files {
        if f.skipped > 0 {
            s.push_str(&format!(
                "skipped {} record(s) in {}\n",
                f.skipped,
                f.path.display()
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
