//! The reports an incident owes, as portrait A4 DOCX in state format, one per report
//! kind of the clock engine (`khien_duties`): the legacy notification (Circular 20/2017
//! Art 9.3.a contents), the initial report (Form 03) and the closure report (Form 04);
//! the reports of Decree 331/2026 Art 31 (immediate report, 24-hour notice, 72-hour
//! report, closure report); and the personal-data breach notice (Decree 13/2023 Art 23,
//! Law 91/2025 Art 23 with Decree 356/2025 Form 08).
//!
//! The field lists are those of `docs/domain.md` §4 and §10. What the platform does not
//! record (the operating system, the services, the measures deployed, the support asked
//! for) is printed as a dotted line for the official to complete in Word: a document
//! never states what nobody entered.

use docx_rs::AlignmentType;

use crate::docx_style::{self as st, Block, Cell, DocHeader, Orientation, Signature, body, field, grid, heading};
use crate::error::DocError;

/// The dotted line left for the official to fill in.
pub const TO_FILL: &str = "…………………………………………";

/// Which report: the clock engine's kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentDocKind {
    /// Decision 05/2017 + Circular 20/2017: within 5 days of detection.
    Notification,
    /// Form 03, when the incident is beyond the unit's capacity.
    InitialReport,
    /// Form 04 (legacy) or the Decree 331 closure report.
    ClosureReport,
    /// Decree 331 Art 31.2.d: signs against national security or a serious interruption.
    ImmediateReport,
    /// Decree 331: within 24 hours, serious incidents.
    InitialNotice,
    /// Decree 331: within 72 hours, cause, scope and remedy.
    Report,
    /// 72 hours from the confirmation of a personal-data breach.
    PersonalDataBreachNotice,
}

impl IncidentDocKind {
    /// The kind of the clock engine's report (`notification`, `initial_report`, …).
    pub fn parse(kind: &str) -> Option<IncidentDocKind> {
        Some(match kind {
            "notification" => Self::Notification,
            "initial_report" => Self::InitialReport,
            "closure_report" => Self::ClosureReport,
            "immediate_report" => Self::ImmediateReport,
            "initial_notice" => Self::InitialNotice,
            "report" => Self::Report,
            "personal_data_breach_notice" => Self::PersonalDataBreachNotice,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notification => "notification",
            Self::InitialReport => "initial_report",
            Self::ClosureReport => "closure_report",
            Self::ImmediateReport => "immediate_report",
            Self::InitialNotice => "initial_notice",
            Self::Report => "report",
            Self::PersonalDataBreachNotice => "personal_data_breach_notice",
        }
    }

    /// The document's title and its second line.
    fn title(self, legacy: bool) -> (&'static str, Option<&'static str>) {
        match self {
            Self::Notification => ("Thông báo sự cố an toàn thông tin mạng", None),
            Self::InitialReport => ("Báo cáo ban đầu sự cố mạng", None),
            Self::ClosureReport if legacy => ("Báo cáo kết thúc ứng phó sự cố", None),
            Self::ClosureReport => ("Báo cáo kết thúc xử lý sự cố an ninh mạng", None),
            Self::ImmediateReport => ("Báo cáo sự cố an ninh mạng", Some("(báo cáo ngay)")),
            Self::InitialNotice => ("Thông báo ban đầu sự cố an ninh mạng", Some("(trong 24 giờ kể từ khi phát hiện)")),
            Self::Report => ("Báo cáo sự cố an ninh mạng", Some("(nguyên nhân, phạm vi ảnh hưởng, biện pháp khắc phục)")),
            Self::PersonalDataBreachNotice => ("Thông báo vi phạm quy định về bảo vệ dữ liệu cá nhân", None),
        }
    }

    /// The legacy regime's form number, printed above the title.
    fn form(self, legacy: bool) -> Option<&'static str> {
        match self {
            Self::InitialReport => Some("Mẫu số 03"),
            Self::ClosureReport if legacy => Some("Mẫu số 04"),
            _ => None,
        }
    }
}

/// A person or body with its contacts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    pub name: String,
    /// A person's position; empty for a body.
    pub title: String,
    pub address: String,
    pub phone: String,
    pub email: String,
}

/// One affected system.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AffectedSystem {
    pub name: String,
    pub owner: String,
    pub operator: String,
    /// The approved level, else the latest determination's.
    pub level: Option<u8>,
    pub level_approved: bool,
}

/// An observable as the report lists it ("Địa chỉ IP", "203.0.113.5").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Indicator {
    pub kind: String,
    pub value: String,
}

/// A step of the response, from the incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Step {
    /// `dd/mm/yyyy HH:MM`.
    pub at: String,
    pub text: String,
}

/// An earlier report this one refers to (Form 04 names the initial report).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SentRef {
    /// The document's number, as recorded when it was sent; may be empty.
    pub reference: String,
    /// `dd/mm/yyyy HH:MM`.
    pub sent_at: String,
}

/// The personal data a breach touched.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonalData {
    /// "cơ bản" / "nhạy cảm".
    pub kind: String,
    pub subjects: Option<u64>,
    /// `dd/mm/yyyy HH:MM`, when the breach was confirmed.
    pub confirmed_at: Option<String>,
}

/// Everything a report is made from. Every string is the caller's (labels already in
/// Vietnamese, times already `dd/mm/yyyy HH:MM` in Vietnam time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentDocument {
    pub kind: IncidentDocKind,
    /// `true` for Decision 05/2017 + Circular 20/2017, `false` for Decree 331/2026.
    pub legacy: bool,
    pub header: DocHeader,
    /// "Kính gửi" lines: the bodies the report goes to.
    pub to: Vec<String>,
    /// The report's legal basis, from the clock engine ("Điều 9 khoản 2 …").
    pub basis: String,
    /// The platform's reference (`SC-2026-000123`).
    pub reference: String,
    pub reporter: Contact,
    pub contact_person: Contact,
    pub title: String,
    pub description: String,
    pub detected_at: String,
    pub incident_type: String,
    pub severity: String,
    pub status: String,
    /// Responded to and brought under control (contained or later).
    pub handled: bool,
    pub detection_source: String,
    pub systems: Vec<AffectedSystem>,
    pub indicators: Vec<Indicator>,
    pub steps: Vec<Step>,
    /// Evidence files: name and sha256.
    pub attachments: Vec<(String, String)>,
    pub initial_report: Option<SentRef>,
    pub personal_data: Option<PersonalData>,
    /// When the response ended (first recovered), `dd/mm/yyyy HH:MM`.
    pub response_ended_at: Option<String>,
    /// `dd/mm/yyyy HH:MM`: when this document was made.
    pub made_at: String,
    pub signature: Signature,
}

/// At most this many timeline steps and indicators are printed (the rest are counted):
/// a hunt-opened incident can carry two hundred detections.
const LIST_MAX: usize = 60;

fn or_fill(v: &str) -> &str {
    if v.trim().is_empty() { TO_FILL } else { v }
}

/// Renders the report.
pub fn incident_docx(d: &IncidentDocument) -> Result<Vec<u8>, DocError> {
    if d.reference.trim().is_empty() {
        return Err(DocError::Invalid("an incident report needs the incident's reference".into()));
    }
    let o = Orientation::Portrait;
    let mut doc = st::document(o).add_table(st::letterhead(&d.header, o));
    if let Some(form) = d.kind.form(d.legacy) {
        doc = doc.add_paragraph(st::line(form, st::SMALL, AlignmentType::Right));
    }
    let (title, subject) = d.kind.title(d.legacy);
    for p in st::title(title, subject) {
        doc = doc.add_paragraph(p);
    }
    if !d.to.is_empty() {
        let to = d.to.join("; ");
        doc = doc.add_paragraph(st::line(&format!("Kính gửi: {to}."), st::BODY, AlignmentType::Center));
    }
    let mut out: Vec<Block> = Vec::new();
    out.push(body(&format!("Căn cứ {}, {} báo cáo như sau:", basis_phrase(&d.basis), d.header.issuer)).into());
    out.push(field("Số hiệu sự cố trên hệ thống Khiên", &d.reference).into());
    match d.kind {
        IncidentDocKind::PersonalDataBreachNotice => breach(&mut out, d),
        IncidentDocKind::ClosureReport => closure(&mut out, d),
        IncidentDocKind::InitialReport => initial(&mut out, d),
        _ => notification(&mut out, d),
    }
    doc = st::add_blocks(doc, out);
    doc = doc
        .add_paragraph(field("Thời gian lập báo cáo", &d.made_at))
        .add_paragraph(st::gap())
        .add_table(st::signature(&d.signature, o));
    st::pack(doc)
}

/// "Điều 9 khoản 2 Thông tư 20/2017/TT-BTTTT" reads after "Căn cứ" as it is; an empty
/// basis (a kind the engine did not cite) leaves a line to fill.
fn basis_phrase(basis: &str) -> String {
    let b = basis.trim().trim_end_matches('.');
    if b.is_empty() { TO_FILL.into() } else { b.to_string() }
}


fn contact(out: &mut Vec<Block>, c: &Contact, person: bool) {
    out.push(field(if person { "Họ và tên" } else { "Tên cơ quan, tổ chức" }, or_fill(&c.name)).into());
    if person {
        out.push(field("Chức vụ", or_fill(&c.title)).into());
    } else {
        out.push(field("Địa chỉ", or_fill(&c.address)).into());
    }
    out.push(field("Điện thoại", or_fill(&c.phone)).into());
    out.push(field("Thư điện tử", or_fill(&c.email)).into());
}

const L: AlignmentType = AlignmentType::Left;
const C: AlignmentType = AlignmentType::Center;

fn level_text(s: &AffectedSystem) -> String {
    match s.level {
        Some(l) if s.level_approved => format!("Cấp độ {l}"),
        Some(l) => format!("Cấp độ {l} (đề xuất, chưa phê duyệt)"),
        None => "Chưa xác định".into(),
    }
}

fn systems(out: &mut Vec<Block>, d: &IncidentDocument) {
    if d.systems.is_empty() {
        out.push(field("Hệ thống bị ảnh hưởng", TO_FILL).into());
        return;
    }
    let rows: Vec<Vec<Cell>> = d
        .systems
        .iter()
        .enumerate()
        .map(|(i, s)| {
            vec![
                ((i + 1).to_string(), C),
                (s.name.clone(), L),
                (or_fill(&s.operator).to_string(), L),
                (or_fill(&s.owner).to_string(), L),
                (level_text(s), C),
            ]
        })
        .collect();
    let head = vec![vec!["STT", "Tên hệ thống", "Đơn vị vận hành", "Chủ quản", "Cấp độ"]];
    out.push(grid(&[6, 30, 24, 24, 16], Orientation::Portrait.content_width(), 22, &head, &rows).into());
    out.push(st::after_table().into());
}

fn indicators(out: &mut Vec<Block>, d: &IncidentDocument, label: &str) {
    if d.indicators.is_empty() {
        out.push(field(label, TO_FILL).into());
        return;
    }
    out.push(field(label, "").into());
    for i in d.indicators.iter().take(LIST_MAX) {
        out.push(st::line(&format!("      + {}: {}", i.kind, i.value), st::BODY, L).into());
    }
    if d.indicators.len() > LIST_MAX {
        out.push(st::line(&format!("      (và {} dấu hiệu khác)", d.indicators.len() - LIST_MAX), st::BODY, L).into());
    }
}

fn steps(out: &mut Vec<Block>, d: &IncidentDocument) {
    if d.steps.is_empty() {
        out.push(body(TO_FILL).into());
        return;
    }
    for s in d.steps.iter().take(LIST_MAX) {
        out.push(st::line(&format!("      - {}: {}", s.at, s.text), st::BODY, L).into());
    }
    if d.steps.len() > LIST_MAX {
        out.push(st::line(&format!("      (và {} bước khác, xem dòng thời gian của sự cố)", d.steps.len() - LIST_MAX), st::BODY, L).into());
    }
}

fn attachments(out: &mut Vec<Block>, d: &IncidentDocument) {
    if d.attachments.is_empty() {
        out.push(field("Tài liệu kèm theo", "không có").into());
        return;
    }
    out.push(field("Tài liệu kèm theo", "").into());
    for (name, sha) in d.attachments.iter().take(LIST_MAX) {
        let short = sha.get(..16).unwrap_or(sha);
        out.push(st::line(&format!("      + {name} (SHA-256 {short}…)"), st::BODY, L).into());
    }
}

fn description(out: &mut Vec<Block>, d: &IncidentDocument) {
    out.push(field("Tên sự cố", &d.title).into());
    out.push(field("Mô tả sơ bộ", or_fill(&d.description)).into());
    out.push(field("Thời điểm phát hiện", &format!("{} (giờ Việt Nam)", d.detected_at)).into());
    out.push(field("Loại sự cố", &d.incident_type).into());
    out.push(field("Mức độ", &d.severity).into());
    out.push(field("Nguồn phát hiện", &d.detection_source).into());
}

/// Circular 20/2017 Art 9.3.a and the Decree 331 notices: who reports, what system,
/// what happened and when, what was done and what is recommended.
fn notification(out: &mut Vec<Block>, d: &IncidentDocument) {
    out.push(heading("1. Đơn vị báo cáo").into());
    contact(out, &d.reporter, false);
    out.push(heading("2. Người liên hệ").into());
    contact(out, &d.contact_person, true);
    out.push(heading("3. Hệ thống bị sự cố").into());
    systems(out, d);
    indicators(out, d, "Tên miền, địa chỉ IP liên quan");
    out.push(heading("4. Mô tả sự cố").into());
    description(out, d);
    out.push(heading(if d.kind == IncidentDocKind::Report { "5. Nguyên nhân, phạm vi ảnh hưởng và biện pháp khắc phục" } else { "5. Kết quả xử lý ban đầu" }).into());
    out.push(field("Tình trạng", &d.status).into());
    if d.kind == IncidentDocKind::Report {
        out.push(field("Nguyên nhân", TO_FILL).into());
        out.push(field("Phạm vi ảnh hưởng", TO_FILL).into());
    }
    out.push(field("Các bước đã thực hiện", "").into());
    steps(out, d);
    out.push(heading("6. Kiến nghị, đề xuất").into());
    out.push(body(TO_FILL).into());
}

/// Form 03: the initial report of an incident beyond the unit's capacity.
fn initial(out: &mut Vec<Block>, d: &IncidentDocument) {
    out.push(heading("1. Thông tin về tổ chức, cá nhân báo cáo sự cố").into());
    contact(out, &d.reporter, false);
    out.push(heading("2. Thông tin người liên hệ").into());
    contact(out, &d.contact_person, true);
    out.push(heading("3. Thông tin về hệ thống thông tin bị sự cố").into());
    systems(out, d);
    out.push(field("Đơn vị cung cấp dịch vụ an toàn thông tin (nếu có)", TO_FILL).into());
    out.push(field("Đơn vị cung cấp dịch vụ kết nối (nếu có)", TO_FILL).into());
    out.push(heading("4. Mô tả sơ bộ về sự cố").into());
    description(out, d);
    out.push(field("Tình trạng xử lý", if d.handled { "Đã xử lý" } else { "Chưa xử lý xong" }).into());
    out.push(field("Cách thức phát hiện", &d.detection_source).into());
    out.push(field("Đã thông báo cho", TO_FILL).into());
    out.push(heading("5. Thông tin bổ sung về hệ thống").into());
    out.push(field("Hệ điều hành, phiên bản", TO_FILL).into());
    out.push(field("Các dịch vụ (web, thư điện tử, cơ sở dữ liệu, khác)", TO_FILL).into());
    out.push(field("Các biện pháp bảo đảm an toàn thông tin đã triển khai (phòng chống mã độc, tường lửa, phát hiện xâm nhập, khác)", TO_FILL).into());
    indicators(out, d, "Địa chỉ IP công khai, tên miền, dấu hiệu liên quan");
    out.push(field("Mục đích chính của hệ thống", TO_FILL).into());
    attachments(out, d);
    out.push(field("Thông tin cần giữ bí mật", "Có (thông tin sự cố chỉ dùng cho ứng cứu)").into());
    out.push(heading("6. Các bước đã xử lý").into());
    steps(out, d);
    out.push(heading("7. Đề nghị hỗ trợ và kiến nghị").into());
    out.push(body(TO_FILL).into());
}

/// Form 04 (and the Decree 331 closure report): the initial report it closes, what
/// happened, how it was resolved, what prevents a recurrence.
fn closure(out: &mut Vec<Block>, d: &IncidentDocument) {
    out.push(heading("1. Đơn vị báo cáo").into());
    contact(out, &d.reporter, false);
    if d.legacy {
        let initial = match &d.initial_report {
            Some(r) if !r.reference.trim().is_empty() => format!("Số {}, gửi lúc {}", r.reference, r.sent_at),
            Some(r) => format!("gửi lúc {} (chưa ghi số văn bản)", r.sent_at),
            None => format!("{TO_FILL} (chưa ghi nhận đã gửi trên hệ thống)"),
        };
        out.push(field("Báo cáo ban đầu (số, ngày)", &initial).into());
    }
    out.push(heading("2. Hệ thống bị sự cố").into());
    systems(out, d);
    out.push(heading("3. Sự cố").into());
    description(out, d);
    out.push(field("Thời điểm kết thúc ứng phó", d.response_ended_at.as_deref().unwrap_or(TO_FILL)).into());
    out.push(heading("4. Kết quả xử lý").into());
    out.push(field("Tình trạng", &d.status).into());
    out.push(field("Diễn biến và cách thức khắc phục", "").into());
    steps(out, d);
    out.push(field("Đề xuất phòng ngừa sự cố tái diễn", TO_FILL).into());
    out.push(heading("5. Tài liệu kèm theo").into());
    attachments(out, d);
}

/// Decree 13/2023 Art 23 / Law 91/2025 Art 23: the nature of the breach (time, place,
/// act, who, data types and volume), the contact, the likely consequences, the measures.
fn breach(out: &mut Vec<Block>, d: &IncidentDocument) {
    out.push(heading("1. Bên kiểm soát dữ liệu cá nhân").into());
    contact(out, &d.reporter, false);
    out.push(heading("2. Người liên hệ về bảo vệ dữ liệu cá nhân").into());
    contact(out, &d.contact_person, true);
    out.push(heading("3. Mô tả hành vi vi phạm").into());
    description(out, d);
    let pd = d.personal_data.clone().unwrap_or_default();
    out.push(field("Thời điểm xác nhận vi phạm", pd.confirmed_at.as_deref().unwrap_or(TO_FILL)).into());
    out.push(field("Hệ thống, nơi xảy ra vi phạm", "").into());
    systems(out, d);
    out.push(field("Loại dữ liệu cá nhân bị ảnh hưởng", or_fill(&pd.kind)).into());
    let subjects = pd.subjects.map(st::thousands).unwrap_or_else(|| TO_FILL.into());
    out.push(field("Số lượng chủ thể dữ liệu bị ảnh hưởng", &subjects).into());
    out.push(heading("4. Hậu quả, thiệt hại có thể xảy ra").into());
    out.push(body(TO_FILL).into());
    out.push(heading("5. Biện pháp đã và sẽ thực hiện").into());
    steps(out, d);
    out.push(heading("6. Lý do thông báo muộn (nếu có)").into());
    out.push(body(TO_FILL).into());
}
