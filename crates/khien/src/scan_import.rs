//! Runs a scanner-report import whose job the worker holds: the stored file is read
//! by khien-scan on a blocking thread while the async side stages what it parses in
//! short transactions, then the store applies the import in one (see
//! `khien_store::findings`). `khien import` runs the very same job in process.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use khien_store::Store;
use khien_store::findings::{ImportCounts, Staged};
use khien_store::jobs::Lease;

/// Findings staged per call (the store commits them in transactions of its own size).
const BATCH: usize = 2_000;

/// Counts the bytes read, for the job's progress.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The tool a file is read as: the one asked for, or the one its content shows.
fn tool_of(path: &std::path::Path, requested: Option<&str>) -> anyhow::Result<khien_scan::Tool> {
    if let Some(code) = requested {
        return khien_scan::Tool::ALL
            .into_iter()
            .find(|t| t.code() == code)
            .ok_or_else(|| anyhow::anyhow!("unknown tool {code}"));
    }
    let mut head = Vec::with_capacity(khien_scan::HEAD_BYTES);
    std::fs::File::open(path)?
        .take(khien_scan::HEAD_BYTES as u64)
        .read_to_end(&mut head)?;
    khien_scan::detect(&head).ok_or_else(|| {
        anyhow::anyhow!(
            "the report's format is not recognised from its content; name the tool (one of: {})",
            khien_scan::Tool::ALL.map(|t| t.code()).join(", ")
        )
    })
}

pub async fn run(store: &Store, lease: &Lease, progress: Arc<AtomicU64>) -> anyhow::Result<()> {
    let id = lease.subject_id.clone();
    let job = store.import_to_run(&id).await?;
    if job.state != "running" {
        anyhow::bail!("the import is {}, not waiting to run", job.state);
    }
    let ctx = store.import_context(&id).await?;
    let dir = store.blobs.scratch_dir("import")?;
    let _cleanup = RemoveOnDrop(dir.clone());
    let path = dir.join("report");
    let size = store.blobs.copy_to(&job.file_sha256, &path).await?.max(1);
    let tool = tool_of(&path, ctx.requested_tool.as_deref())?;
    store.begin_staging(lease).await?;
    let started = std::time::Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Staged>(BATCH * 2);
    let read = Arc::new(AtomicU64::new(0));
    let parser = {
        let read = read.clone();
        tokio::task::spawn_blocking(move || {
            let file = std::fs::File::open(&path)?;
            let reader = std::io::BufReader::with_capacity(256 * 1024, Counting { inner: file, read });
            // Two findings of one file with one fingerprint are one finding: the first
            // is staged.
            let mut staged = std::collections::HashSet::new();
            let summary = khien_scan::parse(tool, reader, &khien_scan::Limits::default(), &mut |f| {
                let s = ctx.stage(f);
                if !staged.insert(s.fingerprint().to_string()) {
                    return Ok(());
                }
                // The receiver is gone only when the import already failed.
                tx.blocking_send(s).map_err(|_| "the import stopped".into())
            })?;
            anyhow::Ok(summary)
        })
    };
    // Full batches only (the last excepted): a slow parser must not turn the staging
    // into thousands of one-row transactions.
    let mut batch = Vec::with_capacity(BATCH);
    let mut staged = 0;
    loop {
        let room = BATCH - batch.len();
        let open = rx.recv_many(&mut batch, room).await > 0;
        if batch.len() >= BATCH || (!open && !batch.is_empty()) {
            store.stage_findings(lease, &batch, staged).await?;
            staged += batch.len();
            batch.clear();
            // Reading is most of the work; applying is the last few percent.
            let done = read.load(Ordering::Relaxed).min(size);
            progress.store(done * 95 / size, Ordering::Relaxed);
        }
        if !open {
            break;
        }
    }
    let summary = parser.await??;
    let staging = started.elapsed();
    store.finish_scan_import(lease, tool, &summary).await?;
    tracing::info!(import = %id, findings = summary.findings, staging_ms = staging.as_millis(), applying_ms = (started.elapsed() - staging).as_millis(), "scanner report imported");
    Ok(())
}

/// Imports a file into a system at once, in this process, through the same job a
/// worker would run (`khien import`): the file is stored, the import queued as the
/// platform, then its job claimed and run here.
pub async fn import_now(
    store: &Store,
    system_id: &str,
    file: &std::path::Path,
    tool: Option<&str>,
    full_scope: bool,
) -> anyhow::Result<(String, ImportCounts)> {
    let stored = store_file(store, file).await?;
    let id = store
        .as_system()
        .queue_scan_import(&khien_store::findings::NewScanImport {
            system_id: system_id.to_string(),
            file_name: stored.filename.clone(),
            file_sha256: stored.sha256.clone(),
            file_size: i64::try_from(stored.size).unwrap_or(i64::MAX),
            tool: tool.unwrap_or_default().to_string(),
            full_scope,
        })
        .await?;
    let config = crate::jobs::WorkerConfig::new(std::time::Duration::from_secs(60));
    crate::jobs::run_one(store, &config, khien_store::findings::JOB_KIND, &id).await?;
    let i = store.as_system().scan_import(&id).await?;
    if i.state != "done" {
        anyhow::bail!("the import {}: {}", i.state, i.error.unwrap_or_default());
    }
    Ok((
        i.tool.unwrap_or_default(),
        ImportCounts {
            findings: i.findings,
            new: i.new,
            unchanged: i.unchanged,
            fixed: i.fixed,
            reopened: i.reopened,
        },
    ))
}

/// Streams a local file into the blob store.
async fn store_file(store: &Store, file: &std::path::Path) -> anyhow::Result<khien_store::StoredFile> {
    use tokio::io::AsyncReadExt;
    let mut f = tokio::fs::File::open(file)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let mut w = store.blobs.writer(u64::MAX).await?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        w.write(buf.get(..n).unwrap_or_default()).await?;
    }
    if w.size() == 0 {
        anyhow::bail!("{} is empty", file.display());
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    Ok(w.finish(&name).await?)
}

/// Removes the import's scratch directory however the job ends.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
