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
