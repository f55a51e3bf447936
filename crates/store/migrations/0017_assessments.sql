-- Security assessments (kiểm tra, đánh giá) of systems and units (issue 12 item 4;
-- Form 08 column 12; the obligations system_assessment and unit_assessment).
CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES units(id),
    -- NULL: an assessment of the unit as a whole.
    system_id TEXT REFERENCES systems(id),
    -- before_go_live | periodic | unit
    kind TEXT NOT NULL,
    performed_on TEXT NOT NULL,       -- yyyy-mm-dd
    performer TEXT NOT NULL,
    licence_no TEXT,
    scope TEXT NOT NULL,
    result TEXT NOT NULL,
    findings BIGINT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX assessments_system ON assessments(system_id, performed_on);
CREATE INDEX assessments_unit ON assessments(unit_id, performed_on);
