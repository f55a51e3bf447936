//! XLSX tables: one header row, one record per row. Labels come from the caller (the
//! i18n catalogues), so this module knows nothing of Vietnamese or English.

use std::fmt;

use rust_xlsxwriter::{DataValidation, Format, FormatBorder, Formula, Workbook};

/// Rows an import reads, and so the rows a template offers drop-downs on.
pub const IMPORT_ROWS: usize = 2000;

/// The hidden sheet that holds the drop-down lists of a template. A list typed into
/// the validation itself is split at every comma ("Phục vụ người dân, doanh nghiệp"
/// became two choices) and limited to 255 characters; a range has neither problem.
const LISTS_SHEET: &str = "Danh mục";

use crate::zip_guard::ZipGuardError;

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
    /// Refused by the sheet's declared dimension or by a cell, before the rows are counted.
    #[error("the workbook is beyond what an import reads: {0}")]
    TooLarge(SheetLimit),
    /// Refused by the archive's limits (a ZIP bomb, or something very like one).
    #[error("the workbook archive was refused: {0}")]
    ZipRefused(ZipGuardError),
    #[error("cannot write the workbook: {0}")]
    Write(String),
}

/// The limit a workbook crossed, with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetLimit {
    /// The last Excel row number (1-based) a sheet may use.
    Rows(usize),
    /// How many columns, from A, a sheet may use.
    Columns(usize),
    SharedStrings(usize),
    /// Bytes of text, in the shared strings or in the cells read.
    TextBytes(usize),
}

impl fmt::Display for SheetLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SheetLimit::Rows(n) => write!(f, "a cell below row {n}"),
            SheetLimit::Columns(n) => write!(f, "a cell right of column {n}"),
            SheetLimit::SharedStrings(n) => write!(f, "more than {n} shared strings"),
            SheetLimit::TextBytes(n) => write!(f, "more than {n} bytes of text"),
        }
    }
}

impl From<ZipGuardError> for XlsxError {
    fn from(e: ZipGuardError) -> Self {
        match e {
            ZipGuardError::NotZip => XlsxError::NotXlsx,
            refused => XlsxError::ZipRefused(refused),
        }
    }
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
    // Printed as officials print tables: landscape, one page wide, the header on
    // every page.
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    let mut lists: Vec<(u16, &[String])> = Vec::new();
    for (c, col) in columns.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| XlsxError::Write("too many columns".into()))?;
        ws.write_string_with_format(0, c, &col.header, &header)?;
        ws.set_column_width(c, col.width)?;
        if !col.choices.is_empty() {
            let n = col.choices.len();
            let letter = column_letter(lists.len());
            let range = format!("='{LISTS_SHEET}'!${letter}$1:${letter}${n}");
            let v = DataValidation::new().allow_list_formula(Formula::new(range));
            let last = u32::try_from(IMPORT_ROWS).unwrap_or(u32::MAX);
            ws.add_data_validation(1, c, last, c, &v)?;
            lists.push((c, &col.choices));
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
    if !lists.is_empty() {
        let ls = wb.add_worksheet();
        ls.set_name(LISTS_SHEET)?;
        for (i, (_, choices)) in lists.iter().enumerate() {
            let c = u16::try_from(i).map_err(|_| XlsxError::Write("too many lists".into()))?;
            for (r, choice) in choices.iter().enumerate() {
                ls.write_string(u32::try_from(r).unwrap_or(u32::MAX), c, choice)?;
            }
        }
        ls.set_hidden(true);
    }
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

/// `A`, `B`, … `Z`, `AA`: the spreadsheet name of the 0-based column `i`.
fn column_letter(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + u8::try_from(i % 26).unwrap_or(0));
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The first sheet of a workbook as text: headers and rows with their Excel row number.
///
/// The header is the first row with any text; columns start at the leftmost column with
/// any text. Every row has at least as many cells as the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    /// (Excel row number, 1-based, cells as text). Entirely empty rows are dropped.
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Columns an import reads, from A. The widest import template has a few dozen.
pub const MAX_COLUMNS: usize = 256;
/// Rows without text a sheet may have beyond its header and `max_rows` records: people
/// leave gaps and format blank rows far below their data.
pub const MAX_BLANK_ROWS: usize = 10_000;
pub const MAX_SHARED_STRINGS: usize = 1_000_000;
/// Bytes of text in the shared strings, and again in the cells read from the sheet
/// (a cell repeats its shared string, so the two are counted apart).
pub const MAX_TEXT_BYTES: usize = 32 * 1024 * 1024;
mod read;
pub use read::read_first_sheet;

#[cfg(test)]
mod tests;
