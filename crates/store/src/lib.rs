//! The storage seam: one query layer over SQLite and PostgreSQL (sqlx `Any`), the
//! tenancy scope applied to every query of unit-owned data, and the audit chain written
//! in the same transaction as every write.
//!
//! Handlers never see a pool: they get a [`Scoped`] view built from the signed-in
//! principal, and every unit-owned query is a method on it.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod accounts;
pub mod advisories;
pub mod assessments;
pub mod audit;
pub mod backup;
pub mod backups;
pub mod blobs;
pub mod budget;
pub mod bulk;
pub mod cache;
pub mod compliance;
mod db;
pub mod dossiers;
pub mod drills;
pub mod duty_facts;
pub mod error;
pub mod findings;
pub mod hunts;
pub mod incidents;
pub mod jobs;
pub mod kev;
pub mod levels;
pub mod overview;
pub mod period_figures;
pub mod plans;
pub mod protection;
pub mod reminders;
pub mod response_plans;
pub mod rules;
mod scope;
mod sql;
pub mod stats;
pub mod submissions;
pub mod team;
pub mod systems;
pub mod risks;
pub mod training;
pub mod units;
pub mod vendors;
pub mod weaknesses;

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
    /// Matches counted, at most [`COUNT_CAP`]: a count costs what counting that many
    /// index entries costs, whatever the size of the table.
    pub total: i64,
    /// More than [`COUNT_CAP`] match ("hơn 1.000").
    pub total_capped: bool,
    pub page: i64,
    pub per_page: i64,
    /// The cursor of the next page (`after=`), when there is one: the keyset, so a deep
    /// page costs what page 1 costs.
    pub next_after: Option<String>,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        if self.per_page <= 0 {
            1
        } else {
            ((self.total + self.per_page - 1) / self.per_page).max(1)
        }
    }

    /// Whether a next page exists.
    pub fn has_next(&self) -> bool {
        self.next_after.is_some() || self.page < self.pages()
    }
}

/// Lists count their matches up to this many.
pub const COUNT_CAP: i64 = 1_000;

/// Wraps a page's `FROM … WHERE …` in a count of at most [`COUNT_CAP`] + 1 rows.
pub(crate) fn capped_count(base: &sql::Sql, select_one: &str) -> sql::Sql {
    let mut c = sql::Sql::new(&format!("SELECT COUNT(*) AS n FROM ({select_one}"));
    c.text.push_str(&base.text);
    c.args_from(base);
    c.push(&format!(" LIMIT {}) capped", COUNT_CAP + 1));
    c
}

/// (total, capped) from a capped count.
pub(crate) fn cap(n: i64) -> (i64, bool) {
    if n > COUNT_CAP { (COUNT_CAP, true) } else { (n, false) }
}

/// The last page number anyone can ask for: far past any real list, and small enough
/// that `(page - 1) * per_page` never overflows (`?page=9223372036854775807`).
pub const MAX_PAGE: i64 = 1_000_000;

/// A requested page number made safe: at least 1, at most [`MAX_PAGE`].
/// How a newest-first list pages: its SELECT (up to the filters), the table and
/// alias whose `(time column, id)` orders it, so page 2,000 by keyset costs what page 1
/// costs, while a page number (no cursor) still works.
pub(crate) struct NewestFirst<'a> {
    /// `SELECT <columns> FROM <table> <alias> [JOIN …]`, to which the filters are added.
    pub select: &'a str,
    /// `SELECT 1 FROM …` the count runs over (the filters' joins, no columns).
    pub count_from: &'a str,
    pub table: &'a str,
    pub alias: &'a str,
    /// The time column it is ordered by (`created_at`, `first_seen`).
    pub at: &'a str,
}

/// Which page a list is asked for: after the row `after` (the last id of the page
/// before: the keyset), else by number.
pub(crate) struct Wanted<'a> {
    pub after: &'a str,
    pub page: i64,
    pub per_page: i64,
}

impl NewestFirst<'_> {
    /// A page of `base`'s rows (` WHERE …` filters, scope included), newest first.
    pub(crate) async fn page<T>(
        &self,
        scoped: &Scoped<'_>,
        mut base: sql::Sql,
        wanted: Wanted<'_>,
        from_row: impl Fn(&sqlx::any::AnyRow) -> error::Result<T>,
        id_of: impl Fn(&T) -> String,
    ) -> error::Result<Page<T>> {
        let Wanted { after, page, per_page } = wanted;
        use scope::ReadExt;
        use sqlx::Row;
        let (a, at) = (self.alias, self.at);
        let (total, total_capped) =
            cap(capped_count(&base, self.count_from).query().one(scoped).await?.try_get("n")?);
        let page = clamp_page(page);
        let mut keyset = false;
        if !after.trim().is_empty()
            && let Some(r) = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {at} AS at FROM {} WHERE id = $1", self.table)))
                .bind(after.trim().to_string())
                .opt(scoped)
                .await?
        {
            let when: String = r.try_get("at")?;
            // `at <= x AND (at < x OR id < y)`: the first term is an index range.
            base.push(&format!(" AND {a}.{at} <= "))
                .text(when.clone())
                .push(&format!(" AND ({a}.{at} < "))
                .text(when)
                .push(&format!(" OR {a}.id < "))
                .text(after.trim())
                .push(")");
            keyset = true;
        }
        let mut q = sql::Sql::new(self.select);
        q.text.push_str(&base.text);
        q.args_from(&base);
        q.push(&format!(" ORDER BY {a}.{at} DESC, {a}.id DESC LIMIT ")).int(per_page + 1);
        if !keyset {
            q.push(" OFFSET ").int((page - 1) * per_page);
        }
        let rows = q.query().all(scoped).await?;
        let mut items = rows.iter().map(from_row).collect::<error::Result<Vec<_>>>()?;
        let more = items.len() as i64 > per_page;
        items.truncate(usize::try_from(per_page).unwrap_or(0));
        let next_after = if more { items.last().map(&id_of) } else { None };
        Ok(Page {
            items,
            total,
            total_capped,
            page,
            per_page,
            next_after,
        })
    }
}

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
