-- One queue for all long work (hunts now; imports, reports, reminder sweeps later),
-- shared by every Khiên process on one database. A worker claims a job by taking a
-- lease (owner, token, expiry) and renews it with a heartbeat; a job whose lease ran
-- out (its worker died) is queued again after a backoff, up to `max_attempts`.
-- Expand-only: hunts keep their own status, which the UI shows; the job drives it.

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    -- The object the job works on (a hunt's id), and its unit for the jobs page's scope.
    subject_id TEXT NOT NULL,
    unit_id TEXT REFERENCES units(id),
    payload_json TEXT NOT NULL,
    -- queued | running | done | failed | cancelled
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 3,
    run_after TEXT NOT NULL,
    lease_owner TEXT,
    lease_token TEXT,
    lease_expires_at TEXT,
    heartbeat_at TEXT,
    progress SMALLINT NOT NULL DEFAULT 0,
    result_json TEXT,
    error TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    cancelled_by TEXT
);
-- The claim looks for ready jobs and for running jobs whose lease ran out.
CREATE INDEX jobs_ready ON jobs(state, run_after);
CREATE INDEX jobs_lease ON jobs(state, lease_expires_at);
CREATE INDEX jobs_subject ON jobs(kind, subject_id);
CREATE INDEX jobs_created ON jobs(created_at);

-- Every attempt, so "ran exactly once" can be counted and a retry explained.
CREATE TABLE job_runs (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    attempt INTEGER NOT NULL,
    worker TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    -- NULL while running; done | failed | retry | lost | cancelled
    outcome TEXT,
    error TEXT
);
CREATE INDEX job_runs_job ON job_runs(job_id, attempt);

-- Hunts queued or interrupted before this migration become jobs, so nothing queued
-- under the old worker is lost.
INSERT INTO jobs (id, kind, subject_id, unit_id, payload_json, state, attempts, max_attempts, run_after, created_by, created_at)
SELECT id, 'hunt', id, unit_id, '{}', 'queued', 0, 3, created_at, created_by, created_at
FROM hunts WHERE origin = 'upload' AND status IN ('queued', 'running', 'storing');
UPDATE hunts SET status = 'queued', progress = 0, storing_token = NULL
WHERE origin = 'upload' AND status IN ('running', 'storing');

-- Where each audited write came from: the client's address (behind trusted proxies,
-- the address they forwarded). Hashed from chain format 3 on; earlier entries keep ''.
ALTER TABLE audit_log ADD COLUMN client_addr TEXT NOT NULL DEFAULT '';
