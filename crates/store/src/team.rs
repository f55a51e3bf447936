//! The provincial incident response team: members and the duty roster. Province-wide
//! data: every signed-in user reads it (the team is whom units call), the department
//! and the team itself change it; the on-duty member's number is public on /contacts.

use khien_domain::Role;
use khien_domain::team::MemberFields;
use khien_domain::time_fmt::iso_date;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::Date;

use crate::audit::RunInTx;
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::{Scoped, Store, new_id};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TeamMember {
    pub id: String,
    pub name: String,
    pub unit_id: String,
    pub unit_name: String,
    pub team_role: String,
    pub skills: String,
    pub certifications: String,
    pub phone_247: String,
    pub email: Option<String>,
    pub expert: bool,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RosterEntry {
    pub id: String,
    pub member_id: String,
    pub member_name: String,
    pub phone_247: String,
    pub starts_on: String,
    pub ends_on: String,
}

fn member(r: &AnyRow) -> Result<TeamMember> {
    let expert: i16 = r.try_get("expert")?;
    Ok(TeamMember {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        team_role: r.try_get("team_role")?,
        skills: r.try_get("skills")?,
        certifications: r.try_get("certifications")?,
        phone_247: r.try_get("phone_247")?,
        email: r.try_get("email")?,
        expert: expert != 0,
        updated_at: r.try_get("updated_at")?,
    })
}

fn roster(r: &AnyRow) -> Result<RosterEntry> {
    Ok(RosterEntry {
        id: r.try_get("id")?,
        member_id: r.try_get("member_id")?,
        member_name: r.try_get("name")?,
        phone_247: r.try_get("phone_247")?,
        starts_on: r.try_get("starts_on")?,
        ends_on: r.try_get("ends_on")?,
    })
}

/// Who changes the team: the department and the team.
pub fn may_manage(role: Role) -> bool {
    matches!(role, Role::ProvinceAdmin | Role::Responder)
}

const MEMBER_SQL: &str = "SELECT m.id, m.name, m.unit_id, u.name AS unit_name, m.team_role, m.skills, m.certifications, m.phone_247, m.email, m.expert, m.updated_at FROM team_members m JOIN units u ON u.id = m.unit_id WHERE m.active = 1 ORDER BY m.team_role, m.name";
const ROSTER_SQL: &str = "SELECT r.id, r.member_id, m.name, m.phone_247, r.starts_on, r.ends_on FROM team_roster r JOIN team_members m ON m.id = r.member_id WHERE r.ends_on >= $1 AND m.active = 1 ORDER BY r.starts_on, r.id LIMIT 100";

impl Scoped<'_> {
    pub async fn add_team_member(&self, f: &MemberFields) -> Result<String> {
        if !may_manage(self.principal.role) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        r.unit(&f.unit_id).await?;
        let id = new_id();
        sqlx::query("INSERT INTO team_members (id, name, unit_id, team_role, skills, certifications, phone_247, email, expert, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10)")
            .bind(id.clone())
            .bind(f.name.clone())
            .bind(f.unit_id.clone())
            .bind(f.team_role.to_string())
            .bind(f.skills.clone())
            .bind(f.certifications.clone())
            .bind(f.phone_247.clone())
            .bind(f.email.clone())
            .bind(i16::from(f.expert))
            .bind(tx.at().to_string())
            .run(&tx)
            .await?;
        tx.record("create", "team_member", &id, ("", "/"), None::<&()>, Some(&serde_json::json!({ "name": f.name, "role": f.team_role, "phone_247": f.phone_247, "expert": f.expert }))).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn add_roster_entry(&self, member_id: &str, from: Date, to: Date) -> Result<String> {
        if !may_manage(self.principal.role) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        sqlx::query("SELECT id FROM team_members WHERE id = $1 AND active = 1").bind(member_id.to_string()).opt(&r).await?.ok_or(StoreError::NotFound)?;
        let id = new_id();
        sqlx::query("INSERT INTO team_roster (id, member_id, starts_on, ends_on, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id.clone())
            .bind(member_id.to_string())
            .bind(iso_date(from))
            .bind(iso_date(to))
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(&tx)
            .await?;
        tx.record("roster", "team_member", member_id, ("", "/"), None::<&()>, Some(&serde_json::json!({ "starts_on": iso_date(from), "ends_on": iso_date(to) }))).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn team_members(&self) -> Result<Vec<TeamMember>> {
        sqlx::query(MEMBER_SQL).all(self).await?.iter().map(member).collect()
    }

    /// The roster from today on.
    pub async fn team_roster(&self) -> Result<Vec<RosterEntry>> {
        sqlx::query(ROSTER_SQL).bind(iso_date(self.store.today_vn())).all(self).await?.iter().map(roster).collect()
    }
}

impl Store {
    /// Who is on duty today (for the public /contacts), and when the team last changed.
    pub async fn team_on_duty(&self) -> Result<(Vec<RosterEntry>, Option<String>)> {
        let sys = self.as_system();
        let today = iso_date(self.today_vn());
        let on: Vec<RosterEntry> = sqlx::query(ROSTER_SQL)
            .bind(today.clone())
            .all(&sys)
            .await?
            .iter()
            .map(roster)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|e| e.starts_on <= today)
            .collect();
        let changed = sqlx::query("SELECT MAX(updated_at) AS t FROM team_members").one(&sys).await?;
        Ok((on, changed.try_get("t")?))
    }
}
