-- Budget lines of IT and digital-transformation plans and projects, with the amount
-- for network information security (issue 12 item 4). Amounts in đồng.
CREATE TABLE budget_lines (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES units(id),
    -- annual_plan | five_year_plan | programme | project
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    decision_no TEXT NOT NULL,
    approved_on TEXT NOT NULL,        -- yyyy-mm-dd
    total BIGINT NOT NULL,
    security BIGINT NOT NULL,
    note TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX budget_lines_unit ON budget_lines(unit_id, approved_on);
