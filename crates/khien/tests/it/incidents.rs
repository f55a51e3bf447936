//! Incidents end to end on both databases: a public report becomes an incident the
//! provincial team sees and no other unit does; the public form's defences (rate limit,
//! honeypot, minimum fill time); the reporter's follow-up; alerts deduplicated,
//! promoted and merged; the status machine; evidence with its hash and custody; a
//! suspicious hunt opening its incident once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use khien_domain::Role;
use khien_domain::users::TokenScope;
use khien_store::Store;
use sqlx::Row;

use crate::harness::{Client, Reply, World, audit_seq, principal_of, stores, stores_with_url, token, world};

/// A store whose clock runs `offset` seconds ahead of the wall clock.
fn stepped(store: &Store) -> (Store, Arc<AtomicI64>) {
    let offset = Arc::new(AtomicI64::new(0));
    let o = offset.clone();
    let s = store.clone().with_clock(Arc::new(move || {
        time::OffsetDateTime::now_utc() + time::Duration::seconds(o.load(Ordering::SeqCst))
    }));
    (s, offset)
}

fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker).unwrap_or_else(|| panic!("no {name} in the page")) + marker.len();
    body[start..].split('"').next().unwrap().to_string()
}

fn between<'a>(body: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\">");
    let start = body.find(&marker).unwrap_or_else(|| panic!("no #{id} in {body}")) + marker.len();
    body[start..].split('<').next().unwrap()
}

/// A visitor without an account: the report form as a browser gets it (pre-session
/// cookie, CSRF token and the form's signed timestamp), posted from `addr`.
struct Visitor {
    client: Client,
    token: String,
    addr: SocketAddr,
}

impl Visitor {
    async fn open(store: &Store, addr: &str) -> Visitor {
        let anon = Client::anonymous(store);
        let page = anon.get("/report").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let cookie = page
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("khien_pre="))
            .map(|v| v.split(';').next().unwrap().to_string())
            .expect("the form sets a pre-session cookie");
        Visitor {
            client: Client {
                app: anon.app.clone(),
                cookie: Some(cookie),
                csrf: hidden(&page.body, "_csrf"),
            },
            token: hidden(&page.body, "form_token"),
            addr: addr.parse().unwrap(),
        }
    }

    async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> Reply {
        let mut all: Vec<(&str, &str)> = vec![("_csrf", self.client.csrf.as_str())];
        all.extend_from_slice(pairs);
        let mut req = Request::builder()
            .method("POST")
            .uri(path)
            .header("host", "localhost")
            .header("cookie", self.client.cookie.clone().unwrap())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(serde_urlencoded::to_string(&all).unwrap()))
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(self.addr));
        self.client.send(req).await
    }

    async fn report(&self, affected: &str, honeypot: &str) -> Reply {
        self.post(
            "/report",
            &[
                ("form_token", &self.token),
                ("name", "Trần Thị Bình"),
                ("contact", "0912 345 678"),
                ("affected", affected),
                ("description", "Trang chủ hiện nội dung quảng cáo cờ bạc, có liên kết lạ."),
                ("website", honeypot),
            ],
        )
        .await
    }
}

async fn incident_count(store: &Store) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM incidents")
        .fetch_one(store.raw_pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

fn user(w: &World, role: Role) -> String {
    w.user(role)
}

#[tokio::test]
async fn a_public_report_becomes_an_incident_the_team_sees_and_the_reporter_follows() {
    for base in stores().await {
        let w = world(&base).await;
        let (store, clock) = stepped(&base);
        let v = Visitor::open(&store, "198.51.100.7:40000").await;
        // Sent at once: faster than a person types.
        let fast = v.report("https://dichvucong.example.gov.vn", "").await;
        assert_eq!(fast.status, 422, "{:?}", store.backend);
        assert!(fast.body.contains("Biểu mẫu được gửi quá nhanh"), "{}", fast.body);
        assert!(fast.body.contains("https://dichvucong.example.gov.vn"), "the form keeps its input");
        clock.store(10, Ordering::SeqCst);
        let before = incident_count(&store).await;
        // A robot fills the field people never see.
        let bot = v.report("https://dichvucong.example.gov.vn", "http://spam.example").await;
        assert_eq!(bot.status, 422);
        assert_eq!(incident_count(&store).await, before, "the honeypot stored nothing");
        let done = v.report("https://dichvucong.example.gov.vn", "").await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert_eq!(done.headers.get("cache-control").unwrap(), "no-store");
        let reference = between(&done.body, "reference").to_string();
        let code = between(&done.body, "code").to_string();
        assert!(reference.starts_with("SC-20") && reference.len() == 14, "{reference}");
        assert_eq!(code.len(), 19, "{code}");
        assert_eq!(incident_count(&store).await, before + 1);

        // The provincial response team sees it, in status "reported".
        let team = Client::signed_in(&store, &user(&w, Role::Responder)).await;
        let list = team.get("/incidents?status=reported").await;
        assert!(list.body.contains(&reference), "the team's list shows the public report");
        let id: String = sqlx::query("SELECT id FROM incidents WHERE reference = $1")
            .bind(reference.clone())
            .fetch_one(store.raw_pool())
            .await
            .unwrap()
            .try_get("id")
            .unwrap();
        let page = team.get(&format!("/incidents/{id}")).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("https://dichvucong.example.gov.vn") && page.body.contains("Trần Thị Bình"));
        assert!(page.body.contains("Thời hạn báo cáo"), "the deadlines section is on the page");
        // A unit's people do not: not in their list, and 404 by address.
        for role in [Role::UnitStaff, Role::UnitManager, Role::Viewer] {
            let c = Client::signed_in(&store, &user(&w, role)).await;
            assert!(!c.get("/incidents").await.body.contains(&reference), "{role:?} lists it");
            assert_eq!(c.get(&format!("/incidents/{id}")).await.status, 404, "{role:?}");
            assert_eq!(c.get(&format!("/api/v1/incidents/{id}")).await.status, 404, "{role:?}");
        }
        // The team verifies it, notes one thing for the reporter and one for itself.
        assert_eq!(team.post_form(&format!("/incidents/{id}/status"), &[("to", "verified")]).await.status, 303);
        let public_note = "Đã xác minh, đang phối hợp với đơn vị vận hành.";
        let internal = "Nguồn tấn công 203.0.113.50, nghi chiếm quyền quản trị.";
        assert_eq!(team.post_form(&format!("/incidents/{id}/timeline"), &[("text", public_note), ("public", "1")]).await.status, 303);
        assert_eq!(team.post_form(&format!("/incidents/{id}/timeline"), &[("text", internal)]).await.status, 303);

        // The reporter follows it with the code: status and public notes only.
        let status = Visitor::open(&store, "198.51.100.7:40001").await;
        let seen = status.post("/report/status", &[("reference", &reference.to_lowercase()), ("code", &code.replace('-', " "))]).await;
        assert_eq!(seen.status, 200, "{}", seen.body);
        assert!(seen.body.contains("Đã xác minh") && seen.body.contains(public_note));
        assert!(!seen.body.contains("203.0.113.50"), "an internal note reached the public");
        assert!(!seen.body.contains("0912 345 678"), "the page shows no contact details");
        let wrong = status.post("/report/status", &[("reference", &reference), ("code", "AAAA-BBBB-CCCC-DDDD")]).await;
        assert_eq!(wrong.status, 422);
        assert!(!wrong.body.contains(public_note) && wrong.body.contains("không đúng"));
        let unknown = status.post("/report/status", &[("reference", "SC-1999-000001"), ("code", &code)]).await;
        assert_eq!(unknown.status, 422);
        // The audit trail names the public and the address it came from.
        let row = sqlx::query("SELECT actor_name, client_addr FROM audit_log WHERE entity = 'incident' AND entity_id = $1 AND action = 'create'")
            .bind(id.clone())
            .fetch_one(store.raw_pool())
            .await
            .unwrap();
        assert_eq!(row.try_get::<String, _>("actor_name").unwrap(), "public");
        assert_eq!(row.try_get::<String, _>("client_addr").unwrap(), "198.51.100.7");
    }
}

#[tokio::test]
async fn the_public_form_is_rate_limited_per_address_across_processes() {
    for (base, url) in stores_with_url().await {
        let (store, clock) = stepped(&base);
        // A second server process: its own pool on the same database, the same clock.
        let c = clock.clone();
        let second = Store::connect(
            &url,
            Arc::new(move || time::OffsetDateTime::now_utc() + time::Duration::seconds(c.load(Ordering::SeqCst))),
        )
        .await
        .unwrap()
        .with_blob_dir(crate::harness::tempdir());
        let v = Visitor::open(&store, "203.0.113.20:5000").await;
        let v2 = Visitor::open(&second, "203.0.113.20:5001").await;
        let elsewhere = Visitor::open(&store, "203.0.113.21:5000").await;
        clock.store(10, Ordering::SeqCst);
        for n in 0..khien_domain::incidents::PUBLIC_REPORTS_PER_HOUR {
            let r = v.report(&format!("https://trang-{n}.example.gov.vn"), "").await;
            assert_eq!(r.status, 200, "report {n}: {}", r.body);
        }
        let before = incident_count(&store).await;
        let limited = v2.report("https://mot-trang-nua.example.gov.vn", "").await;
        assert_eq!(limited.status, 429, "{}", limited.body);
        assert!(limited.body.contains("mot-trang-nua"), "the refused form keeps its input");
        assert_eq!(incident_count(&store).await, before);
        // Another address is not held back, and an hour later this one is not either.
        assert_eq!(elsewhere.report("https://khac.example.gov.vn", "").await.status, 200);
        clock.store(3_700, Ordering::SeqCst);
        let later = Visitor::open(&store, "203.0.113.20:5002").await;
        clock.store(3_710, Ordering::SeqCst);
        assert_eq!(later.report("https://sau-mot-gio.example.gov.vn", "").await.status, 200);
        second.close().await;
    }
}

/// A bearer-token API call.
async fn api(store: &Store, bearer: &str, method: &str, path: &str, body: serde_json::Value) -> Reply {
    let client = Client::anonymous(store);
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("authorization", format!("Bearer {bearer}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    client.send(req).await
}

fn json(r: &Reply) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("not JSON ({}): {}", r.status, r.body))
}

#[tokio::test]
async fn alerts_are_deduplicated_promoted_and_merged() {
    for store in stores().await {
        let w = world(&store).await;
        let responder = user(&w, Role::Responder);
        store.create_api_token(&responder, &token("SOC tỉnh", "khien_soc", TokenScope::Alerts)).await.unwrap();
        store.create_api_token(&responder, &token("kiểm kê", "khien_imports", TokenScope::Imports)).await.unwrap();
        store.create_api_token(&user(&w, Role::UnitStaff), &token("đơn vị", "khien_unit", TokenScope::Alerts)).await.unwrap();
        let alert = serde_json::json!({
            "source": "soc-vnpt", "source_ref": "EV-2026-0042",
            "title": "Đăng nhập trái phép vào cổng dịch vụ công",
            "incident_type": "unauthorised_access",
            "observables": [
                { "kind": "ip", "value": "203.0.113[.]77" },
                { "kind": "domain", "value": "Evil.Example.COM.", "tlp": "red" }
            ],
            "payload": { "rule": 5712, "agent": "web-01" }
        });
        let first = api(&store, "khien_soc", "POST", "/api/v1/alerts", alert.clone()).await;
        assert_eq!(first.status, 201, "{}", first.body);
        let id = json(&first)["id"].as_str().unwrap().to_string();
        let again = api(&store, "khien_soc", "POST", "/api/v1/alerts", alert.clone()).await;
        assert_eq!(again.status, 200, "{}", again.body);
        let r = json(&again);
        assert_eq!((r["id"].as_str().unwrap(), r["seen_count"].as_i64(), r["deduplicated"].as_bool()), (id.as_str(), Some(2), Some(true)));
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM alerts WHERE source = 'soc-vnpt'").fetch_one(store.raw_pool()).await.unwrap().try_get("n").unwrap();
        assert_eq!(n, 1, "a repeat is counted, not stored");
        // Two senders at once with a new reference: one row, counted twice.
        let fresh = serde_json::json!({ "source": "soc-vnpt", "source_ref": "EV-2026-0043", "title": "Quét cổng" });
        let (a, b) = tokio::join!(
            api(&store, "khien_soc", "POST", "/api/v1/alerts", fresh.clone()),
            api(&store, "khien_soc", "POST", "/api/v1/alerts", fresh.clone())
        );
        let mut codes = [a.status.as_u16(), b.status.as_u16()];
        codes.sort();
        assert_eq!(codes, [200, 201], "{} / {}", a.body, b.body);
        // Only the alerts scope writes alerts, and only the team holds such a token.
        assert_eq!(api(&store, "khien_imports", "POST", "/api/v1/alerts", alert.clone()).await.status, 403);
        assert_eq!(api(&store, "khien_unit", "POST", "/api/v1/alerts", alert.clone()).await.status, 403);
        // A bad observable is refused by field, nothing stored.
        let bad = api(&store, "khien_soc", "POST", "/api/v1/alerts", serde_json::json!({ "source": "soc-vnpt", "source_ref": "X", "title": "x", "observables": [{ "kind": "ip", "value": "999.1.1.1" }] })).await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert_eq!(json(&bad)["errors"][0]["field"], "observables");

        let promoted = api(&store, "khien_soc", "POST", &format!("/api/v1/alerts/{id}/promote"), serde_json::json!({})).await;
        assert_eq!(promoted.status, 201, "{}", promoted.body);
        let incident = json(&promoted);
        assert_eq!(incident["status"], "reported");
        assert_eq!(incident["source"], "monitoring");
        assert_eq!(incident["incident_type"], "unauthorised_access");
        let values: Vec<&str> = incident["observables"].as_array().unwrap().iter().map(|o| o["value"].as_str().unwrap()).collect();
        assert_eq!(values, ["evil.example.com", "203.0.113.77"], "observables copied, normalised");
        let incident_id = incident["id"].as_str().unwrap().to_string();
        let reference = incident["reference"].as_str().unwrap().to_string();
        let twice = api(&store, "khien_soc", "POST", &format!("/api/v1/alerts/{id}/promote"), serde_json::json!({})).await;
        assert!(twice.status.is_client_error(), "{}", twice.body);
        let from_alert: i64 = sqlx::query("SELECT COUNT(*) AS n FROM incidents WHERE origin = 'alert'").fetch_one(store.raw_pool()).await.unwrap().try_get("n").unwrap();
        assert_eq!(from_alert, 1, "one alert, one incident");

        // A related alert joins the incident by its reference.
        let related = api(&store, "khien_soc", "POST", "/api/v1/alerts", serde_json::json!({
            "source": "wazuh", "source_ref": "9001", "title": "Tệp lạ trên máy chủ web",
            "observables": [{ "kind": "hash", "value": "SHA256=CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB" }, { "kind": "ip", "value": "203.0.113.77" }]
        })).await;
        let related_id = json(&related)["id"].as_str().unwrap().to_string();
        let merged = api(&store, "khien_soc", "POST", &format!("/api/v1/alerts/{related_id}/merge"), serde_json::json!({ "incident": reference.to_lowercase() })).await;
        assert_eq!(merged.status, 200, "{}", merged.body);
        let m = json(&merged);
        assert_eq!(m["id"], incident_id.as_str());
        assert_eq!(m["observables"].as_array().unwrap().len(), 3, "the hash added, the known IP not twice");
        assert_eq!(m["timeline"].as_array().unwrap().len(), 2, "each alert noted on the timeline");
        // The alert queue shows them to the team, not to units.
        let team = Client::signed_in(&store, &responder).await;
        let queue = team.get("/alerts").await;
        assert!(queue.body.contains("EV-2026-0042") && queue.body.contains(&reference));
        assert_eq!(Client::signed_in(&store, &user(&w, Role::UnitManager)).await.get("/alerts").await.status, 403);
        // Ignoring from the page, then it is no longer new.
        let ignore_id = json(&b)["id"].as_str().unwrap().to_string();
        assert_eq!(team.post_form(&format!("/alerts/{ignore_id}/ignore"), &[]).await.status, 303);
        let again = team.post_form(&format!("/alerts/{ignore_id}/promote"), &[]).await;
        assert_eq!(again.status, 422, "{}", again.body);
        assert!(again.body.contains("Cảnh báo này đã được xử lý"));
    }
}

#[tokio::test]
async fn the_status_machine_refuses_steps_and_records_one_of_two_at_once() {
    for store in stores().await {
        let w = world(&store).await;
        let staff = store.scoped(&principal_of(&store, &user(&w, Role::UnitStaff)).await);
        let input = khien_domain::incidents::IncidentInput {
            title: "Máy trạm nhiễm mã độc".into(),
            detected_at: khien_domain::incidents::local_minute_text(store.now()),
            reporter_name: "Người dùng unit_staff".into(),
            source: "ids".into(),
            incident_type: "malware".into(),
            systems: vec![w.sys_a.clone()],
            ..Default::default()
        };
        let id = staff.create_incident(&input.validate(store.now()).unwrap()).await.unwrap();
        // The unit cannot verify (the team's act); the team cannot skip steps.
        assert!(matches!(staff.transition_incident(&id, "verified", "").await, Err(khien_store::StoreError::Forbidden)));
        let team_a = store.scoped(&principal_of(&store, &user(&w, Role::Responder)).await);
        let team_b = store.scoped(&principal_of(&store, &user(&w, Role::ProvinceAdmin)).await);
        assert!(matches!(team_a.transition_incident(&id, "contained", "").await, Err(khien_store::StoreError::Conflict("incident.err_transition"))));
        assert!(matches!(team_a.transition_incident(&id, "closed", "").await, Err(khien_store::StoreError::Conflict("incident.err_close_reason"))));
        team_a.transition_incident(&id, "verified", "").await.unwrap();
        // Two people start the response at the same moment: one change is recorded.
        let before = audit_seq(&store).await;
        let (x, y) = tokio::join!(team_a.transition_incident(&id, "responding", ""), team_b.transition_incident(&id, "responding", ""));
        assert_eq!([x.is_ok(), y.is_ok()].iter().filter(|ok| **ok).count(), 1, "{x:?} / {y:?}");
        let statuses: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE entity_id = $1 AND action = 'status' AND seq > $2")
            .bind(id.clone())
            .bind(before)
            .fetch_one(store.raw_pool())
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
        assert_eq!(statuses, 1);
        // The unit works its own response; recovering starts the closure clock.
        staff.transition_incident(&id, "contained", "").await.unwrap();
        staff.transition_incident(&id, "recovered", "Đã gỡ mã độc, khôi phục từ bản sao lưu").await.unwrap();
        let i = staff.incident(&id).await.unwrap();
        assert!(i.recovered_at.is_some() && i.deadline_facts().response_ended_at == i.recovered_at);
        assert!(matches!(staff.transition_incident(&id, "closed", "").await, Err(khien_store::StoreError::Forbidden)));
        // Through the page: the buttons are the allowed steps; an illegal one is refused.
        let c = Client::signed_in(&store, &user(&w, Role::UnitStaff)).await;
        let page = c.get(&format!("/incidents/{id}")).await;
        assert!(page.body.contains("id=\"to-responding\"") && !page.body.contains("id=\"to-closed\""));
        let refused = c.post_form(&format!("/incidents/{id}/status"), &[("to", "verified")]).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert_eq!(staff.incident(&id).await.unwrap().status, khien_domain::incidents::Status::Recovered);
    }
}

#[tokio::test]
async fn staff_reports_keep_their_input_and_share_explicitly() {
    for store in stores().await {
        let w = world(&store).await;
        let c = Client::signed_in(&store, &user(&w, Role::UnitManager)).await;
        assert_eq!(c.get("/incidents/new").await.status, 200);
        let refused = c
            .post_form("/incidents", &[("title", "Trang web bị thay giao diện"), ("detected_at", "31/02/2026 10:00"), ("reporter_name", "An"), ("incident_type", "defacement")])
            .await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("Trang web bị thay giao diện"), "typed title kept");
        assert!(refused.body.contains("id=\"err-detected_at\"") && refused.body.contains("id=\"err-source\""));
        let saved = c
            .post_form("/incidents", &[("title", "Trang web bị thay giao diện"), ("detected_at", "01/11/2026 07:05"), ("reporter_name", "An"), ("source", "log_review"), ("incident_type", "defacement"), ("systems", &w.sys_a)])
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let id = saved.headers.get("location").unwrap().to_str().unwrap().trim_start_matches("/incidents/").to_string();
        let got = json(&c.get(&format!("/api/v1/incidents/{id}")).await);
        assert_eq!(got["detected_at"], "2026-11-01T00:05:00.000000Z", "stored in UTC, to the minute");
        assert!(c.get(&format!("/incidents/{id}")).await.body.contains("01/11/2026 07:05"), "shown in +07:00");
        assert_eq!(got["systems"][0]["id"], w.sys_a.as_str());
        // Unit B's people do not see it until the team shares it with B.
        let b = Client::signed_in(&store, &w.user_b).await;
        assert_eq!(b.get(&format!("/incidents/{id}")).await.status, 404);
        assert_eq!(c.post_form(&format!("/incidents/{id}/shares"), &[("unit_id", &w.b)]).await.status, 403);
        let team = Client::signed_in(&store, &user(&w, Role::Responder)).await;
        assert_eq!(team.post_form(&format!("/incidents/{id}/shares"), &[("unit_id", &w.b)]).await.status, 303);
        let shared = b.get(&format!("/incidents/{id}")).await;
        assert_eq!(shared.status, 200);
        assert!(shared.body.contains("được chia sẻ với đơn vị của bạn"));
        let audited: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE entity_id = $1 AND action = 'share'").bind(id.clone()).fetch_one(store.raw_pool()).await.unwrap().try_get("n").unwrap();
        assert_eq!(audited, 1);
        // A shared unit comments but does not work the incident.
        assert_eq!(b.post_form(&format!("/incidents/{id}/comments"), &[("body", "Đơn vị B đã chặn IP nguồn.")]).await.status, 303);
        assert_eq!(b.post_form(&format!("/incidents/{id}/observables"), &[("kind", "ip"), ("value", "203.0.113.1")]).await.status, 403);
        // The paged API lists it for the team, with a cursor.
        let page = json(&team.get("/api/v1/incidents").await);
        assert!(page["items"].as_array().unwrap().iter().any(|i| i["id"] == id.as_str()));
    }
}

#[tokio::test]
async fn evidence_keeps_its_hash_and_its_chain_of_custody() {
    for store in stores().await {
        let w = world(&store).await;
        let c = Client::signed_in(&store, &user(&w, Role::UnitStaff)).await;
        let staff = store.scoped(&principal_of(&store, &user(&w, Role::UnitStaff)).await);
        let input = khien_domain::incidents::IncidentInput {
            title: "Lộ lọt dữ liệu".into(),
            detected_at: khien_domain::incidents::local_minute_text(store.now()),
            reporter_name: "X".into(),
            source: "notified".into(),
            incident_type: "data_theft".into(),
            ..Default::default()
        };
        let id = staff.create_incident(&input.validate(store.now()).unwrap()).await.unwrap();
        let bytes = b"GET /admin/export.sql HTTP/1.1 200 1048576 203.0.113.9\n";
        let up = c.multipart(&format!("/incidents/{id}/evidence"), &[("description", "Nhật ký web")], "file", "access.log", bytes).await;
        assert_eq!(up.status, 303, "{}", up.body);
        let d = json(&c.get(&format!("/api/v1/incidents/{id}")).await);
        let e = &d["evidence"][0];
        use sha2::Digest;
        let expected = khien_domain::audit::hex(&sha2::Sha256::digest(bytes));
        assert_eq!(e["sha256"], expected.as_str());
        assert_eq!(e["size"], bytes.len() as i64);
        assert_eq!(e["custody"][0]["action"], "collected");
        assert_eq!(e["custody"][0]["actor"], "a.unitstaff");
        let eid = e["id"].as_str().unwrap().to_string();
        let got = c.get(&format!("/incidents/{id}/evidence/{eid}")).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.bytes, bytes.to_vec(), "the file comes back as it went in");
        assert!(got.headers.get("content-disposition").unwrap().to_str().unwrap().starts_with("attachment"));
        let manager = Client::signed_in(&store, &user(&w, Role::UnitManager)).await;
        assert_eq!(manager.post_form(&format!("/incidents/{id}/evidence/{eid}/custody"), &[("action", "transferred"), ("note", "Bàn giao cho Công an tỉnh")]).await.status, 303);
        let bad = manager.post_form(&format!("/incidents/{id}/evidence/{eid}/custody"), &[("action", "collected")]).await;
        assert_eq!(bad.status, 422, "'collected' is recorded by the upload only");
        let d = json(&c.get(&format!("/api/v1/incidents/{id}")).await);
        let custody = d["evidence"][0]["custody"].as_array().unwrap();
        assert_eq!(custody.len(), 2);
        assert_eq!((custody[1]["actor"].as_str(), custody[1]["action"].as_str()), (Some("a.unitmanager"), Some("transferred")));
        // Another unit reaches neither the file nor its custody.
        let b = Client::signed_in(&store, &w.user_b).await;
        assert_eq!(b.get(&format!("/incidents/{id}/evidence/{eid}")).await.status, 404);
        let before = audit_seq(&store).await;
        assert_eq!(b.post_form(&format!("/incidents/{id}/evidence/{eid}/custody"), &[("action", "sealed")]).await.status, 404);
        assert_eq!(audit_seq(&store).await, before);
    }
}

#[tokio::test]
async fn a_suspicious_hunt_opens_its_incident_once() {
    for store in stores().await {
        let w = world(&store).await;
        let hunter = store.scoped(&principal_of(&store, &user(&w, Role::UnitStaff)).await);
        let hunt = hunter
            .record_hunt(&khien_store::hunts::HuntReportIn {
                title: "Săn tìm sau cảnh báo KEV".into(),
                systems: vec![w.sys_a.clone()],
                detections: vec![khien_store::hunts::DetectionRow {
                    timestamp: Some("2026-11-30T02:15:00Z".into()),
                    rule_id: "r-4625".into(),
                    rule_title: "Đăng nhập thất bại hàng loạt".into(),
                    level: "high".into(),
                    computer: "MAYCHU-01".into(),
                    matched: serde_json::json!({ "IpAddress": "203.0.113.45", "TargetUserName": "quantri" }),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .unwrap();
        let c = Client::signed_in(&store, &user(&w, Role::UnitStaff)).await;
        let r = c.post_form(&format!("/hunts/{hunt}/conclusion"), &[("conclusion", "suspicious"), ("note", "Có dấu hiệu dò mật khẩu")]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let location = r.headers.get("location").unwrap().to_str().unwrap().to_string();
        assert!(location.starts_with("/incidents/"), "{location}");
        let id = location.trim_start_matches("/incidents/").to_string();
        let d = json(&c.get(&format!("/api/v1/incidents/{id}")).await);
        assert_eq!(d["source"], "hunt");
        assert_eq!(d["hunt_id"], hunt.as_str());
        assert_eq!(d["status"], "reported");
        assert_eq!(d["systems"][0]["id"], w.sys_a.as_str());
        assert_eq!(d["timeline"][0]["text"], "Đăng nhập thất bại hàng loạt [high] — MAYCHU-01");
        assert_eq!(d["timeline"][0]["at"], "2026-11-30T02:15:00.000000Z");
        let obs: Vec<(String, String)> = d["observables"].as_array().unwrap().iter().map(|o| (o["kind"].as_str().unwrap().into(), o["value"].as_str().unwrap().into())).collect();
        assert!(obs.contains(&("ip".into(), "203.0.113.45".into())) && obs.contains(&("account".into(), "quantri".into())), "{obs:?}");
        // Concluding again (a second tab) opens nothing more.
        let again = c.post_form(&format!("/hunts/{hunt}/conclusion"), &[("conclusion", "suspicious")]).await;
        assert!(again.status.is_client_error(), "{}", again.status);
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM incidents WHERE hunt_id = $1").bind(hunt.clone()).fetch_one(store.raw_pool()).await.unwrap().try_get("n").unwrap();
        assert_eq!(n, 1);
        // A hunt with no detections kept, concluded suspicious, still opens one.
        let bare = hunter
            .record_hunt(&khien_store::hunts::HuntReportIn { title: "Săn tìm định kỳ".into(), systems: vec![w.sys_a.clone()], ..Default::default() })
            .await
            .unwrap();
        let before = incident_count(&store).await;
        let opened = hunter.conclude_hunt(&bare, "suspicious", "").await.unwrap();
        assert!(opened.is_some());
        assert_eq!(incident_count(&store).await, before + 1);
    }
}
