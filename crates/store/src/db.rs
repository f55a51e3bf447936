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
    /// Reads. On SQLite several connections read beside the one writer (WAL).
    pub(crate) pool: AnyPool,
    /// Writes. On SQLite exactly one connection, so writers queue in the process
    /// instead of failing with SQLITE_BUSY; on PostgreSQL the same pool as reads.
    pub(crate) writer: AnyPool,
    pub backend: Backend,
    clock: Clock,
    pub blobs: crate::blobs::Blobs,
    /// Province-wide aggregates between requests (`cache.rs`).
    pub(crate) cache: Arc<crate::cache::Cache>,
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
        let opts = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
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
                })
        };
        let (pool, writer): (Pool<Any>, Pool<Any>) = match backend {
            Backend::Sqlite => {
                // The writer first: it creates the file and switches it to WAL.
                let writer = opts(1).connect(&url).await?;
                (opts(4).connect(&url).await?, writer)
            }
            Backend::Postgres => {
                let pool = opts(10).connect(&url).await?;
                (pool.clone(), pool)
            }
        };
        let store = Store {
            pool,
            writer,
            backend,
            clock,
            blobs: crate::blobs::Blobs::new("khien-data/blobs"),
            cache: Arc::default(),
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
        let mut conn = self.writer.acquire().await?;
        migrator().run(&mut *conn).await?;
        Ok(())
    }

    pub fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    /// Today's date in Vietnam: the legal day every deadline counts from.
    pub fn today_vn(&self) -> time::Date {
        khien_domain::time_fmt::vn_date(self.now())
    }

    pub fn now_text(&self) -> String {
        khien_domain::time_fmt::to_rfc3339(self.now())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
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

/// The schema, embedded in the binary. Built at run time rather than by sqlx's
/// `migrate!` macro, which needs the `macros` feature and with it a second build of
/// sqlx, libsqlite3 and tokio. The checksum covers only the SQL, so databases migrated
/// by the macro stay valid.
fn migrator() -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    const MIGRATIONS: &[(i64, &str, &str)] = &[
        (1, "foundation", include_str!("../migrations/0001_foundation.sql")),
        (2, "levels dossiers plans", include_str!("../migrations/0002_levels_dossiers_plans.sql")),
        (3, "hunts", include_str!("../migrations/0003_hunts.sql")),
        (4, "house", include_str!("../migrations/0004_house.sql")),
        (5, "accounts", include_str!("../migrations/0005_accounts.sql")),
        (7, "scale", include_str!("../migrations/0007_scale.sql")),
    ];
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|(v, name, sql)| {
                Migration::new(*v, (*name).into(), MigrationType::Simple, sql.into_sql_str(), false)
            })
            .collect(),
    )
}
