-- Portable DDL: runs unchanged on SQLite and PostgreSQL (see docs/decisions.md).
-- Ids are app-generated UUIDv7 text, times are RFC 3339 UTC text, flags are SMALLINT.

CREATE TABLE units (
    id TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES units(id),
    -- Materialised path of ids, '/root/child/': the tenancy scope is a prefix of it.
    path TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_norm TEXT NOT NULL,
    kind TEXT NOT NULL,
    active SMALLINT NOT NULL DEFAULT 1,
    address TEXT,
    leader_name TEXT,
    leader_title TEXT,
    leader_phone TEXT,
    leader_email TEXT,
    security_unit TEXT,
    security_person TEXT,
    security_phone TEXT,
    security_email TEXT,
    report_phone TEXT,
    report_email TEXT,
    report_other TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX units_parent ON units(parent_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_id TEXT NOT NULL REFERENCES units(id),
    active SMALLINT NOT NULL DEFAULT 1,
    totp_secret TEXT,
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
);

CREATE TABLE sessions (
    -- sha256 of the cookie token: a database leak does not leak live sessions.
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    -- 1 while the second factor is still owed.
    totp_pending SMALLINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked SMALLINT NOT NULL DEFAULT 0
);

CREATE TABLE login_failures (
    id TEXT PRIMARY KEY,
    -- 'user:<name>' or 'ip:<addr>'
    throttle_key TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(throttle_key, at_ms);

-- One row: the head of the audit chain. Every write transaction updates it first, which
-- serialises writers on both databases and hands out the next sequence number.
CREATE TABLE audit_head (
    id SMALLINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    -- The unit the entity belongs to: units see the audit of their own subtree.
    unit_id TEXT NOT NULL,
    unit_path TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_unit_path ON audit_log(unit_path);

CREATE TABLE systems (
    id TEXT PRIMARY KEY,
    code TEXT,
    name TEXT NOT NULL,
    name_norm TEXT NOT NULL,
    owner_unit_id TEXT NOT NULL REFERENCES units(id),
    operator_unit_id TEXT NOT NULL REFERENCES units(id),
    system_type TEXT NOT NULL,
    status TEXT NOT NULL,
    go_live_date TEXT,
    hosting_system_id TEXT REFERENCES systems(id),
    information_types TEXT NOT NULL,
    personal_subjects BIGINT NOT NULL DEFAULT 0,
    sensitive_subjects BIGINT NOT NULL DEFAULT 0,
    handles_admin_procedures SMALLINT NOT NULL DEFAULT 0,
    requires_24x7 SMALLINT NOT NULL DEFAULT 0,
    urls TEXT NOT NULL,
    ip_ranges TEXT NOT NULL,
    description TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX systems_owner ON systems(owner_unit_id);
CREATE INDEX systems_operator ON systems(operator_unit_id);

CREATE TABLE system_components (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES systems(id),
    position BIGINT NOT NULL,
    vendor TEXT NOT NULL,
    product TEXT NOT NULL,
    version TEXT NOT NULL,
    cpe TEXT NOT NULL
);
CREATE INDEX components_system ON system_components(system_id);
