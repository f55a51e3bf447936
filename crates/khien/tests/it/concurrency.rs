//! The same write fired concurrently (a double click, two tabs, two workers) lands
//! once: the check and the write share one transaction and the state change is
//! conditional. On both databases.

use khien_domain::Role;
use khien_domain::dossiers::Transition;
use khien_store::Store;
use khien_store::dossiers::TransitionData;

use crate::harness::{Client, blob, count, dossier_for, stores, world};

const TASKS: usize = 8;

/// A level-3 dossier of `system` brought to "appraised" (the step before approval).
async fn appraised_dossier(store: &Store, system: &str) -> String {
    let (_, dossier) = dossier_for(store, system).await;
    let sys = store.as_system();
    for part in ["overview", "design", "level_justification", "security_plan"] {
        let f = blob(store, &format!("{part}.pdf"), format!("%PDF {part}").as_bytes()).await;
        sys.attach_to_dossier(&dossier, part, &f).await.unwrap();
    }
    sys.set_regulation(&dossier, "12/QĐ-QC", "2026-10-01").await.unwrap();
    let data = TransitionData {
        appraisal_opinion: "Đáp ứng".into(),
        ..Default::default()
    };
    for t in [Transition::Submit, Transition::StartAppraisal, Transition::RecordAppraisal] {
        sys.transition(&dossier, t, &data).await.unwrap();
    }
    dossier
}

#[tokio::test]
async fn an_approval_clicked_in_eight_tabs_at_once_is_recorded_once() {
    for store in stores().await {
        let w = world(&store).await;
        let dossier = appraised_dossier(&store, &w.sys_a).await;
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let path = format!("/dossiers/{dossier}/approve");
        let mut tasks = Vec::new();
        for _ in 0..TASKS {
            let (admin, path) = (admin.clone(), path.clone());
            tasks.push(tokio::spawn(async move {
                admin
                    .post_form(
                        &path,
                        &[
                            ("decision_no", "99/QĐ-UBND"),
                            ("decision_date", "01/11/2026"),
                            ("decision_by", "Chủ tịch UBND tỉnh"),
                            ("confirmed", "1"),
                        ],
                    )
                    .await
                    .status
                    .as_u16()
            }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        let ok = statuses.iter().filter(|s| **s == 303).count();
        assert_eq!(ok, 1, "{:?}: exactly one approval lands ({statuses:?})", store.backend);
        assert!(
            statuses.iter().all(|s| [303, 409, 422].contains(s)),
            "the others are refused, not errors: {statuses:?}"
        );
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM dossier_events WHERE dossier_id = $1 AND transition = 'approve'", &dossier).await,
            1
        );
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM audit_log WHERE entity_id = $1 AND action = 'approve'", &dossier).await,
            1
        );
        assert!(store.verify_audit().await.unwrap().first_broken.is_none());
    }
}

#[tokio::test]
async fn new_dossier_versions_made_at_once_never_share_a_number() {
    for store in stores().await {
        let w = world(&store).await;
        let (assessment, _) = dossier_for(&store, &w.sys_a).await;
        let mut tasks = Vec::new();
        for _ in 0..TASKS {
            let (store, assessment) = (store.clone(), assessment.clone());
            tasks.push(tokio::spawn(async move {
                store.as_system().create_dossier(&assessment).await.is_ok()
            }));
        }
        let mut made = 0i64;
        for t in tasks {
            made += i64::from(t.await.unwrap());
        }
        assert!(made >= 1);
        let all = store.as_system().dossiers_of(&w.sys_a).await.unwrap();
        let mut versions: Vec<i64> = all.iter().map(|d| d.version).collect();
        versions.dedup();
        assert_eq!(versions.len(), all.len(), "versions are unique: {versions:?}");
        assert_eq!(all.len() as i64, made + 1, "one row per successful click");
        assert_eq!(
            all.iter().filter(|d| !d.superseded).count(),
            1,
            "exactly one current draft"
        );
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM audit_log WHERE action = 'create' AND entity = 'dossier' AND unit_id = $1", &w.a).await,
            made + 1
        );
    }
}

#[tokio::test]
async fn a_hunt_is_concluded_once_and_finished_once() {
    for store in stores().await {
        let w = world(&store).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let id = store
            .scoped(&staff_principal(&store, &w.user(Role::UnitStaff)).await)
            .record_hunt(&khien_store::hunts::HuntReportIn {
                title: "Săn lùng đồng thời".into(),
                systems: vec![w.sys_a.clone()],
                ..Default::default()
            })
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..TASKS {
            let (staff, id) = (staff.clone(), id.clone());
            let conclusion = if i % 2 == 0 { "clean" } else { "suspicious" };
            tasks.push(tokio::spawn(async move {
                staff
                    .post_form(&format!("/hunts/{id}/conclusion"), &[("conclusion", conclusion)])
                    .await
                    .status
                    .as_u16()
            }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "{statuses:?}");
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM audit_log WHERE entity_id = $1 AND action = 'conclude'", &id).await,
            1
        );
        // A queued hunt finished by two workers stores its detections once.
        let queued = store
            .scoped(&staff_principal(&store, &w.user(Role::UnitStaff)).await)
            .queue_hunt(
                &khien_store::hunts::HuntReportIn {
                    title: "Săn lùng hai worker".into(),
                    systems: vec![w.sys_a.clone()],
                    sources: vec![khien_store::hunts::FileRef {
                        name: "a.log".into(),
                        sha256: "0".repeat(64),
                        size: 1,
                        count: 0,
                    }],
                    ..Default::default()
                },
                true,
            )
            .await
            .unwrap();
        let lease = store
            .claim_job("worker-a", khien_store::jobs::LeasePolicy::default())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(lease.subject_id, queued);
        let rows = vec![
            khien_store::hunts::DetectionRow {
                rule_id: "r".into(),
                rule_title: "R".into(),
                level: "high".into(),
                ..Default::default()
            };
            1200
        ];
        let summary = khien_store::hunts::HuntSummary::default();
        let (a, b) = tokio::join!(
            store.finish_hunt(&lease, &summary, &rows),
            store.finish_hunt(&lease, &summary, &rows)
        );
        assert!(a.is_ok() != b.is_ok(), "one finish lands: {a:?} / {b:?}");
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM hunt_detections WHERE hunt_id = $1", &queued).await,
            1200
        );
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM audit_log WHERE entity_id = $1 AND action = 'finish'", &queued).await,
            1,
            "the bulk insert is one audit entry"
        );
        assert!(store.verify_audit().await.unwrap().first_broken.is_none());
    }
}

async fn staff_principal(store: &Store, user_id: &str) -> khien_domain::Principal {
    let (token, _) = crate::harness::sign_in_direct(store, user_id).await;
    store
        .session(&khien_web::auth::crypto::sha256_hex(&token))
        .await
        .unwrap()
        .unwrap()
        .principal
}

/// A store whose clock stands at `rfc3339`.
fn at(store: &Store, rfc3339: &str) -> Store {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .unwrap();
    store.clone().with_clock(std::sync::Arc::new(move || t))
}

#[tokio::test]
async fn legal_days_are_vietnamese_calendar_days() {
    for store in stores().await {
        let w = world(&store).await;
        let dossier = appraised_dossier(&store, &w.sys_a).await;
        // 17:30 UTC on 31/12 is 00:30 on 01/01 in Vietnam: the approval's stage starts
        // in the new year.
        let late = at(&store, "2026-12-31T17:30:00Z");
        let d = late
            .as_system()
            .transition(
                &dossier,
                Transition::Approve,
                &TransitionData {
                    decision_no: "1/QĐ-UBND".into(),
                    decision_date: "01/01/2027".into(),
                    decision_by: "UBND tỉnh".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(d.stage_started, "2027-01-01");
        assert_eq!(late.today_vn().to_string(), "2027-01-01");
        // A dossier submitted at 06:30 Vietnam time (23:30 UTC the day before) counts
        // its working days from that Vietnamese day.
        let (_, second) = dossier_for(&store, &w.sys_b).await;
        let sys = store.as_system();
        for part in ["overview", "design", "level_justification", "security_plan"] {
            let f = blob(&store, "p.pdf", b"%PDF").await;
            sys.attach_to_dossier(&second, part, &f).await.unwrap();
        }
        let morning = at(&store, "2026-11-30T23:30:00Z");
        let d = morning
            .as_system()
            .transition(&second, Transition::Submit, &TransitionData::default())
            .await
            .unwrap();
        assert_eq!(d.stage_started, "2026-12-01", "06:30 on 01/12 in Vietnam");
        // A stage whose year has no holiday calendar shows that, not "no deadline".
        let far = at(&store, "2031-03-02T03:00:00Z");
        far.as_system()
            .transition(&second, Transition::StartAppraisal, &TransitionData::default())
            .await
            .unwrap();
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let page = admin.get(&format!("/dossiers/{second}")).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("chưa cấu hình lịch nghỉ năm 2031"),
            "the unknown deadline is said"
        );
        // Stored timestamps have a fixed width, so text order is time order.
        let stamp = far.now_text();
        assert_eq!(stamp.len(), "2031-03-02T03:00:00.000000Z".len(), "{stamp}");
    }
}

/// Deactivating a unit while a user is being added to it: either the user lands and
/// the deactivation is refused (the unit is busy), or the unit is deactivated and the
/// user refused — never an inactive unit with an active user.
#[tokio::test]
async fn a_unit_is_never_deactivated_under_a_new_user() {
    for store in stores().await {
        let w = world(&store).await;
        for round in 0..TASKS {
            let unit = store
                .as_system()
                .create_unit(
                    Some(&w.a),
                    &crate::harness::unit_input(&format!("RACE{round}"), &format!("Phòng {round}"), "other")
                        .validate()
                        .unwrap(),
                )
                .await
                .unwrap();
            let (s1, s2, id1, id2) = (store.clone(), store.clone(), unit.id.clone(), unit.id.clone());
            let deactivate = tokio::spawn(async move { s1.as_system().set_unit_active(&id1, false).await.is_ok() });
            let add_user = tokio::spawn(async move {
                s2.as_system()
                    .create_user(khien_store::accounts::NewUser {
                        username: format!("race.user{round}"),
                        display_name: "Người mới".into(),
                        email: None,
                        password_hash: "x".into(),
                        role: Role::UnitStaff,
                        unit_id: id2,
                    })
                    .await
                    .is_ok()
            });
            let (deactivated, added) = (deactivate.await.unwrap(), add_user.await.unwrap());
            assert!(deactivated != added, "round {round}: exactly one of the two lands ({deactivated}, {added})");
            let u = store.as_system().unit(&unit.id).await.unwrap();
            let users = count(&store, "SELECT COUNT(*) FROM users WHERE unit_id = $1 AND active = 1", &unit.id).await;
            assert!(u.active || users == 0, "round {round}: an inactive unit holds {users} active users");
        }
    }
}
