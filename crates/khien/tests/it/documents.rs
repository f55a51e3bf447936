//! Generated documents an official can send as they are (issue 9 item 4, Decree
//! 30/2020): the governing body above the issuer, "Số: …/BC-…", the signature block the
//! signer's position requires, "Nơi nhận:" filled, the overview not contradicting itself,
//! and Form 08 headed as the unit that made it, with its expected dates filled.

use khien_domain::Role;
use khien_store::plans::RequirementUpdate;

use crate::harness::*;

#[tokio::test]
async fn documents_carry_the_state_format_and_say_one_thing() {
    for store in stores().await {
        let w = world(&store).await;
        let sys = store.as_system();
        let mut a = sys.unit(&w.a).await.unwrap().fields;
        a.leader_title = Some("Phó Giám đốc".into());
        a.leader_name = Some("Trần Thị Ký".into());
        sys.update_unit(&w.a, &a).await.unwrap();
        let dossier = complete_dossier(&store, &w.sys_a).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;

        // The overview: letterhead under the province, the deputy signing for the head.
        let doc = staff.get(&format!("/dossiers/{dossier}/overview.docx")).await;
        assert_eq!(doc.status, 200);
        let xml = zip_text(&doc.bytes, "word/document.xml");
        assert!(xml.contains("ỦY BAN NHÂN DÂN TỈNH THỬ"), "the governing body above the issuer");
        assert!(xml.contains("SỞ THỬ NGHIỆM"));
        assert!(xml.contains("KT. GIÁM ĐỐC") && xml.contains("PHÓ GIÁM ĐỐC") && xml.contains("Trần Thị Ký"));
        assert!(xml.contains("Nơi nhận:") && xml.contains("Lưu: VT."));
        assert!(xml.contains("Điều 9"), "the criterion met is listed");
        assert!(!xml.contains("chưa đáp ứng tiêu chí xác định cấp độ nào"), "and not denied in the same section");
        assert!(xml.contains("chờ thẩm định và phê duyệt"));

        // Form 08 made by the unit is the unit's, numbered for its records office, with
        // the province's target as expected approval and the plan's due date.
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        assert_eq!(
            admin
                .post_form("/levels/targets", &[("approval_date", "31/12/2027"), ("plan_date", "30/06/2028")])
                .await
                .status,
            303
        );
        let key = sys.plan(&w.sys_a).await.unwrap().unwrap().items[0].key.clone();
        sys.set_requirement(
            &w.sys_a,
            &key,
            &RequirementUpdate { status: "partly".into(), due_date: "15/03/2028".into(), ..Default::default() },
        )
        .await
        .unwrap();
        let f08 = staff.get("/reports/annual.docx").await;
        assert_eq!(f08.status, 200);
        let xml = zip_text(&f08.bytes, "word/document.xml");
        assert!(xml.contains("SỞ THỬ NGHIỆM") && xml.contains("ỦY BAN NHÂN DÂN TỈNH THỬ"));
        assert!(xml.contains("/BC-A"), "Số: …/BC-<unit>");
        assert!(xml.contains("KT. GIÁM ĐỐC"));
        assert!(xml.contains("31/12/2027"), "column (9): expected approval");
        assert!(xml.contains("15/03/2028"), "column (11): the plan's latest open due date");
        assert!(!xml.contains(FOREIGN), "only the unit's subtree");
        // The province's report is the People's Committee's, signed on its behalf.
        let f08 = admin.get("/reports/annual.docx").await;
        let xml = zip_text(&f08.bytes, "word/document.xml");
        assert!(xml.contains("TM. ỦY BAN NHÂN DÂN"), "a collegial body signs on its behalf");
        assert!(!xml.contains("/BC-A"), "numbered as the province's, not the unit's");
    }
}

/// Unit A's staff reports a serious incident beyond its capacity (legacy regime) on its
/// system, with an IP, a TLP:RED hash and a timeline step; returns its id.
async fn serious_incident_of_a(store: &khien_store::Store, w: &World) -> String {
    let staff = Client::signed_in(store, &w.user(Role::UnitStaff)).await;
    let r = staff
        .post_form(
            "/incidents",
            &[
                ("title", "Cổng thông tin bị thay giao diện"),
                ("detected_at", "10/08/2026 08:00"),
                ("reporter_name", "Cán bộ A"),
                ("source", "monitoring"),
                ("incident_type", "defacement"),
                ("severity", "serious"),
                ("beyond_capacity", "1"),
                ("regime", "nd85-2016"),
                ("systems", &w.sys_a),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let id = r.headers.get("location").unwrap().to_str().unwrap().trim_start_matches("/incidents/").to_string();
    for (kind, value, tlp) in [("ip", "203.0.113.77", "amber"), ("hash", &"ab".repeat(32)[..], "red")] {
        let o = staff.post_form(&format!("/incidents/{id}/observables"), &[("kind", kind), ("value", value), ("tlp", tlp)]).await;
        assert_eq!(o.status, 303, "{}", o.body);
    }
    let t = staff.post_form(&format!("/incidents/{id}/timeline"), &[("at", "10/08/2026 08:40"), ("text", "Cô lập máy chủ web khỏi mạng")]).await;
    assert_eq!(t.status, 303, "{}", t.body);
    id
}

#[tokio::test]
async fn incident_reports_are_documents_with_the_incidents_facts() {
    for base_store in stores().await {
        let w = world(&base_store).await;
        let (store, _clock) = crate::incident_clocks::at_base(&base_store);
        let id = serious_incident_of_a(&store, &w).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let page = staff.get(&format!("/incidents/{id}")).await;
        assert!(page.body.contains(&format!(r#"href="/incidents/{id}/document?kind=initial_report""#)), "each owed report links its document");

        // Form 03: the unit's letterhead, the system with its operator, the facts known,
        // the unknown left to fill, the TLP:RED hash kept out.
        let f03 = staff.get(&format!("/incidents/{id}/document?kind=initial_report")).await;
        assert_eq!(f03.status, 200, "{}", f03.body);
        assert!(f03.headers.get("content-disposition").unwrap().to_str().unwrap().contains("initial-report.docx"));
        let xml = zip_text(&f03.bytes, "word/document.xml");
        for want in ["Mẫu số 03", "BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG", "SỞ THỬ NGHIỆM", "Cổng thông tin bị thay giao diện", "10/08/2026 08:00", "203.0.113.77", "Cô lập máy chủ web khỏi mạng", "Thay đổi giao diện", "Nghiêm trọng", "Hệ điều hành, phiên bản", khien_docs::incident::TO_FILL, "Thông tư 20/2017/TT-BTTTT"] {
            assert!(xml.contains(want), "{want:?} missing from Form 03");
        }
        assert!(!xml.contains(&"ab".repeat(32)) && xml.contains("TLP:RED"), "a TLP:RED indicator stays out and is counted");
        assert!(!xml.contains(FOREIGN));

        // Form 04 names the initial report once it is recorded as sent.
        let f04 = zip_text(&staff.get(&format!("/incidents/{id}/document?kind=closure_report")).await.bytes, "word/document.xml");
        assert!(f04.contains("Mẫu số 04") && f04.contains("chưa ghi nhận đã gửi trên hệ thống"), "no initial report recorded yet");
        let sent = staff
            .post_form(&format!("/incidents/{id}/reports"), &[("kind", "initial_report"), ("sent_at", "10/08/2026 08:50"), ("recipient", "Cục An toàn thông tin"), ("reference", "21/BC-A")])
            .await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        let f04 = zip_text(&staff.get(&format!("/incidents/{id}/document?kind=closure_report")).await.bytes, "word/document.xml");
        assert!(f04.contains("Số 21/BC-A, gửi lúc 10/08/2026 08:50"), "Form 04 carries the initial report's number and time");

        // A kind the regime does not have, and another unit, get nothing.
        assert_eq!(staff.get(&format!("/incidents/{id}/document?kind=initial_notice")).await.status, 404);
        assert_eq!(staff.get(&format!("/incidents/{id}/document?kind=form99")).await.status, 404);
        let b = Client::signed_in(&store, &w.user_b).await;
        assert_eq!(b.get(&format!("/incidents/{id}/document?kind=initial_report")).await.status, 404);
    }
}
