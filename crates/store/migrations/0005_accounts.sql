-- Accounts: tokens that end, second factors the server proposes.

-- When a token stops working, and what it may write (read | hunts | imports). Tokens
-- made before this had every right and no end: '' sorts before every timestamp, so
-- they count as expired and must be made again with a scope and a lifetime.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'read';

-- The TOTP secret proposed to this session during enrolment, kept here until one valid
-- code confirms it (the form never carries it).
ALTER TABLE sessions ADD COLUMN totp_enrol_secret TEXT;
