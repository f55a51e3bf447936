//! The OpenAPI document: snapshot-tested (any API change shows up in review as a diff of
//! docs/api/openapi.json; regenerate with KHIEN_UPDATE_SNAPSHOTS=1), complete (every API
//! route of the router, with typed parameters and the error body), and true: real
//! responses of the in-process app, on both databases, validate against it.

use khien_domain::Role;
use serde_json::{Value, json};

use crate::harness::{Client, Reply, World, stores, world};

#[test]
fn openapi_matches_the_snapshot() {
    let doc = serde_json::to_string_pretty(&khien_web::api::openapi_document()).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api/openapi.json");
    if std::env::var("KHIEN_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api")).unwrap();
        std::fs::write(path, &doc).unwrap();
    }
    let snapshot = std::fs::read_to_string(path)
        .expect("docs/api/openapi.json missing: run with KHIEN_UPDATE_SNAPSHOTS=1");
    assert!(
        snapshot == doc,
        "the API changed: review and run with KHIEN_UPDATE_SNAPSHOTS=1 to accept"
    );
}

#[test]
fn every_api_route_is_documented_with_its_parameters() {
    let v = khien_web::api::openapi_document();
    assert_eq!(v["openapi"], "3.1.0");
    for r in khien_web::route_table()
        .iter()
        .filter(|r| r.path.starts_with("/api/"))
    {
        let op = &v["paths"][r.path][r.method.to_lowercase()];
        let who = format!("{} {}", r.method, r.path);
        assert!(op.is_object(), "{who} missing");
        assert!(op.get("x-undocumented").is_none(), "{who} undocumented");
        assert!(
            !op["summary"].as_str().unwrap().is_empty(),
            "{who}: no summary"
        );
        let ok = ["200", "201"]
            .iter()
            .any(|s| op["responses"][s].is_object());
        assert!(ok, "{who}: no success response");
        for p in r.path.split('/').filter_map(|s| s.strip_prefix('{')) {
            let name = p.trim_end_matches('}');
            assert!(
                op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|x| x["name"] == name && x["in"] == "path")),
                "{who}: path parameter {name} not declared"
            );
        }
        if !r.roles.is_empty() {
            assert_eq!(
                op["responses"]["403"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/Error",
                "{who}: the error body is not declared"
            );
        }
    }
    // Paging and filters are declared, typed.
    let params = |path: &str| -> Vec<(String, Value)> {
        v["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| (p["name"].as_str().unwrap().to_string(), p["schema"].clone()))
            .collect()
    };
    let systems = params("/api/v1/systems");
    for name in [
        "q",
        "unit_id",
        "system_type",
        "status",
        "sort",
        "dir",
        "page",
        "per_page",
    ] {
        assert!(systems.iter().any(|(n, _)| n == name), "systems: no {name}");
    }
    let page = &systems.iter().find(|(n, _)| n == "page").unwrap().1;
    assert_eq!(page["type"], "integer");
    for (path, name) in [
        ("/api/v1/hunts", "conclusion"),
        ("/api/v1/hunts/{id}/detections", "level"),
        ("/api/v1/audit", "entity"),
        ("/api/v1/audit", "page"),
    ] {
        assert!(
            params(path).iter().any(|(n, _)| n == name),
            "{path}: no {name}"
        );
    }
    let error = &v["components"]["schemas"]["Error"];
    for k in ["error", "key", "message"] {
        assert!(
            error["required"].as_array().unwrap().contains(&json!(k)),
            "Error.{k}"
        );
    }
    // Every `$ref` points at a schema that exists.
    let mut refs = Vec::new();
    collect_refs(&v, &mut refs);
    for r in refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        assert!(v["components"]["schemas"][name].is_object(), "dangling {r}");
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|x| collect_refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// Checks `v` against `schema`, over the JSON Schema subset the document uses: `$ref`,
/// `type`, `enum`, `const`, `oneOf`/`anyOf`/`allOf`, `required`, `properties`,
/// `additionalProperties`, `items`, `prefixItems`, `minItems`/`maxItems`,
/// `minimum`/`maximum`. Stricter than JSON Schema on one point: an object schema that
/// lists properties admits no others, so a field the server sends but the document
/// does not declare is an error.
fn validate(doc: &Value, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    let s = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => return errs.push(format!("{at}: nothing is allowed here")),
        Value::Object(s) => s,
        other => return errs.push(format!("{at}: not a schema: {other}")),
    };
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        if target.is_null() {
            return errs.push(format!("{at}: dangling {r}"));
        }
        validate(doc, target, v, at, errs);
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let is = |ty: &str| match ty {
            "null" => v.is_null(),
            "boolean" => v.is_boolean(),
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "number" => v.is_number(),
            "integer" => v.is_i64() || v.is_u64(),
            _ => false,
        };
        if !types.iter().any(|ty| is(ty)) {
            return errs.push(format!("{at}: {v} is not {types:?}"));
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        errs.push(format!("{at}: {v} not in {e:?}"));
    }
    if let Some(c) = s.get("const")
        && c != v
    {
        errs.push(format!("{at}: {v} is not {c}"));
    }
    let passes = |sub: &Value| {
        let mut e = Vec::new();
        validate(doc, sub, v, at, &mut e);
        e.is_empty()
    };
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for sub in all {
            validate(doc, sub, v, at, errs);
        }
    }
    if let Some(any) = s.get("anyOf").and_then(Value::as_array)
        && !any.iter().any(passes)
    {
        errs.push(format!("{at}: {v} matches none of anyOf"));
    }
    if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
        let n = one.iter().filter(|sub| passes(sub)).count();
        if n != 1 {
            errs.push(format!("{at}: {v} matches {n} of oneOf"));
        }
    }
    if let Some(n) = v.as_f64() {
        if s.get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n < m)
        {
            errs.push(format!("{at}: {n} below minimum"));
        }
        if s.get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n > m)
        {
            errs.push(format!("{at}: {n} above maximum"));
        }
    }
    if let Some(obj) = v.as_object() {
        for k in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(k) = k.as_str()
                && !obj.contains_key(k)
            {
                errs.push(format!("{at}: required {k} missing"));
            }
        }
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (k, x) in obj {
                match props.get(k) {
                    Some(p) => validate(doc, p, x, &format!("{at}.{k}"), errs),
                    None => match s.get("additionalProperties") {
                        Some(Value::Bool(true)) => {}
                        Some(extra @ Value::Object(_)) => {
                            validate(doc, extra, x, &format!("{at}.{k}"), errs)
                        }
                        _ => errs.push(format!("{at}: undocumented field {k}")),
                    },
                }
            }
        }
    }
    if let Some(items) = v.as_array() {
        if s.get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| (items.len() as u64) < m)
        {
            errs.push(format!("{at}: fewer items than minItems"));
        }
        if s.get("maxItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| (items.len() as u64) > m)
        {
            errs.push(format!("{at}: more items than maxItems"));
        }
        let prefix = s.get("prefixItems").and_then(Value::as_array);
        for (i, x) in items.iter().enumerate() {
            let sub = prefix.and_then(|p| p.get(i)).or_else(|| s.get("items"));
            if let Some(sub) = sub {
                validate(doc, sub, x, &format!("{at}[{i}]"), errs);
            }
        }
    }
}

/// The documented JSON schema of `method path`'s reply with this status.
fn reply_schema<'d>(doc: &'d Value, method: &str, path: &str, status: u16) -> &'d Value {
    let s = &doc["paths"][path][method.to_lowercase()]["responses"][status.to_string()]["content"]
        ["application/json"]["schema"];
    assert!(
        !s.is_null(),
        "{method} {path}: {status} is not documented as JSON"
    );
    s
}

/// Asserts the reply has the expected status and a body the document describes.
fn conforms(doc: &Value, method: &str, path: &str, expected: u16, r: &Reply) -> Value {
    assert_eq!(
        r.status.as_u16(),
        expected,
        "{method} {path}: {}",
        r.body.chars().take(400).collect::<String>()
    );
    let body: Value = serde_json::from_str(&r.body)
        .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {}", r.body));
    let mut errs = Vec::new();
    validate(
        doc,
        reply_schema(doc, method, path, expected),
        &body,
        "$",
        &mut errs,
    );
    assert!(
        errs.is_empty(),
        "{method} {path} does not match the document:\n{}",
        errs.join("\n")
    );
    body
}

struct Ids {
    unit: String,
    system: String,
    dossier: String,
    dossier_file: String,
    evidence: String,
    key: String,
    hunt: String,
    incident: String,
    import: String,
    finding: String,
}

fn fill(template: &str, ids: &Ids) -> String {
    let p = template.strip_prefix("/api/v1").unwrap_or(template);
    let id = if p.starts_with("/units/") {
        &ids.unit
    } else if p.starts_with("/systems/") {
        &ids.system
    } else if p.starts_with("/dossiers/") {
        &ids.dossier
    } else if p.starts_with("/hunts/") {
        &ids.hunt
    } else if p.starts_with("/incidents/") {
        &ids.incident
    } else if p.starts_with("/scans/") {
        &ids.import
    } else if p.starts_with("/findings/") {
        &ids.finding
    } else {
        ""
    };
    let att = if p.starts_with("/dossiers/") {
        &ids.dossier_file
    } else {
        &ids.evidence
    };
    template
        .replace("{id}", id)
        .replace("{att}", att)
        .replace("{key}", &ids.key)
}

/// Walks a level-3 system through the API as a province administrator would, checking
/// every reply against the document: determination, a new dossier, its parts, every
/// transition to approval, the plan, evidence, a hunt; then every documented GET.
async fn walk(store: &khien_store::Store, w: &World, doc: &Value) {
    let c = Client::signed_in(store, &w.user(Role::ProvinceAdmin)).await;
    let unit = c
        .json(
            "POST",
            "/api/v1/units",
            &json!({ "parent_id": w.a, "code": "API-1", "name": "Phòng Thử API", "kind": "other" }),
        )
        .await;
    let unit = conforms(doc, "POST", "/api/v1/units", 201, &unit)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c
        .json(
            "PUT",
            &format!("/api/v1/units/{unit}"),
            &json!({ "code": "API-1", "name": "Phòng Thử API (sửa)", "kind": "other" }),
        )
        .await;
    conforms(doc, "PUT", "/api/v1/units/{id}", 200, &r);
    let sys = c
        .json("POST", "/api/v1/systems", &json!({ "name": "Cổng dịch vụ công thử API", "owner_unit_id": unit, "system_type": "citizen_business", "status": "building", "information_types": "private, personal", "personal_subjects": "20000", "components": "nginx | nginx | 1.24 | cpe:2.3:a:f5:nginx:1.24.0" }))
        .await;
    let sys = conforms(doc, "POST", "/api/v1/systems", 201, &sys)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c
        .json("PUT", &format!("/api/v1/systems/{sys}"), &json!({ "name": "Cổng dịch vụ công thử API", "owner_unit_id": unit, "system_type": "citizen_business", "status": "building", "information_types": "private, personal", "personal_subjects": "20000" }))
        .await;
    conforms(doc, "PUT", "/api/v1/systems/{id}", 200, &r);
    // Level: the inventory supplies the data subjects, the answers the rest.
    let r = c
        .json(
            "POST",
            &format!("/api/v1/systems/{sys}/level"),
            &json!({ "regime": "nd85-2016", "online_public_service_level": 2 }),
        )
        .await;
    let a = conforms(doc, "POST", "/api/v1/systems/{id}/level", 201, &r);
    assert_eq!(a["level"], 3, "{a}");
    // The harness sends the session's CSRF header with a JSON body; the body is ignored.
    let r = c
        .json(
            "POST",
            &format!("/api/v1/systems/{sys}/dossiers"),
            &json!({}),
        )
        .await;
    let dossier = conforms(doc, "POST", "/api/v1/systems/{id}/dossiers", 201, &r)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let detail = c.get(&format!("/api/v1/dossiers/{dossier}")).await;
    let detail = conforms(doc, "GET", "/api/v1/dossiers/{id}", 200, &detail);
    assert_eq!(detail["status"], "draft");
    let submit = detail["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["transition"] == "submit")
        .expect("an administrator may submit");
    assert_eq!(submit["blocked_by"], "dossier.err_parts", "{detail}");
    // Submitting without the parts is refused with the policy's key.
    let r = c
        .json(
            "POST",
            &format!("/api/v1/dossiers/{dossier}/submit"),
            &json!({}),
        )
        .await;
    let e = conforms(doc, "POST", "/api/v1/dossiers/{id}/{action}", 400, &r);
    assert_eq!(e["key"], "dossier.err_parts");
    let mut file = String::new();
    for part in detail["attachable_parts"].as_array().unwrap() {
        let part = part.as_str().unwrap();
        let r = c
            .multipart(
                &format!("/api/v1/dossiers/{dossier}/files"),
                &[("part", part)],
                "file",
                &format!("{part}.pdf"),
                b"%PDF-1.4 api",
            )
            .await;
        file = conforms(doc, "POST", "/api/v1/dossiers/{id}/files", 201, &r)["id"]
            .as_str()
            .unwrap()
            .to_string();
    }
    let step = |t: &'static str, body: Value| {
        let c = c.clone();
        let dossier = dossier.clone();
        async move {
            c.json("POST", &format!("/api/v1/dossiers/{dossier}/{t}"), &body)
                .await
        }
    };
    for (t, body, status) in [
        ("submit", json!({}), "submitted"),
        ("start_appraisal", json!({}), "under_appraisal"),
        (
            "record_appraisal",
            json!({ "appraisal_ref": "12/TĐ", "appraisal_opinion": "Đạt yêu cầu cấp độ 3" }),
            "appraised",
        ),
    ] {
        let d = conforms(
            doc,
            "POST",
            "/api/v1/dossiers/{id}/{action}",
            200,
            &step(t, body).await,
        );
        assert_eq!(d["status"], status);
    }
    let r = c
        .json(
            "PUT",
            &format!("/api/v1/dossiers/{dossier}/regulation"),
            &json!({ "number": "15/QĐ-STTTT", "date": "02/03/2026" }),
        )
        .await;
    conforms(doc, "PUT", "/api/v1/dossiers/{id}/regulation", 200, &r);
    let d = conforms(
        doc,
        "POST",
        "/api/v1/dossiers/{id}/{action}",
        200,
        &step("approve", json!({ "decision_no": "99/QĐ-UBND", "decision_date": "10/03/2026", "decision_by": "UBND tỉnh" })).await,
    );
    assert_eq!(d["status"], "approved");
    // A second approval is refused: the state moved on.
    let e = conforms(
        doc,
        "POST",
        "/api/v1/dossiers/{id}/{action}",
        400,
        &step("approve", json!({ "decision_no": "99/QĐ-UBND", "decision_date": "10/03/2026", "decision_by": "UBND tỉnh" })).await,
    );
    assert_eq!(e["key"], "dossier.err_state");
    // The plan of the approved level.
    let plan = conforms(
        doc,
        "GET",
        "/api/v1/systems/{id}/plan",
        200,
        &c.get(&format!("/api/v1/systems/{sys}/plan")).await,
    );
    assert_eq!(plan["plan"]["basis"]["approved"], true);
    let key = plan["plan"]["items"][0]["key"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c
        .json(
            "PUT",
            &format!("/api/v1/systems/{sys}/plan/{key}"),
            &json!({ "status": "met", "responsible": "Phòng CNTT" }),
        )
        .await;
    let item = conforms(doc, "PUT", "/api/v1/systems/{id}/plan/{key}", 200, &r);
    assert_eq!(item["status"], "met");
    let r = c
        .multipart(
            &format!("/api/v1/systems/{sys}/plan/{key}/evidence"),
            &[
                ("effective_date", "01/01/2026"),
                ("expiry_date", "31/12/2027"),
            ],
            "file",
            "quy-che.pdf",
            b"%PDF-1.4 evidence",
        )
        .await;
    let evidence = conforms(
        doc,
        "POST",
        "/api/v1/systems/{id}/plan/{key}/evidence",
        201,
        &r,
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c
        .json(
            "POST",
            &format!("/api/v1/systems/{sys}/go-live-exception"),
            &json!({ "reason": "Vận hành thử trong khi hoàn thiện phương án" }),
        )
        .await;
    let v = conforms(
        doc,
        "POST",
        "/api/v1/systems/{id}/go-live-exception",
        200,
        &r,
    );
    assert_eq!(v["go_live_blockers"], json!([]));
    let r = c
        .json("POST", "/api/v1/hunts", &json!({ "title": "Săn tìm qua API", "systems": [sys], "summary": { "files": 1, "events": 10, "detections": 1, "stored": 1, "by_level": [["high", 1]] }, "detections": [{ "rule_id": "r1", "rule_title": "Quy tắc", "level": "high", "computer": "PC-1", "tags": ["attack.t1110"], "matched": { "EventID": 4625 } }] }))
        .await;
    let hunt = conforms(doc, "POST", "/api/v1/hunts", 201, &r)["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A scanner pushes a report; a finding's status is decided.
    let r = c
        .multipart(&format!("/api/v1/systems/{sys}/scans"), &[("full_scope", "1")], "report", "quet.csv", b"title,severity,host\nTLS 1.0,medium,10.0.0.1\n")
        .await;
    let v = conforms(doc, "POST", "/api/v1/systems/{id}/scans", 201, &r);
    assert_eq!(v["state"], "queued");
    let r = c
        .json("POST", &format!("/api/v1/findings/{}/status", w.finding_b), &json!({ "status": "false_positive", "reason": "Cổng đã đóng" }))
        .await;
    assert_eq!(conforms(doc, "POST", "/api/v1/findings/{id}/status", 200, &r)["status"], "false_positive");
    // Refusals carry the documented error body.
    let r = c
        .json("POST", "/api/v1/systems", &json!({ "name": "" }))
        .await;
    let e = conforms(doc, "POST", "/api/v1/systems", 422, &r);
    assert!(!e["errors"].as_array().unwrap().is_empty());
    let r = c.get("/api/v1/units/khong-co").await;
    assert_eq!(
        conforms(doc, "GET", "/api/v1/units/{id}", 404, &r)["key"],
        "err.not_found"
    );
    let anon = Client::anonymous(store);
    let r = anon.get("/api/v1/systems").await;
    assert_eq!(
        conforms(doc, "GET", "/api/v1/systems", 401, &r)["error"],
        "unauthenticated"
    );
    // Alerts from a monitoring provider: received, repeated, promoted, merged.
    let alert = json!({ "source": "soc-api", "source_ref": "1", "title": "Dò quét cổng", "observables": [{ "kind": "ip", "value": "203.0.113.8" }], "payload": { "n": 1 } });
    let r = c.json("POST", "/api/v1/alerts", &alert).await;
    let alert_id = conforms(doc, "POST", "/api/v1/alerts", 201, &r)["id"].as_str().unwrap().to_string();
    let r = c.json("POST", "/api/v1/alerts", &alert).await;
    assert_eq!(conforms(doc, "POST", "/api/v1/alerts", 200, &r)["seen_count"], 2);
    let r = c.json("POST", &format!("/api/v1/alerts/{alert_id}/promote"), &json!({})).await;
    let incident = conforms(doc, "POST", "/api/v1/alerts/{id}/promote", 201, &r)["id"].as_str().unwrap().to_string();
    let r = c.json("POST", "/api/v1/alerts", &json!({ "source": "soc-api", "source_ref": "2", "title": "Dò quét lần nữa" })).await;
    let second = conforms(doc, "POST", "/api/v1/alerts", 201, &r)["id"].as_str().unwrap().to_string();
    let r = c.json("POST", &format!("/api/v1/alerts/{second}/merge"), &json!({ "incident": incident })).await;
    conforms(doc, "POST", "/api/v1/alerts/{id}/merge", 200, &r);
    // Every documented GET, on the objects just made.
    let ids = Ids {
        incident,
        unit,
        system: sys,
        dossier,
        dossier_file: file,
        evidence,
        key,
        hunt,
        import: w.import_b.clone(),
        finding: w.finding_b.clone(),
    };
    let paths = doc["paths"].as_object().unwrap();
    let mut checked = 0;
    for (template, ops) in paths {
        let Some(get) = ops.get("get") else { continue };
        let path = fill(template, &ids);
        let r = c.get(&path).await;
        if get["responses"]["200"]["content"]["application/octet-stream"].is_object() {
            assert_eq!(r.status, 200, "GET {path}");
            assert_eq!(
                r.headers["content-type"], "application/octet-stream",
                "GET {path}"
            );
            assert!(!r.bytes.is_empty());
        } else {
            conforms(doc, "GET", template, 200, &r);
        }
        checked += 1;
    }
    let gets = khien_web::route_table()
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/api/"))
        .count();
    assert_eq!(checked, gets, "every API GET was requested");
}

#[tokio::test]
async fn real_responses_match_the_document() {
    let doc = khien_web::api::openapi_document();
    for store in stores().await {
        let w = world(&store).await;
        walk(&store, &w, &doc).await;
    }
}

#[test]
fn the_validator_catches_what_it_should() {
    let doc = khien_web::api::openapi_document();
    let unit = json!({ "$ref": "#/components/schemas/Unit" });
    let mut errs = Vec::new();
    validate(
        &doc,
        &unit,
        &json!({ "id": 1, "extra": true }),
        "$",
        &mut errs,
    );
    let all = errs.join("\n");
    assert!(all.contains("$.id: 1 is not"), "{all}");
    assert!(all.contains("undocumented field extra"), "{all}");
    assert!(all.contains("required name missing"), "{all}");
    let mut errs = Vec::new();
    validate(
        &doc,
        &json!({ "$ref": "#/components/schemas/DossierStatus" }),
        &json!("lost"),
        "$",
        &mut errs,
    );
    assert!(!errs.is_empty());
}
