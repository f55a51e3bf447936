//! Reading the first sheet of a workbook, streaming, within limits: the parts are
//! located through the workbook and its relationships, styles tell which numbers are
//! dates, shared strings and cells are bounded while they are read.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Cursor};

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::{
    MAX_BLANK_ROWS, MAX_COLUMNS, MAX_SHARED_STRINGS, MAX_TEXT_BYTES, SheetLimit, Table, XlsxError,
};
use crate::zip_guard::{GuardedArchive, ZipGuardError, ZipLimits};

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
pub(super) fn excel_serial_to_date(serial: f64) -> Option<String> {
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

pub(super) fn decode_x_escapes(s: &str) -> String {
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
pub(super) fn part_path(target: &str) -> String {
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
pub(super) fn is_date_format(code: &str) -> bool {
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
pub(super) fn parse_ref(s: &str) -> Option<(Option<usize>, Option<usize>)> {
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
