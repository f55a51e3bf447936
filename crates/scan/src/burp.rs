//! Burp Suite issues XML export, and Burp Dastardly's JUnit XML.
//!
//! Burp: one finding per `<issue>` (an issue type at one host, path and location).
//! Request and response bodies (often base64, megabytes) are skipped, not kept.
//! Dastardly: one finding per `<failure>` of a `<testcase>`.

use std::io::BufRead;

use crate::guard::Guarded;
use crate::util::{add_cwes_in_text, opt, strip_html};
use crate::xml::{self, Attrs, Sax};
use crate::{Ctx, Finding, Severity, Step, Tool};

pub(crate) fn parse_xml<R: BufRead>(input: &mut Guarded<R>, ctx: &mut Ctx<'_>) -> Step {
    let mut h = Burp::default();
    xml::run(input, ctx, "Burp XML", &["issues"], &mut h)
}

pub(crate) fn parse_dastardly<R: BufRead>(input: &mut Guarded<R>, ctx: &mut Ctx<'_>) -> Step {
    let mut h = Dastardly::default();
    xml::run(
        input,
        ctx,
        "Burp Dastardly XML",
        &["testsuites", "testsuite"],
        &mut h,
    )
}

#[derive(Default)]
struct Burp {
    f: Option<Finding>,
    host: String,
    path: String,
    background: String,
    detail: String,
    remediation_bg: String,
    remediation: String,
    references: String,
    confidence: String,
}

fn burp_severity(s: &str) -> Severity {
    match s.trim().to_ascii_lowercase().as_str() {
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        _ => Severity::Info,
    }
}

impl Sax for Burp {
    fn start(&mut self, _ctx: &mut Ctx<'_>, parents: &[String], name: &str, a: &Attrs) -> Step {
        if name == "issue" && parents.len() == 1 {
            let mut f = Finding::new(Tool::BurpXml, "", "");
            f.scanner = "Burp Suite".into();
            *self = Burp {
                f: Some(f),
                ..Burp::default()
            };
        } else if name == "host"
            && let Some(f) = self.f.as_mut()
        {
            f.ip = a.opt("ip");
        }
        Ok(())
    }

    fn end(&mut self, ctx: &mut Ctx<'_>, parents: &[String], name: &str, text: String) -> Step {
        if name == "issue" && parents.len() == 1 {
            return match self.f.take() {
                Some(f) => {
                    let f = self.finish(f);
                    ctx.emit(f)
                }
                None => Ok(()),
            };
        }
        let Some(f) = self.f.as_mut() else {
            return Ok(());
        };
        if parents.len() != 2 {
            // Inside requestresponse, issueDetailItems, …: not a field of ours.
            if name == "issueDetailItem" && self.detail.len() < 4096 {
                self.detail.push('\n');
                self.detail.push_str(text.trim());
            }
            return Ok(());
        }
        let t = text.trim();
        match name {
            "type" => f.rule_id = t.to_string(),
            "name" => f.title = t.to_string(),
            "host" => self.host = t.to_string(),
            "path" => self.path = t.to_string(),
            "location" => f.locator = t.to_string(),
            "severity" => {
                f.severity = burp_severity(t);
                f.scanner_severity = t.to_string();
            }
            "confidence" => self.confidence = t.to_string(),
            "issueBackground" => self.background = strip_html(t),
            "issueDetail" => self.detail = strip_html(t),
            "remediationBackground" => self.remediation_bg = strip_html(t),
            "remediationDetail" => self.remediation = strip_html(t),
            "references" => self.references = strip_html(t),
            "vulnerabilityClassifications" => add_cwes_in_text(&mut f.cwes, t),
            _ => {}
        }
        Ok(())
    }
}

impl Burp {
    fn finish(&mut self, mut f: Finding) -> Finding {
        f.host = opt(&self.host);
        let url = format!("{}{}", self.host.trim_end_matches('/'), self.path);
        f.url = opt(&url);
        f.path = opt(&self.path);
        if !self.confidence.is_empty() {
            f.scanner_severity = format!("{} ({})", f.scanner_severity, self.confidence);
        }
        f.description = std::mem::take(&mut self.background);
        f.evidence = std::mem::take(&mut self.detail).trim().to_string();
        let mut sol = std::mem::take(&mut self.remediation);
        for part in [&self.remediation_bg, &self.references] {
            if !part.is_empty() {
                if !sol.is_empty() {
                    sol.push_str("\n\n");
                }
                sol.push_str(part);
            }
        }
        f.solution = sol;
        f
    }
}

#[derive(Default)]
struct Dastardly {
    suite: String,
    case: String,
    failure: Option<Finding>,
}

impl Sax for Dastardly {
    fn start(&mut self, _ctx: &mut Ctx<'_>, _parents: &[String], name: &str, a: &Attrs) -> Step {
        match name {
            "testsuite" => self.suite = a.get("name").unwrap_or("").trim().to_string(),
            "testcase" => self.case = a.get("name").unwrap_or("").trim().to_string(),
            "failure" => {
                let mut f = Finding::new(Tool::BurpDastardly, self.case.clone(), self.case.clone());
                f.scanner = "Burp Dastardly".into();
                let sev = a.get("type").unwrap_or("").trim();
                f.scanner_severity = sev.to_string();
                f.severity = burp_severity(sev);
                f.url = opt(&self.suite);
                f.host = host_of(&self.suite);
                f.description = a.get("message").unwrap_or("").trim().to_string();
                self.failure = Some(f);
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, ctx: &mut Ctx<'_>, _parents: &[String], name: &str, text: String) -> Step {
        if name == "failure"
            && let Some(mut f) = self.failure.take()
        {
            let body = text.trim();
            add_cwes_in_text(&mut f.cwes, body);
            // The body is "Severity: …\n\nHost: …\n\nPath: …\n\nIssue Detail\n…".
            if let Some(i) = body.find("Issue Detail") {
                f.evidence = body.get(i + 12..).unwrap_or("").trim().to_string();
            } else {
                f.evidence = body.to_string();
            }
            if let Some(i) = body.find("Issue Background") {
                f.description = body.get(i + 16..).unwrap_or("").trim().to_string();
            }
            return ctx.emit(f);
        }
        Ok(())
    }
}

fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    opt(rest.split(['/', '?']).next().unwrap_or(""))
}
