//! Small normalisers shared by the readers.

/// Cuts `s` to at most `max` bytes at a character boundary; true when it cut.
pub(crate) fn cut(s: &mut String, max: usize) -> bool {
    if s.len() <= max {
        return false;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    true
}

/// Trimmed, `None` when blank.
pub(crate) fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Adds every `CVE-YYYY-NNNN…` found in `text` (any case) to `out`, once each.
pub(crate) fn add_cves(out: &mut Vec<String>, text: &str) {
    let b = text.as_bytes();
    let mut i = 0;
    while i + 4 <= b.len() {
        let is_cve = b
            .get(i..i + 4)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"CVE-"));
        let boundary = i == 0 || b.get(i - 1).is_some_and(|c| !c.is_ascii_alphanumeric());
        if is_cve && boundary {
            let year = count_digits(b, i + 4);
            let dash = b.get(i + 4 + year) == Some(&b'-');
            let num = if dash { count_digits(b, i + 5 + year) } else { 0 };
            if year == 4 && num >= 4 {
                let end = i + 5 + year + num;
                if let Some(id) = text.get(i..end) {
                    push_unique(out, id.to_ascii_uppercase());
                }
                i = end;
                continue;
            }
        }
        i += 1;
    }
}

fn count_digits(b: &[u8], from: usize) -> usize {
    b.get(from..)
        .map(|s| s.iter().take_while(|c| c.is_ascii_digit()).count())
        .unwrap_or(0)
}

pub(crate) fn push_unique<T: PartialEq>(out: &mut Vec<T>, v: T) {
    if !out.contains(&v) {
        out.push(v);
    }
}

/// A CWE number from `79`, `CWE-79`, `cwe:79`, `CWE-79: Improper …`; 0 is not a CWE.
pub(crate) fn cwe(s: &str) -> Option<u32> {
    let t = s.trim();
    let t = if t.len() >= 3 && t.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("cwe")) {
        t.get(3..).unwrap_or("").trim_start_matches([':', '-', ' ', '_'])
    } else {
        t
    };
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    digits.parse::<u32>().ok().filter(|&n| n > 0)
}

/// Every `CWE-N` in a free text (Burp's classification HTML, SARIF tags).
pub(crate) fn add_cwes_in_text(out: &mut Vec<u32>, text: &str) {
    let lower = text.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("cwe-") {
        rest = rest.get(i + 4..).unwrap_or("");
        if let Some(n) = cwe(rest) {
            push_unique(out, n);
        }
    }
}

/// A score in 0..=10, from text.
pub(crate) fn score(s: &str) -> Option<f64> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && (0.0..=10.0).contains(v))
}

pub(crate) fn port(s: &str) -> Option<u16> {
    s.trim().parse::<u16>().ok().filter(|&p| p > 0)
}

/// Splits a vector into CVSS v3 or v4 by its prefix; others (v2) are `None`.
pub(crate) fn cvss_version(vector: &str) -> Option<u8> {
    let v = vector.trim();
    if v.starts_with("CVSS:3") {
        Some(3)
    } else if v.starts_with("CVSS:4") {
        Some(4)
    } else {
        None
    }
}

/// Strips HTML tags and decodes the commonest entities, for Burp and ZAP text that
/// is HTML. Not a sanitiser: the platform escapes on output anyway.
pub(crate) fn strip_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    let mut lines: Vec<&str> = out.lines().map(str::trim).collect();
    lines.dedup_by(|a, b| a.is_empty() && b.is_empty());
    lines.join("\n").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cves_and_cwes() {
        let mut v = Vec::new();
        add_cves(&mut v, "see cve-2021-44228, CVE-2021-44228 and XCVE-2020-1234 CVE-99-1");
        assert_eq!(v, vec!["CVE-2021-44228"]);
        assert_eq!(cwe("CWE-79: XSS"), Some(79));
        assert_eq!(cwe("cwe:0"), None);
        assert_eq!(cwe("352"), Some(352));
        let mut w = Vec::new();
        add_cwes_in_text(&mut w, "<li><a href=\"x/79.html\">CWE-79: …</a></li> CWE-116");
        assert_eq!(w, vec![79, 116]);
    }

    #[test]
    fn cut_at_char_boundary() {
        let mut s = "an toàn".to_string();
        assert!(cut(&mut s, 6));
        assert_eq!(s, "an to");
    }
}
