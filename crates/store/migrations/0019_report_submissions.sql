-- Periodic reports submitted by units (issue 12 item 3): one row per unit, report and
-- period; a returned report is submitted again on the same row.
CREATE TABLE report_submissions (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES units(id),
    -- The obligation id of the report (quarterly_report, annual_level_report, …).
    kind TEXT NOT NULL,
    -- 2026-08 | 2026-Q3 | 2026
    period TEXT NOT NULL,
    -- The due date of that period's report, as the rules gave it when submitted.
    due_on TEXT NOT NULL,
    submitted_on TEXT NOT NULL,       -- the Vietnam date
    submitted_at TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    reference TEXT,
    note TEXT,
    -- submitted | accepted | returned
    status TEXT NOT NULL,
    reviewed_by TEXT,
    reviewed_at TEXT,
    review_note TEXT
);
CREATE UNIQUE INDEX report_submissions_period ON report_submissions(unit_id, kind, period);
CREATE INDEX report_submissions_status ON report_submissions(status, submitted_at);
