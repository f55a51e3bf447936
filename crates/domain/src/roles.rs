//! Roles, the signed-in principal and the data scope derived from it.
//!
//! The scope is the single answer to "which units' data may this principal touch";
//! the store applies it to every query of unit-owned data.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(schemars::JsonSchema)]
pub enum Role {
    /// The provincial department's security officers: administer the whole province.
    ProvinceAdmin,
    /// Department inspectors: read the whole province, appraise and inspect.
    Inspector,
    /// The provincial incident response team: read the whole province, handle incidents.
    Responder,
    /// A unit's manager: manages its unit subtree.
    UnitManager,
    /// A unit's IT officer: declares and maintains its unit's systems.
    UnitStaff,
    /// Leadership: read-only dashboards over their unit subtree.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::ProvinceAdmin,
        Role::Inspector,
        Role::Responder,
        Role::UnitManager,
        Role::UnitStaff,
        Role::Viewer,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::ProvinceAdmin => "province_admin",
            Role::Inspector => "inspector",
            Role::Responder => "responder",
            Role::UnitManager => "unit_manager",
            Role::UnitStaff => "unit_staff",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Department roles see the whole province whatever unit they belong to.
    pub fn is_province_wide(self) -> bool {
        matches!(
            self,
            Role::ProvinceAdmin | Role::Inspector | Role::Responder
        )
    }

    /// May create and edit information systems (within scope).
    pub fn can_edit_systems(self) -> bool {
        matches!(
            self,
            Role::ProvinceAdmin | Role::UnitManager | Role::UnitStaff
        )
    }

    /// May create and edit units (within scope). Moving and deactivating is province-only.
    pub fn can_edit_units(self) -> bool {
        matches!(self, Role::ProvinceAdmin | Role::UnitManager)
    }
}

/// Which units' data a principal may see and change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every unit of the province.
    Province,
    /// The unit whose materialised path is this prefix, and all its descendants.
    Subtree { unit_path: String },
}

impl Scope {
    /// Whether a unit with the given materialised path is inside this scope.
    pub fn contains_path(&self, path: &str) -> bool {
        match self {
            Scope::Province => true,
            Scope::Subtree { unit_path } => path.starts_with(unit_path.as_str()),
        }
    }
}

/// Who is acting: a signed-in user or an API token's owner.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: String,
    /// Materialised path of the user's unit (e.g. `/a/b/`).
    pub unit_path: String,
}

impl Principal {
    pub fn scope(&self) -> Scope {
        if self.role.is_province_wide() {
            Scope::Province
        } else {
            Scope::Subtree {
                unit_path: self.unit_path.clone(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_scope() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        let p = Principal {
            user_id: "u".into(),
            username: "x".into(),
            display_name: "X".into(),
            role: Role::UnitStaff,
            unit_id: "b".into(),
            unit_path: "/a/b/".into(),
        };
        let s = p.scope();
        assert!(s.contains_path("/a/b/"));
        assert!(s.contains_path("/a/b/c/"));
        assert!(!s.contains_path("/a/"));
        assert!(!s.contains_path("/a/bb/"));
        let admin = Principal {
            role: Role::ProvinceAdmin,
            ..p
        };
        assert_eq!(admin.scope(), Scope::Province);
    }
}
