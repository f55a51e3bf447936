//! Security by level through the real router, on both databases: a level-3 dossier from
//! draft to approval with each step refused to the wrong role, the plan with inheritance,
//! the go-live gate, re-determination, the province view and the documents.

use khien_domain::Role;

use crate::harness::{Client, blob, dossier_for, stores, world, zip_text};


#[tokio::test]
async fn a_level_3_dossier_goes_from_draft_to_approved_with_the_right_roles() {
    for store in stores().await {
        let w = world(&store).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let manager = Client::signed_in(&store, &w.user(Role::UnitManager)).await;
        let inspector = Client::signed_in(&store, &w.user(Role::Inspector)).await;
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let viewer = Client::signed_in(&store, &w.user(Role::Viewer)).await;
        // The wizard: the inventory says citizen service with 12,000 data subjects.
        let r = staff
            .post_form(
                &format!("/systems/{}/level", w.sys_a),
                &[
                    ("regime", "nd85-2016"),
                    ("defence_security_harm", "none"),
                    ("online_public_service_level", "2"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let page = staff.get(&format!("/systems/{}/level", w.sys_a)).await;
        assert!(
            page.body.contains("id=\"proposed-level\">Cấp độ 3<"),
            "level 3 proposed"
        );
        assert!(
            page.body.contains("Điều 9 khoản 2 điểm c"),
            "criterion with its article"
        );
        // Unknown answers are refused, nothing recorded.
        let bad = staff
            .post_form(
                &format!("/systems/{}/level", w.sys_a),
                &[
                    ("regime", "nd85-2016"),
                    ("defence_security_harm", "catastrophic"),
                ],
            )
            .await;
        assert_eq!(bad.status, 400);
        let r = staff
            .post_form(&format!("/systems/{}/dossiers", w.sys_a), &[])
            .await;
        assert_eq!(r.status, 303);
        let dossier = r
            .headers
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .trim_start_matches("/dossiers/")
            .to_string();
        let act = |c: &Client, action: &str, extra: Vec<(&'static str, &'static str)>| {
            let path = format!("/dossiers/{dossier}/{action}");
            let c = Client {
                app: c.app.clone(),
                cookie: c.cookie.clone(),
                csrf: c.csrf.clone(),
            };
            let mut extra = extra;
            extra.push(("confirmed", "1"));
            async move { c.post_form(&path, &extra).await }
        };
        let status = || async {
            store
                .as_system()
                .dossier(&dossier)
                .await
                .unwrap()
                .status
                .as_str()
                .to_string()
        };
        // Incomplete: submit refused until every required part is attached.
        let incomplete = act(&manager, "submit", vec![]).await;
        assert_eq!(incomplete.status, 422, "the dossier page again, with the reason");
        assert!(incomplete.body.contains("còn thiếu thành phần bắt buộc"), "{}", incomplete.body);
        for part in ["overview", "design", "level_justification", "security_plan"] {
            store
                .as_system()
                .attach_to_dossier(
                    &dossier,
                    part,
                    &blob(&store, &format!("{part}.pdf"), format!("%PDF {part}").as_bytes()).await,
                )
                .await
                .unwrap();
        }
        // Staff prepare but may not submit; the manager submits.
        assert_eq!(act(&staff, "submit", vec![]).await.status, 403);
        assert_eq!(act(&manager, "submit", vec![]).await.status, 303);
        assert_eq!(status().await, "submitted");
        // Only the specialised unit accepts and appraises.
        assert_eq!(act(&manager, "start_appraisal", vec![]).await.status, 403);
        assert_eq!(act(&viewer, "start_appraisal", vec![]).await.status, 403);
        assert_eq!(act(&inspector, "start_appraisal", vec![]).await.status, 303);
        let no_opinion = act(&inspector, "record_appraisal", vec![]).await;
        assert_eq!(no_opinion.status, 422, "an opinion is required");
        assert!(no_opinion.body.contains(r#"id="err-appraisal_opinion""#), "at its field");
        assert_eq!(
            act(
                &manager,
                "record_appraisal",
                vec![("appraisal_opinion", "Đạt")]
            )
            .await
            .status,
            403
        );
        assert_eq!(
            act(
                &inspector,
                "record_appraisal",
                vec![
                    ("appraisal_opinion", "Hồ sơ đạt yêu cầu cấp độ 3"),
                    ("appraisal_ref", "45/TĐ-SKHCN")
                ]
            )
            .await
            .status,
            303
        );
        assert_eq!(status().await, "appraised");
        // Approval needs the security regulation first, and an administrator.
        let decision = vec![
            ("decision_no", "123/QĐ-UBND"),
            ("decision_date", "20/11/2026"),
            ("decision_by", "Chủ tịch UBND tỉnh"),
        ];
        assert_eq!(
            act(&admin, "approve", decision.clone()).await.status,
            422,
            "no regulation yet"
        );
        let r = staff
            .post_form(
                &format!("/dossiers/{dossier}/regulation"),
                &[("number", "88/QĐ-STN"), ("date", "15/11/2026")],
            )
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(
            act(&inspector, "approve", decision.clone()).await.status,
            403
        );
        assert_eq!(act(&manager, "approve", decision.clone()).await.status, 403);
        assert_eq!(act(&admin, "approve", decision.clone()).await.status, 303);
        assert_eq!(status().await, "approved");
        let d = store.as_system().dossier(&dossier).await.unwrap();
        assert_eq!(
            (d.decision_no.as_deref(), d.decision_date.as_deref()),
            (Some("123/QĐ-UBND"), Some("2026-11-20"))
        );
        // Full history, in order.
        let events: Vec<String> = store
            .as_system()
            .dossier_events(&dossier)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.transition)
            .collect();
        assert_eq!(
            events,
            vec!["submit", "start_appraisal", "record_appraisal", "approve"]
        );
        let page = viewer.get(&format!("/dossiers/{dossier}")).await;
        assert!(page.body.contains("Đã phê duyệt") && page.body.contains("123/QĐ-UBND"));
        // The overview document opens and carries the system and its level basis.
        let doc = viewer
            .get(&format!("/dossiers/{dossier}/overview.docx"))
            .await;
        assert_eq!(doc.status, 200);
        let xml = zip_text(&doc.bytes, "word/document.xml");
        assert!(xml.contains("Hệ thống của Sở Thử Nghiệm") && xml.contains("Điều 9"));

        // The inventory changes after approval: re-determination is flagged, and the
        // approved version stays on record when a new one starts.
        let mut f = store.as_system().system(&w.sys_a).await.unwrap().fields;
        f.sensitive_subjects = 50;
        store.as_system().update_system(&w.sys_a, &f).await.unwrap();
        assert!(
            staff
                .get(&format!("/systems/{}/level", w.sys_a))
                .await
                .body
                .contains("id=\"redetermine\"")
        );
        let (_, v2) = dossier_for(&store, &w.sys_a).await;
        let versions = store.as_system().dossiers_of(&w.sys_a).await.unwrap();
        assert_eq!(versions.len(), 2);
        assert!(
            versions
                .iter()
                .any(|d| d.id == dossier && d.status.as_str() == "approved" && !d.superseded)
        );
        assert!(versions.iter().any(|d| d.id == v2 && d.version == 2));
    }
}

#[tokio::test]
async fn plans_inherit_from_the_host_and_gate_going_live() {
    for store in stores().await {
        let w = world(&store).await;
        let sys = store.as_system();
        // A provincial data centre in A, and a new system of A1 hosted on it.
        let mut dc = crate::harness::system_input("Trung tâm dữ liệu thử", &w.a);
        dc.system_type = "infrastructure".into();
        let dc = sys.create_system(&dc.validate().unwrap()).await.unwrap();
        let (_, _) = dossier_for(&store, &dc).await;
        let mut app = crate::harness::system_input("Ứng dụng mới", &w.a1);
        app.status = "building".into();
        app.go_live_date = String::new();
        app.hosting_system_id = dc.clone();
        let app = sys.create_system(&app.validate().unwrap()).await.unwrap();
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        // No level yet: no plan, and going live is refused.
        assert!(
            staff
                .get(&format!("/systems/{app}/plan"))
                .await
                .body
                .contains("id=\"no-level\"")
        );
        let (_, _) = dossier_for(&store, &app).await;
        let plan = sys.plan(&app).await.unwrap().unwrap();
        assert!(!plan.basis.approved && plan.basis.level == 3);
        let key = plan.items[0].key.clone();
        // The host meets a requirement: the hosted system inherits it, with the source.
        sys.set_requirement(
            &dc,
            &key,
            &khien_store::plans::RequirementUpdate {
                status: "met".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let plan = sys.plan(&app).await.unwrap().unwrap();
        let item = plan.items.iter().find(|i| i.key == key).unwrap();
        assert_eq!(item.status.as_str(), "inherited");
        assert_eq!(
            item.inherited_from.as_deref(),
            Some("Trung tâm dữ liệu thử")
        );
        assert_eq!(plan.progress.inherited, 1);
        // Not applicable needs a reason; a gap gets a person and a due date.
        let other = plan.items[1].key.clone();
        let na = staff
            .post_form(
                &format!("/systems/{app}/plan/{other}"),
                &[("status", "not_applicable")],
            )
            .await;
        assert_eq!(na.status, 422);
        assert!(na.body.contains(r#"id="err-reason""#), "the message is at the reason field");
        let gap = staff
            .post_form(
                &format!("/systems/{app}/plan/{other}"),
                &[
                    ("status", "partly"),
                    ("responsible", "Nguyễn Văn A"),
                    ("due_date", "31/12/2026"),
                ],
            )
            .await;
        assert_eq!(gap.status, 303);
        // Evidence with validity dates.
        let ev = staff
            .upload(
                &format!("/systems/{app}/plan/{other}/evidence"),
                "quy-trinh.pdf",
                b"%PDF evidence",
            )
            .await;
        assert_eq!(ev.status, 303, "{}", ev.body);
        let page = staff.get(&format!("/systems/{app}/plan")).await;
        assert!(
            page.body.contains("Kế thừa")
                && page.body.contains("Nguyễn Văn A")
                && page.body.contains("quy-trinh.pdf")
        );
        assert!(
            page.body.contains("id=\"gap-list\""),
            "the gap list is shown"
        );
        // The gate: building → operating is refused, with the reasons.
        let form = |status: &'static str| {
            vec![
                ("name", "Ứng dụng mới"),
                ("owner_unit_id", w.a1.as_str()),
                ("system_type", "citizen_business"),
                ("status", status),
                ("go_live_date", "01/12/2026"),
                ("information_types", "personal"),
                ("personal_subjects", "12000"),
                ("hosting_system_id", dc.as_str()),
            ]
        };
        let r = staff
            .post_form(&format!("/systems/{app}"), &form("operating"))
            .await;
        assert_eq!(r.status, 422);
        assert!(
            r.body.contains("chưa được phê duyệt")
                && r.body.contains("chưa được triển khai đầy đủ")
        );
        // A unit may not grant itself an exception; a province administrator may, with a reason.
        assert_eq!(
            staff
                .post_form(
                    &format!("/systems/{app}/go-live-exception"),
                    &[("reason", "Cần vận hành gấp phục vụ bầu cử")]
                )
                .await
                .status,
            403
        );
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        assert_eq!(
            admin
                .post_form(
                    &format!("/systems/{app}/go-live-exception"),
                    &[("reason", "Cần vận hành gấp phục vụ bầu cử")]
                )
                .await
                .status,
            303
        );
        let r = staff
            .post_form(&format!("/systems/{app}"), &form("operating"))
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        // The province view counts it, and the annual report lists it.
        let view = admin.get("/levels").await;
        assert_eq!(view.status, 200);
        assert!(view.body.contains("Phòng Thử Nghiệm"));
        let t = admin
            .post_form("/levels/targets", &[("approval_date", "30/09/2024")])
            .await;
        assert_eq!(t.status, 303);
        assert!(
            admin
                .get("/levels")
                .await
                .body
                .contains("đã quá hạn mà chưa đạt"),
            "a past target with unapproved systems is missed"
        );
        let x = admin.get("/reports/annual.xlsx").await;
        assert_eq!(x.status, 200);
        let sheet = zip_text(&x.bytes, "xl/sharedStrings.xml");
        assert!(sheet.contains("Ứng dụng mới") && sheet.contains("Trung tâm dữ liệu thử"));
        let docx = admin
            .get(&format!("/reports/annual.docx?unit_id={}", w.a))
            .await;
        assert_eq!(docx.status, 200);
        let xml = zip_text(&docx.bytes, "word/document.xml");
        assert!(
            xml.contains("Ứng dụng mới") && !xml.contains("NGOAIPHAMVI"),
            "a unit's report holds only its subtree"
        );
    }
}

#[tokio::test]
async fn deadlines_follow_the_configured_holiday_calendar() {
    use std::sync::Arc;
    for store in stores().await {
        let w = world(&store).await;
        // Submitted on Thursday 12/02/2026, just before Tết; nd331's 5-working-day check.
        let at = time::macros::datetime!(2026-02-12 03:00 UTC);
        let then = store.clone().with_clock(Arc::new(move || at));
        let s = then.as_system().system(&w.sys_a).await.unwrap();
        let input = khien_domain::levels::level_input(
            "nd331-2026",
            &s.fields,
            &khien_levels::LevelInput::default(),
        );
        let d = khien_levels::classify(&input).unwrap();
        let a = then
            .as_system()
            .record_assessment(&w.sys_a, &input, &d)
            .await
            .unwrap();
        let dossier = then.as_system().create_dossier(&a.id).await.unwrap().id;
        for part in ["overview", "design", "level_justification", "security_plan"] {
            then.as_system()
                .attach_to_dossier(&dossier, part, &blob(&then, "x.pdf", b"%PDF").await)
                .await
                .unwrap();
        }
        then.as_system()
            .transition(
                &dossier,
                khien_domain::dossiers::Transition::Submit,
                &Default::default(),
            )
            .await
            .unwrap();
        let viewer = &w.user(Role::Viewer);
        // The embedded calendar knows Tết: Friday 13/02, then 23–26/02.
        let page = Client::signed_in(&store, viewer)
            .await
            .get(&format!("/dossiers/{dossier}"))
            .await;
        assert!(
            page.body.contains("26/02/2026 (5 ngày làm việc"),
            "{}",
            page.body
                .split("id=\"deadline\"")
                .nth(1)
                .unwrap_or("")
                .chars()
                .take(120)
                .collect::<String>()
        );
        // A deployment whose holiday list for 2026 is empty counts straight through.
        let cal = khien_levels::Calendar::from_toml(
            "[[years]]\nyear = 2026\nsource = \"test\"\nholidays = []\nextra_working_days = []\n",
        )
        .unwrap();
        let config = khien_web::WebConfig {
            calendar: Arc::new(cal),
            ..khien_web::WebConfig::default()
        };
        let app = khien_web::app(khien_web::AppState {
            store: store.clone(),
            config: Arc::new(config),
            metrics: Default::default(),
        });
        let c = Client {
            app,
            ..Client::signed_in(&store, viewer).await
        };
        assert!(
            c.get(&format!("/dossiers/{dossier}"))
                .await
                .body
                .contains("19/02/2026 (5 ngày làm việc")
        );
    }
}
