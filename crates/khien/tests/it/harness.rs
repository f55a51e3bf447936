//! Test databases, an in-process app and signed-in requests.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, Response, StatusCode};
use khien_domain::Role;
use khien_domain::systems::SystemInput;
use khien_domain::units::UnitInput;
use khien_domain::users::TokenScope;
use khien_store::accounts::NewUser;
use khien_store::{Backend, Store};
use khien_web::{AppState, Metrics, WebConfig};
use tower::ServiceExt;

/// A fresh database on each backend under test: a temporary SQLite file, and a new
/// PostgreSQL database when KHIEN_TEST_DATABASE_URL points at a server. Without it the
/// suite fails, unless KHIEN_TEST_SQLITE_ONLY=1 says so explicitly.
pub async fn stores() -> Vec<Store> {
    stores_with_url()
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect()
}

/// Like [`stores`], with each database's URL (for running the `khien` binary on it).
pub async fn stores_with_url() -> Vec<(Store, String)> {
    let mut out = Vec::new();
    let dir = tempdir();
    let url = format!("sqlite://{}/khien.db", dir.display());
    out.push((
        Store::connect(&url, clock())
            .await
            .expect("sqlite store")
            .with_blob_dir(dir.join("blobs")),
        url,
    ));
    match std::env::var("KHIEN_TEST_DATABASE_URL") {
        Ok(base) => out.push(fresh_postgres(&base).await),
        Err(_) if std::env::var("KHIEN_TEST_SQLITE_ONLY").as_deref() == Ok("1") => {}
        Err(_) => panic!(
            "KHIEN_TEST_DATABASE_URL is not set: the suite must run on PostgreSQL too (scripts/test starts one). Set KHIEN_TEST_SQLITE_ONLY=1 to run SQLite alone on purpose."
        ),
    }
    out
}

/// The databases under test (SQLite, and PostgreSQL as [`stores`] decides).
pub fn backends() -> Vec<Backend> {
    match std::env::var("KHIEN_TEST_DATABASE_URL") {
        Ok(_) => vec![Backend::Sqlite, Backend::Postgres],
        Err(_) if std::env::var("KHIEN_TEST_SQLITE_ONLY").as_deref() == Ok("1") => vec![Backend::Sqlite],
        Err(_) => panic!("KHIEN_TEST_DATABASE_URL is not set: the suite must run on PostgreSQL too (scripts/test starts one)."),
    }
}

/// A fresh, empty database of `backend` (local blobs in a temporary directory), with
/// its URL.
pub async fn fresh_store(backend: Backend) -> (Store, String) {
    match backend {
        Backend::Sqlite => {
            let dir = tempdir();
            let url = format!("sqlite://{}/khien.db", dir.display());
            let store = Store::connect(&url, clock()).await.expect("sqlite store").with_blob_dir(dir.join("blobs"));
            (store, url)
        }
        Backend::Postgres => {
            let base = std::env::var("KHIEN_TEST_DATABASE_URL").expect("KHIEN_TEST_DATABASE_URL");
            fresh_postgres(&base).await
        }
    }
}

pub fn clock() -> khien_store::Clock {
    Arc::new(time::OffsetDateTime::now_utc)
}

pub fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("khien-test-{}", uuid_like()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}-{}-{}",
        std::process::id(),
        t,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub async fn fresh_postgres(base: &str) -> (Store, String) {
    sqlx::any::install_default_drivers();
    let name = format!("khien_t_{}", uuid_like().replace('-', "_"));
    let admin = sqlx::AnyPool::connect(base)
        .await
        .expect("connect to KHIEN_TEST_DATABASE_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let (prefix, _) = base.rsplit_once('/').unwrap();
    let url = format!("{prefix}/{name}");
    let store = Store::connect(&url, clock())
        .await
        .expect("postgres store")
        .with_blob_dir(tempdir().join("blobs"));
    assert_eq!(store.backend, Backend::Postgres);
    (store, url)
}

/// Where the S3-compatible test server is (KHIEN_TEST_S3_ENDPOINT; scripts/test starts
/// moto on 127.0.0.1), with a fresh bucket name. Without it the blob tests fail: the S3
/// store must be tested on every run, like PostgreSQL.
pub fn s3_config() -> khien_store::S3Config {
    let endpoint = std::env::var("KHIEN_TEST_S3_ENDPOINT").unwrap_or_else(|_| {
        panic!("KHIEN_TEST_S3_ENDPOINT is not set: the blob tests must run on an S3-compatible server too (scripts/test starts moto_server on 127.0.0.1 and sets it).")
    });
    khien_store::S3Config {
        endpoint,
        bucket: format!("khien-t-{}", uuid_like()),
        region: "us-east-1".into(),
        access_key_id: "khien-test".into(),
        secret_access_key: "khien-test-secret".into(),
        session_token: None,
        allow_http: true,
    }
}

/// An S3 blob store on `config`'s bucket (created if missing), with its own local
/// working directory, as a separate server would have.
pub async fn s3_blobs(config: &khien_store::S3Config) -> khien_store::Blobs {
    let blobs = khien_store::Blobs::s3(config.clone(), tempdir().join("blobs-tmp")).expect("S3 config");
    blobs.create().await.expect("create the test bucket");
    blobs
}

/// The blob stores under test: a local directory and a fresh S3 bucket.
pub async fn blob_stores() -> Vec<(&'static str, khien_store::Blobs)> {
    vec![
        ("local", khien_store::Blobs::new(tempdir().join("blobs"))),
        ("s3", s3_blobs(&s3_config()).await),
    ]
}

pub fn app(store: &Store) -> Router {
    app_with(store, WebConfig::default())
}

/// The app with `config` (its body limit the tests' 2 MiB).
pub fn app_with(store: &Store, config: WebConfig) -> Router {
    let config = WebConfig {
        max_body_bytes: 2 * 1024 * 1024,
        ..config
    };
    khien_web::app(AppState {
        store: store.clone(),
        config: Arc::new(config),
        metrics: Arc::new(Metrics::default()),
    })
}

pub const PASSWORD: &str = "Mật-khẩu-thử-2026";

/// A province with two departments A and B (each with a sub-unit), a system in each,
/// and a user of every role in A.
pub struct World {
    pub root: String,
    pub a: String,
    pub a1: String,
    pub b: String,
    pub b1: String,
    pub sys_a: String,
    pub sys_b: String,
    pub users_a: Vec<(Role, String)>,
    pub user_b: String,
    pub user_b_session: String,
    pub user_b_token: String,
    pub dossier_b: String,
    pub dossier_b_file: String,
    pub evidence_b: String,
    pub requirement_key: String,
    pub hunt_b: String,
    /// An incident reported by unit B on its system, with a task and an evidence file.
    pub incident_b: String,
    pub incident_b_task: String,
    pub incident_b_evidence: String,
    /// An alert from a monitoring provider (the team's queue).
    pub alert: String,
    /// An advisory reaching B's system (git on it), and that match.
    pub advisory_match_b: String,
    /// A drill of B's system, recorded by B.
    pub drill_b: String,
    pub assessment_b: String,
    pub vendor_b: String,
    pub campaign_b: String,
    pub campaign_b_participant: String,
    pub risk_b: String,
    /// A scanner import into B's system, and one of its findings.
    pub import_b: String,
    pub finding_b: String,
    /// B's system's incident response plan (a draft) and its one scenario.
    pub response_plan_b: String,
    pub response_scenario_b: String,
    /// A budget line of B's.
    pub budget_b: String,
}

impl World {
    /// The id of the user of `role` in unit A.
    pub fn user(&self, role: Role) -> String {
        self.users_a
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, id)| id.clone())
            .expect("a user of every role in A")
    }
}

pub const FOREIGN: &str = "NGOAIPHAMVI";

pub fn unit_input(code: &str, name: &str, kind: &str) -> UnitInput {
    UnitInput {
        code: code.into(),
        name: name.into(),
        kind: kind.into(),
        report_email: format!("{}@example.gov.vn", code.to_lowercase()),
        ..Default::default()
    }
}

pub fn system_input(name: &str, owner: &str) -> SystemInput {
    SystemInput {
        name: name.into(),
        owner_unit_id: owner.into(),
        system_type: "citizen_business".into(),
        status: "operating".into(),
        go_live_date: "01/03/2024".into(),
        information_types: "private, personal".into(),
        personal_subjects: "12000".into(),
        ..Default::default()
    }
}

pub async fn world(store: &Store) -> World {
    let sys = store.as_system();
    let root = sys
        .create_unit(
            None,
            &unit_input("ROOT", "Ủy ban nhân dân tỉnh Thử", "province")
                .validate()
                .unwrap(),
        )
        .await
        .unwrap();
    let a = sys
        .create_unit(
            Some(&root.id),
            &unit_input("A", "Sở Thử Nghiệm", "department")
                .validate()
                .unwrap(),
        )
        .await
        .unwrap();
    let a1 = sys
        .create_unit(
            Some(&a.id),
            &unit_input("A1", "Phòng Thử Nghiệm", "other")
                .validate()
                .unwrap(),
        )
        .await
        .unwrap();
    let b = sys
        .create_unit(
            Some(&root.id),
            &unit_input("B", &format!("Sở {FOREIGN} Bên Ngoài"), "department")
                .validate()
                .unwrap(),
        )
        .await
        .unwrap();
    let b1 = sys
        .create_unit(
            Some(&b.id),
            &unit_input("B1", &format!("Phòng {FOREIGN} Con"), "other")
                .validate()
                .unwrap(),
        )
        .await
        .unwrap();
    let sys_a = sys
        .create_system(
            &system_input("Hệ thống của Sở Thử Nghiệm", &a.id)
                .validate()
                .unwrap(),
        )
        .await
        .unwrap();
    let sys_b = sys
        .create_system(
            &system_input(&format!("Hệ thống {FOREIGN}"), &b.id)
                .validate()
                .unwrap(),
        )
        .await
        .unwrap();
    let hash = khien_web::auth::crypto::hash_password(PASSWORD).unwrap();
    let mut users_a = Vec::new();
    for role in Role::ALL {
        let u = sys
            .create_user(NewUser {
                username: format!("a.{}", role.as_str().replace('_', "")),
                display_name: format!("Người dùng {}", role.as_str()),
                email: None,
                password_hash: hash.clone(),
                role,
                unit_id: a.id.clone(),
            })
            .await
            .unwrap();
        users_a.push((role, u.id));
    }
    let ub = sys
        .create_user(NewUser {
            username: "b.staff".into(),
            display_name: format!("Cán bộ {FOREIGN}"),
            email: None,
            password_hash: hash.clone(),
            role: Role::UnitStaff,
            unit_id: b.id.clone(),
        })
        .await
        .unwrap();
    let (session_token, _) = sign_in_direct(store, &ub.id).await;
    let token = store
        .create_api_token(
            &ub.id,
            &token("b token", "khien_btoken", TokenScope::Imports),
        )
        .await
        .unwrap();
    // A level-3 determination, a dossier with an attachment, and plan evidence in B.
    let (_, dossier) = dossier_for(store, &sys_b).await;
    let file = sys
        .attach_to_dossier(
            &dossier,
            "overview",
            &blob(store, "thuyet-minh-NGOAIPHAMVI.pdf", b"%PDF-1.4 NGOAIPHAMVI").await,
        )
        .await
        .unwrap();
    let plan = sys.plan(&sys_b).await.unwrap().unwrap();
    let requirement_key = plan.items[0].key.clone();
    let hunt_b = sys
        .record_hunt(&khien_store::hunts::HuntReportIn {
            title: format!("Săn tìm {FOREIGN}"),
            systems: vec![sys_b.clone()],
            detections: vec![khien_store::hunts::DetectionRow {
                rule_id: "r1".into(),
                rule_title: format!("Quy tắc {FOREIGN}"),
                level: "high".into(),
                computer: format!("PC-{FOREIGN}"),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let evidence = sys
        .add_evidence(
            &sys_b,
            &requirement_key,
            &blob(store, "bang-chung-NGOAIPHAMVI.pdf", b"NGOAIPHAMVI").await,
            None,
            None,
        )
        .await
        .unwrap();
    let b_view = store.scoped(&principal_of(store, &ub.id).await);
    let incident_b = b_view
        .create_incident(
            &khien_domain::incidents::IncidentInput {
                title: format!("Sự cố {FOREIGN}"),
                detected_at: khien_domain::incidents::local_minute_text(store.now() - time::Duration::hours(1)),
                reporter_name: format!("Cán bộ {FOREIGN}"),
                source: "log_review".into(),
                incident_type: "malware".into(),
                systems: vec![sys_b.clone()],
                ..Default::default()
            }
            .validate(store.now())
            .unwrap(),
        )
        .await
        .unwrap();
    let incident_b_task = b_view
        .add_task(&incident_b, &khien_store::incidents::TaskIn { title: format!("Nhiệm vụ {FOREIGN}"), ..Default::default() })
        .await
        .unwrap();
    let incident_b_evidence = b_view
        .add_evidence_file(&incident_b, &blob(store, "chung-cu-NGOAIPHAMVI.pcap", b"NGOAIPHAMVI pcap").await, FOREIGN)
        .await
        .unwrap();
    let alert = sys
        .receive_alert(&khien_store::incidents::AlertIn {
            source: "soc-thu".into(),
            source_ref: "A-1".into(),
            title: format!("Cảnh báo {FOREIGN}"),
            ..Default::default()
        })
        .await
        .unwrap()
        .id;
    let report = tempdir().join("quet-NGOAIPHAMVI.csv");
    std::fs::write(&report, format!("title,severity,host,port\nLỗ hổng {FOREIGN},high,10.9.9.9,443\n")).unwrap();
    let (_, _) = khien::scan_import::import_now(store, &sys_b, &report, None, true).await.unwrap();
    let import_b = sys.scan_imports_of(&sys_b, 1).await.unwrap()[0].id.clone();
    let finding_b = sys
        .findings(&khien_store::findings::FindingFilter { system_id: sys_b.clone(), ..Default::default() }, 1)
        .await
        .unwrap()
        .items[0]
        .id
        .clone();
    let mut fields_b = sys.system(&sys_b).await.unwrap().fields;
    fields_b.components = vec![khien_domain::systems::Component { vendor: "Git".into(), product: "Git".into(), version: "2.45.1".into(), cpe: String::new() }];
    sys.update_system(&sys_b, &fields_b).await.unwrap();
    let advisory = khien_domain::advisories::AdvisoryInput {
        number: "1/CATTT".into(),
        issued_on: khien_domain::time_fmt::format_date(store.today_vn()),
        issuer: "Cục An toàn thông tin".into(),
        title: "Git".into(),
        products: "git | git | < 2.45.4".into(),
        severity: "high".into(),
        deadline: "31/12/2099".into(),
        ..Default::default()
    }
    .validate(store.today_vn())
    .unwrap();
    let (advisory_b, reached) = sys.create_advisory(&advisory).await.unwrap();
    assert_eq!(reached, 1);
    let advisory_match_b = sys.advisory(&advisory_b).await.unwrap().1[0].id.clone();
    let drill_b = b_view
        .create_drill(
            &khien_domain::drills::DrillInput {
                drill_kind: "tabletop".into(),
                title: format!("Diễn tập {FOREIGN}"),
                organiser: format!("Đơn vị {FOREIGN}"),
                // Last year's: it does not meet this year's drill.
                held_from: khien_domain::time_fmt::format_date(store.today_vn() - time::Duration::days(400)),
                held_to: khien_domain::time_fmt::format_date(store.today_vn() - time::Duration::days(400)),
                objectives: "x".into(),
                participants: "x".into(),
                systems: vec![sys_b.clone()],
                ..Default::default()
            }
            .validate(store.today_vn())
            .unwrap(),
        )
        .await
        .unwrap();
    // B's own unit assessment, three years old (its duty stays overdue), for the pages
    // and the weaknesses recorded on it.
    let assessment_b = b_view
        .record_security_assessment(
            None,
            &b.id,
            &khien_domain::assessments::AssessmentInput {
                assessment_kind: "unit".into(),
                performed_on: khien_domain::time_fmt::format_date(store.today_vn() - time::Duration::days(1100)),
                performer: format!("Đoàn {FOREIGN}"),
                scope: "x".into(),
                result: "x".into(),
                ..Default::default()
            }
            .validate(store.today_vn(), false)
            .unwrap(),
        )
        .await
        .unwrap();
    let vendor_policy = khien_domain::vendors::Policy::embedded().unwrap();
    let vendor_b = b_view
        .create_vendor(
            &b.id,
            &khien_domain::vendors::VendorInput { name: format!("Bên thứ ba {FOREIGN}"), service: "hosting".into(), ..Default::default() }.validate(&vendor_policy).unwrap(),
        )
        .await
        .unwrap();
    let campaign_b = b_view
        .create_campaign(
            &b.id,
            &khien_domain::training::CampaignInput {
                campaign_kind: "course".into(),
                title: format!("Tập huấn {FOREIGN}"),
                audience: "it_staff".into(),
                // Two years ago: B has nobody trained this year or the last.
                held_from: khien_domain::time_fmt::format_date(store.today_vn() - time::Duration::days(800)),
                held_to: khien_domain::time_fmt::format_date(store.today_vn() - time::Duration::days(800)),
                topics: "x".into(),
                ..Default::default()
            }
            .validate(store.today_vn())
            .unwrap(),
        )
        .await
        .unwrap();
    b_view
        .add_participants(&campaign_b, &khien_domain::training::ParticipantsInput { unit_id: b.id.clone(), people: format!("Học viên {FOREIGN}"), completed: "on".into() }.validate().unwrap())
        .await
        .unwrap();
    let campaign_b_participant = b_view.campaign(&campaign_b).await.unwrap().1[0].id.clone();
    let risk_b = b_view
        .create_risk(&b.id, &khien_domain::risks::RiskInput { title: format!("Rủi ro {FOREIGN}"), description: "x".into(), likelihood: "1".into(), impact: "1".into(), status: "open".into(), ..Default::default() }.validate().unwrap())
        .await
        .unwrap();
    let outlines = khien_domain::response_plans::Outlines::embedded().unwrap();
    let response_plan_b = b_view.create_response_plan(&outlines, &sys_b, &format!("Phương án {FOREIGN}")).await.unwrap();
    b_view.add_response_scenario(&response_plan_b, khien_domain::incidents::IncidentType::Malware, &format!("Kịch bản {FOREIGN}"), "x", "x").await.unwrap();
    let response_scenario_b = b_view.response_plan(&response_plan_b).await.unwrap().versions[0].1[0].id.clone();
    let budget_b = b_view
        .record_budget_line(
            &b.id,
            &khien_domain::budget::BudgetInput { budget_kind: "project".into(), title: format!("Dự án {FOREIGN}"), decision_no: "1/QĐ-B".into(), approved_on: "01/08/2026".into(), total: "1000000".into(), security: "100000".into(), note: String::new() }
                .validate(store.today_vn())
                .unwrap(),
        )
        .await
        .unwrap();
    World {
        root: root.id,
        a: a.id,
        a1: a1.id,
        b: b.id,
        b1: b1.id,
        sys_a,
        sys_b,
        users_a,
        user_b: ub.id,
        user_b_session: khien_web::auth::crypto::sha256_hex(&session_token),
        user_b_token: token.id,
        dossier_b: dossier,
        dossier_b_file: file.id,
        evidence_b: evidence.id,
        requirement_key,
        hunt_b,
        incident_b,
        incident_b_task,
        incident_b_evidence,
        alert,
        advisory_match_b,
        drill_b,
        assessment_b,
        vendor_b,
        campaign_b,
        campaign_b_participant,
        risk_b,
        import_b,
        finding_b,
        response_plan_b,
        response_scenario_b,
        budget_b,
    }
}

/// The principal of a user, as a signed-in request carries it.
pub async fn principal_of(store: &Store, user_id: &str) -> khien_domain::Principal {
    let (token, _) = sign_in_direct(store, user_id).await;
    store
        .session(&khien_web::auth::crypto::sha256_hex(&token))
        .await
        .unwrap()
        .unwrap()
        .principal
}

/// An API token to create straight in the store, valid 90 days.
pub fn token(name: &str, value: &str, scope: TokenScope) -> khien_store::accounts::NewApiToken {
    khien_store::accounts::NewApiToken {
        name: name.into(),
        token_hash: khien_web::auth::crypto::sha256_hex(value),
        scope,
        days: 90,
    }
}

/// Creates a session straight in the store: returns (cookie token, csrf token).
pub async fn sign_in_direct(store: &Store, user_id: &str) -> (String, String) {
    let token = khien_web::auth::crypto::random_token().unwrap();
    let csrf = khien_web::auth::crypto::random_token().unwrap();
    let expires = khien_domain::time_fmt::to_rfc3339(store.now() + time::Duration::hours(1));
    store
        .create_session(
            user_id,
            &khien_web::auth::crypto::sha256_hex(&token),
            &csrf,
            false,
            &expires,
            None,
            None,
        )
        .await
        .unwrap();
    (token, csrf)
}

#[derive(Clone)]
pub struct Client {
    pub app: Router,
    pub cookie: Option<String>,
    pub csrf: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Reply {
    /// A response header as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

impl Client {
    pub async fn signed_in(store: &Store, user_id: &str) -> Client {
        let (token, csrf) = sign_in_direct(store, user_id).await;
        Client {
            app: app(store),
            cookie: Some(format!("khien_session={token}")),
            csrf,
        }
    }

    /// Signed in on an app with its own configuration.
    pub async fn signed_in_with(store: &Store, user_id: &str, config: WebConfig) -> Client {
        Client { app: app_with(store, config), ..Client::signed_in(store, user_id).await }
    }

    pub fn anonymous(store: &Store) -> Client {
        Client {
            app: app(store),
            cookie: None,
            csrf: String::new(),
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let resp: Response<Body> = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    fn builder(&self, method: &str, path: &str) -> axum::http::request::Builder {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost");
        if let Some(c) = &self.cookie {
            b = b.header("cookie", c.clone());
        }
        b
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.builder("GET", path).body(Body::empty()).unwrap())
            .await
    }

    /// A form post carrying the CSRF token, as the browser sends it.
    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Reply {
        let mut all: Vec<(&str, &str)> = vec![("_csrf", self.csrf.as_str())];
        all.extend_from_slice(pairs);
        let body = serde_urlencoded::to_string(&all).unwrap();
        self.send(
            self.builder("POST", path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        self.send(
            self.builder("POST", path)
                .header("content-type", content_type)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    pub async fn json(&self, method: &str, path: &str, body: &serde_json::Value) -> Reply {
        let req = self
            .builder(method, path)
            .header("content-type", "application/json")
            .header("x-csrf-token", self.csrf.clone())
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(req).await
    }

    /// Multipart upload of one file plus the CSRF field (and a dossier `part`).
    pub async fn upload(&self, path: &str, filename: &str, bytes: &[u8]) -> Reply {
        self.multipart(path, &[("part", "overview")], "file", filename, bytes)
            .await
    }

    /// A multipart form: text fields, then one file under `file_field`.
    pub async fn multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file_field: &str,
        filename: &str,
        bytes: &[u8],
    ) -> Reply {
        let boundary = "----khientestboundary";
        let mut body = Vec::new();
        let mut text = |name: &str, value: &str| {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        };
        text("_csrf", &self.csrf);
        for (k, v) in fields {
            text(k, v);
        }
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.post_raw(
            path,
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await
    }

    /// A multipart form with several files: `(field, file name, bytes)`.
    pub async fn multipart_files(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Reply {
        let boundary = "----khientestboundary";
        let mut body = Vec::new();
        let mut text = |name: &str, value: &str| {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        };
        text("_csrf", &self.csrf);
        for (k, v) in fields {
            text(k, v);
        }
        for (field, filename, bytes) in files {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.post_raw(
            path,
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await
    }
}

/// Stores bytes in the blob store, as an upload would.
pub async fn blob(store: &Store, name: &str, bytes: &[u8]) -> khien_store::StoredFile {
    store.blobs.put(name, bytes).await.expect("blob")
}

/// The audit chain head: any audited write moves it.
pub async fn audit_seq(store: &Store) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(store.raw_pool())
        .await
        .unwrap()
        .try_get("seq")
        .unwrap()
}

/// An XLSX of systems with the template's Vietnamese headers.
pub fn systems_xlsx(rows: &[[&str; 7]]) -> Vec<u8> {
    let headers = [
        "Tên",
        "Mã đơn vị chủ quản",
        "Loại hệ thống",
        "Trạng thái",
        "Ngày đưa vào vận hành",
        "Loại thông tin xử lý",
        "Dải địa chỉ IP",
    ];
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

/// A citizen-service system with 12,000 data subjects is level 3 under Decree 85
/// (Art 9.2.c); records the determination and opens a dossier. Returns (assessment, dossier).
pub async fn dossier_for(store: &Store, system_id: &str) -> (String, String) {
    let sys = store.as_system();
    let s = sys.system(system_id).await.unwrap();
    let input = khien_domain::levels::level_input(
        "nd85-2016",
        &s.fields,
        &khien_levels::LevelInput::default(),
    );
    let d = khien_levels::classify(&input).unwrap();
    let a = sys.record_assessment(system_id, &input, &d).await.unwrap();
    let dossier = sys.create_dossier(&a.id).await.unwrap();
    (a.id, dossier.id)
}

/// A dossier for `system` with every part Decree 85 asks at level 3 on file.
pub async fn complete_dossier(store: &Store, system: &str) -> String {
    let (_, dossier) = dossier_for(store, system).await;
    for part in ["overview", "design", "level_justification", "security_plan"] {
        let f = blob(store, &format!("{part}.pdf"), b"%PDF part").await;
        store
            .as_system()
            .attach_to_dossier(&dossier, part, &f)
            .await
            .unwrap();
    }
    dossier
}

/// A job worker as `khien serve` runs it, with the default lease.
pub fn worker() -> khien::jobs::WorkerConfig {
    khien::jobs::WorkerConfig::new(std::time::Duration::from_secs(60))
}

/// The text of one entry of a ZIP container (DOCX, XLSX).
pub fn zip_text(bytes: &[u8], entry: &str) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut z.by_name(entry).unwrap(), &mut s).unwrap();
    s
}

/// A finished hunt of `system` that read a Windows log and applied rules to it: one
/// that counts for the 6-monthly hunting duty.
pub async fn record_counted_hunt(store: &Store, system: &str) {
    store
        .as_system()
        .record_hunt(&khien_store::hunts::HuntReportIn {
            title: "Săn tìm định kỳ".into(),
            systems: vec![system.to_string()],
            summary: khien_store::hunts::HuntSummary {
                files: 1,
                events: 40,
                coverage: vec![khien_store::hunts::FileCoverage {
                    name: "Security.evtx".into(),
                    format: "evtx".into(),
                    events: 40,
                    in_period: 40,
                    rules_applied: 12,
                    ..Default::default()
                }],
                rules_loaded: 12,
                ..Default::default()
            },
            ..Default::default()
        })
        .await
        .unwrap();
}

/// The count a `SELECT COUNT(*) …` with one bound id returns, read straight from the
/// database (what was written, not what a page says).
pub async fn count(store: &Store, sql: &str, id: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).bind(id.to_string()).fetch_one(store.raw_pool()).await.unwrap().try_get::<i64, _>(0).unwrap()
}

/// The store on the wall clock moved forward by the returned number of whole days,
/// which the test steps (`days.store(n, SeqCst)`; sign in again after a step: sessions
/// expire).
pub fn days_stepped(store: &Store) -> (Store, Arc<std::sync::atomic::AtomicI64>) {
    let days = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let d = days.clone();
    let store = store.clone().with_clock(Arc::new(move || time::OffsetDateTime::now_utc() + time::Duration::days(d.load(std::sync::atomic::Ordering::SeqCst))));
    (store, days)
}
