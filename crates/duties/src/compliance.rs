//! The compliance index: one score per unit from the obligations it meets, with the
//! weights in `data/compliance/weights.toml`. The score decomposes into its lines (each
//! obligation's weight and whether it counted as met, missed or not counted), so a
//! ranking can always show why a unit stands where it does.
//!
//! What counts: an obligation is *met* when done or when its current due date is still
//! ahead; *missed* when overdue or never done; *not counted* when the platform cannot
//! tell (its rule reads facts nobody records). A unit none of whose obligations can be
//! told has no score (`None`), not 0 and not 100.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::DutyError;

/// How one obligation line stands for the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Standing {
    Met,
    Missed,
    NotCounted,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Met => "met",
            Standing::Missed => "missed",
            Standing::NotCounted => "not_counted",
        }
    }
}

/// Weights per obligation id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub default_weight: u32,
    #[serde(default)]
    pub weights: BTreeMap<String, u32>,
}

/// The embedded weights file.
const EMBEDDED: &str = include_str!("../../../data/compliance/weights.toml");

impl Weights {
    pub fn embedded() -> Result<Weights, DutyError> {
        Weights::parse(EMBEDDED, "data/compliance/weights.toml")
    }

    /// Parses a weights file; `origin` names it in errors. A weight above 100 is
    /// refused (a typo would let one duty decide every rank).
    pub fn parse(text: &str, origin: &str) -> Result<Weights, DutyError> {
        let data = |message: String| DutyError::Data { file: origin.to_string(), message };
        let w: Weights = toml::from_str(text).map_err(|e| data(e.to_string()))?;
        if let Some((id, v)) = std::iter::once(("default_weight", &w.default_weight))
            .chain(w.weights.iter().map(|(k, v)| (k.as_str(), v)))
            .find(|(_, v)| **v > 100)
        {
            return Err(data(format!("weight of {id} is {v}, above 100")));
        }
        Ok(w)
    }

    /// Every obligation weighs 1.
    pub fn uniform() -> Weights {
        Weights { default_weight: 1, weights: BTreeMap::new() }
    }

    pub fn of(&self, obligation: &str) -> u32 {
        self.weights.get(obligation).copied().unwrap_or(self.default_weight)
    }
}

/// One line of a score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreLine {
    pub obligation: String,
    /// The system it is of, or none for the unit itself.
    pub system_id: Option<String>,
    pub standing: Standing,
    pub weight: u32,
}

/// A unit's score and what it is made of.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnitScore {
    /// Score in tenths of a percent (0–1000), none when nothing could be counted.
    pub permille: Option<u32>,
    /// Weight met and weight counted.
    pub met: u32,
    pub counted: u32,
    /// Lines met, missed and not counted.
    pub lines_met: usize,
    pub lines_missed: usize,
    pub lines_not_counted: usize,
    pub lines: Vec<ScoreLine>,
}

impl UnitScore {
    /// "87,5" (Vietnamese decimal comma), or none.
    pub fn percent_text(&self) -> Option<String> {
        self.permille.map(|p| format!("{},{}", p / 10, p % 10))
    }
}

/// Scores the lines: `(obligation, system, standing)`.
pub fn score<I>(lines: I, weights: &Weights) -> UnitScore
where
    I: IntoIterator<Item = (String, Option<String>, Standing)>,
{
    let mut s = UnitScore::default();
    for (obligation, system_id, standing) in lines {
        let weight = weights.of(&obligation);
        match standing {
            Standing::Met => {
                s.met += weight;
                s.counted += weight;
                s.lines_met += 1;
            }
            Standing::Missed => {
                s.counted += weight;
                s.lines_missed += 1;
            }
            Standing::NotCounted => s.lines_not_counted += 1,
        }
        s.lines.push(ScoreLine { obligation, system_id, standing, weight });
    }
    // Rounded half up, in integers: the same lines give the same score on every machine.
    s.permille = (s.counted > 0).then(|| ((u64::from(s.met) * 2000 + u64::from(s.counted)) / (2 * u64::from(s.counted))) as u32);
    s
}

/// Ranks scored units: highest score first, a unit without a score last, ties by the
/// given order (the caller passes units by name). Returns each unit's rank (1-based;
/// equal scores share a rank, "1, 2, 2, 4"), none for a unit without a score.
pub fn ranks(scores: &[Option<u32>]) -> (Vec<usize>, Vec<Option<usize>>) {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| match (scores[a], scores[b]) {
        (Some(x), Some(y)) => y.cmp(&x).then(a.cmp(&b)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(&b),
    });
    let mut rank = vec![None; scores.len()];
    let mut prev: Option<(u32, usize)> = None;
    for (pos, &i) in order.iter().enumerate() {
        if let Some(s) = scores[i] {
            let r = match prev {
                Some((p, r)) if p == s => r,
                _ => pos + 1,
            };
            rank[i] = Some(r);
            prev = Some((s, r));
        }
    }
    (order, rank)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn w() -> Weights {
        Weights::embedded().unwrap()
    }

    #[test]
    fn a_score_is_the_weight_met_over_the_weight_counted() {
        let lines = vec![
            ("scan".to_string(), Some("s1".to_string()), Standing::Met),
            ("hunt".to_string(), Some("s1".to_string()), Standing::Missed),
            ("drill".to_string(), Some("s1".to_string()), Standing::NotCounted),
            ("quarterly_report".to_string(), None, Standing::Met),
        ];
        let s = score(lines, &w());
        // met 3 + 1 = 4 of counted 3 + 3 + 1 = 7: 571.4 ‰ → 571.
        assert_eq!((s.met, s.counted), (4, 7));
        assert_eq!(s.permille, Some(571));
        assert_eq!(s.percent_text().as_deref(), Some("57,1"));
        assert_eq!((s.lines_met, s.lines_missed, s.lines_not_counted), (2, 1, 1));
        assert_eq!(s.lines.iter().map(|l| l.weight).sum::<u32>(), 3 + 3 + 2 + 1);
    }

    #[test]
    fn nothing_counted_is_no_score_not_zero() {
        let s = score(vec![("drill".to_string(), None, Standing::NotCounted)], &w());
        assert_eq!(s.permille, None);
        assert_eq!(score(Vec::new(), &w()).permille, None);
    }

    #[test]
    fn an_unknown_obligation_weighs_the_default_and_a_wild_weight_is_refused() {
        assert_eq!(w().of("budget_share"), 1);
        assert!(Weights::parse("default_weight = 1\n[weights]\nscan = 500\n", "t").is_err());
        assert!(Weights::parse("default_weight = 1\nunknown = 2\n", "t").is_err());
    }

    #[test]
    fn equal_scores_share_a_rank_and_unscored_units_come_last() {
        let (order, rank) = ranks(&[Some(500), None, Some(900), Some(500), Some(100)]);
        assert_eq!(order, vec![2, 0, 3, 4, 1]);
        assert_eq!(rank, vec![Some(2), None, Some(1), Some(2), Some(4)]);
    }
}
