-- The SMS step of recovery, remembered devices, and accounts an operator flagged.

-- The SMS code of a flow, kept apart from the e-mailed one (its limits are counted separately).
ALTER TABLE recovery_flows ADD COLUMN sms_code_mac TEXT;
ALTER TABLE recovery_flows ADD COLUMN sms_sent_at BIGINT;
ALTER TABLE recovery_flows ADD COLUMN sms_expires_at BIGINT;
ALTER TABLE recovery_flows ADD COLUMN sms_tries_left BIGINT NOT NULL DEFAULT 0;
ALTER TABLE recovery_flows ADD COLUMN sms_sent BIGINT NOT NULL DEFAULT 0;

-- Set by an operator (`server user flag`): recovery of this account always asks for the SMS step.
ALTER TABLE users ADD COLUMN flagged BIGINT NOT NULL DEFAULT 0;

-- Browsers that signed in to, or reset the password of, an account ("remember this device").
-- The cookie holds a random id and its HMAC; the table holds the id's SHA-256.
CREATE TABLE known_devices (
    device_hash TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (device_hash, user_id)
);
