//! Recognising a report by its first bytes, never by its file name.

use crate::Tool;

/// How many leading bytes [`detect`] looks at; pass at least this much when you can.
pub const HEAD_BYTES: usize = 64 * 1024;

/// The tool that wrote a report, from its first bytes (up to [`HEAD_BYTES`]).
/// `None` when the content says nothing we know: an empty file, `null`, `[]`, a
/// format we do not read, or an archive.
pub fn detect(head: &[u8]) -> Option<Tool> {
    if archive_kind(head).is_some() {
        return None;
    }
    let head = head.get(..HEAD_BYTES).unwrap_or(head);
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let body = head.get(start..)?;
    // The head may end inside a multi-byte character: decode what is whole.
    let text = match std::str::from_utf8(body) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(body.get(..e.valid_up_to())?).ok()?,
    };
    match body.first()? {
        b'<' => detect_xml(text),
        b'{' | b'[' => detect_json(text),
        _ => detect_csv(text),
    }
}

/// Zip, gzip, 7z, rar and xz are refused with a clear error: archives are unpacked by
/// the platform's zip guard, one entry at a time.
pub(crate) fn archive_kind(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some("zip")
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Some("gzip")
    } else if head.starts_with(b"7z\xBC\xAF\x27\x1C") {
        Some("7z")
    } else if head.starts_with(b"Rar!") {
        Some("rar")
    } else if head.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0]) {
        Some("xz")
    } else {
        None
    }
}

/// The local name of the first element that is not a declaration, comment or DTD.
fn root_element(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        let i = rest.find('<')?;
        rest = rest.get(i..)?;
        if let Some(r) = rest.strip_prefix("<?") {
            rest = r.get(r.find("?>")? + 2..)?;
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.get(r.find("-->")? + 3..)?;
        } else if let Some(r) = rest.strip_prefix("<!") {
            // A DOCTYPE, possibly with an internal subset in brackets.
            let close = match (r.find('['), r.find('>')) {
                (Some(b), Some(g)) if b < g => r.find("]>").map(|j| j + 2)?,
                (_, Some(g)) => g + 1,
                _ => return None,
            };
            rest = r.get(close..)?;
        } else {
            let name = rest.get(1..)?;
            let end = name
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(name.len());
            let qname = name.get(..end)?;
            return Some(qname.rsplit(':').next().unwrap_or(qname));
        }
    }
}

fn detect_xml(text: &str) -> Option<Tool> {
    let root = root_element(text)?;
    match root {
        "NessusClientData_v2" => Some(Tool::NessusXml),
        "OWASPZAPReport" => Some(Tool::ZapXml),
        "issues" if text.contains("burpVersion") => Some(Tool::BurpXml),
        "testsuites" | "testsuite" if text.contains("Dastardly") => Some(Tool::BurpDastardly),
        // GVM's report format id for XML, or the shape of a GMP response.
        "report" | "get_reports_response"
            if text.contains("a994b278-1f62-11e1-96ac-406186ea4fc5")
                || text.contains("<omp>")
                || text.contains("<gvm>")
                || text.contains("<nvt oid=") =>
        {
            Some(Tool::OpenVasXml)
        }
        _ => None,
    }
}

fn detect_json(text: &str) -> Option<Tool> {
    let has = |k: &str| text.contains(k);
    if (has("\"runs\"") && has("\"version\"") && (has("sarif") || has("2.1.0")))
        || has("sarif-schema-2.1.0")
        || has("sarif-2.1.0")
    {
        return Some(Tool::Sarif);
    }
    if has("\"SchemaVersion\"")
        || has("\"ClusterName\"")
        || (has("\"Target\"")
            && (has("\"Vulnerabilities\"") || has("\"VulnerabilityID\"") || has("\"Misconfigurations\"")))
    {
        return Some(Tool::Trivy);
    }
    if has("\"template-id\"") || has("\"templateID\"") || has("\"matched-at\"") {
        return Some(Tool::Nuclei);
    }
    None
}

fn detect_csv(text: &str) -> Option<Tool> {
    let header = text.lines().next()?;
    let cols: Vec<String> = crate::csv::split_header(header)
        .into_iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let has = |k: &str| cols.iter().any(|c| c == k);
    if has("nvt oid") || has("nvt name") {
        Some(Tool::OpenVasCsv)
    } else if (has("plugin id") || has("plugin")) && (has("name") || has("plugin name")) {
        Some(Tool::NessusCsv)
    } else if has("title") && has("severity") {
        Some(Tool::GenericCsv)
    } else {
        None
    }
}
