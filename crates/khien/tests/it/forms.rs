//! Forms that keep their input (issue 9, item 5) and the dossier hand-offs (item 6),
//! through the pages, on both databases.

use std::sync::Arc;

use khien_domain::Role;
use khien_store::Store;
use khien_web::{AppState, Metrics, WebConfig};

use crate::harness::*;

fn future(store: &Store) -> String {
    khien_domain::time_fmt::format_date(store.today_vn() + time::Duration::days(30))
}

/// A refused form: 422, the page (with the menu) rather than an error page, no codes.
fn refused(r: &Reply, what: &str) {
    assert_eq!(r.status, 422, "{what}: {}", r.body);
    assert!(r.body.contains(r#"class="menu""#), "{what}: the normal page, with navigation");
    assert!(r.body.contains(r#"id="form-errors""#), "{what}: the list on top");
    assert!(!r.body.contains("bad_request"), "{what}: no internal codes");
}

/// The dossier of system A with every owner part attached, and its id.
#[tokio::test]
async fn a_bad_regulation_date_comes_back_as_typed_with_the_message_at_its_field() {
    for store in stores().await {
        let w = world(&store).await;
        let (_, dossier) = dossier_for(&store, &w.sys_a).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let path = format!("/dossiers/{dossier}/regulation");
        let r = staff
            .post_form(&path, &[("number", "12/QĐ-STN"), ("date", "29/02/2026")])
            .await;
        refused(&r, "impossible day");
        assert!(r.body.contains(r#"value="29/02/2026""#), "the date as typed");
        assert!(r.body.contains(r#"value="12/QĐ-STN""#), "the number as typed");
        assert!(r.body.contains(r#"<span class="field-error" id="err-date">Ngày không hợp lệ"#));
        let r = staff
            .post_form(&path, &[("number", " "), ("date", &future(&store))])
            .await;
        refused(&r, "future and missing");
        assert!(r.body.contains(r#"id="err-number""#));
        assert!(r.body.contains("Ngày này chưa đến"));
        let d = store.as_system().dossier(&dossier).await.unwrap();
        assert_eq!(d.regulation_no, None, "nothing saved");
        let ok = staff
            .post_form(&path, &[("number", "12/QĐ-STN"), ("date", "28/02/2026")])
            .await;
        assert_eq!(ok.status, 303);
    }
}

#[tokio::test]
async fn an_approval_names_the_wrong_field_and_refuses_a_future_decision() {
    for store in stores().await {
        let w = world(&store).await;
        let dossier = complete_dossier(&store, &w.sys_a).await;
        let sys = store.as_system();
        sys.set_regulation(&dossier, "1/QĐ", "2026-01-05").await.unwrap();
        for t in [
            khien_domain::dossiers::Transition::Submit,
            khien_domain::dossiers::Transition::StartAppraisal,
        ] {
            sys.transition(&dossier, t, &Default::default()).await.unwrap();
        }
        sys.transition(
            &dossier,
            khien_domain::dossiers::Transition::RecordAppraisal,
            &khien_store::dossiers::TransitionData {
                appraisal_opinion: "Đạt".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let path = format!("/dossiers/{dossier}/approve");
        let decision = |date: &str| {
            vec![
                ("decision_no", "99/QĐ-UBND".to_string()),
                ("decision_date", date.to_string()),
                ("decision_by", "Chủ tịch UBND tỉnh".to_string()),
            ]
        };
        let post = |pairs: Vec<(&'static str, String)>| {
            let admin = admin.clone();
            let path = path.clone();
            async move {
                let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                admin.post_form(&path, &pairs).await
            }
        };
        let r = post(decision("29/02/2026")).await;
        refused(&r, "impossible decision date");
        assert!(r.body.contains(r#"id="err-decision_date""#));
        assert!(
            !r.body.contains("Cần nhập số, ngày quyết định và người phê duyệt"),
            "the message names the date, not every field"
        );
        assert!(r.body.contains(r#"value="99/QĐ-UBND""#), "the number is kept");
        assert!(r.body.contains(r#"value="29/02/2026""#), "the date is kept");
        let r = post(decision(&future(&store))).await;
        refused(&r, "future decision");
        assert!(r.body.contains("Ngày này chưa đến"));
        // A good decision first asks for confirmation, and changes nothing yet.
        let ask = post(decision("20/11/2026")).await;
        assert_eq!(ask.status, 200);
        assert!(ask.body.contains(r#"id="confirm-approve""#));
        assert!(ask.body.contains(r#"name="confirmed" value="1""#));
        assert!(ask.body.contains(r#"name="decision_no" value="99/QĐ-UBND""#), "carried on");
        assert_eq!(sys.dossier(&dossier).await.unwrap().status.as_str(), "appraised");
        let mut yes = decision("20/11/2026");
        yes.push(("confirmed", "1".into()));
        assert_eq!(post(yes).await.status, 303);
        assert_eq!(sys.dossier(&dossier).await.unwrap().status.as_str(), "approved");
    }
}

#[tokio::test]
async fn plan_and_target_dates_are_checked_before_anything_is_saved() {
    for store in stores().await {
        let w = world(&store).await;
        let sys = store.as_system();
        let (_, _) = dossier_for(&store, &w.sys_a).await;
        let key = sys.plan(&w.sys_a).await.unwrap().unwrap().items[1].key.clone();
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let r = staff
            .post_form(
                &format!("/systems/{}/plan/{key}", w.sys_a),
                &[("status", "partly"), ("responsible", "Nguyễn Văn A"), ("due_date", "31/04/2026")],
            )
            .await;
        refused(&r, "plan due date");
        assert!(r.body.contains(r#"value="31/04/2026""#));
        assert!(r.body.contains(r#"value="Nguyễn Văn A""#));
        assert!(r.body.contains(r#"id="err-due_date""#));
        assert!(r.body.contains("<details open>"), "the refused row's form is open");
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let r = admin
            .post_form(
                "/levels/targets",
                &[("approval_date", "30/09/2026"), ("plan_date", "31/11/2026")],
            )
            .await;
        refused(&r, "province targets");
        assert!(r.body.contains(r#"value="31/11/2026""#));
        assert!(r.body.contains(r#"value="30/09/2026""#));
        assert!(r.body.contains(r#"id="err-plan_date""#));
        assert_eq!(
            store.setting("target.approval_date").await.unwrap(),
            None,
            "the good date is not saved alone"
        );
    }
}

#[tokio::test]
async fn duplicate_codes_and_bad_phones_are_shown_at_their_fields() {
    for store in stores().await {
        let w = world(&store).await;
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        // Unit codes are unique whatever the case; the message is under the code, and
        // the list on top says it.
        let r = admin
            .post_form(
                "/units",
                &[
                    ("parent_id", w.root.as_str()),
                    ("name", "Sở Trùng Mã"),
                    ("code", "a"),
                    ("kind", "department"),
                    ("leader_phone", "abc"),
                ],
            )
            .await;
        refused(&r, "duplicate unit code");
        assert!(r.body.contains(r#"id="err-leader_phone""#), "abc is not a phone number");
        assert!(r.body.contains(r#"value="Sở Trùng Mã""#));
        let r = admin
            .post_form(
                "/units",
                &[
                    ("parent_id", w.root.as_str()),
                    ("name", "Sở Trùng Mã"),
                    ("code", "a"),
                    ("kind", "department"),
                    ("leader_phone", "0262 3852 123"),
                ],
            )
            .await;
        refused(&r, "duplicate unit code alone");
        let summary = r.body.split(r#"id="form-errors""#).nth(1).unwrap_or("");
        assert!(summary.contains("<li>"), "the list is not empty");
        assert!(summary.contains("Mã đơn vị đã được dùng"));
        let code_cell = r.body.split(r#"name="code""#).nth(1).unwrap_or("");
        assert!(
            code_cell.split("</div>").next().unwrap_or("").contains(r#"id="err-code""#),
            "the message sits under the code field"
        );
        // A second system with the same code in the same owner unit.
        let editor = Client::signed_in(&store, &w.user(Role::UnitManager)).await;
        let system = |code: &'static str| {
            vec![
                ("name", "Cổng thông tin"),
                ("code", code),
                ("owner_unit_id", w.a.as_str()),
                ("system_type", "internal"),
                ("status", "planning"),
            ]
        };
        assert_eq!(editor.post_form("/systems", &system("CTT-01")).await.status, 303);
        let r = editor.post_form("/systems", &system("CTT-01")).await;
        refused(&r, "duplicate system code");
        assert!(r.body.contains(r#"id="err-code">Mã hệ thống này đã được dùng"#));
        assert!(r.body.contains(r#"value="CTT-01""#));
    }
}

#[tokio::test]
async fn only_documents_are_parts_and_a_wrong_file_can_be_removed() {
    for store in stores().await {
        let w = world(&store).await;
        let (_, dossier) = dossier_for(&store, &w.sys_a).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let path = format!("/dossiers/{dossier}/files");
        let r = staff.upload(&path, "cai-dat.exe", b"MZ...").await;
        refused(&r, "a program as a dossier part");
        assert!(r.body.contains(r#"id="err-file""#));
        assert!(store.as_system().dossier_files(&dossier).await.unwrap().is_empty());
        assert_eq!(staff.upload(&path, "nham-tep.pdf", b"%PDF wrong").await.status, 303);
        let files = store.as_system().dossier_files(&dossier).await.unwrap();
        assert_eq!(files.len(), 1);
        let page = staff.get(&format!("/dossiers/{dossier}")).await;
        assert!(page.body.contains(&format!(r#"data-remove="{}""#, files[0].id)));
        let before = audit_seq(&store).await;
        let r = staff
            .post_form(&format!("/dossiers/{dossier}/files/{}/delete", files[0].id), &[])
            .await;
        assert_eq!(r.status, 303);
        assert!(store.as_system().dossier_files(&dossier).await.unwrap().is_empty());
        assert_eq!(audit_seq(&store).await, before + 1, "the removal is audited");
        // Once submitted, the parts are locked: nothing can be removed.
        let dossier = complete_dossier(&store, &w.sys_b).await;
        let sys = store.as_system();
        sys.transition(&dossier, khien_domain::dossiers::Transition::Submit, &Default::default())
            .await
            .unwrap();
        let file = sys.dossier_files(&dossier).await.unwrap()[0].id.clone();
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let r = admin
            .post_form(&format!("/dossiers/{dossier}/files/{file}/delete"), &[])
            .await;
        assert!(r.status.as_u16() >= 400, "{}", r.status);
        assert_eq!(sys.dossier_files(&dossier).await.unwrap().len(), 4, "nothing removed");
    }
}

#[tokio::test]
async fn a_refused_request_shows_the_menu_and_no_code() {
    for store in stores().await {
        let w = world(&store).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let r = staff
            .post_form(
                &format!("/systems/{}/level", w.sys_a),
                &[("regime", "nd85-2016"), ("defence_security_harm", "catastrophic")],
            )
            .await;
        assert_eq!(r.status, 400);
        assert!(r.body.contains(r#"class="menu""#), "the error page has the navigation");
        assert!(r.body.contains(r#"id="error-message""#));
        assert!(!r.body.contains("bad_request"));
        assert!(!r.body.contains("Mã lỗi"), "no code for a refusal");
    }
}

#[tokio::test]
async fn hand_offs_name_who_acts_next_and_ask_before_submitting() {
    for store in stores().await {
        let w = world(&store).await;
        let mut names = khien_levels::RoleNames::defaults().unwrap();
        names.name_provincial_parties(Some("Sở Khoa học và Công nghệ"), "Ủy ban nhân dân tỉnh Thử");
        let app = khien_web::app(AppState {
            store: store.clone(),
            config: Arc::new(WebConfig {
                authority_names: Arc::new(names),
                ..WebConfig::default()
            }),
            metrics: Arc::new(Metrics::default()),
        });
        let as_user = |c: Client| Client { app: app.clone(), ..c };
        let staff = as_user(Client::signed_in(&store, &w.user(Role::UnitStaff)).await);
        let manager = as_user(Client::signed_in(&store, &w.user(Role::UnitManager)).await);
        let dossier = complete_dossier(&store, &w.sys_a).await;
        let url = format!("/dossiers/{dossier}");
        let page = staff.get(&url).await;
        assert!(page.body.contains("lãnh đạo/quản lý của đơn vị"), "staff are told who submits");
        assert!(page.body.contains("Sở Khoa học và Công nghệ"), "the appraiser by name");
        assert!(page.body.contains("Ủy ban nhân dân tỉnh Thử"), "the approver by name");
        assert!(page.body.contains("Nghị định 85/2016/NĐ-CP"));
        assert!(!page.body.contains("nd85-2016"), "no regime id");
        assert!(page.body.contains("Hệ thống"), "the platform's uploads");
        assert!(!page.body.contains(r#"<small class="muted">system</small>"#));
        let page = manager.get(&url).await;
        assert!(page.body.contains("đang chờ bạn gửi thẩm định"), "the manager sees it waiting");
        let list = manager.get("/dossiers").await;
        assert_eq!(list.status, 200);
        let row = list.body.split(&format!(r#"href="/dossiers/{dossier}""#)).nth(1).unwrap_or("");
        assert!(row.split("</tr>").next().unwrap_or("").contains("<b>Gửi thẩm định</b>"), "in the manager's list, ready");
        let list = staff.get("/dossiers").await;
        let row = list.body.split(&format!(r#"href="/dossiers/{dossier}""#)).nth(1).unwrap_or("");
        assert!(row.split("</tr>").next().unwrap_or("").contains("quản lý đơn vị gửi thẩm định"), "staff see who submits");
        assert!(!list.body.contains(FOREIGN), "only the unit's dossiers");
        // The cover letter goes with the submission: the manager attaches it.
        let r = manager
            .multipart(&format!("{url}/files"), &[("part", "cover_letter")], "file", "cong-van.pdf", b"%PDF cv")
            .await;
        assert_eq!(r.status, 303);
        let r = staff
            .multipart(&format!("{url}/files"), &[("part", "signed_decision")], "file", "qd.pdf", b"%PDF qd")
            .await;
        assert_eq!(r.status, 403, "a decision is not the staff's to attach");
        let page = manager.get(&url).await;
        let docs = page.body.split(r#"id="step-documents""#).nth(1).unwrap_or("");
        assert!(docs.contains("Công văn đề nghị thẩm định") && docs.contains("cong-van.pdf"));
        let ask = manager.post_form(&format!("{url}/submit"), &[]).await;
        assert_eq!(ask.status, 200);
        assert!(ask.body.contains("Sở Khoa học và Công nghệ"), "{}", ask.body);
        assert_eq!(store.as_system().dossier(&dossier).await.unwrap().status.as_str(), "draft");
        let done = manager.post_form(&format!("{url}/submit"), &[("confirmed", "1")]).await;
        assert_eq!(done.status, 303);
        let page = manager.get(&url).await;
        assert!(
            page.body.contains("Người dùng unit_manager (Quản lý đơn vị, Sở Thử Nghiệm)"),
            "the history names the person and position, not the username"
        );
        assert!(!page.body.contains("<td>a.unitmanager</td>"));
        // A return asks too, and names whom it goes back to.
        let inspector = as_user(Client::signed_in(&store, &w.user(Role::Inspector)).await);
        let ask = inspector
            .post_form(&format!("{url}/return"), &[("reason", "Thiếu sơ đồ mạng")])
            .await;
        assert_eq!(ask.status, 200);
        assert!(ask.body.contains("Sở Thử Nghiệm") && ask.body.contains("Thiếu sơ đồ mạng"));
        let no_reason = inspector.post_form(&format!("{url}/return"), &[]).await;
        refused(&no_reason, "return without a reason");
        assert!(no_reason.body.contains(r#"id="err-reason""#));
    }
}
