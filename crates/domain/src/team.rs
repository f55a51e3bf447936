//! The provincial incident response team (đội ứng cứu sự cố): its members and duty
//! roster, and the rules the directives set on it — at least five security experts
//! (Directive 18/CT-TTg), and the contact point's changes notified within 24 hours
//! (Circular 20/2017 Art 6.1.b).

use time::Date;

use crate::error::{Invalid, optional_text, required_text};

/// Security experts the team must have at least.
pub const EXPERTS_REQUIRED: usize = 5;
pub const EXPERTS_BASIS: &str = "Chỉ thị 18/CT-TTg ngày 13/10/2022";
/// Hours within which a change of the contact point is notified.
pub const CONTACT_CHANGE_HOURS: i64 = 24;
pub const CONTACT_CHANGE_BASIS: &str = "Điều 6 khoản 1 điểm b Thông tư 20/2017/TT-BTTTT";
pub const TEAM_ROLES: [&str; 3] = ["leader", "technical", "coordinator"];

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct MemberInput {
    pub name: String,
    pub unit_id: String,
    pub team_role: String,
    pub skills: String,
    pub certifications: String,
    /// The number that answers day and night.
    pub phone_247: String,
    pub email: String,
    /// `1`: a security expert (counted for the five).
    pub expert: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberFields {
    pub name: String,
    pub unit_id: String,
    pub team_role: &'static str,
    pub skills: String,
    pub certifications: String,
    pub phone_247: String,
    pub email: Option<String>,
    pub expert: bool,
}

fn phone_ok(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (8..=15).contains(&digits) && s.chars().all(|c| c.is_ascii_digit() || " +.-()".contains(c))
}

impl MemberInput {
    pub fn validate(&self) -> Result<MemberFields, Invalid> {
        let mut e = Invalid::default();
        let name = required_text(&mut e, "name", &self.name, 200);
        if self.unit_id.trim().is_empty() {
            e.push("unit_id", "team.err_unit", "");
        }
        let role = TEAM_ROLES.iter().copied().find(|r| *r == self.team_role.trim());
        if role.is_none() {
            e.push("team_role", "team.err_role", "");
        }
        let skills = optional_text(&mut e, "skills", &self.skills, 1000).unwrap_or_default();
        let certifications = optional_text(&mut e, "certifications", &self.certifications, 1000).unwrap_or_default();
        let phone = self.phone_247.trim().to_string();
        if !phone_ok(&phone) {
            e.push("phone_247", "team.err_phone", "");
        }
        let email = optional_text(&mut e, "email", &self.email, 200);
        if email.as_deref().is_some_and(|m| !m.contains('@') || m.contains(' ')) {
            e.push("email", "team.err_email", "");
        }
        match role {
            Some(team_role) if e.errors.is_empty() => Ok(MemberFields {
                name,
                unit_id: self.unit_id.trim().to_string(),
                team_role,
                skills,
                certifications,
                phone_247: phone,
                email,
                expert: matches!(self.expert.trim(), "1" | "on" | "true"),
            }),
            _ => Err(e),
        }
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct RosterInput {
    pub member_id: String,
    /// dd/mm/yyyy.
    pub starts_on: String,
    pub ends_on: String,
}

impl RosterInput {
    pub fn validate(&self) -> Result<(String, Date, Date), Invalid> {
        let mut e = Invalid::default();
        if self.member_id.trim().is_empty() {
            e.push("member_id", "team.err_member", "");
        }
        let from = crate::time_fmt::parse_user_date(&self.starts_on);
        let to = crate::time_fmt::parse_user_date(&self.ends_on);
        if from.is_none() {
            e.push("starts_on", "team.err_date", "");
        }
        match (from, to) {
            (_, None) => e.push("ends_on", "team.err_date", ""),
            (Some(f), Some(t)) if t < f => e.push("ends_on", "team.err_before", ""),
            (Some(f), Some(t)) if (t - f).whole_days() > 31 => e.push("ends_on", "team.err_too_long", ""),
            _ => {}
        }
        match (from, to) {
            (Some(f), Some(t)) if e.errors.is_empty() => Ok((self.member_id.trim().to_string(), f, t)),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_needs_a_number_that_answers() {
        let e = MemberInput { name: "An".into(), unit_id: "u".into(), team_role: "technical".into(), phone_247: "abc".into(), email: "x".into(), ..Default::default() }.validate().unwrap_err();
        let f: Vec<&str> = e.errors.iter().map(|x| x.field).collect();
        assert_eq!(f, vec!["phone_247", "email"]);
        let ok = MemberInput { name: "An".into(), unit_id: "u".into(), team_role: "leader".into(), phone_247: "0912 345 678".into(), expert: "1".into(), ..Default::default() }.validate().unwrap();
        assert!(ok.expert);
        let e = RosterInput { member_id: "m".into(), starts_on: "01/12/2026".into(), ends_on: "15/01/2027".into() }.validate().unwrap_err();
        assert_eq!(e.errors[0].key, "team.err_too_long");
    }
}
