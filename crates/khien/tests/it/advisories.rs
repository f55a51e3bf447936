//! Advisories from the authorities (issue 10 item 5): read from the corpus's CVE JSON 5
//! records, matched against the systems' components by CPE or name and version range,
//! seen by exactly the units running the product, answered with evidence, and the
//! units that have not answered reminded.

use khien_domain::Role;
use khien_domain::systems::Component;
use sqlx::Row;

use crate::harness::*;

fn corpus_cve(name: &str) -> Vec<u8> {
    let dir = std::env::var("KHIEN_CORPUS").expect("KHIEN_CORPUS: the shared corpus (scripts/test sets it)");
    std::fs::read(std::path::Path::new(&dir).join("cve").join(name)).unwrap()
}

async fn give_components(store: &khien_store::Store, system: &str, list: &[(&str, &str, &str, &str)]) {
    let sys = store.as_system();
    let mut f = sys.system(system).await.unwrap().fields;
    f.components = list.iter().map(|(v, p, ver, cpe)| Component { vendor: (*v).into(), product: (*p).into(), version: (*ver).into(), cpe: (*cpe).into() }).collect();
    sys.update_system(system, &f).await.unwrap();
}

/// The form fields of a page, as a browser would send them back.
fn field(body: &str, name: &str) -> String {
    if let Some(i) = body.find(&format!(r#"<textarea name="{name}""#)) {
        let rest = &body[i..];
        let start = rest.find('>').unwrap() + 1;
        let end = rest.find("</textarea>").unwrap();
        return html_unescape(&rest[start..end]);
    }
    let i = body.find(&format!(r#"name="{name}""#)).unwrap_or_else(|| panic!("no field {name}"));
    let rest = &body[i..];
    let v = rest.find("value=\"").unwrap() + 7;
    let end = rest[v..].find('"').unwrap();
    html_unescape(&rest[v..v + end])
}

fn html_unescape(s: &str) -> String {
    s.replace("&#60;", "<").replace("&#62;", ">").replace("&#34;", "\"").replace("&#38;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&#x27;", "'").replace("&amp;", "&")
}

#[tokio::test]
async fn an_advisory_reaches_exactly_the_units_running_the_product_and_collects_their_answers() {
    for store in stores().await {
        let w = world(&store).await;
        // A runs an affected PAN-OS (by CPE); B the fixed hotfix (by name) and an affected git.
        give_components(&store, &w.sys_a, &[("Palo Alto Networks", "PAN-OS", "10.2.4", "cpe:2.3:o:paloaltonetworks:pan-os:10.2.4:*:*:*:*:*:*:*")]).await;
        give_components(&store, &w.sys_b, &[("Palo Alto Networks", "PAN-OS", "10.2.9-h1", ""), ("Git", "Git", "2.45.1", "")]).await;
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;

        // The CVE record fills the form: its title, severity and affected ranges.
        let read = admin.multipart("/advisories/from-cve", &[], "record", "CVE-2024-3400.json", &corpus_cve("CVE-2024-3400.json")).await;
        assert_eq!(read.status, 200, "{}", read.body);
        let products = field(&read.body, "products");
        assert!(products.contains("Palo Alto Networks | PAN-OS | >= 10.2.0, < 10.2.9-h1; >= 11.0.0, < 11.0.4-h1; >= 11.1.0, < 11.1.2-h3"), "{products}");
        assert!(!products.contains("Cloud NGFW"), "a product listed unaffected is left out: {products}");
        assert!(read.body.contains("PAN-OS: Arbitrary File Creation"));
        assert!(read.body.contains(r#"<option value="critical" selected>"#));
        let not_json = admin.multipart("/advisories/from-cve", &[], "record", "x.json", b"not json").await;
        assert_eq!(not_json.status, 422);
        assert!(not_json.body.contains("không phải bản ghi CVE JSON 5"));

        // A wrong form keeps its input; a right one is matched at once.
        let mut form = vec![
            ("number", "45/CATTT-NCSC".to_string()),
            ("issued_on", khien_domain::time_fmt::format_date(store.today_vn())),
            ("issuer", "Cục An toàn thông tin".to_string()),
            ("title", field(&read.body, "title")),
            ("cves", field(&read.body, "cves")),
            ("products", products.clone()),
            ("severity", "critical".to_string()),
            ("action", "Cập nhật bản vá PAN-OS".to_string()),
            ("deadline", "31/01/2099".to_string()),
        ];
        form[8].1 = "01/01/2000".into();
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let bad = admin.post_form("/advisories", &pairs).await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("Hạn trả lời không thể trước ngày ban hành") && bad.body.contains("45/CATTT-NCSC"), "the typed number is kept");
        form[8].1 = "31/01/2099".into();
        let before = audit_seq(&store).await;
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let saved = admin.post_form("/advisories", &pairs).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        assert_eq!(audit_seq(&store).await, before + 1, "one audit entry");
        let href = saved.headers.get("location").unwrap().to_str().unwrap().to_string();
        let page = admin.get(&href).await.body;
        assert!(page.contains(&format!(r#"id="match-{}""#, w.sys_a)), "A's PAN-OS 10.2.4 is affected");
        assert!(!page.contains(&format!(r#"id="match-{}""#, w.sys_b)), "B's 10.2.9-h1 is the fix");
        assert!(page.contains("1 hệ thống bị ảnh hưởng, 0 đã trả lời."), "{page}");

        // B's people see the advisory but not A's systems; A's see it in their queue.
        let b = Client::signed_in(&store, &w.user_b).await;
        let seen_b = b.get(&href).await;
        assert_eq!(seen_b.status, 200);
        assert!(!seen_b.body.contains(&w.sys_a) && seen_b.body.contains(r#"id="no-matches""#));
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let home = staff.get("/").await.body;
        assert!(home.contains(r#"id="work-advisories""#) && home.contains("45/CATTT-NCSC"), "in A's work queue");
        let match_id: String = sqlx::query("SELECT id FROM advisory_matches WHERE system_id = $1").bind(w.sys_a.clone()).fetch_one(store.raw_pool()).await.unwrap().try_get("id").unwrap();
        let advisory_id = href.trim_start_matches("/advisories/").to_string();
        // B cannot answer for A's system; "fixed" needs what was done.
        assert_eq!(b.post_form(&format!("/advisory-matches/{match_id}/answer"), &[("advisory", &advisory_id), ("response", "not_affected")]).await.status, 404);
        let no_note = staff.post_form(&format!("/advisory-matches/{match_id}/answer"), &[("advisory", &advisory_id), ("response", "fixed")]).await;
        assert_eq!(no_note.status, 422);
        assert!(no_note.body.contains("Ghi rõ biện pháp đã thực hiện"));
        let ok = staff.post_form(&format!("/advisory-matches/{match_id}/answer"), &[("advisory", &advisory_id), ("response", "fixed"), ("note", "Đã nâng cấp lên 10.2.9-h1, biên bản kèm theo")]).await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        let again = staff.post_form(&format!("/advisory-matches/{match_id}/answer"), &[("advisory", &advisory_id), ("response", "fixed"), ("note", "lần hai")]).await;
        assert_eq!(again.status, 303, "a second answer replaces the first, conditionally on it");
        let page = admin.get(&href).await.body;
        assert!(page.contains("1 hệ thống bị ảnh hưởng, 1 đã trả lời.") && page.contains("Đã khắc phục"), "{page}");
        assert!(!staff.get("/").await.body.contains("45/CATTT-NCSC"), "answered: out of the queue");

        // The git advisory reaches B; the department reminds B's people, once a day.
        let git = admin.multipart("/advisories/from-cve", &[], "record", "CVE-2025-48384.json", &corpus_cve("CVE-2025-48384.json")).await;
        let git_products = field(&git.body, "products");
        assert!(git_products.contains("git | git | < 2.43.7; >= 2.44.0-rc0, < 2.44.4; >= 2.45.0-rc0, < 2.45.4"), "{git_products}");
        let today = khien_domain::time_fmt::format_date(store.today_vn());
        let saved = admin
            .post_form("/advisories", &[("number", "46/CATTT-NCSC"), ("issued_on", &today), ("issuer", "Cục An toàn thông tin"), ("title", "Git"), ("cves", "CVE-2025-48384"), ("products", &git_products), ("severity", "high"), ("deadline", "31/01/2099")])
            .await;
        let href = saved.headers.get("location").unwrap().to_str().unwrap().to_string();
        assert!(admin.get(&href).await.body.contains(&format!(r#"id="match-{}""#, w.sys_b)));
        let reminded = admin.post_form(&format!("{href}/remind"), &[]).await;
        assert_eq!(reminded.status, 200);
        assert!(reminded.body.contains(r#"id="reminded""#), "{}", reminded.body);
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM reminders WHERE kind = 'advisory' AND user_id = $1").bind(w.user_b.clone()).fetch_one(store.raw_pool()).await.unwrap().try_get("n").unwrap();
        assert_eq!(n, 1, "B's officer is reminded");
        admin.post_form(&format!("{href}/remind"), &[]).await;
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM reminders WHERE kind = 'advisory'").fetch_one(store.raw_pool()).await.unwrap().try_get("n").unwrap();
        let a_people: i64 = sqlx::query("SELECT COUNT(*) AS n FROM reminders WHERE kind = 'advisory' AND unit_id = $1").bind(w.a.clone()).fetch_one(store.raw_pool()).await.unwrap().try_get("n").unwrap();
        assert_eq!(a_people, 0, "A is not reminded of B's advisory");
        assert!(n >= 1);
        // Only the department enters advisories.
        assert_eq!(staff.post_form("/advisories", &pairs).await.status, 403);
    }
}
