//! The risk register (issue 12 item 4): a critical risk of B's system left open is
//! behind — on the register, its matrix cell, the system page and B's work queue; a
//! risk "being treated" needs a plan, an owner and a date (refused with the input
//! kept); two saves of one form land once; a treatment past its date (clock stepped) is
//! late; an accepted risk leaves the open register; another unit sees and changes
//! nothing.

use std::sync::atomic::Ordering;

use khien_domain::Role;

use crate::harness::*;

#[tokio::test]
async fn a_high_risk_needs_a_treatment_by_a_date() {
    for store in stores().await {
        // The wall clock, which the test steps forward by whole days.
        let (store, shift) = days_stepped(&store);
        let w = world(&store).await;
        let b = Client::signed_in(&store, &w.user_b).await;
        let b2 = Client::signed_in(&store, &w.user_b).await;
        let a_staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let title = "Lộ lọt hồ sơ một cửa qua cổng quản trị";
        let base = |status: &'static str| vec![("system_id", w.sys_b.clone()), ("title", title.to_string()), ("description", "Cổng quản trị 8443 mở ra Internet, mật khẩu yếu".to_string()), ("likelihood", "4".to_string()), ("impact", "5".to_string()), ("status", status.to_string())];
        let pairs = |v: &[(&'static str, String)]| v.iter().map(|(k, s)| (*k, s.clone())).collect::<Vec<_>>();

        // Being treated with no plan, owner or date: refused, the input kept.
        let bad = b.post_form("/risks", &as_refs(&pairs(&base("treating")))).await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("Đang xử lý: ghi cách xử lý") && bad.body.contains("Đang xử lý: ghi thời hạn") && bad.body.contains("Cổng quản trị 8443 mở ra Internet"), "{}", bad.body);
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM risks WHERE system_id = $1", &w.sys_b).await, 0);
        assert_eq!(a_staff.post_form("/risks", &as_refs(&pairs(&base("open")))).await.status, 404, "A cannot record on B's system");

        // Open and critical (4 × 5): behind everywhere it shows.
        let made = b.post_form("/risks", &as_refs(&pairs(&base("open")))).await;
        assert_eq!(made.status, 303, "{}", made.body);
        let href = made.headers.get("location").unwrap().to_str().unwrap().to_string();
        let page = b.get(&href).await.body;
        assert!(page.contains("Điểm 20 — nghiêm trọng") && page.contains("rủi ro cao chưa có cách xử lý"), "{page}");
        let list = b.get("/risks").await.body;
        assert!(list.contains("id=\"cell-4-5\" title=\"Khả năng xảy ra 4 × Mức ảnh hưởng 5\">1</td>"), "{list}");
        assert!(b.get(&format!("/systems/{}", w.sys_b)).await.body.contains("1 rủi ro đang mở, 1 cần xử lý ngay"));
        assert!(b.get("/").await.body.contains(&format!("href=\"{href}\"")), "in B's work queue");
        assert_eq!(a_staff.get(&href).await.status, 404);
        assert!(!a_staff.get("/risks?show=all").await.body.contains(title));

        // Two saves of the form as read: one lands, the other is stale.
        let today = store.today_vn();
        let due = khien_domain::time_fmt::format_date(today + time::Duration::days(10));
        let treating = |owner: &str| {
            let mut v = pairs(&base("treating"));
            v.extend([("version", "1".to_string()), ("treatment", "mitigate".to_string()), ("treatment_plan", "Đóng cổng 8443, chỉ truy cập qua VPN, đổi mật khẩu".to_string()), ("owner", owner.to_string()), ("due_on", due.clone())]);
            v
        };
        let (f1, f2) = (treating("Trưởng phòng CNTT"), treating("Phó Giám đốc"));
        let (p1, p2) = (as_refs(&f1), as_refs(&f2));
        let (r1, r2) = tokio::join!(b.post_form(&href, &p1), b2.post_form(&href, &p2));
        let mut statuses = [r1.status.as_u16(), r2.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 422], "{} / {}", r1.body, r2.body);
        assert!((if r1.status == 422 { &r1.body } else { &r2.body }).contains("vừa được người khác cập nhật"));
        let rid = href.trim_start_matches("/risks/");
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'risk' AND action = 'update' AND entity_id = $1", rid).await, 1);
        assert!(!b.get("/").await.body.contains(&format!("href=\"{href}\"")), "treated in time: off the queue");
        assert!(b.get(&format!("/systems/{}", w.sys_b)).await.body.contains("1 rủi ro đang mở<"));

        // Eleven days on, the treatment is late (sign in again: sessions expire).
        shift.store(11, Ordering::SeqCst);
        let b = Client::signed_in(&store, &w.user_b).await;
        assert!(b.get(&href).await.body.contains(&format!("quá hạn xử lý từ {due}")));
        let a_staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        assert_eq!(a_staff.post_form(&href, &as_refs(&f1)).await.status, 404, "A cannot update B's risk");

        // Accepted by a leader: settled, off the open register, still on "all".
        let mut accepted = pairs(&base("accepted"));
        accepted.extend([("version", "2".to_string()), ("accepted_by", "Giám đốc Sở".to_string())]);
        assert_eq!(b.post_form(&href, &as_refs(&accepted)).await.status, 303);
        assert!(!b.get("/risks").await.body.contains(title));
        assert!(b.get("/risks?show=all").await.body.contains(title));
    }
}

fn as_refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, s)| (*k, s.as_str())).collect()
}
