//! XLSX tables: one header row, one record per row. Labels come from the caller (the
//! i18n catalogues), so this module knows nothing of Vietnamese or English.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_xlsxwriter::{DataValidation, Format, FormatBorder, Workbook};

/// One column of a table.
pub struct Column {
    pub header: String,
    pub width: f64,
    /// Allowed values, offered as a drop-down in templates.
    pub choices: Vec<String>,
}

/// A second sheet explaining the columns: (heading, lines).
pub struct Guide {
    pub sheet_name: String,
    pub lines: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XlsxError {
    #[error("not an XLSX workbook")]
    NotXlsx,
    #[error("the workbook has no sheet")]
    NoSheet,
    #[error("the sheet has more than {0} rows")]
    TooManyRows(usize),
    #[error("cannot write the workbook: {0}")]
    Write(String),
}

impl From<rust_xlsxwriter::XlsxError> for XlsxError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        XlsxError::Write(e.to_string())
    }
}

/// Writes one sheet: a bold, frozen, filterable header row and the rows as text.
pub fn write_table(
    sheet_name: &str,
    columns: &[Column],
    rows: &[Vec<String>],
    guide: Option<&Guide>,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color("DDE7F0")
        .set_border(FormatBorder::Thin);
    let text = Format::new().set_text_wrap();
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name)?;
    for (c, col) in columns.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| XlsxError::Write("too many columns".into()))?;
        ws.write_string_with_format(0, c, &col.header, &header)?;
        ws.set_column_width(c, col.width)?;
        if !col.choices.is_empty() {
            // A list longer than Excel's 255-character limit just goes without a drop-down.
            if let Ok(v) = DataValidation::new().allow_list_strings(&col.choices) {
                ws.add_data_validation(1, c, 5000, c, &v)?;
            }
        }
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|_| XlsxError::Write("too many rows".into()))?;
        for (c, value) in row.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| XlsxError::Write("too many columns".into()))?;
            ws.write_string_with_format(r, c, value, &text)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    let last_col = u16::try_from(columns.len().saturating_sub(1)).unwrap_or(0);
    let last_row = u32::try_from(rows.len()).unwrap_or(0).max(1);
    ws.autofilter(0, 0, last_row, last_col)?;
    if let Some(g) = guide {
        let gs = wb.add_worksheet();
        gs.set_name(&g.sheet_name)?;
        gs.set_column_width(0, 40)?;
        gs.set_column_width(1, 90)?;
        for (i, (k, v)) in g.lines.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            gs.write_string_with_format(i, 0, k, &header)?;
            gs.write_string_with_format(i, 1, v, &text)?;
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// The first sheet of a workbook as text: headers and rows with their Excel row number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    /// (Excel row number, 1-based, cells as text). Entirely empty rows are dropped.
    pub rows: Vec<(usize, Vec<String>)>,
}

pub fn read_first_sheet(bytes: &[u8], max_rows: usize) -> Result<Table, XlsxError> {
    // Every XLSX is a ZIP: refuse anything else before the parser sees it.
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(XlsxError::NotXlsx);
    }
    let mut wb: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| XlsxError::NotXlsx)?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or(XlsxError::NoSheet)?
        .map_err(|_| XlsxError::NotXlsx)?;
    let (first_row, _) = range.start().unwrap_or((0, 0));
    let mut rows_iter = range.rows();
    let headers: Vec<String> = rows_iter
        .next()
        .map(|r| r.iter().map(cell_text).collect())
        .unwrap_or_default();
    let mut rows = Vec::new();
    for (i, r) in rows_iter.enumerate() {
        let cells: Vec<String> = r.iter().map(cell_text).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rows.len() >= max_rows {
            return Err(XlsxError::TooManyRows(max_rows));
        }
        // +1 for the header, +1 because Excel counts from 1.
        rows.push((first_row as usize + i + 2, cells));
    }
    Ok(Table { headers, rows })
}

/// Cell as the text a person sees: whole numbers without `.0`, dates as dd/mm/yyyy.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        Data::DateTime(dt) => {
            excel_serial_to_date(dt.as_f64()).unwrap_or_else(|| dt.as_f64().to_string())
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Excel's 1900 date system: serial 1 is 01/01/1900, and serial 60 is the phantom
/// 29/02/1900, so counting from 30/12/1899 is right for every date after February 1900.
fn excel_serial_to_date(serial: f64) -> Option<String> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let base = time::Date::from_calendar_date(1899, time::Month::December, 30).ok()?;
    let d = base.checked_add(time::Duration::days(serial.floor() as i64))?;
    Some(format!(
        "{:02}/{:02}/{}",
        d.day(),
        u8::from(d.month()),
        d.year()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_table_with_vietnamese_text() {
        let cols = vec![
            Column {
                header: "Tên hệ thống".into(),
                width: 30.0,
                choices: vec![],
            },
            Column {
                header: "Loại".into(),
                width: 12.0,
                choices: vec!["internal".into(), "other".into()],
            },
        ];
        let rows = vec![
            vec!["Cổng thông tin <b>&".into(), "internal".into()],
            vec![String::new(), String::new()],
            vec!["Đắk Lắk".into(), "other".into()],
        ];
        let guide = Guide {
            sheet_name: "Hướng dẫn".into(),
            lines: vec![("a".into(), "b".into())],
        };
        let bytes = write_table("Hệ thống", &cols, &rows, Some(&guide)).unwrap();
        let t = read_first_sheet(&bytes, 100).unwrap();
        assert_eq!(t.headers, vec!["Tên hệ thống", "Loại"]);
        assert_eq!(
            t.rows,
            vec![
                (
                    2,
                    vec!["Cổng thông tin <b>&".to_string(), "internal".into()]
                ),
                (4, vec!["Đắk Lắk".to_string(), "other".into()])
            ]
        );
        assert_eq!(read_first_sheet(&bytes, 1), Err(XlsxError::TooManyRows(1)));
    }

    #[test]
    fn refuses_what_is_not_xlsx() {
        assert_eq!(
            read_first_sheet(b"name,type\nx,y\n", 10),
            Err(XlsxError::NotXlsx)
        );
        assert_eq!(
            read_first_sheet(b"PK\x03\x04garbage", 10),
            Err(XlsxError::NotXlsx)
        );
        assert_eq!(read_first_sheet(b"", 10), Err(XlsxError::NotXlsx));
        assert_eq!(excel_serial_to_date(45566.0).as_deref(), Some("01/10/2024"));
    }
}
