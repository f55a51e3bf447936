//! The 4-layer model (issue 12 item 4): each layer of a system recorded by its unit,
//! a hired layer naming its provider, a save on a stale form refused (two saves at once:
//! one lands), every save audited; a level-3 operating system with a layer missing in
//! the work queue and the overview until all four are in place; another unit sees and
//! changes nothing.

use khien_domain::Role;

use crate::harness::*;

#[tokio::test]
async fn the_four_layers_of_a_system_are_recorded_once_each_and_missing_ones_are_work() {
    for store in stores().await {
        let w = world(&store).await;
        let b = Client::signed_in(&store, &w.user_b).await;
        let b2 = Client::signed_in(&store, &w.user_b).await;
        let a_staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let page = format!("/systems/{}/protection", w.sys_b);
        let layer = |id: &str| format!("{page}/{id}");

        // Level 3 (B's determination), operating, nothing recorded: all four missing.
        let p = b.get(&page).await.body;
        assert!(p.contains("Cấp độ 3") && p.contains("cần đủ cả 4 lớp"), "{p}");
        assert!(p.contains("Lớp chưa triển khai: Lực lượng tại chỗ, Giám sát, bảo vệ chuyên nghiệp, Kiểm tra, đánh giá độc lập định kỳ, Kết nối với hệ thống giám sát quốc gia"), "{p}");
        assert!(p.contains("Công văn số 1552/BTTTT-CATTT"), "each layer's basis");
        let home = b.get("/").await.body;
        assert!(home.contains("Hệ thống chưa đủ mô hình 4 lớp") && home.contains("Còn thiếu: Lực lượng tại chỗ"), "in B's work queue");
        assert!(b.get(&format!("/systems/{}", w.sys_b)).await.body.contains("0/4 lớp đã triển khai"));

        // Hired without a provider: refused at the field, the input kept, nothing written.
        let refused = b.post_form(&layer("monitoring"), &[("version", "0"), ("state", "in_place"), ("arrangement", "hired"), ("provider", ""), ("contract", "HĐ 12/2026/SOC")]).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("Ghi tên doanh nghiệp, tổ chức được thuê") && refused.body.contains("value=\"HĐ 12/2026/SOC\""), "{}", refused.body);
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM protection_layers WHERE system_id = $1", &w.sys_b).await, 0);

        // Two saves of the same new layer at once: exactly one lands, the other is stale.
        let form = |provider: &'static str| vec![("version", "0"), ("state", "in_place"), ("arrangement", "hired"), ("provider", provider), ("since", "01/03/2026")];
        let (f1, f2) = (form("Công ty Giám sát Một"), form("Công ty Giám sát Hai"));
        let monitoring = layer("monitoring");
        let (r1, r2) = tokio::join!(b.post_form(&monitoring, &f1), b2.post_form(&monitoring, &f2));
        let mut statuses = [r1.status.as_u16(), r2.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 422], "{} / {}", r1.body, r2.body);
        let loser = if r1.status == 422 { &r1.body } else { &r2.body };
        assert!(loser.contains("vừa được người khác cập nhật"), "{loser}");
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'protection_layer' AND entity_id = $1", &format!("{}/monitoring", w.sys_b)).await, 1);
        // A save from a form opened before that one is stale too; from the new version it lands.
        assert_eq!(b.post_form(&layer("monitoring"), &form("Công ty Cũ")).await.status, 422);
        assert_eq!(b.post_form(&layer("monitoring"), &[("version", "1"), ("state", "in_place"), ("arrangement", "hired"), ("provider", "Công ty Giám sát Ba"), ("since", "01/03/2026")]).await.status, 303);
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM protection_layers WHERE system_id = $1 AND layer = 'monitoring' AND version = 2 AND provider = 'Công ty Giám sát Ba'", &w.sys_b).await, 1);

        // Three more in place: the system drops out of the queue and the missing list.
        for (id, arrangement) in [("onsite", "in_house"), ("inspection", "in_house")] {
            assert_eq!(b.post_form(&layer(id), &[("version", "0"), ("state", "in_place"), ("arrangement", arrangement)]).await.status, 303);
        }
        assert_eq!(b.post_form(&layer("ncsc"), &[("version", "0"), ("state", "in_progress"), ("arrangement", "in_house"), ("contract", "CV 45/NCSC")]).await.status, 303);
        let missing = b.get("/protection?show=missing").await.body;
        assert!(missing.contains(&format!("id=\"protection-{}\"", w.sys_b)) && missing.contains("Đang triển khai"), "NCSC still being connected: {missing}");
        assert!(b.get("/").await.body.contains("Còn thiếu: Kết nối với hệ thống giám sát quốc gia"));
        assert_eq!(b.post_form(&layer("ncsc"), &[("version", "1"), ("state", "in_place"), ("arrangement", "in_house"), ("contract", "CV 45/NCSC")]).await.status, 303);
        assert!(!b.get("/protection?show=missing").await.body.contains(&format!("id=\"protection-{}\"", w.sys_b)));
        assert!(!b.get("/").await.body.contains("Hệ thống chưa đủ mô hình 4 lớp"));
        let p = b.get(&page).await.body;
        assert!(p.contains("Đã triển khai đủ 4 lớp") && p.contains("Công ty Giám sát Ba") && p.contains("01/03/2026"), "{p}");
        let overview = b.get("/protection").await.body;
        assert!(overview.contains("id=\"protection-kpi-ncsc\"><span class=\"num\">1/1"), "{overview}");
        assert!(b.get(&format!("/systems/{}", w.sys_b)).await.body.contains("4/4 lớp đã triển khai"));

        // An unknown layer is not a page; another unit sees none of it and changes nothing.
        assert_eq!(b.post_form(&layer("firewall"), &[("version", "0"), ("state", "in_place"), ("arrangement", "in_house")]).await.status, 404);
        assert_eq!(a_staff.get(&page).await.status, 404);
        assert!(!a_staff.get("/protection?show=all").await.body.contains("Công ty Giám sát Ba"));
        assert_eq!(a_staff.post_form(&layer("onsite"), &[("version", "1"), ("state", "absent")]).await.status, 404);
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM protection_layers WHERE system_id = $1 AND state = 'in_place'", &w.sys_b).await, 4);
    }
}
