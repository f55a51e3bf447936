//! Systems in Excel: the import template, the export of a filtered list, and the
//! all-or-nothing import with every error listed by row and column.

use std::collections::HashMap;

use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use khien_docs::xlsx::{Column, Guide, XlsxError, read_first_sheet};
use khien_domain::systems::{InfoType, SystemFields, SystemInput, SystemStatus, SystemType};
use khien_domain::text::fold;
use khien_store::StoreError;
use khien_store::systems::{System, SystemFilter};

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::error::{AppError, AppResult};
use crate::i18n::{T, labels_for};
use crate::view::{Chrome, field_message, render};

const MAX_IMPORT_ROWS: usize = khien_docs::xlsx::IMPORT_ROWS;

/// The columns of the systems sheet: (field, width). Headers come from `field.<name>`.
const COLUMNS: &[(&str, f64)] = &[
    ("name", 40.0),
    ("code", 14.0),
    ("owner_unit_code", 18.0),
    ("operator_unit_code", 18.0),
    ("system_type", 22.0),
    ("status", 16.0),
    ("go_live_date", 14.0),
    ("information_types", 26.0),
    ("personal_subjects", 14.0),
    ("sensitive_subjects", 14.0),
    ("handles_admin_procedures", 14.0),
    ("requires_24x7", 12.0),
    ("urls", 30.0),
    ("ip_ranges", 22.0),
    ("components", 40.0),
    ("description", 40.0),
];

fn columns(t: &T, with_choices: bool) -> Vec<Column> {
    COLUMNS
        .iter()
        .map(|(key, width)| {
            let choices: Vec<String> = match (*key, with_choices) {
                ("system_type", true) => SystemType::ALL
                    .iter()
                    .map(|v| t.label("system_type", v.as_str()))
                    .collect(),
                ("status", true) => SystemStatus::ALL
                    .iter()
                    .map(|v| t.label("status", v.as_str()))
                    .collect(),
                ("handles_admin_procedures" | "requires_24x7", true) => {
                    vec![t.s("common.yes").into(), t.s("common.no").into()]
                }
                _ => vec![],
            };
            Column {
                header: t.s(&format!("field.{key}")).to_string(),
                width: *width,
                choices,
            }
        })
        .collect()
}

/// Writes a table off the async threads and sends it as a download.
fn guide(t: &T) -> Guide {
    let mut lines = vec![(
        t.s("import.guide_title").to_string(),
        t.s("import.guide_intro").to_string(),
    )];
    for (key, _) in COLUMNS {
        lines.push((
            t.s(&format!("field.{key}")).to_string(),
            t.s(&format!("help.{key}")).to_string(),
        ));
    }
    Guide {
        sheet_name: t.s("import.guide_sheet").to_string(),
        lines,
    }
}

pub async fn template(auth: Auth<AnyRole>, c: Chrome) -> AppResult<Response> {
    let _ = auth;
    crate::support::xlsx_download(
        c.t.s("import.sheet").to_string(),
        columns(&c.t, true),
        Vec::new(),
        Some(guide(&c.t)),
        "khien-mau-he-thong.xlsx",
    )
    .await
}

fn yes_no(t: &T, b: bool) -> String {
    t.s(if b { "common.yes" } else { "common.no" }).to_string()
}

fn export_row(t: &T, s: &System, codes: &HashMap<String, String>) -> Vec<String> {
    let f = &s.fields;
    vec![
        f.name.clone(),
        f.code.clone().unwrap_or_default(),
        codes.get(&f.owner_unit_id).cloned().unwrap_or_default(),
        codes.get(&f.operator_unit_id).cloned().unwrap_or_default(),
        t.label("system_type", f.system_type.as_str()),
        t.label("status", f.status.as_str()),
        f.go_live_date
            .as_deref()
            .map(khien_domain::time_fmt::display_date)
            .unwrap_or_default(),
        f.information_types
            .iter()
            .map(|i| t.label("info", i.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
        f.personal_subjects.to_string(),
        f.sensitive_subjects.to_string(),
        yes_no(t, f.handles_admin_procedures),
        yes_no(t, f.requires_24x7),
        f.urls.join("\n"),
        f.ip_ranges.join("\n"),
        f.components_text(),
        f.description.clone().unwrap_or_default(),
    ]
}

pub async fn export(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Query(filter): Query<SystemFilter>,
) -> AppResult<Response> {
    let scoped = auth.scoped(&state);
    let page = scoped.systems(&filter, None).await?;
    // Codes of every unit a listed system points to; operators may lie outside the scope.
    let codes: HashMap<String, String> = state
        .store
        .as_system()
        .units(true)
        .await?
        .into_iter()
        .map(|u| (u.id, u.fields.code))
        .collect();
    let rows: Vec<Vec<String>> = page
        .items
        .iter()
        .map(|s| export_row(&c.t, s, &codes))
        .collect();
    crate::support::xlsx_download(
        c.t.s("import.sheet").to_string(),
        columns(&c.t, false),
        rows,
        None,
        "khien-he-thong.xlsx",
    )
    .await
}

#[derive(askama::Template)]
#[template(path = "systems/systems_import.html")]
struct ImportPage {
    c: Chrome,
    /// (Excel row, column header, message)
    errors: Vec<(usize, String, String)>,
    error: Option<String>,
    imported: Option<usize>,
}

impl ImportPage {
    fn done_text(&self, n: &usize) -> String {
        self.c.t.f("import.done", &[&n.to_string()])
    }
}

pub async fn import_form(auth: Auth<SystemEditor>, c: Chrome) -> AppResult<Html<String>> {
    let _ = auth;
    render(&ImportPage {
        c,
        errors: vec![],
        error: None,
        imported: None,
    })
}

/// Maps a cell to a code: accepts the code itself or its label in either language,
/// ignoring case and diacritics.
fn code_of(prefix: &str, cell: &str, codes: &[&str]) -> Option<String> {
    let want = fold(cell);
    if let Some(c) = codes.iter().find(|c| fold(c) == want) {
        return Some((*c).to_string());
    }
    labels_for(prefix)
        .into_iter()
        .find(|(code, label)| fold(label) == want && codes.contains(&code.as_str()))
        .map(|(code, _)| code)
}

fn bad_request(page: ImportPage) -> AppResult<Response> {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

pub async fn import(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    c: Chrome,
    mut mp: Multipart,
) -> AppResult<Response> {
    let mut file = None;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| AppError::PayloadTooLarge)?
    {
        if field.name() == Some("file") {
            file = Some(field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?);
        }
    }
    let fail = |c: Chrome, key: &str| {
        let error = Some(c.t.s(key).to_string());
        bad_request(ImportPage {
            c,
            errors: vec![],
            error,
            imported: None,
        })
    };
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return fail(c, "import.no_file");
    };
    // Parsing is CPU work on untrusted input: off the async threads, bounded.
    let parsed = crate::support::blocking::run(move || read_first_sheet(&bytes, MAX_IMPORT_ROWS)).await?;
    let table = match parsed {
        Ok(t) => t,
        Err(XlsxError::TooManyRows(_)) => return fail(c, "import.too_many_rows"),
        Err(XlsxError::TooLarge(_)) => return fail(c, "import.sheet_too_large"),
        Err(XlsxError::ZipRefused(_)) => return fail(c, "import.archive_refused"),
        Err(_) => return fail(c, "import.not_xlsx"),
    };
    // Find each known column by its header in either language or by its field name.
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, h) in table.headers.iter().enumerate() {
        let h = fold(h);
        for (key, _) in COLUMNS {
            let vi = fold(
                T {
                    lang: crate::i18n::Lang::Vi,
                }
                .s(&format!("field.{key}")),
            );
            let en = fold(
                T {
                    lang: crate::i18n::Lang::En,
                }
                .s(&format!("field.{key}")),
            );
            if h == vi || h == en || h == *key {
                index.insert(key, i);
            }
        }
    }
    if !index.contains_key("name") || !index.contains_key("owner_unit_code") {
        return fail(c, "import.missing_columns");
    }
    if table.rows.is_empty() {
        return fail(c, "import.empty");
    }
    let scoped = auth.scoped(&state);
    let unit_ids: HashMap<String, String> = scoped
        .units(false)
        .await?
        .into_iter()
        .map(|u| (fold(&u.fields.code), u.id))
        .collect();
    let all_ids: HashMap<String, String> = state
        .store
        .as_system()
        .units(false)
        .await?
        .into_iter()
        .map(|u| (fold(&u.fields.code), u.id))
        .collect();
    let header_of = |field: &str| c.t.s(&format!("field.{field}")).to_string();
    let mut errors = Vec::new();
    let mut good: Vec<SystemFields> = Vec::new();
    let type_codes: Vec<&str> = SystemType::ALL.iter().map(|v| v.as_str()).collect();
    let status_codes: Vec<&str> = SystemStatus::ALL.iter().map(|v| v.as_str()).collect();
    let info_codes: Vec<&str> = InfoType::ALL.iter().map(|v| v.as_str()).collect();
    for (row_no, cells) in &table.rows {
        let get = |key: &str| {
            index
                .get(key)
                .and_then(|i| cells.get(*i))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let mut row_errors: Vec<(String, String)> = Vec::new();
        let mut resolve_unit =
            |key: &str, map: &HashMap<String, String>, required: bool| -> String {
                let code = get(key);
                if code.is_empty() {
                    if required {
                        row_errors.push((header_of(key), c.t.s("err.required").to_string()));
                    }
                    return String::new();
                }
                map.get(&fold(&code)).cloned().unwrap_or_else(|| {
                    row_errors.push((
                        header_of(key),
                        format!("{} ({code})", c.t.s("err.unit_code_unknown")),
                    ));
                    String::new()
                })
            };
        let owner = resolve_unit("owner_unit_code", &unit_ids, true);
        let operator = resolve_unit("operator_unit_code", &all_ids, false);
        let mapped = |prefix: &str, key: &str, codes: &[&str]| {
            let raw = get(key);
            if raw.is_empty() {
                String::new()
            } else {
                code_of(prefix, &raw, codes).unwrap_or(raw)
            }
        };
        let info = get("information_types")
            .split([',', ';', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| code_of("info", s, &info_codes).unwrap_or_else(|| s.to_string()))
            .collect::<Vec<_>>()
            .join(",");
        let flag = |key: &str| {
            let raw = get(key);
            let yes = fold(c.t.s("common.yes"));
            let no = fold(c.t.s("common.no"));
            Some(if fold(&raw) == yes {
                "1".to_string()
            } else if fold(&raw) == no {
                "0".to_string()
            } else {
                raw
            })
        };
        let input = SystemInput {
            name: get("name"),
            code: get("code"),
            owner_unit_id: owner.clone(),
            operator_unit_id: operator,
            system_type: mapped("system_type", "system_type", &type_codes),
            status: mapped("status", "status", &status_codes),
            go_live_date: get("go_live_date"),
            hosting_system_id: String::new(),
            information_types: info,
            personal_subjects: get("personal_subjects"),
            sensitive_subjects: get("sensitive_subjects"),
            handles_admin_procedures: flag("handles_admin_procedures"),
            requires_24x7: flag("requires_24x7"),
            urls: get("urls"),
            ip_ranges: get("ip_ranges"),
            components: get("components"),
            description: get("description"),
        };
        match input.validate() {
            Ok(f) if row_errors.is_empty() => good.push(f),
            Ok(_) => {}
            Err(inv) => {
                for e in inv.errors {
                    // Unit ids resolved above already reported their own column.
                    if e.field == "owner_unit_id" && owner.is_empty() {
                        continue;
                    }
                    let col = match e.field {
                        "owner_unit_id" => "owner_unit_code",
                        "operator_unit_id" => "operator_unit_code",
                        other => other,
                    };
                    row_errors.push((header_of(col), field_message(&c.t, &e)));
                }
            }
        }
        errors.extend(row_errors.into_iter().map(|(col, msg)| (*row_no, col, msg)));
    }
    if !errors.is_empty() {
        return bad_request(ImportPage {
            c,
            errors,
            error: Some(String::new()),
            imported: None,
        });
    }
    match scoped.import_systems(&good).await {
        Ok(ids) => render(&ImportPage {
            c,
            errors: vec![],
            error: None,
            imported: Some(ids.len()),
        })
        .map(IntoResponse::into_response),
        Err(StoreError::Invalid(inv)) => {
            let errors = inv
                .errors
                .iter()
                .map(|e| (0, header_of(e.field), field_message(&c.t, e)))
                .collect();
            bad_request(ImportPage {
                c,
                errors,
                error: Some(String::new()),
                imported: None,
            })
        }
        Err(e) => Err(e.into()),
    }
}
