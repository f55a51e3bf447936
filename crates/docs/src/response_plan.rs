//! The incident response plan as a portrait A4 DOCX in state format: the outline's
//! sections in order (one not yet written is a dotted line, never silently left out),
//! the priority conditions, the scenarios per incident type, the contacts, and the
//! version with its approval (or "DỰ THẢO" while it is a draft).

use docx_rs::AlignmentType;

use crate::docx_style::{self as st, Cell, DocHeader, Orientation, Signature, body, field, grid, heading};
use crate::error::DocError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponsePlanDoc {
    pub header: DocHeader,
    pub title: String,
    /// "Hệ thống: Cổng dịch vụ công (cấp độ 3)" or "Phạm vi: toàn tỉnh".
    pub subject: String,
    /// The outline's name and basis.
    pub outline: String,
    /// "Phiên bản 2, phê duyệt theo Quyết định số 12/QĐ-UBND ngày 01/12/2026 của …",
    /// or "Phiên bản 3 — DỰ THẢO, chưa được phê duyệt".
    pub status: String,
    pub draft: bool,
    pub review_on: String,
    /// (heading, text) in the outline's order; an empty text is printed as to be written.
    pub sections: Vec<(String, String)>,
    pub priorities: String,
    pub scenarios: Vec<ScenarioRow>,
    pub contacts: String,
    pub signature: Signature,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioRow {
    pub incident_type: String,
    pub title: String,
    pub situation: String,
    pub handling: String,
}

const NOT_WRITTEN: &str = "(chưa xây dựng) ..................................................................................";

fn paragraphs(doc: docx_rs::Docx, text: &str) -> docx_rs::Docx {
    if text.trim().is_empty() {
        return doc.add_paragraph(body(NOT_WRITTEN));
    }
    text.lines().filter(|l| !l.trim().is_empty()).fold(doc, |d, l| d.add_paragraph(body(l.trim())))
}

fn roman(n: usize) -> &'static str {
    ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV"].get(n).copied().unwrap_or("")
}

pub fn response_plan_docx(p: &ResponsePlanDoc) -> Result<Vec<u8>, DocError> {
    let o = Orientation::Portrait;
    let mut doc = st::document(o).add_table(st::letterhead(&p.header, o));
    if p.draft {
        doc = doc.add_paragraph(st::line("DỰ THẢO", st::BODY, AlignmentType::Right));
    }
    for para in st::title("Phương án ứng cứu sự cố an toàn thông tin mạng", Some(&p.title)) {
        doc = doc.add_paragraph(para);
    }
    doc = doc
        .add_paragraph(field("Đối tượng", &p.subject))
        .add_paragraph(field("Đề cương", &p.outline))
        .add_paragraph(field("Phiên bản", &p.status))
        .add_paragraph(field("Thời hạn rà soát, cập nhật", if p.review_on.is_empty() { "chưa xác định" } else { &p.review_on }));
    let mut n = 0;
    for (title, text) in &p.sections {
        doc = doc.add_paragraph(heading(&format!("{}. {}", roman(n), title.to_uppercase())));
        doc = paragraphs(doc, text);
        n += 1;
    }
    doc = doc.add_paragraph(heading(&format!("{}. ĐIỀU KIỆN ƯU TIÊN BẢO ĐẢM HOẠT ĐỘNG LIÊN TỤC", roman(n))));
    doc = paragraphs(doc, &p.priorities);
    n += 1;
    doc = doc.add_paragraph(heading(&format!("{}. KỊCH BẢN ỨNG CỨU THEO TỪNG LOẠI SỰ CỐ", roman(n))));
    n += 1;
    if p.scenarios.is_empty() {
        doc = doc.add_paragraph(body(NOT_WRITTEN));
    } else {
        let l = AlignmentType::Left;
        let rows: Vec<Vec<Cell>> = p
            .scenarios
            .iter()
            .enumerate()
            .map(|(i, s)| vec![((i + 1).to_string(), AlignmentType::Center), (format!("{}\n{}", s.incident_type, s.title), l), (s.situation.clone(), l), (s.handling.clone(), l)])
            .collect();
        let head = vec![vec!["STT", "Loại sự cố, kịch bản", "Tình huống", "Phương án xử lý"]];
        doc = doc.add_table(grid(&[6, 24, 30, 40], o.content_width(), 22, &head, &rows)).add_paragraph(st::after_table());
    }
    doc = doc.add_paragraph(heading(&format!("{}. ĐẦU MỐI LIÊN HỆ", roman(n))));
    doc = paragraphs(doc, &p.contacts);
    doc = doc.add_paragraph(st::gap()).add_table(st::signature(&p.signature, o));
    st::pack(doc)
}
