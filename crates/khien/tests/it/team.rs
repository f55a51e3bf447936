//! The provincial incident response team (issue 11 item 7): members with a 24/7 number,
//! the five-expert rule checked, the duty roster, today's duty on the public /contacts,
//! the 24-hour rule for contact changes stated; only the department and the team change
//! it.

use khien_domain::Role;

use crate::harness::*;

#[tokio::test]
async fn the_team_counts_its_experts_and_shows_todays_duty_on_contacts() {
    for store in stores().await {
        let w = world(&store).await;
        let team = Client::signed_in(&store, &w.user(Role::Responder)).await;
        let staff = Client::signed_in(&store, &w.user(Role::UnitStaff)).await;
        let member = |name: &str, phone: &str, expert: bool| {
            let mut f = vec![("name", name.to_string()), ("unit_id", w.root.clone()), ("team_role", "technical".to_string()), ("phone_247", phone.to_string()), ("certifications", "CEH".to_string())];
            if expert {
                f.push(("expert", "1".to_string()));
            }
            f
        };
        let post = |c: &Client, path: &'static str, f: Vec<(&'static str, String)>| {
            let c = c.clone();
            async move {
                let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
                c.post_form(path, &pairs).await
            }
        };
        let bad = post(&team, "/team/members", member("Nguyễn Văn Trực", "gọi tôi", true)).await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("Số điện thoại không hợp lệ") && bad.body.contains("Nguyễn Văn Trực"), "the input is kept");
        assert_eq!(post(&staff, "/team/members", member("X", "0912345678", true)).await.status, 403, "a unit does not change the team");
        for i in 0..4 {
            assert_eq!(post(&team, "/team/members", member(&format!("Chuyên gia {i}"), &format!("091234567{i}"), true)).await.status, 303);
        }
        let page = team.get("/team").await.body;
        assert!(page.contains("4 chuyên gia an toàn thông tin trong đội (yêu cầu ít nhất 5") && page.contains("Chưa đủ số chuyên gia"), "{page}");
        assert!(page.contains("trong 24 giờ, Điều 6 khoản 1 điểm b Thông tư 20/2017/TT-BTTTT"));
        assert_eq!(post(&team, "/team/members", member("Chuyên gia 4", "0912345674", true)).await.status, 303);
        assert!(!team.get("/team").await.body.contains("Chưa đủ số chuyên gia"), "five experts");

        // The roster: a bad range refused, today's duty on the public contacts page.
        let id: String = sqlx::Row::try_get(&sqlx::query("SELECT id FROM team_members WHERE name = 'Chuyên gia 2'").fetch_one(store.raw_pool()).await.unwrap(), "id").unwrap();
        let today = store.today_vn();
        let d = |x: time::Date| khien_domain::time_fmt::format_date(x);
        let long = post(&team, "/team/roster", vec![("member_id", id.clone()), ("starts_on", d(today)), ("ends_on", d(today + time::Duration::days(40)))]).await;
        assert_eq!(long.status, 422);
        assert!(long.body.contains("không quá 31 ngày"));
        assert_eq!(post(&team, "/team/roster", vec![("member_id", id.clone()), ("starts_on", d(today)), ("ends_on", d(today + time::Duration::days(6)))]).await.status, 303);
        let public = Client::anonymous(&store).get("/contacts").await.body;
        assert!(public.contains(r#"id="on-duty""#) && public.contains("Chuyên gia 2") && public.contains("0912345672"), "{public}");
    }
}
