//! The state document format of Decree 30/2020/NĐ-CP, shared by every DOCX Khiên writes:
//! A4, Times New Roman 13 pt, margins 20/20/30/15 mm (top/bottom/left/right), the
//! letterhead (issuing body left, national motto right, place and date under the motto),
//! the bold upper-case title, the page number centred at the top from page 2, and the
//! recipients / signature block at the end.
//!
//! All strings come from the caller except the national motto and the words of the date
//! line, which the decree fixes.

use docx_rs::{
    AlignmentType, BorderType, Docx, Header, HeightRule, LineSpacing, PageMargin, PageNum,
    PageOrientationType, Paragraph, ParagraphBorder, ParagraphBorderPosition, ParagraphBorders,
    Run, RunFonts, SpecialIndentType, Table, TableCell, TableCellMargins, TableLayoutType,
    TableRow, VAlignType, WidthType,
};
use time::Date;

use crate::error::DocError;
pub use crate::vn_format::{date_line, short_date, thousands};

/// Who issues a document and when: the letterhead of every state document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocHeader {
    /// The body above the issuer, if any ("UBND TỈNH ĐẮK LẮK"). Printed in upper case.
    pub parent_body: Option<String>,
    /// The issuing body ("Công an tỉnh Đắk Lắk"). Printed in bold upper case.
    pub issuer: String,
    /// Document number and symbol after "Số: " ("125/BC-CAT"), if the document has one.
    pub number: Option<String>,
    /// Place name of the date line ("Đắk Lắk").
    pub place: String,
    /// Date of the document.
    pub date: Date,
}

/// The signature block (right) and the recipients list (left) at the end of a document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Signature {
    /// Signing authority lines, if any, one per line ("KT. GIÁM ĐỐC", "TM. ỦY BAN
    /// NHÂN DÂN\nKT. CHỦ TỊCH"); see [`Signature::for_signer`].
    pub authority: Option<String>,
    /// Title of the signer ("PHÓ GIÁM ĐỐC"). Printed in bold upper case.
    pub title: String,
    /// Full name of the signer, printed in bold under the signing space.
    pub name: String,
    /// "Nơi nhận" lines ("Như trên;", "Lưu: VT, PA05.").
    pub recipients: Vec<String>,
}

impl Signature {
    /// The signature block the signer's position calls for (Decree 30/2020/NĐ-CP Art 13
    /// and Appendix I): a deputy signs on behalf of the head ("KT. GIÁM ĐỐC" above
    /// "PHÓ GIÁM ĐỐC"), an acting head as "Q. GIÁM ĐỐC", and for a collegial body (an
    /// Ủy ban nhân dân) "TM. ỦY BAN NHÂN DÂN" comes first. `collegial` names the body
    /// without its place ("Ủy ban nhân dân").
    pub fn for_signer(title: &str, name: &str, collegial: Option<&str>, recipients: Vec<String>) -> Signature {
        let title = title.trim();
        let mut words = title.splitn(2, char::is_whitespace);
        let (first, rest) = (words.next().unwrap_or(""), words.next().unwrap_or("").trim());
        let first = first.to_lowercase();
        let mut authority = Vec::new();
        if let Some(body) = collegial {
            authority.push(format!("TM. {body}"));
        }
        let title = match first.as_str() {
            "phó" if !rest.is_empty() => {
                authority.push(format!("KT. {rest}"));
                title.to_string()
            }
            "quyền" if !rest.is_empty() => format!("Q. {rest}"),
            _ => title.to_string(),
        };
        Signature {
            authority: (!authority.is_empty()).then(|| authority.join("\n")),
            title,
            name: name.trim().to_string(),
            recipients,
        }
    }
}

pub(crate) const FONT: &str = "Times New Roman";
/// Sizes are in half-points, as DOCX counts them.
pub(crate) const BODY: usize = 26;
pub(crate) const SMALL: usize = 24;
pub(crate) const TITLE: usize = 28;

const A4_SHORT: u32 = 11_906;
const A4_LONG: u32 = 16_838;
/// Millimetres in twips (1 mm = 1440 / 25.4 twips).
const fn mm(v: u32) -> u32 {
    v * 1440 * 10 / 254
}
const TOP: u32 = mm(20);
const BOTTOM: u32 = mm(20);
const LEFT: u32 = mm(30);
const RIGHT: u32 = mm(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Orientation {
    Portrait,
    Landscape,
}

impl Orientation {
    /// Width between the margins, in twips.
    pub(crate) fn content_width(self) -> usize {
        let page = match self {
            Orientation::Portrait => A4_SHORT,
            Orientation::Landscape => A4_LONG,
        };
        (page - LEFT - RIGHT) as usize
    }
}

fn fonts() -> RunFonts {
    RunFonts::new()
        .ascii(FONT)
        .hi_ansi(FONT)
        .cs(FONT)
        .east_asia(FONT)
}

/// An empty A4 document in state format, with the page number centred in the top margin
/// from the second page on.
pub(crate) fn document(o: Orientation) -> Docx {
    let (w, h, orient) = match o {
        Orientation::Portrait => (A4_SHORT, A4_LONG, PageOrientationType::Portrait),
        Orientation::Landscape => (A4_LONG, A4_SHORT, PageOrientationType::Landscape),
    };
    let margin = PageMargin::new()
        .top(TOP as i32)
        .bottom(BOTTOM as i32)
        .left(LEFT as i32)
        .right(RIGHT as i32)
        .header(mm(10) as i32)
        .footer(mm(10) as i32);
    let page_no = Paragraph::new()
        .align(AlignmentType::Center)
        .add_page_num(PageNum::new());
    Docx::new()
        .page_size(w, h)
        .page_orient(orient)
        .page_margin(margin)
        .default_fonts(fonts())
        .default_size(BODY)
        .default_line_spacing(LineSpacing::new().before(0).after(120).line(264))
        .header(Header::new().add_paragraph(page_no))
        .first_header(Header::new().add_paragraph(Paragraph::new()))
        .title_pg()
}

/// docx-rs cannot mark a row as a table header (`w:tblHeader`, repeated on every page).
/// Header rows therefore carry an otherwise meaningless minimum height of 7 twips, and
/// `pack` swaps that exact element for `w:tblHeader` in the built document part.
const HEADER_MARK: f32 = 7.0;
const HEADER_MARK_XML: &str = r#"<w:trHeight w:val="7" w:hRule="atLeast" />"#;

pub(crate) fn pack(docx: Docx) -> Result<Vec<u8>, DocError> {
    let mut xml = docx.build();
    let document = String::from_utf8(std::mem::take(&mut xml.document))
        .map_err(|e| DocError::Docx(e.to_string()))?;
    xml.document = document
        .replace(HEADER_MARK_XML, "<w:tblHeader />")
        .into_bytes();
    let mut out = std::io::Cursor::new(Vec::new());
    xml.pack(&mut out)
        .map_err(|e| DocError::Docx(e.to_string()))?;
    Ok(out.into_inner())
}

/// A run of text in the document font.
pub(crate) fn run(text: &str, size: usize) -> Run {
    Run::new().add_text(text).size(size).fonts(fonts())
}

/// One paragraph, no spacing around it (for letterhead, titles and table cells).
pub(crate) fn line(text: &str, size: usize, align: AlignmentType) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, size))
        .align(align)
        .line_spacing(LineSpacing::new().before(0).after(0).line(240))
}

fn bold_line(text: &str, size: usize, align: AlignmentType) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, size).bold())
        .align(align)
        .line_spacing(LineSpacing::new().before(0).after(0).line(240))
}

/// A short rule under a centred letterhead line: a bottom border between wide indents.
fn rule(cell_width: usize, rule_width: usize) -> Paragraph {
    let side = cell_width.saturating_sub(rule_width) / 2;
    let side = i32::try_from(side).unwrap_or(0);
    let mut p = Paragraph::new()
        .indent(Some(side), None, Some(side), None)
        .line_spacing(
            LineSpacing::new()
                .before(0)
                .after(0)
                .line(60)
                .line_rule(docx_rs::LineSpacingType::Exact),
        );
    p.property = p.property.set_borders(
        ParagraphBorders::with_empty().set(
            ParagraphBorder::new(ParagraphBorderPosition::Bottom)
                .val(BorderType::Single)
                .size(6)
                .space(1),
        ),
    );
    p
}

fn plain_cell(width: usize) -> TableCell {
    TableCell::new().width(width, WidthType::Dxa)
}

/// The letterhead: issuing body left, national motto right, number and date below.
pub(crate) fn letterhead(h: &DocHeader, o: Orientation) -> Table {
    let total = o.content_width();
    let left_w = match o {
        Orientation::Portrait => total * 41 / 100,
        Orientation::Landscape => total * 40 / 100,
    };
    let right_w = total - left_w;
    let c = AlignmentType::Center;

    let mut left = plain_cell(left_w);
    if let Some(parent) = h.parent_body.as_deref().filter(|p| !p.trim().is_empty()) {
        left = left.add_paragraph(line(&parent.to_uppercase(), SMALL, c));
    }
    left = left
        .add_paragraph(bold_line(&h.issuer.to_uppercase(), SMALL, c))
        .add_paragraph(rule(left_w, left_w / 3));
    let right = plain_cell(right_w)
        .add_paragraph(bold_line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", SMALL, c))
        .add_paragraph(bold_line("Độc lập - Tự do - Hạnh phúc", BODY, c))
        .add_paragraph(rule(right_w, 3550));

    let number = match &h.number {
        Some(n) => format!("Số: {n}"),
        None => String::new(),
    };
    let number_cell = plain_cell(left_w).add_paragraph(spaced(line(&number, BODY, c)));
    let date_cell = plain_cell(right_w).add_paragraph(spaced(
        Paragraph::new()
            .add_run(run(&date_line(&h.place, h.date), BODY).italic())
            .align(c),
    ));
    Table::without_borders(vec![
        TableRow::new(vec![left, right]),
        TableRow::new(vec![number_cell, date_cell]),
    ])
    .set_grid(vec![left_w, right_w])
    .layout(TableLayoutType::Fixed)
    .width(total, WidthType::Dxa)
}

#[cfg(test)]
mod signer_tests {
    use super::Signature;

    #[test]
    fn the_block_follows_the_signers_position() {
        let s = Signature::for_signer("Phó Giám đốc", "Nguyễn Văn A", None, vec![]);
        assert_eq!((s.authority.as_deref(), s.title.as_str()), (Some("KT. Giám đốc"), "Phó Giám đốc"));
        let s = Signature::for_signer("Giám đốc", "B", None, vec![]);
        assert_eq!((s.authority, s.title.as_str()), (None, "Giám đốc"));
        let s = Signature::for_signer("Quyền Giám đốc", "C", None, vec![]);
        assert_eq!((s.authority, s.title.as_str()), (None, "Q. Giám đốc"));
        let s = Signature::for_signer("Phó Chủ tịch", "D", Some("Ủy ban nhân dân"), vec![]);
        assert_eq!(s.authority.as_deref(), Some("TM. Ủy ban nhân dân\nKT. Chủ tịch"));
        let s = Signature::for_signer("Chủ tịch", "E", Some("Ủy ban nhân dân"), vec![]);
        assert_eq!(s.authority.as_deref(), Some("TM. Ủy ban nhân dân"));
    }
}

fn spaced(p: Paragraph) -> Paragraph {
    p.line_spacing(LineSpacing::new().before(120).after(0).line(240))
}

/// The document title: bold, upper case, centred, 14 pt, with an optional second line
/// (the subject) in bold as given.
pub(crate) fn title(title: &str, subject: Option<&str>) -> Vec<Paragraph> {
    let c = AlignmentType::Center;
    let mut out = vec![
        bold_line(&title.to_uppercase(), TITLE, c)
            .line_spacing(LineSpacing::new().before(360).after(0).line(240)),
    ];
    if let Some(s) = subject {
        out.push(bold_line(s, TITLE, c));
    }
    if let Some(last) = out.pop() {
        out.push(last.line_spacing(LineSpacing::new().before(0).after(240).line(240)));
    }
    out
}

/// A section heading ("I. THÔNG TIN CHUNG"), bold, flush left.
pub(crate) fn heading(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, BODY).bold())
        .keep_next(true)
        .line_spacing(LineSpacing::new().before(120).after(60).line(264))
}

/// A body paragraph: justified, first line indented 1 cm.
pub(crate) fn body(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, BODY))
        .align(AlignmentType::Both)
        .indent(None, Some(SpecialIndentType::FirstLine(567)), None, None)
}

/// "- Label: value", the label in the regular face and the value as given.
pub(crate) fn field(label: &str, value: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(&format!("- {label}: "), BODY))
        .add_run(run(value, BODY))
        .align(AlignmentType::Both)
        .indent(None, Some(SpecialIndentType::FirstLine(567)), None, None)
        .line_spacing(LineSpacing::new().before(0).after(60).line(264))
}

/// A table cell with one paragraph per line of `text`.
pub(crate) fn cell(
    text: &str,
    width: usize,
    size: usize,
    bold: bool,
    align: AlignmentType,
) -> TableCell {
    let mut c = TableCell::new()
        .width(width, WidthType::Dxa)
        .vertical_align(VAlignType::Center);
    for l in text.split('\n') {
        let r = run(l, size);
        let r = if bold { r.bold() } else { r };
        c = c.add_paragraph(
            Paragraph::new()
                .add_run(r)
                .align(align)
                .line_spacing(LineSpacing::new().before(40).after(40).line(240)),
        );
    }
    c
}

/// A table cell's text and alignment.
pub(crate) type Cell = (String, AlignmentType);

/// A bordered grid: bold centred header rows, then the rows, all in `size` half-points.
/// `widths` are relative and are scaled to `total` twips.
pub(crate) fn grid(
    widths: &[usize],
    total: usize,
    size: usize,
    header: &[Vec<&str>],
    rows: &[Vec<Cell>],
) -> Table {
    let sum: usize = widths.iter().sum::<usize>().max(1);
    let w: Vec<usize> = widths.iter().map(|x| x * total / sum).collect();
    let mut t = Table::new(vec![]);
    for h in header {
        let head = h
            .iter()
            .zip(&w)
            .map(|(h, w)| cell(h, *w, size, true, AlignmentType::Center))
            .collect();
        t = t.add_row(
            TableRow::new(head)
                .cant_split()
                .row_height(HEADER_MARK)
                .height_rule(HeightRule::AtLeast),
        );
    }
    for r in rows {
        let cells = r
            .iter()
            .zip(&w)
            .map(|((text, align), w)| cell(text, *w, size, false, *align))
            .collect();
        t = t.add_row(TableRow::new(cells).cant_split());
    }
    t.set_grid(w)
        .layout(TableLayoutType::Fixed)
        .width(total, WidthType::Dxa)
        .margins(TableCellMargins::new().margin(0, 70, 0, 70))
}

/// A 6 pt spacer, so that text does not touch the table above it.
pub(crate) fn after_table() -> Paragraph {
    Paragraph::new().line_spacing(
        LineSpacing::new()
            .before(0)
            .after(0)
            .line(120)
            .line_rule(docx_rs::LineSpacingType::Exact),
    )
}

/// Recipients on the left, signing authority, title and name on the right.
pub(crate) fn signature(s: &Signature, o: Orientation) -> Table {
    let total = o.content_width();
    let left_w = total * 45 / 100;
    let right_w = total - left_w;
    let c = AlignmentType::Center;
    let mut left = plain_cell(left_w).add_paragraph(
        Paragraph::new()
            .add_run(run("Nơi nhận:", SMALL).bold().italic())
            .line_spacing(LineSpacing::new().before(0).after(0).line(240)),
    );
    for r in &s.recipients {
        left = left.add_paragraph(line(&format!("- {r}"), 22, AlignmentType::Left));
    }
    let mut right = plain_cell(right_w);
    // One line per level of authority ("TM. ỦY BAN NHÂN DÂN", then "KT. CHỦ TỊCH").
    for a in s.authority.iter().flat_map(|a| a.lines()).filter(|a| !a.trim().is_empty()) {
        right = right.add_paragraph(bold_line(&a.to_uppercase(), BODY, c));
    }
    right = right.add_paragraph(bold_line(&s.title.to_uppercase(), BODY, c));
    for _ in 0..4 {
        right = right.add_paragraph(line("", BODY, c));
    }
    right = right.add_paragraph(bold_line(&s.name, BODY, c));
    Table::without_borders(vec![TableRow::new(vec![left, right]).cant_split()])
        .set_grid(vec![left_w, right_w])
        .layout(TableLayoutType::Fixed)
        .width(total, WidthType::Dxa)
}

/// The body is a sequence of paragraphs and tables.
pub(crate) enum Block {
    P(Box<Paragraph>),
    T(Box<docx_rs::Table>),
}

impl From<Paragraph> for Block {
    fn from(p: Paragraph) -> Self {
        Block::P(Box::new(p))
    }
}

impl From<docx_rs::Table> for Block {
    fn from(t: docx_rs::Table) -> Self {
        Block::T(Box::new(t))
    }
}

/// Appends the blocks in order.
pub(crate) fn add_blocks(mut doc: Docx, blocks: Vec<Block>) -> Docx {
    for b in blocks {
        doc = match b {
            Block::P(p) => doc.add_paragraph(*p),
            Block::T(t) => doc.add_table(*t),
        };
    }
    doc
}

/// A blank paragraph between blocks.
pub(crate) fn gap() -> Paragraph {
    line("", BODY, AlignmentType::Left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_follow_decree_30() {
        assert_eq!(TOP, 1133);
        assert_eq!(LEFT, 1700);
        assert_eq!(RIGHT, 850);
        assert_eq!(Orientation::Portrait.content_width(), 11_906 - 1700 - 850);
    }
}
