//! Exchange end to end on both databases: an incident exported as STIX 2.1 (validated
//! against the official JSON schemas of the corpus) and as a MISP event; both read
//! back into another incident's observables; the corpus MISP and STIX files imported
//! with what was skipped and why; the incident's IOC hunt over a corpus log finding
//! exactly the lines its IP is on.

use khien_domain::Role;
use khien_store::Store;

use crate::harness::{Client, Reply, World, principal_of, stores, world};
use crate::hunts::corpus;

fn json(r: &Reply) -> serde_json::Value {
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    serde_json::from_str(&r.body).unwrap()
}

async fn incident(store: &Store, w: &World, title: &str) -> String {
    let staff = store.scoped(&principal_of(store, &w.user(Role::UnitStaff)).await);
    let input = khien_domain::incidents::IncidentInput {
        title: title.into(),
        detected_at: khien_domain::incidents::local_minute_text(store.now()),
        reporter_name: "Nguyễn Văn An".into(),
        source: "ids".into(),
        incident_type: "unauthorised_access".into(),
        systems: vec![w.sys_a.clone()],
        ..Default::default()
    };
    staff.create_incident(&input.validate(store.now()).unwrap()).await.unwrap()
}

const OBSERVABLES: [(&str, &str, &str); 8] = [
    ("ip", "5.188.10.180", "green"),
    ("ip", "2001:db8::7", "amber"),
    ("domain", "c2.example.net", "amber"),
    ("url", "http://c2.example.net/gate.php?id=1", "amber"),
    ("hash", "b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68", "clear"),
    ("hash", "0749bae92ca336a02c83d126e04ec628", "clear"),
    ("file", r"C:\Users\Public\svch0st.exe", "amber_strict"),
    ("account", "quantri", "red"),
];

/// Validates a STIX bundle with Python's `jsonschema` against the corpus schemas: the
/// bundle, and each object against the schema of its type. Returns the errors.
fn stix_schema_errors(bundle: &serde_json::Value) -> Vec<String> {
    const SCRIPT: &str = r#"
import json, pathlib, sys
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
root = pathlib.Path(sys.argv[1])
reg, by_type = Registry(), {}
for p in sorted(root.rglob("*.json")):
    s = json.loads(p.read_text())
    reg = reg.with_resource(s["$id"], Resource.from_contents(s))
    by_type.setdefault(p.stem, s)
bundle = json.load(sys.stdin)
errors = []
def check(schema, inst, what):
    for e in Draft202012Validator(schema, registry=reg).iter_errors(inst):
        errors.append(f"{what}: {e.message} at {list(e.absolute_path)}")
check(by_type["bundle"], bundle, "bundle")
for o in bundle.get("objects", []):
    s = by_type.get(o.get("type"))
    if s is None:
        errors.append(f"{o.get('id')}: no schema for {o.get('type')}")
    else:
        check(s, o, o.get("id"))
print(json.dumps(errors))
"#;
    use std::io::Write;
    let python = std::env::var("KHIEN_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = std::process::Command::new(&python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(corpus().join("stix/schemas"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python} (with jsonschema) is needed to validate STIX: {e}"));
    child.stdin.take().unwrap().write_all(bundle.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the validator failed (is jsonschema installed?): {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn observables_of(d: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = d["observables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["kind"].as_str().unwrap().into(), o["value"].as_str().unwrap().into(), o["tlp"].as_str().unwrap().into()))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn an_incident_exports_as_valid_stix_and_as_misp_and_both_import_back() {
    let misp_corpus = std::fs::read(corpus().join("misp/events/57c4445b-c548-4654-af0b-4be3950d210f.json")).expect("the corpus (set KHIEN_CORPUS)");
    for store in stores().await {
        let w = world(&store).await;
        let c = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let id = incident(&store, &w, "Truy cập trái phép máy chủ thư điện tử").await;
        for (kind, value, tlp) in OBSERVABLES {
            let r = c.post_form(&format!("/incidents/{id}/observables"), &[("kind", kind), ("value", value), ("tlp", tlp)]).await;
            assert_eq!(r.status, 303, "{kind} {value}: {}", r.body);
        }
        let d = json(&c.get(&format!("/api/v1/incidents/{id}")).await);
        let reference = d["reference"].as_str().unwrap().to_string();

        // STIX 2.1: valid against the official schemas, one SCO per observable, every
        // object marked, the account's marking TLP:RED; the same bytes on re-export.
        let bundle = json(&c.get(&format!("/api/v1/incidents/{id}/stix?tlp=red")).await);
        let errors = stix_schema_errors(&bundle);
        assert!(errors.is_empty(), "{errors:#?}");
        let objects = bundle["objects"].as_array().unwrap();
        let count = |t: &str| objects.iter().filter(|o| o["type"] == t).count();
        assert_eq!((count("identity"), count("report"), count("indicator"), count("observed-data"), count("relationship")), (1, 1, 8, 8, 8));
        assert_eq!((count("ipv4-addr"), count("ipv6-addr"), count("domain-name"), count("url"), count("file"), count("user-account")), (1, 1, 1, 1, 3, 1));
        assert_eq!(count("marking-definition"), 5, "clear, green, amber, amber+strict, red are all used");
        for o in objects.iter().filter(|o| o["type"] != "marking-definition") {
            assert_eq!(o["object_marking_refs"].as_array().map(Vec::len), Some(1), "{o}");
        }
        let account = objects.iter().find(|o| o["type"] == "user-account").unwrap();
        assert_eq!(account["account_login"], "quantri");
        assert_eq!(account["object_marking_refs"][0], "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1");
        let report = objects.iter().find(|o| o["type"] == "report").unwrap();
        assert!(report["name"].as_str().unwrap().starts_with(&reference));
        assert_eq!(report["object_refs"].as_array().unwrap().len(), 32, "each observable's SCO, observation, indicator and relationship");
        let hashed = objects.iter().find(|o| o["type"] == "file" && o["hashes"]["SHA-256"].is_string()).unwrap();
        assert_eq!(hashed["hashes"]["SHA-256"], OBSERVABLES[4].1);
        let again = c.get(&format!("/api/v1/incidents/{id}/stix?tlp=red")).await;
        assert_eq!(serde_json::from_str::<serde_json::Value>(&again.body).unwrap(), bundle, "deterministic ids: re-export is the same");
        let file = c.get(&format!("/incidents/{id}/stix")).await;
        assert_eq!(file.status, 200);
        assert!(file.headers.get("content-disposition").unwrap().to_str().unwrap().contains(&format!("{reference}.stix.json")));
        assert!(file.headers.get("content-type").unwrap().to_str().unwrap().starts_with("application/stix+json"));

        // Shared at the default TLP:AMBER: the AMBER+STRICT file path and the RED account
        // stay out, still a valid bundle, and the download says how many were left out.
        assert_eq!(file.headers.get("x-khien-observables-left-out").unwrap(), "2");
        let shared = json(&c.get(&format!("/api/v1/incidents/{id}/stix")).await);
        assert!(stix_schema_errors(&shared).is_empty());
        let kinds = |b: &serde_json::Value, t: &str| b["objects"].as_array().unwrap().iter().filter(|o| o["type"] == t).count();
        assert_eq!((kinds(&shared, "indicator"), kinds(&shared, "user-account"), kinds(&shared, "file")), (6, 0, 2));
        assert!(!shared.to_string().contains("svch0st") && !shared.to_string().contains("quantri"));
        let clear = json(&c.get(&format!("/api/v1/incidents/{id}/misp?tlp=clear")).await);
        assert_eq!(clear["Event"]["Attribute"].as_array().unwrap().len(), 2, "only the two TLP:CLEAR hashes");
        assert_eq!(c.get(&format!("/incidents/{id}/misp?tlp=secret")).await.status, 400);
        assert_eq!(c.get(&format!("/api/v1/incidents/{id}/stix?tlp=secret")).await.status, 400);

        // MISP: attributes with category, type and to_ids; TLP tags.
        let event = json(&c.get(&format!("/api/v1/incidents/{id}/misp?tlp=red")).await);
        let attrs = event["Event"]["Attribute"].as_array().unwrap();
        assert_eq!(attrs.len(), 8);
        let attr = |v: &str| attrs.iter().find(|a| a["value"] == v).unwrap();
        assert_eq!((attr("5.188.10.180")["type"].as_str(), attr("5.188.10.180")["category"].as_str(), attr("5.188.10.180")["to_ids"].as_bool()), (Some("ip-dst"), Some("Network activity"), Some(true)));
        assert_eq!(attr(OBSERVABLES[5].1)["type"], "md5");
        assert_eq!(attr("quantri")["to_ids"], false);
        assert_eq!(attr("quantri")["Tag"][0]["name"], "tlp:red");
        assert_eq!(event["Event"]["Tag"][0]["name"], "tlp:amber");
        assert_eq!(c.get(&format!("/incidents/{id}/misp")).await.status, 200);

        // Both read back into other incidents: everything but the account (no hunt
        // reader takes user accounts; MISP's target-user is not to_ids), TLPs kept.
        let expected: Vec<(String, String, String)> = observables_of(&d).into_iter().filter(|o| o.0 != "account").collect();
        for (doc, what) in [(&bundle, "stix"), (&event, "misp")] {
            let other = incident(&store, &w, &format!("Sự cố nhận từ {what}")).await;
            let r = json(&c.json("POST", &format!("/api/v1/incidents/{other}/indicators"), doc).await);
            assert_eq!((r["loaded"].as_u64(), r["skipped"].as_u64()), (Some(7), Some(1)), "{what}: {r}");
            assert!(r["reasons"][0].as_str().unwrap().contains("quantri") || r["reasons"][0].as_str().unwrap().contains("user-account"), "{r}");
            let got = json(&c.get(&format!("/api/v1/incidents/{other}")).await);
            // A STIX file object names the file; its directory is not a hunt indicator.
            let mut want = expected.clone();
            if what == "stix" {
                for o in want.iter_mut().filter(|o| o.0 == "file") {
                    o.1 = o.1.rsplit('\\').next().unwrap().to_string();
                }
                want.sort();
            }
            assert_eq!(observables_of(&got), want, "{what} round trip");
            // Again: nothing new, each one said to be there already.
            let r = json(&c.json("POST", &format!("/api/v1/incidents/{other}/indicators"), doc).await);
            assert_eq!((r["loaded"].as_u64(), r["skipped"].as_u64()), (Some(0), Some(8)), "{r}");
        }

        // A corpus MISP event through the page: 4 attributes taken, 5 skipped with why
        // (4 not to_ids, 1 registry key); the event's tlp:white is TLP:CLEAR.
        let target = incident(&store, &w, "Mã độc tống tiền Xorist").await;
        let page = c.multipart(&format!("/incidents/{target}/indicators"), &[("tlp", "amber")], "file", "xorist.json", &misp_corpus).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("id=\"import-loaded\">4<") && page.body.contains("id=\"import-skipped\">5<"), "{}", page.body);
        assert!(page.body.contains("to_ids is false") && page.body.contains("registry"));
        let got = observables_of(&json(&c.get(&format!("/api/v1/incidents/{target}")).await));
        assert!(got.contains(&("hash".into(), "b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68".into(), "clear".into())), "{got:?}");
        assert!(got.contains(&("file".into(), "3Z4wnG9603it23y.exe".into(), "clear".into())));
        assert_eq!(got.len(), 4);
        // A corpus STIX indicator, unmarked: the TLP chosen.
        let stix_corpus = std::fs::read(corpus().join("stix/examples/indicator-for-c2-ip-address.json")).unwrap();
        let page = c.multipart(&format!("/incidents/{target}/indicators"), &[("tlp", "green")], "file", "c2.json", &stix_corpus).await;
        assert!(page.body.contains("id=\"import-loaded\">1<"), "{}", page.body);
        let got = observables_of(&json(&c.get(&format!("/api/v1/incidents/{target}")).await));
        assert!(got.contains(&("ip".into(), "10.0.0.0".into(), "green".into())), "{got:?}");
        // Not JSON: refused with the reason, nothing written.
        let bad = c.multipart(&format!("/incidents/{target}/indicators"), &[], "file", "x.json", b"<html>").await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("không phải JSON hợp lệ"), "{}", bad.body);
        assert_eq!(observables_of(&json(&c.get(&format!("/api/v1/incidents/{target}")).await)).len(), 5);

        // Another unit reaches none of it.
        let b = Client::signed_in(&store, &w.user_b).await;
        for path in [format!("/incidents/{id}/stix"), format!("/incidents/{id}/misp"), format!("/api/v1/incidents/{id}/stix"), format!("/api/v1/incidents/{id}/misp")] {
            assert_eq!(b.get(&path).await.status, 404, "{path}");
        }
        assert_eq!(b.json("POST", &format!("/api/v1/incidents/{id}/indicators"), &event).await.status, 404);
    }
}

/// Lines of `log` on which `ip` stands as a whole address.
fn lines_with(log: &str, ip: &str) -> usize {
    log.lines()
        .filter(|l| {
            l.match_indices(ip).any(|(i, _)| {
                let before = l[..i].chars().next_back();
                let after = l[i + ip.len()..].chars().next();
                !before.is_some_and(|c| c.is_ascii_digit() || c == '.') && !after.is_some_and(|c| c.is_ascii_digit() || c == '.')
            })
        })
        .count()
}

#[tokio::test]
async fn the_incident_ioc_hunt_finds_the_corpus_lines_of_its_observables() {
    let log = std::fs::read(corpus().join("logs/linux/OpenSSH_2k.log")).expect("the corpus (set KHIEN_CORPUS)");
    let expected = lines_with(&String::from_utf8_lossy(&log), "5.188.10.180");
    assert!(expected > 10, "the corpus log has the address on many lines");
    for store in stores().await {
        let w = world(&store).await;
        let c = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let id = incident(&store, &w, "Dò mật khẩu SSH").await;
        // No observables yet: nothing to hunt for.
        let r = c.multipart(&format!("/incidents/{id}/hunt"), &[("title", "Săn tìm SSH")], "logs", "OpenSSH_2k.log", &log).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("chưa có dấu hiệu"), "{}", r.body);
        assert!(r.body.contains("Săn tìm SSH"), "the title typed is kept");
        for (kind, value) in [("ip", "5.188.10.180"), ("domain", "cdn.malware-c2.top"), ("account", "root")] {
            assert_eq!(c.post_form(&format!("/incidents/{id}/observables"), &[("kind", kind), ("value", value)]).await.status, 303);
        }
        let r = c.multipart(&format!("/incidents/{id}/hunt"), &[], "logs", "OpenSSH_2k.log", &log).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let hunt = r.headers.get("location").unwrap().to_str().unwrap().trim_start_matches("/hunts/").to_string();
        assert_eq!(khien::jobs::run_pending(&store, &crate::harness::worker()).await.unwrap(), 1);
        let h = store.as_system().hunt(&hunt).await.unwrap();
        assert_eq!(h.status, "done", "{:?}", h.error);
        assert_eq!(h.systems[0].0, w.sys_a, "the incident's systems by default");
        assert!(h.title.contains("Săn tìm theo IOC của sự cố SC-"), "{}", h.title);
        assert_eq!(h.ioc_sets.len(), 1);
        assert!(h.ioc_sets[0].name.ends_with(".stix.json"));
        assert!(h.rule_sets.is_empty() && !h.builtin_rules);
        let s = h.summary.clone().unwrap();
        assert_eq!(s.events, 2000);
        assert_eq!(s.iocs_loaded, 2, "the IP and the domain (an account is no hunt indicator; example domains are on the warning list)");
        assert_eq!(s.detections, expected as i64, "every line with the address, and nothing else: {:?}", s.by_rule);
        let found = store.as_system().hunt_detections(&hunt, &Default::default(), 500).await.unwrap();
        assert!(found.items.iter().all(|d| d.matched.to_string().contains("5.188.10.180")), "{:?}", found.items.first());
        // The incident lists its hunt; a second one runs on the log uploaded before.
        let page = c.get(&format!("/incidents/{id}")).await;
        assert!(page.body.contains(&format!("href=\"/hunts/{hunt}\"")), "the incident page lists its IOC hunt");
        let sha = h.sources[0].sha256.clone();
        assert!(page.body.contains(&format!("value=\"{sha}\"")), "the earlier upload is offered");
        let r = c.multipart_files(&format!("/incidents/{id}/hunt"), &[("earlier", &sha), ("systems", &w.sys_a)], &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(khien::jobs::run_pending(&store, &crate::harness::worker()).await.unwrap(), 1);
        let second = r.headers.get("location").unwrap().to_str().unwrap().trim_start_matches("/hunts/").to_string();
        assert_eq!(store.as_system().hunt(&second).await.unwrap().summary.unwrap().detections, expected as i64);
        // A digest that is no earlier upload in scope is refused, nothing queued.
        let r = c.multipart_files(&format!("/incidents/{id}/hunt"), &[("earlier", &"0".repeat(64))], &[]).await;
        assert_eq!(r.status, 422, "{}", r.body);
        // Another unit cannot start one.
        let b = Client::signed_in(&store, &w.user_b).await;
        assert_eq!(b.multipart(&format!("/incidents/{id}/hunt"), &[], "logs", "x.log", b"x").await.status, 404);
        use sqlx::Row;
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM incident_hunts WHERE incident_id = $1").bind(id.clone()).fetch_one(store.raw_pool()).await.unwrap().try_get("n").unwrap();
        assert_eq!(n, 2);
    }
}
