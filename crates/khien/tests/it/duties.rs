//! `khien incident deadlines` and `khien obligations check`, run as the real binary on
//! JSON files: the worked examples of docs/deadlines.md, offsets and holidays, the
//! configuration's overrides (rules directory, holiday calendar), and the exit codes.
//! No database is involved: these commands read only their input and the configuration.

use crate::harness::record_counted_hunt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("khien-it-duties-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run `khien ARGS… FILE` in `dir` (no khien.toml there unless the test writes one).
fn khien(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_khien"))
        .current_dir(dir)
        .env_remove("KHIEN_CONFIG")
        .args(args)
        .output()
        .unwrap()
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn write(dir: &Path, name: &str, v: &Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p.display().to_string()
}

#[test]
fn the_documented_examples_are_what_the_binary_prints() {
    let doc = std::fs::read_to_string(repo().join("docs/deadlines.md")).unwrap();
    let dir = scratch("docs");
    let mut seen = 0;
    for (i, part) in doc.split("<!-- example: ").skip(1).enumerate() {
        let command = part.split(" -->").next().unwrap();
        let blocks: Vec<&str> = part
            .split("```json\n")
            .skip(1)
            .take(2)
            .map(|b| b.split("\n```").next().unwrap())
            .collect();
        let input = dir.join(format!("example-{i}.json"));
        std::fs::write(&input, blocks[0]).unwrap();
        let mut args: Vec<&str> = command.split(' ').collect();
        let path = input.display().to_string();
        args.push(&path);
        let got = json_of(&khien(&dir, &args));
        let want: Value = serde_json::from_str(blocks[1]).unwrap();
        assert_eq!(got, want, "example {i} ({command})");
        seen += 1;
    }
    assert_eq!(seen, 3, "docs/deadlines.md has three worked examples");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn incident_clocks_through_the_binary() {
    let dir = scratch("incident");
    // Detected Saturday 25/04/2026 10:00 in Vietnam, given in UTC: the fifth day is
    // Thursday 30/04 (holiday), then 01/05 (holiday) and the weekend → Monday 04/05.
    let f = write(&dir, "a.json", &json!({"regime": "nd85-2016", "detected_at": "2026-04-25T03:00:00Z",
        "beyond_capacity": true, "personal_data_breach_confirmed_at": "2026-04-27T23:00:00-05:00"}));
    assert_eq!(
        json_of(&khien(&dir, &["incident", "deadlines", &f])),
        json!({"regime": "nd85-2016", "reports": [
            {"kind": "notification", "due": "2026-05-04T23:59:59+07:00", "basis": "Điều 9 khoản 2 điểm a Thông tư 20/2017/TT-BTTTT"},
            {"kind": "initial_report", "due": "immediately", "basis": "Điều 9 khoản 2 điểm b Thông tư 20/2017/TT-BTTTT"},
            {"kind": "closure_report", "due": null, "basis": "Điều 9 khoản 2 điểm b Thông tư 20/2017/TT-BTTTT"},
            {"kind": "personal_data_breach_notice", "due": "2026-05-01T11:00:00+07:00", "basis": "Điều 23 khoản 1 Nghị định 13/2023/NĐ-CP"}
        ]})
    );
    // Standard input works too.
    let mut child = Command::new(env!("CARGO_BIN_EXE_khien"))
        .current_dir(&dir)
        .args(["incident", "deadlines", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        br#"{"regime": "nd331-2026", "detected_at": "2026-08-14T23:30:00+07:00", "serious": true}"#,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let v = json_of(&out);
    assert_eq!(v["reports"][0], json!({"kind": "initial_notice", "due": "2026-08-15T23:30:00+07:00", "basis": "Điều 31 khoản 2 điểm d Nghị định 331/2026/NĐ-CP"}));
    assert_eq!(v["reports"][1]["due"], "2026-08-17T23:30:00+07:00");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_exits_2_with_the_reason_on_stderr_and_nothing_on_stdout() {
    let dir = scratch("errors");
    let cases = [
        (vec!["incident", "deadlines"], "{\"regime\": \"nd85-2016\", \"detected_at\": \"14/08/2026\"}", 2, "not an RFC 3339"),
        (vec!["incident", "deadlines"], "{\"regime\": \"nd85-2016\"", 2, "duties.invalid_input"),
        (vec!["incident", "deadlines"], "{\"regime\": \"nd85-2016\", \"detected_at\": \"2029-05-01T00:00:00+07:00\"}", 1, "year 2029"),
        (vec!["obligations", "check"], "{\"regime\": \"nd85-2016\", \"province\": \"ha-noi\", \"today\": \"2026-08-20\"}", 2, "unknown province `ha-noi`"),
        (vec!["obligations", "check"], "{\"regime\": \"nd85-2016\", \"province\": \"default\", \"today\": \"2026-08-20\", \"systems\": [{\"id\": 1, \"status\": \"operating\", \"last_scan\": \"2026-12-01\"}]}", 2, "after today"),
    ];
    for (i, (args, input, code, want)) in cases.into_iter().enumerate() {
        let f = dir.join(format!("{i}.json"));
        std::fs::write(&f, input).unwrap();
        let path = f.display().to_string();
        let out = khien(&dir, &[args.as_slice(), &[path.as_str()]].concat());
        assert_eq!(out.status.code(), Some(code), "{input}");
        assert!(out.stdout.is_empty(), "{input}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{input}: {err}");
    }
    let out = khien(&dir, &["obligations", "check", "missing.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read missing.json"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_configuration_replaces_rules_and_holidays_without_a_release() {
    let dir = scratch("config");
    let input = write(&dir, "unit.json", &json!({"regime": "nd85-2016", "province": "ha-tinh", "today": "2026-08-20",
        "unit": {"last_assessment": "2026-01-05"},
        "systems": [{"id": "a", "level": 1, "status": "operating", "last_scan": "2026-02-28", "last_hunt": "2026-08-03"}]}));
    let rows = |v: &Value| -> Vec<(String, String, String)> {
        v["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (o["obligation"].as_str().unwrap().into(), o["due"].as_str().unwrap().into(), o["status"].as_str().unwrap().into()))
            .collect()
    };
    let row = |o: &str, d: &str, s: &str| (o.to_string(), d.to_string(), s.to_string());
    let shipped = vec![
        row("scan", "2026-08-28", "due_soon"),
        row("hunt", "2027-02-03", "ok"),
        row("unit_assessment", "2028-01-05", "ok"),
        row("annual_level_report", "2026-12-19", "ok"),
        row("annual_inspection_report", "2026-11-24", "ok"),
    ];
    assert_eq!(rows(&json_of(&khien(&dir, &["obligations", "check", &input]))), shipped);

    // The department's copy: scans every 3 months, the inspection report by the 30th;
    // and a calendar in which Friday 28/08/2026 is a day off.
    let rules = dir.join("obligations");
    std::fs::create_dir_all(&rules).unwrap();
    for e in std::fs::read_dir(repo().join("data/obligations")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let text = text
            .replacen("every_months = 6\nlast = \"last_scan\"", "every_months = 3\nlast = \"last_scan\"", 1)
            .replace("due_day = 24", "due_day = 30");
        std::fs::write(rules.join(p.file_name().unwrap()), text).unwrap();
    }
    let holidays = std::fs::read_to_string(repo().join("data/regimes/holidays-vn.toml"))
        .unwrap()
        .replace("  { date = \"2026-09-02\", name = \"Quốc khánh\" },", "  { date = \"2026-09-02\", name = \"Quốc khánh\" },\n  { date = \"2026-08-28\", name = \"Nghỉ thử\" },");
    std::fs::write(dir.join("holidays.toml"), holidays).unwrap();
    std::fs::write(
        dir.join("khien.toml"),
        format!("obligation_rules_dir = {:?}\nholidays_file = {:?}\n", rules.display().to_string(), dir.join("holidays.toml").display().to_string()),
    )
    .unwrap();
    // ./khien.toml is read from the working directory.
    let edited = rows(&json_of(&khien(&dir, &["obligations", "check", &input])));
    assert_eq!(edited[0], row("scan", "2026-05-28", "overdue"));
    assert_eq!(edited[4], row("annual_inspection_report", "2026-11-30", "ok"));
    // The calendar alone: shipped rules (--rules) with the edited holidays: Friday 28/08
    // off → Monday 31/08.
    let shipped_dir = repo().join("data/obligations").display().to_string();
    let calendar_only = rows(&json_of(&khien(&dir, &["obligations", "check", "--rules", &shipped_dir, &input])));
    assert_eq!(calendar_only[0], row("scan", "2026-08-31", "due_soon"));
    assert_eq!(calendar_only[1..], shipped[1..]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `/obligations` over the store's facts: the department sees every unit, a unit its
/// own subtree; hunts count, the duties the platform does not record say so.
#[tokio::test]
async fn the_obligations_page_computes_from_recorded_facts_within_scope() {
    use crate::harness::{Client, FOREIGN, stores, world};
    use khien_domain::Role;

    for store in stores().await {
        let w = world(&store).await;
        record_counted_hunt(&store, &w.sys_a).await;
        let today = khien_domain::time_fmt::vn_date(store.now());

        // The store's facts, a page at a time, in path order.
        let admin_view = store.as_system();
        let mut after = String::new();
        let mut seen = Vec::new();
        loop {
            let (page, next) = admin_view.duty_facts_page(&after, 2).await.unwrap();
            assert!(page.len() <= 2);
            seen.extend(page);
            match next {
                Some(n) => after = n,
                None => break,
            }
        }
        let ids: Vec<&str> = seen.iter().map(|u| u.unit_id.as_str()).collect();
        assert_eq!(ids, [w.root.as_str(), &w.a, &w.a1, &w.b, &w.b1]);
        let a = seen.iter().find(|u| u.unit_id == w.a).unwrap();
        assert_eq!(a.systems.len(), 1);
        assert_eq!(a.systems[0].last_hunt, Some(today));
        let b = seen.iter().find(|u| u.unit_id == w.b).unwrap();
        assert_eq!(b.systems[0].proposed_level, Some(3), "the level-3 determination of B's system");
        assert_eq!(b.systems[0].last_hunt, None, "B's hunt read no file: it does not count");

        // The page, with Thái Nguyên's rules.
        let rules = khien_duties::Rules::embedded().unwrap();
        let config = khien_web::WebConfig {
            obligation_rules: Some(std::sync::Arc::new(rules)),
            obligations_province: "thai-nguyen".into(),
            ..khien_web::WebConfig::default()
        };
        let app = |store: &khien_store::Store| {
            khien_web::app(khien_web::AppState {
                store: store.clone(),
                config: std::sync::Arc::new(config.clone()),
                metrics: std::sync::Arc::new(khien_web::Metrics::default()),
            })
        };
        let due = khien_levels::periods::last_day_after_months(today, 6, khien_levels::Calendar::vietnam().unwrap())
            .unwrap()
            .date;
        let hunt_row = format!(
            "<tr class=\"status-ok\"><td>Săn lùng mối nguy hại</td><td><a href=\"/systems/{}\">Hệ thống của Sở Thử Nghiệm</a></td><td>{}</td><td>Còn hạn</td>",
            w.sys_a,
            khien_domain::time_fmt::format_date(due)
        );
        let mut admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        admin.app = app(&store);
        let page = admin.get("/obligations").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains(&hunt_row), "{}", page.body);
        assert!(page.body.contains(FOREIGN), "the department sees every unit");
        assert!(page.body.contains("Thái Nguyên"));
        assert!(page.body.contains("<td>Báo cáo tháng</td>"));
        assert!(page.body.contains("<td>Rà quét lỗ hổng</td>"));
        assert!(!page.body.contains("status-no_data"), "every fact the shipped rules read is recorded");
        assert!(page.body.contains("<tr class=\"status-due_soon\"><td>Báo cáo tháng</td>") || page.body.contains("<tr class=\"status-overdue\"><td>Báo cáo tháng</td>") || page.body.contains("<tr class=\"status-ok\"><td>Báo cáo tháng</td>"), "the monthly report has a status from the submissions");
        // Scans are the scanner reports imported: B's system has one today, A's none.
        assert_eq!(b.systems[0].last_scan, Some(today));
        assert_eq!(a.systems[0].last_scan, None);
        let scan_row = |status: &str, system: &str| format!("<tr class=\"status-{status}\"><td>Rà quét lỗ hổng</td><td><a href=\"/systems/{system}\"");
        assert!(page.body.contains(&scan_row("never", &w.sys_a)), "{}", page.body);
        assert!(page.body.contains(&scan_row("ok", &w.sys_b)), "{}", page.body);

        let mut staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        staff.app = app(&store);
        let page = staff.get("/obligations").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains(&hunt_row));
        assert!(page.body.contains("Phòng Thử Nghiệm"), "its subtree");
        assert!(!page.body.contains(FOREIGN), "no foreign unit");
    }
}
