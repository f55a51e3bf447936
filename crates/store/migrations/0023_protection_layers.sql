-- The 4-layer model per system (issue 12 item 4): one row per system and layer that
-- has been recorded; a layer never recorded is not in place. `version` counts saves,
-- so a save made on a stale form is refused instead of overwriting a newer one.
CREATE TABLE protection_layers (
    system_id TEXT NOT NULL REFERENCES systems(id),
    layer TEXT NOT NULL,
    -- in_place | in_progress | absent
    state TEXT NOT NULL,
    -- in_house | hired, none when absent
    arrangement TEXT,
    provider TEXT,
    contract TEXT,
    since TEXT,                       -- yyyy-mm-dd
    note TEXT,
    version BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (system_id, layer)
);
