//! Parse-only baseline for the benchmarks (docs/benchmarks.md): reads every
//! EVTX file under the given paths with the same reader, threads and file
//! walk as `khien hunt`, but runs no rule.
//!
//! `evtx-parse [--json] [--threads N] PATH...`
//! * default: EVTX -> the hunt's records (what `khien hunt` parses);
//! * `--json`: the `evtx` crate's JSON rendering only, one record at a time
//!   (what `evtx_dump -o jsonl` does, without writing).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;

fn main() -> std::process::ExitCode {
    let mut json = false;
    let mut threads = 0;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => json = true,
            "--threads" => threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(0),
            _ => paths.push(PathBuf::from(a)),
        }
    }
    if paths.is_empty() {
        eprintln!("usage: evtx-parse [--json] [--threads N] PATH...");
        return std::process::ExitCode::from(2);
    }
    let start = Instant::now();
    let mut errors = Vec::new();
    let files = khien_hunt::hunt::collect_inputs(&paths, &mut errors);
    let events = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    pool.install(|| {
        files.par_iter().for_each(|f| {
            if let Ok(m) = std::fs::metadata(f) {
                bytes.fetch_add(m.len(), Ordering::Relaxed);
            }
            let n = if json { render_json(f) } else { records(f) };
            events.fetch_add(n, Ordering::Relaxed);
        });
    });
    let secs = start.elapsed().as_secs_f64();
    let ev = events.load(Ordering::Relaxed);
    let mb = bytes.load(Ordering::Relaxed) as f64 / 1e6;
    println!(
        "{} files, {ev} events, {mb:.1} MB in {secs:.3} s: {:.0} events/s, {:.1} MB/s",
        files.len(),
        ev as f64 / secs,
        mb / secs
    );
    std::process::ExitCode::SUCCESS
}

fn records(path: &std::path::Path) -> u64 {
    use khien_hunt::readers::{Format, detect, read_file};
    match detect(path) {
        Ok(Format::Unknown) | Err(_) => 0,
        Ok(fmt) => read_file(path, fmt, &mut |_| {}).map_or(0, |s| s.events),
    }
}

fn render_json(path: &std::path::Path) -> u64 {
    let settings = evtx::ParserSettings::new()
        .num_threads(1)
        .separate_json_attributes(false);
    let Ok(parser) = evtx::EvtxParser::from_path(path) else {
        return 0;
    };
    let mut parser = parser.with_configuration(settings);
    let mut n = 0;
    for r in parser.records_json_bytes().flatten() {
        std::hint::black_box(&r.data);
        n += 1;
    }
    n
}
