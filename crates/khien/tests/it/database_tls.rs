//! PostgreSQL over TLS as libpq spells it: `sslmode=verify-full` with the deployment's
//! CA file connects (and the session is encrypted); a certificate from another CA is
//! refused; the statement timeout set on every connection cancels a long statement.
//! scripts/test serves the test PostgreSQL with a throwaway CA (KHIEN_TEST_PG_CA).

use std::sync::Arc;
use std::time::Duration;

use khien_store::{DbOptions, Store};
use sqlx::Row;

/// A fresh database of its own on the test server, and the test CA's file.
async fn base_and_ca() -> (String, String) {
    let base = std::env::var("KHIEN_TEST_DATABASE_URL")
        .expect("KHIEN_TEST_DATABASE_URL is not set: scripts/test starts a PostgreSQL");
    let ca = std::env::var("KHIEN_TEST_PG_CA").expect(
        "KHIEN_TEST_PG_CA is not set: scripts/test serves PostgreSQL over TLS with a test CA and names its file here",
    );
    let (store, url) = crate::harness::fresh_postgres(&base).await;
    store.close().await;
    (url, ca)
}

fn with_params(url: &str, params: &str) -> String {
    format!("{url}{}{params}", if url.contains('?') { '&' } else { '?' })
}

fn clock() -> khien_store::Clock {
    Arc::new(time::OffsetDateTime::now_utc)
}

#[tokio::test]
async fn verify_full_with_the_ca_file_connects_encrypted_and_another_ca_is_refused() {
    let (url, ca) = base_and_ca().await;
    let good = with_params(&url, &format!("sslmode=verify-full&sslrootcert={ca}"));
    let store = Store::connect(&good, clock()).await.expect("verify-full with the right CA");
    let encrypted: bool = sqlx::query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(store.raw_pool())
        .await
        .unwrap()
        .try_get("ssl")
        .unwrap();
    assert!(encrypted, "the session is encrypted");
    store.close().await;
    let other = std::path::Path::new(&ca).with_file_name("other-ca.pem");
    let bad = with_params(&url, &format!("sslmode=verify-full&sslrootcert={}", other.display()));
    let options = DbOptions {
        acquire_timeout: Duration::from_secs(5),
        ..Default::default()
    };
    let err = Store::connect_with(&bad, clock(), &options)
        .await
        .err()
        .expect("a server certificate from an unknown CA is refused");
    let text = format!("{err}").to_lowercase();
    assert!(text.contains("certificate") || text.contains("tls") || text.contains("unknownissuer"), "{text}");
}

#[tokio::test]
async fn the_statement_timeout_cancels_a_runaway_statement() {
    let (url, _) = base_and_ca().await;
    let options = DbOptions {
        statement_timeout: Some(Duration::from_millis(300)),
        ..Default::default()
    };
    let store = Store::connect_with(&url, clock(), &options).await.unwrap();
    let err = sqlx::query("SELECT pg_sleep(3)")
        .execute(store.raw_pool())
        .await
        .expect_err("cancelled after 300 ms");
    assert!(err.to_string().contains("statement timeout"), "{err}");
    store.close().await;
}
