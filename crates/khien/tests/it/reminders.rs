//! Reminders (issue 12 item 2) delivered to a real SMTP server on 127.0.0.1 (aiosmtpd,
//! started by scripts/test: KHIEN_TEST_SMTP=host:port, KHIEN_TEST_SMTP_DIR where it
//! writes each message): the sweep as a job scheduled once a day, run again, on a
//! second store instance and on two at once, with the clock stepped — each person
//! gets each reminder once, in the app and by e-mail, and nothing after a restart.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use khien_domain::Role;
use khien_store::Store;
use khien_web::notifications::sweep::sweep;
use sqlx::Row;

use crate::harness::*;
use crate::incident_clocks::{at_base, incident_of_a};

fn smtp() -> (khien::mail::SmtpConfig, std::path::PathBuf) {
    let addr = std::env::var("KHIEN_TEST_SMTP").unwrap_or_else(|_| {
        panic!("KHIEN_TEST_SMTP is not set: the reminder tests must send to a real SMTP server (scripts/test starts aiosmtpd on 127.0.0.1 and sets it, with KHIEN_TEST_SMTP_DIR).")
    });
    let dir = std::env::var("KHIEN_TEST_SMTP_DIR").expect("KHIEN_TEST_SMTP_DIR: where the test SMTP server writes messages");
    let (host, port) = addr.rsplit_once(':').expect("KHIEN_TEST_SMTP=host:port");
    (
        khien::mail::SmtpConfig {
            host: host.into(),
            port: port.parse().unwrap(),
            from: "khien@so-khcn.example.gov.vn".into(),
            starttls: false,
            timeout: std::time::Duration::from_secs(10),
        },
        dir.into(),
    )
}

/// Messages the SMTP server received for this database's outbox: outbox id → the
/// envelope recipients of each copy received.
fn received(dir: &std::path::Path, outbox: &HashMap<String, String>) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().and_then(|x| x.to_str()) != Some("eml") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let rcpt = text.lines().next().unwrap().trim_start_matches("X-Rcpt: ").to_string();
        let Some(mid) = text.lines().find_map(|l| l.strip_prefix("Message-ID: <")) else {
            continue;
        };
        let id = mid.split('@').next().unwrap().to_string();
        if outbox.contains_key(&id) {
            out.entry(id).or_default().push(rcpt);
        }
    }
    out
}

/// Every outbox row of the database: id → address.
async fn outbox(store: &Store) -> HashMap<String, String> {
    sqlx::query("SELECT id, to_addr FROM mail_outbox")
        .fetch_all(store.raw_pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("id").unwrap(), r.try_get("to_addr").unwrap()))
        .collect()
}

async fn reminder_keys(store: &Store, user: &str) -> Vec<(String, String)> {
    sqlx::query("SELECT subject, stage FROM reminders WHERE user_id = $1 ORDER BY subject, stage")
        .bind(user.to_string())
        .fetch_all(store.raw_pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("subject").unwrap(), r.try_get("stage").unwrap()))
        .collect()
}

/// Each outbox e-mail was received exactly once, by its address; returns how many.
fn each_once(dir: &std::path::Path, outbox: &HashMap<String, String>) -> usize {
    let got = received(dir, outbox);
    for (id, to) in outbox {
        assert_eq!(got.get(id).map(Vec::as_slice), Some(&[to.clone()][..]), "e-mail {id} to {to}: received {:?}", got.get(id));
    }
    got.len()
}

#[tokio::test]
async fn reminders_reach_the_people_responsible_once_in_the_app_and_by_mail() {
    let (smtp, dir) = smtp();
    for (base_store, url) in stores_with_url().await {
        let w = world(&base_store).await;
        let (store, clock) = at_base(&base_store);
        sqlx::query("UPDATE users SET email = username || '@example.gov.vn'").execute(store.raw_pool()).await.unwrap();
        let incident = incident_of_a(&store, &w).await;
        let breach = format!("incident:{incident}:personal_data_breach_notice");
        let notification = format!("incident:{incident}:notification");
        let hunt = format!("system:{}:hunt", w.sys_a);
        let (manager, staff, admin, responder) = (w.user(Role::UnitManager), w.user(Role::UnitStaff), w.user(Role::ProvinceAdmin), w.user(Role::Responder));

        // The day's sweep is scheduled once, however many times it is asked for.
        let first = khien::jobs::schedule_sweep(&store).await.unwrap();
        assert!(first.is_some());
        assert_eq!(khien::jobs::schedule_sweep(&store).await.unwrap(), None);
        let mut config = worker();
        config.smtp = Some(Arc::new(smtp.clone()));
        assert_eq!(khien::jobs::run_pending(&store, &config).await.unwrap(), 1);
        let job = store.job_of(khien_store::reminders::SWEEP_JOB_KIND, "2026-08-10").await.unwrap().unwrap();
        assert_eq!(job.state, "done", "{:?}", job.error);

        // A's manager and IT officer: the breach notice due in 3 days, the hunt never
        // done; not the notification (due in more than a week).
        for u in [&manager, &staff] {
            let keys = reminder_keys(&store, u).await;
            assert!(keys.contains(&(breach.clone(), "7d".into())), "{keys:?}");
            assert!(keys.contains(&(hunt.clone(), "1d".into())), "{keys:?}");
            assert!(!keys.iter().any(|(s, _)| s == &notification), "{keys:?}");
        }
        // The department's administrator: this week's digest, nothing of A's duties.
        let admin_keys = reminder_keys(&store, &admin).await;
        assert_eq!(admin_keys, vec![("province".to_string(), "weekly".to_string())]);
        // Neither B's officer nor the response team is reminded of A's incident.
        for u in [&w.user_b, &responder] {
            assert!(!reminder_keys(&store, u).await.iter().any(|(s, _)| s.contains(&incident)), "{u}");
        }
        let mails = outbox(&store).await;
        let n1 = mails.len();
        assert!(n1 >= 5, "{mails:?}");
        assert_eq!(each_once(&dir, &mails), n1);

        // In the app: the bell counts them, the page lists them, reading clears them.
        let c = Client::signed_in(&store, &manager).await;
        let home = c.get("/").await.body;
        let count = reminder_keys(&store, &manager).await.len();
        assert!(home.contains(&format!(r#"<span class="count" id="bell-count">{count}</span>"#)), "the bell");
        let list = c.get("/notifications").await.body;
        assert!(list.contains("Thông báo vi phạm dữ liệu cá nhân") && list.contains("13/08/2026 08:30"), "{list}");
        assert_eq!(c.post_form("/notifications/read", &[("all", "1")]).await.status, 303);
        assert!(!c.get("/").await.body.contains(r#"id="bell-count""#));
        // Another user's reminders are not theirs to read.
        let other: String = sqlx::query("SELECT id FROM reminders WHERE user_id = $1").bind(staff.clone()).fetch_one(store.raw_pool()).await.unwrap().try_get("id").unwrap();
        assert_eq!(c.post_form("/notifications/read", &[("id", &other)]).await.status, 303);
        let unread: i64 = sqlx::query("SELECT COUNT(*) AS n FROM reminders WHERE id = $1 AND read_at IS NULL").bind(other).fetch_one(store.raw_pool()).await.unwrap().try_get("n").unwrap();
        assert_eq!(unread, 1);

        // The same day again, and on a second server on the same database: nothing new.
        let cfg = config.sweep.clone().unwrap();
        assert_eq!(sweep(&store, &cfg).await.unwrap().reminders_created, 0);
        let second = Store::connect(&url, clock_of(&clock)).await.unwrap().with_blob_dir(tempdir());
        assert_eq!(sweep(&second, &cfg).await.unwrap().reminders_created, 0);
        assert_eq!(khien::mail::drain_outbox(&second, &smtp).await.unwrap(), khien::mail::Delivery::default());

        // Two days on: the breach notice is due within a day, the notification within
        // a week; two workers sweep at once, each reminder is made once.
        clock.store(2 * 86_400 + 3_600, Ordering::SeqCst);
        let (a, b) = tokio::join!(sweep(&store, &cfg), sweep(&second, &cfg));
        let made = a.unwrap().reminders_created + b.unwrap().reminders_created;
        for u in [&manager, &staff] {
            let keys = reminder_keys(&store, u).await;
            assert!(keys.contains(&(breach.clone(), "1d".into())) && keys.contains(&(notification.clone(), "7d".into())), "{keys:?}");
            assert_eq!(keys.iter().filter(|(s, _)| s == &hunt).count(), 1, "a duty never done is reminded once: {keys:?}");
        }
        let mails = outbox(&store).await;
        assert_eq!(mails.len(), n1 + made, "one e-mail per new reminder");
        assert!(made >= 4, "{made}");
        let (da, db) = tokio::join!(khien::mail::drain_outbox(&store, &smtp), khien::mail::drain_outbox(&second, &smtp));
        assert_eq!(da.unwrap().sent + db.unwrap().sent, made);
        assert_eq!(each_once(&dir, &mails), n1 + made);

        // A restart: a new process, its worker and scheduler — nothing is sent twice.
        let restarted = Store::connect(&url, clock_of(&clock)).await.unwrap().with_blob_dir(tempdir());
        assert!(khien::jobs::schedule_sweep(&restarted).await.unwrap().is_some(), "a new day's sweep");
        assert_eq!(khien::jobs::run_pending(&restarted, &config).await.unwrap(), 1);
        let mails_after = outbox(&restarted).await;
        assert_eq!(mails_after.len(), mails.len(), "the restart created no reminder");
        assert_eq!(each_once(&dir, &mails_after), mails.len());
        let sent: i64 = sqlx::query("SELECT COUNT(*) AS n FROM mail_outbox WHERE state = 'sent'").fetch_one(store.raw_pool()).await.unwrap().try_get("n").unwrap();
        assert_eq!(sent as usize, mails.len());
        second.close().await;
        restarted.close().await;
    }
}

/// The clock of [`at_base`] for another store instance.
fn clock_of(offset: &Arc<std::sync::atomic::AtomicI64>) -> khien_store::Clock {
    let o = offset.clone();
    Arc::new(move || crate::incident_clocks::base() + time::Duration::seconds(o.load(Ordering::SeqCst)))
}
