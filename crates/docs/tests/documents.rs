//! The state-format documents: generated from realistic Vietnamese data, opened again to
//! check their content, and rendered through LibreOffice and poppler to check that the
//! Vietnamese text survives a real renderer.
//!
//! The rendering tests need `soffice` (Debian `libreoffice-writer-nogui` and
//! `libreoffice-calc-nogui`) and `pdftotext`/`pdfinfo` (Debian `poppler-utils`). They fail,
//! not skip, when those are missing. Set `KHIEN_KEEP_RENDERS=1` to keep the PDFs (the
//! path is printed).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use khien_docs::annual::{
    AnnualReport, ApprovalStatus, DecisionRef, FORM08_COLUMNS, Inspection, PlanStatus, ReportScope,
    SystemRow, form08_docx, form08_xlsx,
};
use khien_docs::dossier::{
    Component, Criterion, DataSubjects, DossierOverview, IpRange, LevelProposal, Network,
    Organisation, PlanSummary, Representative, SystemProfile, overview_docx,
};
use khien_docs::incident::{
    AffectedSystem, Contact, IncidentDocKind, IncidentDocument, Indicator, PersonalData, SentRef,
    Step, TO_FILL, incident_docx,
};
use khien_docs::{DocError, DocHeader, Signature};
use time::{Date, Month};

const TRICKY: &str = "<b>&\"quote'";
const MOTTO: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
const MOTTO2: &str = "Độc lập - Tự do - Hạnh phúc";
const SYSTEM: &str = "Hệ thống thông tin giải quyết thủ tục hành chính tỉnh Đắk Lắk";

fn day(y: i32, m: Month, d: u8) -> Date {
    Date::from_calendar_date(y, m, d).unwrap()
}

fn signature() -> Signature {
    Signature {
        authority: Some("KT. Giám đốc".into()),
        title: "Phó Giám đốc".into(),
        name: "Nguyễn Thị Hằng".into(),
        recipients: vec![
            "Công an tỉnh Đắk Lắk (PA05);".into(),
            "Giám đốc Sở (để báo cáo);".into(),
            "Lưu: VT, TTCĐS.".into(),
        ],
    }
}

fn overview() -> DossierOverview {
    DossierOverview {
        header: DocHeader {
            parent_body: Some("UBND tỉnh Đắk Lắk".into()),
            issuer: "Sở Khoa học và Công nghệ".into(),
            number: None,
            place: "Đắk Lắk".into(),
            date: day(2026, Month::November, 22),
        },
        owner: Organisation {
            name: "Ủy ban nhân dân tỉnh Đắk Lắk".into(),
            mandate: "Cơ quan hành chính nhà nước ở địa phương, quyết định đầu tư hệ thống".into(),
            address: "Số 09 Lê Duẩn, phường Buôn Ma Thuột, tỉnh Đắk Lắk".into(),
            phone: "0262 3852 000".into(),
            email: "ubnd@daklak.gov.vn".into(),
            representative: Representative {
                name: "Trần Văn Đức".into(),
                title: "Phó Chủ tịch".into(),
            },
        },
        operator: Organisation {
            name: format!("Trung tâm Chuyển đổi số {TRICKY}"),
            mandate: "Vận hành hạ tầng số và các hệ thống dùng chung của tỉnh".into(),
            address: "Số 8 Lý Thường Kiệt, phường Buôn Ma Thuột, tỉnh Đắk Lắk".into(),
            phone: "0262 3812 345".into(),
            email: "ttcds@daklak.gov.vn".into(),
            representative: Representative {
                name: "Lê Thị Ánh Tuyết".into(),
                title: "Giám đốc".into(),
            },
        },
        system: SystemProfile {
            name: SYSTEM.into(),
            system_type: "Hệ thống cung cấp dịch vụ trực tuyến".into(),
            status: "Đang vận hành".into(),
            go_live: Some(day(2023, Month::March, 1)),
            scope: "Toàn tỉnh: 21 sở, ban, ngành và 102 xã, phường".into(),
            users: "Cán bộ, công chức; người dân và doanh nghiệp".into(),
            information_types: vec![
                "Thông tin công cộng".into(),
                "Thông tin cá nhân".into(),
                "Thông tin riêng của tổ chức".into(),
            ],
            data_subjects: vec![
                DataSubjects {
                    label: "Chủ thể dữ liệu cá nhân".into(),
                    count: 1_250_000,
                },
                DataSubjects {
                    label: "Chủ thể dữ liệu cá nhân nhạy cảm".into(),
                    count: 18_400,
                },
            ],
            hosting: "Trung tâm dữ liệu tỉnh, máy chủ ảo tách vùng logic".into(),
        },
        components: vec![
            Component {
                vendor: "Viettel".into(),
                product: "Cổng dịch vụ công một cửa".into(),
                version: "3.2".into(),
                cpe: None,
            },
            Component {
                vendor: "nginx".into(),
                product: "nginx".into(),
                version: "1.24.0".into(),
                cpe: Some("cpe:2.3:a:f5:nginx:1.24.0:*:*:*:*:*:*:*".into()),
            },
            Component {
                vendor: "PostgreSQL".into(),
                product: format!("Cơ sở dữ liệu {TRICKY}"),
                version: "15.8".into(),
                cpe: Some("cpe:2.3:a:postgresql:postgresql:15.8:*:*:*:*:*:*:*".into()),
            },
        ],
        network: Network {
            addresses: vec![
                "https://dichvucong.daklak.gov.vn".into(),
                "motcua.daklak.gov.vn".into(),
            ],
            ip_ranges: vec![
                IpRange {
                    range: "203.162.10.0/28".into(),
                    zone: "Công khai – vùng DMZ".into(),
                },
                IpRange {
                    range: "10.20.0.0/24".into(),
                    zone: "Nội bộ – vùng máy chủ ứng dụng".into(),
                },
            ],
        },
        level: LevelProposal {
            level: 3,
            criteria: vec![
                Criterion {
                    article: "Điều 11 khoản 1 điểm a Nghị định 331/2026/NĐ-CP".into(),
                    text: "Hệ thống cung cấp dịch vụ công trực tuyến toàn trình".into(),
                },
                Criterion {
                    article: "Điều 11 khoản 1 điểm c Nghị định 331/2026/NĐ-CP".into(),
                    text: "Xử lý dữ liệu cá nhân của từ 10.000 chủ thể trở lên".into(),
                },
            ],
            regime: "Nghị định số 331/2026/NĐ-CP".into(),
            appraiser: "Công an tỉnh Đắk Lắk (Phòng An ninh mạng và PCTP sử dụng CNC)".into(),
            approver: "Chủ tịch Ủy ban nhân dân tỉnh Đắk Lắk".into(),
            expert_opinion: None,
            provisional: false,
        },
        plan: PlanSummary {
            met: 41,
            partly: 12,
            not_started: 7,
        },
        signature: signature(),
    }
}

fn report() -> AnnualReport {
    let decision = |n: &str, d: Date| DecisionRef {
        number: n.into(),
        date: d,
        issuer: "UBND tỉnh Đắk Lắk".into(),
    };
    AnnualReport {
        header: DocHeader {
            parent_body: Some("Bộ Công an".into()),
            issuer: "Công an tỉnh Đắk Lắk".into(),
            number: Some("125/BC-CAT-PA05".into()),
            place: "Đắk Lắk".into(),
            date: day(2026, Month::November, 22),
        },
        scope: ReportScope::Province {
            name: "tỉnh Đắk Lắk".into(),
        },
        year: 2026,
        period_from: day(2025, Month::December, 15),
        period_to: day(2026, Month::December, 14),
        systems: vec![
            SystemRow {
                name: SYSTEM.into(),
                owner: "UBND tỉnh Đắk Lắk".into(),
                operator: "Trung tâm Chuyển đổi số".into(),
                proposed_level: 3,
                approval_status: ApprovalStatus::Approved,
                approval_decision: Some(decision("1234/QĐ-UBND", day(2024, Month::March, 5))),
                security_regulation: Some(decision("88/QĐ-UBND", day(2024, Month::January, 9))),
                expected_approval: None,
                plan_status: PlanStatus::Fully,
                expected_full_implementation: None,
                inspection: Inspection {
                    before_go_live: true,
                    periodic: true,
                },
            },
            SystemRow {
                name: "Cổng thông tin điện tử Sở Y tế".into(),
                owner: "Sở Y tế tỉnh Đắk Lắk".into(),
                operator: format!("Công ty TNHH Giải pháp {TRICKY} Tây Nguyên"),
                proposed_level: 2,
                approval_status: ApprovalStatus::SentForAppraisal,
                approval_decision: None,
                security_regulation: None,
                expected_approval: Some(day(2027, Month::March, 31)),
                plan_status: PlanStatus::Partly,
                expected_full_implementation: Some(day(2027, Month::June, 30)),
                inspection: Inspection::default(),
            },
            SystemRow {
                name: "Hệ thống quản lý văn bản và điều hành".into(),
                owner: "UBND tỉnh Đắk Lắk".into(),
                operator: "Văn phòng UBND tỉnh".into(),
                proposed_level: 2,
                approval_status: ApprovalStatus::Approved,
                approval_decision: Some(decision("456/QĐ-UBND", day(2025, Month::February, 14))),
                security_regulation: None,
                expected_approval: None,
                plan_status: PlanStatus::Partly,
                expected_full_implementation: Some(day(2026, Month::December, 31)),
                inspection: Inspection {
                    before_go_live: false,
                    periodic: true,
                },
            },
        ],
        expected_all_approved: None,
        signature: signature(),
    }
}

// ---------------------------------------------------------------- reading back

fn zip_entry(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut f = z.by_name(name).unwrap();
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    s
}

/// The text of word/document.xml: one line per paragraph, entities decoded.
fn docx_text(bytes: &[u8]) -> String {
    let xml = zip_entry(bytes, "word/document.xml").replace("</w:p>", "\n");
    let mut out = String::new();
    let mut in_tag = false;
    for ch in xml.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn assert_contains(haystack: &str, needles: &[&str], what: &str) {
    for n in needles {
        assert!(
            haystack.contains(n),
            "{what}: {n:?} is missing from:\n{haystack}"
        );
    }
}

#[test]
fn overview_docx_carries_the_inventory() {
    let d = overview();
    let bytes = overview_docx(&d).unwrap();
    let text = docx_text(&bytes);
    assert_contains(
        &text,
        &[
            MOTTO,
            MOTTO2,
            "UBND TỈNH ĐẮK LẮK",
            "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
            "Đắk Lắk, ngày 22 tháng 11 năm 2026",
            "THUYẾT MINH ĐỀ XUẤT CẤP ĐỘ",
            SYSTEM,
            "Trần Văn Đức",
            "ubnd@daklak.gov.vn",
            &format!("Trung tâm Chuyển đổi số {TRICKY}"),
            &format!("Cơ sở dữ liệu {TRICKY}"),
            "01/03/2023",
            "Chủ thể dữ liệu cá nhân: 1.250.000",
            "cpe:2.3:a:f5:nginx:1.24.0:*:*:*:*:*:*:*",
            "https://dichvucong.daklak.gov.vn",
            "203.162.10.0/28",
            "Cấp độ 3",
            "Điều 11 khoản 1 điểm c Nghị định 331/2026/NĐ-CP",
            "Xử lý dữ liệu cá nhân của từ 10.000 chủ thể trở lên",
            "Nghị định số 331/2026/NĐ-CP",
            "Chủ tịch Ủy ban nhân dân tỉnh Đắk Lắk",
            "Công an tỉnh Đắk Lắk (Phòng An ninh mạng và PCTP sử dụng CNC)",
            "68,3%",
            "60",
            "KT. GIÁM ĐỐC",
            "Nguyễn Thị Hằng",
        ],
        "overview DOCX",
    );
    let xml = zip_entry(&bytes, "word/document.xml");
    // Escaped in the XML, never raw.
    assert!(
        xml.contains("&lt;b&gt;&amp;"),
        "the tricky string is not escaped"
    );
    assert!(!xml.contains("<b>&"), "raw markup leaked into document.xml");
    // A4 portrait with the Decree 30 margins, Times New Roman.
    assert!(
        xml.contains(r#"w:w="11906" w:h="16838""#),
        "not A4 portrait"
    );
    assert!(xml.contains(r#"w:left="1700""#), "left margin is not 30 mm");
    assert!(zip_entry(&bytes, "word/styles.xml").contains("Times New Roman"));
}

#[test]
fn overview_refuses_a_level_outside_one_to_five() {
    let mut d = overview();
    d.level.level = 6;
    assert!(matches!(overview_docx(&d), Err(DocError::Invalid(_))));
}

#[test]
fn overview_without_criteria_says_the_level_is_provisional() {
    let mut d = overview();
    d.level.criteria.clear();
    d.level.provisional = true;
    d.components.clear();
    d.network = Network::default();
    let text = docx_text(&overview_docx(&d).unwrap());
    assert_contains(
        &text,
        &["đề xuất tạm thời", "Chưa có thành phần nào được khai báo."],
        "provisional overview",
    );
}

#[test]
fn totals_follow_the_rows() {
    let r = report();
    let t = r.totals();
    assert_eq!(t.systems, 3);
    assert_eq!(t.approved, 2);
    assert_eq!(t.periodically_inspected, 2);
    assert_eq!(t.all_approved_by, "31/03/2027");
    let mut r2 = r.clone();
    r2.systems[1].expected_approval = None;
    assert_eq!(r2.totals().all_approved_by, "Chưa xác định");
    r2.systems.remove(1);
    assert_eq!(r2.totals().all_approved_by, "Đã phê duyệt toàn bộ");
    r2.expected_all_approved = Some(day(2027, Month::January, 15));
    assert_eq!(r2.totals().all_approved_by, "15/01/2027");
}

fn form08_texts() -> Vec<String> {
    vec![
        "Tổng số hệ thống thông tin".into(),
        "Số hệ thống đã được phê duyệt hồ sơ đề xuất cấp độ".into(),
        "Số hệ thống đã được kiểm tra, đánh giá định kỳ".into(),
        "31/03/2027".into(),
        SYSTEM.into(),
        format!("Công ty TNHH Giải pháp {TRICKY} Tây Nguyên"),
        "Số 1234/QĐ-UBND ngày 05/03/2024 của UBND tỉnh Đắk Lắk".into(),
        "Đã được phê duyệt".into(),
        "Đã gửi thẩm định".into(),
        "Đã triển khai một số hạng mục".into(),
        "Đã triển khai đầy đủ".into(),
        "Trước khi đưa vào sử dụng; Định kỳ".into(),
        "Số liệu tính từ ngày 15/12/2025 đến ngày 14/12/2026.".into(),
        "trên địa bàn tỉnh Đắk Lắk".into(),
    ]
}

#[test]
fn form08_docx_has_the_twelve_columns_and_totals() {
    let bytes = form08_docx(&report()).unwrap();
    let text = docx_text(&bytes);
    let mut needles: Vec<String> = form08_texts();
    needles.extend(FORM08_COLUMNS.iter().map(|c| c.to_string()));
    needles.extend([
        MOTTO.into(),
        "CÔNG AN TỈNH ĐẮK LẮK".into(),
        "Số: 125/BC-CAT-PA05".into(),
        "Đắk Lắk, ngày 22 tháng 11 năm 2026".into(),
        "BÁO CÁO".into(),
        "(12)".into(),
    ]);
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    assert_contains(&text, &needles, "Form 08 DOCX");
    // Totals lines carry their numbers.
    assert_contains(
        &text,
        &[
            "- Tổng số hệ thống thông tin: 3",
            "- Số hệ thống đã được phê duyệt hồ sơ đề xuất cấp độ: 2",
            "- Số hệ thống đã được kiểm tra, đánh giá định kỳ: 2",
        ],
        "Form 08 DOCX totals",
    );
    let xml = zip_entry(&bytes, "word/document.xml");
    assert!(xml.contains(r#"w:orient="landscape""#), "not landscape");
    // Both header rows (headings and column numbers) repeat on every page.
    assert_eq!(
        xml.matches("<w:tblHeader />").count(),
        2,
        "header rows not marked"
    );
    assert!(
        !xml.contains(r#"<w:trHeight w:val="7""#),
        "header marker left in place"
    );
    assert!(
        xml.contains(r#"w:w="16838" w:h="11906""#),
        "not A4 landscape"
    );
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

#[test]
fn form08_xlsx_has_the_twelve_columns_and_totals() {
    let r = report();
    let bytes = form08_xlsx(&r).unwrap();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
    let range = wb.worksheet_range("Mẫu 08").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    let header_at = rows
        .iter()
        .position(|r| r.first().map(String::as_str) == Some("STT"))
        .expect("a header row starting with STT");
    assert_eq!(rows[header_at], FORM08_COLUMNS.map(String::from).to_vec());
    assert_eq!(rows[header_at + 1][11], "(12)");
    let body = &rows[header_at + 2..];
    assert_eq!(body.len(), 3);
    assert_eq!(
        body[0][..5],
        [
            "1",
            SYSTEM,
            "UBND tỉnh Đắk Lắk",
            "Trung tâm Chuyển đổi số",
            "3"
        ]
    );
    assert_eq!(body[1][8], "31/03/2027");
    assert_eq!(
        body[1][3],
        format!("Công ty TNHH Giải pháp {TRICKY} Tây Nguyên")
    );
    assert_eq!(body[0][11], "Trước khi đưa vào sử dụng; Định kỳ");
    assert_eq!(body[1][11], "");
    // Header totals: label in A, value in G.
    let total = |label: &str| -> String {
        rows.iter()
            .find(|r| r[0] == label)
            .map(|r| r[6].clone())
            .unwrap_or_else(|| panic!("no totals row {label:?}"))
    };
    assert_eq!(total("Tổng số hệ thống thông tin"), "3");
    assert_eq!(
        total("Số hệ thống đã được phê duyệt hồ sơ đề xuất cấp độ"),
        "2"
    );
    assert_eq!(total("Số hệ thống đã được kiểm tra, đánh giá định kỳ"), "2");
    let all: String = rows
        .iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    let needles = form08_texts();
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    assert_contains(&all, &needles, "Form 08 XLSX");
    assert_contains(
        &all,
        &["CÔNG AN TỈNH ĐẮK LẮK", "BÁO CÁO"],
        "Form 08 XLSX title",
    );
    // Frozen below the header, bold header, borders, landscape A4 printing.
    let sheet = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    let frozen = format!(r#"ySplit="{}""#, header_at + 2);
    assert!(
        sheet.contains(&frozen),
        "panes not frozen under the header: {sheet}"
    );
    assert!(sheet.contains(r#"orientation="landscape""#));
    assert!(sheet.contains(r#"paperSize="9""#));
    let styles = zip_entry(&bytes, "xl/styles.xml");
    assert!(styles.contains("<b/>") && styles.contains(r#"<left style="thin">"#));
}

#[test]
fn form08_refuses_a_level_outside_one_to_five() {
    let mut r = report();
    r.systems[0].proposed_level = 0;
    assert!(matches!(form08_xlsx(&r), Err(DocError::Invalid(_))));
    assert!(matches!(form08_docx(&r), Err(DocError::Invalid(_))));
}

// ---------------------------------------------------------------- rendering

const PACKAGES: &str = "Debian packages libreoffice-writer-nogui, libreoffice-calc-nogui and \
                        poppler-utils";

fn require(tool: &str) {
    let ok = Command::new(tool)
        .arg(if tool == "soffice" { "--version" } else { "-v" })
        .output()
        .is_ok();
    assert!(
        ok,
        "`{tool}` is not installed: the rendering tests need the {PACKAGES}"
    );
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory under the temp dir, unique to this process and call.
fn scratch(name: &str) -> PathBuf {
    let n = SEQ.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("khien-docs-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Converts `input` to PDF with LibreOffice, in a private profile so parallel
/// conversions do not share (and lock) one user installation.
fn soffice_pdf(input: &Path) -> PathBuf {
    require("soffice");
    let dir = input.parent().unwrap();
    let profile = dir.join("lo-profile");
    let out = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir)
        .arg(input)
        .output()
        .unwrap_or_else(|e| panic!("cannot run soffice ({e}); install the {PACKAGES}"));
    let pdf = input.with_extension("pdf");
    assert!(
        out.status.success() && pdf.exists(),
        "soffice failed to convert {}: {}\n{}",
        input.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&profile);
    pdf
}

fn poppler(tool: &str, pdf: &Path) -> String {
    require(tool);
    let mut cmd = Command::new(tool);
    cmd.arg(pdf);
    if tool == "pdftotext" {
        cmd.arg("-");
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool} ({e}); install the {PACKAGES}"));
    assert!(out.status.success(), "{tool} failed on {}", pdf.display());
    String::from_utf8(out.stdout).unwrap()
}

/// Renders the document and returns its text with whitespace runs collapsed, plus the
/// pdfinfo output.
fn render(name: &str, bytes: &[u8]) -> (String, String) {
    let dir = scratch(name.split('.').next().unwrap_or(name));
    let input = dir.join(name);
    std::fs::write(&input, bytes).unwrap();
    let pdf = soffice_pdf(&input);
    let text = poppler("pdftotext", &pdf);
    let info = poppler("pdfinfo", &pdf);
    if std::env::var_os("KHIEN_KEEP_RENDERS").is_some() {
        eprintln!("kept {}", pdf.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    (text.split_whitespace().collect::<Vec<_>>().join(" "), info)
}

#[test]
fn overview_renders_with_vietnamese_intact() {
    let (text, info) = render("thuyet-minh.docx", &overview_docx(&overview()).unwrap());
    assert_contains(
        &text,
        &[
            MOTTO,
            MOTTO2,
            "Đắk Lắk, ngày 22 tháng 11 năm 2026",
            "THUYẾT MINH ĐỀ XUẤT CẤP ĐỘ",
            SYSTEM,
            &format!("Trung tâm Chuyển đổi số {TRICKY}"),
            "Chủ thể dữ liệu cá nhân: 1.250.000",
            "Nguyễn Thị Hằng",
        ],
        "rendered overview",
    );
    assert!(
        info.contains("595.") && info.contains("x 841."),
        "not A4 portrait: {info}"
    );
}

#[test]
fn form08_docx_renders_landscape_with_vietnamese_intact() {
    let (text, info) = render("mau-08.docx", &form08_docx(&report()).unwrap());
    assert_contains(
        &text,
        &[
            MOTTO,
            MOTTO2,
            "CÔNG AN TỈNH ĐẮK LẮK",
            "Đắk Lắk, ngày 22 tháng 11 năm 2026",
            "BÁO CÁO",
            "trên địa bàn tỉnh Đắk Lắk",
            "Tổng số hệ thống thông tin: 3",
            "Đã được phê duyệt",
        ],
        "rendered Form 08 DOCX",
    );
    assert!(
        info.contains("841.") && info.contains("x 595."),
        "not A4 landscape: {info}"
    );
}

#[test]
fn form08_xlsx_renders_with_vietnamese_intact() {
    let (text, info) = render("mau-08.xlsx", &form08_xlsx(&report()).unwrap());
    assert_contains(
        &text,
        &[
            "CÔNG AN TỈNH ĐẮK LẮK",
            "Đắk Lắk, ngày 22 tháng 11 năm 2026",
            "BÁO CÁO",
            "Tổng số hệ thống thông tin",
            "Đã được phê duyệt",
            "STT",
        ],
        "rendered Form 08 XLSX",
    );
    assert!(
        info.contains("841.") && info.contains("x 595."),
        "not A4 landscape: {info}"
    );
}

// ---------------------------------------------------------------- incident reports

fn incident(kind: IncidentDocKind, legacy: bool) -> IncidentDocument {
    IncidentDocument {
        kind,
        legacy,
        header: DocHeader {
            parent_body: Some("Ủy ban nhân dân tỉnh Đắk Lắk".into()),
            issuer: "Sở Y tế".into(),
            number: Some("       /BC-SYT".into()),
            place: "Đắk Lắk".into(),
            date: day(2026, Month::November, 30),
        },
        to: vec!["Sở Khoa học và Công nghệ".into()],
        basis: "Điều 9 khoản 2 Thông tư 20/2017/TT-BTTTT".into(),
        reference: "SC-2026-000007".into(),
        reporter: Contact { name: "Sở Y tế".into(), ..Default::default() },
        contact_person: Contact { name: "Nguyễn Văn A".into(), title: "Chuyên viên".into(), ..Default::default() },
        title: format!("Thay đổi giao diện cổng thông tin {TRICKY}"),
        description: String::new(),
        detected_at: "29/11/2026 08:15".into(),
        incident_type: "Thay đổi giao diện".into(),
        severity: "Nghiêm trọng".into(),
        status: "Đang ứng cứu".into(),
        handled: false,
        detection_source: "Dịch vụ giám sát, SOC".into(),
        systems: vec![AffectedSystem {
            name: SYSTEM.into(),
            owner: "Sở Y tế".into(),
            operator: String::new(),
            level: Some(3),
            level_approved: true,
        }],
        indicators: (0..70)
            .map(|i| Indicator { kind: "Địa chỉ IP".into(), value: format!("203.0.113.{i}") })
            .collect(),
        steps: vec![Step { at: "29/11/2026 09:00".into(), text: "Cô lập máy chủ".into() }],
        attachments: vec![("nhat-ky.zip".into(), "ab".repeat(32))],
        initial_report: Some(SentRef { reference: "12/BC-SYT".into(), sent_at: "29/11/2026 10:00".into() }),
        personal_data: None,
        response_ended_at: None,
        made_at: "30/11/2026 14:00".into(),
        signature: signature(),
    }
}

#[test]
fn form03_carries_the_facts_and_leaves_the_unknown_to_fill() {
    let t = docx_text(&incident_docx(&incident(IncidentDocKind::InitialReport, true)).unwrap());
    assert_contains(
        &t,
        &[
            "Mẫu số 03",
            "BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG",
            "SC-2026-000007",
            "29/11/2026 08:15",
            "Cấp độ 3",
            &format!("Thay đổi giao diện cổng thông tin {TRICKY}"),
            "203.0.113.59",
            "(và 10 dấu hiệu khác)",
            "Cô lập máy chủ",
            "KT. GIÁM ĐỐC",
            "Căn cứ Điều 9 khoản 2 Thông tư 20/2017/TT-BTTTT, Sở Y tế báo cáo như sau:",
            &format!("Hệ điều hành, phiên bản: {TO_FILL}"),
        ],
        "Form 03",
    );
    assert!(!t.contains("203.0.113.60"), "the indicator list is capped");
}

#[test]
fn form04_names_the_initial_report_or_says_it_was_not_recorded() {
    let mut d = incident(IncidentDocKind::ClosureReport, true);
    let t = docx_text(&incident_docx(&d).unwrap());
    assert_contains(&t, &["Mẫu số 04", "Số 12/BC-SYT, gửi lúc 29/11/2026 10:00"], "Form 04");
    d.initial_report = None;
    let t = docx_text(&incident_docx(&d).unwrap());
    assert!(t.contains("chưa ghi nhận đã gửi trên hệ thống"), "{t}");
    // Decree 331's closure report has no Form 04 number and no initial report.
    d.legacy = false;
    let t = docx_text(&incident_docx(&d).unwrap());
    assert!(!t.contains("Mẫu số 04") && !t.contains("Báo cáo ban đầu (số, ngày)"), "{t}");
    assert!(t.contains("BÁO CÁO KẾT THÚC XỬ LÝ SỰ CỐ AN NINH MẠNG"), "{t}");
}

#[test]
fn breach_notice_counts_the_subjects() {
    let mut d = incident(IncidentDocKind::PersonalDataBreachNotice, false);
    d.personal_data = Some(PersonalData {
        kind: "Dữ liệu cá nhân nhạy cảm".into(),
        subjects: Some(12_500),
        confirmed_at: Some("30/11/2026 07:00".into()),
    });
    let t = docx_text(&incident_docx(&d).unwrap());
    assert_contains(
        &t,
        &["BẢO VỆ DỮ LIỆU CÁ NHÂN", "12.500", "Dữ liệu cá nhân nhạy cảm", "30/11/2026 07:00", "Lý do thông báo muộn"],
        "breach notice",
    );
}

#[test]
fn every_report_kind_renders_and_an_incident_needs_its_reference() {
    for k in [
        "notification",
        "initial_report",
        "closure_report",
        "immediate_report",
        "initial_notice",
        "report",
        "personal_data_breach_notice",
    ] {
        let kind = IncidentDocKind::parse(k).unwrap();
        assert_eq!(kind.as_str(), k);
        let t = docx_text(&incident_docx(&incident(kind, k != "report")).unwrap());
        assert!(t.contains("SC-2026-000007"), "{k}");
    }
    assert_eq!(IncidentDocKind::parse("form99"), None);
    let mut d = incident(IncidentDocKind::Report, false);
    d.reference.clear();
    assert!(matches!(incident_docx(&d), Err(DocError::Invalid(_))));
}

#[test]
fn form03_renders_with_vietnamese_intact() {
    let (text, info) = render("mau-03.docx", &incident_docx(&incident(IncidentDocKind::InitialReport, true)).unwrap());
    assert_contains(
        &text,
        &[MOTTO, MOTTO2, "Mẫu số 03", "BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG", SYSTEM, "Cô lập máy chủ", "Nguyễn Thị Hằng"],
        "rendered Form 03",
    );
    assert!(info.contains("595.") && info.contains("x 841."), "not A4 portrait: {info}");
}
