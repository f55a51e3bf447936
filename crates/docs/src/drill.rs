//! The drill report as a portrait A4 DOCX in state format: what was drilled, when, by
//! whom, with which objectives and tools, and the weaknesses found with the deadline and
//! status of the finding each became.

use docx_rs::AlignmentType;

use crate::docx_style::{self as st, Cell, DocHeader, Orientation, Signature, body, field, grid, heading};
use crate::error::DocError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillReport {
    pub header: DocHeader,
    /// "Diễn tập thực chiến" / "Diễn tập trên bàn".
    pub kind: String,
    pub title: String,
    pub organiser: String,
    /// "10/11/2026 – 12/11/2026".
    pub period: String,
    pub objectives: String,
    pub participants: String,
    pub tools: String,
    pub systems: Vec<String>,
    pub weaknesses: Vec<WeaknessRow>,
    pub signature: Signature,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeaknessRow {
    pub system: String,
    pub title: String,
    pub severity: String,
    /// dd/mm/yyyy, empty until the finding is imported.
    pub due: String,
    pub status: String,
}

pub fn drill_docx(r: &DrillReport) -> Result<Vec<u8>, DocError> {
    let o = Orientation::Portrait;
    let mut doc = st::document(o).add_table(st::letterhead(&r.header, o));
    for p in st::title("Báo cáo kết quả diễn tập", Some(&r.title)) {
        doc = doc.add_paragraph(p);
    }
    doc = doc
        .add_paragraph(heading("I. THÔNG TIN CHUNG"))
        .add_paragraph(field("Hình thức", &r.kind))
        .add_paragraph(field("Đơn vị tổ chức", &r.organiser))
        .add_paragraph(field("Thời gian", &r.period))
        .add_paragraph(field("Mục tiêu", &r.objectives))
        .add_paragraph(field("Thành phần tham gia", &r.participants))
        .add_paragraph(field("Công cụ sử dụng", if r.tools.trim().is_empty() { "không ghi nhận" } else { &r.tools }))
        .add_paragraph(heading("II. PHẠM VI DIỄN TẬP"));
    for s in &r.systems {
        doc = doc.add_paragraph(st::line(&format!("      - {s}"), st::BODY, AlignmentType::Left));
    }
    doc = doc.add_paragraph(heading("III. ĐIỂM YẾU PHÁT HIỆN VÀ KHẮC PHỤC"));
    if r.weaknesses.is_empty() {
        doc = doc.add_paragraph(body("Không ghi nhận điểm yếu nào."));
    } else {
        let c = AlignmentType::Center;
        let l = AlignmentType::Left;
        let rows: Vec<Vec<Cell>> = r
            .weaknesses
            .iter()
            .enumerate()
            .map(|(i, w)| vec![((i + 1).to_string(), c), (w.system.clone(), l), (w.title.clone(), l), (w.severity.clone(), c), (w.due.clone(), c), (w.status.clone(), c)])
            .collect();
        let head = vec![vec!["STT", "Hệ thống", "Điểm yếu", "Mức độ", "Hạn khắc phục", "Tình trạng"]];
        doc = doc.add_table(grid(&[6, 22, 34, 12, 13, 13], o.content_width(), 22, &head, &rows)).add_paragraph(st::after_table());
    }
    doc = doc.add_paragraph(st::gap()).add_table(st::signature(&r.signature, o));
    st::pack(doc)
}
