//! Budget lines and the security share (issue 12 item 4): every IT or
//! digital-transformation plan, programme or project puts a minimum share of its budget
//! into network information security — 10% under Directive 14/CT-TTg (2019), 15% under
//! Law 116/2025 Art 38.1 from 01/07/2026. The thresholds are data
//! (data/regimes/budget-share.toml); the one that binds a line is the latest in force on
//! the day its plan or project was approved.

use serde::Deserialize;
use time::Date;

use crate::error::{Invalid, optional_text, past_date_field, required_text};

pub const EMBEDDED_THRESHOLDS: &str = include_str!("../../../data/regimes/budget-share.toml");

/// What a budget line is the budget of.
pub const KINDS: [&str; 4] = ["annual_plan", "five_year_plan", "programme", "project"];

/// The largest amount accepted, in đồng (a thousand trillion: beyond any provincial budget).
pub const AMOUNT_MAX: i64 = 1_000_000_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub min_percent: u8,
    #[serde(deserialize_with = "de_iso")]
    pub valid_from: Date,
    pub basis: String,
}

fn de_iso<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    let s = String::deserialize(d)?;
    crate::time_fmt::parse_iso_date(&s).ok_or_else(|| serde::de::Error::custom(format!("not a yyyy-mm-dd date: {s}")))
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    threshold: Vec<Threshold>,
}

/// The thresholds, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds(Vec<Threshold>);

impl Thresholds {
    pub fn parse(text: &str) -> Result<Thresholds, String> {
        let mut t = toml::from_str::<File>(text).map_err(|e| e.to_string())?.threshold;
        if t.is_empty() {
            return Err("no threshold".into());
        }
        if let Some(bad) = t.iter().find(|x| x.min_percent == 0 || x.min_percent > 100) {
            return Err(format!("min_percent {} is not a share (1–100)", bad.min_percent));
        }
        t.sort_by_key(|x| x.valid_from);
        if t.windows(2).any(|w| w[0].valid_from == w[1].valid_from) {
            return Err("two thresholds start the same day".into());
        }
        Ok(Thresholds(t))
    }

    pub fn embedded() -> Result<Thresholds, String> {
        Thresholds::parse(EMBEDDED_THRESHOLDS)
    }

    /// The threshold in force on `approved_on`; none before the first one existed.
    pub fn binding(&self, approved_on: Date) -> Option<&Threshold> {
        self.0.iter().rev().find(|t| t.valid_from <= approved_on)
    }
}

/// How a line stands against its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Share {
    /// At or above the minimum.
    Met,
    /// Below it by `shortfall` đồng.
    Short { shortfall: i64 },
    /// Approved before any threshold existed: nothing to check.
    NotBound,
}

/// The security share of `total` that `security` is, checked against the minimum
/// percentage: met when security × 100 ≥ total × percent (exact integers, no rounding);
/// the shortfall is what is missing, rounded up to the đồng.
pub fn check(total: i64, security: i64, min_percent: Option<u8>) -> Share {
    let Some(p) = min_percent else {
        return Share::NotBound;
    };
    let need = i128::from(total) * i128::from(p);
    let have = i128::from(security) * 100;
    if have >= need {
        Share::Met
    } else {
        let shortfall = (need - have + 99) / 100;
        Share::Short { shortfall: i64::try_from(shortfall).unwrap_or(i64::MAX) }
    }
}

/// The share in tenths of a percent (125 = 12.5%), rounded down: for display only.
pub fn per_mille(total: i64, security: i64) -> i64 {
    if total <= 0 {
        return 0;
    }
    i64::try_from(i128::from(security) * 1000 / i128::from(total)).unwrap_or(0)
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct BudgetInput {
    pub budget_kind: String,
    pub title: String,
    pub decision_no: String,
    /// dd/mm/yyyy: when the plan or project was approved.
    pub approved_on: String,
    /// đồng, digits with optional thousands separators.
    pub total: String,
    pub security: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetFields {
    pub kind: &'static str,
    pub title: String,
    pub decision_no: String,
    pub approved_on: Date,
    pub total: i64,
    pub security: i64,
    pub note: Option<String>,
}

/// An amount in đồng as people type it: "1.250.000.000", "1 250 000 000" or
/// "1250000000"; no decimals (a đồng is not divided).
fn amount(e: &mut Invalid, field: &'static str, raw: &str, positive: bool) -> Option<i64> {
    let v = raw.trim();
    if v.is_empty() {
        e.push(field, "err.required", "");
        return None;
    }
    let digits: String = v.chars().filter(|c| !matches!(c, '.' | ',' | ' ' | '\u{a0}')).collect();
    let n = if !digits.is_empty() && digits.len() <= 16 && digits.chars().all(|c| c.is_ascii_digit()) { digits.parse::<i64>().ok() } else { None };
    match n {
        Some(n) if n <= AMOUNT_MAX && (n > 0 || !positive) => Some(n),
        _ => {
            e.push(field, "budget.err_amount", v.to_string());
            None
        }
    }
}

impl BudgetInput {
    pub fn validate(&self, today: Date) -> Result<BudgetFields, Invalid> {
        let mut e = Invalid::default();
        let kind = KINDS.iter().copied().find(|k| *k == self.budget_kind.trim());
        if kind.is_none() {
            e.push("budget_kind", "budget.err_kind", "");
        }
        let title = required_text(&mut e, "title", &self.title, 300);
        let decision_no = required_text(&mut e, "decision_no", &self.decision_no, 100);
        let approved_on = past_date_field(&mut e, "approved_on", &self.approved_on, today);
        let total = amount(&mut e, "total", &self.total, true);
        let security = amount(&mut e, "security", &self.security, false);
        if let (Some(t), Some(s)) = (total, security)
            && s > t
        {
            e.push("security", "budget.err_more_than_total", "");
        }
        let note = optional_text(&mut e, "note", &self.note, 2000);
        match (kind, approved_on, total, security) {
            (Some(kind), Some(approved_on), Some(total), Some(security)) if e.is_empty() => Ok(BudgetFields { kind, title, decision_no, approved_on, total, security, note }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_threshold_is_the_one_in_force_when_the_plan_was_approved() {
        let t = Thresholds::embedded().unwrap();
        assert_eq!(t.binding(date!(2019 - 06 - 06)), None);
        assert_eq!(t.binding(date!(2019 - 06 - 07)).unwrap().min_percent, 10);
        assert_eq!(t.binding(date!(2026 - 06 - 30)).unwrap().min_percent, 10);
        assert_eq!(t.binding(date!(2026 - 07 - 01)).unwrap().min_percent, 15);
        assert!(t.binding(date!(2026 - 07 - 01)).unwrap().basis.contains("116/2025/QH15"));
    }

    #[test]
    fn the_share_is_checked_in_exact_integers() {
        // 15% of 1,000,000,001 is 150,000,000.15: 150,000,000 is short by one đồng.
        assert_eq!(check(1_000_000_001, 150_000_000, Some(15)), Share::Short { shortfall: 1 });
        assert_eq!(check(1_000_000_001, 150_000_001, Some(15)), Share::Met);
        assert_eq!(check(2_000_000_000, 200_000_000, Some(10)), Share::Met);
        assert_eq!(check(2_000_000_000, 200_000_000, Some(15)), Share::Short { shortfall: 100_000_000 });
        assert_eq!(check(AMOUNT_MAX, 0, Some(15)), Share::Short { shortfall: AMOUNT_MAX / 100 * 15 });
        assert_eq!(check(5, 0, None), Share::NotBound);
        assert_eq!(per_mille(2_000_000_000, 250_000_000), 125);
    }

    #[test]
    fn amounts_are_read_as_people_type_them_and_bad_ones_named() {
        let today = date!(2026 - 12 - 02);
        let ok = BudgetInput { budget_kind: "project".into(), title: "Nâng cấp cổng dịch vụ công".into(), decision_no: "12/QĐ-UBND".into(), approved_on: "01/08/2026".into(), total: "1.250.000.000".into(), security: "187 500 000".into(), note: String::new() };
        let f = ok.validate(today).unwrap();
        assert_eq!((f.total, f.security), (1_250_000_000, 187_500_000));
        let bad = BudgetInput { total: "1,5 tỷ".into(), security: "-5".into(), approved_on: "03/12/2026".into(), ..ok.clone() }.validate(today).unwrap_err();
        let fields: Vec<&str> = bad.errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["approved_on", "total", "security"]);
        let over = BudgetInput { security: "2.000.000.000".into(), ..ok }.validate(today).unwrap_err();
        assert_eq!(over.errors[0].key, "budget.err_more_than_total");
        let bad = Thresholds::parse(&EMBEDDED_THRESHOLDS.replace("min_percent = 15", "min_percent = 0")).unwrap_err();
        assert!(bad.contains("not a share"), "{bad}");
    }
}
