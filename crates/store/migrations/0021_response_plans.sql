-- Incident response plans and their scenarios (issue 11 item 6): one plan per system
-- and one provincial plan (Decision 05/2017 Art 16), each a chain of versions; a draft
-- is edited, an approved version is frozen, a revision is a new draft.
CREATE TABLE response_plans (
    id TEXT PRIMARY KEY,
    -- The system's id, or 'province' for the provincial plan: one plan per subject.
    subject TEXT NOT NULL UNIQUE,
    system_id TEXT REFERENCES systems(id),
    -- The system's owner, or the province's root unit (the scope).
    unit_id TEXT NOT NULL REFERENCES units(id),
    title TEXT NOT NULL,
    -- The outline it follows (data/regimes/response-plan-outlines.toml).
    outline TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX response_plans_unit ON response_plans(unit_id);
CREATE TABLE response_plan_versions (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES response_plans(id),
    version BIGINT NOT NULL,
    -- draft | approved | superseded
    status TEXT NOT NULL,
    -- {section id: text} of the outline.
    sections_json TEXT NOT NULL,
    -- Priority conditions for business continuity (Circular 20 Art 12: mandatory).
    priorities TEXT NOT NULL,
    contacts TEXT NOT NULL,
    review_on TEXT,                 -- yyyy-mm-dd
    approver TEXT,
    decision_no TEXT,
    decision_date TEXT,             -- yyyy-mm-dd
    approved_at TEXT,               -- when the approval was recorded (instant)
    approved_by TEXT,               -- who recorded it
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (plan_id, version)
);
-- At most one draft per plan: a second revision or a concurrent one is refused by the
-- database itself.
CREATE UNIQUE INDEX response_plan_one_draft ON response_plan_versions(plan_id) WHERE status = 'draft';
CREATE UNIQUE INDEX response_plan_one_approved ON response_plan_versions(plan_id) WHERE status = 'approved';
CREATE TABLE response_scenarios (
    id TEXT PRIMARY KEY,
    version_id TEXT NOT NULL REFERENCES response_plan_versions(id),
    incident_type TEXT NOT NULL,
    title TEXT NOT NULL,
    situation TEXT NOT NULL,
    handling TEXT NOT NULL,
    position BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX response_scenarios_version ON response_scenarios(version_id, position);
