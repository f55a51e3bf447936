//! SARIF 2.1.0: every run, every result.
//!
//! Runs are streamed result by result. A run's rules (`tool`) normally come before
//! its `results`; when they come after, the run's results are held until the run
//! closes. One finding per result at its first location; suppressions and the
//! scanner's fingerprints are kept.

use std::collections::HashMap;
use std::io::BufRead;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::guard::Guarded;
use crate::json::{self, Each, Keys, MapOf, Slot, at, f64_of, s, stop, strings};
use crate::util::{add_cves, add_cwes_in_text, opt, push_unique};
use crate::{Ctx, Finding, Severity, Step, Tool};

const E: &str = "SARIF";

pub(crate) fn parse<R: BufRead>(input: &mut Guarded<R>, ctx: &mut Ctx<'_>) -> Step {
    let mut slot = None;
    let mut top = Top {
        ctx,
        slot: &mut slot,
        runs: 0,
        version: None,
    };
    let res = json::drive(input, MapOf(&mut top, "a SARIF log"));
    let (runs, version) = (top.runs, top.version.take());
    json::outcome(res, slot, E)?;
    if let Some(v) = version
        && v != "2.1.0"
    {
        ctx.note(format!("SARIF version {v}; read as 2.1.0"));
    }
    if runs == 0 {
        ctx.note("the SARIF log has no runs");
    }
    Ok(())
}

struct Top<'c, 's> {
    ctx: &'c mut Ctx<'s>,
    slot: &'c mut Slot,
    runs: u64,
    version: Option<String>,
}

impl<'de> Keys<'de> for Top<'_, '_> {
    fn key<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "version" => {
                self.version = map.next_value::<Value>()?.as_str().map(str::to_string);
                Ok(true)
            }
            "runs" => {
                map.next_value_seed(Runs(self))?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

struct Runs<'a, 'c, 's>(&'a mut Top<'c, 's>);

impl<'de> DeserializeSeed<'de> for Runs<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Runs<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of runs")
    }
    fn visit_unit<Er: de::Error>(self) -> Result<(), Er> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            let mut run = Run {
                ctx: &mut *self.0.ctx,
                slot: &mut *self.0.slot,
                tool: None,
                held: Vec::new(),
            };
            if seq.next_element_seed(MapOf(&mut run, "a SARIF run"))?.is_none() {
                return Ok(());
            }
            self.0.runs += 1;
        }
    }
}

#[derive(Default)]
struct Rule {
    name: String,
    short: String,
    full: String,
    help: String,
    level: Option<String>,
    security_severity: Option<f64>,
    tags: Vec<String>,
}

struct ToolInfo {
    name: String,
    rules: HashMap<String, Rule>,
    /// Rules by index in the driver's `rules`, for results that give only an index.
    order: Vec<String>,
}

struct Run<'c, 's> {
    ctx: &'c mut Ctx<'s>,
    slot: &'c mut Slot,
    tool: Option<ToolInfo>,
    held: Vec<Value>,
}

impl<'de> Keys<'de> for Run<'_, '_> {
    fn key<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "tool" => {
                let v: Value = map.next_value()?;
                self.tool = Some(tool_info(&v));
                Ok(true)
            }
            "results" => {
                let mut inner_slot = None;
                {
                    let tool = &self.tool;
                    let ctx = &mut *self.ctx;
                    let held = &mut self.held;
                    let mut f = |v: Value| match tool {
                        Some(t) => result(ctx, t, &v),
                        None => {
                            held.push(v);
                            Ok(())
                        }
                    };
                    map.next_value_seed(Each {
                        f: &mut f,
                        slot: &mut inner_slot,
                    })?;
                }
                if let Some(flow) = inner_slot {
                    return Err(stop(self.slot, flow));
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn done<Er: de::Error>(&mut self) -> Result<(), Er> {
        let tool = self.tool.take().unwrap_or(ToolInfo {
            name: String::new(),
            rules: HashMap::new(),
            order: Vec::new(),
        });
        for v in std::mem::take(&mut self.held) {
            if let Err(flow) = result(self.ctx, &tool, &v) {
                return Err(stop(self.slot, flow));
            }
        }
        Ok(())
    }
}

fn msg(v: Option<&Value>) -> String {
    v.and_then(|m| s(m, "text").or_else(|| s(m, "markdown")))
        .unwrap_or_default()
}

fn tool_info(v: &Value) -> ToolInfo {
    let driver = v.get("driver").cloned().unwrap_or(Value::Null);
    let name = s(&driver, "name").unwrap_or_else(|| "SARIF".into());
    let mut rules = HashMap::new();
    let mut order = Vec::new();
    let mut add = |list: Option<&Value>, order: Option<&mut Vec<String>>| {
        let mut ids = Vec::new();
        for r in list.and_then(Value::as_array).into_iter().flatten() {
            let Some(id) = s(r, "id") else { continue };
            let props = r.get("properties");
            let mut tags = strings(props.and_then(|p| p.get("tags")));
            if let Some(c) = props.and_then(|p| p.get("cwe")) {
                tags.extend(strings(Some(c)));
            }
            let rule = Rule {
                name: s(r, "name").unwrap_or_default(),
                short: msg(r.get("shortDescription")),
                full: msg(r.get("fullDescription")),
                help: msg(r.get("help")),
                level: at(r, &["defaultConfiguration", "level"])
                    .and_then(Value::as_str)
                    .map(str::to_string),
                security_severity: f64_of(props.and_then(|p| p.get("security-severity"))),
                tags,
            };
            ids.push(id.clone());
            rules.entry(id).or_insert(rule);
        }
        if let Some(o) = order {
            *o = ids;
        }
    };
    add(driver.get("rules"), Some(&mut order));
    for ext in v.get("extensions").and_then(Value::as_array).into_iter().flatten() {
        add(ext.get("rules"), None);
    }
    ToolInfo { name, rules, order }
}

fn result(ctx: &mut Ctx<'_>, tool: &ToolInfo, r: &Value) -> Step {
    let rule_id = s(r, "ruleId")
        .or_else(|| at(r, &["rule", "id"]).and_then(Value::as_str).map(str::to_string))
        .or_else(|| {
            let i = r.get("ruleIndex")?.as_u64()?;
            tool.order.get(usize::try_from(i).ok()?).cloned()
        })
        .unwrap_or_default();
    // SARIF's kind: "pass" and "notApplicable" say the rule found nothing.
    if let Some(k) = s(r, "kind")
        && (k == "pass" || k == "notApplicable")
    {
        ctx.skip("SARIF result of kind pass or notApplicable");
        return Ok(());
    }
    let rule = tool.rules.get(&rule_id);
    let message = msg(r.get("message"));
    if rule_id.is_empty() && message.is_empty() {
        ctx.skip("result without a rule id or message");
        return Ok(());
    }
    let title = rule
        .map(|x| if x.short.is_empty() { x.name.clone() } else { x.short.clone() })
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| first_line(&message, &rule_id));
    let mut f = Finding::new(Tool::Sarif, rule_id.clone(), title);
    f.scanner = tool.name.clone();
    let level = s(r, "level")
        .or_else(|| rule.and_then(|x| x.level.clone()))
        .unwrap_or_else(|| "warning".into());
    let sec = f64_of(at(r, &["properties", "security-severity"]))
        .or_else(|| rule.and_then(|x| x.security_severity));
    f.severity = match sec {
        Some(score) => Severity::from_score(score),
        None => match level.as_str() {
            "error" => Severity::High,
            "warning" => Severity::Medium,
            "note" => Severity::Low,
            _ => Severity::Info,
        },
    };
    f.scanner_severity = match sec {
        Some(score) => format!("{level} (security-severity {score})"),
        None => level,
    };
    f.description = match rule {
        Some(x) if !x.full.is_empty() => format!("{message}\n\n{}", x.full),
        _ => message.clone(),
    }
    .trim()
    .to_string();
    f.solution = rule.map(|x| x.help.clone()).unwrap_or_default();
    add_cves(&mut f.cves, &rule_id);
    if let Some(x) = rule {
        for t in &x.tags {
            add_cves(&mut f.cves, t);
            // "external/cwe/cwe-079", "CWE-79", "cwe:79"
            add_cwes_in_text(&mut f.cwes, &t.replace([':', '/'], "-"));
        }
    }
    for t in strings(at(r, &["properties", "tags"])) {
        add_cwes_in_text(&mut f.cwes, &t.replace([':', '/'], "-"));
    }
    if let Some(loc) = at(r, &["locations"]).and_then(Value::as_array).and_then(|a| a.first()) {
        let phys = loc.get("physicalLocation");
        f.path = phys
            .and_then(|p| at(p, &["artifactLocation", "uri"]))
            .and_then(Value::as_str)
            .and_then(opt);
        let region = phys.and_then(|p| p.get("region"));
        f.line = region
            .and_then(|g| g.get("startLine"))
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        f.evidence = region
            .and_then(|g| at(g, &["snippet", "text"]))
            .and_then(Value::as_str)
            .map(|t| t.trim().to_string())
            .unwrap_or_default();
        if f.path.is_none() {
            // Logical locations only (e.g. a package for dependency scanners).
            f.component = at(loc, &["logicalLocations"])
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|l| s(l, "fullyQualifiedName").or_else(|| s(l, "name")));
        }
    }
    let n_locs = r.get("locations").and_then(Value::as_array).map_or(0, Vec::len);
    if n_locs > 1 {
        ctx.note("results with several locations are one finding each, at the first location");
    }
    for key in ["fingerprints", "partialFingerprints"] {
        if let Some(Value::Object(m)) = r.get(key) {
            for (k, v) in m {
                if let Some(t) = v.as_str() {
                    f.scanner_fingerprints.push(format!("{k}={t}"));
                }
            }
        }
    }
    f.scanner_fingerprints.sort();
    // Without the scanner's fingerprint, the place and the message tell results apart.
    f.locator = format!(
        "{}:{}",
        f.line.map(|l| l.to_string()).unwrap_or_default(),
        if f.evidence.is_empty() { &message } else { &f.evidence }
    );
    if let Some(list) = r.get("suppressions").and_then(Value::as_array) {
        // A suppression counts unless its status says it was rejected or is pending.
        f.suppressed = list.iter().any(|x| {
            !matches!(
                x.get("status").and_then(Value::as_str),
                Some("rejected") | Some("underReview")
            )
        });
    }
    if let Some(k) = s(r, "kind") {
        f.category = Some(k);
    }
    for id in strings(at(r, &["properties", "cve"])) {
        add_cves(&mut f.cves, &id);
    }
    let mut cw = Vec::new();
    std::mem::swap(&mut cw, &mut f.cwes);
    for w in cw {
        push_unique(&mut f.cwes, w);
    }
    ctx.emit(f)
}

fn first_line(message: &str, fallback: &str) -> String {
    let l = message.lines().next().unwrap_or("").trim();
    if l.is_empty() {
        fallback.to_string()
    } else {
        let mut t = l.to_string();
        crate::util::cut(&mut t, 200);
        t
    }
}
