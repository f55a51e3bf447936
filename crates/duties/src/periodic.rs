//! Periodic report templates as data (`data/reports/periodic.toml`, or the file the
//! deployment names): which reports exist, who issues them, for which periods, and what
//! each section prints. The figures are named by id; the caller says which ids exist
//! (they are counted by the store), so a template naming an unknown figure is refused
//! when it loads, not when an official downloads the report.
//!
//! The column sets of guidance 1337/BTTTT-CATTT Appendices I–II are not public
//! (docs/domain.md §5.3), so the shipped templates are a sensible default the
//! department edits without a release.

use serde::Deserialize;
use time::{Date, Month};

use crate::error::DutyError;

const EMBEDDED: &str = include_str!("../../../data/reports/periodic.toml");

/// Who issues a report: a unit about its own subtree, or the department for the
/// province (the consolidated report to the ministry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Issuer {
    Unit,
    Province,
}

/// The kinds of period a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodShape {
    Month,
    Quarter,
    /// Six months: `2026-H1` (January–June) or `2026-H2`.
    Half,
    Year,
}

/// One printed figure: its label and the id of what it counts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    pub label: String,
    pub metric: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Section {
    /// A two-column table of figures for the report's scope.
    Figures { heading: String, rows: Vec<Figure> },
    /// One row per unit under the issuer, a column per figure, and a total row.
    Units { heading: String, columns: Vec<Figure> },
    /// Circular 20/2017 Form 05: incidents of the period by type of the taxonomy.
    IncidentsByType { heading: String },
    /// What the platform cannot know (assessments of the situation, proposals): dotted
    /// lines the unit fills in before signing, with the prompt above them.
    ToFill { heading: String, prompt: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// The report's id; for a report an obligation rule asks for, the rule's id (the
    /// kind a submission names).
    pub id: String,
    /// Its name in lists ("Báo cáo tháng").
    pub name: String,
    /// The document's title, before the period ("Báo cáo tình hình bảo đảm an toàn
    /// thông tin mạng").
    pub title: String,
    pub issuer: Issuer,
    pub periods: Vec<PeriodShape>,
    /// To whom it goes: a role id of the regime files (named as the deployment names
    /// it), or the text itself.
    pub recipient: String,
    /// Its legal basis, printed under the title.
    pub basis: String,
    /// `[[report.section]]` tables, in order.
    #[serde(rename = "section")]
    pub sections: Vec<Section>,
}

impl Template {
    /// Every figure id the template prints.
    fn metrics(&self) -> impl Iterator<Item = &str> {
        self.sections.iter().flat_map(|s| match s {
            Section::Figures { rows, .. } => rows.iter().map(|f| f.metric.as_str()).collect::<Vec<_>>(),
            Section::Units { columns, .. } => columns.iter().map(|f| f.metric.as_str()).collect(),
            _ => Vec::new(),
        })
    }

    /// Whether `period` is of a shape this report covers.
    pub fn covers(&self, period: &ReportPeriod) -> bool {
        self.periods.contains(&period.shape)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    report: Vec<Template>,
}

#[derive(Debug, Clone)]
pub struct Templates {
    pub reports: Vec<Template>,
}

impl Templates {
    /// The shipped templates, checked against the figures `is_metric` knows.
    pub fn embedded(is_metric: impl Fn(&str) -> bool) -> Result<Templates, DutyError> {
        Templates::parse(EMBEDDED, "data/reports/periodic.toml", is_metric)
    }

    pub fn parse(text: &str, origin: &str, is_metric: impl Fn(&str) -> bool) -> Result<Templates, DutyError> {
        let file: File = toml::from_str(text).map_err(|e| DutyError::Data { file: origin.to_string(), message: e.to_string() })?;
        let mut seen = std::collections::HashSet::new();
        for t in &file.report {
            if !seen.insert(t.id.as_str()) {
                return Err(DutyError::Data { file: origin.to_string(), message: format!("report `{}` is defined twice", t.id) });
            }
            if t.periods.is_empty() {
                return Err(DutyError::Data { file: origin.to_string(), message: format!("report `{}` covers no period", t.id) });
            }
            if let Some(m) = t.metrics().find(|m| !is_metric(m)) {
                return Err(DutyError::Data { file: origin.to_string(), message: format!("report `{}` prints `{m}`, which is not a figure Khiên counts", t.id) });
            }
        }
        Ok(Templates { reports: file.report })
    }

    pub fn get(&self, id: &str) -> Option<&Template> {
        self.reports.iter().find(|t| t.id == id)
    }
}

/// A report's period: its shape, first and last day, and name (`2026-08`, `2026-Q3`,
/// `2026-H1`, `2026`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPeriod {
    pub shape: PeriodShape,
    pub first: Date,
    pub last: Date,
    pub name: String,
}

impl ReportPeriod {
    /// The period of `shape` containing `date`.
    pub fn containing(shape: PeriodShape, date: Date) -> ReportPeriod {
        let y = date.year();
        let m = u8::from(date.month());
        let (first_month, len) = match shape {
            PeriodShape::Month => (m, 1),
            PeriodShape::Quarter => ((m - 1) / 3 * 3 + 1, 3),
            PeriodShape::Half => ((m - 1) / 6 * 6 + 1, 6),
            PeriodShape::Year => (1, 12),
        };
        let name = match shape {
            PeriodShape::Month => format!("{y:04}-{m:02}"),
            PeriodShape::Quarter => format!("{y:04}-Q{}", (first_month - 1) / 3 + 1),
            PeriodShape::Half => format!("{y:04}-H{}", (first_month - 1) / 6 + 1),
            PeriodShape::Year => format!("{y:04}"),
        };
        ReportPeriod { shape, first: day(y, first_month, 1), last: last_day(y, first_month + len - 1), name }
    }

    /// Reads a period name; none unless well formed (years 2000–2100).
    pub fn parse(name: &str) -> Option<ReportPeriod> {
        let name = name.trim();
        let year: i32 = name.get(..4).filter(|y| y.bytes().all(|b| b.is_ascii_digit()))?.parse().ok()?;
        if !(2000..=2100).contains(&year) {
            return None;
        }
        let rest = &name[4..];
        let (shape, month) = if rest.is_empty() {
            (PeriodShape::Year, 1)
        } else if let Some(q) = rest.strip_prefix("-Q") {
            let q: u8 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
            (PeriodShape::Quarter, (q - 1) * 3 + 1)
        } else if let Some(h) = rest.strip_prefix("-H") {
            let h: u8 = h.parse().ok().filter(|h| (1..=2).contains(h))?;
            (PeriodShape::Half, (h - 1) * 6 + 1)
        } else {
            let m = rest.strip_prefix('-').filter(|m| m.len() == 2 && m.bytes().all(|b| b.is_ascii_digit()))?;
            (PeriodShape::Month, m.parse().ok().filter(|m| (1..=12).contains(m))?)
        };
        Some(ReportPeriod::containing(shape, day(year, month, 1)))
    }

    /// The period as a document says it: "tháng 8 năm 2026", "quý III năm 2026", "6
    /// tháng đầu năm 2026", "năm 2026".
    pub fn label_vi(&self) -> String {
        let y = self.first.year();
        match self.shape {
            PeriodShape::Month => format!("tháng {} năm {y}", u8::from(self.first.month())),
            PeriodShape::Quarter => {
                let q = (u8::from(self.first.month()) - 1) / 3;
                format!("quý {} năm {y}", ["I", "II", "III", "IV"][usize::from(q)])
            }
            PeriodShape::Half if self.first.month() == Month::January => format!("6 tháng đầu năm {y}"),
            PeriodShape::Half => format!("6 tháng cuối năm {y}"),
            PeriodShape::Year => format!("năm {y}"),
        }
    }
}

fn day(y: i32, m: u8, d: u8) -> Date {
    Month::try_from(m).ok().and_then(|m| Date::from_calendar_date(y, m, d).ok()).unwrap_or(Date::MIN)
}

fn last_day(y: i32, m: u8) -> Date {
    let month = Month::try_from(m).unwrap_or(Month::December);
    day(y, m, month.length(y))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn periods_parse_to_their_bounds_and_labels() {
        let p = ReportPeriod::parse("2026-02").unwrap();
        assert_eq!((p.first, p.last, p.label_vi().as_str()), (date!(2026 - 02 - 01), date!(2026 - 02 - 28), "tháng 2 năm 2026"));
        let p = ReportPeriod::parse("2028-02").unwrap();
        assert_eq!(p.last, date!(2028 - 02 - 29));
        let p = ReportPeriod::parse("2026-Q3").unwrap();
        assert_eq!((p.first, p.last, p.label_vi().as_str()), (date!(2026 - 07 - 01), date!(2026 - 09 - 30), "quý III năm 2026"));
        let p = ReportPeriod::parse("2026-H2").unwrap();
        assert_eq!((p.first, p.last, p.label_vi().as_str()), (date!(2026 - 07 - 01), date!(2026 - 12 - 31), "6 tháng cuối năm 2026"));
        let p = ReportPeriod::parse("2026").unwrap();
        assert_eq!((p.first, p.last, p.name.as_str()), (date!(2026 - 01 - 01), date!(2026 - 12 - 31), "2026"));
        for bad in ["", "2026-13", "2026-Q5", "2026-H3", "2026-1", "26-01", "1999", "2026-Q", "２０２６"] {
            assert_eq!(ReportPeriod::parse(bad), None, "{bad}");
        }
        assert_eq!(ReportPeriod::containing(PeriodShape::Half, date!(2026 - 06 - 30)).name, "2026-H1");
    }

    #[test]
    fn the_shipped_templates_load_and_an_unknown_figure_is_refused() {
        let t = Templates::embedded(|_| true).unwrap();
        for id in ["monthly_report", "quarterly_report", "annual_inspection_report", "consolidated_quarterly", "incident_periodic"] {
            assert!(t.get(id).is_some(), "{id}");
        }
        let err = Templates::embedded(|m| m != "scans").unwrap_err().to_string();
        assert!(err.contains("`scans`"), "{err}");
    }
}
