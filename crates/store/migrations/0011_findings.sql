-- Vulnerability management (issue 10): scanner imports into a system, the findings they
-- deduplicate into (one row per system and fingerprint), each finding's history, the
-- KEV catalogue's versions, and the system's last serious fix. Expand-only.

-- One uploaded report imported into one system; it runs as a job (kind `scan_import`).
CREATE TABLE scan_imports (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES systems(id),
    -- The system's owner when the import was made (the jobs page's scope).
    unit_id TEXT NOT NULL REFERENCES units(id),
    -- The tool asked for (`--tool`), and the tool read (detected when not asked).
    requested_tool TEXT,
    tool TEXT,
    tool_family TEXT,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    file_size BIGINT NOT NULL,
    -- A full-scope scan covers the whole system: what it no longer sees is fixed.
    full_scope SMALLINT NOT NULL DEFAULT 0,
    -- queued | running | done | failed | cancelled
    state TEXT NOT NULL,
    progress SMALLINT NOT NULL DEFAULT 0,
    error TEXT,
    -- Findings read from the file, and distinct fingerprints among them.
    findings BIGINT NOT NULL DEFAULT 0,
    distinct_findings BIGINT NOT NULL DEFAULT 0,
    new_count BIGINT NOT NULL DEFAULT 0,
    unchanged_count BIGINT NOT NULL DEFAULT 0,
    fixed_count BIGINT NOT NULL DEFAULT 0,
    reopened_count BIGINT NOT NULL DEFAULT 0,
    -- The parser's skipped items by reason and its notes (JSON), and whether it
    -- stopped at the findings limit.
    skipped_json TEXT NOT NULL DEFAULT '{}',
    notes_json TEXT NOT NULL DEFAULT '[]',
    truncated SMALLINT NOT NULL DEFAULT 0,
    -- An earlier finished import of the same file into the same system.
    same_file_as TEXT,
    -- The worker's lease token while it stages rows (a taken-over job restages).
    staging_token TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX scan_imports_system ON scan_imports(system_id, created_at);
CREATE INDEX scan_imports_file ON scan_imports(system_id, file_sha256);

-- An import's findings while it runs, one row per distinct fingerprint (the worker
-- drops repeats), in file order; applied to `findings` in one transaction at the end,
-- then deleted. A fingerprint the system already has is staged without its text
-- (`known` = 1): the finding keeps what it has.
CREATE TABLE scan_import_rows (
    import_id TEXT NOT NULL REFERENCES scan_imports(id),
    fingerprint TEXT NOT NULL,
    finding_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    scanner TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    severity_rank SMALLINT NOT NULL,
    cves TEXT NOT NULL,
    host TEXT NOT NULL,
    port BIGINT,
    location TEXT NOT NULL,
    due_on TEXT NOT NULL,
    kev SMALLINT NOT NULL,
    kev_date_added TEXT,
    kev_due_date TEXT,
    kev_ransomware SMALLINT NOT NULL,
    known SMALLINT NOT NULL,
    PRIMARY KEY (import_id, position)
);
CREATE INDEX scan_import_rows_fingerprint ON scan_import_rows(import_id, fingerprint);

-- The last full-scope import of each scanner family into a system: every open finding
-- of that family was seen by it (or it would be fixed), so a full-scope rescan does not
-- rewrite the findings it only sees again; their last sighting is read from here.
CREATE TABLE scan_scopes (
    system_id TEXT NOT NULL REFERENCES systems(id),
    tool_family TEXT NOT NULL,
    last_full_import_id TEXT NOT NULL REFERENCES scan_imports(id),
    last_full_at TEXT NOT NULL,
    PRIMARY KEY (system_id, tool_family)
);

CREATE TABLE findings (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES systems(id),
    -- khien-scan's fingerprint (docs/import.md): sha256 of the scanner family, rule and
    -- place; severity, text and dates are not part of it.
    fingerprint TEXT NOT NULL,
    tool TEXT NOT NULL,
    tool_family TEXT NOT NULL,
    scanner TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    -- critical 4, high 3, medium 2, low 1, info 0: the lists' order.
    severity_rank SMALLINT NOT NULL,
    -- ' CVE-2012-1823 CVE-… ' (spaces around each id, for an exact LIKE).
    cves TEXT NOT NULL,
    host TEXT NOT NULL,
    port BIGINT,
    -- URL, path or component@version: where it is, for the list.
    location TEXT NOT NULL,
    -- open | fixed | accepted_risk | false_positive
    status TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    first_import_id TEXT NOT NULL REFERENCES scan_imports(id),
    last_import_id TEXT NOT NULL REFERENCES scan_imports(id),
    -- Last day to remediate (Vietnam date); '9999-12-31' when none (info).
    due_on TEXT NOT NULL,
    fixed_at TEXT,
    -- The last status decision: who, when, why; an accepted risk's approver and its
    -- last day.
    status_by TEXT,
    status_at TEXT,
    status_reason TEXT,
    risk_approver TEXT,
    risk_expires_on TEXT,
    -- CISA KEV: listed (1), with the catalogue's date added, due date and ransomware use.
    kev SMALLINT NOT NULL DEFAULT 0,
    kev_date_added TEXT,
    kev_due_date TEXT,
    kev_ransomware SMALLINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX findings_fingerprint ON findings(system_id, fingerprint);
-- Keyset paging, province-wide and per system: worst first, then the nearest deadline.
CREATE INDEX findings_list ON findings(status, severity_rank, due_on, id);
CREATE INDEX findings_system_list ON findings(system_id, status, severity_rank, due_on, id);
CREATE INDEX findings_risk_expiry ON findings(status, risk_expires_on);
CREATE INDEX findings_kev ON findings(kev, status);

-- Everything else the scanner said about a finding (description, solution, evidence,
-- CVSS, …), written once when the finding is first seen. Apart from `findings` so that
-- a rescan, which touches every finding it sees, rewrites small rows. Written while the
-- import stages; rows whose finding never came (a failed or raced import) are deleted
-- by their import id.
CREATE TABLE finding_details (
    finding_id TEXT PRIMARY KEY,
    import_id TEXT NOT NULL REFERENCES scan_imports(id),
    detail_json TEXT NOT NULL
);
CREATE INDEX finding_details_import ON finding_details(import_id);

-- What happened to a finding after it was first seen (its creation is its first
-- import): fixed / reopened by an import, status decisions by people, an accepted risk
-- reopened at its expiry.
CREATE TABLE finding_events (
    id TEXT PRIMARY KEY,
    finding_id TEXT NOT NULL REFERENCES findings(id),
    import_id TEXT REFERENCES scan_imports(id),
    -- fixed | reopened | status | risk_expired
    kind TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT,
    at TEXT NOT NULL
);
CREATE INDEX finding_events_finding ON finding_events(finding_id, at);

-- The directives' hunt after a serious fix: when a critical or high finding of the
-- system last became fixed (the obligations engine reads it; docs/decisions.md).
ALTER TABLE systems ADD COLUMN serious_fix_at TEXT;

-- CISA's Known Exploited Vulnerabilities catalogue, every version loaded.
CREATE TABLE kev_catalogues (
    id TEXT PRIMARY KEY,
    catalog_version TEXT NOT NULL,
    date_released TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    entries BIGINT NOT NULL,
    -- Entries not in the version loaded before it.
    added BIGINT NOT NULL,
    source TEXT NOT NULL,
    loaded_by TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);
CREATE UNIQUE INDEX kev_catalogues_sha ON kev_catalogues(sha256);

CREATE TABLE kev_entries (
    catalogue_id TEXT NOT NULL REFERENCES kev_catalogues(id),
    cve_id TEXT NOT NULL,
    vendor TEXT NOT NULL,
    product TEXT NOT NULL,
    name TEXT NOT NULL,
    date_added TEXT NOT NULL,
    due_date TEXT NOT NULL,
    ransomware SMALLINT NOT NULL,
    -- 1: not in the version loaded before.
    is_new SMALLINT NOT NULL,
    PRIMARY KEY (catalogue_id, cve_id)
);
CREATE INDEX kev_entries_cve ON kev_entries(cve_id);
