use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Pool};
use time::OffsetDateTime;

use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where "now" comes from: the wall clock in production, a fixed or stepped time in tests.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub backend: Backend,
    clock: Clock,
    pub blobs: crate::blobs::Blobs,
}

impl Store {
    /// Connects to `sqlite://…` or `postgres://…` and applies pending migrations.
    pub async fn connect(url: &str, clock: Clock) -> Result<Store> {
        install_default_drivers();
        let backend = if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let url = match backend {
            // WAL lets readers run beside the single writer; the busy timeout absorbs the
            // short waits for the write lock; foreign keys are off by default in SQLite.
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_string(),
        };
        let opts = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        use sqlx::Executor;
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
                            .await?;
                    }
                    Ok(())
                })
            });
        let pool: Pool<Any> = opts.connect(&url).await?;
        let store = Store {
            pool,
            backend,
            clock,
            blobs: crate::blobs::Blobs::new("khien-data/blobs"),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// The same database seen with another clock (the demo back-dates its history;
    /// tests step time forward).
    pub fn with_clock(mut self, clock: Clock) -> Store {
        self.clock = clock;
        self
    }

    /// Where uploaded files go (content-addressed); normally `<data dir>/blobs`.
    pub fn with_blob_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Store {
        self.blobs = crate::blobs::Blobs::new(dir);
        self
    }

    pub async fn migrate(&self) -> Result<()> {
        // One connection, so an in-file SQLite database sees its own schema at once.
        let mut conn = self.pool.acquire().await?;
        sqlx::migrate!("./migrations").run(&mut *conn).await?;
        Ok(())
    }

    pub fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    pub fn now_text(&self) -> String {
        khien_domain::time_fmt::to_rfc3339(self.now())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Cheap liveness probe for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The pool, for tests that must tamper with rows behind the store's back.
    pub fn raw_pool(&self) -> &AnyPool {
        &self.pool
    }
}
