-- The rule library (issue 9, 1b): rule sets a province administrator imports (a SigmaHQ
-- release or any set of Sigma files), their rules, and which library rules each hunt
-- used. Rule rows are never changed after import except for `enabled`, and never
-- deleted, so a hunt's snapshot (hunt_library_rules) names exactly what it ran.
-- Expand-only.
CREATE TABLE rule_sets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL DEFAULT '',
    -- The uploaded file's name and sha256 (a zip; a folder is its content digest).
    source_name TEXT NOT NULL DEFAULT '',
    source_sha256 TEXT NOT NULL DEFAULT '',
    -- sha256 over the sorted (path, sha256 of text) of its rule files: the same
    -- release uploaded again, as a zip or as a folder, is recognised by it.
    digest TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    rules_loaded BIGINT NOT NULL DEFAULT 0,
    rules_skipped BIGINT NOT NULL DEFAULT 0,
    enabled SMALLINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX rule_sets_digest ON rule_sets (digest);

CREATE TABLE rules (
    id TEXT PRIMARY KEY,
    set_id TEXT NOT NULL REFERENCES rule_sets (id),
    -- The file's path inside the set (a label; nothing is written under it).
    path TEXT NOT NULL,
    position BIGINT NOT NULL,
    -- The first rule of the file: Sigma id (title when it has none), title, level...
    rule_id TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    search_norm TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '',
    product TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    service TEXT NOT NULL DEFAULT '',
    -- Rules (and correlations) in the file that load.
    rule_count BIGINT NOT NULL DEFAULT 0,
    -- 1 = usable; 0 = skipped, `problem` says why.
    loaded SMALLINT NOT NULL,
    problem TEXT,
    enabled SMALLINT NOT NULL DEFAULT 1,
    text TEXT NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE UNIQUE INDEX rules_set_path ON rules (set_id, path);
CREATE INDEX rules_set_position ON rules (set_id, position);
CREATE INDEX rules_enabled ON rules (enabled, loaded);

-- The library rules a hunt was queued with (enabled at that moment).
CREATE TABLE hunt_library_rules (
    hunt_id TEXT NOT NULL REFERENCES hunts (id),
    rule_id TEXT NOT NULL REFERENCES rules (id),
    PRIMARY KEY (hunt_id, rule_id)
);

-- Which rule sets (name, version, rules used) and the digest of the rules a hunt used.
ALTER TABLE hunts ADD COLUMN library_json TEXT;
