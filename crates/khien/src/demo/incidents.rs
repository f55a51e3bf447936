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
    response_plans(store, users).await?;
    Ok(2)
}

/// The province's response plan (approved by the Chairman, due for review next month)
/// and the finance department's first system's plan, a draft its IT officer is writing:
/// the plans pages, their flags and the work queue then show something to try.
async fn response_plans(store: &Store, users: &[User]) -> anyhow::Result<()> {
    use khien_domain::response_plans::{ApprovalFields, DraftFields, Outlines, PROVINCE_SUBJECT};
    let outlines = Outlines::embedded().map_err(|e| anyhow::anyhow!(e))?;
    let today = store.today_vn();
    let team = store.scoped(&principal(store, users, "ungcuu").await?);
    let admin = store.scoped(&principal(store, users, "admin").await?);
    let staff = store.scoped(&principal(store, users, "canbo.stc").await?);
    let plan = team.create_response_plan(&outlines, PROVINCE_SUBJECT, "Kế hoạch ứng phó sự cố bảo đảm an toàn thông tin mạng tỉnh Đắk Lắk").await?;
    let text = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    team.save_response_draft(
        &plan,
        &DraftFields {
            sections: text(&[
                ("current_state", "Tỉnh vận hành các hệ thống dùng chung (cổng dịch vụ công, quản lý văn bản, thư điện tử công vụ) tại trung tâm dữ liệu của tỉnh; các sở, ngành vận hành hệ thống chuyên ngành."),
                ("threats", "Thay đổi giao diện cổng thông tin; mã độc mã hóa dữ liệu; lừa đảo qua thư điện tử công vụ; tấn công từ chối dịch vụ vào cổng dịch vụ công."),
                ("forces", "Ban chỉ đạo do Phó Chủ tịch UBND tỉnh làm Trưởng ban; Đội ứng cứu sự cố của tỉnh (thường trực tại Sở); phối hợp với Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao."),
                ("training", "Diễn tập thực chiến hằng năm cho các hệ thống cấp độ 3 trở lên; bồi dưỡng kỹ năng cho đội ứng cứu mỗi quý."),
            ]),
            priorities: "Khôi phục trước cổng dịch vụ công và hệ thống quản lý văn bản; gián đoạn không quá 4 giờ trong giờ hành chính.".into(),
            contacts: "Thường trực Đội ứng cứu sự cố tỉnh: 0262 3 812 345 (24/7), ungcuu@daklak.gov.vn".into(),
            review_on: Some(today + Duration::days(20)),
        },
    )
    .await?;
    team.add_response_scenario(&plan, IncidentType::Defacement, "Cổng thông tin bị thay đổi giao diện", "Trang chủ hiển thị nội dung lạ, có tệp web shell.", "Ngắt cổng khỏi Internet, giữ nguyên chứng cứ, khôi phục từ bản sao lưu sạch, vá lỗ hổng tải tệp, báo cáo theo Mẫu 03.").await?;
    team.add_response_scenario(&plan, IncidentType::Ransomware, "Máy chủ bị mã hóa dữ liệu", "Dữ liệu trên máy chủ ứng dụng bị mã hóa, có thư đòi tiền chuộc.", "Cô lập vùng mạng, không trả tiền chuộc, khôi phục từ bản sao lưu ngoại tuyến, săn lùng mối nguy hại trên các máy còn lại.").await?;
    admin
        .approve_response_plan(&outlines, &plan, &ApprovalFields { approver: "Chủ tịch Ủy ban nhân dân tỉnh".into(), decision_no: "1250/QĐ-UBND".into(), decision_date: today - Duration::days(340) }, today)
        .await?;
    if let Some(system) = staff.systems(&Default::default(), Some(1)).await?.items.into_iter().next() {
        let id = staff.create_response_plan(&outlines, &system.id, &format!("Phương án ứng cứu sự cố {}", system.fields.name)).await?;
        staff.add_response_scenario(&id, IncidentType::Phishing, "Lừa đảo qua thư điện tử", "Cán bộ nhận thư giả mạo yêu cầu đăng nhập.", "Chặn tên miền giả mạo, đổi mật khẩu tài khoản bị lộ, thông báo toàn đơn vị.").await?;
    }
    Ok(())
}
