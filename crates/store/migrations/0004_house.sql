-- The house: uniqueness the domain states, and the audit chain's unit path under its hash.

-- Two clicks on "new dossier" must not make two drafts with the same version.
CREATE UNIQUE INDEX dossiers_system_version ON dossiers (system_id, version);
-- A system's code is unique within its owner unit (NULL codes are distinct).
CREATE UNIQUE INDEX systems_owner_code ON systems (owner_unit_id, code);
-- Unit codes are unique whatever their case.
CREATE UNIQUE INDEX units_code_ci ON units (LOWER(code));

-- 1: entries written before this migration, whose hash leaves out unit_path;
-- 2: the unit path is hashed too, so re-pointing history is detected.
ALTER TABLE audit_log ADD COLUMN hash_version SMALLINT NOT NULL DEFAULT 1;

-- A TOTP code is accepted once: the last time step used per account.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- A hunt's detections are stored in short transactions, so a 50,000-row result does
-- not hold the write lock while sign-ins wait. `storing` marks the hunt meanwhile, and
-- the token names the one finisher allowed to add rows.
ALTER TABLE hunts ADD COLUMN storing_token TEXT;
