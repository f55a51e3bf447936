//! Every route × every role × an object of a foreign unit: no read or write crosses the
//! tenancy boundary. Routes come from the router's own table, so a new route without a
//! request recipe here fails this test.

use khien_domain::Role;
use khien_web::{RouteInfo, Tenancy};

use crate::harness::{Client, FOREIGN, World, audit_seq, stores, systems_xlsx, world};

/// The request this test sends for a route, aimed at unit B's objects.
enum Recipe {
    Get,
    Form(Vec<(&'static str, String)>),
    Json(serde_json::Value),
    Upload(Vec<u8>),
    /// Multipart with text fields and one file under a field name.
    Multipart(Vec<(&'static str, String)>, &'static str, Vec<u8>),
}

fn path_for(r: &RouteInfo, w: &World) -> String {
    let path = fill(r, w);
    assert!(
        !path.contains('{'),
        "tenancy.rs does not know how to fill {path}: add the parameter"
    );
    path
}

fn fill(r: &RouteInfo, w: &World) -> String {
    // API routes name the same objects as the pages, under /api/v1.
    let page_path = r.path.strip_prefix("/api/v1").unwrap_or(r.path);
    let att = if page_path.starts_with("/incidents/") {
        w.incident_b_evidence.clone()
    } else if page_path.starts_with("/dossiers/") {
        w.dossier_b_file.clone()
    } else {
        w.evidence_b.clone()
    };
    let id = if r.path.contains("/hunts/") {
        w.hunt_b.clone()
    } else if page_path.starts_with("/incidents/") {
        w.incident_b.clone()
    } else if page_path.starts_with("/alerts/") {
        w.alert.clone()
    } else if page_path.starts_with("/findings/") {
        w.finding_b.clone()
    } else if page_path.starts_with("/scans/") {
        w.import_b.clone()
    } else if page_path.starts_with("/dossiers/") {
        w.dossier_b.clone()
    } else if r.path.contains("/units/") {
        w.b.clone()
    } else if r.path.contains("/systems/") {
        w.sys_b.clone()
    } else if r.path.starts_with("/users/") {
        w.user_b.clone()
    } else if r.path.starts_with("/account/sessions/") {
        w.user_b_session.clone()
    } else if r.path.starts_with("/account/tokens/") {
        w.user_b_token.clone()
    } else if r.path.starts_with("/report-submissions/") {
        // Submissions are by the submitter's own unit; none of B's exists to reach.
        "khong-co".into()
    } else if r.path.starts_with("/assessments/") {
        w.assessment_b.clone()
    } else if r.path.starts_with("/risks/") {
        w.risk_b.clone()
    } else if r.path.starts_with("/training/") {
        w.campaign_b.clone()
    } else if r.path.starts_with("/vendors/") {
        w.vendor_b.clone()
    } else if r.path.starts_with("/drills/") {
        w.drill_b.clone()
    } else if r.path.starts_with("/budget/") {
        w.budget_b.clone()
    } else if r.path.starts_with("/response-plans/") {
        w.response_plan_b.clone()
    } else if r.path.starts_with("/advisory-matches/") {
        w.advisory_match_b.clone()
    } else if r.path.starts_with("/advisories/") {
        // An advisory is the authorities' text, seen by all; its matches are the
        // unit-scoped part (the route above).
        "khong-co".into()
    } else if r.path.starts_with("/rules/") {
        // The rule library is province-wide: no foreign object, only the role matters.
        "khong-co".into()
    } else {
        String::new()
    };
    r.path
        .replace("{id}", &id)
        .replace("{name}", "khien.css")
        .replace("{code}", "en")
        .replace("{att}", &att)
        .replace("{key}", &w.requirement_key)
        .replace("{action}", "approve")
        .replace("{task}", &w.incident_b_task)
        .replace("{sid}", &w.response_scenario_b)
        .replace("{layer}", "onsite")
        .replace("{pid}", &w.campaign_b_participant)
}

fn recipe(r: &RouteInfo, w: &World) -> Option<Recipe> {
    let form = |pairs: &[(&'static str, &str)]| {
        Recipe::Form(pairs.iter().map(|(k, v)| (*k, v.to_string())).collect())
    };
    let system_json = serde_json::json!({ "name": "Chiếm quyền", "owner_unit_id": w.b, "system_type": "internal", "status": "planning" });
    let unit_json = serde_json::json!({ "parent_id": w.b, "code": "HIJACK", "name": "Chiếm quyền", "kind": "other" });
    Some(match (r.method, r.path) {
        ("GET", _) => Recipe::Get,
        ("POST", "/advisories") => form(&[
            ("number", "9/X"),
            ("issued_on", "01/01/2026"),
            ("issuer", "X"),
            ("title", "Cảnh báo trái phép"),
            ("products", "git | git | *"),
            ("severity", "low"),
            ("deadline", "31/12/2099"),
        ]),
        ("POST", "/systems/{id}/assessments") | ("POST", "/units/{id}/assessments") => form(&[
            ("assessment_kind", "periodic"),
            ("performed_on", "01/01/2026"),
            ("performer", "Kiểm tra trái phép"),
            ("scope", "x"),
            ("result", "x"),
        ]),
        ("POST", "/drills") => form(&[
            ("drill_kind", "tabletop"),
            ("title", "Diễn tập trái phép"),
            ("organiser", "x"),
            ("held_from", "01/01/2026"),
            ("held_to", "01/01/2026"),
            ("objectives", "x"),
            ("participants", "x"),
            ("systems", &w.sys_b),
        ]),
        ("POST", "/drills/{id}/weaknesses") | ("POST", "/assessments/{id}/weaknesses") => form(&[("system_id", &w.sys_b), ("severity", "low"), ("title", "Điểm yếu trái phép")]),
        // The route takes no unit: a submission is always the caller's own unit's (the
        // submissions test shows another unit never sees it). Here only the refusal of
        // a bad period is exercised, so that no role writes.
        ("POST", "/reports/submissions") => form(&[("report_kind", "annual_level_report"), ("period", "trái phép")]),
        ("POST", "/report-submissions/{id}/review") => form(&[("decision", "return"), ("review_note", "trái phép")]),
        ("POST", "/budget") => form(&[("unit_id", &w.b), ("budget_kind", "project"), ("title", "Dự án trái phép"), ("decision_no", "1/QĐ"), ("approved_on", "01/08/2026"), ("total", "1000"), ("security", "100")]),
        ("POST", "/budget/{id}/delete") => form(&[]),
        // The route takes no unit: a campaign is the organiser's own unit's (the training
        // test shows another unit never sees it); only a refusal is exercised here.
        ("POST", "/training") => form(&[("campaign_kind", "trái phép"), ("title", "Tập huấn trái phép"), ("audience", "all_staff"), ("held_from", "01/01/2026"), ("held_to", "01/01/2026"), ("topics", "x")]),
        ("POST", "/training/{id}/participants") => form(&[("unit_id", &w.b), ("people", "Người trái phép"), ("completed", "on")]),
        ("POST", "/training/{id}/participants/{pid}/delete") => form(&[]),
        ("POST", "/risks") => form(&[("system_id", &w.sys_b), ("unit_id", &w.b), ("title", "Rủi ro trái phép"), ("description", "x"), ("likelihood", "1"), ("impact", "1"), ("status", "open")]),
        ("POST", "/risks/{id}") => form(&[("version", "1"), ("title", "Rủi ro trái phép"), ("description", "x"), ("likelihood", "1"), ("impact", "1"), ("status", "open")]),
        ("POST", "/vendors") => form(&[("name", "Bên thứ ba trái phép"), ("service", "operation"), ("unit_id", &w.b), ("serves", &w.sys_b)]),
        ("POST", "/vendors/{id}") => form(&[("version", "1"), ("name", "Bên thứ ba trái phép"), ("service", "operation")]),
        ("POST", "/vendors/{id}/reviews") => form(&[("reviewed_on", "01/01/2026"), ("outcome", "satisfactory"), ("summary", "Rà soát trái phép")]),
        ("POST", "/systems/{id}/backup/plan") => form(&[("version", "0"), ("backup_scope", "Sao lưu trái phép"), ("frequency", "daily"), ("retention_days", "30")]),
        ("POST", "/systems/{id}/backup/tests") => form(&[("tested_on", "01/01/2026"), ("outcome", "succeeded"), ("restored", "Khôi phục trái phép")]),
        ("POST", "/systems/{id}/protection/{layer}") => form(&[("version", "0"), ("state", "in_place"), ("arrangement", "in_house")]),
        ("POST", "/response-plans") => form(&[("subject", &w.sys_b), ("title", "Phương án trái phép")]),
        ("POST", "/response-plans/{id}/draft") => form(&[("priorities", "trái phép"), ("section.threats", "trái phép")]),
        ("POST", "/response-plans/{id}/scenarios") => form(&[("incident_type", "malware"), ("title", "Kịch bản trái phép"), ("situation", "x"), ("handling", "x")]),
        ("POST", "/response-plans/{id}/scenarios/{sid}/delete") | ("POST", "/response-plans/{id}/revise") => form(&[]),
        ("POST", "/response-plans/{id}/approve") => form(&[("approver", "Người trái phép"), ("decision_no", "1/QĐ-X"), ("decision_date", "01/01/2026")]),
        ("POST", "/team/members") => form(&[("name", "Thành viên trái phép"), ("unit_id", &w.b), ("team_role", "technical"), ("phone_247", "0912345678")]),
        ("POST", "/team/roster") => form(&[("member_id", "khong-co"), ("starts_on", "01/01/2026"), ("ends_on", "02/01/2026")]),
        ("POST", "/advisories/from-cve") => Recipe::Multipart(vec![], "record", b"{}".to_vec()),
        ("POST", "/advisories/{id}/remind") => form(&[]),
        ("POST", "/advisory-matches/{id}/answer") => form(&[("response", "not_affected"), ("note", "trái phép")]),
        ("POST", "/login") => form(&[("username", "b.staff"), ("password", "sai mật khẩu")]),
        ("POST", "/login/totp") => form(&[("code", "000000")]),
        ("POST", "/logout") => form(&[]),
        ("POST", "/account/password") => form(&[
            ("current", "sai"),
            ("new", "mật khẩu mới 2026"),
            ("confirm", "mật khẩu mới 2026"),
        ]),
        ("POST", "/account/sessions/{id}/revoke") | ("POST", "/account/tokens/{id}/revoke") => {
            form(&[])
        }
        ("POST", "/account/totp") => {
            form(&[("secret", "JBSWY3DPEHPK3PXPJBSWY3DP"), ("code", "000000")])
        }
        ("POST", "/account/totp/disable") => form(&[("password", "sai")]),
        ("POST", "/account/tokens") => form(&[("name", "khóa của tôi")]),
        ("POST", "/units") => form(&[
            ("parent_id", &w.b),
            ("code", "HIJACK"),
            ("name", "Chiếm quyền"),
            ("kind", "other"),
        ]),
        ("POST", "/units/{id}") => form(&[
            ("parent_id", &w.root),
            ("code", "B"),
            ("name", "Đã sửa trái phép"),
            ("kind", "department"),
        ]),
        ("POST", "/units/{id}/move") => form(&[("parent_id", &w.a)]),
        ("POST", "/units/{id}/active") => form(&[("active", "0")]),
        ("POST", "/systems") => form(&[
            ("name", "Chiếm quyền"),
            ("owner_unit_id", &w.b),
            ("system_type", "internal"),
            ("status", "planning"),
        ]),
        ("POST", "/systems/{id}") => form(&[
            ("name", "Đã sửa trái phép"),
            ("owner_unit_id", &w.a),
            ("system_type", "internal"),
            ("status", "planning"),
        ]),
        ("POST", "/systems/import") => Recipe::Upload(systems_xlsx(&[[
            "Chiếm quyền",
            "B",
            "internal",
            "planning",
            "",
            "",
            "",
        ]])),
        ("POST", "/users") => form(&[
            ("username", "hijack"),
            ("display_name", "X"),
            ("role", "unit_staff"),
            ("unit_id", &w.b),
            ("password", "mật khẩu dài 2026"),
        ]),
        ("POST", "/users/{id}/active") => form(&[("active", "0")]),
        ("POST", "/systems/{id}/level") => form(&[
            ("regime", "nd85-2016"),
            ("defence_security_harm", "none"),
            ("online_public_service_level", "4"),
        ]),
        ("POST", "/systems/{id}/dossiers") => form(&[]),
        ("POST", "/systems/{id}/plan/{key}") => form(&[("status", "met")]),
        ("POST", "/systems/{id}/plan-bulk") => form(&[("status", "met"), ("key", w.requirement_key.as_str())]),
        ("POST", "/systems/{id}/plan-import") => Recipe::Upload(b"PK not a sheet".to_vec()),
        ("POST", "/systems/{id}/plan/{key}/evidence") => Recipe::Upload(b"evidence".to_vec()),
        ("POST", "/systems/{id}/go-live-exception") => {
            form(&[("reason", "Cho phép vận hành thử nghiệm trái phép")])
        }
        ("POST", "/dossiers/{id}/files") => Recipe::Upload(b"%PDF-1.4 part".to_vec()),
        ("POST", "/dossiers/{id}/files/{att}/delete") => form(&[]),
        ("POST", "/dossiers/{id}/regulation") => {
            form(&[("number", "99/QĐ-X"), ("date", "01/01/2026")])
        }
        ("POST", "/dossiers/{id}/{action}") => form(&[
            ("decision_no", "1/QĐ"),
            ("decision_date", "01/01/2026"),
            ("decision_by", "X"),
            ("reason", "x"),
            ("appraisal_opinion", "x"),
            ("confirmed", "1"),
        ]),
        ("POST", "/hunts") => Recipe::Multipart(
            vec![
                ("title", "Săn tìm trái phép".into()),
                ("systems", w.sys_b.clone()),
                ("builtin", "1".into()),
            ],
            "logs",
            b"Jan  1 00:00:00 host sshd[1]: Invalid user x from 10.0.0.1".to_vec(),
        ),
        ("POST", "/systems/{id}/scans") | ("POST", "/api/v1/systems/{id}/scans") => Recipe::Multipart(
            vec![("full_scope", "1".into())],
            "report",
            "title,severity\nChiếm quyền,high\n".as_bytes().to_vec(),
        ),
        ("POST", "/findings/{id}/status") => form(&[("status", "false_positive"), ("reason", "trái phép")]),
        ("POST", "/api/v1/findings/{id}/status") => {
            Recipe::Json(serde_json::json!({ "status": "false_positive", "reason": "trái phép" }))
        }
        ("POST", "/kev") => Recipe::Multipart(vec![], "catalogue", b"{}".to_vec()),
        ("POST", "/rules/import") => Recipe::Multipart(
            vec![("version", "1".into())],
            "files",
            b"title: x\nlogsource:\n  product: linux\ndetection:\n  k: [x]\n  condition: k\n".to_vec(),
        ),
        ("POST", "/rules/{id}/enabled") | ("POST", "/rules/sets/{id}/enabled") => {
            form(&[("enabled", "0")])
        }
        // Province-wide (the whole chain): only the role matters.
        ("POST", "/audit/verify") => form(&[]),
        ("POST", "/hunts/{id}/conclusion") => form(&[("conclusion", "clean"), ("note", "x")]),
        ("POST", "/hunts/{id}/cancel") => form(&[]),
        ("POST", "/api/v1/hunts") => {
            Recipe::Json(serde_json::json!({ "title": "Săn tìm trái phép", "systems": [w.sys_b] }))
        }
        ("POST", "/incidents") => form(&[
            ("title", "Sự cố trái phép"),
            ("detected_at", "01/01/2026 08:00"),
            ("reporter_name", "X"),
            ("source", "other"),
            ("incident_type", "other"),
            ("systems", &w.sys_b),
        ]),
        ("POST", "/incidents/{id}/status") => form(&[("to", "verified"), ("note", "x")]),
        ("POST", "/incidents/{id}/observables") => {
            form(&[("kind", "ip"), ("value", "203.0.113.66"), ("tlp", "amber")])
        }
        ("POST", "/incidents/{id}/tasks") => form(&[("title", "Nhiệm vụ trái phép")]),
        ("POST", "/incidents/{id}/tasks/{task}/state") => form(&[("state", "done")]),
        ("POST", "/incidents/{id}/timeline") => form(&[("text", "Diễn biến trái phép")]),
        ("POST", "/incidents/{id}/systems") => form(&[("system_id", &w.sys_a)]),
        ("POST", "/incidents/{id}/evidence") => Recipe::Upload(b"evidence".to_vec()),
        ("POST", "/incidents/{id}/evidence/{att}/custody") => {
            form(&[("action", "transferred"), ("note", "x")])
        }
        ("POST", "/incidents/{id}/comments") => form(&[("body", "Ý kiến trái phép")]),
        ("POST", "/incidents/{id}/indicators") => Recipe::Multipart(
            vec![("tlp", "amber".into())],
            "file",
            br#"{"type": "bundle", "id": "bundle--1", "objects": [{"type": "indicator", "id": "indicator--1", "pattern": "[ipv4-addr:value = '203.0.113.77']", "pattern_type": "stix"}]}"#.to_vec(),
        ),
        ("POST", "/incidents/{id}/hunt") => Recipe::Multipart(
            vec![("systems", w.sys_b.clone())],
            "logs",
            b"Jan  1 00:00:00 host sshd[1]: Invalid user x from 203.0.113.66".to_vec(),
        ),
        ("POST", "/api/v1/incidents/{id}/indicators") => Recipe::Json(serde_json::json!({
            "Event": { "info": "Sự kiện trái phép", "Attribute": [{ "type": "ip-dst", "category": "Network activity", "to_ids": true, "value": "203.0.113.78" }] }
        })),
        ("POST", "/incidents/{id}/shares") => form(&[("unit_id", &w.a)]),
        ("POST", "/incidents/{id}/reports") => form(&[("kind", "notification"), ("recipient", "Nơi nhận trái phép")]),
        // Only ever the signed-in user's own reminders (none here): nothing to cross.
        ("POST", "/notifications/read") => form(&[("all", "1")]),
        ("POST", "/alerts/{id}/promote") | ("POST", "/alerts/{id}/ignore") => form(&[]),
        ("POST", "/alerts/{id}/merge") => form(&[("incident", &w.incident_b)]),
        ("POST", "/report") => form(&[
            ("name", "X"),
            ("contact", "0912345678"),
            ("affected", "x"),
            ("description", "x"),
        ]),
        ("POST", "/report/status") => form(&[("reference", "SC-2026-000001"), ("code", "x")]),
        ("POST", "/api/v1/alerts") => Recipe::Json(
            serde_json::json!({ "source": "soc-thu", "source_ref": "A-2", "title": "Cảnh báo trái phép" }),
        ),
        ("POST", "/api/v1/alerts/{id}/promote") => Recipe::Json(serde_json::json!({})),
        ("POST", "/api/v1/alerts/{id}/merge") => {
            Recipe::Json(serde_json::json!({ "incident": w.incident_b }))
        }
        ("POST", "/levels/targets") => form(&[("approval_date", "30/09/2026")]),
        ("POST", "/api/v1/units") => Recipe::Json(unit_json),
        ("PUT", "/api/v1/units/{id}") => Recipe::Json(
            serde_json::json!({ "code": "B", "name": "Đã sửa trái phép", "kind": "department" }),
        ),
        ("POST", "/api/v1/units/{id}/move") => {
            Recipe::Json(serde_json::json!({ "parent_id": w.a }))
        }
        ("POST", "/api/v1/units/{id}/active") => {
            Recipe::Json(serde_json::json!({ "active": false }))
        }
        ("POST", "/api/v1/systems") => Recipe::Json(system_json),
        ("POST", "/api/v1/systems/{id}/level") => Recipe::Json(
            serde_json::json!({ "regime": "nd85-2016", "online_public_service_level": 4 }),
        ),
        ("POST", "/api/v1/systems/{id}/dossiers") => Recipe::Json(serde_json::json!({})),
        ("PUT", "/api/v1/dossiers/{id}/regulation") => Recipe::Json(
            serde_json::json!({ "number": "99/QĐ-X", "date": "01/01/2026" }),
        ),
        ("POST", "/api/v1/dossiers/{id}/files") => Recipe::Upload(b"%PDF-1.4 part".to_vec()),
        ("POST", "/api/v1/dossiers/{id}/{action}") => Recipe::Json(
            serde_json::json!({ "decision_no": "1/QĐ", "decision_date": "01/01/2026", "decision_by": "X", "reason": "x", "appraisal_opinion": "x" }),
        ),
        ("PUT", "/api/v1/systems/{id}/plan/{key}") => {
            Recipe::Json(serde_json::json!({ "status": "met" }))
        }
        ("POST", "/api/v1/systems/{id}/plan/{key}/evidence") => {
            Recipe::Upload(b"evidence".to_vec())
        }
        ("POST", "/api/v1/systems/{id}/go-live-exception") => Recipe::Json(
            serde_json::json!({ "reason": "Cho phép vận hành thử nghiệm trái phép" }),
        ),
        ("PUT", "/api/v1/systems/{id}") => Recipe::Json(
            serde_json::json!({ "name": "Đã sửa trái phép", "owner_unit_id": w.a, "system_type": "internal", "status": "planning" }),
        ),
        _ => return None,
    })
}

#[tokio::test]
async fn no_route_crosses_the_unit_boundary_for_any_role() {
    let routes = khien_web::route_table();
    assert!(
        routes.len() > 40,
        "the route table lists {} routes",
        routes.len()
    );
    for store in stores().await {
        let w = world(&store).await;
        let mut failures = Vec::new();
        // Unit roles first, over every route, while unit B is intact; then the province
        // roles, whose legitimate writes (renaming or moving B) would blur the markers.
        for province_pass in [false, true] {
            for r in &routes {
                let Some(recipe) = recipe(r, &w) else {
                    if !province_pass {
                        failures.push(format!(
                            "{} {}: no request recipe in tenancy.rs — add one",
                            r.method, r.path
                        ));
                    }
                    continue;
                };
                for (role, user_id) in w
                    .users_a
                    .iter()
                    .filter(|(role, _)| role.is_province_wide() == province_pass)
                {
                    let client = Client::signed_in(&store, user_id).await;
                    let before = audit_seq(&store).await;
                    let path = path_for(r, &w);
                    let reply = match &recipe {
                        Recipe::Get => client.get(&path).await,
                        Recipe::Form(pairs) => {
                            let pairs: Vec<(&str, &str)> =
                                pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                            client.post_form(&path, &pairs).await
                        }
                        Recipe::Json(v) => client.json(r.method, &path, v).await,
                        Recipe::Upload(bytes) => client.upload(&path, "x.xlsx", bytes).await,
                        Recipe::Multipart(fields, file_field, bytes) => {
                            let fields: Vec<(&str, &str)> =
                                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                            client
                                .multipart(&path, &fields, file_field, "x.log", bytes)
                                .await
                        }
                    };
                    let wrote = audit_seq(&store).await != before;
                    let who = format!("{} {} as {}", r.method, r.path, role.as_str());
                    let allowed = r.roles.contains(&role.as_str());
                    let status = reply.status.as_u16();
                    if r.tenancy != Tenancy::Public && !allowed && status != 403 {
                        failures.push(format!(
                            "{who}: role not declared for the route but got {status}"
                        ));
                    }
                    match r.tenancy {
                        Tenancy::Public => {}
                        Tenancy::Own => {
                            // Own-account routes may write, but only to the caller's own account.
                            if r.path.contains("{id}") && status < 400 {
                                failures.push(format!(
                                    "{who}: acted on another user's session or token ({status})"
                                ));
                            }
                        }
                        Tenancy::Unit if role.is_province_wide() => {
                            if !allowed && wrote {
                                failures
                                    .push(format!("{who}: forbidden role wrote to the database"));
                            }
                        }
                        Tenancy::Unit => {
                            if wrote {
                                failures.push(format!(
                                    "{who}: a unit role wrote to a foreign unit ({status})"
                                ));
                            }
                            if reply.body.contains(FOREIGN) {
                                failures.push(format!(
                                    "{who}: foreign data in the response ({status})"
                                ));
                            }
                            if r.path.contains("{id}") && status < 400 {
                                failures.push(format!("{who}: a foreign object answered {status}"));
                            }
                        }
                    }
                }
            }
            if !province_pass {
                // The foreign user's session and token survived every unit-role request
                // (province admins may later disable that user legitimately).
                if store.session(&w.user_b_session).await.unwrap().is_none() {
                    failures.push("a unit role revoked a foreign user's session".into());
                }
                if store.api_tokens_of(&w.user_b).await.unwrap().len() != 1 {
                    failures.push("a unit role revoked a foreign user's API token".into());
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} tenancy failures on {:?}:\n{}",
            failures.len(),
            store.backend,
            failures.join("\n")
        );
        // Sanity: the same unit roles do see their own unit's data.
        for (role, user_id) in &w.users_a {
            if role.is_province_wide() {
                continue;
            }
            let c = Client::signed_in(&store, user_id).await;
            let own = c.get(&format!("/systems/{}", w.sys_a)).await;
            assert_eq!(
                own.status,
                200,
                "{} cannot read its own system",
                role.as_str()
            );
            let sub = c.get(&format!("/units/{}", w.a1)).await;
            assert_eq!(
                sub.status,
                200,
                "{} cannot read its own sub-unit",
                role.as_str()
            );
        }
        let inspector = w
            .users_a
            .iter()
            .find(|(r, _)| *r == Role::Inspector)
            .unwrap();
        let c = Client::signed_in(&store, &inspector.1).await;
        assert_eq!(
            c.get(&format!("/units/{}", w.b1)).await.status,
            200,
            "province roles see the whole province"
        );
    }
}
