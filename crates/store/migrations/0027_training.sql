-- Awareness and training campaigns (issue 12 item 4) and the people who took part. A
-- campaign belongs to the unit that organised it; a participant to the unit they work
-- in, so a unit sees the campaigns its people joined.
CREATE TABLE training_campaigns (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES units(id),
    -- course | awareness | phishing_simulation | specialised
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    -- all_staff | it_staff | administrators | leaders
    audience TEXT NOT NULL,
    held_from TEXT NOT NULL,          -- yyyy-mm-dd
    held_to TEXT NOT NULL,            -- yyyy-mm-dd
    topics TEXT NOT NULL,
    trainer TEXT,
    sent BIGINT,
    clicked BIGINT,
    reported BIGINT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX training_campaigns_unit ON training_campaigns(unit_id, held_to);
CREATE TABLE training_participants (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES training_campaigns(id),
    unit_id TEXT NOT NULL REFERENCES units(id),
    name TEXT NOT NULL,
    position TEXT,
    completed SMALLINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX training_participants_campaign ON training_participants(campaign_id);
CREATE INDEX training_participants_unit ON training_participants(unit_id, campaign_id);
