//! Background jobs: hunts uploaded in the UI are queued in the database and run here,
//! one at a time per process, with progress written back. After a crash, interrupted
//! hunts go back to the queue when the worker starts.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use khien_hunt::hunt::Hunter;
use khien_hunt::sigma::SigmaSet;
use khien_hunt::timeparse::Timestamp;
use khien_store::Store;
use khien_store::hunts::{
    ClaimedHunt, DetectionRow, FileRef, HuntSummary, MAX_STORED_DETECTIONS, RuleCount,
};

/// Detections the hunt engine keeps in memory before spilling to disk.
const MEM_DETECTIONS: usize = 100_000;

/// Hunts run on their own threads, one fewer than the cores, so the web server always
/// has a core to answer sign-ins and pages while a large hunt runs.
static HUNT_POOL: std::sync::LazyLock<Option<rayon::ThreadPool>> =
    std::sync::LazyLock::new(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        rayon::ThreadPoolBuilder::new()
            .num_threads(cores.saturating_sub(1).max(1))
            .thread_name(|i| format!("khien-hunt-{i}"))
            .build()
            .ok()
    });

/// Runs queued hunts until the shutdown signal fires, polling every few seconds.
pub async fn worker(store: Store, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    match store.requeue_interrupted_hunts().await {
        Ok(n) if n > 0 => tracing::warn!(count = n, "requeued hunts interrupted by a restart"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "cannot requeue interrupted hunts"),
    }
    loop {
        if let Err(e) = run_pending(&store).await {
            tracing::error!(error = %e, "hunt worker");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(3)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Runs every queued hunt; returns how many ran.
pub async fn run_pending(store: &Store) -> anyhow::Result<usize> {
    let mut n = 0;
    while let Some(h) = store.claim_hunt().await? {
        let id = h.id.clone();
        match run_one(store, h).await {
            Ok(()) => tracing::info!(hunt = %id, "hunt finished"),
            Err(e) => {
                tracing::warn!(hunt = %id, error = %e, "hunt failed");
                store.fail_hunt(&id, &format!("{e:#}")).await?;
            }
        }
        n += 1;
    }
    Ok(n)
}

/// Writes each stored file under `dir/<kind>/` with its original (sanitised) name.
async fn materialise(
    store: &Store,
    dir: &Path,
    kind: &str,
    files: &[FileRef],
) -> anyhow::Result<Vec<PathBuf>> {
    let sub = dir.join(kind);
    std::fs::create_dir_all(&sub)?;
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let safe: String = f
            .name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = sub.join(format!("{i:03}-{safe}"));
        store.blobs.copy_to(&f.sha256, &path).await?;
        out.push(path);
    }
    Ok(out)
}

fn period_bound(date: &Option<String>, end_of_day: bool) -> Option<Timestamp> {
    let d = date.as_deref()?;
    khien_hunt::timeparse::parse_any(&format!(
        "{d}T{}Z",
        if end_of_day { "23:59:59" } else { "00:00:00" }
    ))
}

/// What a hunt found: the summary and the detections to keep.
pub struct Outcome {
    pub summary: HuntSummary,
    pub detections: Vec<DetectionRow>,
}

/// What to hunt with, and in which period.
pub struct HuntInput {
    pub logs: Vec<PathBuf>,
    pub rules: Vec<PathBuf>,
    pub iocs: Vec<PathBuf>,
    pub builtin_rules: bool,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

fn hunt_blocking(
    h: &ClaimedHunt,
    logs: Vec<PathBuf>,
    rules: Vec<PathBuf>,
    iocs: Vec<PathBuf>,
    progress: &AtomicU64,
) -> Outcome {
    let input = HuntInput {
        logs,
        rules,
        iocs,
        builtin_rules: h.builtin_rules,
        from: period_bound(&h.period_from, false),
        to: period_bound(&h.period_to, true),
    };
    hunt_files(&input, &|done, total| {
        progress.store(done * 100 / total.max(1), Ordering::Relaxed)
    })
}

/// Runs the hunting engine over files: the same code for the platform's jobs and for
/// `khien hunt --report-to`. Blocking (the engine uses all cores).
pub fn hunt_files(input: &HuntInput, progress: &(dyn Fn(u64, u64) + Sync)) -> Outcome {
    let mut rule_paths = input.rules.clone();
    if input.builtin_rules {
        rule_paths.push(PathBuf::from("builtin"));
    }
    let sigma = (!rule_paths.is_empty()).then(|| SigmaSet::load(&rule_paths));
    let ioc = (!input.iocs.is_empty()).then(|| khien_hunt::ioc::load::load_set(&input.iocs));
    let mut problems: Vec<String> = Vec::new();
    if let Some(s) = &sigma {
        problems.extend(s.errors.iter().map(|e| e.to_string()));
        problems.extend(s.skipped.iter().take(50).map(|sk| format!("{sk:?}")));
    }
    let hunter = Hunter {
        sigma,
        ioc,
        from: input.from,
        to: input.to,
    };
    let mut detections = Vec::new();
    let report = hunter.hunt_stream(&input.logs, progress, MEM_DETECTIONS, &mut |d| {
        if detections.len() < MAX_STORED_DETECTIONS
            && let Ok(row) = serde_json::from_value::<DetectionRow>(khien_hunt::output::to_json(d))
        {
            detections.push(row);
        }
        Ok(())
    });
    for f in &report.files {
        if let Some(e) = &f.error {
            problems.push(format!(
                "{}: {e}",
                f.path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ));
        }
    }
    problems.extend(report.errors.iter().cloned());
    let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let mut by_rule: Vec<RuleCount> = report
        .counts
        .by_rule
        .iter()
        .map(|((id, title), n)| RuleCount {
            rule_id: id.clone(),
            rule_title: title.clone(),
            count: i64::try_from(*n).unwrap_or(0),
        })
        .collect();
    by_rule.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    let summary = HuntSummary {
        files: i64::try_from(report.files.len()).unwrap_or(0),
        events: to_i64(report.events()),
        skipped: to_i64(report.skipped_records()),
        detections: to_i64(report.counts.total),
        stored: 0,
        by_level: report
            .counts
            .by_level
            .iter()
            .rev()
            .map(|((_, l), n)| (l.clone(), i64::try_from(*n).unwrap_or(0)))
            .collect(),
        by_rule,
        problems,
    };
    Outcome {
        summary,
        detections,
    }
}

async fn run_one(store: &Store, h: ClaimedHunt) -> anyhow::Result<()> {
    let dir = store.blobs.scratch_dir("hunt")?;
    let logs = materialise(store, &dir, "logs", &h.sources).await?;
    let rules = materialise(store, &dir, "rules", &h.rule_sets).await?;
    let iocs = materialise(store, &dir, "iocs", &h.ioc_sets).await?;
    let progress = Arc::new(AtomicU64::new(0));
    let task = {
        let (h, progress) = (h.clone(), progress.clone());
        tokio::task::spawn_blocking(move || {
            let run = || hunt_blocking(&h, logs, rules, iocs, &progress);
            // Without a pool of its own (threads could not be spawned) the hunt still
            // runs, on rayon's shared one.
            match HUNT_POOL.as_ref() {
                Some(pool) => pool.install(run),
                None => run(),
            }
        })
    };
    tokio::pin!(task);
    let outcome = loop {
        tokio::select! {
            r = &mut task => break r?,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {
                let p = i16::try_from(progress.load(Ordering::Relaxed)).unwrap_or(0);
                store.hunt_progress(&h.id, p).await?;
            }
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    store
        .finish_hunt(&h.id, &outcome.summary, &outcome.detections)
        .await?;
    Ok(())
}
