//! Periodic reports (a unit's monthly, quarterly and annual inspection reports, the
//! department's consolidated report, Circular 20/2017 Form 05) as a portrait A4 DOCX in
//! state format and as an XLSX workbook with the same figures. What the sections say
//! comes from the template (data/reports/periodic.toml) and the live figures; this
//! module only lays them out.

use docx_rs::AlignmentType;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use crate::docx_style::{self as st, Cell, DocHeader, Orientation, Signature, body, grid, heading, thousands};
use crate::error::DocError;
use crate::incident::TO_FILL;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodicReport {
    pub header: DocHeader,
    /// "Báo cáo tình hình bảo đảm an toàn thông tin mạng".
    pub title: String,
    /// Under the title: "Quý IV năm 2026 của Sở Y tế".
    pub subject: String,
    /// "Kính gửi: …".
    pub recipient: String,
    /// The legal basis, the first paragraph.
    pub basis: String,
    /// What the figures cover: "Số liệu từ ngày 01/10/2026 đến ngày 31/12/2026; …".
    pub coverage: String,
    pub sections: Vec<ReportSection>,
    pub signature: Signature,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportSection {
    Figures { heading: String, rows: Vec<(String, u64)> },
    /// One row per unit (name, a value per column) and the total row.
    Units { heading: String, columns: Vec<String>, rows: Vec<(String, Vec<u64>)>, total: Vec<u64> },
    /// Form 05: per incident type, (type, detected, closed, serious).
    IncidentsByType { heading: String, rows: Vec<(String, u64, u64, u64)> },
    ToFill { heading: String, prompt: String },
}

impl ReportSection {
    pub fn heading(&self) -> &str {
        match self {
            ReportSection::Figures { heading, .. }
            | ReportSection::Units { heading, .. }
            | ReportSection::IncidentsByType { heading, .. }
            | ReportSection::ToFill { heading, .. } => heading,
        }
    }
}

/// Form 05's totals: incidents, closed, serious.
fn incident_totals(rows: &[(String, u64, u64, u64)]) -> (u64, u64, u64) {
    rows.iter().fold((0, 0, 0), |a, r| (a.0 + r.1, a.1 + r.2, a.2 + r.3))
}

/// The columns of Form 05 Khiên does not record: printed with dotted cells the unit
/// fills in, and said so under the table.
const FORM05_UNRECORDED: [&str; 4] = ["Tự xử lý", "Có hỗ trợ trong nước", "Có hỗ trợ nước ngoài", "Thiệt hại ước tính"];
const FORM05_NOTE: &str = "Ghi chú: các cột (5) đến (8) Khiên chưa ghi nhận; đơn vị điền trước khi ký ban hành.";

pub fn periodic_docx(r: &PeriodicReport) -> Result<Vec<u8>, DocError> {
    if r.title.trim().is_empty() {
        return Err(DocError::Invalid("a periodic report needs a title".into()));
    }
    let o = Orientation::Portrait;
    let mut doc = st::document(o).add_table(st::letterhead(&r.header, o));
    for p in st::title(&r.title, Some(&r.subject)) {
        doc = doc.add_paragraph(p);
    }
    doc = doc
        .add_paragraph(st::line(&format!("Kính gửi: {}", r.recipient), st::BODY, AlignmentType::Center))
        .add_paragraph(body(&r.basis))
        .add_paragraph(body(&r.coverage));
    let c = AlignmentType::Center;
    let l = AlignmentType::Left;
    let width = o.content_width();
    for s in &r.sections {
        match s {
            ReportSection::Figures { heading: h, rows } => {
                let cells: Vec<Vec<Cell>> = rows
                    .iter()
                    .enumerate()
                    .map(|(i, (label, v))| vec![((i + 1).to_string(), c), (label.clone(), l), (thousands(*v), c)])
                    .collect();
                doc = doc
                    .add_paragraph(heading(h))
                    .add_table(grid(&[8, 72, 20], width, 22, &[vec!["STT", "Nội dung", "Số lượng"]], &cells))
                    .add_paragraph(st::after_table());
            }
            ReportSection::Units { heading: h, columns, rows, total } => {
                let mut head = vec!["STT", "Cơ quan, đơn vị"];
                head.extend(columns.iter().map(String::as_str));
                let n = columns.len().max(1);
                // The name takes what the figures leave: each figure column 9–12 %.
                let each = (60 / n).clamp(9, 12);
                let mut widths = vec![6, 94usize.saturating_sub(each * n).max(20)];
                widths.extend(std::iter::repeat_n(each, n));
                let mut cells: Vec<Vec<Cell>> = rows
                    .iter()
                    .enumerate()
                    .map(|(i, (name, vs))| {
                        let mut row = vec![((i + 1).to_string(), c), (name.clone(), l)];
                        row.extend(vs.iter().map(|v| (thousands(*v), c)));
                        row
                    })
                    .collect();
                let mut t = vec![(String::new(), c), ("Tổng cộng".to_string(), l)];
                t.extend(total.iter().map(|v| (thousands(*v), c)));
                cells.push(t);
                doc = doc.add_paragraph(heading(h));
                doc = if rows.is_empty() {
                    doc.add_paragraph(body("Không có cơ quan, đơn vị nào trong phạm vi."))
                } else {
                    doc.add_table(grid(&widths, width, 20, &[head], &cells)).add_paragraph(st::after_table())
                };
            }
            ReportSection::IncidentsByType { heading: h, rows } => {
                let mut head = vec!["STT", "Loại sự cố", "Số sự cố", "Đã xử lý xong", "Nghiêm trọng"];
                head.extend(FORM05_UNRECORDED);
                let numbers: Vec<String> = (1..=head.len()).map(|i| format!("({i})")).collect();
                let mut cells: Vec<Vec<Cell>> = rows
                    .iter()
                    .enumerate()
                    .map(|(i, (kind, n, closed, serious))| {
                        let mut row = vec![((i + 1).to_string(), c), (kind.clone(), l), (thousands(*n), c), (thousands(*closed), c), (thousands(*serious), c)];
                        row.extend(FORM05_UNRECORDED.iter().map(|_| ("…".to_string(), c)));
                        row
                    })
                    .collect();
                let (n, closed, serious) = incident_totals(rows);
                let mut t = vec![(String::new(), c), ("Tổng cộng".to_string(), l), (thousands(n), c), (thousands(closed), c), (thousands(serious), c)];
                t.extend(FORM05_UNRECORDED.iter().map(|_| ("…".to_string(), c)));
                cells.push(t);
                let nums: Vec<&str> = numbers.iter().map(String::as_str).collect();
                doc = doc
                    .add_paragraph(heading(h))
                    .add_table(grid(&[6, 22, 9, 10, 10, 9, 11, 11, 12], width, 20, &[head, nums], &cells))
                    .add_paragraph(st::after_table())
                    .add_paragraph(body(FORM05_NOTE));
            }
            ReportSection::ToFill { heading: h, prompt } => {
                doc = doc.add_paragraph(heading(h)).add_paragraph(body(prompt));
                for _ in 0..3 {
                    doc = doc.add_paragraph(body(&TO_FILL.repeat(3)));
                }
            }
        }
    }
    doc = doc.add_paragraph(st::gap()).add_table(st::signature(&r.signature, o));
    st::pack(doc)
}

/// A sheet row: its label, its values (none: a column Khiên does not record) and
/// whether it is the total.
type SheetRow = (String, Vec<Option<u64>>, bool);

/// The same report as a workbook: a sheet per table section, headed by the title,
/// subject and coverage; numbers are numbers (Excel sums them).
pub fn periodic_xlsx(r: &PeriodicReport) -> Result<Vec<u8>, DocError> {
    let x = |e: rust_xlsxwriter::XlsxError| DocError::Xlsx(e.to_string());
    let base = Format::new().set_font_name("Times New Roman").set_font_size(12);
    let title = base.clone().set_bold().set_font_size(14).set_text_wrap();
    let header = base.clone().set_bold().set_text_wrap().set_align(FormatAlign::Center).set_background_color("DDE7F0").set_border(FormatBorder::Thin);
    let cell = base.clone().set_text_wrap().set_border(FormatBorder::Thin);
    let number = base.clone().set_border(FormatBorder::Thin).set_num_format("#,##0");
    let bold_cell = cell.clone().set_bold();
    let bold_number = number.clone().set_bold();
    let mut wb = Workbook::new();
    let mut sheet_no = 0;
    for s in &r.sections {
        let (head, rows): (Vec<String>, Vec<SheetRow>) = match s {
            ReportSection::Figures { rows, .. } => (
                vec!["Nội dung".into(), "Số lượng".into()],
                rows.iter().map(|(l, v)| (l.clone(), vec![Some(*v)], false)).collect(),
            ),
            ReportSection::Units { columns, rows, total, .. } => {
                let mut h = vec!["Cơ quan, đơn vị".to_string()];
                h.extend(columns.iter().cloned());
                let mut out: Vec<_> = rows.iter().map(|(n, vs)| (n.clone(), vs.iter().map(|v| Some(*v)).collect(), false)).collect();
                out.push(("Tổng cộng".into(), total.iter().map(|v| Some(*v)).collect(), true));
                (h, out)
            }
            ReportSection::IncidentsByType { rows, .. } => {
                let mut h = vec!["Loại sự cố".to_string(), "Số sự cố".into(), "Đã xử lý xong".into(), "Nghiêm trọng".into()];
                h.extend(FORM05_UNRECORDED.iter().map(|s| s.to_string()));
                let unrecorded = || std::iter::repeat_n(None, FORM05_UNRECORDED.len());
                let mut out: Vec<_> = rows
                    .iter()
                    .map(|(k, n, c, s)| (k.clone(), [Some(*n), Some(*c), Some(*s)].into_iter().chain(unrecorded()).collect(), false))
                    .collect();
                let (n, c, sv) = incident_totals(rows);
                out.push(("Tổng cộng".into(), [Some(n), Some(c), Some(sv)].into_iter().chain(unrecorded()).collect(), true));
                (h, out)
            }
            ReportSection::ToFill { .. } => continue,
        };
        let heading = s.heading();
        sheet_no += 1;
        let ws = wb.add_worksheet();
        // Sheet names: at most 31 characters, none of []:*?/\ — the section's number.
        ws.set_name(format!("Phần {sheet_no}")).map_err(x)?;
        ws.set_paper_size(9);
        ws.set_print_fit_to_pages(1, 0);
        ws.set_column_width(0, 48).map_err(x)?;
        for c in 1..head.len() {
            let c = u16::try_from(c).map_err(|_| DocError::Xlsx("column".into()))?;
            ws.set_column_width(c, 14).map_err(x)?;
        }
        ws.write_string_with_format(0, 0, format!("{} {}", r.title, r.subject), &title).map_err(x)?;
        ws.write_string_with_format(1, 0, heading, &base.clone().set_bold()).map_err(x)?;
        ws.write_string_with_format(2, 0, &r.coverage, &base.clone().set_italic()).map_err(x)?;
        for (c, h) in head.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| DocError::Xlsx("column".into()))?;
            ws.write_string_with_format(4, c, h, &header).map_err(x)?;
        }
        for (i, (label, values, total)) in rows.iter().enumerate() {
            let row = u32::try_from(i + 5).map_err(|_| DocError::Xlsx("row".into()))?;
            ws.write_string_with_format(row, 0, label, if *total { &bold_cell } else { &cell }).map_err(x)?;
            for (j, v) in values.iter().enumerate() {
                let col = u16::try_from(j + 1).map_err(|_| DocError::Xlsx("column".into()))?;
                match v {
                    #[allow(clippy::cast_precision_loss)] // counts, far below 2^53
                    Some(n) => ws.write_number_with_format(row, col, *n as f64, if *total { &bold_number } else { &number }).map_err(x)?,
                    None => ws.write_string_with_format(row, col, "", &cell).map_err(x)?,
                };
            }
        }
        if matches!(s, ReportSection::IncidentsByType { .. }) {
            let row = u32::try_from(rows.len() + 6).unwrap_or(u32::MAX);
            ws.write_string_with_format(row, 0, FORM05_NOTE, &base.clone().set_italic()).map_err(x)?;
        }
        ws.set_freeze_panes(5, 1).map_err(x)?;
    }
    if sheet_no == 0 {
        let ws = wb.add_worksheet();
        ws.write_string_with_format(0, 0, format!("{} {}", r.title, r.subject), &title).map_err(x)?;
        ws.write_string_with_format(1, 0, "Báo cáo không có bảng số liệu.", &base).map_err(x)?;
    }
    wb.save_to_buffer().map_err(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use time::macros::date;

    fn entry(bytes: &[u8], name: &str) -> String {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut out = String::new();
        z.by_name(name).unwrap().read_to_string(&mut out).unwrap();
        out
    }

    fn report() -> PeriodicReport {
        PeriodicReport {
            header: DocHeader { parent_body: Some("UBND tỉnh Đắk Lắk".into()), issuer: "Sở Y tế".into(), number: None, place: "Đắk Lắk".into(), date: date!(2026 - 12 - 02) },
            title: "Báo cáo tình hình bảo đảm an toàn thông tin mạng".into(),
            subject: "quý IV năm 2026 của Sở Y tế".into(),
            recipient: "Sở Khoa học và Công nghệ".into(),
            basis: "Thực hiện …".into(),
            coverage: "Số liệu từ ngày 01/10/2026 đến ngày 31/12/2026.".into(),
            sections: vec![
                ReportSection::Figures { heading: "I. HỆ THỐNG".into(), rows: vec![("Hệ thống đang dùng".into(), 1234)] },
                ReportSection::Units { heading: "II. THEO ĐƠN VỊ".into(), columns: vec!["HTTT".into()], rows: vec![("Sở A".into(), vec![3])], total: vec![3] },
                ReportSection::IncidentsByType { heading: "III. SỰ CỐ".into(), rows: vec![("Mã độc".into(), 2, 1, 0)] },
                ReportSection::ToFill { heading: "IV. ĐỀ XUẤT".into(), prompt: "Đề xuất:".into() },
            ],
            signature: Signature::default(),
        }
    }

    #[test]
    fn both_formats_carry_the_figures() {
        let docx = periodic_docx(&report()).unwrap();
        let xml = entry(&docx, "word/document.xml");
        for s in ["Kính gửi: Sở Khoa học và Công nghệ", "1.234", "Tổng cộng", "các cột (5) đến (8)", "ĐỀ XUẤT"] {
            assert!(xml.contains(s), "{s}");
        }
        let xlsx = periodic_xlsx(&report()).unwrap();
        let sheet = entry(&xlsx, "xl/worksheets/sheet1.xml");
        assert!(sheet.contains("<v>1234</v>"), "numbers are numbers: {sheet}");
        // Three table sections, three sheets; the text section has none.
        assert_eq!(entry(&xlsx, "xl/workbook.xml").matches("<sheet ").count(), 3);
    }
}
