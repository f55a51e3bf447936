//! CSV exports: Nessus/Tenable, OpenVAS/GVM, and our generic CSV (docs/import.md).
//!
//! Our own RFC 4180 reader: it streams record by record and refuses a record longer
//! than `max_token_bytes`, which the csv crate does not bound.

use std::io::BufRead;

use crate::guard::Guarded;
use crate::util::{add_cves, add_cwes_in_text, cvss_version, cwe, opt, port, push_unique, score};
use crate::{Ctx, Finding, ImportError, Severity, Step, Tool};

/// Splits one header line (detection only: a header has no newlines in it).
pub(crate) fn split_header(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.trim_end_matches(['\r', '\n']).chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

struct Records<'a, R> {
    r: &'a mut Guarded<R>,
    max: usize,
    field: Vec<u8>,
    first: bool,
    eof: bool,
}

impl<'a, R: BufRead> Records<'a, R> {
    fn new(r: &'a mut Guarded<R>) -> Self {
        let max = r.max_token();
        Records {
            r,
            max,
            field: Vec::new(),
            first: true,
            eof: false,
        }
    }

    /// The next record into `out`; false at the end of the input.
    fn next(&mut self, out: &mut Vec<String>) -> Result<bool, ImportError> {
        out.clear();
        if self.eof {
            return Ok(false);
        }
        let mut quoted = false;
        let mut after_quote = false;
        let mut size = 0usize;
        let mut any = false;
        let Records {
            r, max, field, first, eof,
        } = self;
        field.clear();
        loop {
            let buf = r.fill_buf().map_err(ImportError::from_io)?;
            if buf.is_empty() {
                *eof = true;
                if any || !field.is_empty() || !out.is_empty() {
                    out.push(take(field));
                    return Ok(true);
                }
                return Ok(false);
            }
            let mut used = 0;
            let mut done = false;
            let mut skip_bom = *first && buf.starts_with(b"\xEF\xBB\xBF");
            *first = false;
            for &c in buf {
                used += 1;
                if skip_bom {
                    if used == 3 {
                        skip_bom = false;
                    }
                    continue;
                }
                size += 1;
                any = true;
                if quoted {
                    if c == b'"' {
                        quoted = false;
                        after_quote = true;
                    } else {
                        field.push(c);
                    }
                    continue;
                }
                match c {
                    b'"' if after_quote => {
                        // "" inside a quoted field
                        field.push(b'"');
                        quoted = true;
                        after_quote = false;
                    }
                    b'"' if field.is_empty() => quoted = true,
                    b',' => {
                        after_quote = false;
                        out.push(take(field));
                    }
                    b'\n' => {
                        out.push(take(field));
                        done = true;
                        break;
                    }
                    b'\r' => {}
                    _ => {
                        after_quote = false;
                        field.push(c);
                    }
                }
            }
            r.consume(used);
            if size > *max {
                return Err(ImportError::TokenTooLong { limit: *max });
            }
            if done {
                return Ok(true);
            }
        }
    }

}

fn take(field: &mut Vec<u8>) -> String {
    let s = String::from_utf8_lossy(field).into_owned();
    field.clear();
    s
}

/// Column positions by lower-case header name.
struct Cols(Vec<String>);

impl Cols {
    fn idx(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.0.iter().position(|c| c == n))
    }
}

fn cell(row: &[String], i: Option<usize>) -> &str {
    i.and_then(|i| row.get(i)).map(|s| s.trim()).unwrap_or("")
}

fn read_header<R: BufRead>(
    rec: &mut Records<'_, R>,
    expected: &'static str,
) -> Result<Option<Cols>, ImportError> {
    let mut row = Vec::new();
    if !rec.next(&mut row)? {
        return Ok(None);
    }
    let cols: Vec<String> = row.iter().map(|c| c.trim().to_ascii_lowercase()).collect();
    if cols.iter().all(String::is_empty) {
        return Err(ImportError::malformed(expected, "no header row"));
    }
    Ok(Some(Cols(cols)))
}

fn blank(row: &[String]) -> bool {
    row.iter().all(|c| c.trim().is_empty())
}

// ------------------------------------------------------------------ Nessus CSV

pub(crate) fn parse_nessus<R: BufRead>(input: &mut Guarded<R>, ctx: &mut Ctx<'_>) -> Step {
    const E: &str = "Nessus CSV";
    let mut rec = Records::new(input);
    let Some(c) = read_header(&mut rec, E)? else {
        return Ok(());
    };
    let plugin = c.idx(&["plugin id", "plugin"]);
    let name = c.idx(&["name", "plugin name"]);
    if plugin.is_none() || name.is_none() {
        return Err(ImportError::malformed(E, "no Plugin ID or Name column").into());
    }
    let col = NessusCols {
        plugin,
        name,
        cve: c.idx(&["cve"]),
        risk: c.idx(&["risk", "risk factor"]),
        severity: c.idx(&["severity"]),
        host: c.idx(&["host", "dns name", "fqdn"]),
        ip: c.idx(&["ip address", "ip"]),
        protocol: c.idx(&["protocol"]),
        port: c.idx(&["port"]),
        synopsis: c.idx(&["synopsis"]),
        description: c.idx(&["description"]),
        solution: c.idx(&["solution"]),
        see_also: c.idx(&["see also"]),
        output: c.idx(&["plugin output", "plugin text"]),
        cvss3: c.idx(&["cvss v3.0 base score", "cvss v3 base score", "cvss3 base score"]),
        cvss3_vector: c.idx(&["cvss v3 vector", "cvss3 vector", "cvss v3.0 vector"]),
        cvss4: c.idx(&["cvss v4.0 base score", "cvss v4 base score", "cvss4 base score"]),
        cvss4_vector: c.idx(&["cvss v4 vector", "cvss v4.0 vector", "cvss4 vector"]),
        first: c.idx(&["first discovered", "first found", "first seen"]),
        last: c.idx(&["last observed", "last found", "last seen"]),
        xref: c.idx(&["xref", "cross references"]),
        cpe: c.idx(&["cpe"]),
        family: c.idx(&["plugin family", "family"]),
        state: c.idx(&["vulnerability state"]),
    };
    let mut row = Vec::new();
    let mut pending: Option<Finding> = None;
    let mut merged = 0u64;
    while rec.next(&mut row)? {
        if blank(&row) {
            continue;
        }
        let Some(f) = col.finding(&row) else {
            ctx.skip("row without plugin id or name");
            continue;
        };
        // Nessus writes one row per CVE of a plugin on a host: consecutive rows with
        // the same plugin, host, protocol and port are one finding.
        match pending.as_mut() {
            Some(p) if p.fingerprint() == f.fingerprint() => {
                for cve in f.cves {
                    push_unique(&mut p.cves, cve);
                }
                for w in f.cwes {
                    push_unique(&mut p.cwes, w);
                }
                merged += 1;
            }
            _ => {
                if let Some(p) = pending.replace(f) {
                    ctx.emit(p)?;
                }
            }
        }
    }
    if let Some(p) = pending.take() {
        ctx.emit(p)?;
    }
    if merged > 0 {
        ctx.note(format!(
            "{merged} CSV row(s) repeated a plugin on the same host and port (one row per CVE) and were merged"
        ));
    }
    Ok(())
}

struct NessusCols {
    plugin: Option<usize>,
    name: Option<usize>,
    cve: Option<usize>,
    risk: Option<usize>,
    severity: Option<usize>,
    host: Option<usize>,
    ip: Option<usize>,
    protocol: Option<usize>,
    port: Option<usize>,
    synopsis: Option<usize>,
    description: Option<usize>,
    solution: Option<usize>,
    see_also: Option<usize>,
    output: Option<usize>,
    cvss3: Option<usize>,
    cvss3_vector: Option<usize>,
    cvss4: Option<usize>,
    cvss4_vector: Option<usize>,
    first: Option<usize>,
    last: Option<usize>,
    xref: Option<usize>,
    cpe: Option<usize>,
    family: Option<usize>,
    state: Option<usize>,
}

impl NessusCols {
    fn finding(&self, row: &[String]) -> Option<Finding> {
        let plugin = cell(row, self.plugin);
        let name = cell(row, self.name);
        if plugin.is_empty() && name.is_empty() {
            return None;
        }
        let mut f = Finding::new(Tool::NessusCsv, plugin, name);
        f.scanner = "Nessus".into();
        let risk = cell(row, self.risk);
        let sev = cell(row, self.severity);
        let word = if risk.is_empty() { sev } else { risk };
        f.scanner_severity = word.to_string();
        f.severity = Severity::from_word(word).unwrap_or(Severity::Info);
        add_cves(&mut f.cves, cell(row, self.cve));
        let host = cell(row, self.host);
        let ip = cell(row, self.ip);
        if host.parse::<std::net::IpAddr>().is_ok() && ip.is_empty() {
            f.ip = opt(host);
        } else {
            f.host = opt(host);
            f.ip = opt(ip);
        }
        f.protocol = opt(cell(row, self.protocol)).map(|p| p.to_ascii_lowercase());
        f.port = port(cell(row, self.port));
        let syn = cell(row, self.synopsis);
        let desc = cell(row, self.description);
        f.description = match (syn.is_empty(), desc.is_empty()) {
            (false, false) => format!("{syn}\n\n{desc}"),
            (false, true) => syn.to_string(),
            _ => desc.to_string(),
        };
        let sol = cell(row, self.solution);
        let see = cell(row, self.see_also);
        f.solution = match (sol.is_empty() || sol == "n/a", see.is_empty()) {
            (false, false) => format!("{sol}\n\n{see}"),
            (false, true) => sol.to_string(),
            (true, _) => see.to_string(),
        };
        f.evidence = cell(row, self.output).to_string();
        f.cvss3_score = score(cell(row, self.cvss3));
        f.cvss3_vector = opt(cell(row, self.cvss3_vector)).filter(|v| cvss_version(v) == Some(3));
        f.cvss4_score = score(cell(row, self.cvss4));
        f.cvss4_vector = opt(cell(row, self.cvss4_vector)).filter(|v| cvss_version(v) == Some(4));
        f.first_seen = opt(cell(row, self.first));
        f.last_seen = opt(cell(row, self.last));
        add_cwes_in_text(&mut f.cwes, &cell(row, self.xref).replace(':', "-"));
        f.component = opt(cell(row, self.cpe));
        f.category = opt(cell(row, self.family));
        if cell(row, self.state).eq_ignore_ascii_case("fixed") {
            f.suppressed = true;
        }
        Some(f)
    }
}

// ----------------------------------------------------------------- OpenVAS CSV

pub(crate) fn parse_openvas<R: BufRead>(input: &mut Guarded<R>, ctx: &mut Ctx<'_>) -> Step {
    const E: &str = "OpenVAS CSV";
    let mut rec = Records::new(input);
    let Some(c) = read_header(&mut rec, E)? else {
        return Ok(());
    };
    let oid = c.idx(&["nvt oid"]);
    let name = c.idx(&["nvt name"]);
    if oid.is_none() && name.is_none() {
        return Err(ImportError::malformed(E, "no NVT OID or NVT Name column").into());
    }
    let ip = c.idx(&["ip"]);
    let hostname = c.idx(&["hostname"]);
    let port_c = c.idx(&["port"]);
    let proto = c.idx(&["port protocol"]);
    let cvss = c.idx(&["cvss"]);
    let sev = c.idx(&["severity"]);
    let summary = c.idx(&["summary"]);
    let result = c.idx(&["specific result"]);
    let cves = c.idx(&["cves"]);
    let ts = c.idx(&["timestamp"]);
    let impact = c.idx(&["impact"]);
    let solution = c.idx(&["solution"]);
    let insight = c.idx(&["vulnerability insight"]);
    let affected = c.idx(&["affected software/os"]);
    let mut row = Vec::new();
    while rec.next(&mut row)? {
        if blank(&row) {
            continue;
        }
        let title = cell(&row, name);
        let rule = cell(&row, oid);
        if title.is_empty() && rule.is_empty() {
            ctx.skip("row without NVT OID or name");
            continue;
        }
        let mut f = Finding::new(Tool::OpenVasCsv, rule, title);
        f.scanner = "OpenVAS".into();
        let word = cell(&row, sev);
        let sc = score(cell(&row, cvss));
        f.scanner_severity = match sc {
            Some(s) if !word.is_empty() => format!("{word} ({s:.1})"),
            _ => word.to_string(),
        };
        f.severity = match sc {
            Some(s) => Severity::from_score(s),
            None => Severity::from_word(word).unwrap_or(Severity::Info),
        };
        let ipv = cell(&row, ip);
        f.ip = opt(ipv);
        f.host = opt(cell(&row, hostname));
        f.port = port(cell(&row, port_c));
        f.protocol = opt(cell(&row, proto)).map(|p| p.to_ascii_lowercase());
        f.locator = format!("{}/{}", cell(&row, port_c), cell(&row, proto));
        let mut desc = cell(&row, summary).to_string();
        for (label, i) in [("Insight", insight), ("Impact", impact), ("Affected", affected)] {
            let v = cell(&row, i);
            if !v.is_empty() {
                desc.push_str(&format!("\n\n{label}: {v}"));
            }
        }
        f.description = desc.trim().to_string();
        f.solution = cell(&row, solution).to_string();
        f.evidence = cell(&row, result).to_string();
        add_cves(&mut f.cves, cell(&row, cves));
        f.first_seen = opt(cell(&row, ts));
        f.last_seen = f.first_seen.clone();
        ctx.emit(f)?;
    }
    Ok(())
}

// ----------------------------------------------------------------- generic CSV

/// The columns of our generic CSV, in the order of docs/import.md.
pub const GENERIC_COLUMNS: [&str; 27] = [
    "title",
    "severity",
    "rule_id",
    "scanner",
    "description",
    "solution",
    "evidence",
    "host",
    "ip",
    "port",
    "protocol",
    "url",
    "path",
    "line",
    "component",
    "version",
    "fixed_version",
    "cve",
    "cwe",
    "cvss3_vector",
    "cvss3_score",
    "cvss4_vector",
    "cvss4_score",
    "first_seen",
    "last_seen",
    "category",
    "locator",
];

pub(crate) fn parse_generic<R: BufRead>(input: &mut Guarded<R>, ctx: &mut Ctx<'_>) -> Step {
    const E: &str = "generic CSV";
    let mut rec = Records::new(input);
    let Some(c) = read_header(&mut rec, E)? else {
        return Ok(());
    };
    let i: Vec<Option<usize>> = GENERIC_COLUMNS.iter().map(|n| c.idx(&[n])).collect();
    let at = |row: &[String], n: &str| {
        let k = GENERIC_COLUMNS.iter().position(|c| *c == n);
        cell(row, k.and_then(|k| i.get(k).copied().flatten()))
            .to_string()
    };
    if i.first().copied().flatten().is_none() || i.get(1).copied().flatten().is_none() {
        return Err(ImportError::malformed(E, "the title and severity columns are required").into());
    }
    let unknown: Vec<&String> = c.0.iter().filter(|h| !GENERIC_COLUMNS.contains(&h.as_str())).collect();
    if !unknown.is_empty() {
        let list: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
        ctx.note(format!("columns ignored: {}", list.join(", ")));
    }
    let mut row = Vec::new();
    while rec.next(&mut row)? {
        if blank(&row) {
            continue;
        }
        let title = at(&row, "title");
        if title.is_empty() {
            ctx.skip("row without a title");
            continue;
        }
        let sev_text = at(&row, "severity");
        let severity = match Severity::from_word(&sev_text) {
            Some(s) => s,
            None => match score(&sev_text) {
                Some(s) => Severity::from_score(s),
                None => {
                    ctx.skip("row with an unknown severity");
                    continue;
                }
            },
        };
        let mut f = Finding::new(Tool::GenericCsv, at(&row, "rule_id"), title);
        f.severity = severity;
        f.scanner_severity = sev_text;
        f.scanner = at(&row, "scanner");
        f.description = at(&row, "description");
        f.solution = at(&row, "solution");
        f.evidence = at(&row, "evidence");
        f.host = opt(&at(&row, "host"));
        f.ip = opt(&at(&row, "ip"));
        f.port = port(&at(&row, "port"));
        f.protocol = opt(&at(&row, "protocol")).map(|p| p.to_ascii_lowercase());
        f.url = opt(&at(&row, "url"));
        f.path = opt(&at(&row, "path"));
        f.line = at(&row, "line").parse().ok();
        f.component = opt(&at(&row, "component"));
        f.version = opt(&at(&row, "version"));
        f.fixed_version = opt(&at(&row, "fixed_version"));
        add_cves(&mut f.cves, &at(&row, "cve"));
        for part in at(&row, "cwe").split([',', ';', ' ']) {
            if let Some(n) = cwe(part) {
                push_unique(&mut f.cwes, n);
            }
        }
        f.cvss3_vector = opt(&at(&row, "cvss3_vector"));
        f.cvss3_score = score(&at(&row, "cvss3_score"));
        f.cvss4_vector = opt(&at(&row, "cvss4_vector"));
        f.cvss4_score = score(&at(&row, "cvss4_score"));
        f.first_seen = opt(&at(&row, "first_seen"));
        f.last_seen = opt(&at(&row, "last_seen"));
        f.category = opt(&at(&row, "category"));
        f.locator = at(&row, "locator");
        ctx.emit(f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(s: &str) -> Vec<Vec<String>> {
        let mut g = Guarded::new(s.as_bytes(), crate::Limits::default());
        let mut r = Records::new(&mut g);
        let mut out = Vec::new();
        let mut row = Vec::new();
        while r.next(&mut row).unwrap() {
            out.push(row.clone());
        }
        out
    }

    #[test]
    fn rfc4180() {
        let r = rows("\u{feff}a,b\r\n\"x, \"\"y\"\"\",\"multi\nline\"\n,\n");
        assert_eq!(r[0], vec!["a", "b"]);
        assert_eq!(r[1], vec!["x, \"y\"", "multi\nline"]);
        assert_eq!(r[2], vec!["", ""]);
        assert_eq!(r.len(), 3);
        assert_eq!(rows("a,b").len(), 1);
    }
}
