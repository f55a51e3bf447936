-- The risk register (issue 12 item 4): a risk of a unit, or of one of its systems (the
-- unit is then the system's owner), rated likelihood × impact on 1–5 each, with its
-- treatment; versioned so a save on a stale form is refused.
CREATE TABLE risks (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES units(id),
    system_id TEXT REFERENCES systems(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    likelihood BIGINT NOT NULL,
    impact BIGINT NOT NULL,
    score BIGINT NOT NULL,
    -- open | treating | accepted | closed
    status TEXT NOT NULL,
    -- mitigate | transfer | avoid | accept
    treatment TEXT,
    treatment_plan TEXT,
    owner TEXT,
    due_on TEXT,                      -- yyyy-mm-dd
    accepted_by TEXT,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX risks_unit ON risks(unit_id, status);
CREATE INDEX risks_system ON risks(system_id);
