//! OpenVAS / Greenbone GVM XML reports.
//!
//! One finding per `<result>` directly under `<results>` (a `<detection><result>`
//! inside it only points at the product detection and is not a finding).

use std::io::BufRead;

use crate::guard::Guarded;
use crate::util::{add_cves, cvss_version, cwe, opt, push_unique, score};
use crate::xml::{self, Attrs, Sax};
use crate::{Ctx, Finding, Severity, Step, Tool};

pub(crate) fn parse_xml<R: BufRead>(input: &mut Guarded<R>, ctx: &mut Ctx<'_>) -> Step {
    let mut h = Gvm::default();
    xml::run(
        input,
        ctx,
        "OpenVAS/GVM XML",
        &["report", "get_reports_response"],
        &mut h,
    )?;
    Ok(())
}

#[derive(Default)]
struct Gvm {
    /// Depth of the open finding's `<result>`, to ignore nested results.
    result_depth: Option<usize>,
    f: Option<Finding>,
    threat: String,
    severity: Option<f64>,
    nvt_cvss: Option<f64>,
    sev_value: Option<String>,
    tags_solution: String,
    tags_summary: String,
    tags_insight: String,
    tags_impact: String,
}

impl Sax for Gvm {
    fn start(&mut self, _ctx: &mut Ctx<'_>, parents: &[String], name: &str, a: &Attrs) -> Step {
        if name == "result" && parents.last().is_some_and(|p| p == "results") {
            let mut f = Finding::new(Tool::OpenVasXml, "", "");
            f.scanner = "OpenVAS".into();
            *self = Gvm {
                result_depth: Some(parents.len()),
                f: Some(f),
                ..Gvm::default()
            };
            return Ok(());
        }
        let Some(f) = self.f.as_mut() else {
            return Ok(());
        };
        if name == "nvt" {
            f.rule_id = a.get("oid").unwrap_or("").trim().to_string();
        }
        if name == "ref" {
            let id = a.get("id").unwrap_or("");
            match a.get("type").unwrap_or("").to_ascii_lowercase().as_str() {
                "cve" => add_cves(&mut f.cves, id),
                "cwe" => {
                    if let Some(n) = cwe(id) {
                        push_unique(&mut f.cwes, n);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn end(&mut self, ctx: &mut Ctx<'_>, parents: &[String], name: &str, text: String) -> Step {
        let Some(depth) = self.result_depth else {
            return Ok(());
        };
        if name == "result" && parents.len() == depth {
            self.result_depth = None;
            return match self.f.take() {
                Some(f) => {
                    let f = self.finish(f);
                    ctx.emit(f)
                }
                None => Ok(()),
            };
        }
        // Inside <detection> lies another result: not ours.
        if parents.iter().skip(depth).any(|p| p == "detection") {
            return Ok(());
        }
        let Some(f) = self.f.as_mut() else {
            return Ok(());
        };
        let parent = parents.last().map(String::as_str).unwrap_or("");
        let t = text.trim();
        match (parent, name) {
            ("result", "host") => {
                if t.parse::<std::net::IpAddr>().is_ok() {
                    f.ip = opt(t);
                } else if f.host.is_none() {
                    f.host = opt(t);
                }
            }
            ("host", "hostname") => {
                if let Some(h) = opt(t) {
                    f.host = Some(h);
                }
            }
            ("result", "port") => {
                // "80/tcp", "general/tcp", "package"
                let (p, proto) = t.split_once('/').unwrap_or((t, ""));
                f.port = crate::util::port(p);
                f.protocol = opt(proto).map(|s| s.to_ascii_lowercase());
                f.locator = t.to_string();
            }
            ("result", "threat") => self.threat = t.to_string(),
            ("result", "severity") => self.severity = score(t),
            ("result", "description") => f.evidence = t.to_string(),
            ("result", "creation_time") => f.first_seen = opt(t),
            ("result", "modification_time") => f.last_seen = opt(t),
            ("result", "name") if f.title.is_empty() => f.title = t.to_string(),
            ("nvt", "name") => f.title = t.to_string(),
            ("nvt", "family") => f.category = opt(t),
            ("nvt", "cvss_base") => self.nvt_cvss = score(t),
            ("nvt", "solution") => f.solution = t.to_string(),
            ("nvt", "cve") | ("nvt", "cve_id") => add_cves(&mut f.cves, t),
            ("severity", "value") => self.sev_value = opt(t),
            ("nvt", "tags") => {
                for part in t.split('|') {
                    let (k, v) = part.split_once('=').unwrap_or((part, ""));
                    let v = collapse(v);
                    match k.trim() {
                        "summary" => self.tags_summary = v,
                        "insight" => self.tags_insight = v,
                        "impact" => self.tags_impact = v,
                        "solution" => self.tags_solution = v,
                        "cvss_base_vector" => self.sev_value = self.sev_value.take().or(opt(&v)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl Gvm {
    fn finish(&mut self, mut f: Finding) -> Finding {
        let sc = self.severity.or(self.nvt_cvss);
        f.scanner_severity = match (self.threat.is_empty(), sc) {
            (false, Some(s)) => format!("{} ({s:.1})", self.threat),
            (false, None) => self.threat.clone(),
            (true, Some(s)) => format!("{s:.1}"),
            (true, None) => String::new(),
        };
        f.severity = match sc {
            Some(s) => Severity::from_score(s),
            None => Severity::from_word(&self.threat).unwrap_or(Severity::Info),
        };
        if let Some(v) = self.sev_value.take() {
            match cvss_version(&v) {
                Some(3) => {
                    f.cvss3_vector = Some(v);
                    f.cvss3_score = sc;
                }
                Some(4) => {
                    f.cvss4_vector = Some(v);
                    f.cvss4_score = sc;
                }
                _ => {}
            }
        }
        let mut desc = std::mem::take(&mut self.tags_summary);
        for (label, part) in [
            ("Insight", &self.tags_insight),
            ("Impact", &self.tags_impact),
        ] {
            if !part.is_empty() {
                desc.push_str(&format!("\n\n{label}: {part}"));
            }
        }
        f.description = desc.trim().to_string();
        if f.solution.is_empty() {
            f.solution = std::mem::take(&mut self.tags_solution);
        }
        f
    }
}

/// GVM wraps tag text with indentation; keep paragraphs, drop the wrapping.
fn collapse(s: &str) -> String {
    s.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}
