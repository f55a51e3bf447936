//! Uploaded files, stored content-addressed (sha256) in one of two places: a local
//! directory (the default) or an S3-compatible bucket shared by every `serve`/`worker`
//! process. Uploads stream in through a [`BlobWriter`]: hashed while they are written
//! to a private temporary file on local disk, then moved (local) or uploaded (S3) under
//! their hash, so no upload is ever held whole in memory. Downloads stream out of
//! [`Blobs::open`]. Jobs' scratch directories stay on local disk whatever the store.
//!
//! Only our own lowercase 64-hex names reach the store ([`valid_sha`]): nothing from a
//! request becomes a path or an object key.

mod s3;

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWriteExt};

pub use s3::S3Config;

/// Where the files are, and a local working directory for temporary uploads and jobs'
/// scratch space (on the same filesystem as the local store, so a finished upload is a
/// rename).
#[derive(Debug, Clone)]
pub struct Blobs {
    place: Place,
    work: PathBuf,
}

/// An enum rather than a trait object: two implementations, no `async-trait` boxing,
/// and every method shows both cases side by side.
#[derive(Debug, Clone)]
enum Place {
    Local(PathBuf),
    S3(Arc<s3::S3>),
}

/// A stored file being read: turn it into a response body with
/// `tokio_util::io::ReaderStream`.
pub type BlobReader = Pin<Box<dyn AsyncRead + Send>>;

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
/// stored under its hash by [`BlobWriter::finish`]. Whether it lands or not, the
/// temporary file is removed when the writer is dropped.
pub struct BlobWriter {
    file: Option<tokio::fs::File>,
    tmp: PathBuf,
    hasher: Sha256,
    size: u64,
    limit: u64,
    blobs: Blobs,
}

fn not_found() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")
}

impl Blobs {
    /// Files under `root` (normally `<data dir>/blobs`), as `root/ab/abcd…`.
    pub fn new(root: impl Into<PathBuf>) -> Blobs {
        let root = root.into();
        Blobs {
            work: root.join("tmp"),
            place: Place::Local(root),
        }
    }

    /// Files in an S3-compatible bucket, one object per sha256; `work` is a local
    /// private directory for temporary uploads and scratch space.
    pub fn s3(config: S3Config, work: impl Into<PathBuf>) -> Result<Blobs, String> {
        Ok(Blobs {
            place: Place::S3(Arc::new(s3::S3::new(config)?)),
            work: work.into(),
        })
    }

    /// Where the files are, for logs and error messages (no credentials).
    pub fn describe(&self) -> String {
        match &self.place {
            Place::Local(root) => format!("directory {}", root.display()),
            Place::S3(s3) => s3.describe(),
        }
    }

    /// Starts an upload of at most `limit` bytes.
    pub async fn writer(&self, limit: u64) -> std::io::Result<BlobWriter> {
        tokio::fs::create_dir_all(&self.work).await?;
        let tmp = self.work.join(format!("{}.part", uuid::Uuid::now_v7()));
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
            blobs: self.clone(),
        })
    }

    /// Stores bytes made by the platform itself (generated documents, tests).
    pub async fn put(&self, filename: &str, bytes: &[u8]) -> Result<StoredFile, UploadError> {
        let mut w = self.writer(u64::MAX).await?;
        w.write(bytes).await?;
        w.finish(filename).await
    }

    /// Whether a file with this hash is stored.
    pub async fn exists(&self, sha: &str) -> std::io::Result<bool> {
        if !valid_sha(sha) {
            return Ok(false);
        }
        match &self.place {
            Place::Local(root) => tokio::fs::try_exists(local_path(root, sha)).await,
            Place::S3(s3) => s3.exists(sha).await,
        }
    }

    /// Opens a stored file for streaming out; `NotFound` if there is none.
    pub async fn open(&self, sha: &str) -> std::io::Result<BlobReader> {
        if !valid_sha(sha) {
            return Err(not_found());
        }
        match &self.place {
            Place::Local(root) => Ok(Box::pin(
                tokio::fs::File::open(local_path(root, sha)).await?,
            )),
            Place::S3(s3) => s3.open(sha).await,
        }
    }

    /// Copies a stored file to `to` (a job's scratch directory) without reading it
    /// into memory.
    pub async fn copy_to(&self, sha: &str, to: &Path) -> std::io::Result<u64> {
        if !valid_sha(sha) {
            return Err(not_found());
        }
        match &self.place {
            Place::Local(root) => tokio::fs::copy(local_path(root, sha), to).await,
            Place::S3(s3) => s3.download(sha, to).await,
        }
    }

    /// Every stored file, as (sha256, size), in hash order.
    pub async fn list(&self) -> std::io::Result<Vec<(String, u64)>> {
        let mut out = match &self.place {
            Place::Local(root) => list_local(root.clone()).await?,
            Place::S3(s3) => s3.list().await?,
        };
        out.sort();
        Ok(out)
    }

    /// Makes sure the store can take files: creates the local directory, or the
    /// bucket if it is missing (first setup, tests).
    pub async fn create(&self) -> std::io::Result<()> {
        tokio::fs::create_dir_all(&self.work).await?;
        match &self.place {
            Place::Local(root) => tokio::fs::create_dir_all(root).await,
            Place::S3(s3) => s3.create_bucket().await,
        }
    }

    /// A fresh private directory (0700) for one job's scratch files, inside the data
    /// directory rather than a shared, guessable path under /tmp.
    pub fn scratch_dir(&self, label: &str) -> std::io::Result<PathBuf> {
        let dir = self.work.join(format!("{label}-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(dir)
    }

    /// Puts the finished temporary file `tmp` under `sha`, once per content.
    async fn land(&self, tmp: &Path, sha: &str, size: u64) -> std::io::Result<()> {
        match &self.place {
            Place::Local(root) => {
                let path = local_path(root, sha);
                if tokio::fs::try_exists(&path).await? {
                    return Ok(());
                }
                if let Some(dir) = path.parent() {
                    tokio::fs::create_dir_all(dir).await?;
                }
                // Rename within one filesystem: a crash never leaves a half file under
                // the final name.
                tokio::fs::rename(tmp, &path).await
            }
            Place::S3(s3) => {
                if s3.exists(sha).await? {
                    return Ok(());
                }
                // S3 makes an object visible only once its PUT completed, so a failed
                // upload never leaves a half file under the hash either.
                s3.upload(tmp, sha, size).await
            }
        }
    }
}

/// Our own names only: 64 lowercase hex digits.
pub fn valid_sha(sha: &str) -> bool {
    sha.len() == 64
        && sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `root/ab/abcd…`; callers have checked [`valid_sha`].
fn local_path(root: &Path, sha: &str) -> PathBuf {
    root.join(sha.get(..2).unwrap_or("00")).join(sha)
}

async fn list_local(root: PathBuf) -> std::io::Result<Vec<(String, u64)>> {
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        let top = match std::fs::read_dir(&root) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        for dir in top {
            let dir = dir?;
            let name = dir.file_name();
            // Only the two-hex fan-out directories: `tmp` holds unfinished uploads.
            if name.len() != 2 || !dir.file_type()?.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(dir.path())? {
                let f = f?;
                if let Some(sha) = f.file_name().to_str()
                    && valid_sha(sha)
                    && f.file_type()?.is_file()
                {
                    out.push((sha.to_string(), f.metadata()?.len()));
                }
            }
        }
        Ok(out)
    })
    .await
    .map_err(std::io::Error::other)?
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

    /// Stores the file under its hash (once per content) and describes it.
    pub async fn finish(self, filename: &str) -> Result<StoredFile, UploadError> {
        self.finish_expecting(filename, None).await
    }

    /// Like [`finish`](Self::finish), but refuses to store anything unless the content
    /// hashes to `expected` (a restore checking each file of an archive).
    pub async fn finish_expecting(
        mut self,
        filename: &str,
        expected: Option<&str>,
    ) -> Result<StoredFile, UploadError> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| std::io::Error::other("upload already finished"))?;
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        let sha = khien_domain::audit::hex(&std::mem::take(&mut self.hasher).finalize());
        if let Some(want) = expected
            && want != sha
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("content hashes to {sha}, not {want}"),
            )
            .into());
        }
        self.blobs.land(&self.tmp, &sha, self.size).await?;
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
        // Gone already after a local rename; otherwise an unfinished, refused or
        // uploaded temporary file.
        let _ = std::fs::remove_file(&self.tmp);
    }
}
