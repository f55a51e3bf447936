//! Roles that appraise or approve, and their configurable display names.
//!
//! The data files name roles only; organisation names change with reorganisations
//! (MIC merged into MOST, network security moved to MPS), so names are configuration.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::LevelError;

/// A party in the level-determination procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The owner's specialised security unit (đơn vị chuyên trách về ATTT / ANM).
    SpecialisedUnit,
    /// The system owner (chủ quản hệ thống thông tin).
    Owner,
    /// The operating unit (đơn vị vận hành), which prepares the dossier.
    OperatingUnit,
    /// The former Ministry of Information and Communications (Cục An toàn thông tin).
    MinistryIct,
    /// The Ministry of Public Security.
    MinistryPublicSecurity,
    /// The Ministry of National Defence (military systems).
    MinistryDefence,
    /// The Government Cipher Board (cipher systems).
    GovernmentCipherBoard,
    /// The Prime Minister (approves the list of level-5 systems).
    PrimeMinister,
}

impl Role {
    /// The snake_case identifier used in data and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SpecialisedUnit => "specialised_unit",
            Role::Owner => "owner",
            Role::OperatingUnit => "operating_unit",
            Role::MinistryIct => "ministry_ict",
            Role::MinistryPublicSecurity => "ministry_public_security",
            Role::MinistryDefence => "ministry_defence",
            Role::GovernmentCipherBoard => "government_cipher_board",
            Role::PrimeMinister => "prime_minister",
        }
    }
}

const ROLES_TOML: &str = include_str!("../../../data/regimes/roles.toml");

/// Display names of one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleName {
    pub vi: String,
    pub en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesFile {
    names: BTreeMap<Role, RoleName>,
}

/// Display names per role. Start from [`RoleNames::defaults`] and override per deployment
/// (for example with a province's own department names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleNames {
    names: BTreeMap<Role, RoleName>,
}

impl RoleNames {
    /// No names at all (every role shows its id).
    pub fn empty() -> Self {
        Self {
            names: BTreeMap::new(),
        }
    }

    /// The default names shipped in data/regimes/roles.toml.
    pub fn defaults() -> Result<Self, LevelError> {
        Self::from_toml(ROLES_TOML).map_err(|e| match e {
            LevelError::InvalidInput(message) => LevelError::Data {
                file: "roles.toml".into(),
                message,
            },
            other => other,
        })
    }

    /// Parse a names file with the same shape as data/regimes/roles.toml
    /// (`[names.<role>] vi = "…" en = "…"`). Roles missing from `text` keep no name.
    pub fn from_toml(text: &str) -> Result<Self, LevelError> {
        let file: RolesFile =
            toml::from_str(text).map_err(|e| LevelError::InvalidInput(e.to_string()))?;
        Ok(Self { names: file.names })
    }

    /// Replace the names of the roles present in `other`.
    pub fn merged_with(mut self, other: RoleNames) -> Self {
        self.names.extend(other.names);
        self
    }

    /// Names the parties of a provincial dossier concretely: the department in charge
    /// of information security ("Sở Khoa học và Công nghệ") as the specialised unit, the
    /// province's People's Committee as the owner (chủ quản). Empty names keep the legal
    /// description.
    pub fn name_provincial_parties(&mut self, department: Option<&str>, province: &str) {
        let name = |n: &str| RoleName {
            vi: n.to_string(),
            en: n.to_string(),
        };
        if let Some(d) = department.map(str::trim).filter(|d| !d.is_empty()) {
            self.set(Role::SpecialisedUnit, name(d));
        }
        if !province.trim().is_empty() {
            self.set(Role::Owner, name(province.trim()));
        }
    }

    /// Set one role's names.
    pub fn set(&mut self, role: Role, name: RoleName) {
        self.names.insert(role, name);
    }

    /// The names of a role, if configured.
    pub fn get(&self, role: Role) -> Option<&RoleName> {
        self.names.get(&role)
    }

    /// Vietnamese display name, falling back to the role id.
    pub fn vi(&self, role: Role) -> &str {
        self.names
            .get(&role)
            .map_or(role.as_str(), |n| n.vi.as_str())
    }

    /// English display name, falling back to the role id.
    pub fn en(&self, role: Role) -> &str {
        self.names
            .get(&role)
            .map_or(role.as_str(), |n| n.en.as_str())
    }
}
