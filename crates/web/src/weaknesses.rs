//! A weakness found by a drill or an assessment becomes a tracked finding on its system:
//! the form is checked, the weakness is stored in the blob store as a one-row generic
//! CSV and queued as a scan import of the system (not full scope: nothing else changes).
//! The caller then links the queued import to its drill or assessment. The list and the
//! form are the macros of `templates/weaknesses.html`; the strings are in
//! `i18n/<lang>/weaknesses.txt`.

use khien_domain::FieldError;
use khien_domain::weaknesses::{Origin, WeaknessInput};
use khien_store::StoreError;
use khien_store::findings::NewScanImport;

use crate::AppState;
use crate::auth::{Access, Auth};

/// Checks the weakness (`on_allowed_system`: the chosen system is one of the origin's)
/// and queues its import; the import's id.
pub(crate) async fn queue_as_finding<A: Access>(state: &AppState, auth: &Auth<A>, w: &WeaknessInput, on_allowed_system: bool, origin: Origin, source: &str) -> Result<String, StoreError> {
    w.validate().map_err(StoreError::Invalid)?;
    if !on_allowed_system {
        return Err(StoreError::Invalid(khien_domain::Invalid { errors: vec![FieldError { field: "system_id", key: "weakness.err_system", detail: String::new() }] }));
    }
    let csv = w.as_generic_csv(origin, source);
    let stored = state.store.blobs.put("diem-yeu.csv", csv.as_bytes()).await.map_err(|e| StoreError::Corrupt("blob", e.to_string()))?;
    // The response team records drills but does not maintain systems: its weakness is
    // imported as the platform (the link to the drill is audited under its name).
    let importer = if auth.principal.role.can_edit_systems() { auth.scoped(state) } else { state.store.as_system() };
    importer
        .queue_scan_import(&NewScanImport {
            system_id: w.system_id.clone(),
            file_name: stored.filename,
            file_sha256: stored.sha256,
            file_size: i64::try_from(stored.size).unwrap_or(i64::MAX),
            tool: "generic_csv".into(),
            full_scope: false,
        })
        .await
}
