//! Where an incident's legal reporting deadlines come from (issue 11, item 3: the
//! clocks of Decision 05/2017 + Circular 20/2017 and of Decree 331/2026, and the
//! personal-data breach notice). The incident page lists what [`report_deadlines`]
//! returns under "Thời hạn báo cáo"; the clock engine is its own crate, called here
//! with the incident's [`DeadlineFacts`], the same input `khien incident deadlines`
//! reads.

use khien_store::incidents::{DeadlineFacts, Incident};

/// One report the incident owes, as the page shows it.
#[derive(Debug, Clone)]
pub struct ReportDue {
    /// The report's kind (`notification`, `initial_report`, `initial_notice`, …).
    pub kind: String,
    /// `YYYY-MM-DDTHH:MM:SS+07:00`, `immediately`, or `None` (no fixed deadline).
    pub due: Option<String>,
    /// "Điều … khoản … <văn bản>".
    pub basis: String,
}

/// The deadlines of `incident`'s reports at `now`. The engine is not part of this
/// crate yet: until it is connected here the list is empty and the page says the
/// deadlines have not been computed — it never shows a guessed date.
pub fn report_deadlines(incident: &Incident, now: time::OffsetDateTime) -> Vec<ReportDue> {
    let _facts: DeadlineFacts = incident.deadline_facts();
    let _ = now;
    Vec::new()
}
