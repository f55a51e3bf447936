-- Advisories from the authorities (issue 10 item 5) and the systems each reaches.
CREATE TABLE advisories (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    issued_on TEXT NOT NULL,          -- yyyy-mm-dd
    issuer TEXT NOT NULL,
    title TEXT NOT NULL,
    cves TEXT NOT NULL,               -- space-separated
    severity TEXT NOT NULL,
    action TEXT NOT NULL,
    deadline TEXT NOT NULL,           -- yyyy-mm-dd: units answer by then
    -- The products as entered: [{vendor, product, versions, text}].
    products_json TEXT NOT NULL,
    -- Components compared when the advisory was matched (the inventory then).
    components_checked BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX advisories_created ON advisories(created_at, id);

-- One row per system an advisory reaches, with its unit's answer.
CREATE TABLE advisory_matches (
    id TEXT PRIMARY KEY,
    advisory_id TEXT NOT NULL REFERENCES advisories(id),
    system_id TEXT NOT NULL REFERENCES systems(id),
    unit_id TEXT NOT NULL REFERENCES units(id),
    -- The components that matched ("Palo Alto Networks PAN-OS 10.2.4; …").
    components TEXT NOT NULL,
    -- pending | not_affected | mitigated | fixed
    response TEXT NOT NULL,
    response_note TEXT,
    responded_by TEXT,
    responded_at TEXT,
    reminded_at TEXT
);
CREATE UNIQUE INDEX advisory_matches_system ON advisory_matches(advisory_id, system_id);
CREATE INDEX advisory_matches_unit ON advisory_matches(unit_id, response);
