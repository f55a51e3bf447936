//! Nessus `NessusClientData_v2` XML (`.nessus`), Nessus WAS included.
//!
//! One finding per `ReportItem`: a plugin on one host and port. `HostProperties` come
//! before the items of their host, so the host's IP and scan times are known when an
//! item closes.

use std::io::BufRead;

use crate::guard::Guarded;
use crate::util::{add_cves, add_cwes_in_text, cwe, opt, port, push_unique, score};
use crate::xml::{self, Attrs, Sax};
use crate::{Ctx, Finding, Severity, Step, Tool};

pub(crate) fn parse_xml<R: BufRead>(input: &mut Guarded<R>, ctx: &mut Ctx<'_>) -> Step {
    let mut h = Nessus::default();
    xml::run(input, ctx, "Nessus v2", &["NessusClientData_v2"], &mut h)
}

#[derive(Default)]
struct Host {
    name: String,
    ip: Option<String>,
    fqdn: Option<String>,
    start: Option<String>,
    end: Option<String>,
    web_app: bool,
}

#[derive(Default)]
struct Nessus {
    host: Host,
    item: Option<Finding>,
    tag: Option<String>,
    risk_factor: Option<String>,
    synopsis: String,
    see_also: String,
}

impl Sax for Nessus {
    fn start(&mut self, _ctx: &mut Ctx<'_>, parents: &[String], name: &str, a: &Attrs) -> Step {
        match name {
            "ReportHost" => {
                self.host = Host {
                    name: a.get("name").unwrap_or("").trim().to_string(),
                    ..Host::default()
                };
            }
            "tag" if parents.last().is_some_and(|p| p == "HostProperties") => {
                self.tag = a.opt("name");
            }
            "ReportItem" => {
                let mut f = Finding::new(
                    Tool::NessusXml,
                    a.get("pluginID").unwrap_or("").trim(),
                    a.get("pluginName").unwrap_or("").trim(),
                );
                f.scanner = "Nessus".into();
                let sev = a.get("severity").unwrap_or("").trim();
                f.scanner_severity = sev.to_string();
                f.severity = match sev {
                    "4" => Severity::Critical,
                    "3" => Severity::High,
                    "2" => Severity::Medium,
                    "1" => Severity::Low,
                    _ => Severity::Info,
                };
                f.port = a.get("port").and_then(port);
                f.protocol = a.opt("protocol").map(|p| p.to_ascii_lowercase());
                f.category = a.opt("pluginFamily");
                f.locator = a.get("svc_name").unwrap_or("").trim().to_string();
                self.risk_factor = None;
                self.synopsis.clear();
                self.see_also.clear();
                self.item = Some(f);
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, ctx: &mut Ctx<'_>, _parents: &[String], name: &str, text: String) -> Step {
        if name == "tag" {
            if let Some(tag) = self.tag.take() {
                let v = opt(&text);
                match tag.as_str() {
                    "host-ip" => self.host.ip = v,
                    "host-fqdn" => self.host.fqdn = v,
                    "HOST_START" | "HOST_START_TIMESTAMP" if self.host.start.is_none() => {
                        self.host.start = v
                    }
                    "HOST_END" | "HOST_END_TIMESTAMP" if self.host.end.is_none() => {
                        self.host.end = v
                    }
                    "system-type" => self.host.web_app = text.trim() == "web_application",
                    _ => {}
                }
            }
            return Ok(());
        }
        if name == "ReportItem" {
            return match self.item.take() {
                Some(f) => {
                    let f = self.finish(f);
                    ctx.emit(f)
                }
                None => Ok(()),
            };
        }
        let Some(f) = self.item.as_mut() else {
            return Ok(());
        };
        let t = text.trim();
        match name {
            "description" => f.description = t.to_string(),
            "solution" if !t.eq_ignore_ascii_case("n/a") => f.solution = t.to_string(),
            "synopsis" => self.synopsis = t.to_string(),
            "plugin_output" => f.evidence = t.to_string(),
            "see_also" => self.see_also = t.to_string(),
            "cve" => add_cves(&mut f.cves, t),
            "cwe" => {
                if let Some(n) = cwe(t) {
                    push_unique(&mut f.cwes, n);
                }
            }
            "xref" if t.to_ascii_uppercase().starts_with("CWE") => add_cwes_in_text(
                &mut f.cwes,
                &t.replace(':', "-"),
            ),
            "cvss3_vector" => f.cvss3_vector = opt(t),
            "cvss3_base_score" => f.cvss3_score = score(t),
            "cvss4_vector" => f.cvss4_vector = opt(t),
            "cvss4_base_score" => f.cvss4_score = score(t),
            "risk_factor" => self.risk_factor = opt(t),
            "plugin_name" if f.title.is_empty() => f.title = t.to_string(),
            "cpe" if f.component.is_none() => f.component = opt(t),
            _ => {}
        }
        Ok(())
    }
}

impl Nessus {
    fn finish(&self, mut f: Finding) -> Finding {
        let h = &self.host;
        f.host = h.fqdn.clone().or_else(|| opt(&h.name));
        f.ip = h.ip.clone().or_else(|| looks_like_ip(&h.name).then(|| h.name.clone()));
        f.first_seen = h.start.clone();
        f.last_seen = h.end.clone().or_else(|| h.start.clone());
        if let Some(rf) = &self.risk_factor {
            f.scanner_severity = format!("{} ({rf})", f.scanner_severity);
        }
        if f.description.is_empty() {
            f.description = self.synopsis.clone();
        } else if !self.synopsis.is_empty() && !f.description.starts_with(&self.synopsis) {
            f.description = format!("{}\n\n{}", self.synopsis, f.description);
        }
        if !self.see_also.is_empty() {
            if !f.solution.is_empty() {
                f.solution.push_str("\n\n");
            }
            f.solution.push_str(&self.see_also);
        }
        if h.web_app || h.name.starts_with("http://") || h.name.starts_with("https://") {
            // Nessus WAS: the host is the site; the page is in the plugin output.
            f.url = url_in_output(&f.evidence).or_else(|| opt(&h.name));
        }
        f
    }
}

fn looks_like_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// WAS writes "… on URL 'http://…' …" in its plugin output.
fn url_in_output(out: &str) -> Option<String> {
    let i = out.find("URL '")?;
    let rest = out.get(i + 5..)?;
    let end = rest.find('\'')?;
    opt(rest.get(..end)?)
}
