//! Rights, not only visibility: the unit that operates another unit's system sees it
//! and does the operator's work on it (plan evidence, hunts), but does not rewrite its
//! record, take it over, or make or submit its level dossier; moving a system to
//! another owner is a province administrator's act. On both databases.

use khien_domain::Role;

use crate::harness::{Client, stores, world};

/// The edit form of a system as posted, with the owner and operator given.
fn system_form(name: &str, owner: &str, operator: &str) -> Vec<(String, String)> {
    [
        ("name", name),
        ("owner_unit_id", owner),
        ("operator_unit_id", operator),
        ("system_type", "citizen_business"),
        ("status", "operating"),
        ("go_live_date", "01/03/2024"),
        ("information_types", "private"),
        ("information_types", "personal"),
        ("personal_subjects", "12000"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

async fn post(c: &Client, path: &str, form: &[(String, String)]) -> u16 {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    c.post_form(path, &pairs).await.status.as_u16()
}

#[tokio::test]
async fn the_operator_runs_the_system_but_the_owner_decides_about_it() {
    for store in stores().await {
        let w = world(&store).await;
        // B's system, operated by A: named so by B (through the store, as B's act).
        let mut fields = store.as_system().system(&w.sys_b).await.unwrap().fields;
        fields.operator_unit_id = w.a.clone();
        store.as_system().update_system(&w.sys_b, &fields).await.unwrap();
        let name = fields.name.clone();

        for role in [Role::UnitManager, Role::UnitStaff] {
            let op = Client::signed_in(&store, &w.user(role)).await;
            // Sees it and its dossier.
            assert_eq!(op.get(&format!("/systems/{}", w.sys_b)).await.status, 200);
            assert_eq!(op.get(&format!("/dossiers/{}", w.dossier_b)).await.status, 200);
            // Does not rewrite its record, nor take it over.
            let edit = system_form(&format!("{name} (sửa)"), &w.b, &w.a);
            assert_eq!(post(&op, &format!("/systems/{}", w.sys_b), &edit).await, 403, "{role:?} edits");
            let takeover = system_form(&name, &w.a, &w.a);
            assert_eq!(post(&op, &format!("/systems/{}", w.sys_b), &takeover).await, 403, "{role:?} takes over");
            // Neither makes nor submits nor fills the owner's dossier.
            assert_eq!(
                post(&op, &format!("/systems/{}/dossiers", w.sys_b), &[]).await,
                403,
                "{role:?} opens a dossier"
            );
            assert_eq!(
                post(&op, &format!("/dossiers/{}/submit", w.dossier_b), &[]).await,
                403,
                "{role:?} submits"
            );
            let r = op
                .multipart(&format!("/dossiers/{}/files", w.dossier_b), &[("part", "design")], "file", "x.pdf", b"%PDF")
                .await;
            assert_eq!(r.status, 403, "{role:?} attaches to the owner's dossier");
            // Does the operator's work: plan evidence.
            let r = op
                .multipart(
                    &format!("/systems/{}/plan/{}/evidence", w.sys_b, w.requirement_key),
                    &[],
                    "file",
                    "nhat-ky-van-hanh.pdf",
                    b"%PDF van hanh",
                )
                .await;
            assert_eq!(r.status, 303, "{role:?} adds plan evidence");
        }
        let after = store.as_system().system(&w.sys_b).await.unwrap();
        assert_eq!(after.fields.owner_unit_id, w.b, "the owner is still B");
        assert_eq!(after.fields.name, name, "the record is unchanged");

        // The owner's own staff may edit, but not hand the system to another owner.
        let owner = Client::signed_in(&store, &w.user_b).await;
        let rename = system_form(&format!("{name} (B sửa)"), &w.b, &w.a);
        assert_eq!(post(&owner, &format!("/systems/{}", w.sys_b), &rename).await, 303);
        let away = system_form(&name, &w.a, &w.a);
        assert_ne!(post(&owner, &format!("/systems/{}", w.sys_b), &away).await, 303);
        assert_eq!(store.as_system().system(&w.sys_b).await.unwrap().fields.owner_unit_id, w.b);

        // A province administrator may move it, and the move is audited.
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let moved = system_form(&name, &w.a, &w.a);
        assert_eq!(post(&admin, &format!("/systems/{}", w.sys_b), &moved).await, 303);
        assert_eq!(store.as_system().system(&w.sys_b).await.unwrap().fields.owner_unit_id, w.a);
        let history = store.as_system().history("system", &w.sys_b).await.unwrap();
        assert!(
            history.iter().any(|e| e.action == "update" && e.after.contains(&w.a) && e.before.contains(&w.b)),
            "the change of owner is in the system's history"
        );
    }
}
