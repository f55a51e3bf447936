//! Form 08 as an XLSX sheet: title rows, the header totals, then the 12-column table with
//! a bold, bordered, frozen header row, printed landscape on A4.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use super::{AnnualReport, FORM08_COLUMNS, WIDTHS};
use crate::docx_style::date_line;
use crate::error::DocError;

const FONT: &str = "Times New Roman";
const LAST_COL: u16 = 11;

fn base() -> Format {
    Format::new().set_font_name(FONT).set_font_size(12)
}

/// Renders the annual report as one sheet named "Mẫu 08".
pub fn form08_xlsx(r: &AnnualReport) -> Result<Vec<u8>, DocError> {
    r.check()?;
    let title = base()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let centred = base()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let italic = centred.clone().set_italic();
    let label = base()
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    let value = base().set_bold().set_align(FormatAlign::Left);
    let header = base()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color("DDE7F0")
        .set_border(FormatBorder::Thin);
    let numbers = base()
        .set_italic()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin);
    let cell = base()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    let cell_c = cell.clone().set_align(FormatAlign::Center);

    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Mẫu 08")?;
    for (c, w) in WIDTHS.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| DocError::Xlsx("column".into()))?;
        ws.set_column_width(c, col_width(*w))?;
    }

    // Rows 1–4: issuer, title, subject, period and date.
    let mut row: u32 = 0;
    ws.merge_range(
        row,
        0,
        row,
        LAST_COL,
        &r.header.issuer.to_uppercase(),
        &centred.clone().set_bold(),
    )?;
    row += 1;
    ws.merge_range(row, 0, row, LAST_COL, "BÁO CÁO", &title)?;
    ws.set_row_height(row, 21)?;
    row += 1;
    ws.merge_range(
        row,
        0,
        row,
        LAST_COL,
        &r.subject(),
        &centred.clone().set_bold(),
    )?;
    ws.set_row_height(row, 33)?;
    row += 1;
    let when = format!(
        "{} {}",
        r.period_line(),
        date_line(&r.header.place, r.header.date)
    );
    ws.merge_range(row, 0, row, LAST_COL, &when, &italic)?;
    row += 2;

    // Header totals: label over columns A–F, value in G.
    for (l, v) in r.total_lines() {
        ws.merge_range(row, 0, row, 5, l, &label)?;
        ws.write_string_with_format(row, 6, &v, &value)?;
        row += 1;
    }
    row += 1;

    // The table.
    let head_row = row;
    for (c, h) in FORM08_COLUMNS.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| DocError::Xlsx("column".into()))?;
        ws.write_string_with_format(row, c, *h, &header)?;
        ws.write_string_with_format(row + 1, c, format!("({})", c + 1), &numbers)?;
    }
    ws.set_row_height(row, row_height(&FORM08_COLUMNS.map(String::from), 1.15))?;
    row += 2;
    ws.set_freeze_panes(row, 0)?;
    for (i, s) in r.systems.iter().enumerate() {
        for (c, text) in s.cells(i + 1).iter().enumerate() {
            let c16 = u16::try_from(c).map_err(|_| DocError::Xlsx("column".into()))?;
            match c {
                0 => ws.write_number_with_format(row, c16, (i + 1) as f64, &cell_c)?,
                4 => ws.write_number_with_format(row, c16, f64::from(s.proposed_level), &cell_c)?,
                8 | 10 => ws.write_string_with_format(row, c16, text, &cell_c)?,
                _ => ws.write_string_with_format(row, c16, text, &cell)?,
            };
        }
        ws.set_row_height(row, row_height(&s.cells(i + 1), 1.0))?;
        row += 1;
    }

    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(head_row, head_row + 1)?;
    Ok(wb.save_to_buffer()?)
}

/// Column width in Excel character units.
fn col_width(relative: usize) -> f64 {
    relative as f64 * 1.1
}

/// Neither Excel nor LibreOffice grows a row for wrapped text written by a library, so
/// estimate the height from a greedy word wrap of each cell. `bold` widens the glyphs.
fn row_height(cells: &[String], bold: f64) -> f64 {
    let lines = cells
        .iter()
        .zip(WIDTHS)
        .map(|(text, w)| wrapped_lines(text, (col_width(w) * 1.25 / bold).floor() as usize))
        .max()
        .unwrap_or(1);
    16.0 * lines as f64 + 4.0
}

fn wrapped_lines(text: &str, cap: usize) -> usize {
    let cap = cap.max(1);
    let mut lines = 1;
    let mut used = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if used == 0 {
            used = len;
        } else if used + 1 + len <= cap {
            used += 1 + len;
        } else {
            lines += 1;
            used = len;
        }
        while used > cap {
            lines += 1;
            used -= cap;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_on_words() {
        assert_eq!(wrapped_lines("", 10), 1);
        assert_eq!(wrapped_lines("một hai ba", 10), 1);
        assert_eq!(wrapped_lines("một hai ba bốn", 10), 2);
        assert_eq!(wrapped_lines("abcdefghijklmnopqrstuvwxy", 10), 3);
    }
}
