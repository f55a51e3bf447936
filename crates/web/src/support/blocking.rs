//! CPU-bound work (password hashing, document generation, parsing, hashing) runs on
//! tokio's blocking threads behind a small semaphore, so it neither stalls the async
//! threads that serve everyone else nor piles up without bound.

use std::sync::LazyLock;

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// At most this many CPU-heavy tasks at once; the rest wait their turn.
static PERMITS: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    Semaphore::new(cores.max(2))
});

/// Runs `f` off the async threads; a panic inside becomes a 500, not a lost worker.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let _permit = PERMITS
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))
}
