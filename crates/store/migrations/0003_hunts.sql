-- Threat hunts recorded in the platform: what was hunted (systems, period, sources, rule
-- and IOC sets with their hashes), by whom, the result, and the detections. A hunt
-- uploaded in the UI is also the background job that runs it (status/progress).

CREATE TABLE hunts (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES units(id),
    title TEXT NOT NULL,
    period_from TEXT,
    period_to TEXT,
    origin TEXT NOT NULL,
    status TEXT NOT NULL,
    progress SMALLINT NOT NULL DEFAULT 0,
    error TEXT,
    -- JSON arrays of {name, sha256, size, ...}: what was used, so the hunt can be repeated.
    sources_json TEXT NOT NULL,
    rules_json TEXT NOT NULL,
    iocs_json TEXT NOT NULL,
    builtin_rules SMALLINT NOT NULL DEFAULT 0,
    summary_json TEXT,
    conclusion TEXT NOT NULL,
    conclusion_note TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX hunts_status ON hunts(status);

CREATE TABLE hunt_systems (
    hunt_id TEXT NOT NULL REFERENCES hunts(id),
    system_id TEXT NOT NULL REFERENCES systems(id),
    PRIMARY KEY (hunt_id, system_id)
);
CREATE INDEX hunt_systems_system ON hunt_systems(system_id);

CREATE TABLE hunt_detections (
    id TEXT PRIMARY KEY,
    hunt_id TEXT NOT NULL REFERENCES hunts(id),
    position BIGINT NOT NULL,
    ts TEXT,
    source TEXT NOT NULL,
    computer TEXT NOT NULL,
    channel TEXT NOT NULL,
    event_id BIGINT,
    rule_id TEXT NOT NULL,
    rule_title TEXT NOT NULL,
    level TEXT NOT NULL,
    author TEXT NOT NULL,
    tags TEXT NOT NULL,
    matched_json TEXT NOT NULL
);
CREATE INDEX hunt_detections_hunt ON hunt_detections(hunt_id, position);
