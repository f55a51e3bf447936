//! `khien backup` and `khien restore`: the whole platform (every table and every
//! stored file) in one tar archive, the same on SQLite and PostgreSQL.
//!
//! The archive, in this order:
//! - `khien-backup/header.json`: format, schema version, source database, time;
//! - `khien-backup/tables/NNN-<table>.jsonl`: one per table, referenced tables first;
//!   a first line `{"table", "columns"}`, then each row as a JSON array;
//! - `khien-backup/blobs/<sha256>`: every stored file;
//! - `khien-backup/manifest.json`: per table its row count and content digest, and
//!   the file list.
//!
//! A backup reads every table inside one read transaction (REPEATABLE READ READ ONLY
//! on PostgreSQL; one read transaction on SQLite's WAL), so it is consistent while
//! the platform runs. Files are never deleted and are listed after the snapshot, so
//! every file a row points at is in the archive.
//!
//! A restore goes into an empty database (a fresh, migrated one; anything else is
//! refused before a byte is written), inserts every row in one transaction, stores
//! each file after checking its hash, then reads the tables back and compares them
//! with the manifest before it commits.

mod schema;
mod tar;

use std::collections::BTreeMap;

use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::any::{AnyArguments, AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, Arguments, Row};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::db::{Backend, Store};
use schema::{Kind, Table};

/// Why a backup or a restore did not happen. Nothing is committed in any case.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The archive is damaged, cut short, or not one of ours.
    #[error("bad archive: {0}")]
    Archive(String),
    /// A restore needs a database that holds nothing yet.
    #[error("the database is not empty ({0}): restore into a freshly created database")]
    NotEmpty(String),
    /// The archive's schema and this binary's differ, or a table cannot be handled.
    #[error("schema: {0}")]
    Schema(String),
    /// What was restored is not what the archive's manifest describes.
    #[error("restored data does not match the archive: {0}")]
    Mismatch(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// One table's content: its rows and their digest (independent of row order, so it
/// compares the same table across databases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDigest {
    pub table: String,
    pub rows: u64,
    pub digest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobEntry {
    pub sha256: String,
    pub size: u64,
}

/// What an archive holds (its `manifest.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: i64,
    pub tables: Vec<TableDigest>,
    pub blobs: Vec<BlobEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    schema_version: i64,
    backend: String,
    created_at: String,
}

const FORMAT: &str = "khien-backup";
const VERSION: u32 = 1;
const DIR: &str = "khien-backup/";
/// The longest row line a restore reads (a hunt's detections or an audit entry's
/// JSON are large, but never near this).
const MAX_LINE: u64 = 64 * 1024 * 1024;
const MAX_HEADER: u64 = 64 * 1024;
/// The file list is ~100 bytes a file: millions of files fit.
const MAX_MANIFEST: u64 = 512 * 1024 * 1024;

fn bad(why: impl Into<String>) -> BackupError {
    BackupError::Archive(why.into())
}

/// A sum of row hashes modulo 2^256: the same whatever order the rows come in.
#[derive(Default)]
struct Sum([u8; 32]);

impl Sum {
    fn add(&mut self, line: &[u8]) {
        let h = Sha256::digest(line);
        let mut carry = 0u16;
        for (a, b) in self.0.iter_mut().rev().zip(h.iter().rev()) {
            let s = u16::from(*a) + u16::from(*b) + carry;
            *a = (s & 0xff) as u8;
            carry = s >> 8;
        }
    }

    fn hex(&self) -> String {
        khien_domain::audit::hex(&self.0)
    }
}

/// One row as its archive line: a JSON array in column order, bytes as hex.
fn encode_row(t: &Table, row: &AnyRow) -> Result<Vec<u8>, BackupError> {
    let mut values = Vec::with_capacity(t.columns.len());
    for (i, (name, kind)) in t.columns.iter().enumerate() {
        let col = |e: sqlx::Error| BackupError::Schema(format!("{}.{name}: {e}", t.name));
        let v = match kind {
            Kind::Int => row
                .try_get::<Option<i64>, _>(i)
                .map_err(col)?
                .map(serde_json::Value::from),
            Kind::Text => row
                .try_get::<Option<String>, _>(i)
                .map_err(col)?
                .map(serde_json::Value::String),
            Kind::Bytes => row
                .try_get::<Option<Vec<u8>>, _>(i)
                .map_err(col)?
                .map(|b| serde_json::Value::String(khien_domain::audit::hex(&b))),
            Kind::Real => match row.try_get::<Option<f64>, _>(i).map_err(col)? {
                None => None,
                Some(f) => Some(serde_json::Value::Number(
                    serde_json::Number::from_f64(f).ok_or_else(|| {
                        BackupError::Schema(format!(
                            "{}.{name} holds {f}, which JSON cannot carry",
                            t.name
                        ))
                    })?,
                )),
            },
        };
        values.push(v.unwrap_or(serde_json::Value::Null));
    }
    serde_json::to_vec(&values).map_err(|e| BackupError::Schema(e.to_string()))
}

/// Binds one archive value to a column of `kind`; anything else is a bad archive.
fn bind(
    args: &mut AnyArguments,
    kind: Kind,
    v: &serde_json::Value,
    what: &dyn Fn() -> String,
) -> Result<(), BackupError> {
    use serde_json::Value as V;
    let wrong = || bad(format!("{}: a value of the wrong type", what()));
    let r = match (kind, v) {
        (Kind::Int, V::Null) => args.add(None::<i64>),
        (Kind::Int, V::Number(n)) => args.add(n.as_i64().ok_or_else(wrong)?),
        (Kind::Real, V::Null) => args.add(None::<f64>),
        (Kind::Real, V::Number(n)) => args.add(n.as_f64().ok_or_else(wrong)?),
        (Kind::Text, V::Null) => args.add(None::<String>),
        (Kind::Text, V::String(s)) => args.add(s.clone()),
        (Kind::Bytes, V::Null) => args.add(None::<Vec<u8>>),
        (Kind::Bytes, V::String(s)) => args.add(unhex(s).ok_or_else(wrong)?),
        _ => return Err(wrong()),
    };
    r.map_err(|e| bad(format!("{}: {e}", what())))
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// The table's rows and digest as the connection sees them now.
async fn table_digest(conn: &mut AnyConnection, t: &Table) -> Result<TableDigest, BackupError> {
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM {}",
        schema::column_list(t),
        schema::quoted(&t.name)
    )))
    .fetch(&mut *conn);
    let (mut n, mut sum) = (0u64, Sum::default());
    while let Some(row) = rows.try_next().await? {
        sum.add(&encode_row(t, &row)?);
        n += 1;
    }
    Ok(TableDigest {
        table: t.name.clone(),
        rows: n,
        digest: sum.hex(),
    })
}

async fn schema_version(conn: &mut AnyConnection) -> Result<i64, BackupError> {
    Ok(
        sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM _sqlx_migrations")
            .fetch_one(&mut *conn)
            .await?
            .try_get::<i64, _>("v")?,
    )
}

/// What a freshly migrated database holds (the audit chain's genesis head): a
/// database that holds exactly this is empty.
async fn fresh_content() -> Result<BTreeMap<String, TableDigest>, BackupError> {
    // One connection: each connection to `sqlite::memory:` is its own database.
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await?;
    let mut conn = pool.acquire().await?;
    crate::db::migrator().run(&mut *conn).await?;
    let mut out = BTreeMap::new();
    for t in schema::tables(&mut conn, Backend::Sqlite).await? {
        out.insert(t.name.clone(), table_digest(&mut conn, &t).await?);
    }
    drop(conn);
    pool.close().await;
    Ok(out)
}

/// A private staging directory, removed when dropped.
struct Staging(std::path::PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn read_small(
    r: &mut (impl AsyncRead + Unpin),
    size: u64,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, BackupError> {
    if size > limit {
        return Err(bad(format!(
            "{what} is {size} bytes, more than the {limit} allowed"
        )));
    }
    let mut buf = Vec::new();
    r.take(size).read_to_end(&mut buf).await?;
    if buf.len() as u64 != size {
        return Err(bad(format!("the archive ends inside {what}")));
    }
    Ok(buf)
}

impl Store {
    /// Every table's row count and content digest, in foreign-key order: two
    /// databases with the same digests hold the same rows.
    pub async fn table_digests(&self) -> Result<Vec<TableDigest>, BackupError> {
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::new();
        for t in schema::tables(&mut conn, self.backend).await? {
            out.push(table_digest(&mut conn, &t).await?);
        }
        Ok(out)
    }

    /// Writes the whole platform to `out` as one archive, while it keeps running.
    pub async fn backup<W: AsyncWrite + Unpin>(
        &self,
        out: W,
    ) -> Result<(W, Manifest), BackupError> {
        let staging = Staging(self.blobs.scratch_dir("backup")?);
        let mut tx = match self.backend {
            Backend::Sqlite => self.pool.begin().await?,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?
            }
        };
        // SQLite's snapshot starts with this first read and holds until the end.
        let schema_version = schema_version(&mut tx).await?;
        let tables = schema::tables(&mut tx, self.backend).await?;
        let mut staged = Vec::new();
        for (i, t) in tables.iter().enumerate() {
            let path = staging.0.join(format!("{i:03}"));
            let mut f = tokio::io::BufWriter::new(tokio::fs::File::create(&path).await?);
            let first = serde_json::json!({ "table": t.name, "columns": t.columns.iter().map(|(c, _)| c).collect::<Vec<_>>() });
            f.write_all(first.to_string().as_bytes()).await?;
            f.write_all(b"\n").await?;
            let (mut n, mut sum) = (0u64, Sum::default());
            {
                let mut rows =
                    sqlx::query(sqlx::AssertSqlSafe(schema::select_all(t))).fetch(&mut *tx);
                while let Some(row) = rows.try_next().await? {
                    let line = encode_row(t, &row)?;
                    // Never write an archive that restore would refuse.
                    if line.len() as u64 > MAX_LINE {
                        return Err(BackupError::Schema(format!(
                            "a row of {} is {} bytes, more than a backup carries ({MAX_LINE})",
                            t.name,
                            line.len()
                        )));
                    }
                    sum.add(&line);
                    f.write_all(&line).await?;
                    f.write_all(b"\n").await?;
                    n += 1;
                }
            }
            f.flush().await?;
            let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) AS n FROM {}",
                schema::quoted(&t.name)
            )))
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
            if u64::try_from(total).ok() != Some(n) {
                return Err(BackupError::Schema(format!(
                    "table {}: {n} of {total} rows reachable from a root (a reference cycle?)",
                    t.name
                )));
            }
            staged.push((
                format!("{DIR}tables/{i:03}-{}.jsonl", t.name),
                path,
                TableDigest {
                    table: t.name.clone(),
                    rows: n,
                    digest: sum.hex(),
                },
            ));
        }
        tx.rollback().await?;
        let blobs: Vec<BlobEntry> = self
            .blobs
            .list()
            .await?
            .into_iter()
            .map(|(sha256, size)| BlobEntry { sha256, size })
            .collect();

        let now = self.now();
        let mut ar = tar::Writer::new(out, u64::try_from(now.unix_timestamp()).unwrap_or(0));
        let header = Header {
            format: FORMAT.into(),
            version: VERSION,
            schema_version,
            backend: format!("{:?}", self.backend).to_lowercase(),
            created_at: self.now_text(),
        };
        ar.bytes(
            &format!("{DIR}header.json"),
            &serde_json::to_vec_pretty(&header).map_err(|e| bad(e.to_string()))?,
        )
        .await?;
        let mut tables_out = Vec::new();
        for (name, path, digest) in staged {
            let mut f = tokio::fs::File::open(&path).await?;
            let size = f.metadata().await?.len();
            ar.member(&name, size, &mut f).await?;
            tables_out.push(digest);
        }
        for b in &blobs {
            let mut r = self.blobs.open(&b.sha256).await?;
            ar.member(&format!("{DIR}blobs/{}", b.sha256), b.size, &mut r)
                .await?;
        }
        let manifest = Manifest {
            schema_version,
            tables: tables_out,
            blobs,
        };
        ar.bytes(
            &format!("{DIR}manifest.json"),
            &serde_json::to_vec_pretty(&manifest).map_err(|e| bad(e.to_string()))?,
        )
        .await?;
        Ok((ar.finish().await?, manifest))
    }

    /// Restores an archive made by [`backup`](Self::backup) into this store, which
    /// must be empty (freshly migrated). All or nothing for the database; files are
    /// content-addressed, so one stored before a failure is harmless.
    pub async fn restore(&self, input: impl AsyncRead + Unpin) -> Result<Manifest, BackupError> {
        let mut ar = tar::Reader::new(tokio::io::BufReader::with_capacity(256 * 1024, input));
        let header: Header = match ar.next().await? {
            Some((name, size)) if name == format!("{DIR}header.json") => {
                let bytes = read_small(ar.input(), size, MAX_HEADER, "the header").await?;
                serde_json::from_slice(&bytes).map_err(|e| bad(format!("header: {e}")))?
            }
            _ => {
                return Err(bad(
                    "no Khiên backup header first: not made by `khien backup`",
                ));
            }
        };
        if header.format != FORMAT || header.version != VERSION {
            return Err(bad(format!(
                "format {} version {}, this binary reads {FORMAT} version {VERSION}",
                header.format, header.version
            )));
        }
        let mut tx = match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer.begin().await?,
        };
        let ours = schema_version(&mut tx).await?;
        if header.schema_version != ours {
            return Err(BackupError::Schema(format!(
                "the archive has schema version {}, this binary {ours}: restore with the binary that made it",
                header.schema_version
            )));
        }
        let tables = schema::tables(&mut tx, self.backend).await?;
        let fresh = fresh_content().await?;
        for t in &tables {
            let now = table_digest(&mut tx, t).await?;
            let empty = fresh.get(&t.name).is_some_and(|f| *f == now)
                || (!fresh.contains_key(&t.name) && now.rows == 0);
            if !empty {
                return Err(BackupError::NotEmpty(format!(
                    "table {} holds {} rows",
                    t.name, now.rows
                )));
            }
        }
        // Rows a migration made (the chain's genesis head) give way to the archive's.
        for t in tables
            .iter()
            .rev()
            .filter(|t| fresh.get(&t.name).is_some_and(|f| f.rows > 0))
        {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {}",
                schema::quoted(&t.name)
            )))
            .execute(&mut *tx)
            .await?;
        }

        let mut seen_tables: Vec<String> = Vec::new();
        let mut seen_blobs: Vec<BlobEntry> = Vec::new();
        let manifest: Manifest = loop {
            let Some((name, size)) = ar.next().await? else {
                return Err(bad("the archive has no manifest (cut short?)"));
            };
            if let Some(rest) = name.strip_prefix(&format!("{DIR}tables/")) {
                let table = restore_table(&mut tx, &tables, ar.input(), size, rest).await?;
                if seen_tables.contains(&table) {
                    return Err(bad(format!("table {table} appears twice")));
                }
                seen_tables.push(table);
            } else if let Some(sha) = name.strip_prefix(&format!("{DIR}blobs/")) {
                if !crate::blobs::valid_sha(sha) {
                    return Err(bad(format!("member {name} is not named by a sha256")));
                }
                self.restore_blob(ar.input(), size, sha).await?;
                seen_blobs.push(BlobEntry {
                    sha256: sha.to_string(),
                    size,
                });
            } else if name == format!("{DIR}manifest.json") {
                let bytes = read_small(ar.input(), size, MAX_MANIFEST, "the manifest").await?;
                break serde_json::from_slice(&bytes).map_err(|e| bad(format!("manifest: {e}")))?;
            } else {
                return Err(bad(format!("unexpected member {name}")));
            }
        };
        if ar.next().await?.is_some() {
            return Err(bad("members after the manifest"));
        }

        // The manifest against what was read, and the database against the manifest.
        if manifest.schema_version != header.schema_version {
            return Err(bad(
                "the manifest and the header name different schema versions",
            ));
        }
        let mut want_blobs = manifest.blobs.clone();
        want_blobs.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        seen_blobs.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        if want_blobs != seen_blobs {
            return Err(BackupError::Mismatch(format!(
                "the manifest lists {} files, the archive holds {}",
                want_blobs.len(),
                seen_blobs.len()
            )));
        }
        for t in &tables {
            let got = table_digest(&mut tx, t).await?;
            let want = manifest.tables.iter().find(|d| d.table == t.name);
            let ok = match want {
                Some(w) => *w == got,
                None => got.rows == 0,
            };
            if !ok {
                return Err(BackupError::Mismatch(format!(
                    "table {}: {} rows restored, the manifest says {}",
                    t.name,
                    got.rows,
                    want.map_or(0, |w| w.rows)
                )));
            }
        }
        if let Some(extra) = manifest
            .tables
            .iter()
            .find(|d| !tables.iter().any(|t| t.name == d.table))
        {
            return Err(BackupError::Schema(format!(
                "the archive has a table {} this database lacks",
                extra.table
            )));
        }
        if self.backend == Backend::Postgres {
            reset_sequences(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(manifest)
    }

    /// Stores one archived file, refusing it unless it hashes to its name.
    async fn restore_blob(
        &self,
        input: &mut (impl AsyncRead + Unpin),
        size: u64,
        sha: &str,
    ) -> Result<(), BackupError> {
        let mut member = input.take(size);
        let mut w = self.blobs.writer(size).await?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = member.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            w.write(buf.get(..n).unwrap_or_default())
                .await
                .map_err(|e| bad(format!("file {sha}: {e}")))?;
        }
        if w.size() != size {
            return Err(bad(format!("the archive ends inside file {sha}")));
        }
        w.finish_expecting("", Some(sha))
            .await
            .map_err(|e| bad(format!("file {sha}: {e}")))?;
        Ok(())
    }
}

/// Reads one line (without its newline) into `line`, at most [`MAX_LINE`] bytes;
/// false at the end of the member.
async fn read_line(
    r: &mut (impl tokio::io::AsyncBufRead + Unpin),
    line: &mut Vec<u8>,
    member: &str,
) -> Result<bool, BackupError> {
    line.clear();
    let n = r.take(MAX_LINE + 1).read_until(b'\n', line).await?;
    if n == 0 {
        return Ok(false);
    }
    if line.pop() != Some(b'\n') {
        return Err(bad(format!(
            "{member}: a line longer than {MAX_LINE} bytes, or cut short"
        )));
    }
    Ok(true)
}

/// Inserts one table's rows from its archive member; returns the table's name.
async fn restore_table(
    tx: &mut AnyConnection,
    tables: &[Table],
    input: &mut (impl tokio::io::AsyncBufRead + Unpin),
    size: u64,
    member: &str,
) -> Result<String, BackupError> {
    let mut r = input.take(size);
    let mut line = Vec::new();
    #[derive(Deserialize)]
    struct First {
        table: String,
        columns: Vec<String>,
    }
    if !read_line(&mut r, &mut line, member).await? {
        return Err(bad(format!("{member} is empty")));
    }
    let first: First = serde_json::from_slice(&line).map_err(|e| bad(format!("{member}: {e}")))?;
    // The archive's names are only looked up in our own catalogue, never used as SQL.
    let t = tables
        .iter()
        .find(|t| t.name == first.table)
        .ok_or_else(|| {
            BackupError::Schema(format!(
                "the archive has a table {} this database lacks",
                first.table
            ))
        })?;
    let kinds = first
        .columns
        .iter()
        .map(|c| {
            t.columns
                .iter()
                .find(|(n, _)| n == c)
                .map(|(n, k)| (n.as_str(), *k))
                .ok_or_else(|| {
                    BackupError::Schema(format!(
                        "the archive has a column {}.{c} this database lacks",
                        t.name
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if kinds.len() != t.columns.len() {
        return Err(BackupError::Schema(format!(
            "the archive's table {} has other columns than this database's",
            t.name
        )));
    }
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        schema::quoted(&t.name),
        kinds
            .iter()
            .map(|(c, _)| schema::quoted(c))
            .collect::<Vec<_>>()
            .join(", "),
        (1..=kinds.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut n = 0u64;
    while read_line(&mut r, &mut line, member).await? {
        n += 1;
        let values: Vec<serde_json::Value> =
            serde_json::from_slice(&line).map_err(|e| bad(format!("{member} row {n}: {e}")))?;
        if values.len() != kinds.len() {
            return Err(bad(format!(
                "{member} row {n}: {} values for {} columns",
                values.len(),
                kinds.len()
            )));
        }
        let mut args = AnyArguments::default();
        for ((c, k), v) in kinds.iter().zip(&values) {
            bind(&mut args, *k, v, &|| format!("{member} row {n} column {c}"))?;
        }
        sqlx::query_with(sqlx::AssertSqlSafe(sql.clone()), args)
            .execute(&mut *tx)
            .await?;
    }
    if r.limit() != 0 {
        return Err(bad(format!("the archive ends inside {member}")));
    }
    Ok(t.name.clone())
}

/// Moves every sequence past the restored rows (none today: ids are made by the
/// platform; a later `SERIAL`/identity column would need it).
async fn reset_sequences(tx: &mut AnyConnection) -> Result<(), BackupError> {
    let cols = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns WHERE table_schema = current_schema() AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')",
    )
    .fetch_all(&mut *tx)
    .await?;
    for row in cols {
        let (t, c): (String, String) = (row.try_get("t")?, row.try_get("c")?);
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX({col}) FROM {tab}), 0) + 1, false)",
            col = schema::quoted(&c),
            tab = schema::quoted(&t)
        )))
        .bind(schema::quoted(&t))
        .bind(c)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
