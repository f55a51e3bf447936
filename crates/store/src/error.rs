use khien_domain::Invalid;

/// What can go wrong below the web layer. `NotFound` is also what a principal gets for
/// an object outside its scope, so the existence of foreign data is never revealed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A uniqueness or consistency rule; the key is an i18n catalogue key.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A statement on a transaction that was already committed (a bug, not user input).
    #[error("transaction already finished")]
    TxClosed,
    /// A value in the database this version does not know (never read as a default).
    #[error("unknown {0} in the database: {1}")]
    Corrupt(&'static str, String),
    /// `serve --no-migrate` on a database older than the binary.
    #[error("the database schema is at migration {} but this Khiên needs {}: run `khien migrate` first", .0.applied, .0.known)]
    SchemaBehind(crate::db::SchemaStatus),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// The database cannot be reached (down, unreachable, pool exhausted): the caller
    /// should say "try again", not treat it as a bug or as "not signed in".
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Db(
                sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::Tls(_)
            )
        )
    }

    /// A policy refusal: `err.forbidden` is the actor's right (403), anything else the
    /// object's state (409).
    pub(crate) fn refused(key: &'static str) -> StoreError {
        if key == "err.forbidden" {
            StoreError::Forbidden
        } else {
            StoreError::Conflict(key)
        }
    }

    /// Maps a unique-constraint violation to a readable conflict.
    pub(crate) fn unique(e: impl Into<StoreError>, key: &'static str) -> StoreError {
        match e.into() {
            StoreError::Db(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                StoreError::Conflict(key)
            }
            other => other,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
