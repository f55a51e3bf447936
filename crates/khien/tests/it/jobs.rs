//! The job queue on both databases: leases, take-over after a worker dies, backoff and
//! the attempt limit, cancellation from the UI, concurrent claims, release at
//! shutdown, and `--no-migrate` refusing an old schema.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use khien_domain::Role;
use khien_store::Store;
use khien_store::jobs::LeasePolicy;

use crate::harness::{Client, stores, world};

const LEASE: LeasePolicy = LeasePolicy {
    lease: Duration::from_secs(60),
};

/// A store whose clock the test moves by hand (seconds after 2026-11-02 03:00 UTC).
fn stepped(store: &Store) -> (Store, Arc<AtomicI64>) {
    let secs = Arc::new(AtomicI64::new(0));
    let t0 = time::OffsetDateTime::parse("2026-11-02T03:00:00Z", &time::format_description::well_known::Rfc3339).unwrap();
    let s = secs.clone();
    let store = store
        .clone()
        .with_clock(Arc::new(move || t0 + time::Duration::seconds(s.load(Ordering::SeqCst))));
    (store, secs)
}

async fn scalar(store: &Store, sql: &str, id: &str) -> String {
    use sqlx::Row;
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(id.to_string())
        .fetch_one(store.raw_pool())
        .await
        .unwrap();
    row.try_get::<String, _>(0)
        .or_else(|_| row.try_get::<i64, _>(0).map(|n| n.to_string()))
        .unwrap()
}

/// Queues a hunt of one stored log through the store, as the upload page does.
async fn queue(store: &Store, user_id: &str, system: &str, title: &str) -> String {
    let log = crate::harness::blob(store, "auth.log", b"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\n").await;
    let (token, _) = crate::harness::sign_in_direct(store, user_id).await;
    let principal = store
        .session(&khien_web::auth::crypto::sha256_hex(&token))
        .await
        .unwrap()
        .unwrap()
        .principal;
    store
        .scoped(&principal)
        .queue_hunt(
            &khien_store::hunts::HuntReportIn {
                title: title.into(),
                systems: vec![system.to_string()],
                sources: vec![khien_store::hunts::FileRef {
                    name: log.filename.clone(),
                    sha256: log.sha256.clone(),
                    size: i64::try_from(log.size).unwrap(),
                    count: 0,
                }],
                ..Default::default()
            },
            true,
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_dead_workers_job_is_taken_over_after_its_lease_runs_out() {
    for store in stores().await {
        let w = world(&store).await;
        let (store, secs) = stepped(&store);
        let hunt = queue(&store, &w.user(Role::UnitStaff), &w.sys_a, "Săn lùng bị gián đoạn").await;
        let first = store.claim_job("worker-1", LEASE).await.unwrap().unwrap();
        assert_eq!((first.subject_id.as_str(), first.attempt), (hunt.as_str(), 1));
        assert_eq!(store.as_system().hunt(&hunt).await.unwrap().status, "running");
        // A live lease is never taken twice.
        assert!(store.claim_job("worker-2", LEASE).await.unwrap().is_none());
        secs.store(50, Ordering::SeqCst);
        assert!(store.heartbeat(&first, 10, LEASE).await.unwrap(), "renewed to 110 s");
        secs.store(100, Ordering::SeqCst);
        assert!(store.claim_job("worker-2", LEASE).await.unwrap().is_none(), "the heartbeat kept it");
        // worker-1 dies: no heartbeat after 50 s; at 111 s its lease has run out. The
        // job is queued again after a backoff of one lease, then worker-2 takes it.
        secs.store(111, Ordering::SeqCst);
        assert!(store.claim_job("worker-2", LEASE).await.unwrap().is_none(), "backoff first");
        assert_eq!(store.as_system().hunt(&hunt).await.unwrap().status, "queued");
        secs.store(172, Ordering::SeqCst);
        let second = store.claim_job("worker-2", LEASE).await.unwrap().unwrap();
        assert_eq!((second.subject_id.as_str(), second.attempt), (hunt.as_str(), 2));
        // worker-1 comes back to life: its lease is gone, it can change nothing.
        assert!(!store.heartbeat(&first, 90, LEASE).await.unwrap());
        let summary = khien_store::hunts::HuntSummary::default();
        let rows = vec![khien_store::hunts::DetectionRow { rule_id: "r".into(), rule_title: "R".into(), level: "high".into(), ..Default::default() }; 3];
        assert!(store.finish_hunt(&first, &summary, &rows).await.is_err(), "a lost lease stores nothing");
        store.finish_hunt(&second, &summary, &rows).await.unwrap();
        let h = store.as_system().hunt(&hunt).await.unwrap();
        assert_eq!(h.status, "done");
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM hunt_detections WHERE hunt_id = $1", &hunt).await, "3");
        let runs = store.job_runs(&first.job_id).await.unwrap();
        let seen: Vec<(i64, &str, Option<&str>)> = runs.iter().map(|r| (r.attempt, r.worker.as_str(), r.outcome.as_deref())).collect();
        assert_eq!(seen, vec![(1, "worker-1", Some("lost")), (2, "worker-2", Some("done"))]);
        let job = store.job_of("hunt", &hunt).await.unwrap().unwrap();
        assert_eq!((job.state.as_str(), job.attempts), ("done", 2));
        assert!(store.verify_audit().await.unwrap().first_broken.is_none());
    }
}

#[tokio::test]
async fn a_job_that_keeps_losing_its_worker_fails_with_the_reason_after_three_attempts() {
    for store in stores().await {
        let w = world(&store).await;
        let (store, secs) = stepped(&store);
        let hunt = queue(&store, &w.user(Role::UnitStaff), &w.sys_a, "Săn lùng không bao giờ xong").await;
        let mut t = 0;
        for attempt in 1..=3 {
            // Wait out the backoff (one lease, doubled per attempt) and claim.
            let lease = loop {
                if let Some(l) = store.claim_job(&format!("worker-{attempt}"), LEASE).await.unwrap() {
                    break l;
                }
                t += 30;
                secs.store(t, Ordering::SeqCst);
                assert!(t < 2000, "attempt {attempt} never became ready");
            };
            assert_eq!(lease.attempt, attempt);
            t += 61;
            secs.store(t, Ordering::SeqCst);
        }
        assert!(store.claim_job("worker-4", LEASE).await.unwrap().is_none());
        let job = store.job_of("hunt", &hunt).await.unwrap().unwrap();
        assert_eq!(job.state, "failed");
        assert!(job.error.as_deref().unwrap().contains("worker-3 stopped renewing its lease (attempt 3 of 3)"), "{:?}", job.error);
        let h = store.as_system().hunt(&hunt).await.unwrap();
        assert_eq!(h.status, "failed");
        assert!(h.error.unwrap().contains("attempt 3 of 3"));
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM audit_log WHERE entity_id = $1 AND action = 'fail'", &hunt).await, "1");
        let outcomes: Vec<_> = store.job_runs(&job.id).await.unwrap().into_iter().map(|r| r.outcome).collect();
        assert_eq!(outcomes, vec![Some("lost".into()); 3]);
    }
}

#[tokio::test]
async fn a_hunt_is_cancelled_from_its_page_queued_or_running() {
    for store in stores().await {
        let w = world(&store).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let viewer = Client::signed_in(&store, &w.user(Role::Viewer)).await;
        // Queued: cancelled before any worker sees it.
        let queued = queue(&store, &w.user(Role::UnitStaff), &w.sys_a, "Săn lùng sẽ hủy").await;
        let page = staff.get(&format!("/hunts/{queued}")).await;
        assert!(page.body.contains("id=\"cancel-hunt\""), "the page offers Cancel");
        assert!(!viewer.get(&format!("/hunts/{queued}")).await.body.contains("id=\"cancel-hunt\""));
        assert_eq!(viewer.post_form(&format!("/hunts/{queued}/cancel"), &[]).await.status, 403);
        let r = staff.post_form(&format!("/hunts/{queued}/cancel"), &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(store.as_system().hunt(&queued).await.unwrap().status, "cancelled");
        assert!(store.claim_job("worker-1", LEASE).await.unwrap().is_none(), "nothing left to run");
        let page = staff.get(&format!("/hunts/{queued}")).await;
        assert!(page.body.contains("Đã hủy") && !page.body.contains("id=\"cancel-hunt\""));
        // Twice: the second click says it has ended, in Vietnamese, and changes nothing.
        let again = staff.post_form(&format!("/hunts/{queued}/cancel"), &[]).await;
        assert_eq!(again.status, 400, "a refusal by the state of the job");
        assert!(again.body.contains("không thể hủy"), "{}", again.body);
        // Running: the worker learns it at its next heartbeat and stores nothing.
        let running = queue(&store, &w.user(Role::UnitStaff), &w.sys_a, "Săn lùng đang chạy sẽ hủy").await;
        let lease = store.claim_job("worker-1", LEASE).await.unwrap().unwrap();
        assert_eq!(staff.post_form(&format!("/hunts/{running}/cancel"), &[]).await.status, 303);
        assert!(!store.heartbeat(&lease, 50, LEASE).await.unwrap());
        let rows = vec![khien_store::hunts::DetectionRow::default(); 2];
        assert!(store.finish_hunt(&lease, &Default::default(), &rows).await.is_err());
        assert_eq!(store.as_system().hunt(&running).await.unwrap().status, "cancelled");
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM hunt_detections WHERE hunt_id = $1", &running).await, "0");
        // Audited on the hunt, so its history says who stopped it.
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM audit_log WHERE entity = 'hunt' AND entity_id = $1 AND action = 'cancel'", &running).await, "1");
        // Another unit's hunt cannot be cancelled (or seen) from unit A.
        let r = staff.post_form(&format!("/hunts/{}/cancel", w.hunt_b), &[]).await;
        assert_eq!(r.status, 404);
        assert!(store.verify_audit().await.unwrap().first_broken.is_none());
    }
}

#[tokio::test]
async fn eight_workers_claiming_at_once_take_five_jobs_once_each() {
    for store in stores().await {
        let w = world(&store).await;
        let mut hunts = Vec::new();
        for i in 0..5 {
            hunts.push(queue(&store, &w.user(Role::UnitStaff), &w.sys_a, &format!("Săn lùng {i}")).await);
        }
        let mut tasks = Vec::new();
        for i in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move { store.claim_job(&format!("worker-{i}"), LEASE).await }));
        }
        let mut claimed = Vec::new();
        for t in tasks {
            if let Some(l) = t.await.unwrap().unwrap() {
                claimed.push(l.subject_id);
            }
        }
        claimed.sort();
        hunts.sort();
        assert_eq!(claimed, hunts, "every job once, none twice");
    }
}

#[tokio::test]
async fn a_worker_shutting_down_gives_its_job_back_without_using_an_attempt() {
    for store in stores().await {
        let w = world(&store).await;
        let hunt = queue(&store, &w.user(Role::UnitStaff), &w.sys_a, "Săn lùng khi khởi động lại").await;
        let lease = store.claim_job("worker-1", LEASE).await.unwrap().unwrap();
        store.release_job(&lease).await.unwrap();
        assert_eq!(store.as_system().hunt(&hunt).await.unwrap().status, "queued");
        let again = store.claim_job("worker-2", LEASE).await.unwrap().unwrap();
        assert_eq!(again.attempt, 1, "a release is not a failed attempt");
    }
}

#[tokio::test]
async fn the_worker_runs_a_queued_hunt_and_records_one_run() {
    for store in stores().await {
        let w = world(&store).await;
        let hunt = queue(&store, &w.user(Role::UnitStaff), &w.sys_a, "Săn lùng một lần").await;
        assert_eq!(khien::jobs::run_pending(&store, &crate::harness::worker()).await.unwrap(), 1);
        let h = store.as_system().hunt(&hunt).await.unwrap();
        assert_eq!(h.status, "done", "{:?}", h.error);
        assert_eq!(h.summary.unwrap().events, 1);
        let job = store.job_of("hunt", &hunt).await.unwrap().unwrap();
        assert_eq!((job.state.as_str(), job.progress), ("done", 100));
        let runs = store.job_runs(&job.id).await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].outcome.as_deref(), Some("done"));
        assert_eq!(khien::jobs::run_pending(&store, &crate::harness::worker()).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn no_migrate_refuses_a_schema_older_than_the_binary() {
    let dir = crate::harness::tempdir();
    let url = format!("sqlite://{}", dir.join("old.db").display());
    let options = khien_store::DbOptions {
        migrate: false,
        ..Default::default()
    };
    let clock: khien_store::Clock = Arc::new(time::OffsetDateTime::now_utc);
    let err = Store::connect_with(&url, clock.clone(), &options)
        .await
        .err()
        .expect("an empty database is behind");
    assert!(err.to_string().contains("run `khien migrate` first"), "{err}");
    let migrated = Store::connect(&url, clock.clone()).await.unwrap();
    let status = migrated.schema_status().await.unwrap();
    assert_eq!(status.applied, status.known);
    migrated.close().await;
    Store::connect_with(&url, clock, &options).await.unwrap().close().await;
}
