-- The provincial incident response team and its duty roster (issue 11 item 7).
CREATE TABLE team_members (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    unit_id TEXT NOT NULL REFERENCES units(id),
    -- leader | technical | coordinator
    team_role TEXT NOT NULL,
    skills TEXT NOT NULL,
    certifications TEXT NOT NULL,
    phone_247 TEXT NOT NULL,
    email TEXT,
    expert SMALLINT NOT NULL,
    active SMALLINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE team_roster (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES team_members(id),
    starts_on TEXT NOT NULL,          -- yyyy-mm-dd, inclusive
    ends_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX team_roster_dates ON team_roster(ends_on, starts_on);
