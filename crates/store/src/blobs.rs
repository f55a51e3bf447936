//! Uploaded files, stored content-addressed (sha256) on local disk. Uploads stream in
//! through a [`BlobWriter`] (hashed as they arrive, never held whole in memory) and
//! downloads stream out of [`Blobs::open`]. The interface is small on purpose, so an
//! S3-compatible store can stand in later.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

#[derive(Debug, Clone)]
pub struct Blobs {
    root: PathBuf,
}

/// A file that has landed in the blob store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub filename: String,
    pub sha256: String,
    pub size: u64,
}

/// Why a streamed upload did not land.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the file is larger than {0} bytes")]
    TooLarge(u64),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// An upload on its way in: written to a private temporary file while hashing, then
/// moved under its hash by [`BlobWriter::finish`]. Dropped unfinished, the temporary
/// file is removed.
pub struct BlobWriter {
    file: Option<tokio::fs::File>,
    tmp: PathBuf,
    hasher: Sha256,
    size: u64,
    limit: u64,
    root: PathBuf,
}

impl Blobs {
    pub fn new(root: impl Into<PathBuf>) -> Blobs {
        Blobs { root: root.into() }
    }

    fn path(&self, sha: &str) -> Option<PathBuf> {
        blob_path(&self.root, sha)
    }

    /// Starts an upload of at most `limit` bytes.
    pub async fn writer(&self, limit: u64) -> std::io::Result<BlobWriter> {
        let dir = self.root.join("tmp");
        tokio::fs::create_dir_all(&dir).await?;
        let tmp = dir.join(format!("{}.part", uuid::Uuid::now_v7()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .await?;
        Ok(BlobWriter {
            file: Some(file),
            tmp,
            hasher: Sha256::new(),
            size: 0,
            limit,
            root: self.root.clone(),
        })
    }

    /// Stores bytes made by the platform itself (generated documents, tests).
    pub async fn put(&self, filename: &str, bytes: &[u8]) -> Result<StoredFile, UploadError> {
        let mut w = self.writer(u64::MAX).await?;
        w.write(bytes).await?;
        w.finish(filename).await
    }

    /// Opens a stored file for streaming out.
    pub async fn open(&self, sha: &str) -> std::io::Result<tokio::fs::File> {
        let path = self
            .path(sha)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))?;
        tokio::fs::File::open(path).await
    }

    /// A fresh private directory (0700) for one job's scratch files, inside the data
    /// directory rather than a shared, guessable path under /tmp.
    pub fn scratch_dir(&self, label: &str) -> std::io::Result<PathBuf> {
        let dir = self
            .root
            .join("tmp")
            .join(format!("{label}-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(dir)
    }

    /// Copies a stored file to `to` (a job's scratch directory) without reading it
    /// into memory.
    pub fn copy_to(&self, sha: &str, to: &Path) -> std::io::Result<u64> {
        let path = self
            .path(sha)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))?;
        std::fs::copy(path, to)
    }
}

fn blob_path(root: &Path, sha: &str) -> Option<PathBuf> {
    // Only our own lowercase hex names: nothing from a request reaches the filesystem.
    if sha.len() != 64
        || !sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    Some(root.join(&sha[..2]).join(sha))
}

impl BlobWriter {
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), UploadError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(UploadError::TooLarge(self.limit));
        }
        self.hasher.update(chunk);
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| std::io::Error::other("upload already finished"))?;
        file.write_all(chunk).await?;
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Moves the file under its hash (once per content) and describes it.
    pub async fn finish(mut self, filename: &str) -> Result<StoredFile, UploadError> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| std::io::Error::other("upload already finished"))?;
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        let sha = khien_domain::audit::hex(&std::mem::take(&mut self.hasher).finalize());
        let path = blob_path(&self.root, &sha).ok_or_else(|| std::io::Error::other("bad hash"))?;
        if tokio::fs::try_exists(&path).await? {
            tokio::fs::remove_file(&self.tmp).await?;
        } else {
            if let Some(dir) = path.parent() {
                tokio::fs::create_dir_all(dir).await?;
            }
            // Rename within one filesystem: a crash never leaves a half file under the
            // final name.
            tokio::fs::rename(&self.tmp, &path).await?;
        }
        Ok(StoredFile {
            filename: filename
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect(),
            sha256: sha,
            size: self.size,
        })
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
