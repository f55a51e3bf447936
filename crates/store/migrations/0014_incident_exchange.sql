-- Exchange (issue 11 item 5): a hunt started from an incident, with the incident's
-- observables as its IOC set, is linked to the incident so the incident page lists it.
-- A link table, not a column of hunts: incidents already refer to hunts (hunt_id), and
-- a reference back would make the foreign keys a cycle (backups restore in key order).
-- Expand-only.
CREATE TABLE incident_hunts (
    hunt_id TEXT PRIMARY KEY REFERENCES hunts (id),
    incident_id TEXT NOT NULL REFERENCES incidents (id)
);
CREATE INDEX incident_hunts_incident ON incident_hunts (incident_id, hunt_id);
