//! The 4-layer model (mô hình bảo vệ 4 lớp; issue 12 item 4): for each system, whether
//! each layer — on-site force, professional monitoring and protection, independent
//! periodic inspection, connection to the national monitoring centre — is in place, who
//! provides it and since when. The layers, their legal basis and the level from which
//! all four are asked are data (data/regimes/protection-layers.toml).

use std::collections::BTreeMap;

use serde::Deserialize;
use time::Date;

use crate::error::{Invalid, date_field, optional_text};

pub const EMBEDDED_MODEL: &str = include_str!("../../../data/regimes/protection-layers.toml");

/// How far a layer is: in place (for the NCSC layer: connected), being set up, or not.
pub const STATES: [&str; 3] = ["in_place", "in_progress", "absent"];
pub const IN_PLACE: &str = "in_place";

/// Who provides a layer: the unit itself, or an organisation it hired.
pub const ARRANGEMENTS: [&str; 2] = ["in_house", "hired"];

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub id: String,
    pub title: String,
    pub hint: String,
    pub basis: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Operating systems at this level or above owe every layer.
    pub required_from_level: u8,
    #[serde(rename = "layer")]
    pub layers: Vec<Layer>,
}

impl Model {
    pub fn parse(text: &str) -> Result<Model, String> {
        let m: Model = toml::from_str(text).map_err(|e| e.to_string())?;
        if m.layers.is_empty() {
            return Err("no layer".into());
        }
        if !(1..=5).contains(&m.required_from_level) {
            return Err(format!("required_from_level {} is not a level (1–5)", m.required_from_level));
        }
        for (i, l) in m.layers.iter().enumerate() {
            let ok_id = !l.id.is_empty() && l.id.len() <= 40 && l.id.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if !ok_id {
                return Err(format!("layer id {:?}: lowercase letters and _ only", l.id));
            }
            if m.layers[..i].iter().any(|o| o.id == l.id) {
                return Err(format!("layer {} appears twice", l.id));
            }
        }
        Ok(m)
    }

    pub fn embedded() -> Result<Model, String> {
        Model::parse(EMBEDDED_MODEL)
    }

    pub fn layer(&self, id: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.id == id)
    }

    /// Whether a system at `level` (approved, else proposed; none when never assessed)
    /// owes every layer. A system with no level yet is not asked: its level comes first.
    pub fn required_for(&self, level: Option<u8>) -> bool {
        level.is_some_and(|l| l >= self.required_from_level)
    }

    /// The layers not in place, in the model's order, given each recorded layer's state.
    pub fn missing<'a>(&'a self, states: &BTreeMap<String, String>) -> Vec<&'a Layer> {
        self.layers.iter().filter(|l| states.get(&l.id).map(String::as_str) != Some(IN_PLACE)).collect()
    }
}

/// One layer's form, as sent.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct LayerInput {
    pub state: String,
    pub arrangement: String,
    /// The organisation providing the layer (required when hired).
    pub provider: String,
    /// The contract, decision or connection document it rests on.
    pub contract: String,
    /// dd/mm/yyyy: in place or connected since.
    pub since: String,
    pub note: String,
    /// The record's version the form was opened on ("0" when there was none): a
    /// concurrent edit makes the later save a conflict instead of an overwrite.
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LayerFields {
    pub state: &'static str,
    pub arrangement: Option<&'static str>,
    pub provider: Option<String>,
    pub contract: Option<String>,
    pub since: Option<Date>,
    pub note: Option<String>,
    #[serde(skip)]
    pub seen_version: i64,
}

impl LayerInput {
    /// A layer not in place says nothing about who provides it; one that is (or is being
    /// set up) says whether in-house or hired, and a hired one names its provider.
    pub fn validate(&self, today: Date) -> Result<LayerFields, Invalid> {
        let mut e = Invalid::default();
        let state = STATES.iter().copied().find(|s| *s == self.state.trim());
        if state.is_none() {
            e.push("state", "protection.err_state", "");
        }
        let absent = state == Some("absent");
        let arrangement = ARRANGEMENTS.iter().copied().find(|a| *a == self.arrangement.trim());
        if !absent && state.is_some() && arrangement.is_none() {
            e.push("arrangement", "protection.err_arrangement", "");
        }
        let provider = optional_text(&mut e, "provider", &self.provider, 300);
        if !absent && arrangement == Some("hired") && provider.is_none() {
            e.push("provider", "protection.err_provider", "");
        }
        let contract = optional_text(&mut e, "contract", &self.contract, 200);
        let since = date_field(&mut e, "since", &self.since, false);
        if let Some(d) = since
            && d > today
        {
            e.push("since", "err.date_future", crate::time_fmt::format_date(today));
        }
        let note = optional_text(&mut e, "note", &self.note, 2_000);
        let seen_version = match self.version.trim() {
            "" => 0,
            v => v.parse::<i64>().ok().filter(|n| *n >= 0).unwrap_or(-1),
        };
        if seen_version < 0 {
            e.push("state", "protection.err_version", "");
        }
        let Some(state) = state else {
            return Err(e);
        };
        e.into_result(if absent {
            LayerFields { state, arrangement: None, provider: None, contract: None, since: None, note, seen_version }
        } else {
            LayerFields { state, arrangement, provider: if arrangement == Some("hired") { provider } else { None }, contract, since, note, seen_version }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::from_calendar_date(2026, time::Month::December, 3).unwrap()
    }

    fn input(state: &str, arrangement: &str, provider: &str) -> LayerInput {
        LayerInput { state: state.into(), arrangement: arrangement.into(), provider: provider.into(), ..Default::default() }
    }

    #[test]
    fn the_shipped_model_has_the_four_layers_and_asks_them_from_level_three() {
        let m = Model::embedded().unwrap();
        let ids: Vec<&str> = m.layers.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["onsite", "monitoring", "inspection", "ncsc"]);
        assert!(m.layers.iter().all(|l| l.basis.contains("14/CT-TTg") || l.basis.contains("85/2016")));
        assert!(!m.required_for(None));
        assert!(!m.required_for(Some(2)));
        assert!(m.required_for(Some(3)) && m.required_for(Some(5)));
    }

    #[test]
    fn a_model_with_a_repeated_or_odd_layer_is_refused() {
        let one = "required_from_level = 3\n[[layer]]\nid = \"onsite\"\ntitle = \"a\"\nhint = \"\"\nbasis = \"b\"\n";
        assert!(Model::parse(one).is_ok());
        assert!(Model::parse(&format!("{one}{}", &one[one.find("[[layer]]").unwrap()..])).unwrap_err().contains("twice"));
        assert!(Model::parse(&one.replace("\"onsite\"", "\"On site\"")).is_err());
        assert!(Model::parse(&one.replace("= 3", "= 7")).is_err());
        assert!(Model::parse("required_from_level = 3\nlayer = []\n").is_err());
    }

    #[test]
    fn missing_layers_are_those_not_in_place_in_the_models_order() {
        let m = Model::embedded().unwrap();
        let mut states = BTreeMap::new();
        states.insert("ncsc".to_string(), "in_progress".to_string());
        states.insert("onsite".to_string(), "in_place".to_string());
        let missing: Vec<&str> = m.missing(&states).iter().map(|l| l.id.as_str()).collect();
        assert_eq!(missing, ["monitoring", "inspection", "ncsc"]);
    }

    #[test]
    fn a_hired_layer_names_its_provider_and_an_absent_one_forgets_who() {
        let e = input("in_place", "hired", " ").validate(today()).unwrap_err();
        assert_eq!(e.errors.iter().map(|f| (f.field, f.key)).collect::<Vec<_>>(), [("provider", "protection.err_provider")]);
        let e = input("in_place", "", "").validate(today()).unwrap_err();
        assert_eq!(e.errors[0].key, "protection.err_arrangement");
        let e = input("done", "in_house", "").validate(today()).unwrap_err();
        assert_eq!(e.errors[0].key, "protection.err_state");
        let f = input("absent", "hired", "VNPT").validate(today()).unwrap();
        assert_eq!((f.arrangement, f.provider), (None, None));
        let f = input("in_place", "in_house", "ignored").validate(today()).unwrap();
        assert_eq!((f.arrangement, f.provider), (Some("in_house"), None));
        let f = input("in_progress", "hired", " Công ty ABC ").validate(today()).unwrap();
        assert_eq!(f.provider.as_deref(), Some("Công ty ABC"));
    }

    #[test]
    fn since_is_not_in_the_future_and_the_version_is_a_count() {
        let mut i = input("in_place", "in_house", "");
        i.since = "04/12/2026".into();
        assert_eq!(i.validate(today()).unwrap_err().errors[0].key, "err.date_future");
        i.since = "03/12/2026".into();
        i.version = "2".into();
        let f = i.validate(today()).unwrap();
        assert_eq!((f.since, f.seen_version), (Some(today()), 2));
        i.version = "x".into();
        assert_eq!(i.validate(today()).unwrap_err().errors[0].key, "protection.err_version");
    }
}
