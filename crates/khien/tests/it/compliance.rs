//! The compliance index and ranking (issue 12 item 5): each unit's score is the weight
//! of the obligations it meets over the weight of those the platform can tell, it
//! decomposes into those obligations, the ranking orders units by it within the
//! viewer's scope, the daily sweep keeps each quarter's score for the trend, and the
//! league table is a document.

use khien_domain::Role;
use sqlx::Row;

use crate::harness::*;

/// A score as the ranking writes it: permille rounded half up, one decimal, a comma.
fn pct(met: u32, counted: u32) -> String {
    let p = (met * 2000 + counted) / (2 * counted);
    format!("{},{}", p / 10, p % 10)
}

/// Weight 2 of the yearly level report (due 19/12, a fixed date) is met while its day
/// has not passed: the test holds on any day of the year.
fn annual_report_met(d: time::Date) -> u32 {
    let due = time::Date::from_calendar_date(d.year(), time::Month::December, 19).unwrap();
    if d <= due { 2 } else { 0 }
}

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
        // A: scan 3 + hunt 3 met, its own assessment (2) never done, the yearly level
        // report (2) met until its day. B: scan 3 met, hunt 3 never done, the hunt after
        // the fix (3) due today, this year's drill (2) not yet due, the level-3 system's
        // assessment (2) and the unit's (2) never done, the report as A's.
        let m = annual_report_met(store.today_vn());
        let (a_score, b_score) = (pct(6 + m, 10), pct(8 + m, 17));
        let a = score_of(&page.body, &w.a);
        assert!(a.contains(&format!(r#"<b class="score-value">{a_score}</b>"#)) && a.contains(&format!("<td class=\"num\">{}/10</td>", 6 + m)), "{a}");
        let b = score_of(&page.body, &w.b);
        assert!(b.contains(&format!(r#"<b class="score-value">{b_score}</b>"#)) && b.contains(&format!("<td class=\"num\">{}/17</td>", 8 + m)), "{b}");
        assert!(page.body.find(&format!(r#"id="rank-{}""#, w.a)) < page.body.find(&format!(r#"id="rank-{}""#, w.b)), "A above B");
        // A unit with no system still owes its own assessment and report.
        let a1 = score_of(&page.body, &w.a1);
        assert!(a1.contains(&format!(r#"<b class="score-value">{}</b>"#, pct(m, 4))) && a1.contains(&format!("<td class=\"num\">{m}/4</td>")), "{a1}");
        assert!(page.body.contains("Điểm trung bình theo quý"), "the trend chart");

        // B's score taken apart: the missed duties first, each with its weight.
        let drill = admin.get(&format!("/ranking/{}", w.b)).await;
        assert_eq!(drill.status, 200);
        assert!(drill.body.contains(&format!("{b_score}%")) && drill.body.contains(&format!("đạt {} trên 17 trọng số tính điểm", 8 + m)), "{}", drill.body);
        let missed = drill.body.find("standing-missed").unwrap();
        let met = drill.body.find("standing-met").unwrap();
        assert!(missed < met, "missed first");
        assert!(drill.body.contains("Săn lùng sau khi khắc phục lỗ hổng nghiêm trọng"), "{}", drill.body);
        assert!(!drill.body.contains("standing-not_counted"), "every shipped duty is counted from records now");

        // Scope: B's officer sees B's subtree only, and not A's drill-down.
        let page_b = manager_b.get("/ranking").await;
        assert!(page_b.body.contains(&format!(r#"id="rank-{}""#, w.b)) && !page_b.body.contains(&format!(r#"id="rank-{}""#, w.a)));
        assert_eq!(manager_b.get(&format!("/ranking/{}", w.a)).await.status, 404);

        // The league table: ranks, units, scores in the state format.
        let docx = admin.get("/ranking.docx").await;
        assert_eq!(docx.status, 200);
        let xml = zip_text(&docx.bytes, "word/document.xml");
        assert!(xml.contains("BẢNG XẾP HẠNG MỨC ĐỘ TUÂN THỦ AN TOÀN THÔNG TIN") && xml.contains(&a_score) && xml.contains(&b_score), "{xml}");

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
        assert_eq!(b_row.try_get::<Option<i64>, _>("score_permille").unwrap(), Some(i64::from((8 + m) * 2000 + 17) / 34));
        let audited: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'compliance' AND action = 'snapshot'").fetch_one(store.raw_pool()).await.unwrap().try_get("n").unwrap();
        assert!(audited >= 2);

        // Next quarter, the stored score is last quarter's column; the fix's hunt is late.
        let later = store.clone().with_clock(std::sync::Arc::new(|| time::OffsetDateTime::now_utc() + time::Duration::days(92)));
        let admin = Client::signed_in(&later, &w.user(Role::ProvinceAdmin)).await;
        let page = admin.get("/ranking").await;
        let b = score_of(&page.body, &w.b);
        assert!(b.contains(&format!(r#"<td class="num muted">{b_score}</td>"#)), "last quarter's stored score: {b}");
        // Now the hunt after the fix is late: scan 3, the drill 2 and the report met.
        let later_score = pct(5 + annual_report_met(later.today_vn()), 17);
        assert!(b.contains(&format!(r#"<b class="score-value">{later_score}</b>"#)), "{b}");
        assert!(5 + annual_report_met(later.today_vn()) < 8 + m && b.contains("▼"), "now lower, and shown as down: {b}");
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

/// The dashboards and the leader's page read the sweep's standings (issue 12 item 6):
/// none before the first sweep, then the ranking's head, the units behind and the date
/// they are of, in the viewer's scope; a unit's people see this month's work first; a
/// leader's home is the one page.
#[tokio::test]
async fn the_glance_and_the_leaders_page_show_the_sweeps_standings_in_scope() {
    for store in stores().await {
        let w = world(&store).await;
        // A hunted and scanned today (every counted duty met); B's high finding fixed.
        record_counted_hunt(&store, &w.sys_a).await;
        let report = tempdir().join("quet-a.csv");
        std::fs::write(&report, "title,severity,host,port\nOpenSSH cũ,medium,10.0.0.5,22\n").unwrap();
        khien::scan_import::import_now(&store, &w.sys_a, &report, None, true).await.unwrap();
        let manager_b = Client::signed_in(&store, &w.user_b).await;
        let fixed = manager_b.post_form(&format!("/findings/{}/status", w.finding_b), &[("status", "fixed"), ("reason", "Đã cập nhật bản vá")]).await;
        assert_eq!(fixed.status, 303, "{}", fixed.body);
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let home = admin.get("/").await.body;
        assert!(home.contains("id=\"ranking-none\""), "no sweep yet: said, not a ranking of nothing");
        assert!(!home.contains("id=\"month-work\""), "the department's home has no unit month");
        // B's manager: the hunt owed today since the fix is this month's work.
        let home_b = manager_b.get("/").await.body;
        let month = &home_b[home_b.find("id=\"month-work\"").expect("a unit's month")..];
        let month = &month[..month.find("</section>").unwrap()];
        assert!(month.contains("Săn lùng sau khi khắc phục lỗ hổng nghiêm trọng"), "{month}");
        // Late first: B's own assessment, owed for more than a year.
        assert!(month.find("class=\"late\"") < month.find("Săn lùng sau khi khắc phục"), "{month}");

        let cfg = khien_web::notifications::sweep::SweepConfig::from_web(&khien_web::WebConfig::default()).unwrap();
        khien_web::notifications::sweep::sweep(&store, &cfg).await.unwrap();
        let today = khien_domain::time_fmt::format_date(store.today_vn());
        let leader = admin.get("/leader").await;
        assert_eq!(leader.status, 200, "{}", leader.body);
        assert!(leader.body.contains(&format!("Chỉ số tuân thủ theo lần tính ngày {today}")), "{}", leader.body);
        let top = &leader.body[leader.body.find("id=\"ranking-top\"").unwrap()..];
        assert!(top.find(&format!("/ranking/{}", w.a)) < top.find(&format!("/ranking/{}", w.b)), "A above B: {top}");
        assert!(leader.body.contains("đơn vị có nghĩa vụ quá hạn <b>1</b>"), "B alone is behind (its own assessment)");
        assert!(leader.body.contains("id=\"glance-plans\""));
        // B's manager sees B's subtree only.
        let leader_b = manager_b.get("/leader").await.body;
        assert!(leader_b.contains(&format!("/ranking/{}", w.b)) && !leader_b.contains(&format!("/ranking/{}", w.a)), "{leader_b}");

        // A quarter later the hunt after the fix is late too.
        let overdue_of_b = |store: khien_store::Store| {
            let b = w.b.clone();
            async move {
                let d = store.today_vn();
                let q = format!("{}-Q{}", d.year(), (u8::from(d.month()) - 1) / 3 + 1);
                let row = sqlx::query("SELECT overdue_obligations FROM compliance_scores WHERE quarter = $1 AND unit_id = $2").bind(q).bind(b).fetch_one(store.raw_pool()).await.unwrap();
                row.try_get::<i64, _>("overdue_obligations").unwrap()
            }
        };
        let now = overdue_of_b(store.clone()).await;
        let later = store.clone().with_clock(std::sync::Arc::new(|| time::OffsetDateTime::now_utc() + time::Duration::days(92)));
        khien_web::notifications::sweep::sweep(&later, &cfg).await.unwrap();
        assert_eq!(overdue_of_b(later.clone()).await, now + 1, "the hunt after the fix, now late");
        let admin = Client::signed_in(&later, &w.user(Role::ProvinceAdmin)).await;
        let home = admin.get("/").await.body;
        assert!(home.contains("đơn vị có nghĩa vụ quá hạn <b>1</b>"), "still B alone: {home}");
        // A leader's home is the one page.
        let viewer = Client::signed_in(&later, &w.user(Role::Viewer)).await;
        let home = viewer.get("/").await.body;
        assert!(home.contains("id=\"leader-events\"") && !home.contains("id=\"work-queue\""), "{home}");
    }
}
