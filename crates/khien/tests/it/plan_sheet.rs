//! The security plan made workable (issue 9 item 7): partial catalogues and hosts under
//! another regime said plainly, "met" without evidence flagged, bulk status changes,
//! and the plan exported to Excel and imported back — all rows or none.

use khien_domain::Role;

use crate::harness::*;

/// An XLSX like the export: the given header row and rows.
fn sheet(headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

#[tokio::test]
async fn the_plan_goes_to_excel_and_back_and_changes_in_bulk() {
    for store in stores().await {
        let w = world(&store).await;
        dossier_for(&store, &w.sys_a).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let plan = store.as_system().plan(&w.sys_a).await.unwrap().unwrap();
        let n = plan.items.len();
        assert!(n > 4);

        // Export: one row per requirement, its code first.
        let x = staff.get(&format!("/systems/{}/plan.xlsx", w.sys_a)).await;
        assert_eq!(x.status, 200);
        let t = khien_docs::xlsx::read_first_sheet(&x.bytes, 1000).unwrap();
        assert_eq!(t.headers[0], "Mã yêu cầu");
        assert_eq!(t.rows.len(), n);
        let headers: Vec<&str> = t.headers.iter().map(String::as_str).collect();
        let mut rows: Vec<Vec<String>> = t.rows.iter().map(|(_, r)| r.clone()).collect();

        // A bad sheet: one unknown code, one "not applicable" without a reason. Nothing changes.
        let mut bad = rows.clone();
        bad[0][0] = "khong-co-ma-nay".into();
        bad[1][3] = "Không áp dụng".into();
        let before = audit_seq(&store).await;
        let path = format!("/systems/{}/plan-import", w.sys_a);
        let r = staff.multipart(&path, &[], "file", "phuong-an.xlsx", &sheet(&headers, &bad)).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("Dòng 2: mã yêu cầu"), "the unknown code's row");
        assert!(r.body.contains("Dòng 3: Cần nêu lý do"), "the missing reason's row");
        assert_eq!(audit_seq(&store).await, before, "nothing stored");

        // A good sheet: two rows changed, the rest as exported.
        rows[0][3] = "Đáp ứng".into();
        rows[1][3] = "Không áp dụng".into();
        rows[1][4] = "Không sử dụng mạng không dây".into();
        rows[1][6] = "30/06/2027".into();
        let r = staff.multipart(&path, &[], "file", "phuong-an.xlsx", &sheet(&headers, &rows)).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(audit_seq(&store).await, before + 2, "one audited change per changed row");
        let page = staff.get(&format!("/systems/{}/plan?imported=2&unchanged={}", w.sys_a, n - 2)).await.body;
        assert!(page.contains(&format!("Đã cập nhật 2 yêu cầu; {} dòng không thay đổi.", n - 2)));
        assert!(page.contains(r#"id="met-without-evidence""#), "met without evidence is flagged");
        let plan = store.as_system().plan(&w.sys_a).await.unwrap().unwrap();
        let by = |k: &str| plan.items.iter().find(|i| i.key == k).unwrap();
        assert_eq!(by(&rows[0][0]).status.as_str(), "met");
        assert_eq!(by(&rows[1][0]).reason.as_deref(), Some("Không sử dụng mạng không dây"));
        assert_eq!(by(&rows[1][0]).due_date.as_deref(), Some("2027-06-30"));
        // Importing the same sheet again changes nothing.
        let r = staff.multipart(&path, &[], "file", "phuong-an.xlsx", &sheet(&headers, &rows)).await;
        assert_eq!(r.status, 303);
        assert_eq!(audit_seq(&store).await, before + 2);

        // Bulk: two ticked requirements to "partly"; the reason typed on the second
        // earlier stays, since the bulk form left it empty.
        let (k1, k2) = (rows[1][0].clone(), rows[2][0].clone());
        let r = staff
            .post_form(
                &format!("/systems/{}/plan-bulk", w.sys_a),
                &[("key", k1.as_str()), ("key", k2.as_str()), ("status", "partly"), ("responsible", "Tổ CNTT")],
            )
            .await;
        assert_eq!(r.status, 303);
        let plan = store.as_system().plan(&w.sys_a).await.unwrap().unwrap();
        let by = |k: &str| plan.items.iter().find(|i| i.key == k).unwrap();
        assert_eq!(by(&k1).status.as_str(), "partly");
        assert_eq!(by(&k2).status.as_str(), "partly");
        assert_eq!(by(&k1).reason.as_deref(), Some("Không sử dụng mạng không dây"));
        assert_eq!(by(&k2).responsible.as_deref(), Some("Tổ CNTT"));
        // Nothing ticked: refused at the form, nothing stored.
        let seq = audit_seq(&store).await;
        let r = staff.post_form(&format!("/systems/{}/plan-bulk", w.sys_a), &[("status", "met")]).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("Hãy chọn ít nhất một yêu cầu."));
        assert_eq!(audit_seq(&store).await, seq);
    }
}

#[tokio::test]
async fn a_host_under_another_regime_inherits_nothing_and_says_so() {
    for store in stores().await {
        let w = world(&store).await;
        let sys = store.as_system();
        // A data centre determined under Decree 331, and A's system hosted on it under
        // Decree 85: the catalogues differ.
        let mut dc = system_input("Trung tâm dữ liệu tỉnh", &w.a);
        dc.system_type = "infrastructure".into();
        let dc = sys.create_system(&dc.validate().unwrap()).await.unwrap();
        let s = sys.system(&dc).await.unwrap();
        let input = khien_domain::levels::level_input("nd331-2026", &s.fields, &khien_levels::LevelInput::default());
        let d = khien_levels::classify(&input).unwrap();
        sys.record_assessment(&dc, &input, &d).await.unwrap();
        let mut f = sys.system(&w.sys_a).await.unwrap().fields;
        f.hosting_system_id = Some(dc.clone());
        sys.update_system(&w.sys_a, &f).await.unwrap();
        dossier_for(&store, &w.sys_a).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let a = staff.get(&format!("/systems/{}/plan", w.sys_a)).await.body;
        assert!(a.contains(r#"id="host-other-regime""#), "said plainly");
        assert!(a.contains("Nghị định 331/2026"));
        assert!(!a.contains("được kế thừa từ"), "no claim that measures are inherited");
        // The data centre's own plan says its catalogue is partial.
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let d = admin.get(&format!("/systems/{dc}/plan")).await.body;
        assert!(d.contains(r#"id="catalogue-partial""#));
    }
}
