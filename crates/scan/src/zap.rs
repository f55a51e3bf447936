//! OWASP ZAP XML (`OWASPZAPReport`), versions 2.9 to 2.16.
//!
//! One finding per alert *instance* (a URL, method and parameter); an alert without
//! instances is one finding at its site.

use std::io::BufRead;

use crate::guard::Guarded;
use crate::util::{cwe, opt, port, push_unique, strip_html};
use crate::xml::{self, Attrs, Sax};
use crate::{Ctx, Finding, Severity, Step, Tool};

pub(crate) fn parse_xml<R: BufRead>(input: &mut Guarded<R>, ctx: &mut Ctx<'_>) -> Step {
    let mut h = Zap::default();
    xml::run(input, ctx, "ZAP XML", &["OWASPZAPReport"], &mut h)
}

#[derive(Default, Clone)]
struct Instance {
    uri: String,
    method: String,
    param: String,
    attack: String,
    evidence: String,
    otherinfo: String,
}

#[derive(Default)]
struct Zap {
    site: String,
    site_host: Option<String>,
    site_port: Option<u16>,
    alert: Option<Finding>,
    otherinfo: String,
    reference: String,
    instances: Vec<Instance>,
    cur: Option<Instance>,
}

/// The alert's description and solution follow its instances, so instances are held
/// until the alert closes: at most this many, each field at most `INSTANCE_FIELD`
/// bytes (about 40 MB in the worst case).
const MAX_INSTANCES: usize = 2_000;
const INSTANCE_FIELD: usize = 4 * 1024;

impl Sax for Zap {
    fn start(&mut self, _ctx: &mut Ctx<'_>, _parents: &[String], name: &str, a: &Attrs) -> Step {
        match name {
            "site" => {
                self.site = a.get("name").unwrap_or("").trim().to_string();
                self.site_host = a.opt("host");
                self.site_port = a.get("port").and_then(port);
            }
            "alertitem" => {
                let mut f = Finding::new(Tool::ZapXml, "", "");
                f.scanner = "ZAP".into();
                self.alert = Some(f);
                self.instances.clear();
                self.otherinfo.clear();
                self.reference.clear();
            }
            "instance" if self.alert.is_some() => self.cur = Some(Instance::default()),
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, ctx: &mut Ctx<'_>, _parents: &[String], name: &str, text: String) -> Step {
        if name == "alertitem" {
            return self.emit_alert(ctx);
        }
        let t = text.trim();
        if let Some(i) = self.cur.as_mut() {
            let mut t = t.to_string();
            if crate::util::cut(&mut t, INSTANCE_FIELD) {
                ctx.cut_fields += 1;
            }
            let t = t.as_str();
            match name {
                "uri" => i.uri = t.to_string(),
                "method" => i.method = t.to_string(),
                "param" => i.param = t.to_string(),
                "attack" => i.attack = t.to_string(),
                "evidence" => i.evidence = t.to_string(),
                "otherinfo" => i.otherinfo = t.to_string(),
                "instance" => {
                    if let Some(done) = self.cur.take() {
                        if self.instances.len() < MAX_INSTANCES {
                            self.instances.push(done);
                        } else {
                            ctx.skip("ZAP instance beyond 2,000 in one alert");
                        }
                    }
                }
                _ => {}
            }
            return Ok(());
        }
        let Some(f) = self.alert.as_mut() else {
            return Ok(());
        };
        match name {
            "pluginid" => f.rule_id = t.to_string(),
            "alertRef" if f.rule_id.is_empty() => f.rule_id = t.to_string(),
            "alert" => f.title = t.to_string(),
            "name" if f.title.is_empty() => f.title = t.to_string(),
            "riskcode" => {
                f.severity = match t {
                    "3" => Severity::High,
                    "2" => Severity::Medium,
                    "1" => Severity::Low,
                    _ => Severity::Info,
                };
                if f.scanner_severity.is_empty() {
                    f.scanner_severity = t.to_string();
                }
            }
            "riskdesc" => f.scanner_severity = t.to_string(),
            "desc" => f.description = strip_html(t),
            "solution" => f.solution = strip_html(t),
            "otherinfo" => self.otherinfo = strip_html(t),
            "reference" => self.reference = strip_html(t),
            "cweid" => {
                if let Some(n) = cwe(t) {
                    push_unique(&mut f.cwes, n);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl Zap {
    fn emit_alert(&mut self, ctx: &mut Ctx<'_>) -> Step {
        let Some(mut base) = self.alert.take() else {
            return Ok(());
        };
        if !self.reference.is_empty() {
            if !base.solution.is_empty() {
                base.solution.push_str("\n\n");
            }
            base.solution.push_str(&self.reference);
        }
        base.host = self.site_host.clone().or_else(|| opt(&self.site));
        base.port = self.site_port;
        let mut instances = std::mem::take(&mut self.instances);
        if instances.is_empty() {
            instances.push(Instance {
                uri: self.site.clone(),
                ..Instance::default()
            });
        }
        for i in instances {
            let mut f = base.clone();
            f.url = opt(&i.uri).or_else(|| opt(&self.site));
            f.locator = format!("{} {}", i.method.to_ascii_uppercase(), i.param);
            let other = if i.otherinfo.is_empty() {
                self.otherinfo.clone()
            } else {
                strip_html(&i.otherinfo)
            };
            let mut ev = Vec::new();
            for (label, v) in [
                ("Method", i.method.as_str()),
                ("Parameter", i.param.as_str()),
                ("Attack", i.attack.as_str()),
                ("Evidence", i.evidence.as_str()),
                ("Other info", other.as_str()),
            ] {
                if !v.is_empty() {
                    ev.push(format!("{label}: {v}"));
                }
            }
            f.evidence = ev.join("\n");
            ctx.emit(f)?;
        }
        Ok(())
    }
}
