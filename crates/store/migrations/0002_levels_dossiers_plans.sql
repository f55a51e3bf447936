-- Security by level: determinations, dossiers and their history, security-plan
-- statuses with evidence, go-live exceptions and province targets.

CREATE TABLE level_assessments (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES systems(id),
    regime TEXT NOT NULL,
    -- The full classification input (JSON), so a later change to the inventory is noticed.
    input_json TEXT NOT NULL,
    level SMALLINT NOT NULL,
    criteria_json TEXT NOT NULL,
    appraiser TEXT NOT NULL,
    approver TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX level_assessments_system ON level_assessments(system_id);

CREATE TABLE dossiers (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES systems(id),
    assessment_id TEXT NOT NULL REFERENCES level_assessments(id),
    regime TEXT NOT NULL,
    level SMALLINT NOT NULL,
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    -- When the current stage began (ISO date), which starts its legal clock.
    stage_started TEXT NOT NULL,
    return_reason TEXT,
    appraisal_ref TEXT,
    appraisal_opinion TEXT,
    regulation_no TEXT,
    regulation_date TEXT,
    decision_no TEXT,
    decision_date TEXT,
    decision_by TEXT,
    -- 1 once a newer version replaced it; the approved one stays on record.
    superseded SMALLINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX dossiers_system ON dossiers(system_id);

CREATE TABLE dossier_events (
    id TEXT PRIMARY KEY,
    dossier_id TEXT NOT NULL REFERENCES dossiers(id),
    at TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    transition TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    note TEXT
);
CREATE INDEX dossier_events_dossier ON dossier_events(dossier_id);

-- Uploaded files are stored content-addressed (sha256) on disk; rows point at them.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    part TEXT NOT NULL,
    filename TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    effective_date TEXT,
    expiry_date TEXT,
    uploaded_at TEXT NOT NULL,
    uploaded_by TEXT NOT NULL
);
CREATE INDEX attachments_owner ON attachments(owner_kind, owner_id);

CREATE TABLE requirement_status (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES systems(id),
    catalogue TEXT NOT NULL,
    requirement_key TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    responsible TEXT,
    due_date TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (system_id, catalogue, requirement_key)
);

CREATE TABLE go_live_exceptions (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES systems(id),
    reason TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL
);

-- Province-wide settings such as target dates ("all operating systems approved by …").
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
