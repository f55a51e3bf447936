//! The level determination engine: evaluate a regime's criteria against an input.
//!
//! Rules (documented in docs/level-input.md):
//! - a system takes the highest level of any criterion it meets (Decree 85 Art 7–11,
//!   Decree 331 Art 8.2);
//! - a system made of components takes the highest level of itself and its components
//!   (Decree 85 Art 5; Decree 331 Art 8);
//! - a system that meets no criterion gets the regime's fallback rule;
//! - the appraiser and approver follow the final level.

use serde::Serialize;

use crate::error::LevelError;
use crate::input::LevelInput;
use crate::regime::{Criterion, Evaluation, Regime, load_regime};
use crate::roles::Role;

/// A criterion that fired, as reported to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FiredCriterion {
    /// Criterion id within the regime (e.g. "9.2.c"; fallback rules start with "fallback").
    #[serde(skip)]
    pub id: String,
    pub article: String,
    pub text: String,
}

/// The result of classifying one system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Determination {
    pub regime: String,
    pub level: u8,
    /// Every criterion that fired at `level`, across the system and its components.
    pub criteria: Vec<FiredCriterion>,
    pub appraiser: Role,
    pub approver: Role,
    /// Who gives an expert opinion before appraisal (levels 4–5).
    pub expert_opinion: Option<Role>,
    /// Who approves the security plan when that is not the approver (level 5: the owner).
    pub plan_approver: Option<Role>,
    /// True if the level came only from the fallback rule (no legal criterion matched).
    pub fallback: bool,
}

#[derive(Serialize)]
struct Output<'a> {
    regime: &'a str,
    level: u8,
    criteria: &'a [FiredCriterion],
    appraiser: Role,
    approver: Role,
}

impl Determination {
    /// The CLI / API JSON object.
    pub fn to_json(&self) -> Result<String, LevelError> {
        let out = Output {
            regime: &self.regime,
            level: self.level,
            criteria: &self.criteria,
            appraiser: self.appraiser,
            approver: self.approver,
        };
        serde_json::to_string_pretty(&out).map_err(|e| LevelError::InvalidInput(e.to_string()))
    }
}

/// Level and the criteria that produced it.
struct Partial<'r> {
    level: u8,
    criteria: Vec<&'r Criterion>,
}

impl<'r> Partial<'r> {
    fn add(&mut self, level: u8, criteria: Vec<&'r Criterion>) {
        if level > self.level {
            self.level = level;
            self.criteria.clear();
        }
        if level == self.level {
            for c in criteria {
                if !self.criteria.iter().any(|have| have.id == c.id) {
                    self.criteria.push(c);
                }
            }
        }
    }
}

fn matching<'r>(list: &'r [Criterion], input: &LevelInput) -> Vec<&'r Criterion> {
    list.iter()
        .filter(|c| c.evaluation == Evaluation::Automatic && c.when.matches(input))
        .collect()
}

fn evaluate<'r>(regime: &'r Regime, input: &LevelInput, acc: &mut Partial<'r>) {
    let mut own = matching(&regime.criteria, input);
    // A pure container (no type of its own, only components) contributes nothing itself.
    let container = input.system_type.is_none() && !input.components.is_empty();
    if own.is_empty() && !container {
        own = matching(&regime.fallback, input);
    }
    if let Some(top) = own.iter().map(|c| c.level).max() {
        acc.add(top, own.into_iter().filter(|c| c.level == top).collect());
    }
    for component in &input.components {
        evaluate(regime, component, acc);
    }
}

fn validate(input: &LevelInput, regime: &str, path: &str) -> Result<(), LevelError> {
    if input.online_public_service_level > 4 {
        return Err(LevelError::InvalidInput(format!(
            "{path}online_public_service_level must be 0–4, got {}",
            input.online_public_service_level
        )));
    }
    if let Some(r) = &input.regime
        && r != regime
    {
        return Err(LevelError::InvalidInput(format!(
            "{path}regime is `{r}` but the system is classified under `{regime}`; components follow the top-level regime"
        )));
    }
    for (i, c) in input.components.iter().enumerate() {
        validate(c, regime, &format!("{path}components[{i}]."))?;
    }
    Ok(())
}

/// Determine the level of a system under the regime named in `input.regime`.
pub fn classify(input: &LevelInput) -> Result<Determination, LevelError> {
    let regime_id = input.regime.as_deref().ok_or_else(|| {
        LevelError::InvalidInput("`regime` is required (nd85-2016 or nd331-2026)".into())
    })?;
    let regime = load_regime(regime_id)?;
    validate(input, regime_id, "")?;
    let mut acc = Partial {
        level: 0,
        criteria: Vec::new(),
    };
    evaluate(regime, input, &mut acc);
    if acc.level == 0 {
        return Err(LevelError::Data {
            file: format!("{regime_id}.toml"),
            message: "no criterion and no fallback rule matched".into(),
        });
    }
    let authority = regime
        .authority(acc.level)
        .ok_or_else(|| LevelError::Data {
            file: format!("{regime_id}.toml"),
            message: format!("no authority row for level {}", acc.level),
        })?;
    let fallback = acc.criteria.iter().all(|c| c.id.starts_with("fallback"));
    Ok(Determination {
        regime: regime.id.clone(),
        level: acc.level,
        criteria: acc
            .criteria
            .iter()
            .map(|c| FiredCriterion {
                id: c.id.clone(),
                article: c.article.clone(),
                text: c.text.clone(),
            })
            .collect(),
        appraiser: authority.appraiser,
        approver: authority.approver,
        expert_opinion: authority.expert_opinion,
        plan_approver: authority.plan_approver,
        fallback,
    })
}

/// Parse a JSON input, classify it and return the output JSON object (pretty-printed).
pub fn classify_json(text: &str) -> Result<String, LevelError> {
    let input: LevelInput =
        serde_json::from_str(text).map_err(|e| LevelError::InvalidInput(e.to_string()))?;
    classify(&input)?.to_json()
}
