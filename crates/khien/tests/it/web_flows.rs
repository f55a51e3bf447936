//! Sign-in, CSRF, API tokens, search, and Excel in and out, through the real router.

use khien_domain::Role;

use crate::harness::{Client, PASSWORD, audit_seq, stores, systems_xlsx, world};


fn hidden_csrf(html: &str) -> String {
    let at = html.find("name=\"_csrf\" value=\"").expect("csrf field") + 20;
    html[at..].split('"').next().unwrap().to_string()
}

fn set_cookies(r: &crate::harness::Reply) -> Vec<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn sign_in_refuses_wrong_passwords_and_throttles() {
    for store in stores().await {
        world(&store).await;
        let anon = Client::anonymous(&store);
        let form = anon.get("/login").await;
        assert_eq!(form.status, 200);
        let pre = set_cookies(&form)
            .into_iter()
            .find(|c| c.starts_with("khien_pre="))
            .unwrap();
        assert!(pre.contains("HttpOnly") && pre.contains("SameSite=Strict"));
        let pre = pre.split(';').next().unwrap().to_string();
        let csrf = hidden_csrf(&form.body);
        let login = Client {
            app: anon.app.clone(),
            cookie: Some(pre.clone()),
            csrf: csrf.clone(),
        };
        // No CSRF token: refused before the password is even looked at.
        let no_token = Client {
            csrf: "x".into(),
            ..Client {
                app: anon.app.clone(),
                cookie: Some(pre.clone()),
                csrf: String::new(),
            }
        };
        assert_eq!(
            no_token
                .post_form(
                    "/login",
                    &[("username", "a.provinceadmin"), ("password", PASSWORD)]
                )
                .await
                .status,
            403
        );
        let bad = login
            .post_form(
                "/login",
                &[
                    ("username", "a.provinceadmin"),
                    ("password", "sai mật khẩu"),
                ],
            )
            .await;
        assert_eq!(bad.status, 401);
        assert!(
            bad.body.contains("Tên đăng nhập hoặc mật khẩu không đúng"),
            "Vietnamese error shown"
        );
        let good = login
            .post_form(
                "/login",
                &[("username", "A.ProvinceAdmin"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(good.status, 303, "{}", good.body);
        let session = set_cookies(&good)
            .into_iter()
            .find(|c| c.starts_with("khien_session="))
            .unwrap();
        assert!(
            session.contains("HttpOnly")
                && session.contains("SameSite=Strict")
                && !session.contains("Secure")
        );
        // The session works; the stored id is a hash, not the cookie value.
        let token = session
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("khien_session=")
            .to_string();
        let signed = Client {
            app: anon.app.clone(),
            cookie: Some(format!("khien_session={token}")),
            csrf: String::new(),
        };
        let home = signed.get("/").await;
        assert_eq!(home.status, 200);
        assert!(
            store.session(&token).await.unwrap().is_none(),
            "raw tokens are not stored"
        );
        // Five failures lock the account for a while, even with the right password.
        for _ in 0..5 {
            login
                .post_form("/login", &[("username", "a.viewer"), ("password", "sai")])
                .await;
        }
        let locked = login
            .post_form(
                "/login",
                &[("username", "a.viewer"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(locked.status, 401);
        assert!(locked.body.contains("quá nhiều lần"));
    }
}

#[tokio::test]
async fn second_factor_is_required_once_enabled() {
    for store in stores().await {
        let w = world(&store).await;
        let id = w.user(Role::UnitStaff);
        let c = Client::signed_in(&store, &id).await;
        // The server proposes the secret (as a QR code and as text) and keeps it; the
        // form sends only the code, and a secret posted alongside is ignored.
        let account = c.get("/account").await;
        assert!(account.body.contains("<svg role=\"img\""), "QR code shown");
        let secret = crate::accounts::shown_secret(&account.body);
        assert_eq!(
            secret,
            crate::accounts::shown_secret(&c.get("/account").await.body),
            "reloading shows the same secret"
        );
        let now = store.now().unix_timestamp();
        let code = khien_web::auth::crypto::totp_at(&secret, now).unwrap();
        let r = c
            .post_form(
                "/account/totp",
                &[("secret", "JBSWY3DPEHPK3PXPJBSWY3DP"), ("code", &code)],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let anon = Client::anonymous(&store);
        let form = anon.get("/login").await;
        let pre = set_cookies(&form)
            .into_iter()
            .find(|c| c.starts_with("khien_pre="))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let login = Client {
            app: anon.app.clone(),
            cookie: Some(pre),
            csrf: hidden_csrf(&form.body),
        };
        let r = login
            .post_form(
                "/login",
                &[("username", "a.unitstaff"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(r.headers.get("location").unwrap(), "/login/totp");
        let cookie = set_cookies(&r)
            .into_iter()
            .find(|c| c.starts_with("khien_session="))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let pending = Client {
            app: anon.app.clone(),
            cookie: Some(cookie.clone()),
            csrf: String::new(),
        };
        assert_eq!(
            pending
                .get("/systems")
                .await
                .headers
                .get("location")
                .unwrap(),
            "/login",
            "no access before the second factor"
        );
        let page = pending.get("/login/totp").await;
        let pending = Client {
            csrf: hidden_csrf(&page.body),
            ..pending
        };
        assert_eq!(
            pending
                .post_form("/login/totp", &[("code", "123456")])
                .await
                .status,
            401
        );
        // The enrolment code's time step is spent; the next step's code signs in.
        let replayed = pending.post_form("/login/totp", &[("code", &code)]).await;
        assert_eq!(replayed.status, 401, "the enrolment code cannot sign in");
        let ok = pending
            .post_form(
                "/login/totp",
                &[(
                    "code",
                    &khien_web::auth::crypto::totp_at(&secret, now + 30).unwrap(),
                )],
            )
            .await;
        assert_eq!(ok.status, 303);
        assert_eq!(pending.get("/systems").await.status, 200);
    }
}

#[tokio::test]
async fn csrf_and_security_headers() {
    for store in stores().await {
        let w = world(&store).await;
        let c = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let forged = Client {
            csrf: "forged".into(),
            ..Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await
        };
        let before = audit_seq(&store).await;
        let r = forged
            .post_form(
                "/units",
                &[
                    ("parent_id", &w.root),
                    ("code", "CSRF"),
                    ("name", "Giả mạo"),
                    ("kind", "other"),
                ],
            )
            .await;
        assert_eq!(r.status, 403);
        assert!(r.body.contains("Phiên biểu mẫu đã hết hạn"), "{}", r.body);
        // A cross-site Origin is refused even with a valid token.
        let req = axum::http::Request::builder()
            .method("POST")
            .uri("/units")
            .header("host", "localhost")
            .header("origin", "https://evil.example")
            .header("cookie", c.cookie.clone().unwrap())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(format!(
                "_csrf={}&parent_id={}&code=X&name=X&kind=other",
                c.csrf, w.root
            )))
            .unwrap();
        assert_eq!(c.send(req).await.status, 403);
        assert_eq!(audit_seq(&store).await, before, "nothing written");
        let page = c.get("/").await;
        let h = |n: &str| {
            page.headers
                .get(n)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        assert!(
            h("content-security-policy").contains("script-src 'self'")
                && h("content-security-policy").contains("frame-ancestors 'none'")
        );
        assert!(!h("content-security-policy").contains("unsafe-inline"));
        assert_eq!(h("x-content-type-options"), "nosniff");
        assert_eq!(h("referrer-policy"), "same-origin");
        assert!(
            !page.body.contains("<script>") && !page.body.contains(" style=\""),
            "no inline script or style"
        );
    }
}

#[tokio::test]
async fn api_tokens_authenticate_and_are_scoped() {
    for store in stores().await {
        let w = world(&store).await;
        let c = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let r = c
            .post_form(
                "/account/tokens",
                &[("name", "máy quét"), ("scope", "imports"), ("days", "30")],
            )
            .await;
        let at = r.body.find("id=\"new-token\">").unwrap() + 15;
        let token = r.body[at..].split('<').next().unwrap().to_string();
        assert!(token.starts_with("khien_"));
        let api = |t: &str, path: &str| {
            axum::http::Request::builder()
                .uri(path)
                .header("authorization", format!("Bearer {t}"))
                .body(axum::body::Body::empty())
                .unwrap()
        };
        let list = c.send(api(&token, "/api/v1/systems")).await;
        assert_eq!(list.status, 200);
        let v: serde_json::Value = serde_json::from_str(&list.body).unwrap();
        assert_eq!(
            v["total"], 1,
            "a unit token sees its unit's one system: {v}"
        );
        assert_eq!(
            c.send(api(&token, &format!("/api/v1/systems/{}", w.sys_b)))
                .await
                .status,
            404
        );
        let bad = c.send(api("khien_wrong", "/api/v1/systems")).await;
        assert_eq!(bad.status, 401);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&bad.body).unwrap()["error"],
            "unauthenticated"
        );
        // A bearer token creates through the API without CSRF, and the write is audited.
        let req = axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/systems")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(serde_json::json!({ "name": "Hệ thống từ API", "owner_unit_id": w.a1, "system_type": "other", "status": "planning" }).to_string()))
            .unwrap();
        let created = c.send(req).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let id = serde_json::from_str::<serde_json::Value>(&created.body).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            store
                .as_system()
                .history("system", &id)
                .await
                .unwrap()
                .len(),
            1
        );
        // Revoked tokens stop working.
        let tid = store
            .api_tokens_of(&w.user(Role::UnitStaff))
            .await
            .unwrap()[0]
            .id
            .clone();
        c.post_form(&format!("/account/tokens/{tid}/revoke"), &[])
            .await;
        assert_eq!(c.send(api(&token, "/api/v1/systems")).await.status, 401);
    }
}

#[tokio::test]
async fn search_ignores_diacritics() {
    for store in stores().await {
        let w = world(&store).await;
        let sys = store.as_system();
        sys.create_system(
            &crate::harness::system_input("Cổng dịch vụ công tỉnh Đắk Lắk", &w.a)
                .validate()
                .unwrap(),
        )
        .await
        .unwrap();
        let c = Client::signed_in(&store, &w.user(Role::UnitManager)).await;
        for q in ["dak lak", "Đắk Lắk", "ĐẮK  LẮK", "cong dich vu", "DAK"] {
            let r = c.get(&format!("/systems?q={}", urlencode(q))).await;
            assert!(
                r.body.contains("Cổng dịch vụ công tỉnh Đắk Lắk"),
                "query {q:?} should find the system"
            );
            assert!(
                r.body.contains(">1 hệ thống<"),
                "query {q:?}: exactly one result"
            );
        }
        let none = c.get("/systems?q=khong+co+he+thong+nay").await;
        assert!(none.body.contains(">0 hệ thống<"));
        let contacts = Client::anonymous(&store)
            .get("/contacts?q=so+thu+nghiem")
            .await;
        assert_eq!(contacts.status, 200);
        assert!(
            contacts.body.contains("Sở Thử Nghiệm") && !contacts.body.contains("Phòng Thử Nghiệm")
        );
    }
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("q", s)])
        .unwrap()
        .trim_start_matches("q=")
        .to_string()
}

#[tokio::test]
async fn excel_import_is_all_or_nothing_and_export_round_trips() {
    for store in stores().await {
        let w = world(&store).await;
        let c = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let count = || async {
            store
                .as_system()
                .systems(&Default::default(), None)
                .await
                .unwrap()
                .total
        };
        let before = count().await;
        let bad = systems_xlsx(&[
            [
                "Hệ thống một",
                "A",
                "Phục vụ hoạt động nội bộ",
                "Đang vận hành",
                "15/01/2023",
                "Thông tin cá nhân",
                "10.1.0.0/24",
            ],
            [
                "Hệ thống hai",
                "A1",
                "internal",
                "operating",
                "31/02/2023",
                "private",
                "10.1.1.0/33",
            ],
            ["Hệ thống ba", "B", "internal", "planning", "", "", ""],
        ]);
        let r = c.upload("/systems/import", "he-thong.xlsx", &bad).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("Chưa nhập dòng nào"), "{}", r.body);
        assert!(
            r.body.contains("<td>3</td><td>Ngày đưa vào vận hành</td>"),
            "bad date reported at row 3"
        );
        assert!(
            r.body.contains("<td>3</td><td>Dải địa chỉ IP</td>"),
            "bad CIDR reported at row 3"
        );
        assert!(
            r.body.contains("<td>4</td><td>Mã đơn vị chủ quản</td>"),
            "foreign unit reported at row 4"
        );
        assert!(!r.body.contains("<td>2</td>"), "row 2 is valid");
        assert_eq!(count().await, before, "nothing imported");
        let good = systems_xlsx(&[
            [
                "Hệ thống một",
                "A",
                "Phục vụ hoạt động nội bộ",
                "Đang vận hành",
                "15/01/2023",
                "Thông tin cá nhân, private",
                "10.1.0.0/24",
            ],
            [
                "Hệ thống hai",
                "a1",
                "citizen_business",
                "planning",
                "",
                "",
                "",
            ],
        ]);
        let r = c.upload("/systems/import", "he-thong.xlsx", &good).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("Đã nhập 2 hệ thống"));
        assert_eq!(count().await, before + 2);
        let page = store
            .as_system()
            .systems(
                &khien_store::systems::SystemFilter {
                    q: "he thong mot".into(),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap();
        let one = &page.items[0].fields;
        assert_eq!(one.go_live_date.as_deref(), Some("2023-01-15"));
        assert_eq!(one.information_types.len(), 2);
        // Not a workbook at all, or nothing: a clear message, nothing written.
        for (name, bytes) in [
            ("x.csv", b"name,owner\nA,B\n".to_vec()),
            ("x.xlsx", b"PK\x03\x04broken".to_vec()),
        ] {
            let r = c.upload("/systems/import", name, &bytes).await;
            assert_eq!(r.status, 422);
            assert!(r.body.contains("không phải là bảng tính Excel"), "{name}");
        }
        assert_eq!(count().await, before + 2);
        // Export the filtered list and read it back.
        let x = c.get("/systems/export.xlsx?q=he+thong").await;
        assert_eq!(x.status, 200);
        assert!(
            x.headers
                .get("content-type")
                .unwrap()
                .to_str()
                .unwrap()
                .contains("spreadsheetml")
        );
        let t = khien_docs::xlsx::read_first_sheet(&x.bytes, 1000).unwrap();
        assert_eq!(t.headers[0], "Tên");
        let names: Vec<&str> = t.rows.iter().map(|(_, r)| r[0].as_str()).collect();
        assert!(names.contains(&"Hệ thống một") && names.contains(&"Hệ thống hai"));
        assert!(
            t.rows.iter().any(|(_, r)| r[6] == "15/01/2023"),
            "dates exported as dd/mm/yyyy"
        );
        // The template imports cleanly once filled in: its headers are what the importer reads.
        let tpl = c.get("/systems/template.xlsx").await;
        let tt = khien_docs::xlsx::read_first_sheet(&tpl.bytes, 10).unwrap();
        assert!(tt.headers.contains(&"Mã đơn vị chủ quản".to_string()) && tt.rows.is_empty());
    }
}
