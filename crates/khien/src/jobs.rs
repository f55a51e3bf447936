//! The job worker: claims jobs from the queue every process shares (see
//! `khien_store::jobs`), runs them one at a time per worker with a heartbeat that
//! renews the lease and publishes progress, and records how each ended. A worker
//! that dies leaves its lease to run out; another worker then takes the job over.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use khien_hunt::hunt::Hunter;
use khien_hunt::sigma::SigmaSet;
use khien_hunt::timeparse::Timestamp;
use khien_store::Store;
use khien_store::hunts::{
    ClaimedHunt, DetectionRow, FileCoverage, FileRef, HuntSummary, MAX_STORED_DETECTIONS,
    RuleCount,
};
use khien_store::jobs::{Lease, LeasePolicy};

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

/// How often an idle worker reopens accepted risks past their expiry.
const RISK_SWEEP: Duration = Duration::from_secs(300);

/// Who this worker is and how it holds jobs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Shown on the jobs page and in each job run: host, process and a random suffix,
    /// so two workers on one machine are told apart.
    pub id: String,
    pub lease: LeasePolicy,
    /// How often an idle worker looks for work.
    pub poll: Duration,
    /// What the reminder sweep counts with (`None`: the rules failed to load, and a
    /// sweep job fails saying so).
    pub sweep: Option<Arc<khien_web::notifications::sweep::SweepConfig>>,
    /// The SMTP relay reminders are e-mailed through (`None`: in the app only; the
    /// outbox keeps the e-mails until a relay is configured).
    pub smtp: Option<Arc<crate::mail::SmtpConfig>>,
    /// Schedule the daily reminder sweep (the embedded worker of `serve` and `worker`).
    pub schedule: bool,
}

impl WorkerConfig {
    pub fn new(lease: Duration) -> WorkerConfig {
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "khien".into());
        let suffix: String = uuid::Uuid::new_v4().simple().to_string().chars().take(6).collect();
        WorkerConfig {
            id: format!("{host}:{}:{suffix}", std::process::id()),
            lease: LeasePolicy { lease },
            poll: Duration::from_secs(2),
            sweep: khien_web::notifications::sweep::SweepConfig::from_web(&khien_web::WebConfig::default()).map(Arc::new),
            smtp: None,
            schedule: false,
        }
    }
}

/// How often an idle worker retries the outbox.
const OUTBOX_EVERY: Duration = Duration::from_secs(60);

/// Puts today's reminder sweep in the queue unless some process did (one a Vietnam
/// day, by the key of `job_schedule`). Returns the new job's id.
pub async fn schedule_sweep(store: &Store) -> anyhow::Result<Option<String>> {
    let key = khien_web::notifications::sweep::sweep_key(store.now());
    let day = key.rsplit(':').next().unwrap_or_default().to_string();
    let job = khien_store::jobs::NewJob {
        kind: khien_store::reminders::SWEEP_JOB_KIND,
        subject_id: &day,
        unit_id: None,
        payload: serde_json::json!({ "day": day }),
        max_attempts: 3,
    };
    Ok(store.schedule_once(&key, &job).await?)
}

/// The periodic chores of an idle worker: today's sweep scheduled (once a day per
/// process, once a day in all by the key), the outbox retried every minute.
struct Chores {
    scheduled_for: Option<String>,
    outbox_at: Option<std::time::Instant>,
    risks_at: Option<std::time::Instant>,
}

impl Chores {
    async fn run(&mut self, store: &Store, config: &WorkerConfig) {
        if config.schedule {
            let key = khien_web::notifications::sweep::sweep_key(store.now());
            if self.scheduled_for.as_deref() != Some(key.as_str()) {
                match schedule_sweep(store).await {
                    Ok(_) => self.scheduled_for = Some(key),
                    Err(e) => tracing::warn!(error = %e, "cannot schedule the reminder sweep"),
                }
            }
        }
        if let Some(smtp) = &config.smtp
            && self.outbox_at.is_none_or(|t| t.elapsed() >= OUTBOX_EVERY)
        {
            self.outbox_at = Some(std::time::Instant::now());
            if let Err(e) = crate::mail::drain_outbox(store, smtp).await {
                tracing::warn!(error = %e, "cannot send the outbox");
            }
        }
        // Accepted risks past their expiry reopen (imports and reads see it too).
        if self.risks_at.is_none_or(|t| t.elapsed() >= RISK_SWEEP) {
            self.risks_at = Some(std::time::Instant::now());
            match store.reopen_expired_risks().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reopened = n, "accepted risks past their expiry reopened"),
                Err(e) => tracing::warn!(error = %e, "cannot sweep expired risks"),
            }
        }
    }
}

/// Runs jobs from the shared queue until the shutdown signal fires. Any number of
/// these, in any number of processes, share one database.
pub async fn worker(store: Store, config: WorkerConfig, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    tracing::info!(worker = %config.id, "job worker started");
    let mut chores = Chores { scheduled_for: None, outbox_at: None, risks_at: None };
    loop {
        if *shutdown.borrow() {
            return;
        }
        chores.run(&store, &config).await;
        let idle = match store.claim_job(&config.id, config.lease).await {
            Ok(Some(lease)) => {
                run_job(&store, &config, lease, &mut shutdown).await;
                false
            }
            Ok(None) => true,
            Err(e) => {
                tracing::error!(error = %e, "cannot claim a job");
                true
            }
        };
        if idle {
            tokio::select! {
                _ = tokio::time::sleep(config.poll) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// Runs every ready job, then returns how many ran (tests and `khien worker --once`).
pub async fn run_pending(store: &Store, config: &WorkerConfig) -> anyhow::Result<usize> {
    let (_keep, mut never) = tokio::sync::watch::channel(false);
    let mut n = 0;
    while let Some(lease) = store.claim_job(&config.id, config.lease).await? {
        run_job(store, config, lease, &mut never).await;
        n += 1;
    }
    Ok(n)
}

/// Runs one particular queued job here and now, with its heartbeat (`khien import`).
pub async fn run_one(store: &Store, config: &WorkerConfig, kind: &str, subject_id: &str) -> anyhow::Result<()> {
    let (_keep, mut never) = tokio::sync::watch::channel(false);
    let lease = store
        .claim_job_of(kind, subject_id, &config.id, config.lease)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the {kind} job of {subject_id} is not queued"))?;
    run_job(store, config, lease, &mut never).await;
    Ok(())
}

/// How a job's run ended, as far as the queue is concerned.
enum Ended {
    Finished(anyhow::Result<()>),
    /// The lease is gone (cancelled, or taken over after a stall): keep nothing.
    LeaseLost,
    Shutdown,
}

/// Runs one held job beside its heartbeat, which renews the lease and publishes
/// progress; the job stops as soon as the lease is lost or the process shuts down.
async fn run_job(
    store: &Store,
    config: &WorkerConfig,
    lease: Lease,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) {
    let progress = Arc::new(AtomicU64::new(0));
    let work = run_kind(store, config, &lease, progress.clone());
    tokio::pin!(work);
    let beat = (config.lease.lease / 4).max(Duration::from_millis(200));
    let ended = loop {
        tokio::select! {
            r = &mut work => break Ended::Finished(r),
            _ = tokio::time::sleep(beat) => {
                let p = i16::try_from(progress.load(Ordering::Relaxed)).unwrap_or(0);
                match store.heartbeat(&lease, p, config.lease).await {
                    Ok(true) => {}
                    Ok(false) => break Ended::LeaseLost,
                    // The database is briefly away: keep working, the lease has slack.
                    Err(e) => tracing::warn!(job = %lease.job_id, error = %e, "heartbeat failed"),
                }
            }
            _ = shutdown.changed() => break Ended::Shutdown,
        }
    };
    let job = &lease.job_id;
    let outcome = match ended {
        Ended::Finished(Ok(())) => {
            tracing::info!(job = %job, kind = %lease.kind, attempt = lease.attempt, "job finished");
            Ok(())
        }
        Ended::Finished(Err(e)) => {
            let transient = e
                .downcast_ref::<khien_store::StoreError>()
                .is_some_and(khien_store::StoreError::is_unavailable);
            tracing::warn!(job = %job, error = %format!("{e:#}"), transient, "job failed");
            store.fail_job(&lease, &format!("{e:#}"), transient, config.lease).await
        }
        Ended::LeaseLost => {
            tracing::warn!(job = %job, "lease lost (cancelled or taken over); result discarded");
            Ok(())
        }
        Ended::Shutdown => {
            tracing::info!(job = %job, "shutting down: job given back to the queue");
            store.release_job(&lease).await
        }
    };
    if let Err(e) = outcome {
        tracing::error!(job = %job, error = %e, "cannot record the job's end");
    }
}

/// What each kind of job does.
async fn run_kind(store: &Store, config: &WorkerConfig, lease: &Lease, progress: Arc<AtomicU64>) -> anyhow::Result<()> {
    match lease.kind.as_str() {
        khien_store::hunts::JOB_KIND => run_hunt(store, lease, progress).await,
        khien_store::reminders::SWEEP_JOB_KIND => run_sweep(store, config, lease).await,
        khien_store::audit::VERIFY_JOB_KIND => {
            store.run_audit_verification(lease).await?;
            Ok(())
        }
        khien_store::findings::JOB_KIND => crate::scan_import::run(store, lease, progress).await,
        other => anyhow::bail!("this Khiên does not know jobs of kind {other:?}"),
    }
}

/// The reminder sweep, then the outbox (each step idempotent: a sweep that runs
/// twice, or whose worker died half-way, creates and sends nothing twice).
async fn run_sweep(store: &Store, config: &WorkerConfig, lease: &Lease) -> anyhow::Result<()> {
    let sweep = config
        .sweep
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("the obligation or incident clock rules did not load"))?;
    let report = khien_web::notifications::sweep::sweep(store, sweep).await?;
    let delivery = match &config.smtp {
        Some(smtp) => Some(crate::mail::drain_outbox(store, smtp).await?),
        None => None,
    };
    tracing::info!(reminders = report.reminders_created, "reminder sweep done");
    store
        .finish_job(lease, &serde_json::json!({ "sweep": report, "mail": delivery }))
        .await?;
    Ok(())
}

/// Writes each stored file under `dir/<kind>/` with its original (sanitised) name.
async fn materialise(
    store: &Store,
    dir: &Path,
    kind: &str,
    files: &[FileRef],
) -> anyhow::Result<Vec<(PathBuf, String)>> {
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
        out.push((path, f.name.clone()));
    }
    Ok(out)
}

/// Writes the rule library's files the hunt was queued with under `dir/library/`
/// (numbered names; the labels are kept for messages).
async fn write_library(store: &Store, dir: &Path, hunt_id: &str) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let texts = store.hunt_library_texts(hunt_id).await?;
    if texts.is_empty() {
        return Ok(Vec::new());
    }
    let sub = dir.join("library");
    std::fs::create_dir_all(&sub)?;
    let mut out = Vec::with_capacity(texts.len());
    for (i, (label, text)) in texts.into_iter().enumerate() {
        let path = sub.join(format!("{i:05}.yml"));
        tokio::fs::write(&path, text).await?;
        out.push((path, label));
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
#[derive(Default)]
pub struct HuntInput {
    pub logs: Vec<PathBuf>,
    pub rules: Vec<PathBuf>,
    pub iocs: Vec<PathBuf>,
    pub builtin_rules: bool,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// The names people know files by (uploaded names), for paths that must not be
    /// shown (the worker's scratch copies). Other paths are shown as given.
    pub names: Vec<(PathBuf, String)>,
    /// The same for rule files (the rule library's, thousands of them): used only in
    /// messages, never per detection.
    pub rule_names: Vec<(PathBuf, String)>,
}

impl HuntInput {
    /// How a path is shown in the result.
    fn shown(&self, p: &Path) -> String {
        self.names
            .iter()
            .find(|(q, _)| q == p)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| p.display().to_string())
    }

    /// A message with every scratch path replaced by its file's name.
    fn redact(&self, msg: &str) -> String {
        let mut out = msg.to_string();
        for (p, n) in self.names.iter().chain(&self.rule_names) {
            let ps = p.display().to_string();
            if out.contains(&ps) {
                out = out.replace(&ps, n);
            }
        }
        out
    }
}

/// The files a hunt runs on, each with the name people know it by.
struct HuntFiles {
    logs: Vec<(PathBuf, String)>,
    rules: Vec<(PathBuf, String)>,
    iocs: Vec<(PathBuf, String)>,
    /// The rule library's files the hunt was queued with (label `set/path`).
    library: Vec<(PathBuf, String)>,
}

fn hunt_blocking(h: &ClaimedHunt, files: HuntFiles, progress: &AtomicU64) -> Outcome {
    let HuntFiles {
        logs,
        rules,
        iocs,
        library,
    } = files;
    let names: Vec<(PathBuf, String)> = logs.iter().chain(&rules).chain(&iocs).cloned().collect();
    let input = HuntInput {
        logs: logs.into_iter().map(|(p, _)| p).collect(),
        rules: rules.into_iter().map(|(p, _)| p).chain(library.iter().map(|(p, _)| p.clone())).collect(),
        iocs: iocs.into_iter().map(|(p, _)| p).collect(),
        names,
        rule_names: library,
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
        rule_paths.push(PathBuf::from(khien_hunt::sigma::BUILTIN));
    }
    let sigma = (!rule_paths.is_empty()).then(|| SigmaSet::load(&rule_paths));
    let ioc = (!input.iocs.is_empty()).then(|| khien_hunt::ioc::load::load_set(&input.iocs));
    let mut problems: Vec<String> = Vec::new();
    let (mut rules_loaded, mut rules_skipped, mut iocs_loaded) = (0, 0, 0);
    if let Some(s) = &sigma {
        rules_loaded = s.rule_count();
        rules_skipped = s.skipped.len();
        problems.extend(s.errors.iter().map(|e| input.redact(&e.to_string())));
        problems.extend(s.skipped.iter().take(50).map(|sk| {
            input.redact(&format!(
                "skipped rule {} ({}): {}",
                sk.title,
                sk.path.display(),
                sk.reason
            ))
        }));
    }
    if let Some(i) = &ioc {
        iocs_loaded = i.len();
        problems.extend(i.errors.iter().map(|e| input.redact(&e.to_string())));
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
            && let Ok(mut row) =
                serde_json::from_value::<DetectionRow>(khien_hunt::output::to_json(d))
        {
            row.source = input.shown(Path::new(&row.source));
            detections.push(row);
        }
        Ok(())
    });
    let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let mut coverage: Vec<FileCoverage> = report
        .files
        .iter()
        .map(|f| FileCoverage {
            name: input.shown(&f.path),
            format: f.format.map(|x| x.name().to_string()).unwrap_or_default(),
            events: to_i64(f.events),
            in_period: to_i64(f.in_period),
            skipped: to_i64(f.skipped),
            incomplete: f.incomplete,
            rules_applied: i64::try_from(f.rules_applied).unwrap_or(i64::MAX),
            error: f.error.as_deref().map(|e| input.redact(e)),
        })
        .collect();
    // Files not recognised are part of what was given, and named.
    coverage.extend(report.unrecognised.iter().map(|p| FileCoverage {
        name: input.shown(p),
        ..FileCoverage::default()
    }));
    for f in &report.files {
        problems.extend(f.problems.iter().take(5).map(|p| input.redact(p)));
    }
    for (p, why) in &report.passed_over {
        problems.push(format!("{}: {why}", input.shown(p)));
    }
    problems.extend(report.errors.iter().map(|e| input.redact(e)));
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
    let usize_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let summary = HuntSummary {
        files: usize_i64(report.files.len()),
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
        coverage,
        rules_loaded: usize_i64(rules_loaded),
        rules_skipped: usize_i64(rules_skipped),
        iocs_loaded: usize_i64(iocs_loaded),
    };
    Outcome {
        summary,
        detections,
    }
}

async fn run_hunt(store: &Store, lease: &Lease, progress: Arc<AtomicU64>) -> anyhow::Result<()> {
    let (status, h) = store.hunt_to_run(&lease.subject_id).await?;
    if status != "running" {
        anyhow::bail!("the hunt is {status}, not waiting to run");
    }
    let dir = store.blobs.scratch_dir("hunt")?;
    let _cleanup = RemoveOnDrop(dir.clone());
    let logs = materialise(store, &dir, "logs", &h.sources).await?;
    let rules = materialise(store, &dir, "rules", &h.rule_sets).await?;
    let iocs = materialise(store, &dir, "iocs", &h.ioc_sets).await?;
    let library = write_library(store, &dir, &h.id).await?;
    let files = HuntFiles {
        logs,
        rules,
        iocs,
        library,
    };
    let task = {
        let (h, progress) = (h.clone(), progress.clone());
        tokio::task::spawn_blocking(move || {
            let run = || hunt_blocking(&h, files, &progress);
            // Without a pool of its own (threads could not be spawned) the hunt still
            // runs, on rayon's shared one.
            match HUNT_POOL.as_ref() {
                Some(pool) => pool.install(run),
                None => run(),
            }
        })
    };
    let outcome = task.await?;
    store
        .finish_hunt(lease, &outcome.summary, &outcome.detections)
        .await?;
    Ok(())
}

/// Removes a job's scratch directory however the job ends (finished, failed, or
/// dropped because its lease was lost).
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
