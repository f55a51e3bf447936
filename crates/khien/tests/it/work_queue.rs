//! The work queue every home page leads with (issue 9 item 2) and the inventory's
//! security-state filters behind its groups (item 3), on both databases.

use khien_domain::Role;
use khien_domain::dossiers::Transition;
use khien_store::dossiers::TransitionData;
use khien_store::plans::RequirementUpdate;

use crate::harness::*;

/// The part of `body` inside the element with id `id` (up to the next group).
fn group<'a>(body: &'a str, id: &str) -> &'a str {
    let Some(start) = body.find(&format!(r#"id="{id}""#)) else {
        return "";
    };
    let rest = &body[start..];
    let end = rest[1..].find(r#"<div class="work-group""#).map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

#[tokio::test]
async fn every_home_page_leads_with_what_its_user_must_do() {
    for store in stores().await {
        let w = world(&store).await;
        let sys = store.as_system();
        let name_a = sys.system(&w.sys_a).await.unwrap().fields.name;
        let name_b = sys.system(&w.sys_b).await.unwrap().fields.name;
        // A's dossier is submitted, then returned by the department with a reason.
        let dossier = complete_dossier(&store, &w.sys_a).await;
        sys.set_regulation(&dossier, "1/QĐ", "2026-01-05").await.unwrap();
        sys.transition(&dossier, Transition::Submit, &TransitionData::default())
            .await
            .unwrap();
        sys.transition(
            &dossier,
            Transition::Return,
            &TransitionData {
                reason: "Thiếu sơ đồ mạng chi tiết".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        // B's dossier is complete and submitted: it waits for the department.
        let dossier_b = complete_dossier(&store, &w.sys_b).await;
        sys.set_regulation(&dossier_b, "2/QĐ", "2026-01-05").await.unwrap();
        sys.transition(&dossier_b, Transition::Submit, &TransitionData::default())
            .await
            .unwrap();
        // A plan requirement of A was due in January.
        let key = sys.plan(&w.sys_a).await.unwrap().unwrap().items[0].key.clone();
        sys.set_requirement(
            &w.sys_a,
            &key,
            &RequirementUpdate {
                status: "not_started".into(),
                due_date: "15/01/2026".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();

        // A's IT officer: the returned dossier with its reason, the late plan, the
        // level and hunt duties of A's system — and nothing of B.
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let home = staff.get("/").await;
        assert_eq!(home.status, 200);
        let body = &home.body;
        let queue_at = body.find(r#"id="work-queue""#).expect("the queue");
        let kpis_at = body.find(r#"id="kpi-total""#).expect("the counts");
        assert!(queue_at < kpis_at, "the page leads with the queue");
        let prepare = group(body, "work-dossiers_prepare");
        assert!(prepare.contains(&format!("/dossiers/{dossier}")), "{prepare}");
        assert!(prepare.contains("Thiếu sơ đồ mạng chi tiết"), "the return reason: {prepare}");
        let plan = group(body, "work-plan_late");
        assert!(plan.contains(&format!("/systems/{}/plan", w.sys_a)), "{plan}");
        assert!(plan.contains("15/01/2026"), "the due date: {plan}");
        assert!(plan.contains("trễ "), "the days late: {plan}");
        assert!(group(body, "work-no_level").contains(&name_a));
        assert!(group(body, "work-hunt_stale").contains(&name_a), "A was never hunted");
        assert!(!body.contains(FOREIGN), "nothing of unit B");

        // The department. The world's hunt of B checked nothing (no file): it does not
        // keep B's 6-monthly duty. A hunt that read its file with rules that applied does.
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let stale = admin.get("/systems?hunt=stale").await.body;
        assert!(stale.contains(&name_a) && stale.contains(&name_b), "a limited hunt does not count");
        record_counted_hunt(&store, &w.sys_b).await;
        // B's submitted dossier is the department's step; the group heads link to the
        // lists behind them.
        let body = admin.get("/").await.body;
        let ready = group(&body, "work-dossiers_ready");
        assert!(ready.contains(&format!("/dossiers/{dossier_b}")), "{ready}");
        assert!(ready.contains(&name_b));
        let stale = group(&body, "work-hunt_stale");
        assert!(stale.contains(&name_a) && !stale.contains(&name_b), "{stale}");
        assert!(stale.contains(r#"href="/systems?hunt=stale""#));
        assert!(group(&body, "work-no_level").contains(r#"href="/systems?level=none""#));
        // Every number on the dashboard is a link.
        assert!(body.contains(r#"<a class="kpi" href="/systems">"#));

        // The full queue, and the filtered inventory behind the groups.
        let all = admin.get("/work").await;
        assert_eq!(all.status, 200);
        assert!(all.body.contains(&format!("/dossiers/{dossier_b}")));
        let stale = admin.get("/systems?hunt=stale").await.body;
        assert!(stale.contains(&name_a) && !stale.contains(&name_b));
        let none = admin.get("/systems?level=none").await.body;
        assert!(none.contains(&name_a) && none.contains(&name_b), "neither is approved yet");
        let submitted = admin.get("/systems?stage=submitted").await.body;
        assert!(submitted.contains(&name_b) && !submitted.contains(&name_a));
        let returned = admin.get("/systems?stage=returned").await.body;
        assert!(returned.contains(&name_a) && !returned.contains(&name_b));
        // The list shows each system's security state: proposed level, stage, last hunt.
        assert!(returned.contains("Đề xuất cấp 3"), "the proposed level");
        assert!(returned.contains("Bị trả lại"), "the dossier stage");
        assert!(returned.contains("Chưa săn tìm"), "never hunted");
    }
}

#[tokio::test]
async fn an_approved_level_leaves_the_queue_and_filters_by_level() {
    for store in stores().await {
        let w = world(&store).await;
        let sys = store.as_system();
        let name_a = sys.system(&w.sys_a).await.unwrap().fields.name;
        let dossier = complete_dossier(&store, &w.sys_a).await;
        sys.set_regulation(&dossier, "1/QĐ", "2026-01-05").await.unwrap();
        for t in [Transition::Submit, Transition::StartAppraisal] {
            sys.transition(&dossier, t, &TransitionData::default()).await.unwrap();
        }
        sys.transition(
            &dossier,
            Transition::RecordAppraisal,
            &TransitionData {
                appraisal_opinion: "Đạt".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        sys.transition(
            &dossier,
            Transition::Approve,
            &TransitionData {
                decision_no: "99/QĐ-UBND".into(),
                decision_date: khien_domain::time_fmt::format_date(store.today_vn()),
                decision_by: "Chủ tịch".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let body = staff.get("/").await.body;
        assert!(!group(&body, "work-no_level").contains(&name_a), "approved: no longer due");
        let level3 = staff.get("/systems?level=3").await.body;
        assert!(level3.contains(&name_a) && level3.contains("Cấp 3"));
        assert!(!staff.get("/systems?level=4").await.body.contains(&name_a));
        assert!(!staff.get("/systems?level=none").await.body.contains(&name_a));
    }
}

#[tokio::test]
async fn the_province_view_answers_who_is_behind_and_exports_what_it_shows() {
    for store in stores().await {
        let w = world(&store).await;
        let sys = store.as_system();
        // A third department with a second operating system, and a commune.
        let c = sys
            .create_unit(Some(&w.root), &unit_input("C", "Sở Ba Hệ Thống", "department").validate().unwrap())
            .await
            .unwrap();
        for name in ["Cổng một", "Cổng hai"] {
            sys.create_system(&system_input(name, &c.id).validate().unwrap()).await.unwrap();
        }
        let x = sys
            .create_unit(Some(&w.root), &unit_input("X", "Xã Thử", "commune").validate().unwrap())
            .await
            .unwrap();
        sys.create_system(&system_input("Một cửa xã", &x.id).validate().unwrap()).await.unwrap();
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        assert_eq!(
            admin.post_form("/levels/targets", &[("approval_date", "30/09/2024")]).await.status,
            303
        );
        // Departments only, most unapproved first; every unit is behind the passed target.
        let page = admin.get("/levels?kind=department&sort=unapproved&dir=desc").await;
        assert_eq!(page.status, 200);
        let body = &page.body;
        let table = &body[body.find(r#"id="province-table""#).unwrap()..];
        let at = |name: &str| table.find(name);
        assert!(at("Xã Thử").is_none(), "the commune is filtered out");
        assert!(at("Sở Ba Hệ Thống").unwrap() < at("Sở Thử Nghiệm").unwrap(), "2 unapproved before 1");
        assert!(table.contains(r#"<tr class="behind">"#), "units behind the passed target are marked");
        assert!(table.contains("Chậm so với mục tiêu"));
        // The export has the same rows in the same order, with the total last.
        let x = admin.get("/levels/export.xlsx?kind=department&sort=unapproved&dir=desc").await;
        assert_eq!(x.status, 200);
        let t = khien_docs::xlsx::read_first_sheet(&x.bytes, 100).unwrap();
        assert_eq!(t.headers[0], "Đơn vị");
        assert!(t.headers.iter().any(|h| h == "% đã phê duyệt"));
        let names: Vec<&str> = t.rows.iter().map(|(_, r)| r[0].as_str()).collect();
        assert_eq!(names.first(), Some(&"Sở Ba Hệ Thống"), "{names:?}");
        assert!(!names.contains(&"Xã Thử"));
        assert_eq!(names.last(), Some(&"Toàn tỉnh"));
        let first = &t.rows[0].1;
        assert_eq!(first[1], "Sở, ban, ngành");
        assert_eq!(first[2], "2", "operating systems");
        assert_eq!(first.last().map(String::as_str), Some("Có"), "behind");
        // A unit user's view and export cover its own subtree only.
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let mine = staff.get("/levels/export.xlsx").await;
        let t = khien_docs::xlsx::read_first_sheet(&mine.bytes, 100).unwrap();
        assert!(t.rows.iter().all(|(_, r)| !r[0].contains(FOREIGN) && r[0] != "Sở Ba Hệ Thống"));
        // The system page leads with its security state.
        let page = admin.get(&format!("/systems/{}", w.sys_a)).await.body;
        let summary = &page[page.find(r#"id="security-summary""#).expect("the summary")..];
        assert!(summary.contains("Chưa có cấp độ được phê duyệt"));
        assert!(summary.contains("Quá 6 tháng chưa săn tìm"), "operating and never hunted");
    }
}
