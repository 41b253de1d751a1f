-- Forgot-password flows. One row per browser flow, for addresses with and without an account
-- (user_id NULL), so every step does the same database work whichever it is.
CREATE TABLE recovery_flows (
    -- SHA-256 of the cookie's flow token.
    id_hash TEXT PRIMARY KEY,
    -- The address as typed (normalised): the code goes there, the mask is built from it.
    email TEXT NOT NULL,
    -- HMAC of the address's key: the subject of the per-account counters, known or not.
    account_key TEXT NOT NULL,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    -- challenge | verify | code | sms | password | done (domain::recovery::Step)
    step TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- HMAC-SHA-256(secret, flow id ‖ code) of the current code; never the code itself.
    code_mac TEXT,
    code_sent_at BIGINT,
    code_expires_at BIGINT,
    code_tries_left BIGINT NOT NULL DEFAULT 0,
    codes_sent BIGINT NOT NULL DEFAULT 0,
    -- The single-use grant to set a new password, after the last code was right.
    grant_expires_at BIGINT
);
CREATE INDEX recovery_flows_by_expiry ON recovery_flows (expires_at);
