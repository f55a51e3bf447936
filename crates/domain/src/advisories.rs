//! Advisories (cảnh báo) from the authorities: what one says (number, date, issuer,
//! CVEs, affected products with version ranges, severity, action, deadline), how it is
//! read from a CVE JSON 5 record, and which system components it reaches.
//!
//! Matching (docs/decisions.md "Advisories"): a component is identified by its CPE 2.3
//! (vendor, product, version) when it has one, else by its vendor, product and version
//! fields. Names compare on their letters and digits only, lower case ("Palo Alto
//! Networks" = `paloaltonetworks`, "PAN-OS" = `pan-os`). A version is in a range when
//! every bound holds; versions compare token by token (numbers as numbers, words as
//! text), a missing token sorts before any other except a pre-release word (`rc`,
//! `alpha`, `beta`, `pre`, `dev`), which sorts before the release: `10.2.9` < `10.2.9-h1`
//! and `2.44.0-rc0` < `2.44.0`. A component without a version matches only a product
//! listed for every version.

use std::cmp::Ordering;

use serde_json::Value;
use time::Date;

use crate::error::{Invalid, optional_text, required_text};

pub const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];
/// How a unit answers an advisory for one of its systems.
pub const RESPONSES: [&str; 3] = ["not_affected", "mitigated", "fixed"];
/// Products one advisory may list, and the longest text of a field.
pub const PRODUCTS_MAX: usize = 200;
const TEXT_MAX: usize = 2000;

/// The letters and digits of a name, lower case: the key names are compared by.
pub fn name_key(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// One bound of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    Ge(String),
    Gt(String),
    Le(String),
    Lt(String),
    Eq(String),
}

/// The versions a product is affected in: any of the ranges (each a conjunction of
/// bounds); no range means every version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Versions {
    pub ranges: Vec<Vec<Bound>>,
}

/// A product an advisory names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffectedProduct {
    pub vendor: String,
    pub product: String,
    pub versions: Versions,
    /// As written (a line of the form, or the CPE), for the page.
    pub text: String,
}

impl AffectedProduct {
    /// Whether a component (vendor, product, version, CPE 2.3 or empty) is affected.
    pub fn matches(&self, vendor: &str, product: &str, version: &str, cpe: &str) -> bool {
        let (v, p, ver) = match cpe_parts(cpe) {
            Some((v, p, ver)) => (v, p, if ver == "*" || ver == "-" { version.to_string() } else { ver }),
            None => (vendor.to_string(), product.to_string(), version.to_string()),
        };
        name_key(&v) == name_key(&self.vendor) && name_key(&p) == name_key(&self.product) && self.versions.contains(ver.trim())
    }
}

impl Versions {
    pub fn contains(&self, version: &str) -> bool {
        if self.ranges.is_empty() {
            return true;
        }
        if version.is_empty() {
            return false;
        }
        self.ranges.iter().any(|r| {
            r.iter().all(|b| match b {
                Bound::Ge(x) => compare_versions(version, x) != Ordering::Less,
                Bound::Gt(x) => compare_versions(version, x) == Ordering::Greater,
                Bound::Le(x) => compare_versions(version, x) != Ordering::Greater,
                Bound::Lt(x) => compare_versions(version, x) == Ordering::Less,
                Bound::Eq(x) => compare_versions(version, x) == Ordering::Equal,
            })
        })
    }

    /// "≥ 2.4.0, < 2.4.51; = 2.4.60", or "mọi phiên bản".
    pub fn describe(&self) -> String {
        if self.ranges.is_empty() {
            return "mọi phiên bản".into();
        }
        self.ranges
            .iter()
            .map(|r| {
                r.iter()
                    .map(|b| match b {
                        Bound::Ge(x) => format!("≥ {x}"),
                        Bound::Gt(x) => format!("> {x}"),
                        Bound::Le(x) => format!("≤ {x}"),
                        Bound::Lt(x) => format!("< {x}"),
                        Bound::Eq(x) => format!("= {x}"),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Words that mark a version before its release.
fn pre_release(t: &str) -> bool {
    ["rc", "alpha", "beta", "pre", "dev", "a", "b"].iter().any(|p| t.strip_prefix(p).is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit())))
}

fn tokens(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut digits = None;
    for c in v.trim().trim_start_matches(['v', 'V']).chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            digits = None;
            continue;
        }
        let d = c.is_ascii_digit();
        if digits.is_some_and(|x| x != d) && !cur.is_empty() && d {
            // "rc0": the word and its number stay one token; "2a" splits.
        } else if digits.is_some_and(|x| x != d) && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        digits = Some(d);
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Compares two versions as the module comment says.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (ta, tb) = (tokens(a), tokens(b));
    for i in 0..ta.len().max(tb.len()) {
        match (ta.get(i), tb.get(i)) {
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(p), Ok(q)) => p.cmp(&q),
                    (Ok(_), Err(_)) if pre_release(y) => Ordering::Greater,
                    (Err(_), Ok(_)) if pre_release(x) => Ordering::Less,
                    (Ok(_), Err(_)) => Ordering::Greater,
                    (Err(_), Ok(_)) => Ordering::Less,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            (Some(x), None) => return if pre_release(x) { Ordering::Less } else { Ordering::Greater },
            (None, Some(y)) => return if pre_release(y) { Ordering::Greater } else { Ordering::Less },
            (None, None) => {}
        }
    }
    Ordering::Equal
}

/// (vendor, product, version) of a CPE 2.3 formatted string.
pub fn cpe_parts(cpe: &str) -> Option<(String, String, String)> {
    let rest = cpe.trim().strip_prefix("cpe:2.3:")?;
    let parts: Vec<&str> = rest.split(':').collect();
    if parts.len() < 4 || !matches!(parts[0], "a" | "o" | "h" | "*") || parts[1].is_empty() || parts[2].is_empty() {
        return None;
    }
    let unescape = |s: &str| s.replace('\\', "");
    Some((unescape(parts[1]), unescape(parts[2]), unescape(parts[3])))
}

/// Reads a range written as "≥ 2.4.0, < 2.4.51" / ">=2.4.0 <2.4.51" / "2.4.49" / "*".
fn parse_range(s: &str) -> Option<Vec<Bound>> {
    let s = s.trim();
    if s.is_empty() || s == "*" || s.eq_ignore_ascii_case("all") {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    let norm = s.replace('≥', ">=").replace('≤', "<=");
    // ">= 1.0, < 2.0", ">=1.0 <2.0": an operator standing alone takes the next piece.
    let mut parts: Vec<String> = Vec::new();
    let mut pending: Option<String> = None;
    for piece in norm.split([',', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
        match pending.take() {
            Some(op) => parts.push(format!("{op}{piece}")),
            None if matches!(piece, ">=" | "<=" | ">" | "<" | "=") => pending = Some(piece.to_string()),
            None => parts.push(piece.to_string()),
        }
    }
    if pending.is_some() {
        return None;
    }
    for part in parts.iter().map(String::as_str) {
        let (b, v): (fn(String) -> Bound, &str) = if let Some(v) = part.strip_prefix(">=") {
            (Bound::Ge, v)
        } else if let Some(v) = part.strip_prefix("<=") {
            (Bound::Le, v)
        } else if let Some(v) = part.strip_prefix('>') {
            (Bound::Gt, v)
        } else if let Some(v) = part.strip_prefix('<') {
            (Bound::Lt, v)
        } else if let Some(v) = part.strip_prefix('=') {
            (Bound::Eq, v)
        } else {
            (Bound::Eq, part)
        };
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        out.push(b(v.to_string()));
    }
    Some(out)
}

/// One line of the form: a CPE 2.3 (its version, or every version when `*`), or
/// `vendor | product | versions` (versions as `parse_range` reads them; ranges may be
/// separated by `;`).
pub fn parse_product_line(line: &str) -> Option<AffectedProduct> {
    let line = line.trim();
    if line.starts_with("cpe:2.3:") {
        let (vendor, product, version) = cpe_parts(line)?;
        let ranges = if version == "*" || version == "-" { Vec::new() } else { vec![vec![Bound::Eq(version)]] };
        return Some(AffectedProduct { vendor, product, versions: Versions { ranges }, text: line.to_string() });
    }
    let mut cols = line.split('|').map(str::trim);
    let vendor = cols.next().filter(|s| !s.is_empty())?.to_string();
    let product = cols.next().filter(|s| !s.is_empty())?.to_string();
    let spec = cols.next().unwrap_or("");
    if cols.next().is_some() {
        return None;
    }
    let mut ranges = Vec::new();
    for r in spec.split(';') {
        let b = parse_range(r)?;
        if b.is_empty() {
            ranges.clear();
            break;
        }
        ranges.push(b);
    }
    Some(AffectedProduct { vendor, product, versions: Versions { ranges }, text: line.to_string() })
}

/// The advisory form, as sent.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct AdvisoryInput {
    pub number: String,
    /// dd/mm/yyyy.
    pub issued_on: String,
    pub issuer: String,
    pub title: String,
    /// CVE ids separated by spaces, commas or lines.
    pub cves: String,
    /// One product per line (see [`parse_product_line`]).
    pub products: String,
    pub severity: String,
    pub action: String,
    /// dd/mm/yyyy: the day units must have answered by.
    pub deadline: String,
}

/// A validated advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryFields {
    pub number: String,
    pub issued_on: Date,
    pub issuer: String,
    pub title: String,
    pub cves: Vec<String>,
    pub products: Vec<AffectedProduct>,
    pub severity: &'static str,
    pub action: String,
    pub deadline: Date,
}

fn cve_ok(s: &str) -> bool {
    let mut p = s.splitn(3, '-');
    matches!((p.next(), p.next(), p.next()), (Some("CVE"), Some(y), Some(n)) if y.len() == 4 && y.chars().all(|c| c.is_ascii_digit()) && n.len() >= 4 && n.chars().all(|c| c.is_ascii_digit()))
}

impl AdvisoryInput {
    /// Every problem at once; `today` bounds the dates (issued not in the future, the
    /// deadline not before the issue).
    pub fn validate(&self, today: Date) -> Result<AdvisoryFields, Invalid> {
        let mut e = Invalid::default();
        let number = required_text(&mut e, "number", &self.number, 100);
        let issuer = required_text(&mut e, "issuer", &self.issuer, 300);
        let title = required_text(&mut e, "title", &self.title, 500);
        let action = optional_text(&mut e, "action", &self.action, TEXT_MAX).unwrap_or_default();
        let issued_on = crate::time_fmt::parse_user_date(&self.issued_on);
        if issued_on.is_none() {
            e.push("issued_on", "advisory.err_date", "");
        } else if issued_on.is_some_and(|d| d > today) {
            e.push("issued_on", "advisory.err_future", "");
        }
        let deadline = crate::time_fmt::parse_user_date(&self.deadline);
        match (deadline, issued_on) {
            (None, _) => e.push("deadline", "advisory.err_date", ""),
            (Some(d), Some(i)) if d < i => e.push("deadline", "advisory.err_deadline_before", ""),
            _ => {}
        }
        let severity = SEVERITIES.iter().copied().find(|s| *s == self.severity.trim());
        if severity.is_none() {
            e.push("severity", "advisory.err_severity", "");
        }
        let mut cves = Vec::new();
        for c in self.cves.split(|c: char| c == ',' || c.is_whitespace()).filter(|c| !c.is_empty()) {
            let c = c.to_uppercase();
            if !cve_ok(&c) {
                e.push("cves", "advisory.err_cve", c.clone());
            } else if !cves.contains(&c) {
                cves.push(c);
            }
        }
        let mut products = Vec::new();
        for (i, line) in self.products.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
            match parse_product_line(line) {
                Some(p) => products.push(p),
                None => e.push("products", "advisory.err_product", format!("{}: {line}", i + 1)),
            }
        }
        if products.is_empty() && !e.errors.iter().any(|x| x.field == "products") {
            e.push("products", "advisory.err_no_product", "");
        }
        if products.len() > PRODUCTS_MAX {
            e.push("products", "advisory.err_too_many", PRODUCTS_MAX.to_string());
        }
        match (issued_on, deadline, severity) {
            (Some(issued_on), Some(deadline), Some(severity)) if e.errors.is_empty() => Ok(AdvisoryFields {
                number,
                issued_on,
                issuer,
                title,
                cves,
                products,
                severity,
                action,
                deadline,
            }),
            _ => Err(e),
        }
    }
}

/// A CVE JSON 5 record read into the form: its id, title, severity (CVSS 3.x base
/// severity of the CNA or an ADP), and one product line per affected range of the CNA
/// and of CISA's ADP container (its CPEs and ranges). Ranges marked unaffected are left
/// out; what could not be read is listed for the form to show.
pub fn from_cve_record(v: &Value) -> Result<(AdvisoryInput, Vec<String>), &'static str> {
    let id = v.pointer("/cveMetadata/cveId").and_then(Value::as_str).ok_or("advisory.err_cve_record")?;
    let containers = v.get("containers").ok_or("advisory.err_cve_record")?;
    let cna = containers.get("cna").ok_or("advisory.err_cve_record")?;
    let mut notes = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    // (vendor, product, ranges); no range: every version.
    let mut products: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut severity = None;
    let mut read_container = |c: &Value, notes: &mut Vec<String>| {
        for m in c.get("metrics").and_then(Value::as_array).into_iter().flatten() {
            for k in ["cvssV3_1", "cvssV3_0", "cvssV4_0"] {
                if let Some(s) = m.pointer(&format!("/{k}/baseSeverity")).and_then(Value::as_str) {
                    severity.get_or_insert_with(|| s.to_lowercase());
                }
            }
        }
        for a in c.get("affected").and_then(Value::as_array).into_iter().flatten() {
            let vendor = a.get("vendor").and_then(Value::as_str).unwrap_or("").trim();
            let product = a.get("product").and_then(Value::as_str).unwrap_or("").trim();
            let default_affected = a.get("defaultStatus").and_then(Value::as_str) == Some("affected");
            let mut ranges: Vec<String> = Vec::new();
            for ver in a.get("versions").and_then(Value::as_array).into_iter().flatten() {
                if ver.get("status").and_then(Value::as_str) != Some("affected") {
                    continue;
                }
                let base = ver.get("version").and_then(Value::as_str).unwrap_or("").trim();
                let r = if let Some(lt) = ver.get("lessThan").and_then(Value::as_str) {
                    if base.is_empty() || base == "0" || base == "*" { format!("< {lt}") } else { format!(">= {base}, < {lt}") }
                } else if let Some(le) = ver.get("lessThanOrEqual").and_then(Value::as_str) {
                    if base.is_empty() || base == "0" || base == "*" { format!("<= {le}") } else { format!(">= {base}, <= {le}") }
                } else {
                    // "< 2.43.7" and ">= 2.44.0-rc0, < 2.44.4" written in the version itself.
                    base.to_string()
                };
                if parse_range(&r).is_some() {
                    ranges.push(r);
                } else {
                    notes.push(format!("{vendor} {product}: {r}"));
                }
            }
            if vendor.is_empty() || product.is_empty() || (vendor == "n/a" && product == "n/a") {
                for cpe in a.get("cpes").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                    lines.push(cpe.to_string());
                }
                continue;
            }
            if ranges.is_empty() && !default_affected {
                continue;
            }
            // The CNA's and CISA's lists name the same product differently
            // ("Palo Alto Networks"/"paloaltonetworks"): one product, its ranges once.
            let key = (name_key(vendor), name_key(product));
            match products.iter_mut().find(|p| (name_key(&p.0), name_key(&p.1)) == key) {
                Some(p) if p.2.is_empty() => {}
                Some(p) if ranges.is_empty() => p.2.clear(),
                Some(p) => {
                    for r in ranges {
                        if !p.2.contains(&r) {
                            p.2.push(r);
                        }
                    }
                }
                None => products.push((vendor.to_string(), product.to_string(), ranges)),
            }
        }
    };
    read_container(cna, &mut notes);
    for adp in containers.get("adp").and_then(Value::as_array).into_iter().flatten() {
        if adp.pointer("/providerMetadata/shortName").and_then(Value::as_str) == Some("CISA-ADP") {
            read_container(adp, &mut notes);
        }
    }
    let mut lines: Vec<String> = products
        .into_iter()
        .map(|(v, p, r)| format!("{v} | {p} | {}", if r.is_empty() { "*".to_string() } else { r.join("; ") }))
        .chain(lines)
        .collect();
    lines.dedup();
    let title = cna
        .get("title")
        .and_then(Value::as_str)
        .or_else(|| cna.pointer("/descriptions/0/value").and_then(Value::as_str))
        .unwrap_or(id);
    let input = AdvisoryInput {
        title: title.chars().take(500).collect(),
        cves: id.to_string(),
        products: lines.join("\n"),
        severity: severity.filter(|s| SEVERITIES.contains(&s.as_str())).unwrap_or_default(),
        ..Default::default()
    };
    Ok((input, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_with_hotfixes_after_and_release_candidates_before() {
        assert_eq!(compare_versions("10.2.9", "10.2.9-h1"), Ordering::Less);
        assert_eq!(compare_versions("10.2.10", "10.2.9-h1"), Ordering::Greater);
        assert_eq!(compare_versions("2.44.0-rc0", "2.44.0"), Ordering::Less);
        assert_eq!(compare_versions("2.44.0-rc1", "2.44.0-rc0"), Ordering::Greater);
        assert_eq!(compare_versions("v1.2", "1.2.0"), Ordering::Less);
        assert_eq!(compare_versions("2019", "2019"), Ordering::Equal);
    }

    #[test]
    fn a_product_line_reaches_components_by_name_or_cpe() {
        let p = parse_product_line("Palo Alto Networks | PAN-OS | >= 10.2.0, < 10.2.9-h1; >= 11.0.0, < 11.0.4-h1").unwrap();
        assert!(p.matches("Palo Alto Networks", "PAN-OS", "10.2.4", ""));
        assert!(p.matches("", "", "", "cpe:2.3:o:paloaltonetworks:pan-os:11.0.2:*:*:*:*:*:*:*"));
        assert!(!p.matches("Palo Alto Networks", "PAN-OS", "10.2.9-h1", ""), "the fixed hotfix");
        assert!(!p.matches("Palo Alto Networks", "PAN-OS", "11.1.0", ""));
        assert!(!p.matches("Palo Alto Networks", "PAN-OS", "", ""), "no version, a ranged advisory");
        assert!(!p.matches("Fortinet", "PAN-OS", "10.2.4", ""));
        let any = parse_product_line("cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*").unwrap();
        assert!(any.matches("Apache", "HTTP Server", "", ""));
        assert!(any.versions.ranges.is_empty());
        assert_eq!(p.versions.describe(), "≥ 10.2.0, < 10.2.9-h1; ≥ 11.0.0, < 11.0.4-h1");
        assert!(parse_product_line("only a vendor").is_none());
        assert!(parse_product_line("a | b | >=").is_none());
    }

    #[test]
    fn the_form_refuses_what_it_cannot_read_all_at_once() {
        let today = time::macros::date!(2026 - 12 - 02);
        let bad = AdvisoryInput { number: "".into(), issued_on: "03/12/2026".into(), cves: "CVE-24-1".into(), products: "x".into(), severity: "urgent".into(), deadline: "01/12/2026".into(), ..Default::default() };
        let e = bad.validate(today).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|x| x.field).collect();
        for f in ["number", "issuer", "title", "issued_on", "deadline", "severity", "cves", "products"] {
            assert!(fields.contains(&f), "{f}: {fields:?}");
        }
        let ok = AdvisoryInput { number: "12/CATTT-NCSC".into(), issued_on: "01/12/2026".into(), issuer: "Cục An toàn thông tin".into(), title: "Lỗ hổng PAN-OS".into(), cves: "cve-2024-3400, CVE-2024-3400".into(), products: "Palo Alto Networks | PAN-OS | < 10.2.9-h1\n".into(), severity: "critical".into(), deadline: "10/12/2026".into(), ..Default::default() };
        let f = ok.validate(today).unwrap();
        assert_eq!(f.cves, vec!["CVE-2024-3400"]);
        assert_eq!(f.products.len(), 1);
    }
}
