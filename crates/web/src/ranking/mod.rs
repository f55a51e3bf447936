//! The compliance index and ranking (issue 12 item 5): a score per unit from the
//! obligations it meets (`khien_duties::compliance`, weights in
//! `data/compliance/weights.toml`), the ranking of the units in scope with the trend
//! over the last quarters (`compliance_scores`, written by the daily sweep), a
//! drill-down from each score to the obligations behind it, and the printable league
//! table (DOCX).
//!
//! Its routes are registered here, its templates live in `templates/ranking/` and its
//! strings in `i18n/<lang>/ranking.txt`.

mod pages;

use khien_duties::compliance::{UnitScore, ranks};
use time::Date;

use crate::AppState;
use crate::auth::{Access, Auth};
use crate::auth::roles::AnyRole;
use crate::error::AppResult;
use crate::obligations::DutyContext;
use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    let any = AnyRole::NAMES;
    Routes::default()
        .get("/ranking", any, Tenancy::Unit, pages::ranking)
        .get("/ranking.docx", any, Tenancy::Unit, pages::league_docx)
        .get("/ranking/{id}", any, Tenancy::Unit, pages::unit)
}

/// The quarter a day is in, as stored: `2026-Q4`.
pub(crate) fn quarter_of(d: Date) -> String {
    format!("{}-Q{}", d.year(), (u8::from(d.month()) - 1) / 3 + 1)
}

/// The `n` quarters before the one `d` is in, oldest first.
pub(crate) fn quarters_before(d: Date, n: usize) -> Vec<String> {
    let (mut y, mut q) = (d.year(), (u8::from(d.month()) - 1) / 3 + 1);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        if q == 1 {
            y -= 1;
            q = 4;
        } else {
            q -= 1;
        }
        out.push(format!("{y}-Q{q}"));
    }
    out.reverse();
    out
}

/// "Quý IV/2026" from `2026-Q4`.
pub(crate) fn quarter_label(q: &str) -> String {
    let Some((y, n)) = q.split_once("-Q") else { return q.to_string() };
    let roman = match n {
        "1" => "I",
        "2" => "II",
        "3" => "III",
        _ => "IV",
    };
    format!("Quý {roman}/{y}")
}

/// Quarters of history the ranking shows.
const HISTORY: usize = 4;
/// Units scored at most in one ranking (pages of 200 facts); the page says when more.
const MAX_UNITS: usize = 20_000;
const FACTS_PAGE: i64 = 200;

/// One unit of the ranking.
pub(crate) struct RankRow {
    pub unit_id: String,
    pub name: String,
    pub score: UnitScore,
    /// None: no score (nothing counted, or its obligations could not be computed).
    pub rank: Option<usize>,
    /// Scores of the quarters in [`Ranking::quarters`], oldest first.
    pub history: Vec<Option<u32>>,
    /// The obligations could not be computed (a year missing from the calendar).
    pub failed: bool,
}

pub(crate) struct Ranking {
    /// Ranked order (best first; units without a score last).
    pub rows: Vec<RankRow>,
    pub quarters: Vec<String>,
    pub current: String,
    pub today: Date,
    /// More units were in scope than were scored.
    pub capped: bool,
}

/// Scores every unit in the viewer's scope today and ranks them.
pub(crate) async fn compute(state: &AppState, auth: &Auth<AnyRole>) -> AppResult<Ranking> {
    let today = state.store.today_vn();
    let ctx = DutyContext::new(state.config.obligation_rules.as_deref(), &state.config.obligations_province, today)?;
    let scoped = auth.scoped(state);
    let weights = state.config.compliance_weights.as_ref();
    let mut rows = Vec::new();
    let mut after = String::new();
    let mut capped = false;
    loop {
        let (units, next) = scoped.duty_facts_page(&after, FACTS_PAGE).await?;
        for u in units {
            let (score, failed) = match ctx.score(&u, weights) {
                Some((s, _)) => (s, false),
                None => (UnitScore::default(), true),
            };
            rows.push(RankRow { unit_id: u.unit_id, name: u.name, score, rank: None, history: Vec::new(), failed });
        }
        match next {
            Some(n) if rows.len() < MAX_UNITS => after = n,
            Some(_) => {
                capped = true;
                break;
            }
            None => break,
        }
    }
    // Ties (and the order of units without a score) by name.
    rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.unit_id.cmp(&b.unit_id)));
    let scores: Vec<Option<u32>> = rows.iter().map(|r| r.score.permille).collect();
    let (order, rank) = ranks(&scores);
    for (r, k) in rows.iter_mut().zip(rank) {
        r.rank = k;
    }
    let mut slots: Vec<Option<RankRow>> = rows.into_iter().map(Some).collect();
    let mut rows: Vec<RankRow> = order.into_iter().filter_map(|i| slots[i].take()).collect();
    let quarters = quarters_before(today, HISTORY);
    let ids: Vec<String> = rows.iter().map(|r| r.unit_id.clone()).collect();
    let history = scoped.compliance_history(&ids, &quarters).await?;
    for r in &mut rows {
        let h = history.get(&r.unit_id);
        r.history = quarters.iter().map(|q| h.and_then(|m| m.get(q).copied().flatten())).collect();
    }
    Ok(Ranking { rows, quarters, current: quarter_of(today), today, capped })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_are_counted_back_across_a_year() {
        let d = time::macros::date!(2026 - 02 - 10);
        assert_eq!(quarter_of(d), "2026-Q1");
        assert_eq!(quarters_before(d, 4), vec!["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]);
        assert_eq!(quarter_of(time::macros::date!(2026 - 12 - 31)), "2026-Q4");
        assert_eq!(quarter_label("2026-Q3"), "Quý III/2026");
    }
}
