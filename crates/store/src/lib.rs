//! The storage seam: one query layer over SQLite and PostgreSQL (sqlx `Any`), the
//! tenancy scope applied to every query of unit-owned data, and the audit chain written
//! in the same transaction as every write.
//!
//! Handlers never see a pool: they get a [`Scoped`] view built from the signed-in
//! principal, and every unit-owned query is a method on it.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod blobs;
mod db;
pub mod dossiers;
pub mod error;
pub mod hunts;
pub mod jobs;
pub mod levels;
pub mod overview;
pub mod plans;
pub mod rules;
mod scope;
mod sql;
pub mod stats;
pub mod systems;
pub mod units;

pub use blobs::{BlobReader, BlobWriter, Blobs, S3Config, StoredFile, UploadError};
pub use audit::{Actor, AuditEntry, AuditFilter, ChainReport, WriteTx};
pub use db::{Backend, Clock, DbOptions, SchemaStatus, Store};
pub use error::StoreError;
pub use scope::Scoped;

/// A page of results and the total matching count.
#[derive(Debug, Clone, serde::Serialize)]
#[derive(schemars::JsonSchema)]
#[schemars(rename = "{T}Page")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        if self.per_page <= 0 {
            1
        } else {
            ((self.total + self.per_page - 1) / self.per_page).max(1)
        }
    }
}

/// The last page number anyone can ask for: far past any real list, and small enough
/// that `(page - 1) * per_page` never overflows (`?page=9223372036854775807`).
pub const MAX_PAGE: i64 = 1_000_000;

/// A requested page number made safe: at least 1, at most [`MAX_PAGE`].
pub fn clamp_page(page: i64) -> i64 {
    page.clamp(1, MAX_PAGE)
}

/// A conditional state change must have changed exactly one row; anything else means
/// someone changed the object first (a double click, two tabs, two workers).
pub(crate) fn one_row(changed: u64) -> Result<(), StoreError> {
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("err.concurrent"))
    }
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
