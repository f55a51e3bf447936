-- Weaknesses found by a drill or by a security assessment (issue 12 item 4: an
-- assessment's findings become tracked findings, as a drill's already did). One table
-- for both origins; each weakness is a finding through the scan import it queued.
CREATE TABLE weaknesses (
    id TEXT PRIMARY KEY,
    -- drill | assessment
    origin TEXT NOT NULL,
    origin_id TEXT NOT NULL,
    system_id TEXT NOT NULL REFERENCES systems(id),
    import_id TEXT NOT NULL REFERENCES scan_imports(id),
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX weaknesses_origin ON weaknesses(origin, origin_id);
INSERT INTO weaknesses (id, origin, origin_id, system_id, import_id, title, severity, created_by, created_at)
    SELECT id, 'drill', drill_id, system_id, import_id, title, severity, created_by, created_at FROM drill_weaknesses;
DROP TABLE drill_weaknesses;
