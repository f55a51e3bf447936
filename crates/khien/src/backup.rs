//! `khien backup FILE` and `khien restore FILE`: the archive format and its checks live
//! in `khien_store::backup`; here the file is written safely and the outcome reported.

use std::path::Path;
use std::process::ExitCode;

use khien_store::Store;
use khien_store::backup::Manifest;
use tokio::io::AsyncWriteExt;

fn summary(m: &Manifest) -> String {
    let rows: u64 = m.tables.iter().map(|t| t.rows).sum();
    let bytes: u64 = m.blobs.iter().map(|b| b.size).sum();
    format!(
        "schema version {}, {} tables, {rows} rows, {} files ({bytes} bytes)",
        m.schema_version,
        m.tables.len(),
        m.blobs.len()
    )
}

/// Writes the archive beside `path` and renames it into place once complete, so a
/// failed backup never leaves a file that looks whole.
pub async fn backup(store: &Store, path: &Path) -> anyhow::Result<ExitCode> {
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    let part = std::path::PathBuf::from(part);
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    // The archive holds every password hash and file: the service account's only.
    #[cfg(unix)]
    options.mode(0o600);
    let file = options
        .open(&part)
        .await
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", part.display()))?;
    let result = store
        .backup(tokio::io::BufWriter::with_capacity(256 * 1024, file))
        .await;
    let (mut out, manifest) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(e.into());
        }
    };
    out.flush().await?;
    out.get_mut().sync_all().await?;
    drop(out);
    tokio::fs::rename(&part, path).await?;
    println!(
        "backup written to {}: {} (files from {})",
        path.display(),
        summary(&manifest),
        store.blobs.describe()
    );
    Ok(ExitCode::SUCCESS)
}

/// Restores into this (empty) database and blob store, then walks the audit chain.
pub async fn restore(store: &Store, path: &Path) -> anyhow::Result<ExitCode> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let manifest = store.restore(file).await?;
    println!(
        "restored from {}: {} (files into {})",
        path.display(),
        summary(&manifest),
        store.blobs.describe()
    );
    let chain = store.verify_audit().await?;
    if let Some((seq, why)) = chain.first_broken {
        println!("audit chain BROKEN at entry {seq}: {why}");
        return Ok(ExitCode::from(1));
    }
    println!("audit chain intact: {} entries", chain.entries);
    Ok(ExitCode::SUCCESS)
}
