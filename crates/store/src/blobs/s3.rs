//! The S3-compatible store: one object per sha256, named by the hash alone.
//!
//! Requests are presigned by `rusty-s3` (sans-IO, no HTTP stack of its own) and sent
//! with `ureq`, the blocking client the binary already carries for `hunt --report-to`.
//! Each request runs on tokio's blocking pool; bodies stream between a local file (or
//! a bounded channel) and the socket, so no object is ever held whole in memory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

use super::BlobReader;

/// How to reach the bucket.
#[derive(Clone)]
pub struct S3Config {
    /// `https://s3.example.vn` (or `http://127.0.0.1:9000` with `allow_http`).
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// Plain HTTP sends the files unencrypted: only for a store on this machine or a
    /// private network, and only when asked for.
    pub allow_http: bool,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

pub(super) struct S3 {
    bucket: Bucket,
    credentials: Credentials,
    agent: ureq::Agent,
    endpoint: String,
}

impl std::fmt::Debug for S3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// How long a presigned request stays valid. A request is signed just before it is
/// sent; the margin covers clock skew between this machine and the store.
const SIGNED_FOR: Duration = Duration::from_secs(15 * 60);

/// Chunks in flight between the blocking reader and the response body.
const CHUNK: usize = 64 * 1024;
const CHUNKS_IN_FLIGHT: usize = 4;

impl S3 {
    pub(super) fn new(c: S3Config) -> Result<S3, String> {
        let url: url::Url = c
            .endpoint
            .parse()
            .map_err(|e| format!("s3_endpoint {:?}: {e}", c.endpoint))?;
        if url.scheme() == "http" && !c.allow_http {
            return Err(format!(
                "s3_endpoint {} is plain http: set s3_allow_http = true to allow it (a store on this machine or a private network only)",
                c.endpoint
            ));
        }
        if c.bucket.is_empty() {
            return Err("s3_bucket is not set".into());
        }
        if c.access_key_id.is_empty() || c.secret_access_key.is_empty() {
            return Err("S3 credentials are not set: s3_access_key_id and s3_secret_access_key (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)".into());
        }
        // Path-style URLs (`endpoint/bucket/key`) work with every S3-compatible server
        // and with an IP address as the endpoint.
        let bucket = Bucket::new(url, UrlStyle::Path, c.bucket.clone(), c.region.clone())
            .map_err(|e| format!("S3 bucket {:?} at {}: {e}", c.bucket, c.endpoint))?;
        let credentials = match c.session_token {
            Some(t) => Credentials::new_with_token(c.access_key_id, c.secret_access_key, t),
            None => Credentials::new(c.access_key_id, c.secret_access_key),
        };
        // No overall timeout: a large file may take long. A store that does not
        // answer at all is an error within a bounded time.
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .build()
            .new_agent();
        // Shown in logs and messages: never with credentials written into the URL.
        let mut shown = bucket.base_url().clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        shown.set_query(None);
        Ok(S3 {
            endpoint: shown.to_string(),
            bucket,
            credentials,
            agent,
        })
    }

    pub(super) fn describe(&self) -> String {
        format!("S3 bucket {} ({})", self.bucket.name(), self.endpoint)
    }

    /// Presigns at the wall clock on purpose: the store checks signatures against its
    /// own clock, not the platform's (which tests move about).
    fn sign<'a>(&self, action: &impl S3Action<'a>) -> String {
        action.sign(SIGNED_FOR).to_string()
    }

    /// Whether the object exists.
    pub(super) async fn exists(&self, sha: &str) -> std::io::Result<bool> {
        let url = self.sign(&self.bucket.head_object(Some(&self.credentials), sha));
        let agent = self.agent.clone();
        blocking(move || match agent.head(&url).call() {
            Ok(_) => Ok(true),
            Err(ureq::Error::StatusCode(404)) => Ok(false),
            Err(e) => Err(failed("HEAD", e)),
        })
        .await
    }

    /// Uploads the local file `from` as `sha`: one streamed PUT with its length
    /// (S3 takes up to 5 GB in one PUT, far beyond any upload limit here).
    pub(super) async fn upload(&self, from: &Path, sha: &str, size: u64) -> std::io::Result<()> {
        let url = self.sign(&self.bucket.put_object(Some(&self.credentials), sha));
        let agent = self.agent.clone();
        let from = from.to_path_buf();
        blocking(move || {
            let file = std::fs::File::open(&from)?;
            if file.metadata()?.len() != size {
                return Err(std::io::Error::other(
                    "the upload changed while being stored",
                ));
            }
            agent
                .put(&url)
                .send(file)
                .map(drop)
                .map_err(|e| failed("PUT", e))
        })
        .await
    }

    fn get(&self, sha: &str) -> impl FnOnce() -> std::io::Result<ureq::Body> + Send + 'static {
        let url = self.sign(&self.bucket.get_object(Some(&self.credentials), sha));
        let agent = self.agent.clone();
        move || match agent.get(&url).call() {
            Ok(resp) => Ok(resp.into_body()),
            Err(ureq::Error::StatusCode(404)) => Err(super::not_found()),
            Err(e) => Err(failed("GET", e)),
        }
    }

    /// Streams the object out: a blocking task reads the response and hands chunks
    /// through a small bounded channel, so a slow client holds at most a few chunks.
    pub(super) async fn open(&self, sha: &str) -> std::io::Result<BlobReader> {
        let get = self.get(sha);
        let (tx, rx) =
            tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(CHUNKS_IN_FLIGHT);
        let (started, start) = tokio::sync::oneshot::channel::<std::io::Result<()>>();
        tokio::task::spawn_blocking(move || {
            let body = match get() {
                Ok(b) => {
                    let _ = started.send(Ok(()));
                    b
                }
                Err(e) => {
                    let _ = started.send(Err(e));
                    return;
                }
            };
            let mut reader = body.into_reader();
            let mut buf = vec![0u8; CHUNK];
            loop {
                let item = match reader.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => Ok(bytes::Bytes::copy_from_slice(
                        buf.get(..n).unwrap_or_default(),
                    )),
                    Err(e) => Err(e),
                };
                let failed = item.is_err();
                // The receiver is gone when the client went away: stop reading.
                if tx.blocking_send(item).is_err() || failed {
                    return;
                }
            }
        });
        start
            .await
            .map_err(|_| std::io::Error::other("the S3 download task ended"))??;
        let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        Ok(Box::pin(tokio_util::io::StreamReader::new(chunks)))
    }

    /// Downloads the object into the local file `to`.
    pub(super) async fn download(&self, sha: &str, to: &Path) -> std::io::Result<u64> {
        let get = self.get(sha);
        let to: PathBuf = to.to_path_buf();
        blocking(move || {
            let mut reader = get()?.into_reader();
            let mut file = std::fs::File::create(&to)?;
            let n = std::io::copy(&mut reader, &mut file)?;
            file.sync_all()?;
            Ok(n)
        })
        .await
    }

    /// Creates the bucket; one that exists already and is ours is fine.
    pub(super) async fn create_bucket(&self) -> std::io::Result<()> {
        let url = self.sign(&self.bucket.create_bucket(&self.credentials));
        let agent = self.agent.clone();
        blocking(move || match agent.put(&url).send_empty() {
            Ok(_) | Err(ureq::Error::StatusCode(409)) => Ok(()),
            Err(e) => Err(failed("create bucket", e)),
        })
        .await
    }

    /// Every object named by a sha256, with its size; other keys in the bucket are
    /// not ours and are ignored.
    pub(super) async fn list(&self) -> std::io::Result<Vec<(String, u64)>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = self.bucket.list_objects_v2(Some(&self.credentials));
            if let Some(t) = &token {
                action.with_continuation_token(t.clone());
            }
            let url = self.sign(&action);
            let agent = self.agent.clone();
            let page = blocking(move || {
                let mut resp = agent.get(&url).call().map_err(|e| failed("LIST", e))?;
                // One page is at most 1000 keys: a few hundred KiB of XML.
                resp.body_mut()
                    .with_config()
                    .limit(16 * 1024 * 1024)
                    .read_to_string()
                    .map_err(|e| failed("LIST", e))
            })
            .await?;
            let page = rusty_s3::actions::ListObjectsV2::parse_response(&page)
                .map_err(|e| std::io::Error::other(format!("S3 LIST: unreadable answer: {e}")))?;
            for c in page.contents {
                if super::valid_sha(&c.key) {
                    let size = c.size.ok_or_else(|| {
                        std::io::Error::other(format!("S3 LIST: no size for {}", c.key))
                    })?;
                    out.push((c.key, size));
                }
            }
            match page.next_continuation_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => return Ok(out),
            }
        }
    }
}

fn failed(what: &str, e: ureq::Error) -> std::io::Error {
    match e {
        ureq::Error::Io(e) => std::io::Error::new(e.kind(), format!("S3 {what}: {e}")),
        // The URL is never in the message: it carries a signature.
        e => std::io::Error::other(format!("S3 {what}: {e}")),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| std::io::Error::other(format!("S3 request task: {e}")))?
}
