use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Pool};
use time::OffsetDateTime;

use sqlx::Row;

use crate::error::{Result, StoreError};

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
    /// The province's remediation deadlines (data/findings/remediation.toml by default).
    pub(crate) remediation: Arc<khien_domain::findings::RemediationPolicy>,
}

/// How to reach the database, from the deployment's configuration.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Connections in the pool: PostgreSQL's shared pool, or SQLite's readers (SQLite
    /// always has exactly one writer). Default: 16 on PostgreSQL, 8 on SQLite.
    pub max_connections: Option<u32>,
    /// How long a request waits for a connection before it is answered "busy, try
    /// again" (503) rather than hanging.
    pub acquire_timeout: Duration,
    /// PostgreSQL: the server cancels any statement running longer (SQLite has no
    /// such limit; its writers wait at most the busy timeout).
    pub statement_timeout: Option<Duration>,
    /// Apply pending migrations on connect. Off (`serve --no-migrate`): refuse to start
    /// on a schema older than this binary; `khien migrate` runs them once.
    pub migrate: bool,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            max_connections: None,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Some(Duration::from_secs(30)),
            migrate: true,
        }
    }
}

/// Where the schema stands against this binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The newest migration applied to the database (0: none).
    pub applied: i64,
    /// The newest migration this binary carries.
    pub known: i64,
}

impl Store {
    /// Connects to `sqlite://…` or `postgres://…` and applies pending migrations.
    pub async fn connect(url: &str, clock: Clock) -> Result<Store> {
        Store::connect_with(url, clock, &DbOptions::default()).await
    }

    /// Connects with the deployment's pool, timeout and migration settings. A
    /// PostgreSQL URL takes libpq's TLS parameters (`sslmode=verify-full`,
    /// `sslrootcert=/path/ca.pem`, `sslcert`, `sslkey`).
    pub async fn connect_with(url: &str, clock: Clock, options: &DbOptions) -> Result<Store> {
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
        let statement_ms = options
            .statement_timeout
            .map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX));
        let acquire = options.acquire_timeout;
        let opts = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(acquire)
                .after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        use sqlx::Executor;
                        match backend {
                            Backend::Sqlite => {
                                conn.execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
                                    .await?;
                            }
                            Backend::Postgres => {
                                if let Some(ms) = statement_ms {
                                    conn.execute(sqlx::AssertSqlSafe(format!("SET statement_timeout = {ms}")))
                                        .await?;
                                }
                            }
                        }
                        Ok(())
                    })
                })
        };
        let (pool, writer): (Pool<Any>, Pool<Any>) = match backend {
            Backend::Sqlite => {
                // The writer first: it creates the file and switches it to WAL.
                let writer = opts(1).connect(&url).await?;
                (opts(options.max_connections.unwrap_or(8).max(1)).connect(&url).await?, writer)
            }
            Backend::Postgres => {
                let pool = opts(options.max_connections.unwrap_or(16).max(2)).connect(&url).await?;
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
            remediation: Arc::new(khien_domain::findings::RemediationPolicy::embedded()),
        };
        if options.migrate {
            store.migrate().await?;
        } else {
            let status = store.schema_status().await?;
            if status.applied < status.known {
                return Err(StoreError::SchemaBehind(status));
            }
        }
        Ok(store)
    }

    /// The newest migration applied, against the newest this binary knows. A database
    /// ahead of the binary is fine: migrations only add (expand/contract), so an older
    /// process keeps working during a rolling upgrade.
    pub async fn schema_status(&self) -> Result<SchemaStatus> {
        let known = migrator().iter().map(|m| m.version).max().unwrap_or(0);
        let exists = match self.backend {
            Backend::Sqlite => "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            Backend::Postgres => "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
        };
        let n: i64 = sqlx::query(exists).fetch_one(&self.pool).await?.try_get("n")?;
        let applied = if n == 0 {
            0
        } else {
            sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?
                .try_get::<i64, _>("v")?
        };
        Ok(SchemaStatus { applied, known })
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

    /// The province's own remediation deadlines instead of the embedded default.
    pub fn with_remediation(mut self, policy: khien_domain::findings::RemediationPolicy) -> Store {
        self.remediation = Arc::new(policy);
        self
    }

    pub fn remediation(&self) -> &khien_domain::findings::RemediationPolicy {
        &self.remediation
    }

    /// Another blob store (an S3-compatible bucket shared by several servers).
    pub fn with_blobs(mut self, blobs: crate::blobs::Blobs) -> Store {
        self.blobs = blobs;
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
pub(crate) fn migrator() -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    const MIGRATIONS: &[(i64, &str, &str)] = &[
        (1, "foundation", include_str!("../migrations/0001_foundation.sql")),
        (2, "levels dossiers plans", include_str!("../migrations/0002_levels_dossiers_plans.sql")),
        (3, "hunts", include_str!("../migrations/0003_hunts.sql")),
        (4, "house", include_str!("../migrations/0004_house.sql")),
        (5, "accounts", include_str!("../migrations/0005_accounts.sql")),
        (6, "jobs", include_str!("../migrations/0006_jobs.sql")),
        (7, "scale", include_str!("../migrations/0007_scale.sql")),
        (8, "hunt_coverage", include_str!("../migrations/0008_hunt_coverage.sql")),
        (10, "rule_library", include_str!("../migrations/0010_rule_library.sql")),
        (11, "findings", include_str!("../migrations/0011_findings.sql")),
        (12, "incidents", include_str!("../migrations/0012_incidents.sql")),
        (13, "clocks reminders", include_str!("../migrations/0013_clocks_reminders.sql")),
        (14, "incident_exchange", include_str!("../migrations/0014_incident_exchange.sql")),
        (15, "compliance", include_str!("../migrations/0015_compliance.sql")),
        (16, "advisories", include_str!("../migrations/0016_advisories.sql")),
        (17, "assessments", include_str!("../migrations/0017_assessments.sql")),
        (18, "drills", include_str!("../migrations/0018_drills.sql")),
        (19, "report_submissions", include_str!("../migrations/0019_report_submissions.sql")),
        (20, "team", include_str!("../migrations/0020_team.sql")),
        (21, "response_plans", include_str!("../migrations/0021_response_plans.sql")),
        (22, "budget", include_str!("../migrations/0022_budget.sql")),
        (23, "protection_layers", include_str!("../migrations/0023_protection_layers.sql")),
        (24, "backups", include_str!("../migrations/0024_backups.sql")),
        (25, "weaknesses", include_str!("../migrations/0025_weaknesses.sql")),
        (26, "vendors", include_str!("../migrations/0026_vendors.sql")),
        (27, "training", include_str!("../migrations/0027_training.sql")),
        (28, "risks", include_str!("../migrations/0028_risks.sql")),
        (29, "compliance_overdue", include_str!("../migrations/0029_compliance_overdue.sql")),
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
