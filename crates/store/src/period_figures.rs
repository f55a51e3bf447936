//! The figures of a periodic report (issue 12 item 3), counted from live data for the
//! units in scope and one period: what happened in it (scans, hunts, findings,
//! incidents, drills, assessments, training, advisories) and what stands on the day the report is
//! made (systems in use, approved levels, findings open past their deadline): the
//! records keep no history of a system's status or a finding's, so a past period's
//! standing figures are today's, and the documents say so.
//!
//! Every figure is counted per unit, so a unit's report, the department's consolidated
//! table (one row per unit) and its total come from the same queries. A system's
//! figures belong to its owner; an import, a hunt, a drill or an assessment to the unit
//! that recorded it; an incident to the unit that reported it and each unit it
//! affected, so an incident's total is counted apart (one incident, several units).
//!
//! The report templates (`data/reports/`) name figures by the ids of [`METRICS`].

use std::collections::HashMap;

use khien_domain::time_fmt::{VIETNAM, iso_date, to_rfc3339};
use sqlx::Row;
use time::{Date, PrimitiveDateTime, Time};

use crate::Scoped;
use crate::error::Result;
use crate::scope::ReadExt;
use crate::sql::{Sql, sum_i64 as sum};

/// Every figure a report template may print, with what it counts. The template
/// loader refuses an id not listed here.
pub const METRICS: &[(&str, &str)] = &[
    ("systems_in_use", "systems operating or being built now (the day the report is made)"),
    ("systems_approved", "systems in use with an approved level"),
    ("systems_without_level", "systems in use without an approved level"),
    ("systems_level_1", "systems in use approved at level 1"),
    ("systems_level_2", "systems in use approved at level 2"),
    ("systems_level_3", "systems in use approved at level 3"),
    ("systems_level_4", "systems in use approved at level 4"),
    ("systems_level_5", "systems in use approved at level 5"),
    ("scans", "scanner reports imported in the period"),
    ("systems_scanned", "systems with a scanner report imported in the period"),
    ("hunts", "threat hunts finished in the period that counted (every file checked)"),
    ("systems_hunted", "systems covered by such a hunt in the period"),
    ("findings_new", "vulnerabilities first seen in the period"),
    ("findings_new_serious", "critical or high vulnerabilities first seen in the period"),
    ("findings_fixed", "vulnerabilities fixed in the period"),
    ("findings_open_overdue", "vulnerabilities open now whose deadline passed before the period's end (or today)"),
    ("findings_open_overdue_serious", "critical or high vulnerabilities open now whose deadline passed before the period's end (or today)"),
    ("findings_open_kev", "open vulnerabilities listed in the CISA KEV catalogue"),
    ("incidents", "incidents detected in the period"),
    ("incidents_serious", "serious incidents detected in the period"),
    ("incidents_closed", "incidents detected in the period and closed"),
    ("incidents_open", "incidents detected in the period and not closed"),
    ("drills", "drills held in the period"),
    ("assessments", "security assessments performed in the period"),
    ("trainings", "awareness and training campaigns that ended in the period (by the organiser)"),
    ("trainees", "people who completed a campaign that ended in the period (by the unit they work in)"),
    ("advisory_systems", "systems reached by an authority's advisory issued in the period"),
    ("advisory_systems_answered", "of those, systems whose unit answered"),
];

pub fn is_metric(id: &str) -> bool {
    METRICS.iter().any(|(m, _)| *m == id)
}

/// A period's figures: per unit id and in total.
#[derive(Debug, Clone, Default)]
pub struct PeriodFigures {
    pub by_unit: HashMap<String, HashMap<&'static str, i64>>,
    pub total: HashMap<&'static str, i64>,
    /// Form 05: incidents detected in the period by type, (type, detected, closed,
    /// serious), every type of the taxonomy in its order.
    pub incidents_by_type: Vec<(&'static str, i64, i64, i64)>,
}

impl PeriodFigures {
    pub fn total(&self, metric: &str) -> i64 {
        self.total.get(metric).copied().unwrap_or(0)
    }

    pub fn of_unit(&self, unit_id: &str, metric: &str) -> i64 {
        self.by_unit.get(unit_id).and_then(|m| m.get(metric)).copied().unwrap_or(0)
    }
}

/// The incident counts of a group: all, serious and closed.
const INCIDENT_COUNTS: &str = "COUNT(*) AS n, SUM(CASE WHEN i.severity = 'serious' THEN 1 ELSE 0 END) AS serious, SUM(CASE WHEN i.status = 'closed' THEN 1 ELSE 0 END) AS closed";

/// The same day six months earlier (the month's last day when it has none): the day a
/// 6-monthly duty done then falls due again.
fn six_months_before(d: Date) -> Date {
    let months = d.year() * 12 + i32::from(u8::from(d.month())) - 1 - 6;
    let (y, m) = (months.div_euclid(12), u8::try_from(months.rem_euclid(12) + 1).unwrap_or(1));
    let month = time::Month::try_from(m).unwrap_or(time::Month::January);
    Date::from_calendar_date(y, month, d.day().min(month.length(y))).unwrap_or(d)
}

/// The six months up to `today` as the dashboards count them: from the day after the
/// same day six months earlier, to today.
pub fn six_months_window(today: Date) -> (Date, Date) {
    (six_months_before(today).next_day().unwrap_or(today), today)
}

/// The stored-timestamp bounds of Vietnam days `from..=to`: `[from 00:00, to+1 00:00)`
/// in Vietnam time, as UTC text (the storage format, whose text order is time order).
fn instant_bounds(from: Date, to: Date) -> (String, String) {
    let start = |d: Date| to_rfc3339(PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_offset(VIETNAM));
    (start(from), start(to.next_day().unwrap_or(to)))
}

impl Scoped<'_> {
    /// The figures of the six months up to `today` (the scan and hunt duties' window),
    /// for the home page; province-wide they are kept between requests like the other
    /// dashboard counts.
    pub async fn last_six_months(&self, today: Date) -> Result<std::sync::Arc<PeriodFigures>> {
        let (from, _) = six_months_window(today);
        if self.scope == khien_domain::Scope::Province && self.conn.is_none() {
            return self.store.cached("six_months_figures", || self.period_figures(from, today, today)).await;
        }
        Ok(std::sync::Arc::new(self.period_figures(from, today, today).await?))
    }

    /// The figures of the period `from..=to` (Vietnam days) for the units in scope;
    /// standing figures are as of `as_of` (today, or the period's end if earlier).
    pub async fn period_figures(&self, from: Date, to: Date, as_of: Date) -> Result<PeriodFigures> {
        let (t0, t1) = instant_bounds(from, to);
        let (d0, d1) = (iso_date(from), iso_date(to));
        let as_of_day = iso_date(as_of.min(to));
        let mut f = PeriodFigures::default();

        // Systems in use at the report's date, by owner, with their approved level.
        let in_use = "s.status IN ('operating', 'building')";
        let approved = "(SELECT CAST(MAX(d.level) AS BIGINT) FROM dossiers d WHERE d.system_id = s.id AND d.superseded = 0 AND d.status = 'approved')";
        let mut sql = Sql::new(&format!(
            "SELECT s.owner_unit_id AS u, {approved} AS lvl, COUNT(*) AS n FROM systems s WHERE {in_use} AND s.owner_unit_id IN "
        ));
        self.push_scope_units(&mut sql);
        sql.push(" GROUP BY s.owner_unit_id, lvl");
        for r in sql.query().all(self).await? {
            let unit: String = r.try_get("u")?;
            let level: Option<i64> = r.try_get("lvl")?;
            let n: i64 = r.try_get("n")?;
            let m = f.by_unit.entry(unit).or_default();
            *m.entry("systems_in_use").or_default() += n;
            match level.filter(|l| (1..=5).contains(l)) {
                Some(l) => {
                    *m.entry("systems_approved").or_default() += n;
                    let key = ["systems_level_1", "systems_level_2", "systems_level_3", "systems_level_4", "systems_level_5"][usize::try_from(l - 1).unwrap_or(0)];
                    *m.entry(key).or_default() += n;
                }
                None => *m.entry("systems_without_level").or_default() += n,
            }
        }

        // One query per table, a column per figure (named by its id), grouped by unit:
        // each table is read once however many of its figures a report prints. The
        // bounds are formatted dates and instants, never user text.
        let n = |cond: &str| format!("SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)");
        let done_scan = format!("si.finished_at >= '{t0}' AND si.finished_at < '{t1}'");
        let new_finding = format!("f.first_seen >= '{t0}' AND f.first_seen < '{t1}'");
        let overdue = format!("f.status = 'open' AND f.due_on < '{as_of_day}'");
        let queries: Vec<(&[&'static str], String)> = vec![
            (
                &["scans", "systems_scanned"],
                format!("SELECT si.unit_id AS u, COUNT(*) AS scans, COUNT(DISTINCT si.system_id) AS systems_scanned FROM scan_imports si WHERE si.state = 'done' AND {done_scan} AND si.unit_id IN "),
            ),
            (
                // A hunt without systems still counts as a hunt.
                &["hunts", "systems_hunted"],
                format!("SELECT h.unit_id AS u, COUNT(DISTINCT h.id) AS hunts, COUNT(DISTINCT hs.system_id) AS systems_hunted FROM hunts h LEFT JOIN hunt_systems hs ON hs.hunt_id = h.id WHERE h.status = 'done' AND (h.coverage_full IS NULL OR h.coverage_full = 1) AND h.finished_at >= '{t0}' AND h.finished_at < '{t1}' AND h.unit_id IN "),
            ),
            (
                &["findings_new", "findings_new_serious", "findings_fixed", "findings_open_overdue", "findings_open_overdue_serious", "findings_open_kev"],
                format!(
                    "SELECT s.owner_unit_id AS u, {} AS findings_new, {} AS findings_new_serious, {} AS findings_fixed, {} AS findings_open_overdue, {} AS findings_open_overdue_serious, {} AS findings_open_kev FROM findings f JOIN systems s ON s.id = f.system_id WHERE s.owner_unit_id IN ",
                    n(&new_finding),
                    n(&format!("f.severity_rank >= 3 AND {new_finding}")),
                    n(&format!("f.status = 'fixed' AND f.fixed_at >= '{t0}' AND f.fixed_at < '{t1}'")),
                    n(&overdue),
                    n(&format!("f.severity_rank >= 3 AND {overdue}")),
                    n("f.status = 'open' AND f.kev = 1"),
                ),
            ),
            (
                &["drills"],
                format!("SELECT d.unit_id AS u, COUNT(*) AS drills FROM drills d WHERE d.held_to >= '{d0}' AND d.held_to <= '{d1}' AND d.unit_id IN "),
            ),
            (
                &["assessments"],
                format!("SELECT a.unit_id AS u, COUNT(*) AS assessments FROM assessments a WHERE a.performed_on >= '{d0}' AND a.performed_on <= '{d1}' AND a.unit_id IN "),
            ),
            (
                &["trainings"],
                format!("SELECT c.unit_id AS u, COUNT(*) AS trainings FROM training_campaigns c WHERE c.held_to >= '{d0}' AND c.held_to <= '{d1}' AND c.unit_id IN "),
            ),
            (
                &["trainees"],
                format!("SELECT p.unit_id AS u, COUNT(*) AS trainees FROM training_participants p JOIN training_campaigns c ON c.id = p.campaign_id WHERE p.completed = 1 AND c.held_to >= '{d0}' AND c.held_to <= '{d1}' AND p.unit_id IN "),
            ),
            (
                &["advisory_systems", "advisory_systems_answered"],
                format!(
                    "SELECT m.unit_id AS u, COUNT(*) AS advisory_systems, {} AS advisory_systems_answered FROM advisory_matches m JOIN advisories a ON a.id = m.advisory_id WHERE a.issued_on >= '{d0}' AND a.issued_on <= '{d1}' AND m.unit_id IN ",
                    n("m.response <> 'pending'"),
                ),
            ),
        ];
        for (metrics, head) in queries {
            let mut sql = Sql::new(&head);
            self.push_scope_units(&mut sql);
            sql.push(" GROUP BY u");
            for r in sql.query().all(self).await? {
                let unit: String = r.try_get("u")?;
                let m = f.by_unit.entry(unit).or_default();
                for metric in metrics {
                    *m.entry(metric).or_default() += sum(&r, metric)?;
                }
            }
        }

        // Incidents: each unit that reported or is affected by one counts it.
        let involved = format!(
            "(SELECT i.id AS iid, i.unit_id AS u FROM incidents i WHERE i.unit_id IS NOT NULL AND i.detected_at >= '{t0}' AND i.detected_at < '{t1}' \
             UNION SELECT iu.incident_id AS iid, iu.unit_id AS u FROM incident_units iu JOIN incidents i2 ON i2.id = iu.incident_id WHERE i2.detected_at >= '{t0}' AND i2.detected_at < '{t1}') x"
        );
        let mut sql = Sql::new(&format!(
            "SELECT x.u AS u, {INCIDENT_COUNTS} FROM {involved} JOIN incidents i ON i.id = x.iid WHERE x.u IN "
        ));
        self.push_scope_units(&mut sql);
        sql.push(" GROUP BY x.u");
        for r in sql.query().all(self).await? {
            let unit: String = r.try_get("u")?;
            let (n, serious, closed) = (r.try_get::<i64, _>("n")?, sum(&r, "serious")?, sum(&r, "closed")?);
            let m = f.by_unit.entry(unit).or_default();
            m.insert("incidents", n);
            m.insert("incidents_serious", serious);
            m.insert("incidents_closed", closed);
            m.insert("incidents_open", n - closed);
        }

        for m in f.by_unit.values() {
            for (k, v) in m {
                if !k.starts_with("incidents") {
                    *f.total.entry(k).or_default() += v;
                }
            }
        }
        // The total counts each incident once: for the province every incident of the
        // period (public reports and alerts not yet tied to a unit included); for a
        // subtree, those it reported or is affected by.
        let mut sql = Sql::new(&format!(
            "SELECT i.incident_type AS t, {INCIDENT_COUNTS} FROM incidents i WHERE i.detected_at >= '{t0}' AND i.detected_at < '{t1}'"
        ));
        if matches!(self.scope, khien_domain::Scope::Subtree { .. }) {
            sql.push(&format!(" AND i.id IN (SELECT x.iid FROM {involved} WHERE x.u IN "));
            self.push_scope_units(&mut sql);
            sql.push(")");
        }
        sql.push(" GROUP BY i.incident_type");
        let mut by_type: HashMap<String, (i64, i64, i64)> = HashMap::new();
        for r in sql.query().all(self).await? {
            by_type.insert(r.try_get("t")?, (r.try_get("n")?, sum(&r, "closed")?, sum(&r, "serious")?));
        }
        let (mut n, mut closed, mut serious) = (0, 0, 0);
        for t in khien_domain::incidents::IncidentType::ALL {
            let (a, b, c) = by_type.remove(t.as_str()).unwrap_or_default();
            n += a;
            closed += b;
            serious += c;
            f.incidents_by_type.push((t.as_str(), a, b, c));
        }
        f.total.insert("incidents", n);
        f.total.insert("incidents_closed", closed);
        f.total.insert("incidents_open", n - closed);
        f.total.insert("incidents_serious", serious);
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    #[test]
    fn six_months_before_keeps_the_day_or_takes_the_months_last() {
        assert_eq!(super::six_months_before(date!(2026 - 12 - 02)), date!(2026 - 06 - 02));
        assert_eq!(super::six_months_before(date!(2026 - 08 - 31)), date!(2026 - 02 - 28));
        assert_eq!(super::six_months_before(date!(2026 - 03 - 15)), date!(2025 - 09 - 15));
    }

    #[test]
    fn the_bounds_are_vietnam_midnights_in_utc() {
        let (a, b) = super::instant_bounds(date!(2026 - 10 - 01), date!(2026 - 12 - 31));
        assert_eq!(a, "2026-09-30T17:00:00.000000Z");
        assert_eq!(b, "2026-12-31T17:00:00.000000Z");
    }
}
