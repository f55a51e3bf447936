-- Incident response drills (issue 11 item 8) and the weaknesses they found, each a
-- finding imported on its system (`import_id`).
CREATE TABLE drills (
    id TEXT PRIMARY KEY,
    -- The organising principal's unit (its scope).
    unit_id TEXT NOT NULL REFERENCES units(id),
    -- real_world | tabletop
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    organiser TEXT NOT NULL,
    held_from TEXT NOT NULL,          -- yyyy-mm-dd
    held_to TEXT NOT NULL,
    objectives TEXT NOT NULL,
    participants TEXT NOT NULL,
    tools TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX drills_unit ON drills(unit_id, held_to);
CREATE TABLE drill_systems (
    drill_id TEXT NOT NULL REFERENCES drills(id),
    system_id TEXT NOT NULL REFERENCES systems(id),
    PRIMARY KEY (drill_id, system_id)
);
CREATE INDEX drill_systems_system ON drill_systems(system_id);
CREATE TABLE drill_weaknesses (
    id TEXT PRIMARY KEY,
    drill_id TEXT NOT NULL REFERENCES drills(id),
    system_id TEXT NOT NULL REFERENCES systems(id),
    import_id TEXT NOT NULL REFERENCES scan_imports(id),
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX drill_weaknesses_drill ON drill_weaknesses(drill_id);
