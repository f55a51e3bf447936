-- Exchange (issue 11 item 5): a hunt started from an incident, with the incident's
-- observables as its IOC set, remembers the incident so the incident page lists it.
-- Expand-only.
ALTER TABLE hunts ADD COLUMN incident_id TEXT REFERENCES incidents (id);
CREATE INDEX hunts_incident ON hunts (incident_id);
