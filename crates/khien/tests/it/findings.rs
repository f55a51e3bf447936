//! Vulnerability management on both databases: every corpus scanner report imported
//! through the import job, rescans deduplicated by fingerprint (new / unchanged / fixed
//! / reopened), deadlines, status decisions with an accepted risk that reopens at its
//! expiry, the upload page and API, the findings list, and `khien import`.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use khien_domain::Role;
use khien_store::Store;
use sqlx::Row;

use crate::harness::{Client, count, stores, stores_with_url, system_input, world};
use crate::hunts::corpus;

fn scanners() -> std::path::PathBuf {
    corpus().join("scanners")
}

fn all_reports(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all_reports(&p, out);
        } else if p.extension().is_none_or(|x| x != "md") {
            out.push(p);
        }
    }
}

/// What khien-scan reads from a file on its own: (findings, distinct fingerprints).
fn parsed(path: &std::path::Path, tool: khien_scan::Tool) -> (u64, HashSet<String>) {
    let mut prints = HashSet::new();
    let data = std::fs::read(path).unwrap();
    let s = khien_scan::parse(tool, &data[..], &khien_scan::Limits::default(), &mut |f| {
        prints.insert(f.fingerprint());
        Ok(())
    })
    .unwrap();
    (s.findings, prints)
}

/// The tool a report is read as: by content, or by its folder for the empty reports
/// whose content names no tool.
fn tool_for(path: &std::path::Path) -> (khien_scan::Tool, bool) {
    let data = std::fs::read(path).unwrap();
    match khien_scan::detect(&data) {
        Some(t) => (t, false),
        None if path.to_string_lossy().contains("/nuclei/") => (khien_scan::Tool::Nuclei, true),
        None => (khien_scan::Tool::Trivy, true),
    }
}

async fn new_system(store: &Store, owner: &str, name: &str) -> String {
    store
        .as_system()
        .create_system(&system_input(name, owner).validate().unwrap())
        .await
        .unwrap()
}

async fn import(store: &Store, system: &str, path: &std::path::Path, tool: Option<&str>, full: bool) -> khien_store::findings::ImportCounts {
    khien::scan_import::import_now(store, system, path, tool, full)
        .await
        .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()))
        .1
}

#[tokio::test]
async fn every_corpus_report_imports_and_importing_it_again_changes_nothing() {
    let mut files = Vec::new();
    all_reports(&scanners(), &mut files);
    files.sort();
    assert!(files.len() >= 60, "{} reports", files.len());
    let expected_kev: std::collections::BTreeMap<String, String> = [
        ("nessus/nessus_with_cvssv3.nessus", "CVE-2012-1823"),
        ("openvas/many_vuln.xml", "CVE-2012-1823"),
        ("nessus/csv/nessus-template.csv", "CVE-2024-4577"),
        ("sarif/dependency_check.sarif", "CVE-2020-11023"),
        ("trivy/scheme_2_many_vulns.json", "CVE-2020-15999"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    for store in stores().await {
        let w = world(&store).await;
        load_kev(&store, "kev/known_exploited_vulnerabilities.json").await;
        let kev = kev_ids(&store).await;
        let mut kev_hits = std::collections::BTreeMap::new();
        for (i, path) in files.iter().enumerate() {
            let name = path.strip_prefix(scanners()).unwrap().display().to_string();
            let sys = new_system(&store, &w.a, &format!("Hệ thống quét {i}")).await;
            if std::fs::metadata(path).unwrap().len() == 0 {
                let e = khien::scan_import::import_now(&store, &sys, path, None, false).await.unwrap_err();
                assert!(e.to_string().contains("empty"), "{name}: {e}");
                continue;
            }
            let (tool, named) = tool_for(path);
            let asked = named.then(|| tool.code());
            let (read, prints) = parsed(path, tool);
            let distinct = i64::try_from(prints.len()).unwrap();
            let first = import(&store, &sys, path, asked, true).await;
            assert_eq!(first.findings, i64::try_from(read).unwrap(), "{name}: findings read");
            assert_eq!((first.new, first.unchanged, first.fixed, first.reopened), (distinct, 0, 0, 0), "{name}: first import");
            let stored = count(&store, "SELECT COUNT(*) FROM findings WHERE system_id = $1", &sys).await;
            assert_eq!(stored, distinct, "{name}: one finding per fingerprint");
            // The same file again, full scope: nothing new, nothing fixed, no history.
            let again = import(&store, &sys, path, asked, true).await;
            assert_eq!((again.new, again.unchanged, again.fixed, again.reopened), (0, distinct, 0, 0), "{name}: second import");
            let events = count(&store, "SELECT COUNT(*) FROM finding_events e JOIN findings f ON f.id = e.finding_id WHERE f.system_id = $1", &sys).await;
            assert_eq!(events, 0, "{name}: a repeated file leaves no history");
            let imports = store.as_system().scan_imports_of(&sys, 5).await.unwrap();
            assert_eq!(imports.len(), 2);
            assert_eq!(imports[0].same_file_as.as_deref(), Some(imports[1].id.as_str()), "{name}: the repeat is recognised");
            assert_eq!(imports[0].tool.as_deref(), Some(tool.code()));
            // KEV-listed CVEs flag their findings as they are imported.
            let rows = sqlx::query("SELECT cves FROM findings WHERE system_id = $1 AND kev = 1")
                .bind(sys.clone())
                .fetch_all(store.raw_pool())
                .await
                .unwrap();
            for r in rows {
                let cves: String = r.try_get("cves").unwrap();
                for c in cves.split_whitespace() {
                    if kev.contains(c) {
                        kev_hits.insert(name.clone(), c.to_string());
                    }
                }
            }
        }
        assert_eq!(kev_hits, expected_kev, "exactly the five KEV hits the corpus names");
    }
}

async fn kev_ids(store: &Store) -> HashSet<String> {
    sqlx::query("SELECT cve_id FROM kev_entries")
        .fetch_all(store.raw_pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>("cve_id").unwrap())
        .collect()
}

async fn load_kev(store: &Store, file: &str) -> khien_store::kev::KevLoad {
    let bytes = std::fs::read(corpus().join(file)).unwrap();
    let c = khien_scan::kev::parse_kev(&bytes).unwrap();
    let sha = store.blobs.put("kev.json", &bytes).await.unwrap().sha256;
    store.as_system().load_kev(&c, &sha, file).await.unwrap()
}

#[tokio::test]
async fn kev_versions_are_kept_and_flag_findings_already_imported() {
    for store in stores().await {
        let w = world(&store).await;
        let old = load_kev(&store, "kev/history/known_exploited_vulnerabilities_2025-02-04.json").await;
        assert_eq!((old.entries, old.added), (1257, 1257));
        // A medium finding with a CVE only the newer catalogue lists.
        let dir = crate::harness::tempdir();
        let path = dir.join("php.csv");
        std::fs::write(&path, "title,severity,host,cve\nGit link following,medium,10.0.0.8,CVE-2025-48384\n").unwrap();
        import(&store, &w.sys_a, &path, None, true).await;
        let before = store.as_system().findings(&khien_store::findings::FindingFilter { system_id: w.sys_a.clone(), ..Default::default() }, 5).await.unwrap();
        assert!(!before.items[0].kev);
        let new = load_kev(&store, "kev/known_exploited_vulnerabilities.json").await;
        assert_eq!((new.entries, new.added, new.flagged), (1404, 147, 1), "147 added between the releases");
        let versions = store.as_system().kev_versions().await.unwrap();
        assert_eq!(versions.len(), 2);
        let added = store.as_system().kev_added(&versions[0].id).await.unwrap();
        assert_eq!(added.len(), 147);
        assert!(added.iter().any(|a| a.cve_id == "CVE-2025-48384"));
        let f = &store.as_system().findings(&khien_store::findings::FindingFilter { system_id: w.sys_a.clone(), kev: "1".into(), ..Default::default() }, 5).await.unwrap().items[0];
        assert!(f.kev);
        assert_eq!((f.kev_date_added.as_deref(), f.kev_due_date.as_deref()), (Some("2025-08-25"), Some("2025-09-15")));
        // The shortest window (7 days) instead of medium's 90.
        let first = khien_domain::time_fmt::vn_date(khien_domain::time_fmt::parse_rfc3339(&f.first_seen).unwrap());
        assert_eq!(f.due_on.as_deref(), Some(khien_domain::time_fmt::iso_date(first + time::Duration::days(7)).as_str()));
        // The same file again is refused; the page shows both versions and what was added.
        let bytes = std::fs::read(corpus().join("kev/known_exploited_vulnerabilities.json")).unwrap();
        let c = khien_scan::kev::parse_kev(&bytes).unwrap();
        let sha = store.blobs.put("kev.json", &bytes).await.unwrap().sha256;
        assert!(matches!(store.as_system().load_kev(&c, &sha, "again").await, Err(khien_store::StoreError::Conflict("kev.err_loaded"))));
        let page = Client::signed_in(&store, &w.user(Role::Viewer)).await.get("/kev").await;
        assert!(page.body.contains("2025.08.25") && page.body.contains("CVE-2025-48384"));
        assert_eq!(count(&store, "SELECT COUNT(*) FROM audit_log WHERE entity = 'kev_catalogue' AND action = $1", "load").await, 2);
    }
}

#[tokio::test]
async fn a_rescan_marks_new_unchanged_fixed_and_reopened() {
    let first = scanners().join("zap/zap-results-first-scan.xml");
    let second = scanners().join("zap/zap-results-second-scan.xml");
    let (_, a) = parsed(&first, khien_scan::Tool::ZapXml);
    let (_, b) = parsed(&second, khien_scan::Tool::ZapXml);
    let shared = a.intersection(&b).count() as i64;
    let gone = a.difference(&b).count() as i64;
    let came = b.difference(&a).count() as i64;
    assert_eq!((a.len(), b.len()), (129, 125));
    assert_eq!((shared, gone, came), (83, 46, 42), "the corpus pair");
    for store in stores().await {
        let w = world(&store).await;
        let sys = w.sys_a.clone();
        let one = import(&store, &sys, &first, None, true).await;
        assert_eq!((one.new, one.unchanged, one.fixed, one.reopened), (129, 0, 0, 0));
        // A partial rescan fixes nothing it did not see.
        let partial = import(&store, &sys, &second, None, false).await;
        assert_eq!((partial.new, partial.unchanged, partial.fixed, partial.reopened), (came, shared, 0, 0));
        let full = import(&store, &sys, &second, None, true).await;
        assert_eq!((full.new, full.unchanged, full.fixed, full.reopened), (0, 125, gone, 0));
        // Every open finding was seen by the full-scope scan, rewritten or not.
        let full_at = store.as_system().scan_imports_of(&sys, 1).await.unwrap()[0].finished_at.clone().unwrap();
        let open = store.as_system().findings(&khien_store::findings::FindingFilter { system_id: sys.clone(), ..Default::default() }, 500).await.unwrap();
        assert_eq!(open.items.len(), 125);
        assert!(open.items.iter().all(|f| f.last_seen == full_at), "last seen by the rescan");
        let fixed_list = store.as_system().findings(&khien_store::findings::FindingFilter { system_id: sys.clone(), status: "fixed".into(), ..Default::default() }, 500).await.unwrap();
        assert!(fixed_list.items.iter().all(|f| f.last_seen < full_at), "a fixed finding was last seen before");
        // The first scan again: what it reports and the second did not is back.
        let back = import(&store, &sys, &first, None, true).await;
        assert_eq!((back.new, back.unchanged, back.fixed, back.reopened), (0, shared, came, gone));
        let open = count(&store, "SELECT COUNT(*) FROM findings WHERE system_id = $1 AND status = 'open'", &sys).await;
        assert_eq!(open, 129);
        // A reopened finding's history: found, fixed, reopened, each with its import.
        let id: String = sqlx::query("SELECT f.id FROM findings f JOIN finding_events e ON e.finding_id = f.id WHERE f.system_id = $1 AND e.kind = 'reopened' ORDER BY f.id LIMIT 1")
            .bind(sys.clone())
            .fetch_one(store.raw_pool())
            .await
            .unwrap()
            .try_get("id")
            .unwrap();
        let f = store.as_system().finding(&id).await.unwrap();
        let kinds: Vec<&str> = f.history.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["new", "fixed", "reopened"]);
        assert!(f.history.iter().all(|e| e.import_id.is_some()));
        assert!(!f.detail.description.is_empty(), "the scanner's text is kept with the finding");
        assert_eq!(count(&store, "SELECT COUNT(*) FROM finding_details d JOIN findings f ON f.id = d.finding_id WHERE f.system_id = $1", &sys).await, 129 + came, "one text per finding");
        assert_eq!(count(&store, "SELECT COUNT(*) FROM finding_details d WHERE NOT EXISTS (SELECT 1 FROM findings f WHERE f.id = d.finding_id) AND d.import_id <> $1", "").await, 0, "no text without its finding");
        // ZAP rates some of the fixed alerts high: the system owes a hunt after the fix.
        let serious_gone = count(&store, "SELECT COUNT(*) FROM finding_events e JOIN findings f ON f.id = e.finding_id WHERE f.system_id = $1 AND e.kind = 'fixed' AND f.severity_rank >= 3", &sys).await;
        let fact = store.as_system().serious_fix_at(&sys).await.unwrap();
        assert_eq!(fact.is_some(), serious_gone > 0, "{serious_gone} serious fixes");
        // The audit trail has one entry per import, with its counts.
        let finishes = count(&store, "SELECT COUNT(*) FROM audit_log WHERE entity = 'scan_import' AND action = 'finish' AND after_json LIKE '%' || $1 || '%'", &sys).await;
        assert_eq!(finishes, 4);
    }
}

/// A store whose clock the test steps (days after 2026-12-01 03:00 UTC).
fn stepped(store: &Store) -> (Store, Arc<AtomicI64>) {
    let days = Arc::new(AtomicI64::new(0));
    let t0 = time::macros::datetime!(2026-12-01 03:00 UTC);
    let d = days.clone();
    let store = store.clone().with_clock(Arc::new(move || t0 + time::Duration::days(d.load(Ordering::SeqCst))));
    (store, days)
}

const SMALL_CSV: &str = "title,severity,host,port,cve,rule_id\nOpenSSH cũ,high,10.0.0.5,22,CVE-2023-38408,ssh-old\nTLS 1.0 còn bật,medium,10.0.0.5,443,,tls10\nPHP-CGI,critical,10.0.0.6,80,CVE-2012-1823,php-cgi\n";

#[tokio::test]
async fn deadlines_follow_severity_and_an_accepted_risk_reopens_at_its_expiry() {
    for store in stores().await {
        let w = world(&store).await;
        let (store, days) = stepped(&store);
        let dir = crate::harness::tempdir();
        let path = dir.join("quet.csv");
        std::fs::write(&path, SMALL_CSV).unwrap();
        import(&store, &w.sys_a, &path, None, true).await;
        let page = store.as_system().findings(&khien_store::findings::FindingFilter { system_id: w.sys_a.clone(), ..Default::default() }, 50).await.unwrap();
        let due: Vec<(String, Option<String>)> = page.items.iter().map(|f| (f.severity.clone(), f.due_on.clone())).collect();
        // Worst first; 7 / 30 / 90 days from the Vietnam date first seen (1 December).
        assert_eq!(
            due,
            [
                ("critical".to_string(), Some("2026-12-08".to_string())),
                ("high".into(), Some("2026-12-31".into())),
                ("medium".into(), Some("2027-03-01".into())),
            ]
        );
        let high = page.items[1].id.clone();
        let manager = Client::signed_in(&store, &w.user(Role::UnitManager)).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        // Staff may not accept a risk; a manager may, with approver, reason and expiry.
        let accept = [("status", "accepted_risk"), ("reason", "Máy chủ thay thế trong tháng 1"), ("approver", "Giám đốc Sở"), ("expires", "11/12/2026")];
        assert_eq!(staff.post_form(&format!("/findings/{high}/status"), &accept).await.status, 403);
        let r = manager.post_form(&format!("/findings/{high}/status"), &[("status", "accepted_risk"), ("reason", "x"), ("approver", ""), ("expires", "10/12/2026")]).await;
        assert_eq!(r.status, 422, "the approver is required");
        assert!(r.body.contains("Máy chủ") || r.body.contains("name=\"reason\""), "the form is shown again");
        let r = manager.post_form(&format!("/findings/{high}/status"), &accept).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let f = store.as_system().finding(&high).await.unwrap();
        assert_eq!((f.row.status.as_str(), f.risk_expires_on.as_deref(), f.risk_approver.as_deref()), ("accepted_risk", Some("2026-12-11"), Some("Giám đốc Sở")));
        // The same decision twice is refused (the status moved).
        assert_eq!(manager.post_form(&format!("/findings/{high}/status"), &accept).await.status, 422);
        // Past its last day it is open again on every read, before any sweep.
        days.store(10, Ordering::SeqCst);
        assert_eq!(store.as_system().finding(&high).await.unwrap().row.effective_status, "accepted_risk");
        days.store(11, Ordering::SeqCst);
        let f = store.as_system().finding(&high).await.unwrap();
        assert_eq!((f.row.status.as_str(), f.row.effective_status.as_str()), ("accepted_risk", "open"));
        let open = store.as_system().findings(&khien_store::findings::FindingFilter { system_id: w.sys_a.clone(), ..Default::default() }, 50).await.unwrap();
        assert_eq!(open.items.len(), 3, "the expired risk is in the open list");
        // The sweep writes it, once, with its history and audit entries.
        assert_eq!(store.reopen_expired_risks().await.unwrap(), 1);
        assert_eq!(store.reopen_expired_risks().await.unwrap(), 0);
        let f = store.as_system().finding(&high).await.unwrap();
        assert_eq!(f.row.status, "open");
        let kinds: Vec<&str> = f.history.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["new", "status", "risk_expired"]);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM audit_log WHERE entity = 'finding' AND entity_id = $1", &high).await, 2);
        // Overdue: the critical finding's 7 days have passed.
        let over = store.as_system().overdue_by_unit().await.unwrap();
        assert_eq!(over.len(), 1);
        assert_eq!((over[0].unit_id.as_str(), over[0].critical, over[0].total), (w.a.as_str(), 1, 1));
        // A false positive needs a reason; fixing a critical by hand raises the hunt duty.
        let crit = page.items[0].id.clone();
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        assert_eq!(staff.post_form(&format!("/findings/{crit}/status"), &[("status", "false_positive")]).await.status, 422);
        assert!(store.as_system().serious_fix_at(&w.sys_a).await.unwrap().is_none());
        assert_eq!(staff.post_form(&format!("/findings/{crit}/status"), &[("status", "fixed"), ("reason", "Đã gỡ php-cgi")]).await.status, 303);
        assert!(store.as_system().serious_fix_at(&w.sys_a).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn khien_import_prints_one_json_object() {
    for (store, url) in stores_with_url().await {
        let w = world(&store).await;
        let data = crate::harness::tempdir();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_khien"))
            .args(["import", "--database-url", &url, "--data-dir"])
            .arg(&data)
            .args(["--system", &w.sys_a, "--full-scope"])
            .arg(scanners().join("nessus/nessus_with_cvssv3.nessus"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(v, serde_json::json!({ "tool": "nessus_xml", "findings": 49, "new": 48, "unchanged": 0, "fixed": 0, "reopened": 0 }));
        // A file whose format it cannot tell is refused with the tools to choose from.
        let odd = data.join("odd.txt");
        std::fs::write(&odd, "hello").unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_khien"))
            .args(["import", "--database-url", &url, "--data-dir"])
            .arg(&data)
            .args(["--system", &w.sys_a])
            .arg(&odd)
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("nessus_xml"));
        assert!(out.stdout.is_empty());
    }
}

#[tokio::test]
async fn a_report_uploaded_on_the_system_page_is_imported_by_the_worker() {
    let report = std::fs::read(scanners().join("zap/zap-results-first-scan.xml")).unwrap();
    for store in stores().await {
        let w = world(&store).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        // No file: the form comes back with the tool chosen and the message at the file.
        let r = staff.multipart(&format!("/systems/{}/scans", w.sys_a), &[("tool", "zap_xml"), ("full_scope", "1")], "other", "x.xml", b"x").await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("Chưa chọn tệp") && r.body.contains("value=\"zap_xml\" selected"), "{}", r.body);
        let r = staff.multipart(&format!("/systems/{}/scans", w.sys_a), &[("full_scope", "1")], "report", "zap.xml", &report).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let at = r.headers["location"].to_str().unwrap().to_string();
        let page = staff.get(&at).await;
        assert!(page.body.contains("Đang chờ") && page.body.contains("http-equiv=\"refresh\""));
        assert_eq!(khien::jobs::run_pending(&store, &crate::harness::worker()).await.unwrap(), 1);
        let page = staff.get(&at).await;
        assert!(page.body.contains("id=\"count-new\">129<") && page.body.contains("OWASP ZAP"), "{}", page.body);
        let list = staff.get(&format!("/findings?system_id={}", w.sys_a)).await;
        assert_eq!(list.status, 200);
        assert!(list.body.contains("129 lỗ hổng") || list.body.contains(">129"), "the list counts them");
        let csv = staff.get(&format!("/findings/export.csv?system_id={}", w.sys_a)).await;
        assert_eq!(csv.status, 200);
        assert_eq!(csv.body.lines().count(), 130, "a header and one line per finding");
        // Keyset paging walks every finding once.
        let mut seen = HashSet::new();
        let mut f = khien_store::findings::FindingFilter { system_id: w.sys_a.clone(), ..Default::default() };
        loop {
            let p = store.as_system().findings(&f, 20).await.unwrap();
            for i in &p.items {
                assert!(seen.insert(i.id.clone()), "listed twice");
            }
            match p.next_after {
                Some(a) => f.after = a,
                None => break,
            }
        }
        assert_eq!(seen.len(), 129);
        // The API gives the same record, with a token of the imports scope.
        let import = at.trim_start_matches("/scans/");
        let api = staff.get(&format!("/api/v1/scans/{import}")).await;
        let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
        assert_eq!((v["new"].as_i64(), v["state"].as_str()), (Some(129), Some("done")));
    }
}
