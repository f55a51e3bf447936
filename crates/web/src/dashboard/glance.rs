//! The province at a glance (issue 12 item 6), as the home page and the leader's page
//! show it: the six months' duties as shares of the systems (levels approved, plans
//! implemented, scans, hunts), the counts that should be zero (serious findings past
//! due, incidents open, units late with their reports) and the ranking's head and tail.
//!
//! Every figure comes from where its capability counts it — the periodic reports'
//! figures, the province view's tally, the daily sweep's stored standings — so the
//! dashboards never disagree with the reports, the province view or the ranking. The
//! standings are the sweep's (computing every unit's obligations takes a national tree
//! about a second): the page says the day they are of.

use khien_store::compliance::Standings;
use khien_store::period_figures::PeriodFigures;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::AnyRole;
use crate::error::AppResult;
use crate::i18n::T;

/// A share of the systems that meet a duty, drawn as a meter.
pub struct Meter {
    pub id: &'static str,
    pub label: String,
    pub done: i64,
    pub of: i64,
    /// Percent, whole.
    pub pct: i64,
    pub href: String,
}

/// A count that should be zero.
pub struct Alarm {
    pub id: &'static str,
    pub label: String,
    pub value: i64,
    pub href: &'static str,
}

/// A unit at the head or the tail of the ranking.
pub struct RankLine {
    pub rank: usize,
    pub unit_id: String,
    pub name: String,
    /// "87,5".
    pub score: String,
    pub overdue: u32,
    pub overdue_reports: u32,
}

/// The ranking as the last sweep left it.
pub struct StandingView {
    /// The sweep's day, as written; none before the first sweep of the quarter.
    pub as_of: Option<String>,
    pub mean: Option<String>,
    pub scored: usize,
    pub units: usize,
    pub behind: usize,
    pub top: Vec<RankLine>,
    /// The lowest scores, lowest last; empty when they are all in `top`.
    pub bottom: Vec<RankLine>,
}

pub struct Glance {
    pub coverage: Vec<Meter>,
    pub alarms: Vec<Alarm>,
    pub standing: StandingView,
    /// The six months' figures the meters and alarms come from.
    pub figures: std::sync::Arc<PeriodFigures>,
}

/// "87,5" from tenths of a percent.
pub(crate) fn permille_text(p: u32) -> String {
    format!("{},{}", p / 10, p % 10)
}

fn meter(id: &'static str, label: String, done: i64, of: i64, href: &str) -> Meter {
    let done = done.min(of);
    Meter { id, label, done, of, pct: if of > 0 { done * 100 / of } else { 0 }, href: href.into() }
}

fn standing_view(s: &Standings, each_end: usize) -> StandingView {
    let line = |(i, u): (usize, &khien_store::compliance::UnitStanding)| RankLine {
        rank: i + 1,
        unit_id: u.unit_id.clone(),
        name: u.name.clone(),
        score: u.score_permille.map(permille_text).unwrap_or_default(),
        overdue: u.overdue_obligations,
        overdue_reports: u.overdue_reports,
    };
    // Ranks as the ranking gives them: equal scores share the better rank.
    let scored: Vec<_> = s.scored().collect();
    let mut ranked = Vec::with_capacity(scored.len());
    for (i, u) in scored.iter().enumerate() {
        let rank = if i > 0 && scored[i - 1].score_permille == u.score_permille { ranked.last().map(|(r, _)| *r).unwrap_or(i) } else { i };
        ranked.push((rank, *u));
    }
    let top: Vec<RankLine> = ranked.iter().take(each_end).map(|(r, u)| line((*r, u))).collect();
    let bottom: Vec<RankLine> = ranked.iter().skip(each_end.max(ranked.len().saturating_sub(each_end))).map(|(r, u)| line((*r, u))).collect();
    StandingView {
        as_of: s.as_of.map(khien_domain::time_fmt::format_date),
        mean: s.mean_permille().map(permille_text),
        scored: scored.len(),
        units: s.units.len(),
        behind: s.behind(),
        top,
        bottom,
    }
}

/// The viewer's scope at a glance; `each_end` units of the ranking's head and tail.
pub async fn glance(state: &AppState, auth: &Auth<AnyRole>, t: &T, each_end: usize) -> AppResult<Glance> {
    let today = state.store.today_vn();
    let scoped = auth.scoped(state);
    let figures = scoped.last_six_months(today).await?;
    let (plans_full, operating) = crate::levels::province::plans_implemented(state, auth).await?;
    let quarter = crate::ranking::quarter_of(today);
    let standings = if auth.principal.scope() == khien_domain::Scope::Province {
        state.store.cached(&format!("standings:{quarter}"), || scoped.compliance_standings(&quarter)).await?
    } else {
        std::sync::Arc::new(scoped.compliance_standings(&quarter).await?)
    };
    let f = &figures;
    let in_use = f.total("systems_in_use");
    let coverage = vec![
        meter("glance-approved", t.s("dash.glance_approved").into(), f.total("systems_approved"), in_use, "/systems?level=none"),
        meter("glance-plans", t.s("dash.glance_plans").into(), plans_full, operating, "/levels?sort=plan"),
        meter("glance-scanned", t.s("dash.glance_scanned").into(), f.total("systems_scanned"), in_use, "/obligations"),
        meter("glance-hunted", t.s("dash.glance_hunted").into(), f.total("systems_hunted"), in_use, "/obligations"),
    ];
    let alarms = vec![
        Alarm { id: "glance-overdue", label: t.s("dash.glance_overdue").into(), value: f.total("findings_open_overdue_serious"), href: "/findings?overdue=1" },
        Alarm { id: "glance-incidents", label: t.s("dash.glance_incidents").into(), value: f.total("incidents_open"), href: "/incidents" },
        Alarm {
            id: "glance-reports-late",
            label: t.s("dash.glance_reports_late").into(),
            value: i64::try_from(standings.behind_on_reports()).unwrap_or(i64::MAX),
            href: "/ranking",
        },
    ];
    Ok(Glance { coverage, alarms, standing: standing_view(&standings, each_end), figures })
}

#[cfg(test)]
mod tests {
    use super::*;
    use khien_store::compliance::UnitStanding;

    fn unit(name: &str, score: Option<u32>) -> UnitStanding {
        UnitStanding { unit_id: name.into(), name: name.into(), score_permille: score, overdue_obligations: 0, overdue_reports: 0 }
    }

    #[test]
    fn the_head_and_tail_do_not_repeat_a_unit_and_ties_share_a_rank() {
        let s = Standings {
            as_of: None,
            units: vec![unit("a", Some(900)), unit("b", Some(900)), unit("c", Some(700)), unit("d", Some(500)), unit("e", None)],
        };
        let v = standing_view(&s, 2);
        assert_eq!(v.top.iter().map(|l| (l.rank, l.name.as_str())).collect::<Vec<_>>(), vec![(1, "a"), (1, "b")]);
        assert_eq!(v.bottom.iter().map(|l| (l.rank, l.name.as_str())).collect::<Vec<_>>(), vec![(3, "c"), (4, "d")]);
        assert_eq!((v.scored, v.units, v.mean.as_deref()), (4, 5, Some("75,0")));
        // Fewer scored units than both ends: each shown once.
        let v = standing_view(&s, 3);
        assert_eq!(v.top.len() + v.bottom.len(), 4);
    }
}
