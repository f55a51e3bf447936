//! Sign-ins while a 50,000-detection hunt is being stored (issue 7, item 5).
//!
//! Measures the database part of a sign-in (the session row and its audit entry, one
//! write transaction: what a sign-in waits for when another write holds the lock) on
//! an idle database, then again while one task stores a hunt with 50,000 detections.
//! Prints one JSON object. Built as an example of the `khien` crate:
//!
//!     cargo run --release -p khien --example write-contention -- [DATABASE_URL]
//!
//! Without an argument it uses a fresh SQLite file in a temporary directory.

// A benchmark owns its clock.
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use khien_domain::units::UnitInput;
use khien_store::Store;
use khien_store::accounts::NewUser;
use khien_store::hunts::{DetectionRow, HuntReportIn};

const DETECTIONS: usize = 50_000;
const IDLE_SIGN_INS: usize = 200;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(mut ms: Vec<f64>) -> serde_json::Value {
    ms.sort_by(f64::total_cmp);
    serde_json::json!({
        "n": ms.len(),
        "p50_ms": percentile(&ms, 0.5),
        "p99_ms": percentile(&ms, 0.99),
        "max_ms": ms.last().copied().unwrap_or(f64::NAN),
    })
}

/// One sign-in's writes; returns its latency in milliseconds, or the error.
async fn sign_in(store: &Store, user_id: &str, n: usize) -> Result<f64, String> {
    let started = Instant::now();
    let expires = "2099-01-01T00:00:00.000000Z";
    store
        .create_session(user_id, &format!("{n:064x}"), "csrf", false, expires, None, None)
        .await
        .map_err(|e| e.to_string())?;
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("khien-contention-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| format!("sqlite://{}/khien.db", dir.display()));
    let store = Store::connect(&url, Arc::new(time::OffsetDateTime::now_utc)).await?;
    let sys = store.as_system();
    // Codes unique per run, so several runs can share one PostgreSQL database.
    let run = std::process::id();
    let unit_fields = |code: &str, kind: &str| {
        UnitInput {
            code: format!("{code}{run}"),
            name: format!("Đơn vị {code}"),
            kind: kind.into(),
            ..Default::default()
        }
        .validate()
    };
    let root = sys
        .create_unit(None, &unit_fields("ROOT", "province").map_err(|e| format!("{e:?}"))?)
        .await?;
    let unit = sys
        .create_unit(Some(&root.id), &unit_fields("A", "department").map_err(|e| format!("{e:?}"))?)
        .await?;
    let user = sys
        .create_user(NewUser {
            username: format!("nguoidung{run}"),
            display_name: "Người dùng".into(),
            email: None,
            password_hash: "x".into(),
            role: khien_domain::Role::UnitStaff,
            unit_id: unit.id.clone(),
        })
        .await?;
    let system = sys
        .create_system(
            &khien_domain::systems::SystemInput {
                name: "Hệ thống thử".into(),
                owner_unit_id: unit.id.clone(),
                system_type: "internal".into(),
                status: "operating".into(),
                go_live_date: "01/03/2024".into(),
                information_types: "private".into(),
                ..Default::default()
            }
            .validate()
            .map_err(|e| format!("{e:?}"))?,
        )
        .await?;

    let mut idle = Vec::new();
    for n in 0..IDLE_SIGN_INS {
        idle.push(sign_in(&store, &user.id, n).await?);
    }

    let report = HuntReportIn {
        title: "Săn lùng 50.000 phát hiện".into(),
        systems: vec![system],
        detections: (0..DETECTIONS)
            .map(|i| DetectionRow {
                timestamp: Some("2026-11-30T01:02:03Z".into()),
                source: "Security.evtx".into(),
                computer: format!("PC-{}", i % 300),
                channel: "Security".into(),
                event_id: Some(4625),
                rule_id: format!("rule-{}", i % 40),
                rule_title: "Đăng nhập thất bại liên tiếp".into(),
                level: "high".into(),
                author: "Khiên".into(),
                tags: vec!["attack.t1110".into()],
                matched: serde_json::json!({ "TargetUserName": format!("user{i}") }),
            })
            .collect(),
        ..Default::default()
    };
    let hunt_store = store.clone();
    let hunt_started = Instant::now();
    let hunt = tokio::spawn(async move {
        let r = hunt_store.as_system().record_hunt(&report).await;
        (r.map(|_| ()).map_err(|e| e.to_string()), hunt_started.elapsed())
    });
    // Let the hunt's transaction begin before the first sign-in.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut during = Vec::new();
    let mut errors = Vec::new();
    let mut n = IDLE_SIGN_INS;
    while !hunt.is_finished() {
        n += 1;
        match sign_in(&store, &user.id, n).await {
            Ok(ms) => during.push(ms),
            Err(e) => errors.push(e),
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (hunt_result, hunt_time) = hunt.await?;
    println!(
        "{}",
        serde_json::json!({
            "backend": format!("{:?}", store.backend),
            "detections": DETECTIONS,
            "hunt_stored": hunt_result.is_ok(),
            "hunt_store_s": hunt_time.as_secs_f64(),
            "sign_ins_idle": summary(idle),
            "sign_ins_during_hunt_store": summary(during),
            "sign_in_errors": errors.len(),
            "first_error": errors.first(),
        })
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
