//! Drills (issue 11 item 8): recorded over chosen systems, each weakness found becomes a
//! tracked finding on its system with a deadline (through the import job), the yearly
//! drill duty of those systems is met, another unit sees nothing, and the report is a
//! document.

use khien_domain::Role;

use crate::harness::*;

#[tokio::test]
async fn a_drills_weaknesses_become_findings_and_it_meets_the_yearly_drill() {
    for store in stores().await {
        let w = world(&store).await;
        let b = Client::signed_in(&store, &w.user_b).await;
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let drill_row = |body: &str, status: &str| body.contains(&format!("<tr class=\"status-{status}\"><td>Diễn tập thực chiến</td><td><a href=\"/systems/{}\"", w.sys_b));
        let before = admin.get("/obligations").await.body;
        assert!(["ok", "due_soon", "overdue"].iter().any(|s| drill_row(&before, s)) && !drill_row(&before, "done"), "B's level-3 system owes this year's drill (last year's does not count)");

        let today = khien_domain::time_fmt::format_date(store.today_vn());
        let mut form = vec![
            ("drill_kind", "real_world".to_string()),
            ("title", "Diễn tập tấn công chiếm quyền cổng dịch vụ".to_string()),
            ("organiser", "Đội ứng cứu sự cố tỉnh".to_string()),
            ("held_from", "02/12/2099".to_string()),
            ("held_to", "01/12/2099".to_string()),
            ("objectives", "Phát hiện và ngăn chặn trong 2 giờ".to_string()),
            ("participants", "Đội ứng cứu; cán bộ CNTT đơn vị B".to_string()),
            ("tools", "Metasploit".to_string()),
        ];
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let bad = b.post_form("/drills", &pairs).await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("Ngày kết thúc không thể trước ngày bắt đầu") && bad.body.contains("Chọn ít nhất một hệ thống") && bad.body.contains("Diễn tập tấn công chiếm quyền"), "messages at their fields, input kept");
        form[3].1 = today.clone();
        form[4].1 = today.clone();
        form.push(("systems", w.sys_b.clone()));
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let a_staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        assert_eq!(a_staff.post_form("/drills", &pairs).await.status, 404, "A cannot drill B's system");
        let saved = b.post_form("/drills", &pairs).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let href = saved.headers.get("location").unwrap().to_str().unwrap().to_string();
        assert_eq!(a_staff.get(&href).await.status, 404, "another unit does not see it");

        // A weakness: refused without a title, then imported as a finding with a deadline.
        let weak = format!("{href}/weaknesses");
        let no_title = b.post_form(&weak, &[("system_id", &w.sys_b), ("severity", "high"), ("title", "")]).await;
        assert_eq!(no_title.status, 422);
        let ok = b.post_form(&weak, &[("system_id", &w.sys_b), ("severity", "high"), ("title", "Tài khoản quản trị dùng mật khẩu mặc định"), ("description", "Đăng nhập được bằng admin/admin")]).await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        assert_eq!(a_staff.post_form(&weak, &[("system_id", &w.sys_b), ("severity", "low"), ("title", "x")]).await.status, 404);
        khien::jobs::run_pending(&store, &worker()).await.unwrap();
        let page = b.get(&href).await.body;
        assert!(page.contains("Tài khoản quản trị dùng mật khẩu mặc định") && page.contains("Đang mở") && page.contains("hạn"), "{page}");
        let findings = b.get(&format!("/findings?system_id={}", w.sys_b)).await.body;
        assert!(findings.contains("Tài khoản quản trị dùng mật khẩu mặc định"), "tracked with the system's findings");

        // The drill meets the system's yearly drill; the report carries the weakness.
        assert!(drill_row(&admin.get("/obligations").await.body, "done"), "the yearly drill is done");
        let docx = b.get(&format!("{href}/report.docx")).await;
        assert_eq!(docx.status, 200);
        let xml = zip_text(&docx.bytes, "word/document.xml");
        assert!(xml.contains("BÁO CÁO KẾT QUẢ DIỄN TẬP") && xml.contains("Tài khoản quản trị dùng mật khẩu mặc định") && xml.contains("Diễn tập thực chiến"), "{xml}");
    }
}
