//! XLSX tables: one header row, one record per row. Labels come from the caller (the
//! i18n catalogues), so this module knows nothing of Vietnamese or English.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{BufRead, BufReader, Cursor};

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use rust_xlsxwriter::{DataValidation, Format, FormatBorder, Workbook};

use crate::zip_guard::{GuardedArchive, ZipGuardError, ZipLimits};

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
/// Excel itself stops at 64,000 cell formats; a style index past this is taken as "not a date".
const MAX_STYLES: usize = 65_536;

const WORKBOOK: &str = "xl/workbook.xml";
const WORKBOOK_RELS: &str = "xl/_rels/workbook.xml.rels";
const FIRST_SHEET: &str = "xl/worksheets/sheet1.xml";
const SHARED_STRINGS: &str = "xl/sharedStrings.xml";
const STYLES: &str = "xl/styles.xml";

type Archive<'a> = GuardedArchive<Cursor<&'a [u8]>>;

/// Reads the first sheet, streaming: nothing is allocated by what the file declares,
/// only by the cells it really holds, and those within the limits above and
/// [`ZipLimits::office`].
pub fn read_first_sheet(bytes: &[u8], max_rows: usize) -> Result<Table, XlsxError> {
    // Every XLSX is a ZIP: refuse anything else before the parser sees it.
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(XlsxError::NotXlsx);
    }
    let mut zip = GuardedArchive::from_bytes(bytes, ZipLimits::office())?;
    let parts = locate_parts(&mut zip)?;
    let styles = match &parts.styles {
        Some(path) => read_styles(&mut zip, path)?,
        None => DateStyles::default(),
    };
    let shared = match &parts.shared_strings {
        Some(path) => read_shared_strings(&mut zip, path)?,
        None => SharedStrings::default(),
    };
    let sheet = SheetContext {
        shared: &shared,
        styles: &styles,
        date1904: parts.date1904,
        max_rows,
        last_row: max_rows.saturating_add(1).saturating_add(MAX_BLANK_ROWS),
    };
    let rows = sheet.read(&mut zip, &parts.sheet)?;
    Ok(table_of(rows))
}

// ---------------------------------------------------------------- values

/// A cell's value once its type and style are known.
enum Value {
    Text(String),
    Number(f64),
    /// A number in a date format: an Excel serial in the 1900 system.
    Date(f64),
    Bool(bool),
}

/// Cell as the text a person sees: whole numbers without `.0`, dates as dd/mm/yyyy.
fn cell_text(v: Value) -> String {
    match v {
        Value::Text(s) => s,
        Value::Number(f) => number_text(f),
        Value::Date(f) => excel_serial_to_date(f).unwrap_or_else(|| f.to_string()),
        Value::Bool(b) => if b { "1" } else { "0" }.to_string(),
    }
}

fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
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

/// Days between the 1900 and 1904 date systems' day zero (Mac workbooks use 1904).
const DAYS_1900_TO_1904: f64 = 1462.0;

// ---------------------------------------------------------------- XML plumbing

/// The next event. A DTD is refused outright: no part of an XLSX has one, and entity
/// declarations are how XML bombs and external-entity reads begin.
fn next_event<'b, R: BufRead>(
    xml: &mut Reader<R>,
    buf: &'b mut Vec<u8>,
) -> Result<Event<'b>, XlsxError> {
    buf.clear();
    match xml.read_event_into(buf) {
        Ok(Event::DocType(_)) => Err(XlsxError::NotXlsx),
        Ok(ev) => Ok(ev),
        Err(quick_xml::Error::Io(e)) => Err(ZipGuardError::from_io(&e).into()),
        Err(_) => Err(XlsxError::NotXlsx),
    }
}

/// Only the five predefined entities and character references exist without a DTD.
fn entity(r: &BytesRef<'_>) -> Result<char, XlsxError> {
    if let Some(c) = r.resolve_char_ref().map_err(|_| XlsxError::NotXlsx)? {
        return Ok(c);
    }
    match r.as_ref() {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        _ => Err(XlsxError::NotXlsx),
    }
}

/// Appends the character data of a text-like event (other events add nothing).
fn push_text(ev: &Event<'_>, out: &mut String) -> Result<(), XlsxError> {
    match ev {
        Event::Text(t) => out.push_str(&t.xml10_content()),
        Event::CData(t) => out.push_str(&t.xml10_content()),
        Event::GeneralRef(r) => out.push(entity(r)?),
        _ => {}
    }
    Ok(())
}

/// The unescaped value of the first attribute whose name passes `wanted`.
fn attr_where(
    e: &BytesStart<'_>,
    wanted: impl Fn(&str) -> bool,
) -> Result<Option<String>, XlsxError> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|_| XlsxError::NotXlsx)?;
        if wanted(a.key.as_ref()) {
            let v = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|_| XlsxError::NotXlsx)?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

fn attr(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, XlsxError> {
    attr_where(e, |k| k == key)
}

/// The relationship id of a `<sheet>`: `r:id`, whatever prefix the writer bound to the
/// relationships namespace.
fn relationship_id(e: &BytesStart<'_>) -> Result<Option<String>, XlsxError> {
    attr_where(e, |k| matches!(k.split_once(':'), Some((_, "id"))))
}

/// The text of a `<t>`: Excel trims it unless told to preserve space, and writes the
/// characters XML cannot carry as `_xHHHH_`.
fn finish_t(raw: &str, preserve: bool) -> String {
    let s = if preserve {
        raw
    } else {
        raw.trim_matches([' ', '\t', '\r', '\n'])
    };
    decode_x_escapes(s)
}

fn decode_x_escapes(s: &str) -> String {
    fn unit_at(s: &str, i: usize) -> Option<u16> {
        let esc = s.get(i..i + 7)?;
        let hex = esc.strip_prefix("_x")?.strip_suffix('_')?;
        if hex.len() != 4 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u16::from_str_radix(hex, 16).ok()
    }
    if !s.contains("_x") {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if let Some(unit) = unit_at(s, i) {
            i += 7;
            let c = match unit {
                0xD800..=0xDBFF => match unit_at(s, i) {
                    Some(low @ 0xDC00..=0xDFFF) => {
                        i += 7;
                        let cp = 0x10000
                            + ((u32::from(unit) - 0xD800) << 10)
                            + (u32::from(low) - 0xDC00);
                        char::from_u32(cp)
                    }
                    _ => None,
                },
                _ => char::from_u32(u32::from(unit)),
            };
            out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
        } else if let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) {
            out.push(c);
            i += c.len_utf8();
        } else {
            break;
        }
    }
    out
}

/// Reads a whole part as events, with the depth checked so that a part cut short is
/// refused rather than read as if complete.
fn for_each_event<F>(zip: &mut Archive<'_>, path: &str, mut on: F) -> Result<bool, XlsxError>
where
    F: FnMut(&Event<'_>) -> Result<Flow, XlsxError>,
{
    let Some(entry) = zip.entry(path)? else {
        return Ok(false);
    };
    let mut xml = Reader::from_reader(BufReader::new(entry));
    let mut buf = Vec::new();
    let mut depth: usize = 0;
    let mut seen_root = false;
    loop {
        let ev = next_event(&mut xml, &mut buf)?;
        match &ev {
            Event::Start(_) => {
                depth += 1;
                seen_root = true;
            }
            Event::Empty(_) => seen_root = true,
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => {
                if depth != 0 || !seen_root {
                    return Err(XlsxError::NotXlsx);
                }
                return Ok(true);
            }
            _ => {}
        }
        if on(&ev)? == Flow::Stop {
            return Ok(true);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Go,
    Stop,
}

// ---------------------------------------------------------------- workbook

struct Parts {
    sheet: String,
    shared_strings: Option<String>,
    styles: Option<String>,
    date1904: bool,
}

/// Finds the first sheet as Excel orders them, and the shared strings and styles, through
/// the workbook and its relationships; a workbook without them falls back to the names
/// every writer uses.
fn locate_parts(zip: &mut Archive<'_>) -> Result<Parts, XlsxError> {
    let mut first_sheet: Option<Option<String>> = None;
    let mut date1904 = false;
    let has_workbook = for_each_event(zip, WORKBOOK, |ev| {
        if let Event::Start(e) | Event::Empty(e) = ev {
            match e.local_name().as_ref() {
                "workbookPr" => {
                    date1904 = matches!(attr(e, "date1904")?.as_deref(), Some("1" | "true"));
                }
                "sheet" => {
                    first_sheet = Some(relationship_id(e)?);
                    // Nothing after the first sheet matters; a workbook can list thousands.
                    return Ok(Flow::Stop);
                }
                _ => {}
            }
        }
        Ok(Flow::Go)
    })?;
    if has_workbook && first_sheet.is_none() {
        return Err(XlsxError::NoSheet);
    }
    let rid = first_sheet.flatten();
    let mut sheet = None;
    let mut shared_strings = None;
    let mut styles = None;
    for_each_event(zip, WORKBOOK_RELS, |ev| {
        if let Event::Start(e) | Event::Empty(e) = ev
            && e.local_name().as_ref() == "Relationship"
        {
            let (Some(id), Some(kind), Some(target)) =
                (attr(e, "Id")?, attr(e, "Type")?, attr(e, "Target")?)
            else {
                return Ok(Flow::Go);
            };
            if rid.as_deref() == Some(id.as_str()) {
                sheet = Some(part_path(&target));
            } else if kind.ends_with("/sharedStrings") && shared_strings.is_none() {
                shared_strings = Some(part_path(&target));
            } else if kind.ends_with("/styles") && styles.is_none() {
                styles = Some(part_path(&target));
            }
        }
        Ok(Flow::Go)
    })?;
    let sheet = match sheet {
        Some(path) if zip.index_of(&path).is_some() => path,
        _ if zip.index_of(FIRST_SHEET).is_some() => FIRST_SHEET.to_string(),
        _ => return Err(XlsxError::NotXlsx),
    };
    let present = |p: Option<String>, default: &str| {
        p.or_else(|| Some(default.to_string()))
            .filter(|p| zip.index_of(p).is_some())
    };
    Ok(Parts {
        sheet,
        shared_strings: present(shared_strings, SHARED_STRINGS),
        styles: present(styles, STYLES),
        date1904,
    })
}

/// A relationship target as an archive path: relative to `xl/`, or absolute from the
/// package root.
fn part_path(target: &str) -> String {
    let target = target.trim();
    let joined = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None => format!("xl/{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

// ---------------------------------------------------------------- styles

/// Which cell styles (indices into `cellXfs`) show numbers as dates.
#[derive(Default)]
struct DateStyles {
    is_date: Vec<bool>,
}

impl DateStyles {
    fn is_date(&self, style: usize) -> bool {
        self.is_date.get(style).copied().unwrap_or(false)
    }
}

fn read_styles(zip: &mut Archive<'_>, path: &str) -> Result<DateStyles, XlsxError> {
    let mut custom: HashMap<u32, bool> = HashMap::new();
    let mut is_date = Vec::new();
    let mut in_num_fmts = false;
    let mut in_cell_xfs = false;
    for_each_event(zip, path, |ev| {
        match ev {
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(ev, Event::Empty(_));
                match e.local_name().as_ref() {
                    "numFmts" => in_num_fmts = !empty,
                    "cellXfs" => in_cell_xfs = !empty,
                    "numFmt" if in_num_fmts && custom.len() < MAX_STYLES => {
                        let id = attr(e, "numFmtId")?.and_then(|v| v.trim().parse::<u32>().ok());
                        let code = attr(e, "formatCode")?.unwrap_or_default();
                        if let Some(id) = id {
                            custom.insert(id, is_date_format(&code));
                        }
                    }
                    "xf" if in_cell_xfs && is_date.len() < MAX_STYLES => {
                        let id = attr(e, "numFmtId")?
                            .and_then(|v| v.trim().parse::<u32>().ok())
                            .unwrap_or(0);
                        let date = custom
                            .get(&id)
                            .copied()
                            .unwrap_or_else(|| is_builtin_date_format(id));
                        is_date.push(date);
                    }
                    _ => {}
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "numFmts" => in_num_fmts = false,
                "cellXfs" => {
                    in_cell_xfs = false;
                    // numFmts come before cellXfs; the rest of the part is of no use here.
                    return Ok(Flow::Stop);
                }
                _ => {}
            },
            _ => {}
        }
        Ok(Flow::Go)
    })?;
    Ok(DateStyles { is_date })
}

/// Built-in formats that show a date or a time: 14–22 and 45–47 everywhere, 27–36 and
/// 50–58 in East Asian locales.
fn is_builtin_date_format(id: u32) -> bool {
    matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58)
}

/// A custom format shows a date or time when its first section has a d, m, y, h or s
/// outside quoted text, escapes and `[...]` (colours, locales, elapsed-time units).
fn is_date_format(code: &str) -> bool {
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                }
            }
            '[' => {
                for q in chars.by_ref() {
                    if q == ']' {
                        break;
                    }
                }
            }
            // The next character is a literal, a padding width or a fill.
            '\\' | '_' | '*' => {
                chars.next();
            }
            ';' => return false,
            'd' | 'D' | 'm' | 'M' | 'y' | 'Y' | 'h' | 'H' | 's' | 'S' => return true,
            _ => {}
        }
    }
    false
}

// ---------------------------------------------------------------- shared strings

/// All shared strings in one buffer, with where each ends: a million tiny strings cost
/// four bytes each rather than a `String` each.
#[derive(Default)]
struct SharedStrings {
    text: String,
    ends: Vec<u32>,
}

impl SharedStrings {
    fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)? as usize;
        let start = match index.checked_sub(1) {
            Some(prev) => *self.ends.get(prev)? as usize,
            None => 0,
        };
        self.text.get(start..end)
    }

    fn end_string(&mut self) -> Result<(), XlsxError> {
        if self.ends.len() >= MAX_SHARED_STRINGS {
            return Err(XlsxError::TooLarge(SheetLimit::SharedStrings(
                MAX_SHARED_STRINGS,
            )));
        }
        let end = u32::try_from(self.text.len())
            .map_err(|_| XlsxError::TooLarge(SheetLimit::TextBytes(MAX_TEXT_BYTES)))?;
        self.ends.push(end);
        Ok(())
    }
}

/// Text within an `<si>` or `<is>`: plain `<t>`, or rich-text runs `<r><t>` concatenated;
/// phonetic guides (`<rPh>`) are not part of the text.
#[derive(Default)]
struct RichText {
    in_phonetic: bool,
    /// Inside a `<t>`: whether it preserves its spaces.
    in_t: Option<bool>,
    raw: String,
}

impl RichText {
    /// Handles an event inside the string element; returns the finished `<t>` text when
    /// one closes.
    fn on(&mut self, ev: &Event<'_>) -> Result<Option<String>, XlsxError> {
        match ev {
            Event::Start(e) => match e.local_name().as_ref() {
                "rPh" => self.in_phonetic = true,
                "t" if !self.in_phonetic => {
                    let preserve = attr(e, "xml:space")?.as_deref() == Some("preserve");
                    self.in_t = Some(preserve);
                    self.raw.clear();
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "rPh" => self.in_phonetic = false,
                "t" => {
                    if let Some(preserve) = self.in_t.take() {
                        return Ok(Some(finish_t(&self.raw, preserve)));
                    }
                }
                _ => {}
            },
            _ => {
                if self.in_t.is_some() {
                    push_text(ev, &mut self.raw)?;
                }
            }
        }
        Ok(None)
    }

    fn pending(&self) -> usize {
        self.raw.len()
    }
}

fn read_shared_strings(zip: &mut Archive<'_>, path: &str) -> Result<SharedStrings, XlsxError> {
    let mut out = SharedStrings::default();
    let mut si: Option<RichText> = None;
    let too_much = || XlsxError::TooLarge(SheetLimit::TextBytes(MAX_TEXT_BYTES));
    for_each_event(zip, path, |ev| {
        match (ev, si.as_mut()) {
            (Event::Start(e), None) if e.local_name().as_ref() == "si" => {
                si = Some(RichText::default());
            }
            (Event::Empty(e), None) if e.local_name().as_ref() == "si" => out.end_string()?,
            (Event::End(e), Some(_)) if e.local_name().as_ref() == "si" => {
                si = None;
                out.end_string()?;
            }
            (_, Some(rich)) => {
                if let Some(t) = rich.on(ev)? {
                    out.text.push_str(&t);
                }
                if out.text.len().saturating_add(rich.pending()) > MAX_TEXT_BYTES {
                    return Err(too_much());
                }
            }
            _ => {}
        }
        Ok(Flow::Go)
    })?;
    Ok(out)
}

// ---------------------------------------------------------------- the sheet

struct SheetContext<'a> {
    shared: &'a SharedStrings,
    styles: &'a DateStyles,
    date1904: bool,
    max_rows: usize,
    /// The last Excel row number a cell may be in.
    last_row: usize,
}

/// The cells with text of one row, by column, sorted.
type Cells = Vec<(usize, String)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellType {
    Number,
    Shared,
    Inline,
    Formula,
    Bool,
    Error,
    IsoDate,
}

struct CellState {
    column: usize,
    kind: CellType,
    style: usize,
    in_v: bool,
    v: String,
    /// Inside the cell's `<is>`.
    inline: Option<RichText>,
    saw_inline: bool,
    inline_text: String,
}

#[derive(Default)]
struct RowState {
    number: Option<usize>,
    next_column: usize,
    cells: Cells,
}

/// Everything read so far from the sheet.
struct SheetState<'a> {
    ctx: &'a SheetContext<'a>,
    rows: BTreeMap<usize, Cells>,
    in_sheet_data: bool,
    row: Option<RowState>,
    cell: Option<CellState>,
    previous_row: usize,
    /// Bytes of text held in cells, shared strings counted once per cell that uses them.
    text_bytes: usize,
}

impl SheetContext<'_> {
    fn read(&self, zip: &mut Archive<'_>, path: &str) -> Result<BTreeMap<usize, Cells>, XlsxError> {
        let mut state = SheetState {
            ctx: self,
            rows: BTreeMap::new(),
            in_sheet_data: false,
            row: None,
            cell: None,
            previous_row: 0,
            text_bytes: 0,
        };
        if !for_each_event(zip, path, |ev| state.on(ev))? {
            return Err(XlsxError::NotXlsx);
        }
        Ok(state.rows)
    }

    fn too_far(&self, column: usize, row: Option<usize>) -> Result<(), XlsxError> {
        if column >= MAX_COLUMNS {
            return Err(XlsxError::TooLarge(SheetLimit::Columns(MAX_COLUMNS)));
        }
        if row.is_some_and(|r| r > self.last_row) {
            return Err(XlsxError::TooLarge(SheetLimit::Rows(self.last_row)));
        }
        Ok(())
    }

    fn value(&self, cell: CellState) -> Result<String, XlsxError> {
        let v = cell.v;
        let value = match cell.kind {
            CellType::Shared => {
                let index: usize = v.trim().parse().map_err(|_| XlsxError::NotXlsx)?;
                let s = self.shared.get(index).ok_or(XlsxError::NotXlsx)?;
                Value::Text(s.to_string())
            }
            CellType::Inline if cell.saw_inline => Value::Text(cell.inline_text),
            CellType::Inline | CellType::Formula => Value::Text(decode_x_escapes(&v)),
            CellType::Bool => match v.trim() {
                "1" | "true" => Value::Bool(true),
                "0" | "false" => Value::Bool(false),
                other => Value::Text(other.to_string()),
            },
            CellType::Error | CellType::IsoDate => Value::Text(v.trim().to_string()),
            CellType::Number => {
                let raw = v.trim();
                match raw.parse::<f64>() {
                    // Below 1 a "date" is a time of day, the same in both systems.
                    Ok(f) if self.styles.is_date(cell.style) => {
                        Value::Date(if self.date1904 && f >= 1.0 {
                            f + DAYS_1900_TO_1904
                        } else {
                            f
                        })
                    }
                    Ok(f) => Value::Number(f),
                    Err(_) => Value::Text(raw.to_string()),
                }
            }
        };
        Ok(cell_text(value))
    }
}

/// "AB12" as (column from 0, row from 1); either part may be missing. Saturates rather
/// than overflows, so that a reference far out is still seen as far out.
fn parse_ref(s: &str) -> Option<(Option<usize>, Option<usize>)> {
    let s = s.trim();
    let letters = s
        .bytes()
        .take_while(|b| b.is_ascii_alphabetic() || *b == b'$');
    let mut column: Option<usize> = None;
    let mut used = 0;
    for b in letters {
        used += 1;
        if b == b'$' {
            continue;
        }
        let digit = usize::from(b.to_ascii_uppercase() - b'A') + 1;
        column = Some(column.unwrap_or(0).saturating_mul(26).saturating_add(digit));
    }
    let digits = s.get(used..)?.trim_start_matches('$');
    let row = if digits.is_empty() {
        None
    } else {
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let r = digits.bytes().fold(0usize, |acc, b| {
            acc.saturating_mul(10).saturating_add(usize::from(b - b'0'))
        });
        if r == 0 {
            return None;
        }
        Some(r)
    };
    Some((column.map(|c| c - 1), row))
}

fn put_cell(cells: &mut Cells, column: usize, text: String) {
    match cells.binary_search_by_key(&column, |(c, _)| *c) {
        Ok(i) => {
            if let Some(slot) = cells.get_mut(i) {
                slot.1 = text;
            }
        }
        Err(i) => cells.insert(i, (column, text)),
    }
}

impl SheetState<'_> {
    fn on(&mut self, ev: &Event<'_>) -> Result<Flow, XlsxError> {
        if self.cell.is_some() {
            self.in_cell(ev)?;
            return Ok(Flow::Go);
        }
        match ev {
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(ev, Event::Empty(_));
                match e.local_name().as_ref() {
                    "dimension" if !self.in_sheet_data => self.dimension(e)?,
                    "sheetData" => {
                        if empty {
                            return Ok(Flow::Stop);
                        }
                        self.in_sheet_data = true;
                    }
                    "row" if self.in_sheet_data => {
                        self.start_row(e)?;
                        if empty {
                            self.end_row()?;
                        }
                    }
                    "c" if self.row.is_some() => self.start_cell(e, empty)?,
                    _ => {}
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "row" if self.row.is_some() => self.end_row()?,
                // The rest of the sheet (merges, filters, drawings) has no cells.
                "sheetData" => return Ok(Flow::Stop),
                _ => {}
            },
            _ => {}
        }
        Ok(Flow::Go)
    }

    /// The dimension is optional and can lie, but when it admits to being too large there
    /// is no point reading on.
    fn dimension(&self, e: &BytesStart<'_>) -> Result<(), XlsxError> {
        let Some(range) = attr(e, "ref")? else {
            return Ok(());
        };
        let last = range.rsplit(':').next().unwrap_or_default();
        if let Some((Some(column), row)) = parse_ref(last) {
            self.ctx.too_far(column, row)?;
        }
        Ok(())
    }

    fn start_row(&mut self, e: &BytesStart<'_>) -> Result<(), XlsxError> {
        let number = match attr(e, "r")? {
            Some(r) => match r.trim().parse::<usize>() {
                Ok(n) if n > 0 => Some(n),
                _ => return Err(XlsxError::NotXlsx),
            },
            None => None,
        };
        self.row = Some(RowState {
            number,
            ..RowState::default()
        });
        Ok(())
    }

    fn end_row(&mut self) -> Result<(), XlsxError> {
        let Some(row) = self.row.take() else {
            return Ok(());
        };
        let number = row.number.unwrap_or(self.previous_row.saturating_add(1));
        self.previous_row = number;
        if row.cells.iter().all(|(_, t)| t.trim().is_empty()) {
            return Ok(());
        }
        self.ctx.too_far(0, Some(number))?;
        let cells = self.rows.entry(number).or_default();
        for (column, text) in row.cells {
            put_cell(cells, column, text);
        }
        // The header and `max_rows` records.
        if self.rows.len() > self.ctx.max_rows.saturating_add(1) {
            return Err(XlsxError::TooManyRows(self.ctx.max_rows));
        }
        Ok(())
    }

    fn start_cell(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<(), XlsxError> {
        let mut reference = None;
        let mut kind = CellType::Number;
        let mut style = 0;
        for a in e.attributes().with_checks(false) {
            let a = a.map_err(|_| XlsxError::NotXlsx)?;
            let v = a.value.as_ref();
            match a.key.as_ref() {
                "r" => reference = Some(parse_ref(v).ok_or(XlsxError::NotXlsx)?),
                "t" => {
                    kind = match v {
                        "s" => CellType::Shared,
                        "inlineStr" => CellType::Inline,
                        "str" => CellType::Formula,
                        "b" => CellType::Bool,
                        "e" => CellType::Error,
                        "d" => CellType::IsoDate,
                        _ => CellType::Number,
                    }
                }
                // A style past the end is just not a date.
                "s" => style = v.trim().parse().unwrap_or(usize::MAX),
                _ => {}
            }
        }
        let Some(row) = self.row.as_mut() else {
            return Ok(());
        };
        let (column, ref_row) = match reference {
            Some((column, ref_row)) => (column.unwrap_or(row.next_column), ref_row),
            None => (row.next_column, None),
        };
        // Every cell is held to the limits, blank or not: that is where a bomb's far
        // corner is, and the dimension may have been silent about it.
        self.ctx.too_far(column, ref_row.or(row.number))?;
        if row.number.is_none() {
            row.number = ref_row;
        }
        row.next_column = column.saturating_add(1);
        if !empty {
            self.cell = Some(CellState {
                column,
                kind,
                style,
                in_v: false,
                v: String::new(),
                inline: None,
                saw_inline: false,
                inline_text: String::new(),
            });
        }
        Ok(())
    }

    fn in_cell(&mut self, ev: &Event<'_>) -> Result<(), XlsxError> {
        let Some(cell) = self.cell.as_mut() else {
            return Ok(());
        };
        if let Some(rich) = cell.inline.as_mut() {
            if matches!(ev, Event::End(e) if e.local_name().as_ref() == "is") {
                cell.inline = None;
            } else if let Some(t) = rich.on(ev)? {
                cell.inline_text.push_str(&t);
            }
            return self.check_text(0);
        }
        match ev {
            Event::Start(e) => match e.local_name().as_ref() {
                "v" => cell.in_v = true,
                "is" => {
                    cell.inline = Some(RichText::default());
                    cell.saw_inline = true;
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "v" => cell.in_v = false,
                "c" => return self.end_cell(),
                _ => {}
            },
            _ => {
                if cell.in_v {
                    push_text(ev, &mut cell.v)?;
                }
            }
        }
        self.check_text(0)
    }

    /// Text held in the cell being read counts too: one `<v>` could be the whole part.
    fn check_text(&self, more: usize) -> Result<(), XlsxError> {
        let pending = self.cell.as_ref().map_or(0, |c| {
            c.v.len() + c.inline_text.len() + c.inline.as_ref().map_or(0, RichText::pending)
        });
        if self.text_bytes.saturating_add(pending).saturating_add(more) > MAX_TEXT_BYTES {
            return Err(XlsxError::TooLarge(SheetLimit::TextBytes(MAX_TEXT_BYTES)));
        }
        Ok(())
    }

    fn end_cell(&mut self) -> Result<(), XlsxError> {
        let Some(cell) = self.cell.take() else {
            return Ok(());
        };
        let column = cell.column;
        let text = self.ctx.value(cell)?;
        if text.is_empty() {
            return Ok(());
        }
        self.check_text(text.len())?;
        self.text_bytes += text.len();
        if let Some(row) = self.row.as_mut() {
            put_cell(&mut row.cells, column, text);
        }
        Ok(())
    }
}

/// Rows as the caller sees them: the first is the header, columns start at the leftmost
/// cell with text, and every record is at least as wide as the header.
fn table_of(rows: BTreeMap<usize, Cells>) -> Table {
    let first_column = rows
        .values()
        .filter_map(|cells| cells.first().map(|(c, _)| *c))
        .min()
        .unwrap_or(0);
    let spread = |cells: Cells, width: usize| {
        let used = cells.last().map_or(0, |(c, _)| c - first_column + 1);
        let mut out = vec![String::new(); used.max(width)];
        for (column, text) in cells {
            if let Some(slot) = out.get_mut(column - first_column) {
                *slot = text;
            }
        }
        out
    };
    let mut rows = rows.into_iter();
    let headers = rows
        .next()
        .map(|(_, cells)| spread(cells, 0))
        .unwrap_or_default();
    let width = headers.len();
    let rows = rows.map(|(n, cells)| (n, spread(cells, width))).collect();
    Table { headers, rows }
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

    // ------------------------------------------------------------ reading like calamine

    use crate::zip_guard::ZipGuardError;
    use crate::zip_guard::testing::{archive, archive_with, lie_about_sizes};
    use calamine::{Data, Reader as _, Xlsx, open_workbook_from_rs};
    use rust_xlsxwriter::ExcelDateTime;
    use std::io::{Read as _, Write as _};
    use std::time::{Duration, Instant};

    /// What `read_first_sheet` returned when it was built on calamine, kept as an oracle.
    fn with_calamine(bytes: &[u8]) -> Table {
        fn text(d: &Data) -> String {
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
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let range = wb.worksheet_range_at(0).unwrap().unwrap();
        let (first_row, _) = range.start().unwrap_or((0, 0));
        let mut it = range.rows();
        let headers = it
            .next()
            .map(|r| r.iter().map(text).collect())
            .unwrap_or_default();
        let mut rows = Vec::new();
        for (i, r) in it.enumerate() {
            let cells: Vec<String> = r.iter().map(text).collect();
            if !cells.iter().all(|c| c.trim().is_empty()) {
                rows.push((first_row as usize + i + 2, cells));
            }
        }
        Table { headers, rows }
    }

    /// Calamine pads every row to the widest; ours only to the header.
    fn trimmed(mut t: Table) -> Table {
        let trim = |v: &mut Vec<String>| {
            while v.last().is_some_and(String::is_empty) {
                v.pop();
            }
        };
        trim(&mut t.headers);
        for (_, r) in &mut t.rows {
            trim(r);
        }
        t
    }

    const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

    fn sheet_xml(body: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN_NS}">{body}</worksheet>"#
        )
    }

    /// A workbook put together by hand, part by part, as a hostile or odd writer would.
    fn hand_xlsx(sheet: &str, shared: Option<&str>, styles: Option<&str>) -> Vec<u8> {
        let content_types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
        let root_rels = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
        );
        let workbook = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL}"><workbookPr/><sheets><sheet name="Dữ liệu" sheetId="1" r:id="rId1"/></sheets></workbook>"#
        );
        let rels = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/></Relationships>"#
        );
        let mut entries: Vec<(&str, &[u8])> = vec![
            ("[Content_Types].xml", content_types.as_bytes()),
            ("_rels/.rels", root_rels.as_bytes()),
            ("xl/workbook.xml", workbook.as_bytes()),
            ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
            ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ];
        if let Some(s) = shared {
            entries.push(("xl/sharedStrings.xml", s.as_bytes()));
        }
        if let Some(s) = styles {
            entries.push(("xl/styles.xml", s.as_bytes()));
        }
        archive(&entries)
    }

    #[test]
    fn reads_what_rust_xlsxwriter_writes_as_calamine_did() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let dmy = Format::new().set_num_format("dd/mm/yyyy");
        let builtin = Format::new().set_num_format_index(14);
        let money = Format::new().set_num_format("#,##0.00\" m\"");
        let date = ExcelDateTime::from_ymd(2024, 10, 1).unwrap();
        for (c, h) in ["Ngày", "Số", "Có", "Tên", "Tiền", "Ngày 2", "Công thức"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_datetime_with_format(1, 0, &date, &dmy).unwrap();
        ws.write_number(1, 1, 12.0).unwrap();
        ws.write_boolean(1, 2, true).unwrap();
        ws.write_string(1, 3, "Đắk Lắk <&>").unwrap();
        ws.write_number_with_format(1, 4, 1234.5, &money).unwrap();
        ws.write_datetime_with_format(1, 5, &date, &builtin)
            .unwrap();
        ws.write_formula(1, 6, "=1+1").unwrap();
        ws.write_number(3, 1, 3.25).unwrap();
        ws.write_boolean(3, 2, false).unwrap();
        let bold = Format::new().set_bold();
        ws.write_rich_string(3, 3, &[(&bold, "Hà "), (&Format::new(), "Nội")])
            .unwrap();
        ws.write_number(3, 4, -7.0).unwrap();
        let bytes = wb.save_to_buffer().unwrap();

        let t = read_first_sheet(&bytes, 10).unwrap();
        assert_eq!(
            t.headers,
            vec!["Ngày", "Số", "Có", "Tên", "Tiền", "Ngày 2", "Công thức"]
        );
        assert_eq!(
            t.rows,
            vec![
                (
                    2,
                    [
                        "01/10/2024",
                        "12",
                        "1",
                        "Đắk Lắk <&>",
                        "1234.5",
                        "01/10/2024",
                        "0"
                    ]
                    .map(String::from)
                    .to_vec()
                ),
                (
                    4,
                    ["", "3.25", "0", "Hà Nội", "-7", "", ""]
                        .map(String::from)
                        .to_vec()
                ),
            ]
        );
        assert_eq!(trimmed(t), trimmed(with_calamine(&bytes)));
    }

    const TYPED_SHARED: &str = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4"><si><t>Tên</t></si><si><r><t>Loại</t></r><r><rPr><b/></rPr><t xml:space="preserve"> hệ thống</t></r><rPh sb="0" eb="1"><t>ふりがな</t></rPh></si><si><t>dòng_x000D_
hai</t></si><si/><si><t xml:space="preserve">  có dấu cách  </t></si></sst>"#;

    const TYPED_STYLES: &str = r##"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/><numFmt numFmtId="165" formatCode="#,##0.00&quot; m&quot;"/></numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="14"/><xf numFmtId="165"/></cellXfs><dxfs><dxf><numFmt numFmtId="166" formatCode="yyyy"/></dxf></dxfs></styleSheet>"##;

    fn typed_sheet() -> String {
        sheet_xml(
            r#"<dimension ref="B1:F5"/><sheetData>
<row r="1"><c r="B1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><t>Số</t></is></c><c r="D1" t="s"><v>1</v></c><c t="str"><v>Công thức</v></c><c r="F1" t="s"><v>4</v></c></row>
<row r="2"><c r="B2" t="s"><v>3</v></c><c r="C2" s="1"/></row>
<row r="3" spans="2:6"><c r="B3" t="inlineStr"><is><r><t>Đắk </t></r><r><rPr><b/></rPr><t xml:space="preserve"> Lắk</t></r></is></c><c r="C3"><v>12.0</v></c><c r="D3" s="1"><v>45566</v></c><c r="E3" t="b"><v>1</v></c><c r="F3" s="3"><v>45566</v></c></row>
<row r="5"><c r="B5" t="s"><v>2</v></c><c r="C5"><v>3.5</v></c><c r="D5" s="2"><v>45566.75</v></c><c r="E5" t="str"><f>"a"&amp;"b"</f><v>a &amp; b &#x110;&#272;</v></c><c r="F5" t="b"><v>0</v></c></row>
</sheetData><mergeCells count="1"><mergeCell ref="B1:C1"/></mergeCells>"#,
        )
    }

    #[test]
    fn reads_every_cell_type_as_calamine_did() {
        let bytes = hand_xlsx(&typed_sheet(), Some(TYPED_SHARED), Some(TYPED_STYLES));
        let t = read_first_sheet(&bytes, 10).unwrap();
        assert_eq!(
            t.headers,
            vec!["Tên", "Số", "Loại hệ thống", "Công thức", "  có dấu cách  "]
        );
        assert_eq!(
            t.rows,
            vec![
                (
                    3,
                    ["Đắk Lắk", "12", "01/10/2024", "1", "45566"]
                        .map(String::from)
                        .to_vec()
                ),
                (
                    5,
                    ["dòng\r\nhai", "3.5", "01/10/2024", "a & b ĐĐ", "0"]
                        .map(String::from)
                        .to_vec()
                ),
            ]
        );
        assert_eq!(trimmed(t), trimmed(with_calamine(&bytes)));
    }

    #[test]
    fn reads_errors_dates_1904_and_cells_without_references() {
        let sheet = sheet_xml(
            r#"<sheetData><row><c t="inlineStr"><is><t>A</t></is></c><c t="inlineStr"><is><t>B</t></is></c><c t="inlineStr"><is><t>C</t></is></c></row>
<row><c t="e"><v>#DIV/0!</v></c><c s="1"><v>45566</v></c><c t="d"><v>2024-10-01T00:00:00</v></c></row>
<row r="7"><c r="C7"><v>1e20</v></c></row></sheetData>"#,
        );
        let styles = r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs><xf numFmtId="0"/><xf numFmtId="15"/></cellXfs></styleSheet>"#;
        let bytes = hand_xlsx(&sheet, None, Some(styles));
        let bytes_1904 = {
            let mut z = zip::ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
            let mut entries = Vec::new();
            for i in 0..z.len() {
                let mut f = z.by_index(i).unwrap();
                let mut data = Vec::new();
                f.read_to_end(&mut data).unwrap();
                let name = f.name().unwrap().to_string();
                if name == "xl/workbook.xml" {
                    data = String::from_utf8(data)
                        .unwrap()
                        .replace("<workbookPr/>", r#"<workbookPr date1904="1"/>"#)
                        .into_bytes();
                }
                entries.push((name, data));
            }
            let refs: Vec<(&str, &[u8])> = entries
                .iter()
                .map(|(n, d)| (n.as_str(), d.as_slice()))
                .collect();
            archive(&refs)
        };
        let t = read_first_sheet(&bytes, 10).unwrap();
        assert_eq!(t.headers, vec!["A", "B", "C"]);
        assert_eq!(
            t.rows,
            vec![
                (
                    2,
                    ["#DIV/0!", "01/10/2024", "2024-10-01T00:00:00"]
                        .map(String::from)
                        .to_vec()
                ),
                (
                    7,
                    ["", "", "100000000000000000000"].map(String::from).to_vec()
                ),
            ]
        );
        let t = read_first_sheet(&bytes_1904, 10).unwrap();
        assert_eq!(t.rows[0].1[1], "02/10/2028");
    }

    #[test]
    fn finds_the_first_sheet_through_the_workbook() {
        let first = sheet_xml(
            r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>first</t></is></c></row></sheetData>"#,
        );
        let second = sheet_xml(
            r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>second</t></is></c></row></sheetData>"#,
        );
        let workbook = format!(
            r#"<workbook xmlns="{MAIN_NS}" xmlns:rel="{REL}"><sheets><sheet name="B" sheetId="2" rel:id="rId9"/><sheet name="A" sheetId="1" rel:id="rId1"/></sheets></workbook>"#
        );
        let rels = format!(
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId9" Type="{REL}/worksheet" Target="/xl/worksheets/../worksheets/zz.xml"/></Relationships>"#
        );
        let bytes = archive(&[
            ("xl/workbook.xml", workbook.as_bytes()),
            ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
            ("xl/worksheets/sheet1.xml", second.as_bytes()),
            ("xl/worksheets/zz.xml", first.as_bytes()),
        ]);
        assert_eq!(read_first_sheet(&bytes, 10).unwrap().headers, vec!["first"]);
        // Without a workbook, the sheet every writer names sheet1.
        let bare = archive(&[("xl/worksheets/sheet1.xml", second.as_bytes())]);
        assert_eq!(read_first_sheet(&bare, 10).unwrap().headers, vec!["second"]);
        // A workbook that lists no sheet.
        let none = format!(r#"<workbook xmlns="{MAIN_NS}"><sheets/></workbook>"#);
        let empty = archive(&[("xl/workbook.xml", none.as_bytes())]);
        assert_eq!(read_first_sheet(&empty, 10), Err(XlsxError::NoSheet));
        // Some other ZIP, such as a DOCX.
        let docx = archive(&[("word/document.xml", b"<w:document/>")]);
        assert_eq!(read_first_sheet(&docx, 10), Err(XlsxError::NotXlsx));
    }

    #[test]
    fn refuses_truncated_and_damaged_workbooks() {
        let bytes = hand_xlsx(&typed_sheet(), Some(TYPED_SHARED), Some(TYPED_STYLES));
        for cut in [10, bytes.len() / 3, bytes.len() / 2, bytes.len() - 10] {
            assert_eq!(
                read_first_sheet(&bytes[..cut], 10),
                Err(XlsxError::NotXlsx),
                "cut at {cut}"
            );
        }
        // Well-formed ZIP, broken XML.
        let broken = hand_xlsx(&sheet_xml("<sheetData><row><c><v>1</v></row>"), None, None);
        assert_eq!(read_first_sheet(&broken, 10), Err(XlsxError::NotXlsx));
        let cut_short = hand_xlsx(
            r#"<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row>"#,
            None,
            None,
        );
        assert_eq!(read_first_sheet(&cut_short, 10), Err(XlsxError::NotXlsx));
        let dangling = hand_xlsx(
            &sheet_xml(r#"<sheetData><row r="1"><c r="A1" t="s"><v>3</v></c></row></sheetData>"#),
            Some(TYPED_SHARED),
            None,
        );
        // Index 3 is the empty string: a sheet with no text at all.
        assert_eq!(
            read_first_sheet(&dangling, 10),
            Ok(Table {
                headers: vec![],
                rows: vec![]
            })
        );
        let out_of_range = hand_xlsx(
            &sheet_xml(r#"<sheetData><row r="1"><c r="A1" t="s"><v>99</v></c></row></sheetData>"#),
            Some(TYPED_SHARED),
            None,
        );
        assert_eq!(read_first_sheet(&out_of_range, 10), Err(XlsxError::NotXlsx));
    }

    #[test]
    fn refuses_a_doctype_and_unknown_entities() {
        let evil = r#"<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY e SYSTEM "file:///etc/passwd"><!ENTITY lol "lol">]>"#;
        let body = r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&e;&lol;</t></is></c></row></sheetData>"#;
        let sheet = format!(r#"{evil}<worksheet xmlns="{MAIN_NS}">{body}</worksheet>"#);
        assert_eq!(
            read_first_sheet(&hand_xlsx(&sheet, None, None), 10),
            Err(XlsxError::NotXlsx)
        );
        let shared = format!(r#"{evil}<sst xmlns="{MAIN_NS}"><si><t>&lol;</t></si></sst>"#);
        let plain =
            sheet_xml(r#"<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>"#);
        assert_eq!(
            read_first_sheet(&hand_xlsx(&plain, Some(&shared), None), 10),
            Err(XlsxError::NotXlsx)
        );
        // Without the DTD the entity is simply unknown.
        assert_eq!(
            read_first_sheet(&hand_xlsx(&sheet_xml(body), None, None), 10),
            Err(XlsxError::NotXlsx)
        );
        // And the same sheet with ordinary text reads.
        let fine = sheet_xml(
            r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lt;ok&gt;</t></is></c></row></sheetData>"#,
        );
        assert_eq!(
            read_first_sheet(&hand_xlsx(&fine, None, None), 10)
                .unwrap()
                .headers,
            vec!["<ok>"]
        );
    }

    fn peak_rss_kib() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// sharedStrings.xml of `copies` of one `<si>`, deflated as it is written so that the
    /// test never holds the inflated part.
    fn shared_strings_bomb(copies: usize, si: &str) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        let sheet =
            sheet_xml(r#"<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>"#);
        w.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        w.write_all(sheet.as_bytes()).unwrap();
        w.start_file("xl/sharedStrings.xml", opts).unwrap();
        w.write_all(format!(r#"<sst xmlns="{MAIN_NS}">"#).as_bytes())
            .unwrap();
        for _ in 0..copies {
            w.write_all(si.as_bytes()).unwrap();
        }
        w.write_all(b"</sst>").unwrap();
        w.finish().unwrap().into_inner()
    }

    /// Every bomb in one test, so that the peak memory measured is theirs alone.
    #[test]
    fn refuses_bombs_quickly_and_without_big_allocations() {
        let before = peak_rss_kib();
        let mut timings = Vec::new();
        let mut expect =
            |name: &str, bytes: &[u8], max_rows: usize, ok: &dyn Fn(&XlsxError) -> bool| {
                let start = Instant::now();
                let got = read_first_sheet(bytes, max_rows);
                let took = start.elapsed();
                match &got {
                    Err(e) if ok(e) => {}
                    other => panic!("{name}: {other:?}"),
                }
                timings.push((name.to_string(), bytes.len(), took));
            };
        let last_row = 100 + 1 + MAX_BLANK_ROWS;

        // A real workbook with A1 and XFD1048576: calamine allocated 17 billion cells.
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "a").unwrap();
        ws.write_string(1_048_575, 16_383, "z").unwrap();
        let corner = wb.save_to_buffer().unwrap();
        assert!(corner.len() < 10_000);
        expect("xlsxwriter corner", &corner, 100, &|e| {
            *e == XlsxError::TooLarge(SheetLimit::Columns(MAX_COLUMNS))
        });
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "a").unwrap();
        ws.write_string(1_048_575, 0, "z").unwrap();
        let tall = wb.save_to_buffer().unwrap();
        expect("xlsxwriter tall", &tall, 100, &|e| {
            *e == XlsxError::TooLarge(SheetLimit::Rows(last_row))
        });

        // By hand: a dimension that lies, and none at all.
        let cells = r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>"#;
        let lying = hand_xlsx(
            &sheet_xml(&format!(r#"<dimension ref="A1:B2"/>{cells}"#)),
            None,
            None,
        );
        expect("lying dimension", &lying, 100, &|e| {
            *e == XlsxError::TooLarge(SheetLimit::Columns(MAX_COLUMNS))
        });
        let silent = hand_xlsx(
            &sheet_xml(
                r#"<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="900000"><c r="B900000"><v>1</v></c></row></sheetData>"#,
            ),
            None,
            None,
        );
        expect("no dimension", &silent, 100, &|e| {
            *e == XlsxError::TooLarge(SheetLimit::Rows(last_row))
        });
        // A blank styled cell far out counts as well, and so does a row without references.
        let blank = hand_xlsx(
            &sheet_xml(
                r#"<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="IW1" s="1"/></row></sheetData>"#,
            ),
            None,
            None,
        );
        expect("blank far cell", &blank, 100, &|e| {
            *e == XlsxError::TooLarge(SheetLimit::Columns(MAX_COLUMNS))
        });
        let implied = format!(
            "<sheetData><row>{}</row></sheetData>",
            "<c><v>1</v></c>".repeat(MAX_COLUMNS + 1)
        );
        let implied = hand_xlsx(&sheet_xml(&implied), None, None);
        expect("implied columns", &implied, 100, &|e| {
            *e == XlsxError::TooLarge(SheetLimit::Columns(MAX_COLUMNS))
        });

        // sharedStrings.xml inflating to 100 MB from ~100 KB, declared honestly...
        let si = format!("<si><t>{}</t></si>", "a".repeat(1_000_000));
        let bomb = shared_strings_bomb(100, &si);
        assert!(bomb.len() < 200_000, "{}", bomb.len());
        expect("shared strings bomb", &bomb, 100, &|e| {
            matches!(
                e,
                XlsxError::ZipRefused(
                    ZipGuardError::TooLarge { .. } | ZipGuardError::RatioTooHigh { .. }
                )
            )
        });
        // ...and lying about its size: inflating stops where the lie says, as damage.
        let mut liar = bomb.clone();
        lie_about_sizes(&mut liar, 20_000);
        expect("lying shared strings bomb", &liar, 100, &|e| {
            matches!(
                e,
                XlsxError::NotXlsx
                    | XlsxError::ZipRefused(
                        ZipGuardError::TooLarge { .. } | ZipGuardError::RatioTooHigh { .. }
                    )
            )
        });
        // Millions of strings within every size limit: stored, so no ratio to catch.
        let many = {
            let mut strings = format!(r#"<sst xmlns="{MAIN_NS}">"#);
            strings.push_str(&"<si/>".repeat(MAX_SHARED_STRINGS + 1));
            strings.push_str("</sst>");
            let sheet = sheet_xml("<sheetData/>");
            archive_with(
                &[
                    ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
                    ("xl/sharedStrings.xml", strings.as_bytes()),
                ],
                zip::CompressionMethod::Stored,
            )
        };
        expect("a million strings", &many, 100, &|e| {
            *e == XlsxError::TooLarge(SheetLimit::SharedStrings(MAX_SHARED_STRINGS))
        });
        // One big shared string in many cells: each copy counts.
        let big = {
            let strings = format!(
                r#"<sst xmlns="{MAIN_NS}"><si><t>{}</t></si></sst>"#,
                "ạ".repeat(300_000)
            );
            let row: String = r#"<c t="s"><v>0</v></c>"#.repeat(40);
            let sheet = sheet_xml(&format!("<sheetData><row r=\"1\">{row}</row></sheetData>"));
            archive(&[
                ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
                ("xl/sharedStrings.xml", strings.as_bytes()),
            ])
        };
        expect("one string in many cells", &big, 100, &|e| {
            *e == XlsxError::TooLarge(SheetLimit::TextBytes(MAX_TEXT_BYTES))
        });

        // An archive of 10,000 entries.
        let names: Vec<String> = (0..10_000).map(|i| format!("xl/media/{i}.bin")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        let crowd = archive(&entries);
        expect("10,000 entries", &crowd, 100, &|e| {
            *e == XlsxError::ZipRefused(ZipGuardError::TooManyEntries { limit: 2_000 })
        });

        for (name, size, took) in &timings {
            eprintln!("{name}: {size} bytes refused in {took:?}");
            assert!(*took < Duration::from_secs(20), "{name} took {took:?}");
        }
        if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
            eprintln!("peak RSS {before} KiB -> {after} KiB");
            assert!(
                after.saturating_sub(before) < 200 * 1024,
                "peak RSS grew from {before} KiB to {after} KiB"
            );
        }
    }

    #[test]
    fn reads_an_import_sized_sheet_as_calamine_did() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let dmy = Format::new().set_num_format("dd/mm/yyyy");
        for c in 0..20u16 {
            ws.write_string(0, c, format!("Cột {c}")).unwrap();
        }
        for r in 1..=2000u32 {
            for c in 0..20u16 {
                let n = f64::from(r) * 31.0 + f64::from(c);
                match c % 5 {
                    0 => ws.write_string(r, c, format!("Đơn vị {r}-{c}")),
                    1 => ws.write_number(r, c, n),
                    2 => ws.write_number(r, c, n / 8.0),
                    3 => ws.write_number_with_format(r, c, 40_000.0 + n, &dmy),
                    _ if (r + u32::from(c)) % 7 == 0 => continue,
                    _ => ws.write_boolean(r, c, r % 2 == 0),
                }
                .unwrap();
            }
        }
        let bytes = wb.save_to_buffer().unwrap();
        let start = Instant::now();
        let t = read_first_sheet(&bytes, 2000).unwrap();
        eprintln!("2000 x 20 read in {:?}", start.elapsed());
        assert_eq!(t.rows.len(), 2000);
        assert_eq!(trimmed(t), trimmed(with_calamine(&bytes)));
        assert_eq!(
            read_first_sheet(&bytes, 1999),
            Err(XlsxError::TooManyRows(1999))
        );
    }

    #[test]
    fn counts_rows_and_columns_from_the_first_cells_with_text() {
        // Blank rows above, a whitespace-only row, a gap of blank columns, duplicate cells.
        let sheet = sheet_xml(
            r#"<sheetData><row r="2"><c r="C2" s="1"/></row><row r="3"><c r="C3" t="inlineStr"><is><t xml:space="preserve">   </t></is></c></row>
<row r="4"><c r="C4" t="inlineStr"><is><t>x</t></is></c><c r="E4" t="inlineStr"><is><t>y</t></is></c></row>
<row r="6"><c r="D6"><v>1</v></c><c r="D6"><v>2</v></c></row>
<row r="7"><c r="G7"><v>3</v></c></row></sheetData>"#,
        );
        let t = read_first_sheet(&hand_xlsx(&sheet, None, None), 10).unwrap();
        assert_eq!(t.headers, vec!["x", "", "y"]);
        assert_eq!(
            t.rows,
            vec![
                (6, vec![String::new(), "2".into(), String::new()]),
                (
                    7,
                    vec![
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        "3".into()
                    ]
                ),
            ]
        );
        assert_eq!(
            read_first_sheet(&hand_xlsx(&sheet, None, None), 1),
            Err(XlsxError::TooManyRows(1))
        );
    }

    #[test]
    fn knows_date_formats() {
        for code in [
            "dd/mm/yyyy",
            "d-mmm-yy",
            "[$-42A]dd/mm/yyyy",
            "hh:mm",
            "[h]:mm:ss",
            "yyyy\"年\"",
            "H:MM:SS;@",
        ] {
            assert!(is_date_format(code), "{code}");
        }
        for code in [
            "General",
            "0.00",
            "#,##0.00\" m\"",
            "0.0\\m",
            "[Red]0.00",
            "@",
            "0.00E+00",
            "# ?/?",
            "_-* #,##0 ₫_-;-* #,##0 ₫_-",
        ] {
            assert!(!is_date_format(code), "{code}");
        }
        assert_eq!(
            decode_x_escapes("a_x000D_b_x005F_x000D_c_xD83D__xDE00_"),
            "a\rb_x000D_c😀"
        );
        assert_eq!(
            parse_ref("XFD1048576"),
            Some((Some(16_383), Some(1_048_576)))
        );
        assert_eq!(parse_ref("$B$7"), Some((Some(1), Some(7))));
        assert_eq!(parse_ref("A0"), None);
        assert_eq!(
            parse_ref("ZZZZZZZZZZZZZZZZZZZZ99999999999999999999999").map(|(c, _)| c),
            Some(Some(usize::MAX - 1))
        );
        assert_eq!(
            part_path("/xl/worksheets/../worksheets/a.xml"),
            "xl/worksheets/a.xml"
        );
        assert_eq!(
            part_path("worksheets/sheet2.xml"),
            "xl/worksheets/sheet2.xml"
        );
    }
}
