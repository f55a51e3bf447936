-- The legal clocks at work (issues 11 item 3 and 12 item 2): a report an incident owed,
-- recorded as sent; reminders in the app; the e-mail outbox; the daily sweep's key.
-- Times are UTC RFC 3339 text like everywhere else. Expand-only.

-- A report an incident owed, sent: one per (incident, kind). The deadline it answers
-- is computed from the incident's facts, never stored, so a correction of a fact moves
-- the deadline and the page says whether the report was on time. Documents generated
-- for a report may later be linked to this row by its id.
CREATE TABLE incident_reports_sent (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    -- notification | initial_report | closure_report | immediate_report | … (the
    -- report kinds of data/regimes/incident-clocks.toml).
    kind TEXT NOT NULL,
    -- When it was sent (to the minute), as the sender says.
    sent_at TEXT NOT NULL,
    -- The dispatch's number or the message's reference.
    reference TEXT NOT NULL DEFAULT '',
    -- To whom (the authority or the address it went to).
    recipient TEXT NOT NULL,
    sent_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX incident_reports_sent_kind ON incident_reports_sent (incident_id, kind);

-- A reminder for one person about one occurrence of one duty at one stage ("7 days
-- before", "1 day before", "overdue", the weekly digest). The unique key makes the
-- sweep idempotent: a second sweep, or two workers at once, insert nothing new.
CREATE TABLE reminders (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    -- obligation | incident_report | digest
    kind TEXT NOT NULL,
    -- What it is about: `unit:<id>`, `system:<id>:<obligation>`, `incident:<id>:<report kind>`, `province`.
    subject TEXT NOT NULL,
    -- Which occurrence: the due date or instant (a periodic duty's next occurrence is
    -- a new subject for reminders); the ISO week for the digest.
    occurrence TEXT NOT NULL,
    -- 7d | 1d | overdue | weekly
    stage TEXT NOT NULL,
    -- The unit whose duty it is (the reminder's audit and tenancy unit).
    unit_id TEXT REFERENCES units (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    href TEXT NOT NULL,
    -- The deadline (RFC 3339 instant, or YYYY-MM-DD for a date), '' for the digest.
    due TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE UNIQUE INDEX reminders_once ON reminders (user_id, subject, kind, occurrence, stage);
CREATE INDEX reminders_user ON reminders (user_id, read_at, created_at);

-- E-mails to send, written in the transaction that creates their reminder (so none is
-- lost) and sent by whoever claims them: pending -> sending (a claim token and time)
-- -> sent, each step conditional on the state read, so two senders never both send.
-- A claim whose sender died is taken over after a while (attempts counted).
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    reminder_id TEXT REFERENCES reminders (id),
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- pending | sending | sent | failed
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    claim_token TEXT,
    claimed_at TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE UNIQUE INDEX mail_outbox_reminder ON mail_outbox (reminder_id);
CREATE INDEX mail_outbox_state ON mail_outbox (state, created_at);

-- One scheduled job per key (the reminder sweep of a Vietnam day): the first process
-- to insert the key enqueues the job, the others find it taken.
CREATE TABLE job_schedule (
    key TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
