//! Uploaded files, stored content-addressed (sha256) on local disk. The interface is
//! small on purpose, so an S3-compatible store can stand in later.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct Blobs {
    root: PathBuf,
}

impl Blobs {
    pub fn new(root: impl Into<PathBuf>) -> Blobs {
        Blobs { root: root.into() }
    }

    fn path(&self, sha: &str) -> Option<PathBuf> {
        // Only our own lowercase hex names: nothing from a request reaches the filesystem.
        if sha.len() != 64
            || !sha
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return None;
        }
        Some(self.root.join(&sha[..2]).join(sha))
    }

    /// Stores the bytes (once per content) and returns their sha256.
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha = khien_domain::audit::hex(&Sha256::digest(bytes));
        let path = self
            .path(&sha)
            .ok_or_else(|| std::io::Error::other("bad hash"))?;
        if !path.exists() {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            // Write then rename, so a crash never leaves a half file under the final name.
            let tmp = path.with_extension("part");
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &path)?;
        }
        Ok(sha)
    }

    pub fn get(&self, sha: &str) -> std::io::Result<Vec<u8>> {
        let path = self
            .path(sha)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))?;
        std::fs::read(path)
    }
}
