//! Security assessments recorded for systems and units (issue 12 item 4, issue 9 item 4
//! column 12): the form keeps its input on a bad date, a foreign unit cannot record,
//! and a record turns the obligation from "never" to done, feeds the compliance index
//! and fills Form 08's column (12).

use khien_domain::Role;

use crate::harness::*;

#[tokio::test]
async fn an_assessment_on_record_fulfils_its_obligation_and_fills_form_08() {
    for store in stores().await {
        let w = world(&store).await;
        let b = Client::signed_in(&store, &w.user_b).await;
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let row = |body: &str, status: &str| body.contains(&format!("<tr class=\"status-{status}\"><td>Kiểm tra, đánh giá an toàn hệ thống</td><td><a href=\"/systems/{}\"", w.sys_b));
        // B's level-3 system has no assessment on record: never done.
        let before = admin.get("/obligations").await.body;
        assert!(row(&before, "never"), "{before}");

        let path = format!("/systems/{}/assessments", w.sys_b);
        let future = b.post_form(&path, &[("assessment_kind", "periodic"), ("performed_on", "01/01/2099"), ("performer", "Công ty An ninh mạng Thử"), ("scope", "Toàn hệ thống"), ("result", "Đạt")]).await;
        assert_eq!(future.status, 422);
        assert!(future.body.contains("Ngày thực hiện không thể ở tương lai") && future.body.contains("Công ty An ninh mạng Thử"), "the input is kept");
        let other = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let today = khien_domain::time_fmt::format_date(store.today_vn());
        assert_eq!(other.post_form(&path, &[("assessment_kind", "periodic"), ("performed_on", &today), ("performer", "X"), ("scope", "X"), ("result", "X")]).await.status, 404, "A's officer cannot record for B's system");
        let seq = audit_seq(&store).await;
        let ok = b
            .post_form(&path, &[("assessment_kind", "periodic"), ("performed_on", &today), ("performer", "Công ty An ninh mạng Thử"), ("licence_no", "123/GP-BTTTT"), ("scope", "Toàn hệ thống"), ("result", "Đạt, 3 vấn đề cần khắc phục"), ("findings", "3")])
            .await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        assert_eq!(audit_seq(&store).await, seq + 1);
        let page = b.get(&path).await.body;
        assert!(page.contains("123/GP-BTTTT") && page.contains("Định kỳ"), "{page}");

        // The obligation is met, and the unit's own assessment is recorded apart.
        let after = admin.get("/obligations").await.body;
        assert!(row(&after, "ok"), "{after}");
        let unit_path = format!("/units/{}/assessments", w.b);
        assert_eq!(b.post_form(&unit_path, &[("assessment_kind", "unit"), ("performed_on", &today), ("performer", "Đoàn kiểm tra của Sở"), ("scope", "Toàn đơn vị"), ("result", "Đạt")]).await.status, 303);
        let unit_page = b.get(&unit_path).await.body;
        let unit_detail = b.get(&link_to(&unit_page, "/assessments/")).await.body;
        assert!(unit_detail.contains(&format!("<option value=\"{}\"", w.sys_b)), "a unit assessment's weakness goes on one of the unit's systems");
        let facts = store.as_system().duty_facts_of_unit(&w.b).await.unwrap();
        assert_eq!(facts.last_assessment, Some(store.today_vn()));
        assert_eq!(facts.systems[0].last_assessment, Some(store.today_vn()));

        // What it found: one of its three issues recorded as a weakness of the system
        // becomes a tracked finding with a deadline; the page says two are missing.
        let href = link_to(&page, "/assessments/");
        let detail = b.get(&href).await.body;
        assert!(detail.contains("Công ty An ninh mạng Thử") && detail.contains("Chưa ghi nhận điểm yếu nào"), "{detail}");
        let weak = format!("{href}/weaknesses");
        let bad = b.post_form(&weak, &[("system_id", &w.sys_a), ("severity", "high"), ("title", "Cổng quản trị mở ra Internet")]).await;
        assert_eq!(bad.status, 422, "only the assessed system");
        assert!(bad.body.contains("Chọn một hệ thống") && bad.body.contains("Cổng quản trị mở ra Internet"), "message and input kept");
        assert_eq!(other.post_form(&weak, &[("system_id", &w.sys_b), ("severity", "low"), ("title", "x")]).await.status, 404, "A cannot add to B's assessment");
        let seq = audit_seq(&store).await;
        let ok = b.post_form(&weak, &[("system_id", &w.sys_b), ("severity", "high"), ("title", "Cổng quản trị mở ra Internet"), ("description", "Cổng 8443 truy cập được từ ngoài")]).await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        assert!(audit_seq(&store).await > seq, "audited");
        khien::jobs::run_pending(&store, &worker()).await.unwrap();
        let detail = b.get(&href).await.body;
        assert!(detail.contains("Cổng quản trị mở ra Internet") && detail.contains("Đang mở") && detail.contains("Mới ghi 1 trong 3 vấn đề"), "{detail}");
        let findings = b.get(&format!("/findings?system_id={}", w.sys_b)).await.body;
        assert!(findings.contains("Cổng quản trị mở ra Internet"), "tracked with the system's findings");
        let finding = b.get(&link_to(&detail, "/findings/")).await.body;
        assert!(finding.contains("Cổng 8443 truy cập được từ ngoài (kiểm tra, đánh giá: Công ty An ninh mạng Thử, "), "the finding says where it came from: {finding}");

        // Form 08 column (12) says it.
        let f08 = b.get("/reports/annual.docx").await;
        let xml = zip_text(&f08.bytes, "word/document.xml");
        assert!(xml.contains("Định kỳ"), "column (12)");
    }
}

/// The first link on a page whose path starts with `prefix`.
fn link_to(page: &str, prefix: &str) -> String {
    let at = page.find(&format!("href=\"{prefix}")).expect("a link");
    let rest = &page[at + 6..];
    rest[..rest.find('"').unwrap()].to_string()
}
