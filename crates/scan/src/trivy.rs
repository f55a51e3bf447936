//! Aqua Trivy JSON: the legacy list (before SchemaVersion 2), SchemaVersion 2, and
//! Kubernetes reports (`ClusterName` with `Vulnerabilities` / `Misconfigurations` /
//! `Resources`, each a list of resources with their `Results`).
//!
//! Streamed result by result (one scan target: an image layer set, a file, a
//! resource); one target's findings are parsed together. One finding per
//! vulnerability (package × vulnerability id), failed misconfiguration check, or
//! secret. Misconfiguration checks that passed are counted as skipped.

use std::io::BufRead;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::guard::Guarded;
use crate::json::{self, Each, Keys, Slot, f64_of, s, stop, strings, text};
use crate::util::{add_cves, cwe, opt, push_unique};
use crate::{Ctx, Finding, Severity, Step, Tool};

const E: &str = "Trivy JSON";

pub(crate) fn parse<R: BufRead>(input: &mut Guarded<R>, ctx: &mut Ctx<'_>) -> Step {
    let mut slot = None;
    let mut top = Top {
        ctx,
        slot: &mut slot,
        artifact: None,
    };
    let res = json::drive(input, TopSeed(&mut top));
    json::outcome(res, slot, E)
}

struct Top<'c, 's> {
    ctx: &'c mut Ctx<'s>,
    slot: &'c mut Slot,
    artifact: Option<String>,
}

struct TopSeed<'a, 'c, 's>(&'a mut Top<'c, 's>);

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a Trivy report")
    }
    /// `null`: the legacy format's empty report.
    fn visit_unit<Er: de::Error>(self) -> Result<(), Er> {
        Ok(())
    }
    /// The legacy format: a list of results.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            if let Err(flow) = target(self.0.ctx, &v, None, None) {
                return Err(stop(self.0.slot, flow));
            }
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<String>()? {
            if !self.0.key(&k, &mut map)? {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> Keys<'de> for Top<'_, '_> {
    fn key<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "ArtifactName" => {
                self.artifact = map.next_value::<Value>()?.as_str().and_then(opt);
            }
            "SchemaVersion" => {
                let v: Value = map.next_value()?;
                if v.as_u64().is_some_and(|n| n != 2) {
                    self.ctx.note(format!("Trivy SchemaVersion {v}; read as 2"));
                }
            }
            "ClusterName" => {
                let v: Value = map.next_value()?;
                if let Some(c) = v.as_str().and_then(opt) {
                    self.ctx.note(format!("Kubernetes cluster {c}"));
                }
            }
            "Results" => {
                let mut inner = None;
                {
                    let ctx = &mut *self.ctx;
                    let artifact = self.artifact.clone();
                    let mut f = |v: Value| target(ctx, &v, artifact.as_deref(), None);
                    map.next_value_seed(Each {
                        f: &mut f,
                        slot: &mut inner,
                    })?;
                }
                if let Some(flow) = inner {
                    return Err(stop(self.slot, flow));
                }
            }
            // Kubernetes: lists of resources, each with its own results.
            "Vulnerabilities" | "Misconfigurations" | "Resources" => {
                let mut inner = None;
                {
                    let ctx = &mut *self.ctx;
                    let mut f = |v: Value| resource(ctx, &v);
                    map.next_value_seed(Each {
                        f: &mut f,
                        slot: &mut inner,
                    })?;
                }
                if let Some(flow) = inner {
                    return Err(stop(self.slot, flow));
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn resource(ctx: &mut Ctx<'_>, r: &Value) -> Step {
    let label = [s(r, "Namespace"), s(r, "Kind"), s(r, "Name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("/");
    let label = opt(&label);
    for t in r.get("Results").and_then(Value::as_array).into_iter().flatten() {
        target(ctx, t, None, label.as_deref())?;
    }
    Ok(())
}

fn severity(word: &str) -> Severity {
    Severity::from_word(word).unwrap_or(Severity::Info)
}

fn base(t: &Value, artifact: Option<&str>, resource: Option<&str>, rule: String, title: String) -> Finding {
    let mut f = Finding::new(Tool::Trivy, rule, title);
    f.scanner = "Trivy".into();
    f.path = s(t, "Target");
    f.host = resource.or(artifact).map(str::to_string);
    f
}

fn target(ctx: &mut Ctx<'_>, t: &Value, artifact: Option<&str>, resource: Option<&str>) -> Step {
    if !t.is_object() {
        ctx.skip("Trivy result that is not an object");
        return Ok(());
    }
    for v in t.get("Vulnerabilities").and_then(Value::as_array).into_iter().flatten() {
        let Some(id) = s(v, "VulnerabilityID") else {
            ctx.skip("vulnerability without an id");
            continue;
        };
        let title = s(v, "Title").unwrap_or_else(|| id.clone());
        let mut f = base(t, artifact, resource, id.clone(), title);
        f.category = Some("vulnerability".into());
        let sev = text(v, "Severity");
        f.severity = severity(&sev);
        f.scanner_severity = match s(v, "SeveritySource") {
            Some(src) => format!("{sev} ({src})"),
            None => sev,
        };
        add_cves(&mut f.cves, &id);
        for w in strings(v.get("CweIDs")) {
            if let Some(n) = cwe(&w) {
                push_unique(&mut f.cwes, n);
            }
        }
        f.component = s(v, "PkgName").or_else(|| s(v, "PkgID"));
        f.version = s(v, "InstalledVersion");
        f.fixed_version = s(v, "FixedVersion");
        f.description = text(v, "Description");
        let fix = match &f.fixed_version {
            Some(fv) => format!(
                "Upgrade {} to {fv}.",
                f.component.as_deref().unwrap_or("the package")
            ),
            None => String::new(),
        };
        let refs = strings(v.get("References"));
        let primary = text(v, "PrimaryURL");
        f.solution = [fix, primary, refs.join("\n")]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        cvss(&mut f, v);
        f.first_seen = s(v, "PublishedDate");
        f.last_seen = s(v, "LastModifiedDate");
        if let Some(st) = s(v, "Status") {
            f.evidence = format!("Status: {st}");
        }
        if let Some(p) = s(v, "PkgPath") {
            f.locator = p;
        }
        ctx.emit(f)?;
    }
    for m in t.get("Misconfigurations").and_then(Value::as_array).into_iter().flatten() {
        if s(m, "Status").is_some_and(|st| st.eq_ignore_ascii_case("PASS")) {
            ctx.skip("misconfiguration check passed");
            continue;
        }
        let id = s(m, "ID").or_else(|| s(m, "AVDID")).unwrap_or_default();
        let title = s(m, "Title").unwrap_or_else(|| id.clone());
        let mut f = base(t, artifact, resource, id, title);
        f.category = Some("misconfiguration".into());
        let sev = text(m, "Severity");
        f.severity = severity(&sev);
        f.scanner_severity = sev;
        f.description = text(m, "Description");
        f.solution = [text(m, "Resolution"), text(m, "PrimaryURL")]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        f.evidence = text(m, "Message");
        let cause = m.get("CauseMetadata");
        f.line = cause
            .and_then(|c| c.get("StartLine"))
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        f.component = cause.and_then(|c| s(c, "Resource"));
        f.locator = f.component.clone().unwrap_or_default();
        ctx.emit(f)?;
    }
    for x in t.get("Secrets").and_then(Value::as_array).into_iter().flatten() {
        let id = s(x, "RuleID").unwrap_or_default();
        let title = s(x, "Title").unwrap_or_else(|| id.clone());
        let mut f = base(t, artifact, resource, id, title);
        f.category = Some("secret".into());
        let sev = text(x, "Severity");
        f.severity = severity(&sev);
        f.scanner_severity = sev;
        f.line = x
            .get("StartLine")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        // Trivy masks the secret in `Match` already.
        f.evidence = text(x, "Match");
        f.description = format!("Secret ({}) found in {}", text(x, "Category"), text(t, "Target"));
        f.solution = "Remove the secret from the file and its history, and rotate it.".into();
        f.locator = f.line.map(|l| l.to_string()).unwrap_or_default();
        ctx.emit(f)?;
    }
    Ok(())
}

/// The vector and score of the severity's source, else NVD's, else any.
fn cvss(f: &mut Finding, v: &Value) {
    let Some(Value::Object(all)) = v.get("CVSS") else {
        return;
    };
    let src = s(v, "SeveritySource").unwrap_or_default();
    let mut order: Vec<&Value> = Vec::new();
    order.extend(all.get(&src));
    order.extend(all.get("nvd"));
    order.extend(all.values());
    for c in &order {
        if f.cvss3_vector.is_none()
            && let Some(vec) = s(c, "V3Vector")
        {
            f.cvss3_vector = Some(vec);
            f.cvss3_score = f64_of(c.get("V3Score"));
        }
        if f.cvss4_vector.is_none()
            && let Some(vec) = s(c, "V40Vector")
        {
            f.cvss4_vector = Some(vec);
            f.cvss4_score = f64_of(c.get("V40Score"));
        }
    }
}
