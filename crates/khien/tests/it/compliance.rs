//! The compliance index and ranking (issue 12 item 5): each unit's score is the weight
//! of the obligations it meets over the weight of those the platform can tell, it
//! decomposes into those obligations, the ranking orders units by it within the
//! viewer's scope, the daily sweep keeps each quarter's score for the trend, and the
//! league table is a document.

use khien_domain::Role;
use sqlx::Row;

use crate::harness::*;

/// The score cell of a unit's row on `/ranking`.
fn score_of<'a>(body: &'a str, unit: &str) -> &'a str {
    let start = body.find(&format!(r#"<tr id="rank-{unit}">"#)).unwrap_or_else(|| panic!("no row for {unit}: {body}"));
    let rest = &body[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

#[tokio::test]
async fn units_are_ranked_by_the_obligations_they_meet_and_each_score_decomposes() {
    for store in stores().await {
        let w = world(&store).await;
        // A's system: hunted and scanned today: every counted duty met.
        record_counted_hunt(&store, &w.sys_a).await;
        let report = tempdir().join("quet-a.csv");
        std::fs::write(&report, "title,severity,host,port\nOpenSSH cũ,medium,10.0.0.5,22\n").unwrap();
        khien::scan_import::import_now(&store, &w.sys_a, &report, None, true).await.unwrap();
        // B's system: scanned (world), its hunt read nothing (does not count), and a
        // high finding fixed today: the hunt after the fix is owed at once.
        let manager_b = Client::signed_in(&store, &w.user_b).await;
        let fixed = manager_b.post_form(&format!("/findings/{}/status", w.finding_b), &[("status", "fixed"), ("reason", "Đã cập nhật bản vá")]).await;
        assert_eq!(fixed.status, 303, "{}", fixed.body);

        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let page = admin.get("/ranking").await;
        assert_eq!(page.status, 200, "{}", page.body);
        // A: scan 3 + hunt 3 met, its own assessment (2) never done → 6 of 8 → 75,0.
        // B: scan 3 met, hunt 3 never done, the hunt after the fix (3) due today, not yet
        // late, this year's drill (2) not yet due (31/12), the level-3 system's assessment
        // (2) and the unit's (2) never done → 8 of 15 → 53,3.
        let a = score_of(&page.body, &w.a);
        assert!(a.contains(r#"<b class="score-value">75,0</b>"#) && a.contains("<td class=\"num\">6/8</td>"), "{a}");
        let b = score_of(&page.body, &w.b);
        assert!(b.contains(r#"<b class="score-value">53,3</b>"#) && b.contains("<td class=\"num\">8/15</td>"), "{b}");
        assert!(page.body.find(&format!(r#"id="rank-{}""#, w.a)) < page.body.find(&format!(r#"id="rank-{}""#, w.b)), "A above B");
        // A unit with no system still owes its own assessment: 0 of 2, ranked last.
        let a1 = score_of(&page.body, &w.a1);
        assert!(a1.contains(r#"<b class="score-value">0,0</b>"#) && a1.contains("<td class=\"num\">0/2</td>"), "{a1}");
        assert!(page.body.contains("Điểm trung bình theo quý"), "the trend chart");

        // B's score taken apart: the missed duties first, each with its weight.
        let drill = admin.get(&format!("/ranking/{}", w.b)).await;
        assert_eq!(drill.status, 200);
        assert!(drill.body.contains("53,3%") && drill.body.contains("đạt 8 trên 15 trọng số tính điểm"), "{}", drill.body);
        let missed = drill.body.find("standing-missed").unwrap();
        let met = drill.body.find("standing-met").unwrap();
        assert!(missed < met, "missed first");
        assert!(drill.body.contains("Săn lùng sau khi khắc phục lỗ hổng nghiêm trọng"), "{}", drill.body);
        assert!(drill.body.contains("Không tính (chưa có dữ liệu)"), "drills and reports are listed, not counted");

        // Scope: B's officer sees B's subtree only, and not A's drill-down.
        let page_b = manager_b.get("/ranking").await;
        assert!(page_b.body.contains(&format!(r#"id="rank-{}""#, w.b)) && !page_b.body.contains(&format!(r#"id="rank-{}""#, w.a)));
        assert_eq!(manager_b.get(&format!("/ranking/{}", w.a)).await.status, 404);

        // The league table: ranks, units, scores in the state format.
        let docx = admin.get("/ranking.docx").await;
        assert_eq!(docx.status, 200);
        let xml = zip_text(&docx.bytes, "word/document.xml");
        assert!(xml.contains("BẢNG XẾP HẠNG MỨC ĐỘ TUÂN THỦ AN TOÀN THÔNG TIN") && xml.contains("75,0") && xml.contains("53,3"), "{xml}");

        // The sweep keeps today's scores as the quarter's, once per unit, audited.
        let report = khien_web::notifications::sweep::sweep(&store, &khien_web::notifications::sweep::SweepConfig::from_web(&khien_web::WebConfig::default()).unwrap()).await.unwrap();
        assert!(report.scores_recorded >= 2, "{report:?}");
        let again = khien_web::notifications::sweep::sweep(&store, &khien_web::notifications::sweep::SweepConfig::from_web(&khien_web::WebConfig::default()).unwrap()).await.unwrap();
        assert_eq!(again.scores_recorded, report.scores_recorded);
        let today = store.today_vn();
        let quarter = format!("{}-Q{}", today.year(), (u8::from(today.month()) - 1) / 3 + 1);
        let rows = sqlx::query("SELECT unit_id, score_permille FROM compliance_scores WHERE quarter = $1").bind(quarter.clone()).fetch_all(store.raw_pool()).await.unwrap();
        assert_eq!(rows.len(), report.scores_recorded, "one row per unit and quarter");
        let b_row = rows.iter().find(|r| r.try_get::<String, _>("unit_id").unwrap() == w.b).unwrap();
        assert_eq!(b_row.try_get::<Option<i64>, _>("score_permille").unwrap(), Some(533));
        let audited: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'compliance' AND action = 'snapshot'").fetch_one(store.raw_pool()).await.unwrap().try_get("n").unwrap();
        assert!(audited >= 2);

        // Next quarter, the stored score is last quarter's column; the fix's hunt is late.
        let later = store.clone().with_clock(std::sync::Arc::new(|| time::OffsetDateTime::now_utc() + time::Duration::days(92)));
        let admin = Client::signed_in(&later, &w.user(Role::ProvinceAdmin)).await;
        let page = admin.get("/ranking").await;
        let b = score_of(&page.body, &w.b);
        assert!(b.contains(r#"<td class="num muted">53,3</td>"#), "last quarter's stored score: {b}");
        assert!(b.contains(r#"<b class="score-value">33,3</b>"#) && b.contains("▼"), "now lower, and shown as down: {b}");
    }
}

/// `khien worker --once` (cron, or timing a sweep): the day's sweep is scheduled, run,
/// and leaves the quarter's scores; a second run the same day schedules nothing.
#[tokio::test]
async fn worker_once_runs_the_days_sweep_and_keeps_the_scores() {
    for (store, url) in stores_with_url().await {
        let w = world(&store).await;
        let data = tempdir();
        let run = || {
            std::process::Command::new(env!("CARGO_BIN_EXE_khien"))
                .args(["worker", "--once", "--database-url", &url, "--data-dir"])
                .arg(&data)
                .env_remove("KHIEN_CONFIG")
                .output()
                .unwrap()
        };
        let first = run();
        assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
        assert_eq!(String::from_utf8_lossy(&first.stdout).trim(), "1 jobs run");
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM compliance_scores WHERE unit_id = $1").bind(w.b.clone()).fetch_one(store.raw_pool()).await.unwrap().try_get("n").unwrap();
        assert_eq!(n, 1, "B's score for the quarter");
        let second = run();
        assert_eq!(String::from_utf8_lossy(&second.stdout).trim(), "0 jobs run", "the day's sweep runs once");
    }
}
