//! Hunt orchestration: walks inputs, reads each file in parallel (rayon),
//! runs Sigma and IOC matching per record and gathers detections and
//! counters. Records are never kept: only detections are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use time::Timestamp;

use crate::detection::{Detection, level_rank, timeline_cmp};
use crate::error::HuntError;
use crate::ioc::IocSet;
use crate::readers::{self, Format};
use crate::record::Record;
use crate::sigma::SigmaSet;
use crate::spill::Spill;

/// What to hunt with, and the time window.
#[derive(Default)]
pub struct Hunter {
    pub sigma: Option<SigmaSet>,
    pub ioc: Option<IocSet>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// Result of hunting one file.
#[derive(Debug, Default)]
pub struct FileResult {
    pub path: PathBuf,
    pub format: Option<Format>,
    pub events: u64,
    /// Events inside the hunt's period (all of them when there is none;
    /// events without a time count as inside).
    pub in_period: u64,
    /// Records that could not be read (see [`crate::readers::ReadStats`]).
    pub skipped: u64,
    /// Whether part of the file could not be read at all (a truncated EVTX
    /// chunk, ...): its records are not counted anywhere.
    pub incomplete: bool,
    /// Distinct Sigma rules (and correlations) evaluated on at least one
    /// in-period event of this file.
    pub rules_applied: usize,
    pub problems: Vec<String>,
    pub error: Option<String>,
    pub detections: Vec<Detection>,
}

/// Per-file scratch space of [`Hunter::check_record`].
#[derive(Debug, Default)]
pub struct Scratch {
    keys: Vec<String>,
    /// Routing keys with rules seen in this file.
    hit: Vec<String>,
    in_period: u64,
}

/// Detection counters of a hunt.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub total: u64,
    pub by_level: BTreeMap<(u8, String), usize>,
    pub by_rule: BTreeMap<(String, String), usize>,
}

impl Counts {
    pub fn add(&mut self, d: &Detection) {
        self.total += 1;
        *self
            .by_level
            .entry((level_rank(&d.level), d.level.clone()))
            .or_default() += 1;
        *self
            .by_rule
            .entry((d.rule_id.clone(), d.rule_title.clone()))
            .or_default() += 1;
    }
}

/// Result of a whole hunt.
#[derive(Debug, Default)]
pub struct HuntReport {
    pub files: Vec<FileResult>,
    /// All detections, in timeline order ([`Hunter::hunt`] only; empty
    /// after [`Hunter::hunt_stream`]).
    pub detections: Vec<Detection>,
    pub counts: Counts,
    /// Files that were not logs we know (skipped, not an error).
    pub unrecognised: Vec<PathBuf>,
    /// Inputs passed over while walking, and why (not a regular file, a
    /// directory already walked through a link, ...).
    pub passed_over: Vec<(PathBuf, String)>,
    /// Input paths that could not be walked.
    pub errors: Vec<String>,
}

impl HuntReport {
    pub fn events(&self) -> u64 {
        self.files.iter().map(|f| f.events).sum()
    }
    pub fn skipped_records(&self) -> u64 {
        self.files.iter().map(|f| f.skipped).sum()
    }
    /// Detections per level, most severe first.
    pub fn by_level(&self) -> Vec<(String, usize)> {
        let mut m: BTreeMap<(u8, String), usize> = BTreeMap::new();
        for d in &self.detections {
            *m.entry((level_rank(&d.level), d.level.clone()))
                .or_default() += 1;
        }
        m.into_iter().rev().map(|((_, l), n)| (l, n)).collect()
    }
    /// Detections per (rule id, title), most frequent first.
    pub fn by_rule(&self) -> Vec<(String, String, usize)> {
        let mut m: BTreeMap<(String, String), usize> = BTreeMap::new();
        for d in &self.detections {
            *m.entry((d.rule_id.clone(), d.rule_title.clone()))
                .or_default() += 1;
        }
        let mut v: Vec<_> = m.into_iter().map(|((i, t), n)| (i, t, n)).collect();
        v.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        v
    }
    /// True when some input failed to read.
    pub fn had_errors(&self) -> bool {
        !self.errors.is_empty() || self.files.iter().any(|f| f.error.is_some())
    }
}

/// Files under the given paths (directories walked recursively, sorted).
/// Links are followed, but a directory is walked once however many links
/// lead to it, and a file is hunted once; FIFOs, sockets and devices are
/// passed over (opening a FIFO would wait forever).
pub fn collect_inputs(paths: &[PathBuf], errors: &mut Vec<String>) -> Vec<PathBuf> {
    collect_inputs_noting(paths, errors, &mut Vec::new())
}

/// [`collect_inputs`], also listing what was passed over, and why.
pub fn collect_inputs_noting(
    paths: &[PathBuf],
    errors: &mut Vec<String>,
    passed_over: &mut Vec<(PathBuf, String)>,
) -> Vec<PathBuf> {
    let mut w = Walk {
        out: Vec::new(),
        errors,
        passed_over,
        seen_dirs: std::collections::HashSet::new(),
        seen_files: std::collections::HashSet::new(),
    };
    for p in paths {
        w.walk(p, 0);
    }
    w.out
}

struct Walk<'a> {
    out: Vec<PathBuf>,
    errors: &'a mut Vec<String>,
    passed_over: &'a mut Vec<(PathBuf, String)>,
    seen_dirs: std::collections::HashSet<PathBuf>,
    seen_files: std::collections::HashSet<PathBuf>,
}

impl Walk<'_> {
    fn walk(&mut self, p: &Path, depth: usize) {
        if depth > 64 {
            self.passed_over
                .push((p.to_path_buf(), "more than 64 directories deep".into()));
            return;
        }
        let m = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) => {
                self.errors.push(HuntError::io(p, e).to_string());
                return;
            }
        };
        // The real path tells a directory reached twice (a link loop, or two
        // links to one place) from a new one.
        let real = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        if m.is_dir() {
            if !self.seen_dirs.insert(real.clone()) {
                self.passed_over.push((
                    p.to_path_buf(),
                    format!("directory already walked as {}", real.display()),
                ));
                return;
            }
            match std::fs::read_dir(p) {
                Ok(rd) => {
                    let mut entries: Vec<PathBuf> =
                        rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
                    entries.sort();
                    for e in entries {
                        self.walk(&e, depth + 1);
                    }
                }
                Err(e) => self.errors.push(HuntError::io(p, e).to_string()),
            }
        } else if m.is_file() {
            if self.seen_files.insert(real.clone()) {
                self.out.push(p.to_path_buf());
            } else {
                self.passed_over.push((
                    p.to_path_buf(),
                    format!("same file as {}", real.display()),
                ));
            }
        } else {
            self.passed_over
                .push((p.to_path_buf(), format!("not a regular file ({})", kind_of(&m))));
        }
    }
}

fn kind_of(m: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = m.file_type();
        if t.is_fifo() {
            return "FIFO";
        }
        if t.is_socket() {
            return "socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "device";
        }
    }
    let _ = m;
    "special file"
}

impl Hunter {
    fn in_window(&self, rec: &Record) -> bool {
        match rec.timestamp {
            Some(t) => self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|to| t <= to),
            None => true,
        }
    }

    /// Runs the rules and IOCs on one record.
    pub fn check_record(&self, rec: &Record, scratch: &mut Scratch, out: &mut Vec<Detection>) {
        if !self.in_window(rec) {
            return;
        }
        scratch.in_period += 1;
        if let Some(s) = &self.sigma {
            crate::sigma::logsource::event_keys(rec, &mut scratch.keys);
            s.note_keys(&scratch.keys, &mut scratch.hit);
            s.evaluate_keys(rec, &scratch.keys, out);
        }
        if let Some(i) = &self.ioc {
            i.evaluate(rec, out);
        }
    }

    /// Hunts one file on its own: detections in timeline order, with
    /// correlation rules applied within the file.
    pub fn hunt_file(&self, path: &Path) -> FileResult {
        let mut r = self.hunt_file_raw(path, &mut |_| {});
        self.finish_detections(&mut r.detections);
        r
    }

    /// Sorts, then applies correlation rules (which need time order).
    pub fn finish_detections(&self, dets: &mut Vec<Detection>) {
        sort_timeline(dets);
        if let Some(s) = self.sigma.as_ref().filter(|s| !s.correlations.is_empty()) {
            s.correlate(dets);
            sort_timeline(dets);
        }
    }

    /// Hunts one file; `flush` is handed the detection buffer whenever it
    /// grows past a few thousand (it may take them), and at the end.
    fn hunt_file_raw(&self, path: &Path, flush: &mut dyn FnMut(&mut Vec<Detection>)) -> FileResult {
        let mut res = FileResult {
            path: path.to_path_buf(),
            ..FileResult::default()
        };
        let format = match readers::detect(path) {
            Ok(f) => f,
            Err(e) => {
                res.error = Some(e.to_string());
                return res;
            }
        };
        res.format = Some(format);
        if format == Format::Unknown {
            return res;
        }
        let mut scratch = Scratch::default();
        let mut dets = Vec::new();
        // A reader or a dependency must never take the hunt down: a panic
        // while reading one file becomes that file's error.
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let r = readers::read_file(path, format, &mut |rec| {
                self.check_record(&rec, &mut scratch, &mut dets);
                if dets.len() >= 4096 {
                    flush(&mut dets);
                }
            });
            flush(&mut dets);
            r
        }));
        match read {
            Ok(Ok(stats)) => {
                res.events = stats.events;
                res.skipped = stats.skipped;
                res.incomplete = stats.incomplete;
                res.problems = stats.problems;
            }
            Ok(Err(e)) => res.error = Some(e.to_string()),
            Err(p) => {
                let msg = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                res.error = Some(format!(
                    "{}: internal error while reading: {msg}",
                    path.display()
                ));
            }
        }
        res.in_period = scratch.in_period;
        res.rules_applied = self
            .sigma
            .as_ref()
            .map_or(0, |s| s.rules_applied(&scratch.hit));
        res.detections = dets;
        res
    }

    /// Hunts all inputs in parallel and keeps every detection in memory
    /// (timeline order). For large inputs use [`Hunter::hunt_stream`].
    pub fn hunt(&self, paths: &[PathBuf], progress: &(dyn Fn(u64, u64) + Sync)) -> HuntReport {
        let mut all = Vec::new();
        let mut report = self.hunt_stream(paths, progress, usize::MAX, &mut |d| {
            all.push(d.clone());
            Ok(())
        });
        report.detections = all;
        report
    }

    /// Hunts all inputs in parallel (one file per task) and hands each
    /// detection to `sink` in timeline order, correlations applied. At most
    /// `mem_limit` detections are held in memory; beyond that they are
    /// sorted into temporary files and merged. `progress(done, total)` is
    /// called after each file.
    pub fn hunt_stream(
        &self,
        paths: &[PathBuf],
        progress: &(dyn Fn(u64, u64) + Sync),
        mem_limit: usize,
        sink: &mut dyn FnMut(&Detection) -> std::io::Result<()>,
    ) -> HuntReport {
        let mut report = HuntReport::default();
        let files = collect_inputs_noting(paths, &mut report.errors, &mut report.passed_over);
        let total = files.len() as u64;
        let done = AtomicU64::new(0);
        let spill = Mutex::new(Spill::new(mem_limit));
        let results: Vec<FileResult> = files
            .par_iter()
            .map(|f| {
                let r = self.hunt_file_raw(f, &mut |dets| {
                    if let Ok(mut s) = spill.lock() {
                        s.push_all(dets);
                    }
                });
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                progress(n, total);
                r
            })
            .collect();
        for r in results {
            if r.format == Some(Format::Unknown) {
                report.unrecognised.push(r.path.clone());
                continue;
            }
            report.files.push(r);
        }
        let spill = match spill.into_inner() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        if let Some(e) = &spill.error {
            report.errors.push(e.clone());
        }
        let mut correlator = self
            .sigma
            .as_ref()
            .filter(|s| !s.correlations.is_empty())
            .map(|s| s.correlator());
        let mut hits = Vec::new();
        let mut write_error = None;
        for d in spill.into_sorted() {
            let keep = match &mut correlator {
                Some(c) => c.feed(&d, &mut hits),
                None => true,
            };
            if keep {
                report.counts.add(&d);
                if write_error.is_none() {
                    write_error = sink(&d).err();
                }
            }
            for h in hits.drain(..) {
                report.counts.add(&h);
                if write_error.is_none() {
                    write_error = sink(&h).err();
                }
            }
        }
        if let Some(e) = write_error {
            report.errors.push(format!("cannot write output: {e}"));
        }
        report
    }
}

/// Timeline order: time (untimed last), then source, record, rule.
pub fn sort_timeline(d: &mut [Detection]) {
    d.sort_by(timeline_cmp);
}
