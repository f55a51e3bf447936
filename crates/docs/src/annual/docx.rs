//! Form 08 as a landscape A4 DOCX in state format.

use docx_rs::{AlignmentType, Paragraph};

use super::{AnnualReport, FORM08_COLUMNS, WIDTHS};
use crate::docx_style::{self as st, Cell, Orientation, field, grid, heading};
use crate::error::DocError;

/// Renders the annual report: letterhead, title, totals, the 12-column table, signature.
pub fn form08_docx(r: &AnnualReport) -> Result<Vec<u8>, DocError> {
    r.check()?;
    let o = Orientation::Landscape;
    let mut doc = st::document(o).add_table(st::letterhead(&r.header, o));
    for p in st::title("Báo cáo", Some(&r.subject())) {
        doc = doc.add_paragraph(p);
    }
    doc = doc
        .add_paragraph(
            Paragraph::new()
                .add_run(st::run(&r.period_line(), st::BODY).italic())
                .align(AlignmentType::Center),
        )
        .add_paragraph(heading("I. SỐ LIỆU TỔNG HỢP"));
    for (label, value) in r.total_lines() {
        doc = doc.add_paragraph(field(label, &value));
    }
    doc = doc.add_paragraph(heading("II. DANH SÁCH HỆ THỐNG THÔNG TIN THEO CẤP ĐỘ"));

    let c = AlignmentType::Center;
    let l = AlignmentType::Left;
    // Columns 1, 5, 9 and 11 are short values: centre them.
    let align = |i: usize| if matches!(i, 0 | 4 | 8 | 10) { c } else { l };
    let rows: Vec<Vec<Cell>> = r
        .systems
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.cells(i + 1)
                .into_iter()
                .enumerate()
                .map(|(k, text)| (text, align(k)))
                .collect()
        })
        .collect();
    let numbers: Vec<String> = (1..=12).map(|i| format!("({i})")).collect();
    let head = vec![
        FORM08_COLUMNS.to_vec(),
        numbers.iter().map(String::as_str).collect(),
    ];
    doc = doc.add_table(grid(&WIDTHS, o.content_width(), 20, &head, &rows));
    if r.systems.is_empty() {
        doc = doc.add_paragraph(st::body(
            "Không có hệ thống thông tin nào trong kỳ báo cáo.",
        ));
    }
    doc = doc
        .add_paragraph(st::gap())
        .add_table(st::signature(&r.signature, o));
    st::pack(doc)
}
