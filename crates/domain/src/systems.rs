//! Information systems (hệ thống thông tin): the inventory every level, plan, scan and
//! incident hangs from. Types follow Decree 85 Art 6 / Circular 12 Art 7.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::error::{Invalid, optional_text, required_text};
use crate::time_fmt::{iso_date, parse_user_date};

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[derive(schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),+ } }
            pub fn parse(s: &str) -> Option<$name> { Self::ALL.iter().copied().find(|v| v.as_str() == s) }
        }
    };
}

string_enum!(
    /// Business function (Decree 85 Art 6.2; Circular 12 Art 7).
    SystemType {
        Internal = "internal",
        CitizenBusiness = "citizen_business",
        Infrastructure = "infrastructure",
        IndustrialControl = "industrial_control",
        Other = "other",
    }
);

string_enum!(
    SystemStatus {
        Planning = "planning",
        Building = "building",
        Operating = "operating",
        Retired = "retired",
    }
);

string_enum!(
    /// Information types by confidentiality (Decree 85 Art 6.1).
    InfoType {
        Public = "public",
        Private = "private",
        Personal = "personal",
        StateSecret = "state_secret",
    }
);

/// One software or hardware component (the software inventory advisories match against).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[derive(schemars::JsonSchema)]
pub struct Component {
    pub vendor: String,
    pub product: String,
    pub version: String,
    pub cpe: String,
}

/// What a person may type to declare or edit a system. Lists travel as text, one item
/// per line (or comma-separated), because that is how they are typed into a form or an
/// Excel cell.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
#[derive(schemars::JsonSchema)]
pub struct SystemInput {
    #[schemars(required, length(min = 1, max = 300))]
    pub name: String,
    pub code: String,
    #[schemars(required)]
    pub owner_unit_id: String,
    pub operator_unit_id: String,
    #[schemars(required, with = "SystemType")]
    pub system_type: String,
    #[schemars(required, with = "SystemStatus")]
    pub status: String,
    pub go_live_date: String,
    pub hosting_system_id: String,
    /// Information types, comma- or newline-separated codes (`public, personal`).
    pub information_types: String,
    pub personal_subjects: String,
    pub sensitive_subjects: String,
    pub handles_admin_procedures: Option<String>,
    pub requires_24x7: Option<String>,
    pub urls: String,
    pub ip_ranges: String,
    /// One component per line: `vendor | product | version | cpe`.
    pub components: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[derive(schemars::JsonSchema)]
pub struct SystemFields {
    pub name: String,
    pub code: Option<String>,
    pub owner_unit_id: String,
    pub operator_unit_id: String,
    pub system_type: SystemType,
    pub status: SystemStatus,
    pub go_live_date: Option<String>,
    pub hosting_system_id: Option<String>,
    pub information_types: Vec<InfoType>,
    pub personal_subjects: i64,
    pub sensitive_subjects: i64,
    pub handles_admin_procedures: bool,
    pub requires_24x7: bool,
    pub urls: Vec<String>,
    pub ip_ranges: Vec<String>,
    pub components: Vec<Component>,
    pub description: Option<String>,
}

fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(['\n', ',', ';'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
}

/// Checkbox/Excel truthiness: `on`, `1`, `true`, `x`, `có`, `yes`.
pub fn parse_flag(v: Option<&str>) -> Option<bool> {
    let v = v.map(str::trim).unwrap_or("");
    match v.to_lowercase().as_str() {
        "" | "0" | "false" | "no" | "không" | "khong" => Some(false),
        "on" | "1" | "true" | "x" | "yes" | "có" | "co" => Some(true),
        _ => None,
    }
}

fn count(e: &mut Invalid, field: &'static str, raw: &str) -> i64 {
    let t: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, '.' | ' ' | '\u{a0}'))
        .collect();
    if t.is_empty() {
        return 0;
    }
    match t.parse::<i64>() {
        Ok(n) if (0..=1_000_000_000_000).contains(&n) => n,
        _ => {
            e.push(field, "err.count", raw.trim());
            0
        }
    }
}

/// An IPv4/IPv6 address or CIDR range, checked by parsing.
fn valid_ip_range(s: &str) -> bool {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    match addr.parse::<std::net::IpAddr>() {
        Ok(ip) => match prefix {
            None => true,
            Some(p) => p
                .parse::<u8>()
                .is_ok_and(|n| n <= if ip.is_ipv4() { 32 } else { 128 }),
        },
        Err(_) => false,
    }
}

fn valid_url_or_domain(s: &str) -> bool {
    let host = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    !host.is_empty()
        && host.contains('.')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        && !s.contains(char::is_whitespace)
}

impl SystemInput {
    pub fn validate(&self) -> Result<SystemFields, Invalid> {
        let mut e = Invalid::default();
        let name = required_text(&mut e, "name", &self.name, 300);
        let code = optional_text(&mut e, "code", &self.code, 60);
        let owner_unit_id = required_text(&mut e, "owner_unit_id", &self.owner_unit_id, 64);
        let operator = self.operator_unit_id.trim();
        let operator_unit_id = if operator.is_empty() {
            owner_unit_id.clone()
        } else {
            operator.to_string()
        };
        let system_type = SystemType::parse(self.system_type.trim()).unwrap_or_else(|| {
            e.push("system_type", "err.choice", self.system_type.trim());
            SystemType::Other
        });
        let status = SystemStatus::parse(self.status.trim()).unwrap_or_else(|| {
            e.push("status", "err.choice", self.status.trim());
            SystemStatus::Planning
        });
        let go_live_date = match self.go_live_date.trim() {
            "" => None,
            raw => match parse_user_date(raw) {
                Some(d) => Some(iso_date(d)),
                None => {
                    e.push("go_live_date", "err.date", raw);
                    None
                }
            },
        };
        if status == SystemStatus::Operating
            && go_live_date.is_none()
            && self.go_live_date.trim().is_empty()
        {
            e.push("go_live_date", "err.go_live_required", "");
        }
        let mut information_types = Vec::new();
        for item in split_list(&self.information_types) {
            match InfoType::parse(item) {
                Some(t) if !information_types.contains(&t) => information_types.push(t),
                Some(_) => {}
                None => e.push("information_types", "err.choice", item),
            }
        }
        let personal_subjects = count(&mut e, "personal_subjects", &self.personal_subjects);
        let sensitive_subjects = count(&mut e, "sensitive_subjects", &self.sensitive_subjects);
        let mut flag = |field: &'static str, v: &Option<String>| {
            parse_flag(v.as_deref()).unwrap_or_else(|| {
                e.push(field, "err.flag", v.clone().unwrap_or_default());
                false
            })
        };
        let handles_admin_procedures =
            flag("handles_admin_procedures", &self.handles_admin_procedures);
        let requires_24x7 = flag("requires_24x7", &self.requires_24x7);
        let mut urls = Vec::new();
        for u in split_list(&self.urls) {
            if u.chars().count() > 300 || !valid_url_or_domain(u) {
                e.push("urls", "err.url", u);
            }
            urls.push(u.to_string());
        }
        let mut ip_ranges = Vec::new();
        for r in split_list(&self.ip_ranges) {
            if !valid_ip_range(r) {
                e.push("ip_ranges", "err.ip_range", r);
            }
            ip_ranges.push(r.to_string());
        }
        let mut components = Vec::new();
        for line in self
            .components
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let mut parts = line.split('|').map(str::trim);
            let c = Component {
                vendor: parts.next().unwrap_or("").to_string(),
                product: parts.next().unwrap_or("").to_string(),
                version: parts.next().unwrap_or("").to_string(),
                cpe: parts.next().unwrap_or("").to_string(),
            };
            if c.product.is_empty() || line.chars().count() > 500 {
                e.push("components", "err.component", line);
            } else if !c.cpe.is_empty() && !c.cpe.starts_with("cpe:2.3:") {
                e.push("components", "err.cpe", c.cpe.clone());
            }
            components.push(c);
        }
        let hosting = self.hosting_system_id.trim();
        let fields = SystemFields {
            name,
            code,
            owner_unit_id,
            operator_unit_id,
            system_type,
            status,
            go_live_date,
            hosting_system_id: (!hosting.is_empty()).then(|| hosting.to_string()),
            information_types,
            personal_subjects,
            sensitive_subjects,
            handles_admin_procedures,
            requires_24x7,
            urls,
            ip_ranges,
            components,
            description: optional_text(&mut e, "description", &self.description, 4000),
        };
        e.into_result(fields)
    }
}

impl SystemFields {
    pub fn go_live(&self) -> Option<Date> {
        self.go_live_date
            .as_deref()
            .and_then(crate::time_fmt::parse_iso_date)
    }

    pub fn information_types_text(&self) -> String {
        self.information_types
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn components_text(&self) -> String {
        self.components
            .iter()
            .map(|c| format!("{} | {} | {} | {}", c.vendor, c.product, c.version, c.cpe))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl From<&SystemFields> for SystemInput {
    fn from(f: &SystemFields) -> Self {
        let flag = |b: bool| Some(if b { "on" } else { "" }.to_string());
        SystemInput {
            name: f.name.clone(),
            code: f.code.clone().unwrap_or_default(),
            owner_unit_id: f.owner_unit_id.clone(),
            operator_unit_id: f.operator_unit_id.clone(),
            system_type: f.system_type.as_str().into(),
            status: f.status.as_str().into(),
            go_live_date: f
                .go_live_date
                .as_deref()
                .map(crate::time_fmt::display_date)
                .unwrap_or_default(),
            hosting_system_id: f.hosting_system_id.clone().unwrap_or_default(),
            information_types: f.information_types_text(),
            personal_subjects: f.personal_subjects.to_string(),
            sensitive_subjects: f.sensitive_subjects.to_string(),
            handles_admin_procedures: flag(f.handles_admin_procedures),
            requires_24x7: flag(f.requires_24x7),
            urls: f.urls.join("\n"),
            ip_ranges: f.ip_ranges.join("\n"),
            components: f.components_text(),
            description: f.description.clone().unwrap_or_default(),
        }
    }
}

/// Who may change a system's record: the owner's editors and province administrators.
/// The operator runs the system (plan evidence, hunts, scan imports) but does not
/// rewrite its record — naming the operator is the owner's act — and moving a system
/// to another owner is a province administrator's act, so a unit can never take a
/// system away from the unit that owns it.
pub fn may_update(
    actor: crate::dossiers::policy::Actor,
    owner_before: &str,
    owner_after: &str,
) -> Result<(), &'static str> {
    use crate::dossiers::policy::Relation;
    if !actor.role.can_edit_systems() {
        return Err("err.forbidden");
    }
    match actor.relation {
        Relation::Operator => Err("err.forbidden"),
        _ if owner_before != owner_after && actor.role != crate::roles::Role::ProvinceAdmin => {
            Err("system.err_owner_change")
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> SystemInput {
        SystemInput {
            name: "Cổng dịch vụ công".into(),
            owner_unit_id: "u1".into(),
            system_type: "citizen_business".into(),
            status: "operating".into(),
            go_live_date: "01/07/2023".into(),
            information_types: "public, personal".into(),
            personal_subjects: "12.000".into(),
            urls: "https://dichvucong.example.gov.vn".into(),
            ip_ranges: "10.0.0.0/24\n2001:db8::/32".into(),
            components: "Microsoft | IIS | 10.0 | cpe:2.3:a:microsoft:iis:10.0:*:*:*:*:*:*:*"
                .into(),
            ..Default::default()
        }
    }

    #[test]
    fn accepts_a_realistic_system() {
        let f = base()
            .validate()
            .map_err(|e| e.errors)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(f.personal_subjects, 12_000);
        assert_eq!(f.go_live_date.as_deref(), Some("2023-07-01"));
        assert_eq!(f.operator_unit_id, "u1");
        assert_eq!(
            f.information_types,
            vec![InfoType::Public, InfoType::Personal]
        );
        assert_eq!(f.components[0].product, "IIS");
    }

    #[test]
    fn reports_every_bad_field() {
        let bad = SystemInput {
            system_type: "cloud".into(),
            ip_ranges: "10.0.0.0/33".into(),
            personal_subjects: "nhiều".into(),
            information_types: "secret".into(),
            go_live_date: "32/13/2024".into(),
            components: "| | 1.0".into(),
            ..base()
        };
        let fields: Vec<_> = bad
            .validate()
            .err()
            .map(|e| e.errors.into_iter().map(|f| f.field).collect())
            .unwrap_or_default();
        assert_eq!(
            fields,
            vec![
                "system_type",
                "go_live_date",
                "information_types",
                "personal_subjects",
                "ip_ranges",
                "components"
            ]
        );
    }
}
