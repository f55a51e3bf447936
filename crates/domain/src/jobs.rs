//! Who may stop long work, and when.

use crate::Role;

/// A job may be cancelled while it has not ended, by anyone who may start such work
/// (read-only roles watch, they do not stop a colleague's hunt).
pub fn may_cancel(role: Role, state: &str) -> bool {
    let writer = matches!(
        role,
        Role::ProvinceAdmin | Role::Responder | Role::UnitManager | Role::UnitStaff
    );
    writer && matches!(state, "queued" | "running")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unfinished_jobs_and_only_writers() {
        assert!(may_cancel(Role::UnitStaff, "queued"));
        assert!(may_cancel(Role::Responder, "running"));
        assert!(!may_cancel(Role::Viewer, "queued"));
        assert!(!may_cancel(Role::Inspector, "running"));
        for ended in ["done", "failed", "cancelled"] {
            assert!(!may_cancel(Role::ProvinceAdmin, ended));
        }
    }
}
