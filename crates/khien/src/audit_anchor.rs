//! Anchoring the audit chain outside the database: a signed head (HMAC with the key
//! from the configuration) is appended to a file the database cannot reach, by
//! `khien audit anchor` and on a schedule by `serve`; `khien audit verify --anchors`
//! checks the chain still holds every anchored hash.

use std::io::Write;
use std::path::Path;

use khien_domain::audit::{Anchor, anchor_is_authentic, sign_anchor};
use khien_store::Store;

/// The key, from the configuration file or `KHIEN_AUDIT_KEY`; at least 32 bytes.
pub fn key(file_key: Option<&str>) -> anyhow::Result<Vec<u8>> {
    let k = std::env::var("KHIEN_AUDIT_KEY")
        .ok()
        .or_else(|| file_key.map(String::from))
        .ok_or_else(|| anyhow::anyhow!("no audit key: set audit_key in the configuration or KHIEN_AUDIT_KEY"))?;
    if k.len() < 32 {
        anyhow::bail!("the audit key must be at least 32 bytes");
    }
    Ok(k.into_bytes())
}

/// Signs the current head and appends it to `path` as one JSON line.
pub async fn export(store: &Store, key: &[u8], path: &Path) -> anyhow::Result<Anchor> {
    let (seq, hash) = store.audit_head().await?;
    let anchor = sign_anchor(key, seq, &hash, &store.now_text())
        .ok_or_else(|| anyhow::anyhow!("cannot sign with this key"))?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    writeln!(f, "{}", serde_json::to_string(&anchor)?)?;
    f.sync_all()?;
    Ok(anchor)
}

/// Checks every anchor in `path` against the chain; returns the problems found.
pub async fn check(store: &Store, key: &[u8], path: &Path) -> anyhow::Result<(usize, Vec<String>)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let (head, _) = store.audit_head().await?;
    let mut problems = Vec::new();
    let mut n = 0;
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        n += 1;
        let Ok(a) = serde_json::from_str::<Anchor>(line) else {
            problems.push(format!("line {}: not an anchor", i + 1));
            continue;
        };
        if !anchor_is_authentic(key, &a) {
            problems.push(format!("line {}: signature does not match the key", i + 1));
            continue;
        }
        if a.seq == 0 {
            continue;
        }
        if a.seq > head {
            problems.push(format!(
                "anchor at entry {} (signed {}) is past the chain's end ({head}): entries were removed",
                a.seq, a.at
            ));
            continue;
        }
        match store.audit_hash_at(a.seq).await? {
            Some(h) if h == a.hash => {}
            _ => problems.push(format!(
                "entry {} no longer has the hash anchored at {}: the chain was rewritten",
                a.seq, a.at
            )),
        }
    }
    Ok((n, problems))
}

/// Exports a signed head every `every` until `stop` fires (inside `serve`).
pub async fn schedule(
    store: Store,
    key: Vec<u8>,
    path: std::path::PathBuf,
    every: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = export(&store, &key, &path).await {
            tracing::error!(error = %e, "cannot export the audit anchor");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}
