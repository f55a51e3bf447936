//! The classification input: what is known about an information system.
//!
//! Every field may be omitted; a missing field means none / false / 0. Unknown fields
//! and unknown enum values are rejected, so a typo never silently lowers a level.

use serde::{Deserialize, Serialize};

/// System type by business function (Decree 85 Art 6; Decree 331 Art 9.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemType {
    Internal,
    CitizenBusiness,
    Infrastructure,
    IndustrialControl,
    Other,
}

/// Information type by confidentiality (Decree 85 Art 6; Decree 331 Art 9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InformationType {
    Public,
    Private,
    Personal,
    StateSecret,
}

/// Harm to national defence/security if the system is sabotaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(schemars::JsonSchema)]
pub enum DefenceSecurityHarm {
    #[default]
    None,
    Harm,
    Serious,
    EspeciallySerious,
}

/// Reach of a shared information-infrastructure system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(schemars::JsonSchema)]
pub enum InfrastructureScope {
    #[default]
    None,
    OneAgency,
    SectorOrProvince,
    MultiProvince,
    National,
    International,
}

/// Grade of the construction works an industrial-control system runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[derive(schemars::JsonSchema)]
pub enum WorksGrade {
    #[default]
    #[serde(rename = "none")]
    None,
    IV,
    III,
    II,
    I,
    #[serde(rename = "special")]
    Special,
}

/// One system (or component system) to classify.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LevelInput {
    /// `nd85-2016` or `nd331-2026`. Required at the top; a component may omit it.
    pub regime: Option<String>,
    pub system_type: Option<SystemType>,
    pub information: Vec<InformationType>,
    pub defence_security_harm: DefenceSecurityHarm,
    /// Online public service level 0–4 (Decree 85 only; 0 = no public service).
    pub online_public_service_level: u8,
    /// The system handles administrative procedures (Decree 331 only).
    pub handles_administrative_procedures: bool,
    /// The online service is on the list of conditional business lines.
    pub conditional_business_service: bool,
    /// Data subjects whose personal (basic) data the system processes.
    pub personal_data_subjects: u64,
    /// Data subjects whose sensitive personal data the system processes.
    pub sensitive_data_subjects: u64,
    pub infrastructure_scope: InfrastructureScope,
    pub requires_24x7: bool,
    pub national_egovernment: bool,
    pub national_important_data_store: bool,
    pub industrial_works_grade: WorksGrade,
    pub components: Vec<LevelInput>,
}

impl LevelInput {
    /// Number of data subjects as Decree 85 counts "users": the larger of the two counts
    /// (sensitive-data subjects are data subjects too; the counts may overlap).
    pub fn data_subjects(&self) -> u64 {
        self.personal_data_subjects
            .max(self.sensitive_data_subjects)
    }

    /// True if any of `types` is processed.
    pub fn processes_any(&self, types: &[InformationType]) -> bool {
        self.information.iter().any(|t| types.contains(t))
    }
}
