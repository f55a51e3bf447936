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
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Maps a unique-constraint violation to a readable conflict.
    pub(crate) fn unique(e: sqlx::Error, key: &'static str) -> StoreError {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(key),
            _ => StoreError::Db(e),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
