//! The security plan as a sheet: exported with one row per requirement (its key, group,
//! text, status, reason, responsible, due date, evidence count), filled in Excel, and
//! imported back — every row checked first, then all stored in one transaction, or
//! none with the rows named.

use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use khien_docs::xlsx::{Column, XlsxError, read_first_sheet};
use khien_domain::plans::ReqStatus;
use khien_domain::text::fold;
use khien_store::plans::{RequirementUpdate, check_requirement_update};

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::error::{AppError, AppResult};
use crate::i18n::T;
use crate::view::Chrome;

/// The sheet's columns (i18n keys), in order; the import finds them by header.
const COLUMNS: [(&str, f64); 8] = [
    ("plan.sheet_key", 14.0),
    ("plan.sheet_group", 28.0),
    ("plan.requirement", 60.0),
    ("field.status", 18.0),
    ("plan.reason", 30.0),
    ("plan.responsible", 22.0),
    ("plan.due", 14.0),
    ("plan.evidence", 10.0),
];

/// Most rows an imported plan may have (the largest catalogue has fewer than 100).
const MAX_ROWS: usize = 500;

fn status_label(t: &T, s: ReqStatus) -> String {
    t.label("req", s.as_str())
}

pub async fn export(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let t = &c.t;
    let scoped = auth.scoped(&state);
    let s = scoped.system(&id).await?;
    let plan = scoped.plan(&id).await?.ok_or(AppError::Conflict("plan.err_no_level"))?;
    let choices: Vec<String> = ReqStatus::SETTABLE.iter().map(|st| status_label(t, *st)).collect();
    let columns = COLUMNS
        .iter()
        .map(|(k, w)| Column {
            header: t.s(k).to_string(),
            width: *w,
            choices: if *k == "field.status" { choices.clone() } else { vec![] },
        })
        .collect();
    let rows = plan
        .items
        .iter()
        .map(|i| {
            vec![
                i.key.clone(),
                i.group.clone(),
                i.title.clone(),
                status_label(t, i.status),
                i.reason.clone().unwrap_or_default(),
                i.responsible.clone().unwrap_or_default(),
                i.due_date.as_deref().map(khien_domain::time_fmt::display_date).unwrap_or_default(),
                i.evidence.len().to_string(),
            ]
        })
        .collect();
    let name = format!("phuong-an-{}.xlsx", s.fields.code.as_deref().unwrap_or(&s.id));
    crate::support::xlsx_download(t.s("plan.sheet").to_string(), columns, rows, None, &name).await
}

/// A status cell: its label in either language or its code, ignoring case and marks.
fn status_of(cell: &str) -> Option<ReqStatus> {
    let want = fold(cell);
    ReqStatus::SETTABLE.into_iter().chain([ReqStatus::Inherited]).find(|s| {
        fold(s.as_str()) == want
            || crate::i18n::labels_for("req")
                .iter()
                .any(|(code, label)| code == s.as_str() && fold(label) == want)
    })
}

pub async fn import(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    c: Chrome,
    Path(id): Path<String>,
    mut mp: Multipart,
) -> AppResult<Response> {
    let mut file = None;
    while let Some(field) = mp.next_field().await.map_err(|_| AppError::PayloadTooLarge)? {
        if field.name() == Some("file") {
            file = Some(field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?);
        }
    }
    let scoped = auth.scoped(&state);
    let plan = scoped.plan(&id).await?.ok_or(AppError::Conflict("plan.err_no_level"))?;
    let t = c.t;
    let refuse = |c: Chrome, errors: Vec<String>| super::pages::import_refused(&state, &auth, c, &id, errors);
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return refuse(c, vec![t.s("import.no_file").to_string()]).await;
    };
    let parsed = crate::support::blocking::run(move || read_first_sheet(&bytes, MAX_ROWS)).await?;
    let table = match parsed {
        Ok(table) => table,
        Err(XlsxError::TooManyRows(_)) => return refuse(c, vec![t.s("import.too_many_rows").to_string()]).await,
        Err(XlsxError::ZipRefused(_)) => return refuse(c, vec![t.s("import.archive_refused").to_string()]).await,
        Err(_) => return refuse(c, vec![t.s("import.not_xlsx").to_string()]).await,
    };
    // Columns by header, in either language.
    let col = |key: &str| {
        let names: Vec<String> = [crate::i18n::Lang::Vi, crate::i18n::Lang::En]
            .into_iter()
            .map(|lang| fold(T { lang }.s(key)))
            .collect();
        table.headers.iter().position(|h| names.contains(&fold(h)))
    };
    let (Some(k), Some(st)) = (col("plan.sheet_key"), col("field.status")) else {
        return refuse(c, vec![t.s("plan.import_columns").to_string()]).await;
    };
    let (reason, responsible, due) = (col("plan.reason"), col("plan.responsible"), col("plan.due"));
    let cell = |r: &Vec<String>, i: Option<usize>| i.and_then(|i| r.get(i)).map(|s| s.trim().to_string()).unwrap_or_default();
    let mut errors = Vec::new();
    let mut updates = Vec::new();
    let mut unchanged = 0usize;
    for (row_no, r) in &table.rows {
        let key = cell(r, Some(k));
        let Some(item) = plan.items.iter().find(|i| i.key == key) else {
            errors.push(t.f("plan.import_bad_key", &[&row_no.to_string(), &key]));
            continue;
        };
        let typed = cell(r, Some(st));
        let status = match status_of(&typed) {
            // "Inherited" is derived from the host, never set: as exported, it is unchanged.
            Some(ReqStatus::Inherited) if item.status == ReqStatus::Inherited => {
                unchanged += 1;
                continue;
            }
            Some(s) if s != ReqStatus::Inherited => s,
            _ => {
                errors.push(t.f("plan.import_bad_status", &[&row_no.to_string(), &typed]));
                continue;
            }
        };
        let u = RequirementUpdate {
            status: status.as_str().to_string(),
            reason: cell(r, reason),
            responsible: cell(r, responsible),
            due_date: cell(r, due),
        };
        if let Err(khien_store::StoreError::Invalid(e)) = check_requirement_update(&u) {
            for fe in e.errors {
                errors.push(format!("{} {row_no}: {}", t.s("plan.import_row"), t.s(fe.key)));
            }
            continue;
        }
        let current = RequirementUpdate {
            status: item.status.as_str().to_string(),
            reason: item.reason.clone().unwrap_or_default(),
            responsible: item.responsible.clone().unwrap_or_default(),
            due_date: item.due_date.as_deref().map(khien_domain::time_fmt::display_date).unwrap_or_default(),
        };
        if u == current {
            unchanged += 1;
        } else {
            updates.push((key, u));
        }
    }
    if !errors.is_empty() {
        return refuse(c, errors).await;
    }
    match scoped.set_requirements(&id, &updates).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/systems/{id}/plan?imported={}&unchanged={unchanged}",
            updates.len()
        ))
        .into_response()),
        Err(khien_store::StoreError::Conflict(k)) => refuse(c, vec![t.s(k).to_string()]).await,
        Err(e) => Err(e.into()),
    }
}
