-- Third parties and the ICT supply chain (issue 12 item 4). A party belongs to the unit
-- that contracts it, is tied to the systems it touches, keeps its contract's security
-- clauses (keys of data/regimes/vendors.toml, comma-separated, in the policy's order)
-- and is versioned so a save on a stale form is refused; reviews are kept, never edited.
CREATE TABLE vendors (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES units(id),
    name TEXT NOT NULL,
    tax_code TEXT,
    -- development | operation | hosting | security_service | assessment | software | telecom
    service TEXT NOT NULL,
    contact TEXT,
    contract_no TEXT,
    contract_from TEXT,               -- yyyy-mm-dd
    contract_to TEXT,                 -- yyyy-mm-dd
    clauses TEXT NOT NULL,
    note TEXT,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX vendors_unit ON vendors(unit_id);
CREATE TABLE vendor_systems (
    vendor_id TEXT NOT NULL REFERENCES vendors(id),
    system_id TEXT NOT NULL REFERENCES systems(id),
    PRIMARY KEY (vendor_id, system_id)
);
CREATE INDEX vendor_systems_system ON vendor_systems(system_id);
CREATE TABLE vendor_reviews (
    id TEXT PRIMARY KEY,
    vendor_id TEXT NOT NULL REFERENCES vendors(id),
    reviewed_on TEXT NOT NULL,        -- yyyy-mm-dd
    -- satisfactory | issues | unsatisfactory
    outcome TEXT NOT NULL,
    summary TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX vendor_reviews_vendor ON vendor_reviews(vendor_id, reviewed_on);
