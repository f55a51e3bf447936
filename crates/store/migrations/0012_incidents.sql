-- Incidents (issue 11, items 1–2): the incident with its affected units and systems,
-- explicit shares, observables, tasks, timeline, evidence with its chain of custody,
-- comments; alerts from SOC/SIEM deduplicated on (source, source_ref); reports from
-- the public with a hashed follow-up code and a per-address counter. Times are UTC
-- RFC 3339 text like everywhere else. Expand-only.
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    -- SC-2026-000123: the year of the Vietnamese creation date and its sequence.
    reference TEXT NOT NULL,
    ref_year BIGINT NOT NULL,
    ref_seq BIGINT NOT NULL,
    title TEXT NOT NULL,
    title_norm TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- To the minute (seconds zero).
    detected_at TEXT NOT NULL,
    reporter_name TEXT NOT NULL,
    reporter_contact TEXT,
    source TEXT NOT NULL,
    incident_type TEXT NOT NULL,
    severity TEXT NOT NULL,
    beyond_capacity SMALLINT NOT NULL DEFAULT 0,
    national_security_signs SMALLINT NOT NULL DEFAULT 0,
    serious_interruption SMALLINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    pd_impact TEXT NOT NULL DEFAULT 'none',
    pd_subjects BIGINT,
    pd_confirmed_at TEXT,
    regime TEXT NOT NULL,
    -- The unit that reported it; NULL for reports from the public and machines, which
    -- only the provincial team sees until units are named affected.
    unit_id TEXT REFERENCES units (id),
    -- staff | public | alert | hunt
    origin TEXT NOT NULL,
    -- The hunt whose "suspicious" conclusion opened it: at most one incident per hunt.
    hunt_id TEXT REFERENCES hunts (id),
    -- When the response ended (first reached "recovered"): the closure-report clock.
    recovered_at TEXT,
    closed_at TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX incidents_reference ON incidents (reference);
CREATE UNIQUE INDEX incidents_year_seq ON incidents (ref_year, ref_seq);
CREATE UNIQUE INDEX incidents_hunt ON incidents (hunt_id);
CREATE INDEX incidents_created ON incidents (created_at, id);
CREATE INDEX incidents_unit ON incidents (unit_id);
CREATE INDEX incidents_status ON incidents (status, created_at);

CREATE TABLE incident_units (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    unit_id TEXT NOT NULL REFERENCES units (id),
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (incident_id, unit_id)
);
CREATE INDEX incident_units_unit ON incident_units (unit_id);

CREATE TABLE incident_systems (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    system_id TEXT NOT NULL REFERENCES systems (id),
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (incident_id, system_id)
);
CREATE INDEX incident_systems_system ON incident_systems (system_id);

-- An explicit share with a unit outside the incident (audited as `share`).
CREATE TABLE incident_shares (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    unit_id TEXT NOT NULL REFERENCES units (id),
    shared_by TEXT NOT NULL,
    shared_at TEXT NOT NULL,
    PRIMARY KEY (incident_id, unit_id)
);
CREATE INDEX incident_shares_unit ON incident_shares (unit_id);

CREATE TABLE incident_observables (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    kind TEXT NOT NULL,
    -- Normalised (khien_domain::incidents::normalise_observable).
    value TEXT NOT NULL,
    tlp TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX incident_observables_value ON incident_observables (incident_id, kind, value);

CREATE TABLE incident_tasks (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    title TEXT NOT NULL,
    assignee_id TEXT REFERENCES users (id),
    due_date TEXT,
    state TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id, created_at);
CREATE INDEX incident_tasks_assignee ON incident_tasks (assignee_id, state);

CREATE TABLE incident_timeline (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    -- When it happened (to the minute), not when it was written down.
    at TEXT NOT NULL,
    text TEXT NOT NULL,
    system_id TEXT REFERENCES systems (id),
    observable_id TEXT REFERENCES incident_observables (id),
    -- 1: shown to the public reporter on /report/status.
    public SMALLINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, at);

CREATE TABLE incident_evidence (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX incident_evidence_incident ON incident_evidence (incident_id, created_at);

-- Who handled an evidence file, when, and what they did with it.
CREATE TABLE evidence_custody (
    id TEXT PRIMARY KEY,
    evidence_id TEXT NOT NULL REFERENCES incident_evidence (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX evidence_custody_evidence ON evidence_custody (evidence_id, at);

CREATE TABLE incident_comments (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX incident_comments_incident ON incident_comments (incident_id, created_at);

CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    source_ref TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    severity TEXT NOT NULL DEFAULT '',
    incident_type TEXT,
    -- The sender's own record (bounded in size), and the observables it named.
    payload_json TEXT NOT NULL DEFAULT '{}',
    observables_json TEXT NOT NULL DEFAULT '[]',
    state TEXT NOT NULL,
    incident_id TEXT REFERENCES incidents (id),
    -- Repeats of the same (source, source_ref) counted, not stored again.
    seen_count BIGINT NOT NULL DEFAULT 1,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX alerts_source_ref ON alerts (source, source_ref);
CREATE INDEX alerts_state ON alerts (state, last_seen);

CREATE TABLE public_reports (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    reference TEXT NOT NULL,
    -- sha256 of the follow-up code given to the reporter (the code is never stored).
    secret_hash TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact TEXT NOT NULL,
    affected TEXT NOT NULL,
    text TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX public_reports_reference ON public_reports (reference);

-- Public submissions per address, counted across processes (rows older than a day
-- are dropped as new ones arrive).
CREATE TABLE public_report_attempts (
    id TEXT PRIMARY KEY,
    client_addr TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX public_report_attempts_addr ON public_report_attempts (client_addr, at_ms);

-- The key that signs the public form's timestamp, shared by every server process.
CREATE TABLE form_keys (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL
);
