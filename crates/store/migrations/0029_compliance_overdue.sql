-- What the daily sweep found overdue per unit (issue 12 item 6): the dashboards and the
-- leader's page read how many units are behind, and on their reports, from the sweep's
-- rows instead of computing every unit's obligations on each view (a national tree's
-- obligations take about a second). Added with defaults: an older process that writes
-- scores without them keeps working during a rolling upgrade (expand only).
ALTER TABLE compliance_scores ADD COLUMN overdue_obligations INTEGER NOT NULL DEFAULT 0;
ALTER TABLE compliance_scores ADD COLUMN overdue_reports INTEGER NOT NULL DEFAULT 0;
