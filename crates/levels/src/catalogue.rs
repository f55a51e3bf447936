//! Requirement catalogues: Circular 12/2022 Appendices I–V mapped to TCVN 11930:2017
//! clauses, and what is known of TCVN 14423:2026.

use serde::Deserialize;

use crate::error::LevelError;

const CATALOGUE_FILES: &[(&str, &str)] = &[
    (
        "tt12-2022",
        include_str!("../../../data/regimes/catalogue-tt12-2022.toml"),
    ),
    (
        "tcvn14423-2026",
        include_str!("../../../data/regimes/catalogue-tcvn14423-2026.toml"),
    ),
];

/// Kind of requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequirementKind {
    /// Management requirement (yêu cầu quản lý).
    Management,
    /// Management plan items with no TCVN clause (risk management, decommissioning).
    Plan,
    /// Technical set-up and configuration requirement (thiết lập, cấu hình).
    Technical,
    /// Mandatory network zone in the design.
    NetworkZone,
    /// Mandatory design measure (solution type).
    DesignMeasure,
    /// A level-dependent parameter (frequency, retention…).
    Parameter,
}

/// A requirement group (e.g. "security policy", "network security").
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementGroup {
    pub key: String,
    pub title: String,
    #[serde(default)]
    pub article: String,
    /// False where the group is known only from secondary sources.
    #[serde(default = "yes")]
    pub verified: bool,
}

fn yes() -> bool {
    true
}

/// Where a requirement applies at one level.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRef {
    pub level: u8,
    /// Item number in the appendix for that level, e.g. "I/1.5.4" (section I, row 1.5.4).
    #[serde(default)]
    pub item: Option<String>,
    /// Standard clause, e.g. "7.1.5.8" (TCVN 11930:2017).
    #[serde(default)]
    pub clause: Option<String>,
    /// Level-specific value for parameters (e.g. "3 tháng").
    #[serde(default)]
    pub value: Option<String>,
}

/// One requirement and the levels it applies to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub key: String,
    pub kind: RequirementKind,
    pub group: String,
    pub title: String,
    pub at: Vec<LevelRef>,
    #[serde(default)]
    pub note: String,
}

impl Requirement {
    /// The entry for a level, if the requirement applies there.
    pub fn at_level(&self, level: u8) -> Option<&LevelRef> {
        self.at.iter().find(|r| r.level == level)
    }
}

/// A versioned requirement catalogue.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub id: String,
    pub title: String,
    pub standard: String,
    pub source: String,
    /// False where the catalogue is known only in part or from secondary sources.
    pub verified: bool,
    #[serde(default)]
    pub notes: Vec<String>,
    pub groups: Vec<RequirementGroup>,
    pub requirements: Vec<Requirement>,
}

impl Catalogue {
    /// Requirements that apply at `level`, with their per-level entry.
    pub fn for_level(&self, level: u8) -> impl Iterator<Item = (&Requirement, &LevelRef)> {
        self.requirements
            .iter()
            .filter_map(move |r| r.at_level(level).map(|at| (r, at)))
    }

    /// How many requirements of `kind` apply at `level`.
    pub fn count(&self, kind: RequirementKind, level: u8) -> usize {
        self.for_level(level)
            .filter(|(r, _)| r.kind == kind)
            .count()
    }

    /// The group with this key.
    pub fn group(&self, key: &str) -> Option<&RequirementGroup> {
        self.groups.iter().find(|g| g.key == key)
    }
}

/// Parse an embedded catalogue by id.
pub fn load_catalogue(id: &str) -> Result<Catalogue, LevelError> {
    let (file, text) = CATALOGUE_FILES
        .iter()
        .find(|(cid, _)| *cid == id)
        .ok_or_else(|| LevelError::Data {
            file: format!("catalogue-{id}.toml"),
            message: "no such embedded catalogue".into(),
        })?;
    toml::from_str(text).map_err(|e| LevelError::Data {
        file: format!("catalogue-{file}.toml"),
        message: e.to_string(),
    })
}
