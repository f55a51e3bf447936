-- National scale (issue 8, item 5): an index for every list's sort key and filter, so a
-- page costs the same at 150 systems and at 50,000. Expand-only: indexes, no new
-- columns an older process would not fill.

-- The systems list: default order (name), and the type and status filters in that order.
CREATE INDEX systems_name ON systems (name_norm, id);
CREATE INDEX systems_type_name ON systems (system_type, name_norm, id);
CREATE INDEX systems_status_name ON systems (status, name_norm, id);
CREATE INDEX systems_updated ON systems (updated_at, id);
CREATE INDEX systems_go_live ON systems (go_live_date, id);
CREATE INDEX systems_hosting ON systems (hosting_system_id);

-- The audit trail of a subtree: entries of the units in scope, newest first.
CREATE INDEX audit_unit_seq ON audit_log (unit_id, seq);
CREATE INDEX audit_actor_seq ON audit_log (actor_name, seq);
CREATE INDEX audit_action_seq ON audit_log (action, seq);

-- The hunts list, newest first, and a unit's hunts.
CREATE INDEX hunts_created ON hunts (created_at, id);
CREATE INDEX hunts_unit_created ON hunts (unit_id, created_at, id);

-- The province view's per-system facts.
CREATE INDEX level_assessments_system_created ON level_assessments (system_id, created_at, id);
CREATE INDEX dossiers_current ON dossiers (superseded, system_id);
