//! Accounts under attack: locks that cannot be stretched, second factors that cannot be
//! replayed or guessed in rounds, redirects that stay on the site, passwords people
//! actually pick, tokens that end and keep to their scope, a private `/metrics`, and the
//! `khien user unlock` command. Every test runs on both databases.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};


use khien_domain::Role;
use khien_domain::users::TokenScope;
use khien_store::Store;
use khien_web::auth::crypto::totp_at;

use crate::harness::{Client, PASSWORD, Reply, World, stores, stores_with_url, world};

/// The store's clock, moved forward by hand (seconds added to the wall clock).
#[derive(Clone, Default)]
struct Clock(Arc<AtomicI64>);

impl Clock {
    fn on(&self, store: &Store) -> Store {
        let offset = self.0.clone();
        store.clone().with_clock(Arc::new(move || {
            time::OffsetDateTime::now_utc() + time::Duration::seconds(offset.load(Ordering::SeqCst))
        }))
    }
    fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

/// A browser at the sign-in form: the pre-session cookie and its CSRF token.
fn at_login(store: &Store) -> Client {
    Client {
        app: crate::harness::app(store),
        cookie: Some("khien_pre=pretoken".into()),
        csrf: "pretoken".into(),
    }
}

async fn sign_in(store: &Store, username: &str, password: &str) -> Reply {
    at_login(store)
        .post_form("/login", &[("username", username), ("password", password)])
        .await
}

/// The session a sign-in reply set, as a client (CSRF token read from `page`).
async fn session_of(store: &Store, r: &Reply, page: &str) -> Client {
    let cookie = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("khien_session="))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let c = Client {
        app: crate::harness::app(store),
        cookie: Some(cookie),
        csrf: String::new(),
    };
    let body = c.get(page).await.body;
    let at = body.find("name=\"_csrf\" value=\"").expect("csrf field") + 20;
    Client {
        csrf: body[at..].split('"').next().unwrap().to_string(),
        ..c
    }
}

/// The enrolment secret the account page shows (grouped in fours for typing).
pub fn shown_secret(html: &str) -> String {
    let at = html.find("id=\"totp-secret\">").expect("secret shown") + 17;
    html[at..]
        .split('<')
        .next()
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Turns on the second factor for `user_id` through the account page; returns the secret
/// and the time step its confirming code used.
async fn enrol(store: &Store, user_id: &str) -> (String, i64) {
    let c = Client::signed_in(store, user_id).await;
    let secret = shown_secret(&c.get("/account").await.body);
    let now = store.now().unix_timestamp();
    let r = c
        .post_form(
            "/account/totp",
            &[("code", &totp_at(&secret, now).unwrap())],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let u = store.as_system().user(user_id).await.unwrap();
    assert!(u.totp_enabled);
    (secret, now.div_euclid(30))
}

async fn logins(store: &Store, user_id: &str) -> usize {
    store
        .as_system()
        .history("user", user_id)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "login")
        .count()
}

fn throttled(r: &Reply) -> bool {
    r.status == 401 && r.body.contains("quá nhiều lần")
}

#[tokio::test]
async fn trying_during_a_lock_does_not_extend_it() {
    for store in stores().await {
        world(&store).await;
        let clock = Clock::default();
        let store = clock.on(&store);
        for _ in 0..5 {
            assert_eq!(
                sign_in(&store, "a.viewer", "sai mật khẩu").await.status,
                401
            );
        }
        assert!(throttled(&sign_in(&store, "a.viewer", PASSWORD).await));
        assert_eq!(store.sign_in_failures("a.viewer").await.unwrap(), 5);
        // Someone keeps trying every few minutes: refused, and nothing is added.
        for _ in 0..3 {
            clock.advance(4 * 60);
            assert!(throttled(
                &sign_in(&store, "a.viewer", "sai mật khẩu").await
            ));
            assert!(throttled(&sign_in(&store, "a.viewer", PASSWORD).await));
        }
        assert_eq!(store.sign_in_failures("a.viewer").await.unwrap(), 5);
        // Fifteen minutes after the failures the lock is over, whatever was tried since.
        clock.advance(3 * 60 + 5);
        let r = sign_in(&store, "a.viewer", PASSWORD).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(store.sign_in_failures("a.viewer").await.unwrap(), 0);
    }
}

#[tokio::test]
async fn a_totp_code_is_accepted_once() {
    for store in stores().await {
        let w = world(&store).await;
        let id = w.user(Role::UnitStaff);
        let (secret, step) = enrol(&store, &id).await;
        let code = totp_at(&secret, (step + 1) * 30).unwrap();
        // Two half-signed-in sessions send the same fresh code at once: one gets in.
        let mut pending = Vec::new();
        for _ in 0..2 {
            let r = sign_in(&store, "a.unitstaff", PASSWORD).await;
            assert_eq!(r.headers.get("location").unwrap(), "/login/totp");
            pending.push(session_of(&store, &r, "/login/totp").await);
        }
        let form = [("code", code.as_str())];
        let (a, b) = tokio::join!(
            pending[0].post_form("/login/totp", &form),
            pending[1].post_form("/login/totp", &form),
        );
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [303, 401], "exactly one sign-in with one code");
        // The same code later, and the enrolment code (an earlier step), are refused too.
        let r = sign_in(&store, "a.unitstaff", PASSWORD).await;
        let third = session_of(&store, &r, "/login/totp").await;
        for used in [code.clone(), totp_at(&secret, step * 30).unwrap()] {
            let r = third.post_form("/login/totp", &[("code", &used)]).await;
            assert_eq!(r.status, 401, "a used code is refused");
        }
        assert_eq!(
            third.get("/systems").await.headers.get("location").unwrap(),
            "/login",
            "still not signed in"
        );
    }
}

#[tokio::test]
async fn second_factor_guesses_count_toward_the_same_lock() {
    for store in stores().await {
        let w = world(&store).await;
        let id = w.user(Role::UnitStaff);
        let (secret, step) = enrol(&store, &id).await;
        let wrong = |n: u32| format!("{:06}", (n * 7919 + 1) % 1_000_000);
        let right = totp_at(&secret, (step + 1) * 30).unwrap();
        let mut n = 0;
        let mut guess = |c: Client| {
            n += 1;
            let mut code = wrong(n);
            if code == right {
                code = wrong(n + 1000);
            }
            async move { c.post_form("/login/totp", &[("code", &code)]).await }
        };
        // Three wrong codes, then the right password again: the count is not reset.
        let r = sign_in(&store, "a.unitstaff", PASSWORD).await;
        let s = session_of(&store, &r, "/login/totp").await;
        for _ in 0..3 {
            assert_eq!(guess(s.clone()).await.status, 401);
        }
        let r = sign_in(&store, "a.unitstaff", PASSWORD).await;
        assert_eq!(r.status, 303);
        assert_eq!(store.sign_in_failures("a.unitstaff").await.unwrap(), 3);
        let s = session_of(&store, &r, "/login/totp").await;
        for _ in 0..2 {
            assert_eq!(guess(s.clone()).await.status, 401);
        }
        // Five failures in all: even the right code is refused, the half-done session
        // ends, and the password is refused too until the window passes.
        let r = s.post_form("/login/totp", &[("code", &right)]).await;
        assert!(throttled(&r), "{} {}", r.status, r.body);
        assert_eq!(
            s.get("/login/totp").await.headers.get("location").unwrap(),
            "/login"
        );
        assert!(throttled(&sign_in(&store, "a.unitstaff", PASSWORD).await));
        assert_eq!(store.sign_in_failures("a.unitstaff").await.unwrap(), 5);
        assert_eq!(
            logins(&store, &id).await,
            1,
            "only the test's own direct session"
        );
    }
}

#[tokio::test]
async fn signing_in_is_audited_only_after_the_second_factor() {
    for store in stores().await {
        let w = world(&store).await;
        let id = w.user(Role::Inspector);
        let (secret, step) = enrol(&store, &id).await;
        let before = logins(&store, &id).await;
        let r = sign_in(&store, "a.inspector", PASSWORD).await;
        assert_eq!(r.headers.get("location").unwrap(), "/login/totp");
        assert_eq!(
            logins(&store, &id).await,
            before,
            "a password alone is not a sign-in"
        );
        let s = session_of(&store, &r, "/login/totp").await;
        let ok = s
            .post_form(
                "/login/totp",
                &[("code", &totp_at(&secret, (step + 1) * 30).unwrap())],
            )
            .await;
        assert_eq!(ok.status, 303);
        assert_eq!(logins(&store, &id).await, before + 1);
        assert_eq!(s.get("/systems").await.status, 200);
        // Without a second factor, the password sign-in is the sign-in.
        let viewer = w.user(Role::Viewer);
        let before = logins(&store, &viewer).await;
        assert_eq!(sign_in(&store, "a.viewer", PASSWORD).await.status, 303);
        assert_eq!(logins(&store, &viewer).await, before + 1);
    }
}

#[tokio::test]
async fn disabled_and_unknown_accounts_cost_a_password_check_too() {
    for store in stores().await {
        let w = world(&store).await;
        store
            .as_system()
            .set_user_active(&w.user(Role::Viewer), false)
            .await
            .unwrap();
        // Each answer costs one argon2 verification, whether or not the account exists
        // or is enabled (counted, not timed: timing is noise on a shared machine).
        use std::sync::atomic::Ordering;
        let counter = &khien_web::auth::crypto::PASSWORD_VERIFICATIONS;
        for (username, password) in [
            ("a.inspector", "sai mật khẩu"),
            ("a.viewer", PASSWORD),
            ("khong.ton.tai", PASSWORD),
        ] {
            let before = counter.load(Ordering::Relaxed);
            assert_eq!(sign_in(&store, username, password).await.status, 401);
            assert!(
                counter.load(Ordering::Relaxed) > before,
                "{username}: the answer came without a password verification"
            );
        }
    }
}

#[tokio::test]
async fn the_language_switch_only_returns_to_this_site() {
    for store in stores().await {
        let c = Client::anonymous(&store);
        let location = |r: Reply| {
            assert_eq!(r.status, 303);
            r.headers
                .get("location")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        };
        for (next, to) in [
            ("/systems", "/systems"),
            ("/systems%3Fq%3Dd%C4%83k", "/systems?q=d%C4%83k"),
            ("/%09/evil.com", "/"),
            ("/%0a/evil.com", "/"),
            ("/%0d%0aSet-Cookie:x=1", "/"),
            ("/%2509/evil.com", "/"),
            ("//evil.com", "/"),
            ("/%2F/evil.com", "/"),
            ("/%5Cevil.com", "/"),
            ("%5C%5Cevil.com", "/"),
            ("https://evil.com", "/"),
            ("evil.com", "/"),
            ("", "/"),
        ] {
            let got = location(c.get(&format!("/lang/en?next={next}")).await);
            assert_eq!(got, to, "next={next}");
        }
    }
}

#[tokio::test]
async fn passwords_follow_the_policy() {
    for store in stores().await {
        let w = world(&store).await;
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let create = |username: &'static str, password: &'static str| {
            let admin = admin.clone();
            let unit = w.a.clone();
            async move {
                admin
                    .post_form(
                        "/users",
                        &[
                            ("username", username),
                            ("display_name", "Nguyễn Thị Bình"),
                            ("role", "unit_staff"),
                            ("unit_id", &unit),
                            ("password", password),
                        ],
                    )
                    .await
            }
        };
        for (password, message) in [
            ("          ", "chỉ gồm khoảng trắng"),
            ("ngắn-2026", "ít nhất 12 ký tự"),
            ("matkhau123456", "quá phổ biến"),
            ("Mật Khẩu 12345", "quá phổ biến"),
            ("qwertyuiop123", "quá phổ biến"),
            ("binh.nguyen-2026!", "không được chứa tên đăng nhập"),
        ] {
            let r = create("binh.nguyen", password).await;
            assert_eq!(r.status, 422, "{password:?}");
            assert!(r.body.contains(message), "{password:?}: {}", r.body);
        }
        // Every problem of the form at once, the password never echoed.
        let r = admin
            .post_form(
                "/users",
                &[
                    ("username", "x"),
                    ("display_name", ""),
                    ("role", "unit_staff"),
                    ("unit_id", &w.a),
                    ("password", "matkhau123"),
                ],
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(r.body.matches("class=\"field-error\"").count() >= 3, "{}", r.body);
        assert!(r.body.contains(r#"id="err-username""#) && r.body.contains(r#"id="err-display_name""#));
        assert!(!r.body.contains("matkhau123"));
        let r = create("binh.nguyen", "đồng hồ cát chảy bảy giờ").await;
        assert_eq!(r.status, 303, "{}", r.body);
        // The same rules when changing one's own password.
        let c = Client::signed_in(&store, &w.user(Role::UnitManager)).await;
        let change = |new: &'static str| {
            let c = c.clone();
            async move {
                c.post_form(
                    "/account/password",
                    &[("current", PASSWORD), ("new", new), ("confirm", new)],
                )
                .await
            }
        };
        let r = change("          ").await;
        assert_eq!(r.status, 400);
        assert!(r.body.contains("chỉ gồm khoảng trắng"));
        let r = change("a.unitmanager2026").await;
        assert!(r.body.contains("không được chứa tên đăng nhập"));
        assert_eq!(change("hạt mưa rơi trên mái hiên").await.status, 200);
        // The command line applies the same policy (the store refuses a bad profile).
        assert!(khien_domain::users::password_problem("          ", "x").is_some());
    }
}

/// Creates a token through the account page; returns its value.
async fn new_token(c: &Client, scope: &str, days: &str) -> Reply {
    c.post_form(
        "/account/tokens",
        &[("name", "tập lệnh"), ("scope", scope), ("days", days)],
    )
    .await
}

fn token_value(r: &Reply) -> String {
    let at = r.body.find("id=\"new-token\">").expect("token shown") + 15;
    r.body[at..].split('<').next().unwrap().to_string()
}

async fn api(c: &Client, token: &str, method: &str, path: &str, body: serde_json::Value) -> u16 {
    let req = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(if method == "GET" {
            String::new()
        } else {
            body.to_string()
        }))
        .unwrap();
    c.send(req).await.status.as_u16()
}

fn system_json(w: &World) -> serde_json::Value {
    serde_json::json!({ "name": "Hệ thống từ khóa API", "owner_unit_id": w.a1, "system_type": "other", "status": "planning" })
}

#[tokio::test]
async fn api_tokens_expire_and_keep_to_their_scope() {
    for store in stores().await {
        let w = world(&store).await;
        let clock = Clock::default();
        let store = clock.on(&store);
        let staff = w.user(Role::UnitStaff);
        let c = Client::signed_in(&store, &staff).await;
        let read = token_value(&new_token(&c, "read", "1").await);
        let hunts = token_value(&new_token(&c, "hunts", "").await);
        let imports = token_value(&new_token(&c, "imports", "365").await);
        let sys = system_json(&w);
        for t in [&read, &hunts, &imports] {
            assert_eq!(api(&c, t, "GET", "/api/v1/systems", sys.clone()).await, 200);
        }
        // A read-only token writes nothing, anywhere; the others only what they name.
        assert_eq!(
            api(&c, &read, "POST", "/api/v1/systems", sys.clone()).await,
            403
        );
        assert_eq!(
            api(&c, &read, "POST", "/api/v1/hunts", serde_json::json!({})).await,
            403
        );
        assert_eq!(
            api(&c, &hunts, "POST", "/api/v1/systems", sys.clone()).await,
            403
        );
        assert_eq!(
            api(&c, &imports, "POST", "/api/v1/systems", sys.clone()).await,
            201
        );
        let before = crate::harness::audit_seq(&store).await;
        let report = serde_json::json!({});
        assert_eq!(
            api(&c, &imports, "POST", "/api/v1/hunts", report.clone()).await,
            403
        );
        assert_eq!(
            crate::harness::audit_seq(&store).await,
            before,
            "nothing written"
        );
        assert_ne!(
            api(&c, &hunts, "POST", "/api/v1/hunts", report).await,
            403,
            "a hunts token may report (this empty report is then refused on its merits)"
        );
        // Lifetimes: as chosen, 90 days by default, never more than a year.
        let tokens = store.api_tokens_of(&staff).await.unwrap();
        let days = |scope: TokenScope| {
            let t = tokens.iter().find(|t| t.scope == scope).unwrap();
            let created = khien_domain::time_fmt::parse_rfc3339(&t.created_at).unwrap();
            let expires = khien_domain::time_fmt::parse_rfc3339(&t.expires_at).unwrap();
            (expires - created).whole_days()
        };
        assert_eq!(
            (
                days(TokenScope::Read),
                days(TokenScope::Hunts),
                days(TokenScope::Imports)
            ),
            (1, 90, 365)
        );
        for bad in ["366", "0", "mãi mãi"] {
            assert_eq!(new_token(&c, "read", bad).await.status, 400, "{bad}");
        }
        assert_eq!(new_token(&c, "admin", "30").await.status, 400);
        // A day later the one-day token no longer works; the others still do.
        clock.advance(86_400 + 1);
        assert_eq!(
            api(&c, &read, "GET", "/api/v1/systems", sys.clone()).await,
            401
        );
        assert_eq!(
            api(&c, &hunts, "GET", "/api/v1/systems", sys.clone()).await,
            200
        );
        let later = Client::signed_in(&store, &staff).await;
        assert!(later.get("/account").await.body.contains("Đã hết hạn"));
    }
}

#[tokio::test]
async fn a_password_change_ends_every_token() {
    for store in stores().await {
        let w = world(&store).await;
        let staff = w.user(Role::UnitStaff);
        let c = Client::signed_in(&store, &staff).await;
        let t1 = token_value(&new_token(&c, "read", "30").await);
        let t2 = token_value(&new_token(&c, "imports", "90").await);
        let sys = system_json(&w);
        assert_eq!(
            api(&c, &t1, "GET", "/api/v1/systems", sys.clone()).await,
            200
        );
        let new = "hạt mưa rơi trên mái hiên";
        let r = c
            .post_form(
                "/account/password",
                &[("current", PASSWORD), ("new", new), ("confirm", new)],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("mọi khóa API đã bị thu hồi"));
        for t in [&t1, &t2] {
            assert_eq!(api(&c, t, "GET", "/api/v1/systems", sys.clone()).await, 401);
        }
        assert!(store.api_tokens_of(&staff).await.unwrap().is_empty());
        assert_eq!(c.get("/account").await.status, 200, "this session stays");
    }
}

#[tokio::test]
async fn metrics_answer_only_the_configured_token() {
    for store in stores().await {
        let open = Client::anonymous(&store);
        assert_eq!(open.get("/metrics").await.status, 200, "open by default");
        let app = crate::harness::app(&store).layer(axum::Extension(
            khien_web::auth::MetricsAccess::new(Some("bi-mat-cua-prometheus".into())),
        ));
        let c = Client {
            app,
            cookie: None,
            csrf: String::new(),
        };
        let scrape = |auth: Option<&str>| {
            let mut b = axum::http::Request::builder().uri("/metrics");
            if let Some(a) = auth {
                b = b.header("authorization", a);
            }
            b.body(axum::body::Body::empty()).unwrap()
        };
        for refused in [None, Some("Bearer sai"), Some("Basic Yml"), Some("Bearer ")] {
            let r = c.send(scrape(refused)).await;
            assert_eq!(r.status, 404, "{refused:?}");
            assert!(!r.body.contains("khien_"), "{refused:?}");
        }
        let r = c.send(scrape(Some("Bearer bi-mat-cua-prometheus"))).await;
        assert_eq!(r.status, 200);
        assert!(r.body.contains("khien_login_failures_total"));
        // An empty configured token means none.
        let unset = Client {
            app: crate::harness::app(&store).layer(axum::Extension(
                khien_web::auth::MetricsAccess::new(Some(String::new())),
            )),
            ..c
        };
        assert_eq!(unset.send(scrape(None)).await.status, 200);
    }
}

#[tokio::test]
async fn the_unlock_command_lifts_a_lock() {
    for (store, url) in stores_with_url().await {
        let w = world(&store).await;
        for _ in 0..5 {
            sign_in(&store, "a.responder", "sai mật khẩu").await;
        }
        assert!(throttled(&sign_in(&store, "a.responder", PASSWORD).await));
        let run = |user: &str| {
            std::process::Command::new(env!("CARGO_BIN_EXE_khien"))
                .args(["user", "unlock", user, "--database-url", &url])
                .output()
                .unwrap()
        };
        let out = run("A.Responder");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("a.responder unlocked (5 failed attempts"),
            "{stdout}"
        );
        assert_eq!(store.sign_in_failures("a.responder").await.unwrap(), 0);
        assert_eq!(sign_in(&store, "a.responder", PASSWORD).await.status, 303);
        let unlock = store
            .as_system()
            .history("user", &w.user(Role::Responder))
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.action == "unlock")
            .expect("audited");
        assert_eq!(unlock.actor_name, "system");
        assert!(!run("khong.ton.tai").status.success());
    }
}
