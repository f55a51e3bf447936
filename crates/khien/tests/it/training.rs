//! Awareness and training campaigns (issue 12 item 4): B records a campaign and its
//! people (pasted one per line), a bad form keeps its input and writes nothing, another
//! unit sees and changes nothing and cannot add its people, the year's list tells which
//! units had nobody trained, a phishing simulation shows its rates, and the quarterly
//! report counts the campaign and the people who completed it.

use khien_domain::Role;

use crate::harness::*;

#[tokio::test]
async fn a_campaign_with_its_people_counts_in_the_year_and_the_report() {
    for store in stores().await {
        let w = world(&store).await;
        let b = Client::signed_in(&store, &w.user_b).await;
        let admin = Client::signed_in(&store, &w.user(Role::ProvinceAdmin)).await;
        let a_staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let today = store.today_vn();
        let day = khien_domain::time_fmt::format_date(today);
        let untrained = |body: &str, unit: &str| body.contains("id=\"training-untrained\"") && body[body.find("id=\"training-untrained\"").unwrap()..].contains(&format!("<li>{unit}</li>"));
        let b_name = store.as_system().unit(&w.b).await.unwrap().fields.name;
        assert!(untrained(&admin.get("/training").await.body, &b_name), "nobody of B trained yet");

        // A phishing simulation without its figures, dated tomorrow: refused, kept.
        let tomorrow = khien_domain::time_fmt::format_date(today.next_day().unwrap());
        let bad = b.post_form("/training", &[("campaign_kind", "phishing_simulation"), ("title", "Thử nghiệm thư lừa đảo quý IV"), ("audience", "all_staff"), ("held_from", &tomorrow), ("held_to", &tomorrow), ("topics", "Thư giả mạo Sở Tài chính")]).await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("Ghi số thư đã gửi") && bad.body.contains("Chỉ ghi nhận đợt đã diễn ra") && bad.body.contains("Thư giả mạo Sở Tài chính"), "{}", bad.body);
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM training_campaigns WHERE title = $1", "Thử nghiệm thư lừa đảo quý IV").await, 0);
        let made = b.post_form("/training", &[("campaign_kind", "phishing_simulation"), ("title", "Thử nghiệm thư lừa đảo quý IV"), ("audience", "all_staff"), ("held_from", &day), ("held_to", &day), ("topics", "Thư giả mạo Sở Tài chính"), ("sent", "1.200"), ("clicked", "96"), ("reported", "310")]).await;
        assert_eq!(made.status, 303, "{}", made.body);
        let href = made.headers.get("location").unwrap().to_str().unwrap().to_string();
        let page = b.get(&href).await.body;
        assert!(page.contains("1.200 thư đã gửi — 8% nhấp vào liên kết · 25% báo cáo thư đáng ngờ"), "{page}");
        assert_eq!(a_staff.get(&href).await.status, 404, "A does not see B's campaign");

        // People pasted from the attendance list; a bad line is refused with its number.
        let people = format!("{href}/participants");
        let bad = b.post_form(&people, &[("unit_id", &w.b), ("people", "Nguyễn Văn An; Chuyên viên CNTT\n; Kế toán"), ("completed", "on")]).await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("dòng số (2)") && bad.body.contains("Nguyễn Văn An; Chuyên viên CNTT"), "{}", bad.body);
        assert_eq!(a_staff.post_form(&people, &[("unit_id", &w.a), ("people", "Người lạ")]).await.status, 404, "A cannot add to B's campaign");
        assert_eq!(b.post_form(&people, &[("unit_id", &w.a), ("people", "Người lạ"), ("completed", "on")]).await.status, 404, "B cannot add A's people");
        let seq = audit_seq(&store).await;
        assert_eq!(b.post_form(&people, &[("unit_id", &w.b), ("people", "Nguyễn Văn An; Chuyên viên CNTT\nTrần Thị Bình\tPhó Chánh Văn phòng"), ("completed", "on")]).await.status, 303);
        assert_eq!(b.post_form(&people, &[("unit_id", &w.b), ("people", "Lê Văn Cường")]).await.status, 303, "one who did not complete");
        assert_eq!(audit_seq(&store).await, seq + 2, "one audit entry per list");
        let page = b.get(&href).await.body;
        assert!(page.contains("2 hoàn thành / 3 tham gia") && page.contains("Phó Chánh Văn phòng"), "{page}");
        assert!(!untrained(&admin.get("/training").await.body, &b_name), "B's people trained this year");
        assert!(admin.get(&format!("/training?year={}", today.year() - 1)).await.body.contains(&format!("<li>{b_name}</li>")), "not last year");

        // The quarter's report counts the campaign and the two who completed it.
        let quarter = format!("{:04}-Q{}", today.year(), (u8::from(today.month()) - 1) / 3 + 1);
        let report = admin.get(&format!("/reports?kind=quarterly_report&period={quarter}&unit_id={}", w.b)).await.body;
        let row = |label: &str| {
            let at = report.find(&format!("<td>{label}</td>")).unwrap_or_else(|| panic!("no row {label}"));
            let rest = &report[at..];
            let v = rest.find("<td class=\"num\">").unwrap() + "<td class=\"num\">".len();
            rest[v..v + rest[v..].find("</td>").unwrap()].to_string()
        };
        assert_eq!(row("Đợt tuyên truyền, tập huấn, đào tạo đã tổ chức"), "1");
        assert_eq!(row("Lượt cán bộ hoàn thành tuyên truyền, tập huấn, đào tạo"), "2");

        // A line entered by mistake is removed, audited; A cannot remove one.
        let pid = sqlx::query_scalar::<_, String>("SELECT id FROM training_participants WHERE name = 'Lê Văn Cường'").fetch_one(store.raw_pool()).await.unwrap();
        assert_eq!(a_staff.post_form(&format!("{people}/{pid}/delete"), &[]).await.status, 404);
        assert_eq!(b.post_form(&format!("{people}/{pid}/delete"), &[]).await.status, 303);
        assert!(b.get(&href).await.body.contains("2 hoàn thành / 2 tham gia"));
    }
}
