//! The rule library on both databases: a SigmaHQ release imported as a zip (counts,
//! version, a broken rule skipped with its reason), the same release again changes
//! nothing, only the province administrator imports, hostile archives are refused in
//! Vietnamese, a folder of rule files imports too, and a hunt uses exactly the rules
//! enabled when it was queued.

use std::io::Write;
use std::path::Path;

use khien_domain::Role;
use khien_store::rules::RuleFilter;

use crate::harness::{Client, audit_seq, stores, world};
use crate::hunts::corpus;

fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(root, &p, out);
        } else {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            out.push((rel, std::fs::read(&p).unwrap()));
        }
    }
}

/// The corpus's SigmaHQ rules (rules/, rules-emerging-threats/, rules-threat-hunting/)
/// as a release would hold them, plus a version file and one broken rule.
fn sigma_release() -> (Vec<u8>, usize) {
    let sigma = corpus().join("sigma");
    let mut files = Vec::new();
    for top in ["rules", "rules-emerging-threats", "rules-threat-hunting"] {
        walk(&sigma, &sigma.join(top), &mut files);
    }
    let yml = files.iter().filter(|(p, _)| p.ends_with(".yml")).count();
    assert!(yml >= 430, "the corpus's Sigma rules ({yml})");
    files.push(("version.txt".into(), b"r2025-08-25\n".to_vec()));
    files.push(("rules/broken/broken_rule.yml".into(), BROKEN.as_bytes().to_vec()));
    (zip_of(&files), yml + 1)
}

const BROKEN: &str = "title: Broken on purpose\nid: 00000000-0000-4000-8000-00000000b0b0\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  selection:\n    Image|endswith: '\\evil.exe'\n  condition: selection and missing_selection\nlevel: high\n";

fn ssh_rule(id: &str, title: &str, needle: &str) -> Vec<u8> {
    format!("title: {title}\nid: {id}\nstatus: test\nlogsource:\n  product: linux\n  service: sshd\ndetection:\n  selection:\n    message|contains: '{needle}'\n  condition: selection\nlevel: medium\n").into_bytes()
}

const INVALID_ID: &str = "5b7c2a8e-0d6f-4f3e-9a51-2a0c7d1e9f01";
const FAILED_ID: &str = "5b7c2a8e-0d6f-4f3e-9a51-2a0c7d1e9f02";

#[tokio::test]
async fn a_sigmahq_release_is_imported_once_with_counts_and_reasons() {
    let (release, files) = sigma_release();
    for store in stores().await {
        let w = world(&store).await;
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        // Only the province administrator imports; everyone reads.
        for role in [Role::Inspector, Role::Responder, Role::UnitManager, Role::UnitStaff] {
            let c = Client::signed_in(&store, &w.user(role)).await;
            let r = c.multipart("/rules/import", &[], "files", "sigma_core.zip", &release).await;
            assert_eq!(r.status, 403, "{} imported", role.as_str());
            assert_eq!(c.get("/rules").await.status, 200);
        }
        let before = audit_seq(&store).await;
        let r = admin.multipart("/rules/import", &[], "files", "sigma_core.zip", &release).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("id=\"import-ok\""), "{}", r.body);
        assert_eq!(audit_seq(&store).await, before + 1, "one audit entry for the import");
        let sets = store.as_system().rule_sets().await.unwrap();
        assert_eq!(sets.len(), 1);
        let s = &sets[0];
        assert_eq!(s.version, "r2025-08-25", "from the release's version file");
        assert_eq!(s.name, "sigma_core");
        assert_eq!(s.rules_loaded + s.rules_skipped, files as i64);
        assert!(s.rules_loaded >= 425, "loaded {}", s.rules_loaded);
        assert_eq!(s.rules_enabled, s.rules_loaded);
        // The broken rule is listed with its reason.
        let skipped = store
            .as_system()
            .library_rules(&RuleFilter { state: "skipped".into(), ..Default::default() }, 500)
            .await
            .unwrap();
        assert_eq!(skipped.total, s.rules_skipped);
        let broken = skipped
            .items
            .iter()
            .find(|r| r.path == "rules/broken/broken_rule.yml")
            .expect("the broken rule is listed as skipped");
        assert!(!broken.loaded && !broken.enabled);
        let reason = broken.problem.clone().unwrap_or_default();
        assert!(reason.contains("missing_selection"), "{reason}");
        let page = admin.get(&format!("/rules?set={}&state=skipped", s.id)).await;
        assert!(page.body.contains("missing_selection"), "the reason is shown");
        // Filters: product, level, search (diacritics and case ignored).
        let linux = store
            .as_system()
            .library_rules(&RuleFilter { product: "linux".into(), ..Default::default() }, 1)
            .await
            .unwrap();
        assert!(linux.total >= 60, "linux rules {}", linux.total);
        let found = admin.get("/rules?q=MIMIKATZ&level=high").await;
        assert_eq!(found.status, 200);
        // The same release again changes nothing.
        let before = audit_seq(&store).await;
        let r = admin.multipart("/rules/import", &[], "files", "sigma_core.zip", &release).await;
        assert_eq!(r.status, 200);
        assert!(r.body.contains("id=\"import-again\"") && r.body.contains("không có gì thay đổi"), "{}", r.body);
        assert_eq!(audit_seq(&store).await, before);
        assert_eq!(store.as_system().rule_sets().await.unwrap().len(), 1);
        // A skipped rule cannot be enabled.
        let r = admin.post_form(&format!("/rules/{}/enabled", broken.id), &[("enabled", "1")]).await;
        assert_eq!(r.status, 400);
    }
}

#[tokio::test]
async fn hostile_archives_are_refused_in_vietnamese() {
    let rule = ssh_rule(INVALID_ID, "x", "Invalid user");
    let traversal = zip_of(&[("rules/ok.yml".into(), rule.clone()), ("../../etc/cron.d/evil.yml".into(), rule.clone())]);
    let absolute = zip_of(&[("/tmp/evil.yml".into(), rule.clone())]);
    let bomb = zip_of(&[("rules/bomb.yml".into(), vec![b' '; 40 * 1024 * 1024])]);
    for store in stores().await {
        let w = world(&store).await;
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let before = audit_seq(&store).await;
        for (name, bytes, words) in [
            ("traversal.zip", &traversal, "tên không an toàn"),
            ("absolute.zip", &absolute, "tên không an toàn"),
            ("bomb.zip", &bomb, "bom nén"),
            ("broken.zip", &b"PK\x03\x04 not really a zip".to_vec(), "không đọc được"),
        ] {
            let r = admin.multipart("/rules/import", &[], "files", name, bytes).await;
            assert_eq!(r.status, 422, "{name}");
            assert!(r.body.contains("id=\"import-error\"") && r.body.contains(words), "{name}: {}", r.body);
        }
        assert_eq!(audit_seq(&store).await, before, "nothing imported");
        assert!(store.as_system().rule_sets().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn hunts_use_exactly_the_rules_enabled_when_queued() {
    let log = std::fs::read(corpus().join("logs/linux/OpenSSH_2k.log")).expect("the corpus (set KHIEN_CORPUS)");
    for store in stores().await {
        let w = world(&store).await;
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        // A folder of rule files (as a browser sends a picked folder), version typed in.
        let a = ssh_rule(INVALID_ID, "Người dùng không tồn tại", "Invalid user");
        let b = ssh_rule(FAILED_ID, "Sai mật khẩu", "Failed password");
        let r = admin
            .multipart_files(
                "/rules/import",
                &[("version", "2026.1")],
                &[("files", "ssh-rules/invalid.yml", &a), ("files", "ssh-rules/failed.yml", &b), ("files", "ssh-rules/README.md", b"doc")],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let set = store.as_system().rule_sets().await.unwrap().remove(0);
        assert_eq!((set.name.as_str(), set.version.as_str(), set.rules_loaded, set.rules_skipped), ("ssh-rules", "2026.1", 2, 0));
        let rules = store.as_system().library_rules(&RuleFilter::default(), 10).await.unwrap();
        let failed = rules.items.iter().find(|r| r.rule_id == FAILED_ID).unwrap().clone();
        assert_eq!(failed.path, "failed.yml", "the folder's name is not part of the path");
        // Disable "failed password"; a non-admin cannot switch it back.
        let r = admin.post_form(&format!("/rules/{}/enabled", failed.id), &[("enabled", "0"), ("back", "/rules")]).await;
        assert_eq!(r.status, 303);
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let r = staff.post_form(&format!("/rules/{}/enabled", failed.id), &[("enabled", "1")]).await;
        assert_eq!(r.status, 403);
        // The form offers the library, ticked.
        let form = staff.get("/hunts/new").await;
        assert!(form.body.contains("id=\"library\"") && form.body.contains("ssh-rules 2026.1 (1 "), "{}", form.body);
        // Queued with the library only (no built-in pack): one rule file.
        let r = staff
            .multipart("/hunts", &[("title", "Săn tìm bằng thư viện"), ("systems", &w.sys_a), ("library", "0"), ("library", "1")], "logs", "OpenSSH_2k.log", &log)
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let id = r.headers.get("location").unwrap().to_str().unwrap().trim_start_matches("/hunts/").to_string();
        // Switched back on after queuing: the hunt still runs without it.
        let r = admin.post_form(&format!("/rules/{}/enabled", failed.id), &[("enabled", "1")]).await;
        assert_eq!(r.status, 303);
        assert_eq!(khien::jobs::run_pending(&store, &crate::harness::worker()).await.unwrap(), 1);
        let h = store.as_system().hunt(&id).await.unwrap();
        assert_eq!(h.status, "done", "{:?}", h.error);
        let s = h.summary.unwrap();
        assert_eq!(s.rules_loaded, 1);
        assert!(s.by_rule.iter().any(|r| r.rule_id == INVALID_ID && r.count > 0), "{:?}", s.by_rule);
        assert!(!s.by_rule.iter().any(|r| r.rule_id == FAILED_ID), "a rule disabled at queue time was used");
        let used = store.as_system().hunt_library(&id).await.unwrap().unwrap();
        assert_eq!(used.rules, 1);
        assert_eq!((used.sets[0].name.as_str(), used.sets[0].version.as_str()), ("ssh-rules", "2026.1"));
        let page = staff.get(&format!("/hunts/{id}")).await;
        assert!(page.body.contains("id=\"hunt-library\"") && page.body.contains("ssh-rules 2026.1"));
        // The library unticked: nothing to hunt with.
        let r = staff
            .multipart("/hunts", &[("title", "Không quy tắc"), ("systems", &w.sys_a), ("library", "0")], "logs", "OpenSSH_2k.log", &log)
            .await;
        assert_eq!(r.status, 422);
        // A whole set switched off: the next hunt by default uses none of it.
        let r = admin.post_form(&format!("/rules/sets/{}/enabled", set.id), &[("enabled", "0")]).await;
        assert_eq!(r.status, 303);
        assert_eq!(store.as_system().enabled_library_rules().await.unwrap(), 0);
        assert!(staff.get("/hunts/new").await.body.contains("id=\"library-none\""));
    }
}
