//! The 4-layer model per system (issue 12 item 4): one record per system and layer.
//! A layer is written by those who maintain the system's records, inside its
//! transaction and conditionally on the version the form was opened on; every save is
//! audited with what the layer said before.

use std::collections::{BTreeMap, HashMap};

use khien_domain::Role;
use khien_domain::protection::{IN_PLACE, LayerFields, Model};
use khien_domain::time_fmt::iso_date;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::Scoped;
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::{Arg, Sql, save_versioned};

/// One layer of one system as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LayerRecord {
    pub layer: String,
    /// `in_place`, `in_progress` or `absent`.
    pub state: String,
    /// `in_house` or `hired`; none when absent.
    pub arrangement: Option<String>,
    pub provider: Option<String>,
    pub contract: Option<String>,
    /// yyyy-mm-dd.
    pub since: Option<String>,
    pub note: Option<String>,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: String,
}

/// An operating system with its level and the layers recorded for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemLayers {
    pub system_id: String,
    pub name: String,
    pub unit_name: String,
    /// The approved dossier's level, else the latest determination's.
    pub level: Option<u8>,
    pub layers: BTreeMap<String, LayerRecord>,
}

impl SystemLayers {
    /// Each recorded layer's state, for [`Model::missing`].
    pub fn states(&self) -> BTreeMap<String, String> {
        self.layers.iter().map(|(k, v)| (k.clone(), v.state.clone())).collect()
    }
}

/// Which operating systems an overview lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayersFilter {
    /// Every operating system in scope, with or without a level.
    All,
    /// Those at the model's required level or above.
    Required,
    /// Those of them with a layer of the model not in place.
    RequiredMissing,
}

/// Who records layers: those who maintain the unit's systems.
pub fn may_record(role: Role) -> bool {
    role.can_edit_systems()
}

const LAYER_COLS: &str = "layer, state, arrangement, provider, contract, since, note, version, updated_by, updated_at";

fn layer_record(r: &AnyRow) -> Result<LayerRecord> {
    Ok(LayerRecord {
        layer: r.try_get("layer")?,
        state: r.try_get("state")?,
        arrangement: r.try_get("arrangement")?,
        provider: r.try_get("provider")?,
        contract: r.try_get("contract")?,
        since: r.try_get("since")?,
        note: r.try_get("note")?,
        version: r.try_get("version")?,
        updated_by: r.try_get("updated_by")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Scoped<'_> {
    /// A system in scope (whatever its status) with its level and recorded layers.
    pub async fn protection_of(&self, system_id: &str) -> Result<SystemLayers> {
        let s = self.system(system_id).await?;
        let (unit_name, level) = self.system_unit_and_level(&s.id).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {LAYER_COLS} FROM protection_layers WHERE system_id = $1"))).bind(s.id.clone()).all(self).await?;
        let layers = rows.iter().map(|r| layer_record(r).map(|l| (l.layer.clone(), l))).collect::<Result<_>>()?;
        Ok(SystemLayers { unit_name, level, name: s.fields.name, system_id: s.id, layers })
    }

    /// Saves one layer of a system in scope. Refused as stale when the layer changed
    /// since the form read version `f.seen_version` (0: it did not exist yet).
    pub async fn set_protection_layer(&self, model: &Model, system_id: &str, layer: &str, f: &LayerFields) -> Result<()> {
        let layer = model.layer(layer).ok_or(StoreError::NotFound)?.id.clone();
        let (mut tx, s, owner) = self.write_on_system(system_id).await?;
        let r = self.within(&tx);
        let before = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {LAYER_COLS} FROM protection_layers WHERE system_id = $1 AND layer = $2")))
            .bind(s.id.clone())
            .bind(layer.clone())
            .opt(&r)
            .await?
            .map(|row| layer_record(&row))
            .transpose()?;
        let stale = StoreError::Conflict("protection.err_stale");
        if before.as_ref().map_or(0, |b| b.version) != f.seen_version {
            return Err(stale);
        }
        let since = f.since.map(iso_date);
        let changed = save_versioned(
            &tx,
            "protection_layers",
            &[("system_id", Arg::Text(s.id.clone())), ("layer", Arg::Text(layer.clone()))],
            &[
                ("state", Arg::Text(f.state.to_string())),
                ("arrangement", Arg::OptText(f.arrangement.map(str::to_string))),
                ("provider", Arg::OptText(f.provider.clone())),
                ("contract", Arg::OptText(f.contract.clone())),
                ("since", Arg::OptText(since.clone())),
                ("note", Arg::OptText(f.note.clone())),
            ],
            f.seen_version,
            &self.principal.username,
            tx.at(),
        )
        .await?;
        if changed != 1 {
            return Err(stale);
        }
        let after = serde_json::json!({ "layer": layer, "state": f.state, "arrangement": f.arrangement, "provider": f.provider, "contract": f.contract, "since": since, "note": f.note });
        tx.record("update", "protection_layer", &format!("{}/{layer}", s.id), (&owner.id, &owner.path), before.as_ref(), Some(&after)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Operating systems in scope as `filter` picks them, by name (at most `limit`),
    /// with the number that match and each one's layers.
    pub async fn protection_overview(&self, model: &Model, filter: LayersFilter, limit: i64) -> Result<(i64, Vec<SystemLayers>)> {
        // The count and the page share one WHERE clause, built once per query (the
        // placeholders are numbered in order).
        let build = |head: &str| {
            let from = (filter != LayersFilter::All).then_some(model.required_from_level);
            let mut q = self.operating_systems_with_level(head, from);
            if filter == LayersFilter::RequiredMissing {
                q.push(" AND (SELECT COUNT(*) FROM protection_layers p WHERE p.system_id = x.id AND p.state = ").text(IN_PLACE).push(" AND p.layer IN (");
                let ids: Vec<&str> = model.layers.iter().map(|l| l.id.as_str()).collect();
                q.text_list(&ids).push(")) < ").int(i64::try_from(model.layers.len()).unwrap_or(i64::MAX));
            }
            q
        };
        let n: i64 = build("SELECT COUNT(*) AS n").query().one(self).await?.try_get("n")?;
        let mut list = build("SELECT x.id, x.name, x.unit_name, x.level");
        list.push(" ORDER BY x.name_norm, x.id LIMIT ").int(limit.clamp(1, 2_000));
        let rows = list.query().all(self).await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut index = HashMap::new();
        for r in &rows {
            let level = crate::systems::level_of(r.try_get("level")?);
            let id: String = r.try_get("id")?;
            index.insert(id.clone(), out.len());
            out.push(SystemLayers { system_id: id, name: r.try_get("name")?, unit_name: r.try_get("unit_name")?, level, layers: BTreeMap::new() });
        }
        if !out.is_empty() {
            let ids: Vec<&str> = out.iter().map(|s| s.system_id.as_str()).collect();
            let mut sql = Sql::new(&format!("SELECT system_id, {LAYER_COLS} FROM protection_layers WHERE system_id IN ("));
            sql.text_list(&ids).push(")");
            for r in sql.query().all(self).await? {
                let sid: String = r.try_get("system_id")?;
                if let Some(&i) = index.get(&sid) {
                    let l = layer_record(&r)?;
                    out[i].layers.insert(l.layer.clone(), l);
                }
            }
        }
        Ok((n, out))
    }
}
