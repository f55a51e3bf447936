//! The audit trail browser: filter by object type, action, actor; objects named and
//! linked; each change as a before/after table; CSV export; and, for administrators,
//! the chain verification (a job: it reads the whole trail). Units see their own.

use std::collections::HashMap;

use axum::extract::{Query, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_store::{AuditEntry, AuditFilter, ChainReport, Page};

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, ProvinceAdmin};
use crate::error::AppResult;
use crate::i18n::T;
use crate::view::{Chrome, page_href, render};

/// Object types the filter offers (those the trail records), in menu order.
const ENTITIES: [&str; 10] = [
    "unit", "system", "dossier", "hunt", "rule_set", "rule", "user", "api_token", "setting", "audit_log",
];

/// One line of a change: the field as people name it, before and after.
pub struct ChangeRow {
    pub field: String,
    pub before: String,
    pub after: String,
    pub changed: bool,
}

/// Top-level fields of the before/after JSON side by side; a field whose value is an
/// object or list is shown as compact JSON. Text that is not JSON is shown as it is.
pub fn change_rows(t: &T, before: &str, after: &str) -> Vec<ChangeRow> {
    fn fields(s: &str) -> Vec<(String, serde_json::Value)> {
        match serde_json::from_str::<serde_json::Value>(s) {
            Ok(serde_json::Value::Object(m)) => m.into_iter().collect(),
            Ok(serde_json::Value::Null) | Err(_) if s.trim().is_empty() => vec![],
            Ok(v) => vec![(String::new(), v)],
            Err(_) => vec![(String::new(), serde_json::Value::String(s.to_string()))],
        }
    }
    fn show(v: Option<&serde_json::Value>) -> String {
        match v {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Bool(b)) => if *b { "✓".into() } else { "✗".into() },
            Some(v) => v.to_string(),
        }
    }
    let b: HashMap<String, serde_json::Value> = fields(before).into_iter().collect();
    let a = fields(after);
    let mut keys: Vec<String> = b.keys().cloned().collect();
    for (k, _) in &a {
        if !b.contains_key(k) {
            keys.push(k.clone());
        }
    }
    keys.sort();
    keys.dedup();
    let a: HashMap<String, serde_json::Value> = a.into_iter().collect();
    keys.into_iter()
        .map(|k| {
            let (before, after) = (show(b.get(&k)), show(a.get(&k)));
            let label = t.label("field", &k);
            ChangeRow {
                field: label,
                changed: before != after,
                before,
                after,
            }
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "audit/audit.html")]
struct AuditPage {
    c: Chrome,
    filter: AuditFilter,
    page: Page<AuditEntry>,
    base_query: String,
    names: HashMap<(String, String), String>,
    entities: &'static [&'static str],
    /// (action code, label), sorted by label.
    actions: Vec<(String, String)>,
    /// The latest verification: (state, finished at, report).
    verification: Option<(String, Option<String>, Option<ChainReport>)>,
}

impl AuditPage {
    fn page_link(&self, n: i64) -> String {
        page_href(&self.base_query, n)
    }
    /// The next page: by cursor (keyset) when the list has one, else by number.
    fn next_link(&self) -> String {
        crate::view::next_href(&self.base_query, &self.page)
    }
    /// The object's name, or its id when it has none (deleted, or a kind without one).
    fn object(&self, h: &AuditEntry) -> String {
        self.names
            .get(&(h.entity.clone(), h.entity_id.clone()))
            .cloned()
            .unwrap_or_else(|| h.entity_id.clone())
    }
    fn object_href(&self, h: &AuditEntry) -> Option<String> {
        object_href(&h.entity, &h.entity_id)
    }
    fn changes(&self, h: &AuditEntry) -> Vec<ChangeRow> {
        change_rows(&self.c.t, &h.before, &h.after)
    }
}

/// Where an object of the trail is shown, if it has a page.
fn object_href(entity: &str, id: &str) -> Option<String> {
    match entity {
        "system" => Some(format!("/systems/{id}")),
        "unit" => Some(format!("/units/{id}")),
        "dossier" => Some(format!("/dossiers/{id}")),
        "hunt" => Some(format!("/hunts/{id}")),
        "user" => Some(format!("/users/{id}")),
        _ => None,
    }
}

fn action_choices(t: &T) -> Vec<(String, String)> {
    let mut codes: Vec<String> = crate::i18n::labels_for("action").into_iter().map(|(k, _)| k).collect();
    codes.sort();
    codes.dedup();
    let mut out: Vec<(String, String)> = codes.into_iter().map(|k| {
        let l = t.label("action", &k);
        (k, l)
    }).collect();
    out.sort_by_key(|a| khien_domain::text::fold(&a.1));
    out
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Query(filter): Query<AuditFilter>,
    RawQuery(raw): RawQuery,
) -> AppResult<Html<String>> {
    let scoped = auth.scoped(&state);
    let page = scoped.audit(&filter, 50).await?;
    let names = scoped.audit_object_names(&page.items).await?;
    let verification = if khien_domain::audit::may_verify(auth.principal.role).is_ok() {
        scoped
            .last_audit_verification()
            .await?
            .map(|(job, report)| (job.state, job.finished_at, report))
    } else {
        None
    };
    let actions = action_choices(&c.t);
    render(&AuditPage {
        c,
        filter,
        page,
        base_query: crate::support::base_query(raw.as_deref()),
        names,
        entities: &ENTITIES,
        actions,
        verification,
    })
}

/// Most rows one export carries; beyond it the file says it was cut.
const EXPORT_MAX: usize = 100_000;
const EXPORT_CHUNK: i64 = 1_000;

/// The trail as the filter selects it, as CSV (UTF-8 with BOM, so Excel reads the
/// diacritics), read in keyset chunks.
pub async fn export(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Query(mut filter): Query<AuditFilter>,
) -> AppResult<Response> {
    let t = &c.t;
    let scoped = auth.scoped(&state);
    let mut out = String::from("\u{feff}");
    let header = [
        "#",
        t.s("audit.at"),
        t.s("audit.actor"),
        t.s("audit.addr"),
        t.s("audit.action"),
        t.s("audit.entity"),
        t.s("audit.object"),
        "ID",
        t.s("audit.before"),
        t.s("audit.after"),
    ];
    push_csv(&mut out, header.iter().map(|s| s.to_string()));
    filter.page = 1;
    let mut rows = 0usize;
    let mut cut = false;
    loop {
        let page = scoped.audit(&filter, EXPORT_CHUNK).await?;
        let names = scoped.audit_object_names(&page.items).await?;
        for h in &page.items {
            if rows == EXPORT_MAX {
                cut = true;
                break;
            }
            rows += 1;
            let name = names.get(&(h.entity.clone(), h.entity_id.clone())).cloned().unwrap_or_default();
            push_csv(
                &mut out,
                [
                    h.seq.to_string(),
                    c.datetime(&h.at),
                    h.actor_name.clone(),
                    h.client_addr.clone(),
                    t.label("action", &h.action),
                    t.label("entity", &h.entity),
                    name,
                    h.entity_id.clone(),
                    h.before.clone(),
                    h.after.clone(),
                ]
                .into_iter(),
            );
        }
        match (&page.next_after, cut) {
            (Some(after), false) => filter.after = after.parse().unwrap_or(0),
            _ => break,
        }
    }
    if cut {
        push_csv(&mut out, [t.f("audit.export_cut", &[&crate::view::thousands(EXPORT_MAX as i64)])].into_iter());
    }
    Ok(crate::support::download_bytes("khien-nhat-ky.csv", "text/csv; charset=utf-8", out.into_bytes()))
}

/// One CSV record (RFC 4180 quoting; a cell starting with = + - @ is prefixed with ' so
/// a spreadsheet does not run it as a formula).
fn push_csv(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let cell = if cell.starts_with(['=', '+', '-', '@']) { format!("'{cell}") } else { cell };
        if cell.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
}

/// Queues a verification of the whole chain (administrators).
pub async fn verify(State(state): State<AppState>, auth: Auth<ProvinceAdmin>) -> AppResult<Response> {
    auth.scoped(&state).queue_audit_verification().await?;
    Ok(Redirect::to("/audit#verification").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_lines_up_fields_and_marks_what_changed() {
        let t = T { lang: crate::i18n::Lang::Vi };
        let rows = change_rows(&t, r#"{"name":"A","status":"planning"}"#, r#"{"name":"A","status":"operating","code":"X1"}"#);
        let by: HashMap<&str, &ChangeRow> = rows.iter().map(|r| (r.field.as_str(), r)).collect();
        assert!(!by["Tên"].changed);
        assert!(by["Trạng thái"].changed && by["Trạng thái"].after == "operating");
        assert!(by["Mã"].changed && by["Mã"].before.is_empty());
        assert!(change_rows(&t, "", "").is_empty());
        assert_eq!(change_rows(&t, "", "not json")[0].after, "not json");
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let mut s = String::new();
        push_csv(&mut s, ["a,b".to_string(), "=1+1".to_string(), "x\"y".to_string()].into_iter());
        assert_eq!(s, "\"a,b\",'=1+1,\"x\"\"y\"\r\n");
    }
}
