//! Threat hunts in the platform, on both databases: logs uploaded in the UI run as a
//! background job; a hunt run from the command line is recorded through the API; the
//! detections are browsable and the system shows its last hunt.

use khien_domain::Role;

use crate::harness::{Client, stores, world};


pub fn corpus() -> std::path::PathBuf {
    std::env::var("KHIEN_CORPUS")
        .map(Into::into)
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpus"
            ))
        })
}

#[tokio::test]
async fn uploaded_logs_are_hunted_in_the_background() {
    let log = std::fs::read(corpus().join("logs/linux/OpenSSH_2k.log"))
        .expect("the corpus (set KHIEN_CORPUS)");
    for store in stores().await {
        let w = world(&store).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        // Nothing to hunt with: refused with a message, nothing queued.
        let r = staff
            .multipart(
                "/hunts",
                &[("title", "Săn tìm SSH"), ("systems", &w.sys_a)],
                "logs",
                "OpenSSH_2k.log",
                &log,
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("Cần chọn bộ quy tắc"));
        let r = staff
            .multipart(
                "/hunts",
                &[
                    ("title", "Săn tìm SSH"),
                    ("systems", &w.sys_a),
                    ("builtin", "1"),
                    ("period_from", "01/12/2020"),
                ],
                "logs",
                "OpenSSH_2k.log",
                &log,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let id = r
            .headers
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .trim_start_matches("/hunts/")
            .to_string();
        let page = staff.get(&format!("/hunts/{id}")).await;
        assert!(
            page.body.contains("Đang chờ") && page.body.contains("http-equiv=\"refresh\""),
            "queued, the page refreshes itself"
        );
        assert!(
            staff
                .get(&format!("/systems/{}", w.sys_a))
                .await
                .body
                .contains("Chưa săn tìm"),
            "an unfinished hunt is not the system's last hunt"
        );
        // The worker runs it.
        assert_eq!(khien::jobs::run_pending(&store, &crate::harness::worker()).await.unwrap(), 1);
        let h = store.as_system().hunt(&id).await.unwrap();
        assert_eq!(h.status, "done");
        let s = h.summary.clone().unwrap();
        assert_eq!(s.events, 2000, "every line of the log read");
        // loghub's ground truth: 113 "Invalid user" lines among the detections.
        let invalid = s
            .by_rule
            .iter()
            .filter(|r| r.rule_title.to_lowercase().contains("invalid user"))
            .map(|r| r.count)
            .sum::<i64>();
        assert_eq!(invalid, 113, "{:?}", s.by_rule);
        assert_eq!(s.stored, s.detections);
        assert_eq!(h.sources[0].sha256.len(), 64);
        // Browse and filter the detections.
        let page = staff.get(&format!("/hunts/{id}")).await;
        assert!(page.body.contains("Hoàn tất") && page.body.contains("id=\"detections\""));
        let rule_id = s
            .by_rule
            .iter()
            .find(|r| r.rule_title.to_lowercase().contains("invalid user"))
            .unwrap()
            .rule_id
            .clone();
        let filtered = store
            .as_system()
            .hunt_detections(
                &id,
                &khien_store::hunts::DetectionFilter {
                    rule_id: rule_id.clone(),
                    ..Default::default()
                },
                500,
            )
            .await
            .unwrap();
        assert_eq!(filtered.total, 113);
        // The conclusion, and the system's last hunt.
        let r = staff
            .post_form(
                &format!("/hunts/{id}/conclusion"),
                &[
                    ("conclusion", "suspicious"),
                    ("note", "Dò mật khẩu SSH từ nhiều địa chỉ"),
                ],
            )
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(
            store.as_system().hunt(&id).await.unwrap().conclusion,
            "suspicious"
        );
        let sys_page = staff.get(&format!("/systems/{}", w.sys_a)).await;
        assert!(
            sys_page.body.contains(&format!("href=\"/hunts/{id}\"")),
            "the system shows its last hunt"
        );
        // A viewer may read but not conclude.
        let viewer = Client::signed_in(&store, &w.user(Role::Viewer)).await;
        assert_eq!(viewer.get(&format!("/hunts/{id}")).await.status, 200);
        assert_eq!(
            viewer
                .post_form(
                    &format!("/hunts/{id}/conclusion"),
                    &[("conclusion", "clean")]
                )
                .await
                .status,
            403
        );
    }
}

#[tokio::test]
async fn the_command_line_reports_a_hunt_to_the_platform() {
    let corpus = corpus();
    for store in stores().await {
        let w = world(&store).await;
        let token = "khien_cli_test_token_0123456789";
        store
            .create_api_token(
                &w.user(Role::Responder),
                &crate::harness::token(
                    "máy săn tìm",
                    token,
                    khien_domain::users::TokenScope::Hunts,
                ),
            )
            .await
            .unwrap();
        // A real server on a loopback port, the real binary as the client.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = crate::harness::app(&store);
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_khien"))
            .args([
                "hunt",
                "--sigma",
                "builtin",
                "--report-to",
                &format!("http://{addr}"),
                "--system",
                &w.sys_a,
                "--title",
                "Săn tìm từ máy trạm",
            ])
            .arg(corpus.join("logs/linux/Linux_2k.log"))
            .env("KHIEN_TOKEN", token)
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("recorded:"));
        let hunts = store
            .as_system()
            .hunts(
                &khien_store::hunts::HuntFilter {
                    system_id: w.sys_a.clone(),
                    ..Default::default()
                },
                10,
            )
            .await
            .unwrap();
        let h = hunts
            .items
            .iter()
            .find(|h| h.title == "Săn tìm từ máy trạm")
            .expect("recorded");
        assert_eq!(
            (h.origin.as_str(), h.status.as_str(), h.created_by.as_str()),
            ("cli", "done", "a.responder")
        );
        assert!(h.sources[0].name.ends_with("Linux_2k.log") && h.sources[0].sha256.len() == 64);
        assert!(h.summary.as_ref().unwrap().detections > 0);
        // A wrong token, or a foreign system, is refused before hunting; nothing recorded.
        let before = store
            .as_system()
            .hunts(&Default::default(), 100)
            .await
            .unwrap()
            .total;
        let refused = |token: &'static str, system: String| {
            let corpus = corpus.clone();
            async move {
                tokio::process::Command::new(env!("CARGO_BIN_EXE_khien"))
                    .args([
                        "hunt",
                        "--sigma",
                        "builtin",
                        "--report-to",
                        &format!("http://{addr}"),
                        "--system",
                        &system,
                    ])
                    .arg(corpus.join("logs/linux/Linux_2k.log"))
                    .env("KHIEN_TOKEN", token)
                    .output()
                    .await
                    .unwrap()
            }
        };
        // A unit officer's token does not reach another unit's system (a responder's would:
        // the response team works province-wide).
        let staff_token = "khien_cli_staff_token_0123456789";
        store
            .create_api_token(
                &w.user(Role::UnitStaff),
                &crate::harness::token(
                    "máy trạm",
                    staff_token,
                    khien_domain::users::TokenScope::Hunts,
                ),
            )
            .await
            .unwrap();
        let foreign = refused(staff_token, w.sys_b.clone()).await;
        assert!(!foreign.status.success());
        assert!(String::from_utf8_lossy(&foreign.stderr).contains("outside your scope (404)"));
        let out = refused("khien_wrong", w.sys_a.clone()).await;
        assert!(!out.status.success());
        assert_eq!(
            store
                .as_system()
                .hunts(&Default::default(), 100)
                .await
                .unwrap()
                .total,
            before
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("401"), "{err}");
        server.abort();
    }
}


fn hunt_id(r: &crate::harness::Reply) -> String {
    r.headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .trim_start_matches("/hunts/")
        .to_string()
}

/// Issue 9: two EVTX attack samples with the default settings are hunted by the
/// built-in pack, and the page shows what was checked in each file.
#[tokio::test]
async fn windows_logs_are_hunted_by_the_builtin_pack_and_coverage_is_shown() {
    let c = corpus().join("evtx/attack_samples");
    let cleared = std::fs::read(c.join("Defense_Evasion/DE_1102_security_log_cleared.evtx")).unwrap();
    let service = std::fs::read(c.join("Lateral_Movement/LM_Remote_Service02_7045.evtx")).unwrap();
    for store in stores().await {
        let w = world(&store).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let form = staff.get("/hunts/new").await;
        assert!(form.body.contains("type=\"checkbox\" name=\"systems\""), "systems are ticked, not ctrl-clicked");
        let r = staff
            .multipart_files(
                "/hunts",
                &[("title", "Săn tìm máy chủ Windows"), ("systems", &w.sys_a), ("builtin", "1")],
                &[("logs", "security.evtx", &cleared), ("logs", "system.evtx", &service)],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let id = hunt_id(&r);
        assert_eq!(khien::jobs::run_pending(&store, &crate::harness::worker()).await.unwrap(), 1);
        let h = store.as_system().hunt(&id).await.unwrap();
        let s = h.summary.clone().unwrap();
        assert!(s.detections >= 6, "{:?}", s.by_rule);
        assert_eq!(h.coverage_full, Some(true));
        assert_eq!(s.coverage.len(), 2);
        for f in &s.coverage {
            assert_eq!(f.format, "evtx");
            assert!(f.rules_applied > 0 && f.in_period == f.events, "{f:?}");
        }
        assert!(s.rules_loaded > 50);
        let page = staff.get(&format!("/hunts/{id}")).await;
        assert!(page.body.contains("id=\"coverage\"") && page.body.contains("security.evtx"));
        assert!(page.body.contains("id=\"coverage-ok\""));
        assert!(!page.body.contains("id=\"coverage-warning\""));
        // The worker's scratch copies never show; files are named as uploaded.
        assert!(!page.body.contains("/logs/000-") && !page.body.contains("scratch"), "server paths leak");
        let dets = store
            .as_system()
            .hunt_detections(&id, &Default::default(), 100)
            .await
            .unwrap();
        assert!(dets.items.iter().all(|d| d.source == "security.evtx" || d.source == "system.evtx"));
        // Vietnamese time and severity, filters as choices, files summarised.
        assert!(page.body.contains("19/03/2019") || page.body.contains("20/03/2019"), "dd/mm/yyyy");
        assert!(page.body.contains(">Cao<"), "severity in Vietnamese");
        assert!(page.body.contains("<select name=\"level\""));
        assert!(page.body.contains("2 tệp nhật ký"));
        // A hunt that checked everything may be concluded clean.
        let r = staff
            .post_form(&format!("/hunts/{id}/conclusion"), &[("conclusion", "clean")])
            .await;
        assert_eq!(r.status, 303);
        assert!(staff.get(&format!("/systems/{}", w.sys_a)).await.body.contains(&format!("href=\"/hunts/{id}\"")));
    }
}

/// Issue 9: a hunt that checked nothing — every event outside the period, or no rule
/// for the logs — says so, cannot be concluded "no sign of compromise" and is not the
/// system's last hunt.
#[tokio::test]
async fn a_hunt_that_checked_nothing_is_not_a_clean_hunt() {
    let ssh = std::fs::read(corpus().join("logs/linux/OpenSSH_2k.log")).unwrap();
    let evtx = std::fs::read(corpus().join("evtx/attack_samples/Defense_Evasion/DE_1102_security_log_cleared.evtx")).unwrap();
    let linux_rule = b"title: Linux only\nid: 0b6f5c8e-1d2a-4c3b-9e8f-7a6b5c4d3e2f\nauthor: test\nlogsource:\n  product: linux\n  service: sshd\ndetection:\n  s:\n    auth_event: invalid_user\n  condition: s\nlevel: low\n";
    for store in stores().await {
        let w = world(&store).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        // OpenSSH_2k.log is from December; November 2026 keeps none of its events.
        let r = staff
            .multipart(
                "/hunts",
                &[
                    ("title", "Săn tìm tháng 11"),
                    ("systems", &w.sys_a),
                    ("builtin", "1"),
                    ("period_from", "01/11/2026"),
                    ("period_to", "30/11/2026"),
                ],
                "logs",
                "OpenSSH_2k.log",
                &ssh,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let outside = hunt_id(&r);
        // Windows logs with Linux rules only.
        let r = staff
            .multipart_files(
                "/hunts",
                &[("title", "Săn tìm sai quy tắc"), ("systems", &w.sys_a)],
                &[("logs", "security.evtx", &evtx), ("rules", "linux.yml", linux_rule)],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let no_rule = hunt_id(&r);
        assert_eq!(khien::jobs::run_pending(&store, &crate::harness::worker()).await.unwrap(), 2);

        let h = store.as_system().hunt(&outside).await.unwrap();
        let s = h.summary.clone().unwrap();
        assert_eq!((s.events, s.detections), (2000, 0));
        assert_eq!((s.coverage[0].events, s.coverage[0].in_period), (2000, 0));
        assert_eq!(h.coverage_full, Some(false));
        let page = staff.get(&format!("/hunts/{outside}")).await;
        assert!(page.body.contains("id=\"coverage-warning\""));
        assert!(page.body.contains("nằm ngoài khoảng thời gian đã chọn"), "plain Vietnamese");
        assert!(page.body.contains("không được tính là lần săn tìm gần nhất"));
        assert!(page.body.contains("value=\"clean\" disabled"));

        let h = store.as_system().hunt(&no_rule).await.unwrap();
        let s = h.summary.clone().unwrap();
        assert_eq!((s.coverage[0].events, s.coverage[0].rules_applied), (112, 0));
        assert_eq!(h.coverage_full, Some(false));
        let page = staff.get(&format!("/hunts/{no_rule}")).await;
        assert!(page.body.contains("Không có quy tắc nào áp dụng cho loại nhật ký này"));

        // Neither can be concluded clean (a forged form is refused too) ...
        for id in [&outside, &no_rule] {
            let r = staff
                .post_form(&format!("/hunts/{id}/conclusion"), &[("conclusion", "clean")])
                .await;
            assert_ne!(r.status, 303, "limited hunt concluded clean");
            assert_eq!(store.as_system().hunt(id).await.unwrap().conclusion, "pending");
        }
        // ... but the officer may still record that something is suspicious.
        let r = staff
            .post_form(&format!("/hunts/{no_rule}/conclusion"), &[("conclusion", "suspicious")])
            .await;
        assert_eq!(r.status, 303);
        // And neither satisfies the 6-monthly duty.
        assert!(store.as_system().last_hunt(&w.sys_a).await.unwrap().is_none());
        assert!(staff.get(&format!("/systems/{}", w.sys_a)).await.body.contains("Chưa săn tìm"));
    }
}
