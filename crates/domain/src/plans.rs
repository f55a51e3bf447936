//! The security plan by level (phương án bảo đảm ATTT theo cấp độ): each requirement's
//! status, inheritance from the hosting system, the implementation share, and the
//! go-live gate (Circular 12 Art 9.6; Decree 331 Art 30.6).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(schemars::JsonSchema)]
pub enum ReqStatus {
    NotStarted,
    Partly,
    Met,
    /// Not applicable, with a reason.
    NotApplicable,
    /// Met by the hosting system (data centre, cloud) and inherited.
    Inherited,
}

impl ReqStatus {
    /// What a person may set; `Inherited` is derived, never set by hand.
    pub const SETTABLE: [ReqStatus; 4] = [
        ReqStatus::NotStarted,
        ReqStatus::Partly,
        ReqStatus::Met,
        ReqStatus::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReqStatus::NotStarted => "not_started",
            ReqStatus::Partly => "partly",
            ReqStatus::Met => "met",
            ReqStatus::NotApplicable => "not_applicable",
            ReqStatus::Inherited => "inherited",
        }
    }

    pub fn parse(s: &str) -> Option<ReqStatus> {
        [
            ReqStatus::NotStarted,
            ReqStatus::Partly,
            ReqStatus::Met,
            ReqStatus::NotApplicable,
            ReqStatus::Inherited,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// Who records a system's plan (statuses and evidence): the owner's and the
/// operator's editors, who both carry out measures, and province administrators.
pub fn may_record(actor: crate::dossiers::policy::Actor) -> Result<(), &'static str> {
    if actor.role.can_edit_systems() {
        Ok(())
    } else {
        Err("err.forbidden")
    }
}

/// A go-live exception is a province administrator's act, with a reason worth reading.
pub fn may_grant_exception(role: crate::roles::Role, reason: &str) -> Result<(), &'static str> {
    if role != crate::roles::Role::ProvinceAdmin {
        return Err("err.forbidden");
    }
    if reason.trim().chars().count() < 10 {
        return Err("plan.err_exception_reason");
    }
    Ok(())
}

/// The effective status of one requirement: the system's own record wins unless it is
/// "not started", in which case a host that has met the requirement passes it down.
pub fn effective(own: Option<ReqStatus>, host_met: bool) -> ReqStatus {
    match own {
        Some(s) if s != ReqStatus::NotStarted => s,
        _ if host_met => ReqStatus::Inherited,
        _ => ReqStatus::NotStarted,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[derive(schemars::JsonSchema)]
pub struct PlanProgress {
    pub total: usize,
    pub met: usize,
    pub inherited: usize,
    pub partly: usize,
    pub not_started: usize,
    pub not_applicable: usize,
}

impl PlanProgress {
    pub fn of(statuses: impl IntoIterator<Item = ReqStatus>) -> PlanProgress {
        let mut p = PlanProgress::default();
        for s in statuses {
            p.total += 1;
            match s {
                ReqStatus::Met => p.met += 1,
                ReqStatus::Inherited => p.inherited += 1,
                ReqStatus::Partly => p.partly += 1,
                ReqStatus::NotStarted => p.not_started += 1,
                ReqStatus::NotApplicable => p.not_applicable += 1,
            }
        }
        p
    }

    /// Share implemented, in percent: met and inherited count fully, partly half; items
    /// not applicable leave the denominator.
    pub fn percent(&self) -> f64 {
        let applicable = self.total - self.not_applicable;
        if applicable == 0 {
            return if self.total == 0 { 0.0 } else { 100.0 };
        }
        ((self.met + self.inherited) as f64 + self.partly as f64 / 2.0) * 100.0 / applicable as f64
    }

    pub fn fully_implemented(&self) -> bool {
        self.total > 0 && self.partly == 0 && self.not_started == 0
    }

    /// For the province view: fully, partly (something done) or not implemented.
    pub fn bucket(&self) -> &'static str {
        if self.fully_implemented() {
            "full"
        } else if self.met + self.inherited + self.partly > 0 {
            "partial"
        } else {
            "none"
        }
    }
}

/// Why a system may not be set to operating (i18n keys), empty when it may.
pub fn go_live_blockers(
    level_approved: bool,
    plan: &PlanProgress,
    exception: bool,
) -> Vec<&'static str> {
    if exception {
        return Vec::new();
    }
    let mut out = Vec::new();
    if !level_approved {
        out.push("plan.gate_level");
    }
    if !plan.fully_implemented() {
        out.push("plan.gate_plan");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inheritance_progress_and_gate() {
        assert_eq!(effective(None, true), ReqStatus::Inherited);
        assert_eq!(
            effective(Some(ReqStatus::NotStarted), true),
            ReqStatus::Inherited
        );
        assert_eq!(effective(Some(ReqStatus::Partly), true), ReqStatus::Partly);
        assert_eq!(effective(None, false), ReqStatus::NotStarted);
        let p = PlanProgress::of([
            ReqStatus::Met,
            ReqStatus::Inherited,
            ReqStatus::Partly,
            ReqStatus::NotApplicable,
            ReqStatus::NotStarted,
        ]);
        assert!((p.percent() - 62.5).abs() < 1e-9);
        assert_eq!(p.bucket(), "partial");
        assert_eq!(
            go_live_blockers(false, &p, false),
            vec!["plan.gate_level", "plan.gate_plan"]
        );
        assert!(go_live_blockers(false, &p, true).is_empty());
        let done = PlanProgress::of([
            ReqStatus::Met,
            ReqStatus::Inherited,
            ReqStatus::NotApplicable,
        ]);
        assert!(done.fully_implemented() && (done.percent() - 100.0).abs() < 1e-9);
        assert!(go_live_blockers(true, &done, false).is_empty());
        assert_eq!(PlanProgress::default().bucket(), "none");
    }
}
