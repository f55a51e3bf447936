-- Backup plans and restore tests per system (issue 12 item 4). One plan per system,
-- versioned so a save on a stale form is refused; restore tests are kept, never edited.
CREATE TABLE backup_plans (
    system_id TEXT PRIMARY KEY REFERENCES systems(id),
    scope TEXT NOT NULL,
    -- daily | weekly | monthly | other
    frequency TEXT NOT NULL,
    retention_days BIGINT NOT NULL,
    offsite SMALLINT NOT NULL,
    method TEXT,
    version BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE restore_tests (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES systems(id),
    tested_on TEXT NOT NULL,          -- yyyy-mm-dd
    -- succeeded | partial | failed
    outcome TEXT NOT NULL,
    duration_minutes BIGINT,
    restored TEXT NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX restore_tests_system ON restore_tests(system_id, tested_on);
