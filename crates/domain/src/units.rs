//! Units: the organisation tree (province → departments, agencies, communes → sub-units),
//! each with the people the directives require it to name.

use serde::{Deserialize, Serialize};

use crate::error::{Invalid, optional_email, optional_phone, optional_text, required_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(schemars::JsonSchema)]
pub enum UnitKind {
    /// The province itself (UBND tỉnh): the root of the tree.
    Province,
    /// Sở, ban, ngành.
    Department,
    /// Xã, phường, đặc khu.
    Commune,
    /// Đơn vị sự nghiệp công lập.
    PublicService,
    /// Doanh nghiệp, nhà cung cấp dịch vụ viễn thông/Internet.
    Enterprise,
    Other,
}

impl UnitKind {
    pub const ALL: [UnitKind; 6] = [
        UnitKind::Province,
        UnitKind::Department,
        UnitKind::Commune,
        UnitKind::PublicService,
        UnitKind::Enterprise,
        UnitKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Province => "province",
            UnitKind::Department => "department",
            UnitKind::Commune => "commune",
            UnitKind::PublicService => "public_service",
            UnitKind::Enterprise => "enterprise",
            UnitKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<UnitKind> {
        UnitKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a person may type to create or edit a unit (the tree position aside).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
#[derive(schemars::JsonSchema)]
pub struct UnitInput {
    #[schemars(required, length(min = 1, max = 40))]
    pub code: String,
    #[schemars(required, length(min = 1, max = 200))]
    pub name: String,
    #[schemars(required, with = "UnitKind")]
    pub kind: String,
    pub address: String,
    pub leader_name: String,
    pub leader_title: String,
    pub leader_phone: String,
    pub leader_email: String,
    pub security_unit: String,
    pub security_person: String,
    pub security_phone: String,
    pub security_email: String,
    pub report_phone: String,
    pub report_email: String,
    pub report_other: String,
}

/// A validated unit's attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[derive(schemars::JsonSchema)]
pub struct UnitFields {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub address: Option<String>,
    pub leader_name: Option<String>,
    pub leader_title: Option<String>,
    pub leader_phone: Option<String>,
    pub leader_email: Option<String>,
    pub security_unit: Option<String>,
    pub security_person: Option<String>,
    pub security_phone: Option<String>,
    pub security_email: Option<String>,
    pub report_phone: Option<String>,
    pub report_email: Option<String>,
    pub report_other: Option<String>,
}

impl UnitInput {
    pub fn validate(&self) -> Result<UnitFields, Invalid> {
        let mut e = Invalid::default();
        let code = required_text(&mut e, "code", &self.code, 40);
        if !code.is_empty()
            && !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            e.push("code", "err.code_chars", code.clone());
        }
        let name = required_text(&mut e, "name", &self.name, 200);
        let kind = UnitKind::parse(self.kind.trim());
        if kind.is_none() {
            e.push("kind", "err.choice", self.kind.clone());
        }
        let fields = UnitFields {
            code,
            name,
            kind: kind.unwrap_or(UnitKind::Other),
            address: optional_text(&mut e, "address", &self.address, 300),
            leader_name: optional_text(&mut e, "leader_name", &self.leader_name, 120),
            leader_title: optional_text(&mut e, "leader_title", &self.leader_title, 120),
            leader_phone: optional_phone(&mut e, "leader_phone", &self.leader_phone),
            leader_email: optional_email(&mut e, "leader_email", &self.leader_email),
            security_unit: optional_text(&mut e, "security_unit", &self.security_unit, 200),
            security_person: optional_text(&mut e, "security_person", &self.security_person, 120),
            security_phone: optional_phone(&mut e, "security_phone", &self.security_phone),
            security_email: optional_email(&mut e, "security_email", &self.security_email),
            report_phone: optional_phone(&mut e, "report_phone", &self.report_phone),
            report_email: optional_email(&mut e, "report_email", &self.report_email),
            report_other: optional_text(&mut e, "report_other", &self.report_other, 300),
        };
        e.into_result(fields)
    }
}

impl From<&UnitFields> for UnitInput {
    fn from(f: &UnitFields) -> Self {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        UnitInput {
            code: f.code.clone(),
            name: f.name.clone(),
            kind: f.kind.as_str().to_string(),
            address: s(&f.address),
            leader_name: s(&f.leader_name),
            leader_title: s(&f.leader_title),
            leader_phone: s(&f.leader_phone),
            leader_email: s(&f.leader_email),
            security_unit: s(&f.security_unit),
            security_person: s(&f.security_person),
            security_phone: s(&f.security_phone),
            security_email: s(&f.security_email),
            report_phone: s(&f.report_phone),
            report_email: s(&f.report_email),
            report_other: s(&f.report_other),
        }
    }
}

/// Who may change the unit tree, and when (the store asks inside its transaction).
pub mod policy {
    use super::UnitKind;
    use crate::roles::Role;

    /// Create and edit units within scope: province administrators and unit managers.
    pub fn may_edit(role: Role) -> Result<(), &'static str> {
        if role.can_edit_units() { Ok(()) } else { Err("err.forbidden") }
    }

    /// Moving a unit or (de)activating it reshapes the province: its administrators'.
    pub fn may_reshape(role: Role) -> Result<(), &'static str> {
        if role == Role::ProvinceAdmin { Ok(()) } else { Err("err.forbidden") }
    }

    /// The province's own unit stays the province.
    pub fn may_change_kind(before: UnitKind, after: UnitKind) -> Result<(), &'static str> {
        if before == UnitKind::Province && after != UnitKind::Province {
            Err("err.root_kind")
        } else {
            Ok(())
        }
    }

    /// A unit moves under another that is not inside it; the root never moves.
    pub fn may_move(unit_path: &str, is_root: bool, new_parent_path: &str) -> Result<(), &'static str> {
        if is_root || new_parent_path.starts_with(unit_path) {
            Err("err.move_cycle")
        } else {
            Ok(())
        }
    }

    /// A unit is deactivated only when nothing active hangs off it, and never the root.
    pub fn may_deactivate(is_root: bool, active_children_and_users: i64) -> Result<(), &'static str> {
        if is_root || active_children_and_users > 0 {
            Err("err.unit_busy")
        } else {
            Ok(())
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_tree_is_reshaped_by_the_province_only_and_never_into_a_cycle() {
            assert_eq!(may_edit(Role::UnitManager), Ok(()));
            assert_eq!(may_edit(Role::UnitStaff), Err("err.forbidden"));
            assert_eq!(may_reshape(Role::UnitManager), Err("err.forbidden"));
            assert_eq!(may_reshape(Role::ProvinceAdmin), Ok(()));
            assert_eq!(may_move("/r/a/", false, "/r/a/b/"), Err("err.move_cycle"));
            assert_eq!(may_move("/r/a/", false, "/r/c/"), Ok(()));
            assert_eq!(may_move("/r/", true, "/x/"), Err("err.move_cycle"));
            assert_eq!(may_deactivate(false, 1), Err("err.unit_busy"));
            assert_eq!(may_deactivate(true, 0), Err("err.unit_busy"));
            assert_eq!(may_deactivate(false, 0), Ok(()));
            assert_eq!(may_change_kind(UnitKind::Province, UnitKind::Other), Err("err.root_kind"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_every_field() {
        let bad = UnitInput {
            code: "a b".into(),
            name: " ".into(),
            kind: "x".into(),
            report_email: "nope".into(),
            ..Default::default()
        };
        let err = bad
            .validate()
            .err()
            .map(|e| e.errors.iter().map(|f| f.field).collect::<Vec<_>>());
        assert_eq!(err, Some(vec!["code", "name", "kind", "report_email"]));
        let ok = UnitInput {
            code: "STC".into(),
            name: "Sở Tài chính".into(),
            kind: "department".into(),
            ..Default::default()
        };
        assert_eq!(
            ok.validate().map(|f| f.kind).ok(),
            Some(UnitKind::Department)
        );
    }
}
