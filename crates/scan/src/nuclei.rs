//! ProjectDiscovery Nuclei: JSON lines (v2 keys `templateID`, `matched`; v3 keys
//! `template-id`, `matched-at`) or one JSON array (`-json-export`).
//!
//! One finding per result line: a template's matcher at one URL or host. A line that
//! is not a JSON object is skipped and counted.

use std::io::BufRead;

use serde_json::Value;

use crate::guard::Guarded;
use crate::json::{self, Each, at, f64_of, s, strings, text};
use crate::util::{add_cves, cvss_version, cwe, opt, push_unique};
use crate::{Ctx, Finding, ImportError, Severity, Step, Tool};

pub(crate) fn parse<R: BufRead>(input: &mut Guarded<R>, ctx: &mut Ctx<'_>) -> Step {
    let first = {
        let head = input.peek_head()?;
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        head.iter().copied().find(|b| !b.is_ascii_whitespace())
    };
    if first == Some(b'[') {
        let mut slot = None;
        let mut f = |v: Value| item(ctx, v);
        let res = json::drive(input, Each { f: &mut f, slot: &mut slot });
        return json::outcome(res, slot, "Nuclei JSON");
    }
    let max = input.max_token();
    let mut line = Vec::new();
    loop {
        line.clear();
        if !read_line(input, &mut line, max)? {
            return Ok(());
        }
        let t = line.trim_ascii();
        if t.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Value>(t) {
            Ok(v @ Value::Object(_)) => item(ctx, v)?,
            Ok(_) => ctx.skip("line is not a JSON object"),
            Err(_) => ctx.skip("line is not valid JSON"),
        }
    }
}

/// One line into `out` (without the newline); false at the end of input.
pub(crate) fn read_line<R: BufRead>(
    r: &mut Guarded<R>,
    out: &mut Vec<u8>,
    max: usize,
) -> Result<bool, ImportError> {
    let mut any = false;
    loop {
        let buf = r.fill_buf().map_err(ImportError::from_io)?;
        if buf.is_empty() {
            return Ok(any);
        }
        any = true;
        let (used, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                out.extend_from_slice(buf.get(..i).unwrap_or(buf));
                (i + 1, true)
            }
            None => {
                out.extend_from_slice(buf);
                (buf.len(), false)
            }
        };
        r.consume(used);
        if out.len() > max {
            return Err(ImportError::TokenTooLong { limit: max });
        }
        if done {
            return Ok(true);
        }
    }
}

fn item(ctx: &mut Ctx<'_>, v: Value) -> Step {
    let Some(tid) = s(&v, "template-id").or_else(|| s(&v, "templateID")) else {
        ctx.skip("result without a template id");
        return Ok(());
    };
    let info = v.get("info").cloned().unwrap_or(Value::Null);
    let name = s(&info, "name").unwrap_or_else(|| tid.clone());
    let mut f = Finding::new(Tool::Nuclei, tid, name);
    f.scanner = "Nuclei".into();
    let sev = text(&info, "severity");
    f.severity = Severity::from_word(&sev).unwrap_or(Severity::Info);
    f.scanner_severity = sev;
    f.description = text(&info, "description");
    f.solution = text(&info, "remediation");
    let refs = strings(info.get("reference"));
    if !refs.is_empty() {
        if !f.solution.is_empty() {
            f.solution.push_str("\n\n");
        }
        f.solution.push_str(&refs.join("\n"));
    }
    if let Some(c) = info.get("classification") {
        for id in strings(c.get("cve-id")) {
            add_cves(&mut f.cves, &id);
        }
        for id in strings(c.get("cwe-id")) {
            if let Some(n) = cwe(&id) {
                push_unique(&mut f.cwes, n);
            }
        }
        if let Some(vec) = s(c, "cvss-metrics") {
            let score = f64_of(c.get("cvss-score"));
            match cvss_version(&vec) {
                Some(4) => {
                    f.cvss4_vector = Some(vec);
                    f.cvss4_score = score;
                }
                Some(3) => {
                    f.cvss3_vector = Some(vec);
                    f.cvss3_score = score;
                }
                _ => {}
            }
        }
    }
    let matched = s(&v, "matched-at").or_else(|| s(&v, "matched"));
    let host = s(&v, "host");
    f.url = matched
        .clone()
        .filter(|m| m.contains("://"))
        .or_else(|| host.clone().filter(|h| h.contains("://")));
    f.host = host.as_deref().and_then(host_of).or_else(|| matched.as_deref().and_then(host_of));
    f.ip = s(&v, "ip");
    f.port = s(&v, "port").and_then(|p| crate::util::port(&p)).or_else(|| {
        let m = matched.as_deref()?;
        let hostport = m.split_once("://").map(|(_, r)| r).unwrap_or(m);
        let hp = hostport.split('/').next()?;
        crate::util::port(hp.rsplit_once(':')?.1)
    });
    f.category = s(&v, "type");
    f.first_seen = s(&v, "timestamp");
    f.last_seen = f.first_seen.clone();
    let matcher = s(&v, "matcher-name").or_else(|| s(&v, "matcher_name")).unwrap_or_default();
    let extracted = strings(v.get("extracted-results"));
    f.locator = match (matched.as_deref(), matcher.is_empty()) {
        (Some(m), _) if f.url.is_none() => format!("{m} {matcher}"),
        _ => matcher.clone(),
    };
    let mut ev = Vec::new();
    if let Some(m) = &matched {
        ev.push(format!("Matched at: {m}"));
    }
    if !matcher.is_empty() {
        ev.push(format!("Matcher: {matcher}"));
    }
    if !extracted.is_empty() {
        ev.push(format!("Extracted: {}", extracted.join(", ")));
    }
    if let Some(c) = at(&v, &["curl-command"]).and_then(Value::as_str) {
        ev.push(format!("curl: {c}"));
    }
    f.evidence = ev.join("\n");
    ctx.emit(f)
}

fn host_of(s: &str) -> Option<String> {
    let rest = s.split_once("://").map(|(_, r)| r).unwrap_or(s);
    let hp = rest.split(['/', '?']).next().unwrap_or("");
    let h = match hp.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => hp,
    };
    opt(h)
}
