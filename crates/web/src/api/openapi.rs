//! The OpenAPI 3 document, built from the route table so every API route is in it.
//! A snapshot test (`docs/api/openapi.json`) makes every API change visible in review.

use axum::Json;
use serde_json::{Map, Value, json};

fn string_props(names: &[&str]) -> Value {
    let mut m = Map::new();
    for n in names {
        m.insert((*n).to_string(), json!({ "type": "string" }));
    }
    Value::Object(m)
}

const UNIT_FIELDS: &[&str] = &[
    "code",
    "name",
    "kind",
    "address",
    "leader_name",
    "leader_title",
    "leader_phone",
    "leader_email",
    "security_unit",
    "security_person",
    "security_phone",
    "security_email",
    "report_phone",
    "report_email",
    "report_other",
];
const SYSTEM_INPUT_FIELDS: &[&str] = &[
    "name",
    "code",
    "owner_unit_id",
    "operator_unit_id",
    "system_type",
    "status",
    "go_live_date",
    "hosting_system_id",
    "information_types",
    "personal_subjects",
    "sensitive_subjects",
    "handles_admin_procedures",
    "requires_24x7",
    "urls",
    "ip_ranges",
    "components",
    "description",
];

fn schemas() -> Value {
    let mut unit_input = string_props(UNIT_FIELDS);
    if let Some(m) = unit_input.as_object_mut() {
        m.insert(
            "parent_id".into(),
            json!({ "type": "string", "description": "Required when creating." }),
        );
    }
    let mut unit = string_props(UNIT_FIELDS);
    if let Some(m) = unit.as_object_mut() {
        for k in ["id", "path", "created_at", "updated_at"] {
            m.insert(k.into(), json!({ "type": "string" }));
        }
        m.insert("parent_id".into(), json!({ "type": ["string", "null"] }));
        m.insert("active".into(), json!({ "type": "boolean" }));
    }
    json!({
        "Unit": { "type": "object", "properties": unit },
        "UnitInput": { "type": "object", "required": ["code", "name", "kind"], "properties": unit_input },
        "UnitMove": { "type": "object", "required": ["parent_id"], "properties": { "parent_id": { "type": "string" } } },
        "UnitActive": { "type": "object", "required": ["active"], "properties": { "active": { "type": "boolean" } } },
        "SystemInput": {
            "type": "object",
            "required": ["name", "owner_unit_id", "system_type", "status"],
            "description": "Lists (information_types, urls, ip_ranges) are comma- or newline-separated text; components are lines `vendor | product | version | cpe`; dates dd/mm/yyyy or yyyy-mm-dd.",
            "properties": string_props(SYSTEM_INPUT_FIELDS)
        },
        "System": {
            "type": "object",
            "properties": {
                "id": { "type": "string" }, "name": { "type": "string" }, "code": { "type": ["string", "null"] },
                "owner_unit_id": { "type": "string" }, "operator_unit_id": { "type": "string" },
                "owner_unit_name": { "type": "string" }, "operator_unit_name": { "type": "string" },
                "system_type": { "type": "string", "enum": ["internal", "citizen_business", "infrastructure", "industrial_control", "other"] },
                "status": { "type": "string", "enum": ["planning", "building", "operating", "retired"] },
                "go_live_date": { "type": ["string", "null"], "format": "date" },
                "hosting_system_id": { "type": ["string", "null"] }, "hosting_system_name": { "type": ["string", "null"] },
                "information_types": { "type": "array", "items": { "type": "string", "enum": ["public", "private", "personal", "state_secret"] } },
                "personal_subjects": { "type": "integer" }, "sensitive_subjects": { "type": "integer" },
                "handles_admin_procedures": { "type": "boolean" }, "requires_24x7": { "type": "boolean" },
                "urls": { "type": "array", "items": { "type": "string" } },
                "ip_ranges": { "type": "array", "items": { "type": "string" } },
                "components": { "type": "array", "items": { "type": "object", "properties": string_props(&["vendor", "product", "version", "cpe"]) } },
                "description": { "type": ["string", "null"] },
                "created_at": { "type": "string", "format": "date-time" }, "updated_at": { "type": "string", "format": "date-time" }
            }
        },
        "User": { "type": "object", "properties": string_props(&["id", "username", "display_name", "email", "role", "unit_id", "unit_name", "created_at"]) },
        "AuditEntry": { "type": "object", "properties": string_props(&["at", "actor_id", "actor_name", "unit_id", "action", "entity", "entity_id", "before", "after", "prev_hash", "hash"]) },
        "FileRef": { "type": "object", "properties": { "name": { "type": "string" }, "sha256": { "type": "string" }, "size": { "type": "integer" }, "count": { "type": "integer" } } },
        "Detection": { "type": "object", "description": "One detection, as `khien hunt --format jsonl` writes it.", "properties": {
            "timestamp": { "type": ["string", "null"] }, "source": { "type": "string" }, "computer": { "type": "string" }, "channel": { "type": "string" },
            "event_id": { "type": ["integer", "null"] }, "rule_id": { "type": "string" }, "rule_title": { "type": "string" }, "level": { "type": "string" },
            "author": { "type": "string" }, "tags": { "type": "array", "items": { "type": "string" } }, "matched": { "type": "object" } } },
        "HuntSummary": { "type": "object", "properties": { "files": { "type": "integer" }, "events": { "type": "integer" }, "skipped": { "type": "integer" }, "detections": { "type": "integer" }, "stored": { "type": "integer" },
            "by_level": { "type": "array", "items": { "type": "array" } }, "by_rule": { "type": "array", "items": { "type": "object", "properties": { "rule_id": { "type": "string" }, "rule_title": { "type": "string" }, "count": { "type": "integer" } } } },
            "problems": { "type": "array", "items": { "type": "string" } } } },
        "HuntReport": { "type": "object", "required": ["title", "systems"], "properties": {
            "title": { "type": "string" }, "systems": { "type": "array", "items": { "type": "string" } },
            "period_from": { "type": ["string", "null"], "format": "date" }, "period_to": { "type": ["string", "null"], "format": "date" },
            "sources": { "type": "array", "items": { "$ref": "#/components/schemas/FileRef" } }, "rule_sets": { "type": "array", "items": { "$ref": "#/components/schemas/FileRef" } },
            "ioc_sets": { "type": "array", "items": { "$ref": "#/components/schemas/FileRef" } }, "summary": { "$ref": "#/components/schemas/HuntSummary" },
            "detections": { "type": "array", "items": { "$ref": "#/components/schemas/Detection" } } } },
        "Hunt": { "type": "object", "properties": { "id": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "string", "enum": ["queued", "running", "done", "failed"] },
            "conclusion": { "type": "string", "enum": ["pending", "clean", "suspicious"] }, "summary": { "$ref": "#/components/schemas/HuntSummary" } } },
        "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "string" }, "message": { "type": "string" }, "errors": { "type": "array", "items": { "type": "object", "properties": string_props(&["field", "code", "message"]) } } } }
    })
}

/// (summary, request schema, response schema) of each API operation.
fn describe(method: &str, path: &str) -> (&'static str, Option<&'static str>, &'static str) {
    match (method, path) {
        ("GET", "/api/v1/openapi.json") => ("This document", None, ""),
        ("GET", "/api/v1/units") => (
            "Units in the caller's scope, in tree order",
            None,
            "UnitList",
        ),
        ("POST", "/api/v1/units") => (
            "Create a unit under a parent in scope",
            Some("UnitInput"),
            "Unit",
        ),
        ("GET", "/api/v1/units/{id}") => ("One unit", None, "Unit"),
        ("PUT", "/api/v1/units/{id}") => ("Edit a unit", Some("UnitInput"), "Unit"),
        ("POST", "/api/v1/units/{id}/move") => (
            "Move a unit (and its sub-units) under another parent",
            Some("UnitMove"),
            "Unit",
        ),
        ("POST", "/api/v1/units/{id}/active") => (
            "Deactivate or reactivate a unit",
            Some("UnitActive"),
            "Unit",
        ),
        ("GET", "/api/v1/systems") => (
            "Information systems (filters q, unit_id, system_type, status; sort, dir, page, per_page)",
            None,
            "SystemPage",
        ),
        ("POST", "/api/v1/systems") => (
            "Declare an information system",
            Some("SystemInput"),
            "System",
        ),
        ("GET", "/api/v1/systems/{id}") => {
            ("One information system with its components", None, "System")
        }
        ("PUT", "/api/v1/systems/{id}") => {
            ("Edit an information system", Some("SystemInput"), "System")
        }
        ("GET", "/api/v1/hunts") => (
            "Threat hunts in scope (filters system_id, conclusion, page)",
            None,
            "HuntPage",
        ),
        ("POST", "/api/v1/hunts") => (
            "Record a hunt run elsewhere (khien hunt --report-to), with its detections",
            Some("HuntReport"),
            "Hunt",
        ),
        ("GET", "/api/v1/hunts/{id}") => ("One hunt with its summary", None, "Hunt"),
        ("GET", "/api/v1/hunts/{id}/detections") => (
            "A hunt's detections (filters level, rule_id, computer, page)",
            None,
            "DetectionPage",
        ),
        ("GET", "/api/v1/users") => ("Users (province administrators)", None, "UserList"),
        ("GET", "/api/v1/audit") => (
            "Audit entries in scope (filters entity, entity_id, actor, action, page)",
            None,
            "AuditPage",
        ),
        _ => ("", None, ""),
    }
}

fn response_schema(name: &str) -> Value {
    let list = |item: &str| json!({ "type": "object", "properties": { "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } } } });
    let page = |item: &str| {
        json!({ "type": "object", "properties": {
            "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } },
            "total": { "type": "integer" }, "page": { "type": "integer" }, "per_page": { "type": "integer" } } })
    };
    match name {
        "UnitList" => list("Unit"),
        "UserList" => list("User"),
        "SystemPage" => page("System"),
        "HuntPage" => page("Hunt"),
        "DetectionPage" => page("Detection"),
        "AuditPage" => page("AuditEntry"),
        "" => json!({ "type": "object" }),
        other => json!({ "$ref": format!("#/components/schemas/{other}") }),
    }
}

pub fn openapi_document() -> Value {
    let mut paths = Map::new();
    for r in crate::route_table()
        .iter()
        .filter(|r| r.path.starts_with("/api/"))
    {
        let (summary, request, response) = describe(r.method, r.path);
        let mut op = json!({
            "summary": summary,
            "responses": {
                "200": { "description": "OK", "content": { "application/json": { "schema": response_schema(response) } } },
                "401": { "description": "Not authenticated", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "403": { "description": "Role not allowed" },
                "404": { "description": "Not found or outside the caller's scope" },
                "422": { "description": "Invalid input", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            }
        });
        if let Some(obj) = op.as_object_mut() {
            if r.roles.is_empty() {
                obj.insert("security".into(), json!([]));
            } else {
                obj.insert("x-roles".into(), json!(r.roles));
            }
            if let Some(req) = request {
                obj.insert("requestBody".into(), json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{req}") } } } }));
            }
            if r.path.contains("{id}") {
                obj.insert("parameters".into(), json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }]));
            }
        }
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        if let Some(m) = entry.as_object_mut() {
            m.insert(r.method.to_lowercase(), op);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Khiên API", "version": "1", "description": "Units, information systems, users and the audit trail of a province's information-security platform." },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "An API token created on the account page." } },
            "schemas": schemas()
        }
    })
}

pub async fn serve() -> Json<Value> {
    Json(openapi_document())
}
