//! Incident response plans (issue 11 item 6): a system's plan on the outline its level
//! asks for, written as a draft, refused approval while it lacks what the outline
//! requires (messages in Vietnamese, the input kept), approved exactly once when two
//! approvals race, frozen once approved, flagged when the system changes after the
//! approval or the review date passes (clock stepped), revised as a new version; the
//! provincial plan approved by the Chairman whatever the form says; another unit sees
//! nothing; the plan downloads as a DOCX.

use std::sync::atomic::Ordering;

use khien_domain::Role;
use sqlx::Row;

use crate::harness::*;

#[tokio::test]
async fn a_plan_is_written_approved_once_flagged_on_change_and_revised() {
    for store in stores().await {
        let w = world(&store).await;
        // The wall clock, which the test steps forward by whole days.
        let (store, days) = days_stepped(&store);
        let b = Client::signed_in(&store, &w.user_b).await;
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let a_manager = Client::signed_in(&store, &w.user(Role::UnitManager)).await;
        let plan = format!("/response-plans/{}", w.response_plan_b);
        let today = store.today_vn();
        let date = |d: i64| khien_domain::time_fmt::format_date(today + time::Duration::days(d));
        let (yesterday, in_a_year, in_540_days) = (date(-1), date(365), date(540));

        // The list: B's plan (a draft, not approved); the province has no plan yet.
        let list = b.get("/response-plans").await;
        assert_eq!(list.status, 200);
        assert!(list.body.contains("Chưa được phê duyệt") && list.body.contains("Tỉnh chưa có kế hoạch ứng phó sự cố"), "{}", list.body);
        assert!(!a_manager.get("/response-plans").await.body.contains("NGOAIPHAMVI"), "A does not see B's plan");
        assert_eq!(a_manager.get(&plan).await.status, 404);
        assert_eq!(a_manager.post_form(&format!("{plan}/draft"), &[("priorities", "x")]).await.status, 404, "nor write it");
        // B's level-3 system follows Circular 20 Appendix III.
        let page = b.get(&plan).await.body;
        assert!(page.contains("Đề cương Phụ lục III Thông tư 20/2017/TT-BTTTT") && page.contains("id=\"draft-form\""), "{page}");
        assert!(b.get("/").await.body.contains("Phương án ứng cứu sự cố cần cập nhật"), "the draft is in B's work queue");

        // A draft with one section only: saved; approval refused with every gap named.
        let saved = b.post_form(&format!("{plan}/draft"), &[("section.threats", "Thay đổi giao diện cổng thông tin; mã hóa dữ liệu"), ("review_on", yesterday.as_str())]).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        assert_eq!(b.post_form(&format!("{plan}/approve"), &[("approver", "x"), ("decision_no", "1"), ("decision_date", yesterday.as_str())]).await.status, 403, "unit staff do not record approvals");
        let refused = admin.post_form(&format!("{plan}/approve"), &[("approver", "Giám đốc Sở"), ("decision_no", "15/QĐ-STC"), ("decision_date", yesterday.as_str())]).await;
        assert_eq!(refused.status, 422);
        let review_past = format!("Thời hạn rà soát phải sau hôm nay ({})", date(0));
        for msg in ["Chưa viết mục bắt buộc (Thông tin chung về hệ thống", "Chưa viết điều kiện ưu tiên bảo đảm hoạt động liên tục", "Chưa ghi đầu mối liên hệ", review_past.as_str(), "15/QĐ-STC"] {
            assert!(refused.body.contains(msg), "{msg}: {}", refused.body);
        }
        assert!(!refused.body.contains("Chưa viết mục bắt buộc (Các tình huống sự cố"), "the written section is not missing");
        let bad_scenario = b.post_form(&format!("{plan}/scenarios"), &[("incident_type", "x"), ("title", "Mã độc tống tiền"), ("situation", ""), ("handling", "")]).await;
        assert_eq!(bad_scenario.status, 422);
        assert!(bad_scenario.body.contains("Chọn loại sự cố") && bad_scenario.body.contains("Mã độc tống tiền"), "messages, input kept");

        // Completed: every required section, the priorities, contacts, a review in a year.
        let mut full: Vec<(&str, &str)> = vec![
            ("section.system_info", "Cổng dịch vụ công, cấp độ 3"),
            ("section.threats", "Thay đổi giao diện; mã hóa dữ liệu"),
            ("section.forces", "Tổ ứng cứu của Sở; đội ứng cứu của tỉnh"),
            ("section.procedure", "Tiếp nhận, xác minh, ngăn chặn, báo cáo"),
            ("section.restore", "Sao lưu hằng ngày; khôi phục trong 4 giờ"),
            ("priorities", "Khôi phục dịch vụ nộp hồ sơ trước"),
            ("contacts", "Nguyễn Văn A, 0912345678"),
            ("review_on", in_a_year.as_str()),
        ];
        assert_eq!(b.post_form(&format!("{plan}/draft"), &full).await.status, 303);

        // Two approvals at once: exactly one is recorded.
        let admin2 = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let form = [("approver", "Giám đốc Sở"), ("decision_no", "15/QĐ-STC"), ("decision_date", yesterday.as_str())];
        let approve = format!("{plan}/approve");
        let (r1, r2) = tokio::join!(admin.post_form(&approve, &form), admin2.post_form(&approve, &form));
        let mut statuses = [r1.status.as_u16(), r2.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 422], "{} / {}", r1.body, r2.body);
        let loser = if r1.status == 422 { &r1.body } else { &r2.body };
        assert!(loser.contains("không còn là dự thảo"), "{loser}");
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM response_plan_versions WHERE plan_id = $1 AND status = 'approved'", &w.response_plan_b).await, 1);
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'response_plan' AND action = 'approve' AND entity_id = $1", &w.response_plan_b).await, 1);

        // Approved: frozen, no flag; the DOCX says which decision approved it.
        let page = b.get(&plan).await.body;
        assert!(page.contains("15/QĐ-STC") && !page.contains("id=\"draft-form\"") && !page.contains("id=\"rplan-flags\""), "{page}");
        assert_eq!(b.post_form(&format!("{plan}/draft"), &full).await.status, 422, "an approved version is not edited");
        let docx = b.get(&format!("{plan}/plan.docx")).await;
        assert_eq!(docx.status, 200);
        let xml = zip_text(&docx.bytes, "word/document.xml");
        let decision = format!("Quyết định số 15/QĐ-STC ngày {yesterday}");
        for text in ["PHƯƠNG ÁN ỨNG CỨU SỰ CỐ AN TOÀN THÔNG TIN MẠNG", decision.as_str(), "Sao lưu hằng ngày; khôi phục trong 4 giờ", "Tấn công sử dụng mã độc", "ĐIỀU KIỆN ƯU TIÊN", "/PA-B"] {
            assert!(xml.contains(text), "{text}");
        }
        assert!(!xml.contains("DỰ THẢO"), "an approved plan is not marked as a draft");

        // The system changes after the approval: flagged, in B's work queue.
        let sys_b = store.as_system().system(&w.sys_b).await.unwrap();
        let mut fields = sys_b.fields.clone();
        fields.description = Some("Thêm phân hệ thanh toán trực tuyến".into());
        store.scoped(&principal_of(&store, &w.user_b).await).update_system(&w.sys_b, &fields).await.unwrap();
        let page = b.get(&plan).await.body;
        assert!(page.contains(&format!("Hệ thống đã thay đổi sau khi phê duyệt, cần cập nhật (Chỉ thị 18/CT-TTg) ({})", date(0))), "{page}");
        assert!(b.get("/work").await.body.contains("cần cập nhật"), "in the work queue");

        // A new version: a draft copied from the approved one, which stays in force.
        assert_eq!(b.post_form(&format!("{plan}/revise"), &[]).await.status, 303);
        assert_eq!(b.post_form(&format!("{plan}/revise"), &[]).await.status, 422, "one draft at a time");
        let page = b.get(&plan).await.body;
        assert!(page.contains("Dự thảo phiên bản 2") && page.contains("Sao lưu hằng ngày; khôi phục trong 4 giờ") && page.contains("Kịch bản NGOAIPHAMVI"), "the text and scenarios carried over: {page}");
        full[7] = ("review_on", in_540_days.as_str());
        assert_eq!(b.post_form(&format!("{plan}/draft"), &full).await.status, 303);
        assert_eq!(admin.post_form(&format!("{plan}/approve"), &[("approver", "Giám đốc Sở"), ("decision_no", "20/QĐ-STC"), ("decision_date", date(0).as_str())]).await.status, 303);
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM response_plan_versions WHERE plan_id = $1 AND status = 'superseded'", &w.response_plan_b).await, 1, "version 1 superseded");
        assert!(!b.get(&plan).await.body.contains("id=\"rplan-flags\""), "the change is covered by version 2");

        // Two weeks before the review date: due soon; the day after it, overdue.
        // (Sessions end after hours: sign in again on the later days.)
        days.store(526, Ordering::SeqCst);
        let b = Client::signed_in(&store, &w.user_b).await;
        assert!(b.get(&plan).await.body.contains(&format!("Sắp đến thời hạn rà soát ({in_540_days})")));
        days.store(541, Ordering::SeqCst);
        let b = Client::signed_in(&store, &w.user_b).await;
        let list = b.get("/response-plans").await.body;
        assert!(list.contains(&format!("Quá thời hạn rà soát ({in_540_days})")) && list.contains("status-overdue"), "{list}");
    }
}

#[tokio::test]
async fn the_provincial_plan_follows_decision_05_and_is_approved_by_the_chairman() {
    for store in stores().await {
        let w = world(&store).await;
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let responder = Client::signed_in(&store, &w.user(Role::Responder)).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        assert_eq!(staff.post_form("/response-plans", &[("subject", "province"), ("title", "Kế hoạch")]).await.status, 403, "a unit does not draft the province's plan");
        let created = responder.post_form("/response-plans", &[("subject", "province"), ("title", "Kế hoạch ứng phó sự cố của tỉnh")]).await;
        assert_eq!(created.status, 303, "{}", created.body);
        let href = created.headers.get("location").unwrap().to_str().unwrap().to_string();
        let again = responder.post_form("/response-plans", &[("subject", "province"), ("title", "Lần hai")]).await;
        assert_eq!(again.status, 422);
        assert!(again.body.contains("Đối tượng này đã có phương án"), "{}", again.body);

        let page = staff.get(&href).await.body;
        assert!(page.contains("Đề cương Phụ lục II Quyết định 05/2017/QĐ-TTg") && !page.contains("id=\"draft-form\""), "every unit reads the provincial plan, none edits it");
        let sections: Vec<(&str, &str)> = vec![
            ("section.current_state", "Hiện trạng các hệ thống của tỉnh"),
            ("section.threats", "Tấn công có chủ đích vào cổng dịch vụ công"),
            ("section.forces", "Đội ứng cứu sự cố của tỉnh"),
            ("section.training", "Diễn tập thực chiến hằng năm"),
            ("priorities", "Cổng dịch vụ công, hệ thống quản lý văn bản"),
            ("contacts", "Thường trực đội ứng cứu 0912345678"),
            ("review_on", "31/12/2099"),
        ];
        assert_eq!(responder.post_form(&format!("{href}/draft"), &sections).await.status, 303);
        let no_scenario = admin.post_form(&format!("{href}/approve"), &[("decision_no", "100/QĐ-UBND"), ("decision_date", "01/12/2026")]).await;
        assert_eq!(no_scenario.status, 422);
        assert!(no_scenario.body.contains("Phương án cần ít nhất một kịch bản ứng cứu"), "{}", no_scenario.body);
        assert_eq!(responder.post_form(&format!("{href}/scenarios"), &[("incident_type", "ransomware"), ("title", "Mã hóa dữ liệu"), ("situation", "Máy chủ bị mã hóa"), ("handling", "Cô lập, khôi phục từ bản sao lưu")]).await.status, 303);
        assert_eq!(responder.post_form(&format!("{href}/approve"), &[("decision_no", "1"), ("decision_date", "01/12/2026")]).await.status, 403, "the team drafts, the department records the approval");
        let ok = admin.post_form(&format!("{href}/approve"), &[("approver", "Giám đốc Sở"), ("decision_no", "100/QĐ-UBND"), ("decision_date", "01/12/2026")]).await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        let approver: String = sqlx::query("SELECT approver FROM response_plan_versions WHERE status = 'approved' AND plan_id = (SELECT id FROM response_plans WHERE subject = 'province')").fetch_one(store.raw_pool()).await.unwrap().try_get("approver").unwrap();
        assert_eq!(approver, "Chủ tịch Ủy ban nhân dân tỉnh", "whatever the form said");
        assert!(!staff.get("/response-plans").await.body.contains("Tỉnh chưa có kế hoạch"));
    }
}
