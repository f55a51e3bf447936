//! Periodic reports submitted in the platform (issue 12 item 3): the kinds and periods
//! the rules in force allow, once per period, returned with a reason and submitted
//! again, accepted, the log saying how late; a submission fulfils the obligation.

use khien_domain::Role;
use sqlx::Row;

use crate::harness::*;

async fn send(c: &Client, f: Vec<(&'static str, String)>) -> Reply {
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post_form("/reports/submissions", &pairs).await
}

#[tokio::test]
async fn a_report_is_submitted_returned_resubmitted_accepted_and_fulfils_its_obligation() {
    for store in stores().await {
        let w = world(&store).await;
        let manager = Client::signed_in(&store, &w.user(Role::UnitManager)).await;
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let year = store.today_vn().year().to_string();
        let obligation_row = |body: &str, status: &str| {
            let start = body.find(&format!(r#"id="unit-{}""#, w.a)).unwrap();
            let section = &body[start..start + body[start..].find("</section>").unwrap()];
            section.contains(&format!("<tr class=\"status-{status}\"><td>Báo cáo cấp độ hằng năm"))
        };
        assert!(!obligation_row(&admin.get("/obligations").await.body, "done"), "not yet submitted");

        let form = |period: &str| vec![("report_kind", "annual_level_report".to_string()), ("period", period.to_string()), ("reference", "12/BC-A".to_string())];
        let wrong = send(&manager, form(&format!("{year}-Q4"))).await;
        assert_eq!(wrong.status, 422);
        assert!(wrong.body.contains("Kỳ báo cáo không đúng dạng") && wrong.body.contains("12/BC-A"), "the input is kept");
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        assert_eq!(send(&staff, form(&year)).await.status, 403, "the unit's manager submits");
        let seq = audit_seq(&store).await;
        assert_eq!(send(&manager, form(&year)).await.status, 303);
        assert_eq!(audit_seq(&store).await, seq + 1);
        let again = send(&manager, form(&year)).await;
        assert_eq!(again.status, 422);
        assert!(again.body.contains("đã được nộp"));
        assert!(obligation_row(&admin.get("/obligations").await.body, "done"), "the submission fulfils the year's report");

        // Returned (a reason is required), it no longer counts; submitted again, accepted.
        let id: String = sqlx::query("SELECT id FROM report_submissions WHERE kind = 'annual_level_report'").fetch_one(store.raw_pool()).await.unwrap().try_get("id").unwrap();
        let review = format!("/report-submissions/{id}/review");
        assert_eq!(admin.post_form(&review, &[("decision", "return"), ("review_note", "")]).await.status, 422);
        assert_eq!(admin.post_form(&review, &[("decision", "return"), ("review_note", "Thiếu hệ thống cấp độ 3")]).await.status, 303);
        assert!(!obligation_row(&admin.get("/obligations").await.body, "done"), "a returned report does not count");
        assert!(manager.get("/reports/submissions").await.body.contains("Thiếu hệ thống cấp độ 3"));
        assert_eq!(send(&manager, form(&year)).await.status, 303, "a returned report is submitted again");
        assert_eq!(admin.post_form(&review, &[("decision", "accept")]).await.status, 303);
        assert_eq!(admin.post_form(&review, &[("decision", "accept")]).await.status, 422, "once");
        let log = admin.get("/reports/submissions").await.body;
        assert!(log.contains("Đã tiếp nhận") && (log.contains("đúng hạn") || log.contains("trễ")), "{log}");

        // Last year's, submitted today, is late by the days since 19/12 of last year.
        let last = (store.today_vn().year() - 1).to_string();
        assert_eq!(send(&manager, form(&last)).await.status, 303);
        let due = time::Date::from_calendar_date(store.today_vn().year() - 1, time::Month::December, 19).unwrap();
        let late = (store.today_vn() - due).whole_days();
        assert!(manager.get("/reports/submissions").await.body.contains(&format!("trễ {late} ngày")));

        // Another unit sees none of it.
        let b = Client::signed_in(&store, &w.user_b).await;
        assert!(!b.get("/reports/submissions").await.body.contains("12/BC-A"));
    }
}
