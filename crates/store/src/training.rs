//! Awareness and training campaigns and their participants (issue 12 item 4). A
//! campaign is seen by its organiser's scope and by the units whose people took part;
//! a participant only where their unit is. Written by those who maintain systems (the
//! unit's IT people, the department), inside their transaction, audited.

use std::collections::HashMap;

use khien_domain::time_fmt::iso_date;
use khien_domain::training::{CampaignFields, ParticipantsFields};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::RunInTx;
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Scoped, new_id};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Campaign {
    pub id: String,
    pub unit_id: String,
    pub unit_name: String,
    pub kind: String,
    pub title: String,
    pub audience: String,
    /// yyyy-mm-dd.
    pub held_from: String,
    pub held_to: String,
    pub topics: String,
    pub trainer: Option<String>,
    pub sent: Option<i64>,
    pub clicked: Option<i64>,
    pub reported: Option<i64>,
    pub created_by: String,
    /// Participants the reader sees, and how many of them completed it.
    pub participants: i64,
    pub completed: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrainingParticipant {
    pub id: String,
    pub unit_id: String,
    pub unit_name: String,
    pub name: String,
    pub position: Option<String>,
    pub completed: bool,
}

/// A unit in scope and how many of its people completed a campaign held in a year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitTrained {
    pub unit_id: String,
    pub unit_name: String,
    pub completed: i64,
}

const COLS: &str = "c.id, c.unit_id, u.name AS unit_name, c.kind, c.title, c.audience, c.held_from, c.held_to, c.topics, c.trainer, c.sent, c.clicked, c.reported, c.created_by";
/// The scope of a campaign: its organiser, or a unit one of its people works in.
const LINKS: &[(&str, &str, &str)] = &[("training_campaigns", "id", "unit_id"), ("training_participants", "campaign_id", "unit_id")];

fn campaign(r: &AnyRow) -> Result<Campaign> {
    Ok(Campaign {
        id: r.try_get("id")?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        audience: r.try_get("audience")?,
        held_from: r.try_get("held_from")?,
        held_to: r.try_get("held_to")?,
        topics: r.try_get("topics")?,
        trainer: r.try_get("trainer")?,
        sent: r.try_get("sent")?,
        clicked: r.try_get("clicked")?,
        reported: r.try_get("reported")?,
        created_by: r.try_get("created_by")?,
        participants: 0,
        completed: 0,
    })
}

/// Who records campaigns and their participants.
pub fn may_record(role: khien_domain::Role) -> bool {
    role.can_edit_systems()
}

impl Scoped<'_> {
    /// Records a campaign organised by a unit in scope (the web passes the recorder's
    /// own), audited.
    pub async fn create_campaign(&self, unit_id: &str, f: &CampaignFields) -> Result<String> {
        if !may_record(self.principal.role) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let unit = self.within(&tx).unit(unit_id).await?;
        let id = new_id();
        sqlx::query("INSERT INTO training_campaigns (id, unit_id, kind, title, audience, held_from, held_to, topics, trainer, sent, clicked, reported, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
            .bind(id.clone())
            .bind(unit.id.clone())
            .bind(f.kind.to_string())
            .bind(f.title.clone())
            .bind(f.audience.to_string())
            .bind(iso_date(f.held_from))
            .bind(iso_date(f.held_to))
            .bind(f.topics.clone())
            .bind(f.trainer.clone())
            .bind(f.sent)
            .bind(f.clicked)
            .bind(f.reported)
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(&tx)
            .await?;
        tx.record("create", "training_campaign", &id, (&unit.id, &unit.path), None::<&()>, Some(f)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Campaigns in scope held (ended) in `year`, or all, latest first (at most
    /// `limit`), each with the participants the reader sees.
    pub async fn campaigns(&self, year: Option<i32>, limit: i64) -> Result<Vec<Campaign>> {
        let mut sql = Sql::new(&format!("SELECT {COLS} FROM training_campaigns c JOIN units u ON u.id = c.unit_id WHERE 1=1"));
        if let Some(y) = year {
            sql.push(" AND c.held_to >= ").text(format!("{y}-01-01")).push(" AND c.held_to <= ").text(format!("{y}-12-31"));
        }
        self.restrict_linked(&mut sql, "c.id", LINKS);
        sql.push(" ORDER BY c.held_to DESC, c.id DESC LIMIT ").int(limit.clamp(1, 2_000));
        let mut list = sql.query().all(self).await?.iter().map(campaign).collect::<Result<Vec<_>>>()?;
        self.count_participants(&mut list).await?;
        Ok(list)
    }

    /// One campaign in scope and its participants the reader sees, by unit then name.
    pub async fn campaign(&self, id: &str) -> Result<(Campaign, Vec<TrainingParticipant>)> {
        let mut sql = Sql::new(&format!("SELECT {COLS} FROM training_campaigns c JOIN units u ON u.id = c.unit_id WHERE c.id = "));
        sql.text(id.to_string());
        self.restrict_linked(&mut sql, "c.id", LINKS);
        let mut one = [campaign(&sql.query().opt(self).await?.ok_or(StoreError::NotFound)?)?];
        self.count_participants(&mut one).await?;
        let [c] = one;
        let mut sql = Sql::new("SELECT p.id, p.unit_id, u.name AS unit_name, p.name, p.position, p.completed FROM training_participants p JOIN units u ON u.id = p.unit_id WHERE p.campaign_id = ");
        sql.text(c.id.clone());
        self.restrict_ids(&mut sql, "p", "training_participants", &["unit_id"]);
        sql.push(" ORDER BY u.path, p.name, p.id LIMIT 5000");
        let people = sql
            .query()
            .all(self)
            .await?
            .iter()
            .map(|r| {
                let completed: i16 = r.try_get("completed")?;
                Ok(TrainingParticipant { id: r.try_get("id")?, unit_id: r.try_get("unit_id")?, unit_name: r.try_get("unit_name")?, name: r.try_get("name")?, position: r.try_get("position")?, completed: completed != 0 })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((c, people))
    }

    /// Each campaign's participants in scope and those who completed: one query.
    async fn count_participants(&self, list: &mut [Campaign]) -> Result<()> {
        if list.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = list.iter().map(|c| c.id.as_str()).collect();
        let mut sql = Sql::new("SELECT p.campaign_id, COUNT(*) AS n, SUM(CASE WHEN p.completed = 1 THEN 1 ELSE 0 END) AS done FROM training_participants p WHERE p.campaign_id IN ");
        sql.push("(").text_list(&ids).push(")");
        self.restrict_ids(&mut sql, "p", "training_participants", &["unit_id"]);
        sql.push(" GROUP BY p.campaign_id");
        let mut counts: HashMap<String, (i64, i64)> = HashMap::new();
        for r in sql.query().all(self).await? {
            counts.insert(r.try_get("campaign_id")?, (r.try_get("n")?, crate::sql::sum_i64(&r, "done")?));
        }
        for c in list.iter_mut() {
            (c.participants, c.completed) = counts.remove(&c.id).unwrap_or_default();
        }
        Ok(())
    }

    /// Adds people of a unit in scope to a campaign in scope, in one transaction and
    /// one audit entry naming them; the number added.
    pub async fn add_participants(&self, campaign_id: &str, f: &ParticipantsFields) -> Result<usize> {
        if !may_record(self.principal.role) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let (c, _) = r.campaign(campaign_id).await?;
        let unit = r.unit(&f.unit_id).await?;
        for p in &f.people {
            sqlx::query("INSERT INTO training_participants (id, campaign_id, unit_id, name, position, completed, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(new_id())
                .bind(c.id.clone())
                .bind(unit.id.clone())
                .bind(p.name.clone())
                .bind(p.position.clone())
                .bind(i16::from(f.completed))
                .bind(self.principal.username.clone())
                .bind(tx.at().to_string())
                .run(&tx)
                .await?;
        }
        tx.record("participants", "training_campaign", &c.id, (&unit.id, &unit.path), None::<&()>, Some(f)).await?;
        tx.commit().await?;
        Ok(f.people.len())
    }

    /// Removes a participant entered by mistake (their unit in scope), audited with
    /// what the line said.
    pub async fn remove_participant(&self, campaign_id: &str, participant_id: &str) -> Result<()> {
        if !may_record(self.principal.role) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let (c, people) = r.campaign(campaign_id).await?;
        let p = people.into_iter().find(|p| p.id == participant_id).ok_or(StoreError::NotFound)?;
        let unit = r.unit(&p.unit_id).await?;
        let n = sqlx::query("DELETE FROM training_participants WHERE id = $1 AND campaign_id = $2").bind(p.id.clone()).bind(c.id.clone()).run(&tx).await?;
        if n != 1 {
            return Err(StoreError::NotFound);
        }
        tx.record("remove_participant", "training_campaign", &c.id, (&unit.id, &unit.path), Some(&p), None::<&()>).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every active unit in scope and how many of its people completed a campaign that
    /// ended in `year`, in tree order.
    pub async fn trained_in(&self, year: i32) -> Result<Vec<UnitTrained>> {
        let mut sql = Sql::new("SELECT p.unit_id, COUNT(*) AS n FROM training_participants p JOIN training_campaigns c ON c.id = p.campaign_id WHERE p.completed = 1 AND c.held_to >= ");
        sql.text(format!("{year}-01-01")).push(" AND c.held_to <= ").text(format!("{year}-12-31"));
        self.restrict_ids(&mut sql, "p", "training_participants", &["unit_id"]);
        sql.push(" GROUP BY p.unit_id");
        let mut counts: HashMap<String, i64> = HashMap::new();
        for r in sql.query().all(self).await? {
            counts.insert(r.try_get("unit_id")?, r.try_get("n")?);
        }
        Ok(self.units(false).await?.into_iter().map(|u| UnitTrained { completed: counts.remove(&u.id).unwrap_or(0), unit_id: u.id, unit_name: u.fields.name }).collect())
    }
}
