//! The demo province's periodic duties: counted hunts and scanner reports spread over
//! the last eight months, so that some systems are current, some past the 6-month
//! mark and some never hunted or scanned — the obligations, the work queue, the
//! findings pages and the compliance ranking then differ from unit to unit as they
//! would in a real province. Every record goes through the same store calls as a real
//! one (a hunt report, a scan import job), on a clock set back to its day.

use std::sync::Arc;

use khien_store::Store;
use khien_domain::assessments::AssessmentFields;
use khien_store::hunts::{FileCoverage, HuntReportIn, HuntSummary};
use time::Duration;

use super::Rng;

/// Findings a demo scanner report may carry: title, severity, CVE, port.
const FINDINGS: &[(&str, &str, &str, u16)] = &[
    ("Apache HTTP Server path traversal", "critical", "CVE-2021-41773", 443),
    ("OpenSSH regreSSHion race condition", "high", "CVE-2024-6387", 22),
    ("TLS 1.0 còn được bật", "medium", "", 443),
    ("PHP-CGI argument injection", "critical", "CVE-2024-4577", 80),
    ("Tiêu đề bảo mật HTTP bị thiếu", "low", "", 443),
    ("Microsoft Exchange ProxyShell", "critical", "CVE-2021-34473", 443),
    ("Chứng chỉ số sắp hết hạn", "medium", "", 443),
    ("MySQL mở ra Internet", "high", "", 3306),
];

fn assessment(kind: &'static str, on: time::Date, performer: &str, licence: Option<&str>, rng: &mut Rng) -> AssessmentFields {
    let findings = days(rng.below(9));
    AssessmentFields {
        kind,
        performed_on: on,
        performer: performer.to_string(),
        licence_no: licence.map(str::to_string),
        scope: if kind == "unit" { "Toàn bộ hệ thống thông tin và quy trình của đơn vị".into() } else { "Hạ tầng, ứng dụng và cơ sở dữ liệu của hệ thống".into() },
        result: if findings == 0 { "Đạt yêu cầu".into() } else { format!("Đạt, {findings} vấn đề cần khắc phục") },
        findings: Some(findings),
    }
}

fn days(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(0)
}

/// What was made.
pub(crate) struct Duties {
    pub hunts: usize,
    pub scans: usize,
    pub assessments: usize,
}

/// Who assessed: the department's own team or a licensed provider.
const ASSESSORS: &[(&str, Option<&str>)] = &[
    ("Sở Khoa học và Công nghệ tỉnh Đắk Lắk", None),
    ("Công ty Cổ phần An ninh mạng Tây Nguyên", Some("45/GP-BTTTT")),
    ("Trung tâm Giám sát an toàn không gian mạng quốc gia", None),
];

pub(crate) async fn populate(store: &Store, systems: &[String], rng: &mut Rng) -> anyhow::Result<Duties> {
    let now = store.now();
    let dir = std::env::temp_dir().join(format!("khien-demo-scans-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut made = Duties { hunts: 0, scans: 0, assessments: 0 };
    let sys = store.as_system();
    for (i, system) in systems.iter().enumerate() {
        // About two systems in three were hunted, one in three more than 6 months ago.
        if rng.below(3) < 2 {
            let at = now - Duration::days(days(rng.below(250)) + 1);
            let back = store.clone().with_clock(Arc::new(move || at));
            back.as_system()
                .record_hunt(&HuntReportIn {
                    title: "Săn tìm mối đe dọa định kỳ".into(),
                    systems: vec![system.clone()],
                    summary: HuntSummary {
                        files: 1,
                        events: 1200 + days(rng.below(40_000)),
                        coverage: vec![FileCoverage {
                            name: "Security.evtx".into(),
                            format: "evtx".into(),
                            events: 1200,
                            in_period: 1200,
                            rules_applied: 40,
                            ..Default::default()
                        }],
                        rules_loaded: 40,
                        ..Default::default()
                    },
                    ..Default::default()
                })
                .await?;
            made.hunts += 1;
        }
        // About one in four was scanned (a full-scope report with a few findings).
        if rng.below(4) == 0 {
            let at = now - Duration::days(days(rng.below(220)) + 1);
            let back = store.clone().with_clock(Arc::new(move || at));
            let mut csv = String::from("title,severity,cve,host,port\n");
            for _ in 0..(1 + rng.below(4)) {
                let (title, severity, cve, port) = *rng.pick(FINDINGS);
                csv.push_str(&format!("{title},{severity},{cve},10.{}.{}.{},{port}\n", 20 + i % 200, rng.below(250), rng.below(250) + 1));
            }
            let file = dir.join(format!("quet-{i}.csv"));
            std::fs::write(&file, csv)?;
            khien::scan_import::import_now(&back, system, &file, None, true).await?;
            made.scans += 1;
        }
    }
    // About half the systems were assessed in the last 14 months, and two units in five
    // as a whole in the last two years and a half.
    for system in systems {
        if rng.below(2) == 0 {
            let on = (now - Duration::days(days(rng.below(420)) + 1)).to_offset(khien_domain::time_fmt::VIETNAM).date();
            let (performer, licence) = *rng.pick(ASSESSORS);
            sys.record_security_assessment(Some(system), "", &assessment("periodic", on, performer, licence, rng)).await?;
            made.assessments += 1;
        }
    }
    for unit in sys.units(true).await? {
        if rng.below(5) < 2 {
            let on = (now - Duration::days(days(rng.below(900)) + 1)).to_offset(khien_domain::time_fmt::VIETNAM).date();
            let (performer, licence) = *rng.pick(ASSESSORS);
            sys.record_security_assessment(None, &unit.id, &assessment("unit", on, performer, licence, rng)).await?;
            made.assessments += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    budget(store, systems).await?;
    protection_layers(store, systems).await?;
    backups(store, systems).await?;
    vendors(store, systems).await?;
    training(store, systems).await?;
    Ok(made)
}

/// Budget lines of the units owning the first systems: a 2026 plan approved before
/// Law 116/2025 at 10% (met), and a project approved after it at 12% (short of 15%), so
/// the budget page and the work queue show both sides of the rule.
async fn budget(store: &Store, systems: &[String]) -> anyhow::Result<()> {
    use khien_domain::budget::BudgetInput;
    let sys = store.as_system();
    let today = store.today_vn();
    let mut owners: Vec<String> = Vec::new();
    for id in systems.iter().take(6) {
        let owner = sys.system(id).await?.fields.owner_unit_id;
        if !owners.contains(&owner) {
            owners.push(owner);
        }
    }
    for (i, unit) in owners.iter().take(3).enumerate() {
        let lines = [
            ("annual_plan", "Kế hoạch ứng dụng công nghệ thông tin, chuyển đổi số năm 2026", "12/KH-UBND", "15/01/2026", 4_800_000_000i64, 480_000_000i64),
            ("project", "Dự án nâng cấp hạ tầng mạng và trung tâm dữ liệu", "345/QĐ-UBND", "20/08/2026", 12_500_000_000, 1_500_000_000 + i64::try_from(i).unwrap_or(0) * 400_000_000),
        ];
        for (kind, title, decision, approved, total, security) in lines {
            let f = BudgetInput { budget_kind: kind.into(), title: title.into(), decision_no: decision.into(), approved_on: approved.into(), total: total.to_string(), security: security.to_string(), note: String::new() }
                .validate(today)
                .map_err(|e| anyhow::anyhow!("demo budget line: {e}"))?;
            sys.record_budget_line(unit, &f).await?;
        }
    }
    Ok(())
}

/// The 4-layer model of the first systems: the first with all four layers, the next
/// ones still connecting to NCSC or without a monitoring provider, so the overview and
/// the work queue show both.
async fn protection_layers(store: &Store, systems: &[String]) -> anyhow::Result<()> {
    use khien_domain::protection::{LayerInput, Model};
    let model = Model::embedded().map_err(|e| anyhow::anyhow!("the embedded 4-layer model: {e}"))?;
    let sys = store.as_system();
    let today = store.today_vn();
    for (i, id) in systems.iter().take(4).enumerate() {
        for layer in &model.layers {
            let (state, arrangement, provider, contract) = match (layer.id.as_str(), i) {
                ("onsite", _) => ("in_place", "in_house", "", ""),
                ("monitoring", 0 | 1) => ("in_place", "hired", "Công ty Cổ phần An ninh mạng Miền Trung", "HĐ 18/2026/HĐ-SOC"),
                ("monitoring", _) => ("absent", "", "", ""),
                ("inspection", 0 | 2) => ("in_place", "hired", "Trung tâm Kiểm định an toàn thông tin", "HĐ 07/2026/HĐ-KĐ"),
                ("inspection", _) => ("in_progress", "hired", "Trung tâm Kiểm định an toàn thông tin", ""),
                (_, 0) => ("in_place", "in_house", "", "CV 112/NCSC-KN"),
                _ => ("in_progress", "in_house", "", ""),
            };
            let f = LayerInput { state: state.into(), arrangement: arrangement.into(), provider: provider.into(), contract: contract.into(), since: "01/03/2026".into(), note: String::new(), version: "0".into() }
                .validate(today)
                .map_err(|e| anyhow::anyhow!("demo layer: {e}"))?;
            sys.set_protection_layer(&model, id, &layer.id, &f).await?;
        }
    }
    Ok(())
}

/// Backups of the first systems: one restored successfully this year, one whose latest
/// test failed, one with a plan and no test yet; the rest have nothing recorded.
async fn backups(store: &Store, systems: &[String]) -> anyhow::Result<()> {
    use khien_domain::backups::{PlanInput, RestoreTestInput};
    let sys = store.as_system();
    let today = store.today_vn();
    let day = |back: i64| khien_domain::time_fmt::format_date(today - time::Duration::days(back));
    for (i, id) in systems.iter().take(3).enumerate() {
        let plan = PlanInput { backup_scope: "Cơ sở dữ liệu nghiệp vụ, tệp đính kèm và cấu hình máy chủ ứng dụng".into(), frequency: "daily".into(), retention_days: "30".into(), offsite: if i == 0 { "on".into() } else { String::new() }, method: "Sao lưu tự động lúc 01:00 sang máy chủ dự phòng; bản hằng tuần chép ra ổ cứng ngoại tuyến".into(), version: "0".into() }
            .validate()
            .map_err(|e| anyhow::anyhow!("demo backup plan: {e}"))?;
        sys.save_backup_plan(id, &plan).await?;
        let tests: &[(i64, &str, &str)] = match i {
            0 => &[(200, "failed", "Khôi phục CSDL sang máy chủ dự phòng: thiếu quyền truy cập bản sao"), (60, "succeeded", "Khôi phục CSDL và tệp đính kèm sang máy chủ dự phòng; đối chiếu số bản ghi khớp")],
            1 => &[(90, "succeeded", "Khôi phục CSDL sang máy chủ thử nghiệm"), (20, "partial", "Khôi phục được CSDL, chưa khôi phục được tệp đính kèm")],
            _ => &[],
        };
        for (back, outcome, restored) in tests {
            let t = RestoreTestInput { tested_on: day(*back), outcome: (*outcome).into(), duration_minutes: "120".into(), restored: (*restored).into(), note: String::new() }
                .validate(today)
                .map_err(|e| anyhow::anyhow!("demo restore test: {e}"))?;
            sys.record_restore_test(id, &t).await?;
        }
    }
    Ok(())
}

/// Third parties of the first systems' owners: one with every clause and a recent
/// review, one hosting provider short of two clauses and last reviewed long ago, one
/// security provider never reviewed, so the register and the work queue show both sides.
async fn vendors(store: &Store, systems: &[String]) -> anyhow::Result<()> {
    use khien_domain::vendors::{Policy, ReviewInput, VendorInput};
    let policy = Policy::embedded().map_err(|e| anyhow::anyhow!("the embedded third-party policy: {e}"))?;
    let sys = store.as_system();
    let today = store.today_vn();
    let day = |back: i64| khien_domain::time_fmt::format_date(today - time::Duration::days(back));
    let every: Vec<String> = policy.clauses.iter().map(|c| c.key.clone()).collect();
    let short: Vec<String> = policy.clauses.iter().filter(|c| !matches!(c.key.as_str(), "right_to_audit" | "data_return")).map(|c| c.key.clone()).collect();
    // Name, tax code, service, contract; then the clauses and a review (days ago,
    // outcome, summary).
    let parties = [
        (["Công ty Cổ phần Phần mềm Hồng Lam", "0401234567", "operation", "24/2026/HĐ-VH"], &every, Some((100, "satisfactory", "Rà soát danh sách tài khoản quản trị từ xa, nhật ký truy cập quý III và tiến độ cập nhật bản vá: đạt"))),
        (["Trung tâm Dữ liệu Viễn thông Miền Trung", "0409876543", "hosting", "05/2024/HĐ-TTDL"], &short, Some((500, "issues", "Chưa có phụ lục về bàn giao, xóa dữ liệu khi kết thúc hợp đồng"))),
        (["Công ty TNHH Giải pháp Bảo mật Sông Hàn", "0405551234", "security_service", "31/2026/HĐ-SOC"], &every, None),
    ];
    for (id, ([name, tax, service, contract], clauses, review)) in systems.iter().zip(parties) {
        let unit = sys.system(id).await?.fields.owner_unit_id;
        let f = VendorInput {
            name: name.into(),
            tax_code: tax.into(),
            service: service.into(),
            contact: "Phòng Kỹ thuật, 0236 3888 000".into(),
            contract_no: contract.into(),
            contract_from: day(700),
            contract_to: khien_domain::time_fmt::format_date(today + time::Duration::days(400)),
            clauses: clauses.clone(),
            systems: vec![id.clone()],
            ..Default::default()
        }
        .validate(&policy)
        .map_err(|e| anyhow::anyhow!("demo third party: {e}"))?;
        let vendor = sys.create_vendor(&unit, &f).await?;
        if let Some((back, outcome, summary)) = review {
            let r = ReviewInput { reviewed_on: day(back), outcome: outcome.into(), summary: summary.into() }.validate(today).map_err(|e| anyhow::anyhow!("demo review: {e}"))?;
            sys.record_vendor_review(&vendor, &r).await?;
        }
    }
    Ok(())
}

/// A province-wide course this year with people of the first systems' owners (one of
/// them did not complete it) and a phishing simulation, so the training page shows
/// units trained and units not yet.
async fn training(store: &Store, systems: &[String]) -> anyhow::Result<()> {
    use khien_domain::training::{CampaignInput, ParticipantsInput};
    let sys = store.as_system();
    let today = store.today_vn();
    let day = |back: i64| khien_domain::time_fmt::format_date(today - time::Duration::days(back));
    let course = CampaignInput {
        campaign_kind: "course".into(),
        title: "Tập huấn kỹ năng bảo đảm an toàn thông tin cho cán bộ phụ trách công nghệ thông tin năm 2026".into(),
        audience: "it_staff".into(),
        held_from: day(45),
        held_to: day(44),
        topics: "Phân loại cấp độ hệ thống; rà quét lỗ hổng và săn tìm mối nguy hại sáu tháng một lần; báo cáo sự cố theo Thông tư 20/2017/TT-BTTTT".into(),
        trainer: "Trung tâm Ứng cứu sự cố an toàn thông tin tỉnh".into(),
        ..Default::default()
    }
    .validate(today)
    .map_err(|e| anyhow::anyhow!("demo course: {e}"))?;
    // Organised by the department: the unit at the top of the tree.
    let department = sys.units(false).await?.into_iter().next().ok_or_else(|| anyhow::anyhow!("demo: no unit"))?.id;
    let course = sys.create_campaign(&department, &course).await?;
    let people = ["Nguyễn Văn An; Chuyên viên công nghệ thông tin\nTrần Thị Bình; Phó Chánh Văn phòng", "Lê Minh Châu; Quản trị mạng", "Phạm Quốc Dũng; Chuyên viên"];
    let mut owners: Vec<String> = Vec::new();
    for id in systems.iter().take(6) {
        let owner = sys.system(id).await?.fields.owner_unit_id;
        if !owners.contains(&owner) {
            owners.push(owner);
        }
    }
    for (unit, list) in owners.iter().zip(people) {
        let f = ParticipantsInput { unit_id: unit.clone(), people: list.into(), completed: "on".into() }.validate().map_err(|e| anyhow::anyhow!("demo participants: {e}"))?;
        sys.add_participants(&course, &f).await?;
    }
    if let Some(unit) = owners.first() {
        let f = ParticipantsInput { unit_id: unit.clone(), people: "Hoàng Văn Em; Văn thư".into(), completed: String::new() }.validate().map_err(|e| anyhow::anyhow!("demo participants: {e}"))?;
        sys.add_participants(&course, &f).await?;
    }
    let phishing = CampaignInput {
        campaign_kind: "phishing_simulation".into(),
        title: "Thử nghiệm thư điện tử lừa đảo giả danh cơ quan thuế".into(),
        audience: "all_staff".into(),
        held_from: day(20),
        held_to: day(13),
        topics: "Thư giả danh cơ quan thuế kèm liên kết đăng nhập giả; nhận diện người gửi, liên kết và tệp đính kèm đáng ngờ".into(),
        trainer: "Sở Khoa học và Công nghệ".into(),
        sent: "1250".into(),
        clicked: "110".into(),
        reported: "290".into(),
    }
    .validate(today)
    .map_err(|e| anyhow::anyhow!("demo phishing simulation: {e}"))?;
    sys.create_campaign(&department, &phishing).await?;
    Ok(())
}
