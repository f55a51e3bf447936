//! The audit trail as people read it (issue 9 item 8): objects by name with links,
//! filters by object type and action, sign-ins hidden on request, a before/after table,
//! CSV export in scope, and the chain verification run as a job for administrators.

use khien_domain::Role;

use crate::harness::*;

#[tokio::test]
async fn the_trail_names_objects_filters_exports_and_verifies() {
    for store in stores().await {
        let w = world(&store).await;
        let sys = store.as_system();
        let mut f = sys.system(&w.sys_a).await.unwrap().fields;
        f.name = "Cổng dịch vụ công đổi tên".into();
        sys.update_system(&w.sys_a, &f).await.unwrap();
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;

        // By object type and action: the system's update, named and linked, with the
        // changed field marked in the before/after table.
        let body = admin.get("/audit?entity=system&action=update").await.body;
        let table = &body[body.find(r#"id="audit""#).unwrap()..];
        assert!(table.contains(&format!(r#"<a href="/systems/{}" class="object">Cổng dịch vụ công đổi tên</a>"#, w.sys_a)), "named and linked");
        assert!(table.contains(r#"<tr class="changed"><th>Tên</th>"#), "the renamed field is marked");
        assert!(!table.contains("Đăng nhập"), "only updates");
        assert!(body.contains(r#"<option value="update" selected>Cập nhật</option>"#), "actions offered by label");

        // Sign-ins are in the trail, and hidden on request.
        assert!(admin.get("/audit").await.body.contains("<td>Đăng nhập</td>"));
        let hidden = admin.get("/audit?hide_sign_ins=true").await.body;
        let hidden = &hidden[hidden.find(r#"id="audit""#).unwrap()..];
        assert!(!hidden.contains("<td>Đăng nhập</td>") && hidden.contains("<td>Cập nhật</td>"));

        // CSV: what the filter selects, in the viewer's scope, readable by Excel.
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let csv = staff.get("/audit/export.csv").await;
        assert_eq!(csv.status, 200);
        assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = String::from_utf8(csv.bytes.clone()).unwrap();
        assert!(text.starts_with('\u{feff}'), "a BOM for Excel");
        let header = text.lines().next().unwrap();
        assert!(header.contains("Thời điểm") && header.contains("Tên đối tượng"));
        assert!(text.contains("Cổng dịch vụ công đổi tên"), "A's change");
        assert!(!text.contains(FOREIGN), "nothing of unit B");
        let all = admin.get("/audit/export.csv?entity=system").await;
        let all = String::from_utf8(all.bytes).unwrap();
        let rows = all.lines().count() - 1;
        let shown = store.as_system().audit(&khien_store::AuditFilter { entity: "system".into(), ..Default::default() }, 1000).await.unwrap();
        assert_eq!(rows as i64, shown.total, "every selected entry, once");

        // Verification: administrators only; a job; a tampered row is found.
        assert_eq!(staff.post_form("/audit/verify", &[]).await.status, 403);
        assert_eq!(admin.post_form("/audit/verify", &[]).await.status, 303);
        assert_eq!(admin.post_form("/audit/verify", &[]).await.status, 303);
        assert_eq!(khien::jobs::run_pending(&store, &worker()).await.unwrap(), 1, "a second click while queued adds no job");
        let page = admin.get("/audit").await.body;
        assert!(page.contains("Toàn vẹn: đã kiểm tra"), "the report is shown");
        assert!(!staff.get("/audit").await.body.contains(r#"id="verification""#));
        sqlx::query("UPDATE audit_log SET after_json = '{}' WHERE seq = 3")
            .execute(store.raw_pool())
            .await
            .unwrap();
        admin.post_form("/audit/verify", &[]).await;
        khien::jobs::run_pending(&store, &worker()).await.unwrap();
        let page = admin.get("/audit").await.body;
        assert!(page.contains("Chuỗi nhật ký bị đứt tại dòng 3"), "the tampered entry is named");
    }
}
