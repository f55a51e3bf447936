-- Hunts that tell the truth (issue 9): whether a finished hunt checked everything it
-- was given (every file recognised and read, some event inside the period, and a rule
-- or an IOC sweep that applied to it). 1 = full coverage, 0 = limited: such a hunt
-- cannot be concluded "no sign of compromise" and is not the system's last hunt.
-- NULL = recorded before this migration (coverage unknown; counted as before).
-- Expand-only.
ALTER TABLE hunts ADD COLUMN coverage_full SMALLINT;
