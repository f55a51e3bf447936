//! The audit trail: every write leaves a chained entry, and `khien audit verify` finds the
//! first broken link after a row is edited by hand.

use std::process::Command;

use crate::harness::{Client, stores_with_url, world};

fn verify_cli(url: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_khien"))
        .args(["audit", "verify", "--database-url", url])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn editing_any_audit_row_breaks_the_chain() {
    for (store, url) in stores_with_url().await {
        let w = world(&store).await;
        let report = store.verify_audit().await.unwrap();
        assert_eq!(report.first_broken, None);
        assert!(
            report.entries >= 14,
            "the world's writes are audited: {}",
            report.entries
        );
        // Writes through the web are audited too, with before and after.
        let admin = &w.users_a[0].1;
        let c = Client::signed_in(&store, admin).await;
        let r = c
            .post_form(
                &format!("/units/{}", w.a),
                &[
                    ("parent_id", &w.root),
                    ("code", "A"),
                    ("name", "Sở Thử Nghiệm Đã Đổi Tên"),
                    ("kind", "department"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let history = store.as_system().history("unit", &w.a).await.unwrap();
        assert_eq!(history[0].action, "update");
        assert!(
            history[0].before.contains("Sở Thử Nghiệm") && history[0].after.contains("Đã Đổi Tên")
        );
        assert_eq!(history[0].actor_id, *admin);
        let (code, out) = verify_cli(&url);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("intact"));

        // Edit one entry's content by hand, as an intruder with database access would.
        sqlx::query("UPDATE audit_log SET after_json = REPLACE(after_json, 'Sở Thử Nghiệm', 'Sở Khác') WHERE seq = 2")
            .execute(store.raw_pool())
            .await
            .unwrap();
        assert_eq!(
            store
                .verify_audit()
                .await
                .unwrap()
                .first_broken
                .map(|b| b.0),
            Some(2)
        );
        let (code, out) = verify_cli(&url);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("BROKEN at entry 2"), "{out}");
        store.close().await;
    }
}

#[tokio::test]
async fn deleting_the_last_audit_row_is_detected() {
    for (store, _) in stores_with_url().await {
        world(&store).await;
        sqlx::query("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
            .execute(store.raw_pool())
            .await
            .unwrap();
        let r = store.verify_audit().await.unwrap();
        assert!(
            r.first_broken.is_some(),
            "a truncated tail must be reported"
        );
    }
}
