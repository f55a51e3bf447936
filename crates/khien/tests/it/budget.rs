//! Budget lines (issue 12 item 4): the security share checked against the threshold in
//! force on the day the plan was approved (10% before 01/07/2026, 15% from it), in exact
//! đồng; a line short of it in the recorder's work queue; bad amounts refused at their
//! field with the input kept; another unit sees and changes nothing.

use khien_domain::Role;

use crate::harness::*;

#[tokio::test]
async fn the_security_share_is_checked_against_the_rule_of_the_approval_day() {
    for store in stores().await {
        let w = world(&store).await;
        let b = Client::signed_in(&store, &w.user_b).await;
        let a_staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let line = |title: &'static str, approved: &'static str, total: &'static str, security: &'static str| {
            vec![("unit_id", w.b.clone()), ("budget_kind", "project".to_string()), ("title", title.to_string()), ("decision_no", "25/QĐ-UBND".to_string()), ("approved_on", approved.to_string()), ("total", total.to_string()), ("security", security.to_string())]
        };
        let send = |pairs: &Vec<(&'static str, String)>| pairs.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();

        // 10% before Law 116/2025 took effect: met.
        let before = send(&line("Kế hoạch chuyển đổi số 2026", "30/06/2026", "2.000.000.000", "200.000.000"));
        let pairs: Vec<(&str, &str)> = before.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(b.post_form("/budget", &pairs).await.status, 303);
        // The same 10% from 01/07/2026 is short of 15%; 15% of 1,000,000,001 needs one đồng more.
        for (title, approved, total, security) in [("Dự án nâng cấp cổng dịch vụ công", "01/07/2026", "2.000.000.000", "200.000.000"), ("Dự án trung tâm dữ liệu", "15/08/2026", "1 000 000 001", "150000000")] {
            let l = send(&line(title, approved, total, security));
            let pairs: Vec<(&str, &str)> = l.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(b.post_form("/budget", &pairs).await.status, 303);
        }
        let page = b.get("/budget").await.body;
        let row = |title: &str| page.split("<tr").find(|r| r.contains(title)).unwrap_or_default().to_string();
        let first = row("Kế hoạch chuyển đổi số 2026");
        assert!(first.contains("10% / tối thiểu 10%") && first.contains("Đạt") && first.contains("Chỉ thị số 14/CT-TTg"), "{first}");
        let portal = row("Dự án nâng cấp cổng dịch vụ công");
        assert!(portal.contains("tối thiểu 15%") && portal.contains("Còn thiếu 100.000.000 đ") && portal.contains("116/2025/QH15"), "{portal}");
        let dc = row("Dự án trung tâm dữ liệu");
        assert!(dc.contains("Còn thiếu 1 đ") && dc.contains("1.000.000.001"), "exact to the đồng: {dc}");
        assert!(page.contains("5.001.000.001"), "the sum over B's lines (with the world's own)");
        let home = b.get("/").await.body;
        assert!(home.contains("Kế hoạch, dự án chưa đủ tỉ lệ kinh phí an toàn thông tin") && home.contains("còn thiếu 100.000.000 đồng"), "in B's work queue");

        // Bad amounts: refused at their fields, the input kept, nothing written.
        let bad = send(&line("Dự án sai số tiền", "01/08/2026", "1,5 tỷ", "3.000.000.000"));
        let pairs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = b.post_form("/budget", &pairs).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("Số tiền không hợp lệ") && refused.body.contains("value=\"1,5 tỷ\"") && refused.body.contains("Dự án sai số tiền"), "{}", refused.body);
        assert!(!b.get("/budget").await.body.contains("<td>Dự án sai số tiền"));

        // Another unit: sees none of it, cannot record into B, cannot remove B's line.
        assert!(!a_staff.get("/budget").await.body.contains("NGOAIPHAMVI"));
        let into_b = send(&line("Dự án trái phép", "01/08/2026", "1000", "500"));
        let pairs: Vec<(&str, &str)> = into_b.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(a_staff.post_form("/budget", &pairs).await.status, 404);
        assert_eq!(a_staff.post_form(&format!("/budget/{}/delete", w.budget_b), &[]).await.status, 404);
        assert_eq!(b.post_form(&format!("/budget/{}/delete", w.budget_b), &[]).await.status, 303);
        assert!(!b.get("/budget").await.body.contains("Dự án NGOAIPHAMVI"), "removed by its unit");
    }
}
