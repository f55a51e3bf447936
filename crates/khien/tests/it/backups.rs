//! Backups of important systems (issue 12 item 4): a level-3 operating system without a
//! plan or a successful restore within 12 months is in the work queue; the plan is saved
//! once under concurrent saves and refuses a stale form; restore tests are kept and the
//! latest one decides (a failure after a success is still behind); the 12-month window
//! moves with the injected clock; another unit sees and changes nothing.

use std::sync::atomic::Ordering;

use khien_domain::Role;

use crate::harness::*;

#[tokio::test]
async fn an_important_system_needs_a_plan_and_a_recent_successful_restore() {
    for store in stores().await {
        // The wall clock, which the test steps forward by whole days.
        let (store, shift) = days_stepped(&store);
        let w = world(&store).await;
        let b = Client::signed_in(&store, &w.user_b).await;
        let b2 = Client::signed_in(&store, &w.user_b).await;
        let a_staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let page = format!("/systems/{}/backup", w.sys_b);
        let plan = format!("{page}/plan");
        let tests = format!("{page}/tests");
        let today = khien_domain::time_fmt::format_date(store.today_vn());

        let p = b.get(&page).await.body;
        assert!(p.contains("Cấp độ 3") && p.contains("Chưa có phương án sao lưu · Chưa thử khôi phục thành công lần nào"), "{p}");
        assert!(b.get("/").await.body.contains("Hệ thống quan trọng chưa có sao lưu đáng tin cậy"), "in B's work queue");

        // A bad plan: messages at their fields, the input kept, nothing written.
        let bad = b.post_form(&plan, &[("version", "0"), ("backup_scope", "CSDL hồ sơ một cửa"), ("frequency", "hourly"), ("retention_days", "ba mươi"), ("offsite", "on")]).await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("Chọn tần suất sao lưu") && bad.body.contains("Ghi một số nguyên dương, không lớn hơn (3650)") && bad.body.contains("CSDL hồ sơ một cửa") && bad.body.contains("value=\"ba mươi\""), "{}", bad.body);
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM backup_plans WHERE system_id = $1", &w.sys_b).await, 0);

        // Two first saves at once: one lands; a form read before it is stale.
        let form = |retention: &'static str| vec![("version", "0"), ("backup_scope", "CSDL hồ sơ một cửa; cấu hình máy chủ"), ("frequency", "daily"), ("retention_days", retention), ("offsite", "on")];
        let (f1, f2) = (form("30"), form("60"));
        let (r1, r2) = tokio::join!(b.post_form(&plan, &f1), b2.post_form(&plan, &f2));
        let mut statuses = [r1.status.as_u16(), r2.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 422], "{} / {}", r1.body, r2.body);
        assert!((if r1.status == 422 { &r1.body } else { &r2.body }).contains("vừa được người khác cập nhật"));
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'backup_plan' AND entity_id = $1", &w.sys_b).await, 1);
        assert_eq!(b.post_form(&plan, &form("90")).await.status, 422, "a form opened on no plan, after one exists");
        let mut next = form("90");
        next[0] = ("version", "1");
        assert_eq!(b.post_form(&plan, &next).await.status, 303);
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM backup_plans WHERE system_id = $1 AND version = 2 AND retention_days = 90 AND offsite = 1", &w.sys_b).await, 1);

        // Still behind without a restore; a test in the future is refused.
        assert!(b.get(&page).await.body.contains("Chưa thử khôi phục thành công lần nào"));
        let future = b.post_form(&tests, &[("tested_on", "01/01/2099"), ("outcome", "succeeded"), ("restored", "CSDL")]).await;
        assert_eq!(future.status, 422);
        assert!(future.body.contains("01/01/2099"), "the input kept");
        // A success today: nothing behind, off the queue and the "behind" list.
        assert_eq!(b.post_form(&tests, &[("tested_on", today.as_str()), ("outcome", "succeeded"), ("duration_minutes", "95"), ("restored", "Khôi phục CSDL hồ sơ sang máy chủ dự phòng; đối chiếu số bản ghi")]).await.status, 303);
        let p = b.get(&page).await.body;
        assert!(p.contains("id=\"backup-ok\"") && p.contains("Khôi phục CSDL hồ sơ sang máy chủ dự phòng"), "{p}");
        assert!(!b.get("/").await.body.contains("Hệ thống quan trọng chưa có sao lưu đáng tin cậy"));
        assert!(!b.get("/backups?show=behind").await.body.contains(&format!("id=\"backup-{}\"", w.sys_b)));
        assert!(b.get(&format!("/systems/{}", w.sys_b)).await.body.contains(&format!("Đã thử khôi phục thành công ngày {today}")));

        // A failed test after it: the latest decides.
        assert_eq!(b.post_form(&tests, &[("tested_on", today.as_str()), ("outcome", "failed"), ("restored", "Khôi phục máy chủ ứng dụng")]).await.status, 303);
        assert!(b.get(&page).await.body.contains("Lần thử khôi phục gần nhất chưa thành công"));
        assert!(b.get("/backups?show=behind").await.body.contains(&format!("id=\"backup-{}\"", w.sys_b)));
        assert_eq!(b.post_form(&tests, &[("tested_on", today.as_str()), ("outcome", "succeeded"), ("restored", "Khôi phục máy chủ ứng dụng, lần 2")]).await.status, 303);
        assert!(b.get(&page).await.body.contains("id=\"backup-ok\""));

        // Thirteen months on, the success no longer counts (sign in again: sessions expire).
        shift.store(396, Ordering::SeqCst);
        let b = Client::signed_in(&store, &w.user_b).await;
        let p = b.get(&page).await.body;
        assert!(p.contains("Lần khôi phục thành công gần nhất đã lâu") && p.contains(&today), "{p}");
        assert!(b.get("/").await.body.contains("Hệ thống quan trọng chưa có sao lưu đáng tin cậy"));

        // Another unit: sees none of it, writes nothing.
        let a_staff_again = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        drop(a_staff);
        assert_eq!(a_staff_again.get(&page).await.status, 404);
        assert!(!a_staff_again.get("/backups?show=all").await.body.contains("CSDL hồ sơ một cửa"));
        assert_eq!(a_staff_again.post_form(&tests, &[("tested_on", "01/01/2026"), ("outcome", "succeeded"), ("restored", "x")]).await.status, 404);
        assert_eq!(a_staff_again.post_form(&plan, &[("version", "2"), ("backup_scope", "x"), ("frequency", "daily"), ("retention_days", "1")]).await.status, 404);
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM restore_tests WHERE system_id = $1", &w.sys_b).await, 3);
    }
}
