//! Province-wide aggregates (the dashboard, the province view) kept between requests:
//! recomputed after any write of this process (the generation counter that every
//! committed [`crate::WriteTx`] bumps) and at least every [`MAX_AGE_S`] seconds (writes
//! of other processes: workers, a second `serve`). A subtree's aggregates are cheap
//! (index lookups over its own systems) and never cached.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use time::OffsetDateTime;

use crate::error::Result;

/// Longest time an aggregate is served without recomputing it.
pub const MAX_AGE_S: i64 = 30;

type Entry = (u64, OffsetDateTime, Arc<dyn Any + Send + Sync>);

#[derive(Default)]
pub struct Cache {
    generation: AtomicU64,
    entries: std::sync::Mutex<HashMap<String, Entry>>,
    /// One computation at a time: the 63 requests arriving meanwhile wait for it and
    /// read its result instead of computing the same aggregate 63 times.
    computing: tokio::sync::Mutex<()>,
}

impl Cache {
    pub(crate) fn bump(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    fn fresh<T: Any + Send + Sync>(&self, key: &str, now: OffsetDateTime) -> Option<Arc<T>> {
        let generation = self.generation.load(Ordering::Relaxed);
        let entries = self.entries.lock().ok()?;
        let (g, at, v) = entries.get(key)?;
        if *g == generation && (now - *at).whole_seconds() < MAX_AGE_S {
            v.clone().downcast::<T>().ok()
        } else {
            None
        }
    }

    /// The cached value of `key`, or `compute()`'s (then cached).
    pub async fn get_or<T, F, Fut>(&self, key: &str, now: OffsetDateTime, compute: F) -> Result<Arc<T>>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        if let Some(v) = self.fresh(key, now) {
            return Ok(v);
        }
        let _one = self.computing.lock().await;
        if let Some(v) = self.fresh(key, now) {
            return Ok(v);
        }
        let generation = self.generation.load(Ordering::Relaxed);
        let v = Arc::new(compute().await?);
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(key.to_string(), (generation, now, v.clone()));
        }
        Ok(v)
    }
}

impl crate::Store {
    /// A province-wide aggregate kept between requests (see the module comment); the
    /// caller decides it is province-wide (a subtree's view is computed each time).
    pub async fn cached<T, F, Fut>(&self, key: &str, compute: F) -> Result<Arc<T>>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.cache.get_or(key, self.now(), compute).await
    }
}
