//! The demo province's incidents: a defaced citizen portal the provincial team is
//! responding to (serious, reports due), and a phishing wave a department reported and
//! verified — so the incident pages, the legal clocks and the work queue show something
//! a new user can try.

use khien_domain::Principal;
use khien_domain::incidents::{DetectionSource, IncidentFields, IncidentType, PersonalDataImpact, Severity};
use khien_store::Store;
use khien_store::accounts::User;
use khien_store::incidents::{ObservableIn, TaskIn};
use time::Duration;

/// The principal of a demo user (by username), as a session would carry it.
async fn principal(store: &Store, users: &[User], username: &str) -> anyhow::Result<Principal> {
    let u = users
        .iter()
        .find(|u| u.username == username)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("demo: user {username} missing"))?;
    let unit = store.as_system().unit(&u.unit_id).await?;
    Ok(Principal {
        user_id: u.id,
        username: u.username,
        display_name: u.display_name,
        role: u.role,
        unit_id: unit.id,
        unit_path: unit.path,
    })
}

pub(crate) async fn populate(store: &Store, systems: &[String], users: &[User]) -> anyhow::Result<usize> {
    let now = store.now();
    let team = principal(store, users, "ungcuu").await?;
    let staff = principal(store, users, "canbo.stc").await?;
    let team = store.scoped(&team);
    let staff = store.scoped(&staff);
    // The portal: the first citizen-facing system of the province's own office.
    let portal = systems.first().cloned().into_iter().collect::<Vec<_>>();
    let defaced = team
        .create_incident(&IncidentFields {
            title: "Cổng thông tin bị thay đổi giao diện".into(),
            description: "Trang chủ hiển thị nội dung lạ; giám sát phát hiện tệp web shell trong thư mục tải lên.".into(),
            detected_at: now - Duration::hours(20),
            reporter_name: "Trung tâm giám sát an toàn thông tin tỉnh".into(),
            reporter_contact: Some("soc@daklak.gov.vn".into()),
            source: DetectionSource::Monitoring,
            incident_type: IncidentType::Defacement,
            severity: Severity::Serious,
            beyond_capacity: true,
            national_security_signs: false,
            serious_interruption: false,
            pd_impact: PersonalDataImpact::None,
            pd_subjects: None,
            pd_confirmed_at: None,
            regime: "nd85-2016",
            systems: portal,
        })
        .await?;
    for (kind, value) in [("ip", "185.220.101.47"), ("url", "https://congthongtin.daklak.gov.vn/uploads/x.php"), ("hash", "d41d8cd98f00b204e9800998ecf8427e")] {
        team.add_observable(&defaced, &ObservableIn { kind: kind.into(), value: value.into(), tlp: "amber".into(), note: String::new() })
            .await?;
    }
    team.transition_incident(&defaced, "verified", "Đã xác minh qua nhật ký máy chủ web.").await?;
    team.transition_incident(&defaced, "responding", "").await?;
    team.add_task(&defaced, &TaskIn { title: "Cô lập máy chủ web, sao lưu nhật ký".into(), assignee_id: String::new(), due_date: String::new() })
        .await?;
    let phishing = staff
        .create_incident(&IncidentFields {
            title: "Thư điện tử giả mạo gửi đến cán bộ Sở Tài chính".into(),
            description: "Nhiều cán bộ nhận thư yêu cầu đăng nhập lại hộp thư qua đường dẫn lạ.".into(),
            detected_at: now - Duration::days(3),
            reporter_name: "Cán bộ CNTT Sở Tài chính".into(),
            reporter_contact: None,
            source: DetectionSource::Notified,
            incident_type: IncidentType::Phishing,
            severity: Severity::Normal,
            beyond_capacity: false,
            national_security_signs: false,
            serious_interruption: false,
            pd_impact: PersonalDataImpact::None,
            pd_subjects: None,
            pd_confirmed_at: None,
            regime: "nd85-2016",
            systems: vec![],
        })
        .await?;
    staff
        .add_observable(&phishing, &ObservableIn { kind: "domain".into(), value: "mail-stc-daklak.top".into(), tlp: "green".into(), note: String::new() })
        .await?;
    Ok(2)
}
