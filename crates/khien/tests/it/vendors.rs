//! Third parties (issue 12 item 4; Directive 18/CT-TTg 2022): a party tied to B's system
//! with required clauses missing and no review is behind — on the register, the system
//! page and B's work queue; a bad form keeps its input and writes nothing; two saves of
//! one form land once; complete clauses and a review take it off; thirteen months on
//! (clock stepped) the review no longer counts; an ended contract still serving a system
//! is behind; another unit sees and changes nothing.

use std::sync::atomic::Ordering;

use khien_domain::Role;

use crate::harness::*;

const REQUIRED: [&str; 6] = ["confidentiality", "incident_notice", "access_control", "vulnerability_fix", "right_to_audit", "data_return"];

#[tokio::test]
async fn a_third_party_needs_its_clauses_and_a_recent_review() {
    for store in stores().await {
        // The wall clock, which the test steps forward by whole days.
        let (store, shift) = days_stepped(&store);
        let w = world(&store).await;
        let b = Client::signed_in(&store, &w.user_b).await;
        let b2 = Client::signed_in(&store, &w.user_b).await;
        let a_staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let today = khien_domain::time_fmt::format_date(store.today_vn());
        assert!(b.get(&format!("/systems/{}", w.sys_b)).await.body.contains("Chưa ghi nhận bên thứ ba nào"));
        assert!(b.get("/vendors/new").await.body.contains(&format!("id=\"serves-{}\"", w.sys_b)), "B's system is offered");

        // A bad form: messages at their fields, the input kept, nothing written.
        let bad = b.post_form("/vendors", &[("name", "Công ty CP Giải pháp Số Thử"), ("tax_code", "12AB"), ("service", "operation"), ("contract_from", "01/06/2026"), ("contract_to", "31/05/2026"), ("clauses", "confidentiality"), ("serves", &w.sys_b)]).await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("Mã số thuế gồm 10 chữ số") && bad.body.contains("Ngày kết thúc hợp đồng không thể trước ngày bắt đầu") && bad.body.contains("Công ty CP Giải pháp Số Thử"), "{}", bad.body);
        assert!(bad.body.contains("id=\"clause-confidentiality\" checked") && bad.body.contains(&format!("id=\"serves-{}\" checked", w.sys_b)), "ticked boxes kept");
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM vendors WHERE name = $1", "Công ty CP Giải pháp Số Thử").await, 0);
        assert_eq!(a_staff.post_form("/vendors", &[("name", "X"), ("service", "operation"), ("unit_id", &w.b)]).await.status, 404, "A cannot record for B");
        assert_eq!(a_staff.post_form("/vendors", &[("name", "X"), ("service", "operation"), ("serves", &w.sys_b)]).await.status, 404, "A cannot tie B's system");

        // Recorded with two required clauses: behind everywhere it is shown.
        let made = b.post_form("/vendors", &[("name", "Công ty CP Giải pháp Số Thử"), ("tax_code", "0101234567"), ("service", "operation"), ("contract_no", "15/2026/HĐ-VH"), ("contract_from", "01/01/2026"), ("contract_to", "31/12/2027"), ("clauses", "confidentiality"), ("clauses", "staff"), ("clauses", "access_control"), ("serves", &w.sys_b), ("unit_id", &w.b)]).await;
        assert_eq!(made.status, 303, "{}", made.body);
        let href = made.headers.get("location").unwrap().to_str().unwrap().to_string();
        let page = b.get(&href).await.body;
        assert!(page.contains("thiếu 4 điều khoản bắt buộc · chưa rà soát lần nào") && page.contains("15/2026/HĐ-VH"), "{page}");
        let list = b.get("/vendors?show=behind").await.body;
        assert!(list.contains("Công ty CP Giải pháp Số Thử") && list.contains("<td class=\"num\">2/6</td>"), "{list}");
        assert!(b.get(&format!("/systems/{}", w.sys_b)).await.body.contains("1 bên thứ ba, 1 cần xử lý"));
        let home = b.get("/").await.body;
        assert!(home.contains("Bên thứ ba cần xử lý") && home.contains(&format!("href=\"{href}\"")), "in B's work queue");
        assert_eq!(a_staff.get(&href).await.status, 404);
        assert!(!a_staff.get("/vendors").await.body.contains("Giải pháp Số Thử"));

        // Two saves of the form as read: one lands, the other is told it is stale.
        let full = |note: &'static str| {
            let mut f: Vec<(&str, String)> = vec![("version", "1".into()), ("name", "Công ty CP Giải pháp Số Thử".into()), ("tax_code", "0101234567".into()), ("service", "operation".into()), ("contract_no", "15/2026/HĐ-VH".into()), ("contract_from", "01/01/2026".into()), ("contract_to", "31/12/2027".into()), ("note", note.into()), ("serves", w.sys_b.clone())];
            f.extend(REQUIRED.iter().map(|k| ("clauses", k.to_string())));
            f
        };
        let (f1, f2) = (full("phụ lục 1"), full("phụ lục 2"));
        let p1: Vec<(&str, &str)> = f1.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let p2: Vec<(&str, &str)> = f2.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (r1, r2) = tokio::join!(b.post_form(&href, &p1), b2.post_form(&href, &p2));
        let mut statuses = [r1.status.as_u16(), r2.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 422], "{} / {}", r1.body, r2.body);
        assert!((if r1.status == 422 { &r1.body } else { &r2.body }).contains("vừa được người khác sửa"));
        let vid = href.trim_start_matches("/vendors/");
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'vendor' AND action = 'update' AND entity_id = $1", vid).await, 1);
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM vendors WHERE id = $1 AND version = 2", vid).await, 1);
        assert!(b.get(&href).await.body.contains("chưa rà soát lần nào") && !b.get(&href).await.body.contains("điều khoản bắt buộc"), "clauses complete now");

        // A review: a future day is refused with the input kept; today's takes it off.
        let future = b.post_form(&format!("{href}/reviews"), &[("reviewed_on", "01/01/2099"), ("outcome", "satisfactory"), ("summary", "Rà soát tài khoản truy cập từ xa")]).await;
        assert_eq!(future.status, 422);
        assert!(future.body.contains("Rà soát tài khoản truy cập từ xa") && future.body.contains("01/01/2099"));
        assert_eq!(a_staff.post_form(&format!("{href}/reviews"), &[("reviewed_on", "01/01/2026"), ("outcome", "satisfactory"), ("summary", "x")]).await.status, 404);
        assert_eq!(b.post_form(&format!("{href}/reviews"), &[("reviewed_on", today.as_str()), ("outcome", "issues"), ("summary", "Rà soát tài khoản truy cập từ xa; 2 tài khoản cũ chưa thu hồi")]).await.status, 303);
        let page = b.get(&href).await.body;
        assert!(page.contains("id=\"vendor-ok\"") && page.contains("2 tài khoản cũ chưa thu hồi"), "{page}");
        assert!(!b.get("/").await.body.contains(&format!("href=\"{href}\"")), "off the queue");
        assert!(b.get(&format!("/systems/{}", w.sys_b)).await.body.contains("1 bên thứ ba, đủ điều khoản và đã rà soát"));

        // Thirteen months on, the review no longer counts (sign in again: sessions expire).
        shift.store(396, Ordering::SeqCst);
        let b = Client::signed_in(&store, &w.user_b).await;
        let page = b.get(&href).await.body;
        assert!(page.contains(&format!("rà soát gần nhất ngày {today}, đã quá hạn")), "{page}");
        // Past the contract's end (31/12/2027) while still serving B's system: behind.
        shift.store(800, Ordering::SeqCst);
        let b = Client::signed_in(&store, &w.user_b).await;
        assert!(b.get(&href).await.body.contains("hợp đồng hết hạn ngày 31/12/2027 nhưng vẫn gắn với hệ thống đang dùng"));
        let a_staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        assert_eq!(a_staff.post_form(&href, &p1).await.status, 404, "A cannot edit B's party");
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM vendor_reviews WHERE vendor_id = $1", vid).await, 1);
    }
}
