//! Khiên scanner importers (issue 10).
//!
//! Reads the reports of Nessus (v2 XML, CSV, WAS), OpenVAS/GVM (XML, CSV), Nuclei
//! (JSON lines, JSON array), SARIF 2.1, Trivy (legacy, SchemaVersion 2, Kubernetes),
//! ZAP XML, Burp XML (and Burp Dastardly's JUnit XML) and our documented generic CSV,
//! and hands each finding, normalised, to a sink as soon as it is read. Nothing here
//! knows the platform: no database, no clock, no files.
//!
//! * [`detect`] recognises the tool from the first bytes of a file, never its name.
//! * [`parse`] streams one report through [`Limits`]: a bounded reader (input size,
//!   longest XML token, longest line), a bounded element depth and field length, and
//!   a maximum number of findings. Hitting the findings limit stops the import and
//!   says so in the summary (`truncated`); every other limit is an error. Items that
//!   cannot become a finding are counted in [`ImportSummary::skipped`] with a reason,
//!   so a summary never claims more than was read.
//! * XML with a DTD that declares entities is refused (billion laughs, XXE); an entity
//!   other than the five predefined ones or a character reference is an error.
//! * [`Finding::fingerprint`] is a stable identity per scanner (docs/import.md) for
//!   new / unchanged / fixed / reopened across rescans.
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod burp;
mod csv;
mod detect;
mod finding;
mod guard;
pub mod kev;
mod json;
mod nessus;
mod nuclei;
mod openvas;
mod sarif;
mod trivy;
mod util;
mod xml;
mod zap;

use std::collections::BTreeMap;
use std::io::BufRead;

pub use detect::{HEAD_BYTES, detect};
pub use finding::{Finding, Severity};

/// The report formats we read. Each is recognised by content ([`detect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tool {
    /// `NessusClientData_v2` XML (`.nessus`), Nessus WAS included.
    NessusXml,
    /// Nessus / Tenable.io / Tenable.sc CSV exports.
    NessusCsv,
    /// OpenVAS / Greenbone GVM XML report.
    OpenVasXml,
    /// OpenVAS / GVM CSV results export.
    OpenVasCsv,
    /// ProjectDiscovery Nuclei JSON lines (v2) or JSON array (v3).
    Nuclei,
    /// SARIF 2.1.0 (any tool: CodeQL, Semgrep, gitleaks, …).
    Sarif,
    /// Aqua Trivy JSON: legacy list, SchemaVersion 2, Kubernetes reports.
    Trivy,
    /// OWASP ZAP XML report (`OWASPZAPReport`).
    ZapXml,
    /// Burp Suite issues XML export.
    BurpXml,
    /// Burp Dastardly JUnit XML.
    BurpDastardly,
    /// Our generic CSV (docs/import.md): `title` and `severity` columns at least.
    GenericCsv,
}

impl Tool {
    pub const ALL: [Tool; 11] = [
        Tool::NessusXml,
        Tool::NessusCsv,
        Tool::OpenVasXml,
        Tool::OpenVasCsv,
        Tool::Nuclei,
        Tool::Sarif,
        Tool::Trivy,
        Tool::ZapXml,
        Tool::BurpXml,
        Tool::BurpDastardly,
        Tool::GenericCsv,
    ];

    /// Stable code, for logs, the API and the fingerprint.
    pub fn code(self) -> &'static str {
        match self {
            Tool::NessusXml => "nessus_xml",
            Tool::NessusCsv => "nessus_csv",
            Tool::OpenVasXml => "openvas_xml",
            Tool::OpenVasCsv => "openvas_csv",
            Tool::Nuclei => "nuclei",
            Tool::Sarif => "sarif",
            Tool::Trivy => "trivy",
            Tool::ZapXml => "zap_xml",
            Tool::BurpXml => "burp_xml",
            Tool::BurpDastardly => "burp_dastardly",
            Tool::GenericCsv => "generic_csv",
        }
    }

    /// The scanner family: XML and CSV exports of one scanner share fingerprints, so a
    /// rescan exported the other way still matches.
    pub fn family(self) -> &'static str {
        match self {
            Tool::NessusXml | Tool::NessusCsv => "nessus",
            Tool::OpenVasXml | Tool::OpenVasCsv => "openvas",
            Tool::Nuclei => "nuclei",
            Tool::Sarif => "sarif",
            Tool::Trivy => "trivy",
            Tool::ZapXml => "zap",
            Tool::BurpXml => "burp",
            Tool::BurpDastardly => "burp_dastardly",
            Tool::GenericCsv => "generic",
        }
    }
}

/// Hard limits of one import. The defaults suit a province: a 100k-finding Nessus
/// file of a few hundred megabytes passes, a hostile file stops early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes read from the input, in all.
    pub max_input_bytes: u64,
    /// Longest XML token (tag or text run between `<` and `>`), and longest JSON or
    /// CSV line: the reader refuses to buffer more than this at once.
    pub max_token_bytes: usize,
    /// Open XML elements (or JSON nesting is serde_json's own 128).
    pub max_depth: usize,
    /// Bytes kept per text field of a finding; longer text is cut at a character
    /// boundary and counted in the notes.
    pub max_field_bytes: usize,
    /// Findings handed to the sink; the import stops there with `truncated`.
    pub max_findings: u64,
}

const MIB: u64 = 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 2048 * MIB,
            max_token_bytes: 32 * MIB as usize,
            max_depth: 64,
            max_field_bytes: 64 * 1024,
            max_findings: 1_000_000,
        }
    }
}

/// What one import read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub tool: Tool,
    /// Findings handed to the sink.
    pub findings: u64,
    /// Items read but not turned into findings, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Things a reader should know: fields cut, scanner metadata, versions.
    pub notes: Vec<String>,
    /// The findings limit was reached; the rest of the file was not read.
    pub truncated: bool,
}

/// The error a sink may return to stop an import.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Why an import failed. Each variant has a stable code ([`ImportError::code`]).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not a {expected} report: {detail}")]
    Malformed {
        expected: &'static str,
        detail: String,
    },
    #[error("the XML declares entities (DTD with <!ENTITY>): refused")]
    EntityDeclaration,
    #[error("unknown XML entity &{0};")]
    UnknownEntity(String),
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("one token or line is longer than {limit} bytes")]
    TokenTooLong { limit: usize },
    #[error("elements are nested deeper than {limit}")]
    TooDeep { limit: usize },
    #[error("the file is an archive ({0}); unpack it through the zip guard first")]
    Archive(&'static str),
    #[error("read error: {0}")]
    Io(std::io::Error),
    #[error("the sink refused a finding: {0}")]
    Sink(SinkError),
}

impl ImportError {
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::Malformed { .. } => "malformed",
            ImportError::EntityDeclaration => "xml_entity_declaration",
            ImportError::UnknownEntity(_) => "xml_unknown_entity",
            ImportError::TooLarge { .. } => "too_large",
            ImportError::TokenTooLong { .. } => "token_too_long",
            ImportError::TooDeep { .. } => "too_deep",
            ImportError::Archive(_) => "archive",
            ImportError::Io(_) => "io",
            ImportError::Sink(_) => "sink",
        }
    }

    fn malformed(expected: &'static str, detail: impl std::fmt::Display) -> Self {
        ImportError::Malformed {
            expected,
            detail: detail.to_string(),
        }
    }

    /// An I/O error from the guard reader becomes the limit it stands for.
    fn from_io(e: std::io::Error) -> Self {
        match guard::limit_of(&e) {
            Some(l) => l,
            None => ImportError::Io(e),
        }
    }
}

/// Reads one report of `tool` from `reader`, handing each finding to `sink`.
pub fn parse(
    tool: Tool,
    reader: impl BufRead,
    limits: &Limits,
    sink: &mut dyn FnMut(Finding) -> Result<(), SinkError>,
) -> Result<ImportSummary, ImportError> {
    let mut input = guard::Guarded::new(reader, *limits);
    if let Some(kind) = detect::archive_kind(input.peek_head()?) {
        return Err(ImportError::Archive(kind));
    }
    let mut ctx = Ctx::new(tool, limits, sink);
    let res = match tool {
        Tool::NessusXml => nessus::parse_xml(&mut input, &mut ctx),
        Tool::NessusCsv => csv::parse_nessus(&mut input, &mut ctx),
        Tool::OpenVasXml => openvas::parse_xml(&mut input, &mut ctx),
        Tool::OpenVasCsv => csv::parse_openvas(&mut input, &mut ctx),
        Tool::Nuclei => nuclei::parse(&mut input, &mut ctx),
        Tool::Sarif => sarif::parse(&mut input, &mut ctx),
        Tool::Trivy => trivy::parse(&mut input, &mut ctx),
        Tool::ZapXml => zap::parse_xml(&mut input, &mut ctx),
        Tool::BurpXml => burp::parse_xml(&mut input, &mut ctx),
        Tool::BurpDastardly => burp::parse_dastardly(&mut input, &mut ctx),
        Tool::GenericCsv => csv::parse_generic(&mut input, &mut ctx),
    };
    match res {
        Ok(()) => {}
        Err(Flow::Truncated) => ctx.summary.truncated = true,
        Err(Flow::Fail(e)) => return Err(e),
    }
    ctx.finish();
    Ok(ctx.summary)
}

/// How a reader stops early: a failure, or the findings limit.
#[derive(Debug)]
enum Flow {
    Fail(ImportError),
    Truncated,
}

impl From<ImportError> for Flow {
    fn from(e: ImportError) -> Self {
        Flow::Fail(e)
    }
}

type Step = Result<(), Flow>;

/// The state every reader shares: limits, counters, the sink.
struct Ctx<'s> {
    limits: Limits,
    summary: ImportSummary,
    cut_fields: u64,
    sink: &'s mut dyn FnMut(Finding) -> Result<(), SinkError>,
}

impl<'s> Ctx<'s> {
    fn new(
        tool: Tool,
        limits: &Limits,
        sink: &'s mut dyn FnMut(Finding) -> Result<(), SinkError>,
    ) -> Self {
        Ctx {
            limits: *limits,
            summary: ImportSummary {
                tool,
                findings: 0,
                skipped: BTreeMap::new(),
                notes: Vec::new(),
                truncated: false,
            },
            cut_fields: 0,
            sink,
        }
    }

    fn emit(&mut self, mut f: Finding) -> Step {
        if self.summary.findings >= self.limits.max_findings {
            return Err(Flow::Truncated);
        }
        self.cut_fields += f.bound_fields(self.limits.max_field_bytes);
        (self.sink)(f).map_err(|e| Flow::Fail(ImportError::Sink(e)))?;
        self.summary.findings += 1;
        Ok(())
    }

    fn skip(&mut self, reason: &str) {
        *self.summary.skipped.entry(reason.to_string()).or_insert(0) += 1;
    }

    fn note(&mut self, note: impl Into<String>) {
        let n = note.into();
        if self.summary.notes.len() < 50 && !self.summary.notes.contains(&n) {
            self.summary.notes.push(n);
        }
    }

    fn finish(&mut self) {
        if self.cut_fields > 0 {
            let n = format!(
                "{} text field(s) cut to {} bytes",
                self.cut_fields, self.limits.max_field_bytes
            );
            self.note(n);
        }
        if self.summary.truncated {
            let n = format!(
                "stopped at the limit of {} findings; the rest of the file was not read",
                self.limits.max_findings
            );
            self.note(n);
        }
    }
}
