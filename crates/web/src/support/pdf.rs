//! PDF copies of the DOCX documents, rendered by LibreOffice on the server
//! (`soffice --headless --convert-to pdf`) when it is installed: the PDF is the DOCX
//! as Word would print it, not a second layout to keep in step (docs/decisions.md).
//!
//! One conversion at a time per process (LibreOffice is heavy), each in its own
//! scratch directory and private profile, killed after [`TIMEOUT`]. Without
//! LibreOffice, asking for a PDF says so in the user's language; DOCX and XLSX work.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// Longest a conversion may take before it is killed.
pub const TIMEOUT: Duration = Duration::from_secs(90);
/// Longest a request waits for the conversion slot.
const WAIT: Duration = Duration::from_secs(60);
/// A PDF larger than this is refused (the documents are a few pages).
const MAX_PDF_BYTES: u64 = 64 * 1024 * 1024;

static SLOT: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(1));

/// The converter named in the configuration, else `soffice` or `libreoffice` found on
/// `PATH`; none when neither is there.
pub fn find_converter(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = configured {
        return Some(p.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["soffice", "libreoffice"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// `docx` rendered as PDF by `converter`.
pub async fn docx_to_pdf(converter: Option<&Path>, docx: Vec<u8>) -> AppResult<Vec<u8>> {
    let Some(bin) = converter.map(Path::to_path_buf) else {
        return Err(AppError::Missing("err.no_pdf"));
    };
    let _slot = tokio::time::timeout(WAIT, SLOT.acquire())
        .await
        .map_err(|_| AppError::Busy)?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || convert(&bin, &docx))
        .await
        .map_err(|e| AppError::Internal(format!("pdf task failed: {e}")))?
}

fn convert(bin: &Path, docx: &[u8]) -> AppResult<Vec<u8>> {
    let dir = Scratch::new()?;
    let input = dir.0.join("document.docx");
    std::fs::write(&input, docx).map_err(internal)?;
    let mut child = Command::new(bin)
        .arg(format!("-env:UserInstallation=file://{}", dir.0.join("profile").display()))
        .args(["--headless", "--norestore", "--nologo", "--nolockcheck", "--convert-to", "pdf", "--outdir"])
        .arg(&dir.0)
        .arg(&input)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| AppError::Internal(format!("cannot start {}: {e}", bin.display())))?;
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(internal)? {
            break s;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(AppError::Internal(format!("PDF conversion took longer than {}s", TIMEOUT.as_secs())));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = dir.0.join("document.pdf");
    let size = std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
    if !status.success() || size == 0 {
        return Err(AppError::Internal(format!("PDF conversion failed ({status})")));
    }
    if size > MAX_PDF_BYTES {
        return Err(AppError::Internal(format!("PDF of {size} bytes refused")));
    }
    std::fs::read(&output).map_err(internal)
}

fn internal(e: std::io::Error) -> AppError {
    AppError::Internal(format!("pdf: {e}"))
}

/// A private directory for one conversion, removed whatever happens.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> AppResult<Scratch> {
        let mut name = [0u8; 12];
        getrandom::fill(&mut name).map_err(|e| AppError::Internal(e.to_string()))?;
        let hex: String = name.iter().map(|b| format!("{b:02x}")).collect();
        let dir = std::env::temp_dir().join(format!("khien-pdf-{hex}"));
        std::fs::create_dir(&dir).map_err(internal)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
