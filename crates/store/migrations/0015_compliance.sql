-- The compliance index per unit and quarter (issue 12 item 5). The daily sweep writes
-- today's score into the current quarter's row, so a past quarter keeps the score of
-- its last day: the trend over quarters reads these rows.
CREATE TABLE compliance_scores (
    quarter TEXT NOT NULL,            -- 2026-Q4
    unit_id TEXT NOT NULL REFERENCES units(id),
    -- Tenths of a percent (0–1000); NULL when nothing could be counted.
    score_permille INTEGER,
    met_weight INTEGER NOT NULL,
    counted_weight INTEGER NOT NULL,
    not_counted INTEGER NOT NULL,
    updated_on TEXT NOT NULL,         -- the Vietnam date of the sweep
    PRIMARY KEY (quarter, unit_id)
);
CREATE INDEX compliance_scores_unit ON compliance_scores(unit_id, quarter);
