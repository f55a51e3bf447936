//! The legal reporting clocks at work (issue 11 item 3, issue 12 items 1–2): each
//! report an incident owes on its page with its deadline to the minute, the time left
//! or past, its basis and whether it was sent; the reports and obligations due soon
//! or overdue in the work queue of the people who must act, and nobody else's.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use khien_domain::Role;
use khien_store::Store;
use sqlx::Row;

use crate::harness::*;

/// Monday 10/08/2026 09:00 in Vietnam: a fixed start, so deadlines are known days.
pub fn base() -> time::OffsetDateTime {
    time::macros::datetime!(2026-08-10 09:00 +7)
}

/// The store on a clock at [`base`] plus the returned number of seconds.
pub fn at_base(store: &Store) -> (Store, Arc<AtomicI64>) {
    let offset = Arc::new(AtomicI64::new(0));
    let o = offset.clone();
    let s = store.clone().with_clock(Arc::new(move || base() + time::Duration::seconds(o.load(Ordering::SeqCst))));
    (s, offset)
}

/// The part of `body` inside the element with id `id` (up to the next group).
fn group<'a>(body: &'a str, id: &str) -> &'a str {
    let Some(start) = body.find(&format!(r#"id="{id}""#)) else {
        return "";
    };
    let rest = &body[start..];
    let end = rest[1..].find(r#"<div class="work-group""#).map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

/// The table row of a report kind on the incident page.
fn report_row<'a>(body: &'a str, kind: &str) -> &'a str {
    let start = body.find(&format!(r#"<tr id="report-{kind}">"#)).unwrap_or_else(|| panic!("no row for {kind}: {body}"));
    let rest = &body[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

/// Unit A's staff reports an incident detected at 08:00 with personal data confirmed
/// breached at 08:30 on 10/08/2026; returns its id.
pub async fn incident_of_a(store: &Store, w: &World) -> String {
    let staff = Client::signed_in(store, &w.user(Role::UnitStaff)).await;
    let r = staff
        .post_form(
            "/incidents",
            &[
                ("title", "Lộ dữ liệu cổng dịch vụ công"),
                ("detected_at", "10/08/2026 08:00"),
                ("reporter_name", "Cán bộ A"),
                ("source", "log_review"),
                ("incident_type", "data_theft"),
                ("severity", "normal"),
                ("regime", "nd85-2016"),
                ("pd_impact", "basic"),
                ("pd_subjects", "1200"),
                ("pd_confirmed_at", "10/08/2026 08:30"),
                ("systems", &w.sys_a),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let loc = r.headers.get("location").unwrap().to_str().unwrap();
    loc.trim_start_matches("/incidents/").to_string()
}

#[tokio::test]
async fn an_incident_page_shows_each_report_with_its_deadline_countdown_and_sending() {
    for base_store in stores().await {
        let w = world(&base_store).await;
        let (store, clock) = at_base(&base_store);
        let id = incident_of_a(&store, &w).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let page = staff.get(&format!("/incidents/{id}")).await;
        assert_eq!(page.status, 200);
        // 5 days from 10/08 end on Saturday 15/08: moved to the end of Monday 17/08.
        let notification = report_row(&page.body, "notification");
        assert!(notification.contains("17/08/2026 23:59"), "{notification}");
        assert!(notification.contains("còn 7 ngày 14 giờ"), "{notification}");
        assert!(notification.contains("Điều 9 khoản 2 điểm a Thông tư 20/2017/TT-BTTTT"), "{notification}");
        // 72 hours from the confirmation of the breach.
        let pd = report_row(&page.body, "personal_data_breach_notice");
        assert!(pd.contains("13/08/2026 08:30") && pd.contains("còn 2 ngày 23 giờ"), "{pd}");
        assert!(pd.contains("Nghị định 13/2023/NĐ-CP"), "{pd}");
        // Not beyond capacity: no initial report is owed.
        assert!(!page.body.contains(r#"id="report-initial_report""#));

        // Three days later the breach notice is late, in red, to the minute.
        clock.store(3 * 86_400 + 3_600, Ordering::SeqCst);
        // (Sessions end after 8 idle hours: sign in again.)
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let page = staff.get(&format!("/incidents/{id}")).await;
        let pd = report_row(&page.body, "personal_data_breach_notice");
        assert!(pd.contains(r#"<span class="overdue">quá hạn 1 giờ 30 phút</span>"#), "{pd}");

        // Recording it as sent: a kind not owed, a time before detection, then right.
        let path = format!("/incidents/{id}/reports");
        let wrong = staff.post_form(&path, &[("kind", "initial_report"), ("recipient", "A05")]).await;
        assert_eq!(wrong.status, 422);
        assert!(wrong.body.contains("Sự cố này không phải gửi loại báo cáo này"), "{}", wrong.body);
        let early = staff.post_form(&path, &[("kind", "personal_data_breach_notice"), ("sent_at", "10/08/2026 07:00"), ("recipient", "A05")]).await;
        assert_eq!(early.status, 422);
        assert!(early.body.contains("trước thời điểm phát hiện") && early.body.contains(r#"value="A05""#), "the form keeps its input");
        let before = audit_seq(&store).await;
        let ok = staff
            .post_form(&path, &[("kind", "personal_data_breach_notice"), ("sent_at", "13/08/2026 09:45"), ("recipient", "Cục A05 Bộ Công an"), ("reference", "15/BC-SO")])
            .await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        assert_eq!(audit_seq(&store).await, before + 1);
        let again = staff.post_form(&path, &[("kind", "personal_data_breach_notice"), ("recipient", "A05")]).await;
        assert_eq!(again.status, 422);
        assert!(again.body.contains("đã được ghi nhận là đã gửi"));
        let page = staff.get(&format!("/incidents/{id}")).await;
        let pd = report_row(&page.body, "personal_data_breach_notice");
        assert!(pd.contains("Đã gửi") && pd.contains("13/08/2026 09:45") && pd.contains("Cục A05 Bộ Công an") && pd.contains("15/BC-SO"), "{pd}");
        assert!(pd.contains("gửi trễ 1 giờ 15 phút") && !pd.contains("class=\"overdue\">quá hạn"), "{pd}");
        let row = sqlx::query("SELECT actor_name, after_json FROM audit_log WHERE entity = 'incident' AND entity_id = $1 AND action = 'report_sent'")
            .bind(id.clone())
            .fetch_one(store.raw_pool())
            .await
            .unwrap();
        assert!(row.try_get::<String, _>("after_json").unwrap().contains("Cục A05 Bộ Công an"));
        // A viewer (read only) sees the table but no form.
        let viewer = Client::signed_in(&store, &w.user(Role::Viewer)).await;
        let seen = viewer.get(&format!("/incidents/{id}")).await;
        assert!(report_row(&seen.body, "notification").contains("Chưa gửi"));
    }
}

#[tokio::test]
async fn the_work_queue_lists_reports_and_obligations_due_for_the_units_that_owe_them() {
    for base_store in stores().await {
        let w = world(&base_store).await;
        let (store, clock) = at_base(&base_store);
        let id = incident_of_a(&store, &w).await;
        let reference: String = sqlx::query("SELECT reference FROM incidents WHERE id = $1").bind(id.clone()).fetch_one(store.raw_pool()).await.unwrap().try_get("reference").unwrap();
        let name_a = store.as_system().system(&w.sys_a).await.unwrap().fields.name;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let other = Client::signed_in(&store, &w.user_b).await;

        // Day one: the breach notice (due in 3 days) is listed, the notification (due
        // in more than a week) is not yet.
        let body = staff.get("/work").await.body;
        let reports = group(&body, "work-incident_reports");
        assert!(reports.contains(&reference) && reports.contains("Thông báo vi phạm dữ liệu cá nhân"), "{reports}");
        assert!(reports.contains("13/08/2026 08:30") && reports.contains("còn 2 ngày 23 giờ"), "{reports}");
        assert!(!reports.contains("Thông báo sự cố"), "not due within a week: {reports}");
        // A's system was never hunted: the hunt is due now.
        let duties = group(&body, "work-obligations");
        assert!(duties.contains("Săn lùng mối nguy hại") && duties.contains(&name_a), "{duties}");
        assert!(duties.contains("href=\"/obligations"), "{duties}");
        // Unit B's people see neither A's incident nor A's system.
        let body_b = other.get("/work").await.body;
        assert!(!body_b.contains(&reference) && !body_b.contains(&name_a), "{body_b}");
        // The province's inspector reports no incident of a unit.
        let inspector = Client::signed_in(&store, &w.user(Role::Inspector)).await;
        assert!(!group(&inspector.get("/work").await.body, "work-incident_reports").contains(&reference));

        // Three days on: the breach notice is overdue, the notification now due.
        clock.store(3 * 86_400 + 3_600, Ordering::SeqCst);
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let home = staff.get("/").await.body;
        let reports = group(&home, "work-incident_reports");
        assert!(reports.contains("quá hạn 1 giờ 30 phút") && reports.contains("Thông báo sự cố"), "{reports}");
        assert!(reports.contains(r#"class="late""#), "{reports}");
        // Sent: it leaves the queue.
        let sent = staff.post_form(&format!("/incidents/{id}/reports"), &[("kind", "personal_data_breach_notice"), ("recipient", "A05")]).await;
        assert_eq!(sent.status, 303);
        let reports_after = group(&staff.get("/work").await.body, "work-incident_reports").to_string();
        assert!(!reports_after.contains("Thông báo vi phạm dữ liệu cá nhân") && reports_after.contains("Thông báo sự cố"), "{reports_after}");
    }
}
