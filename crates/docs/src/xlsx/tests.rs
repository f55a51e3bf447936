//! The XLSX table writer and reader, round trips, odd workbooks and bombs.
use super::read::{decode_x_escapes, excel_serial_to_date, is_date_format, parse_ref, part_path};
use super::*;
use std::io::Cursor;

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

#[test]
fn a_choice_with_a_comma_stays_one_choice_and_every_import_row_has_the_drop_down() {
    use std::io::Read;
    let cols = vec![Column {
        header: "Loại hệ thống".into(),
        width: 30.0,
        choices: vec!["Phục vụ hoạt động nội bộ".into(), "Phục vụ người dân, doanh nghiệp".into()],
    }];
    let bytes = write_table("Hệ thống", &cols, &[], None).unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml").unwrap().read_to_string(&mut sheet).unwrap();
    // The validation points at a range, not at a comma-separated list.
    assert!(sheet.contains("<formula1>'Danh mục'!$A$1:$A$2</formula1>"), "{sheet}");
    assert!(sheet.contains(&format!("sqref=\"A2:A{}\"", IMPORT_ROWS + 1)), "{sheet}");
    assert!(sheet.contains("orientation=\"landscape\"") && sheet.contains("fitToHeight=\"0\""), "printed landscape, one page wide");
    // The list sheet holds each choice whole, and is hidden.
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    use calamine::Reader;
    let lists = wb.worksheet_range("Danh mục").unwrap();
    let cells: Vec<String> = lists.rows().map(|r| r[0].to_string()).collect();
    assert_eq!(cells, vec!["Phục vụ hoạt động nội bộ", "Phục vụ người dân, doanh nghiệp"]);
    let hidden = wb.sheets_metadata().iter().find(|s| s.name == "Danh mục").unwrap().visible;
    assert_ne!(hidden, calamine::SheetVisible::Visible);
}

#[test]
fn column_letters_go_past_z() {
    assert_eq!(
        [0, 1, 25, 26, 27, 51, 52, 701, 702].map(super::column_letter),
        ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"].map(String::from)
    );
}
