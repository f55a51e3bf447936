//! The normalised finding and its fingerprint.

use sha2::{Digest, Sha256};

use crate::Tool;

/// Our severity scale. The scanner's own word is kept in [`Finding::scanner_severity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// CVSS v3/v4 qualitative bands (0 is Info).
    pub fn from_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Info
        }
    }

    /// A scanner's word for a severity, in any case; `None` when it is not one.
    pub fn from_word(word: &str) -> Option<Severity> {
        let w = word.trim().to_ascii_lowercase();
        Some(match w.as_str() {
            "critical" | "crit" | "4" | "urgent" => Severity::Critical,
            "high" | "error" | "3" | "serious" => Severity::High,
            "medium" | "moderate" | "warning" | "2" | "med" => Severity::Medium,
            "low" | "note" | "1" | "minor" => Severity::Low,
            "info" | "information" | "informational" | "none" | "log" | "debug" | "0"
            | "unknown" | "false positive" => Severity::Info,
            _ => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One finding, normalised. Text fields are empty rather than absent.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finding {
    pub tool: Tool,
    /// The scanner that produced it (SARIF's driver name; otherwise the tool).
    pub scanner: String,
    /// The scanner's rule, plugin, template, NVT or check id.
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    /// The scanner's own severity word or number, unchanged.
    pub scanner_severity: String,
    pub cvss3_vector: Option<String>,
    pub cvss3_score: Option<f64>,
    pub cvss4_vector: Option<String>,
    pub cvss4_score: Option<f64>,
    /// `CVE-YYYY-N…`, upper case, deduplicated, in file order.
    pub cves: Vec<String>,
    /// CWE numbers, deduplicated.
    pub cwes: Vec<u32>,
    /// Host name (or the scanner's host label: a URL for web scanners, a Kubernetes
    /// resource for Trivy k8s).
    pub host: Option<String>,
    pub ip: Option<String>,
    pub port: Option<u16>,
    /// `tcp`, `udp`, … as the scanner wrote it, lower case.
    pub protocol: Option<String>,
    pub url: Option<String>,
    /// File path (SAST, secrets) or scan target (Trivy).
    pub path: Option<String>,
    pub line: Option<u32>,
    /// Package or component name, with its installed version apart.
    pub component: Option<String>,
    pub version: Option<String>,
    /// The version that fixes it, when the scanner says.
    pub fixed_version: Option<String>,
    pub description: String,
    pub solution: String,
    /// What the scanner saw: plugin output, matched text, request parameter.
    pub evidence: String,
    /// As the scanner wrote them (RFC 3339 or the scanner's own format).
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Vulnerability, misconfiguration, secret, … when the format says.
    pub category: Option<String>,
    /// Suppressed or accepted in the scanner itself (SARIF suppressions).
    pub suppressed: bool,
    /// The scanner's own stable identities (SARIF fingerprints), `name=value`, sorted.
    pub scanner_fingerprints: Vec<String>,
    /// What tells two findings of one rule at one place apart (a request parameter,
    /// a Nuclei matcher, a SARIF line, a Trivy vulnerability id); part of the
    /// fingerprint.
    pub locator: String,
}

impl Finding {
    pub fn new(tool: Tool, rule_id: impl Into<String>, title: impl Into<String>) -> Self {
        Finding {
            tool,
            scanner: String::new(),
            rule_id: rule_id.into(),
            title: title.into(),
            severity: Severity::Info,
            scanner_severity: String::new(),
            cvss3_vector: None,
            cvss3_score: None,
            cvss4_vector: None,
            cvss4_score: None,
            cves: Vec::new(),
            cwes: Vec::new(),
            host: None,
            ip: None,
            port: None,
            protocol: None,
            url: None,
            path: None,
            line: None,
            component: None,
            version: None,
            fixed_version: None,
            description: String::new(),
            solution: String::new(),
            evidence: String::new(),
            first_seen: None,
            last_seen: None,
            category: None,
            suppressed: false,
            scanner_fingerprints: Vec::new(),
            locator: String::new(),
        }
    }

    /// The fields that say *which* finding this is, per scanner family
    /// (docs/import.md, "Fingerprints"). Severity, text and dates are left out, so
    /// a rescan that re-rates or re-words a finding still matches it.
    pub fn identity(&self) -> Vec<String> {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let port = self.port.map(|p| p.to_string()).unwrap_or_default();
        let host = self
            .ip
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| self.host.clone())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mut id = vec![self.tool.family().to_string(), self.rule_id.clone()];
        match self.tool {
            Tool::NessusXml | Tool::NessusCsv | Tool::OpenVasXml | Tool::OpenVasCsv => {
                id.extend([host, o(&self.protocol), port, o(&self.url)]);
            }
            Tool::Nuclei => {
                id.extend([o(&self.url), o(&self.host), self.locator.clone()]);
            }
            Tool::Sarif => {
                // CodeQL's line hashes repeat across files: the path always counts.
                id.extend([self.scanner.clone(), o(&self.path)]);
                if self.scanner_fingerprints.is_empty() {
                    id.push(self.locator.clone());
                } else {
                    id.extend(self.scanner_fingerprints.iter().cloned());
                }
            }
            Tool::Trivy => {
                id.extend([o(&self.host), o(&self.path), o(&self.category)]);
                id.extend([o(&self.component), o(&self.version), self.locator.clone()]);
            }
            Tool::ZapXml | Tool::BurpXml | Tool::BurpDastardly => {
                id.extend([o(&self.host), o(&self.url), self.locator.clone()]);
            }
            Tool::GenericCsv => {
                id.extend([host, o(&self.url), o(&self.path), o(&self.component)]);
                id.extend([o(&self.version), port, self.locator.clone()]);
                if self.rule_id.is_empty() {
                    id.push(self.title.clone());
                }
            }
        }
        id
    }

    /// `sha256` (hex) of [`Finding::identity`], fields joined by 0x1f.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for (i, part) in self.identity().iter().enumerate() {
            if i > 0 {
                h.update([0x1f]);
            }
            h.update(part.as_bytes());
        }
        let mut out = String::with_capacity(64);
        for b in h.finalize() {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        out
    }

    /// Cuts every free-text field to `max` bytes; returns how many were cut.
    pub(crate) fn bound_fields(&mut self, max: usize) -> u64 {
        let mut n = 0;
        for s in [
            &mut self.title,
            &mut self.description,
            &mut self.solution,
            &mut self.evidence,
            &mut self.locator,
        ] {
            if crate::util::cut(s, max) {
                n += 1;
            }
        }
        n
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";
