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

/// Whoever can write the database can recompute the whole chain, and `verify` alone
/// then says intact; a head signed earlier with the deployment's key (kept outside the
/// database) still catches it.
#[tokio::test]
async fn a_recomputed_chain_is_caught_by_an_anchor_signed_before() {
    use khien_domain::audit::{AuditContent, GENESIS, chain_hash};
    use sqlx::Row;
    const KEY: &str = "khoa-neo-nhat-ky-cua-tinh-thu-0123456789";
    for (store, url) in stores_with_url().await {
        world(&store).await;
        let anchors = crate::harness::tempdir().join("anchors.jsonl");
        let cli = |args: &[&str]| {
            let out = Command::new(env!("CARGO_BIN_EXE_khien"))
                .args(args)
                .args(["--database-url", &url])
                .env("KHIEN_AUDIT_KEY", KEY)
                .output()
                .unwrap();
            (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
        };
        let (code, out) = cli(&["audit", "anchor", "--out", anchors.to_str().unwrap()]);
        assert_eq!(code, 0, "{out}");
        assert_eq!(cli(&["audit", "verify", "--anchors", anchors.to_str().unwrap()]).0, 0);
        // Rewrite entry 3 and recompute every hash after it, and the head.
        let pool = store.raw_pool();
        sqlx::query("UPDATE audit_log SET after_json = '{\"forged\":true}' WHERE seq = 3")
            .execute(pool)
            .await
            .unwrap();
        let rows = sqlx::query("SELECT seq, hash_version, at, actor_id, actor_name, unit_id, unit_path, client_addr, action, entity, entity_id, before_json, after_json FROM audit_log ORDER BY seq")
            .fetch_all(pool)
            .await
            .unwrap();
        let mut prev = GENESIS.to_string();
        for r in &rows {
            let s = |c: &str| r.try_get::<String, _>(c).unwrap();
            let (at, actor_id, actor_name, unit_id, unit_path) =
                (s("at"), s("actor_id"), s("actor_name"), s("unit_id"), s("unit_path"));
            let (action, entity, entity_id, before, after) =
                (s("action"), s("entity"), s("entity_id"), s("before_json"), s("after_json"));
            let client_addr = s("client_addr");
            let seq: i64 = r.try_get("seq").unwrap();
            let v: i16 = r.try_get("hash_version").unwrap();
            let hash = chain_hash(
                &prev,
                &AuditContent {
                    seq,
                    at: &at,
                    actor_id: &actor_id,
                    actor_name: &actor_name,
                    unit_id: &unit_id,
                    unit_path: (v >= 2).then_some(unit_path.as_str()),
                    client_addr: (v >= 3).then_some(client_addr.as_str()),
                    action: &action,
                    entity: &entity,
                    entity_id: &entity_id,
                    before: &before,
                    after: &after,
                },
            );
            sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
                .bind(prev.clone())
                .bind(hash.clone())
                .bind(seq)
                .execute(pool)
                .await
                .unwrap();
            prev = hash;
        }
        sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
            .bind(prev)
            .execute(pool)
            .await
            .unwrap();
        let (code, out) = verify_cli(&url);
        assert_eq!(code, 0, "the recomputed chain is self-consistent: {out}");
        let (code, out) = cli(&["audit", "verify", "--anchors", anchors.to_str().unwrap()]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("rewritten"), "{out}");
        // A different key does not vouch for the anchors.
        let out = Command::new(env!("CARGO_BIN_EXE_khien"))
            .args(["audit", "verify", "--anchors", anchors.to_str().unwrap(), "--database-url", &url])
            .env("KHIEN_AUDIT_KEY", "mot-khoa-khac-hoan-toan-0123456789abcdef")
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("signature does not match"));
    }
}
