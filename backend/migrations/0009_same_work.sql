-- A recovery's first step does the same database work whether or not the address has an
-- account: a flow's account is no longer a foreign key. Checking one (on PostgreSQL, a lock on
-- the account's row) was work only a known address cost: pgbench, known and unknown
-- interleaved, +0.06 ms for a known address's flow insert, none without the key. Accounts are
-- never deleted, and a flow takes its account's id from the account row it has just read.
-- SQLite cannot drop a constraint, so the table is rebuilt (the same statements on both
-- databases; on PostgreSQL the primary key keeps the name `recovery_flows_next_pkey`).
CREATE TABLE recovery_flows_next (
    -- SHA-256 of the cookie's flow token.
    id_hash TEXT PRIMARY KEY,
    -- The address as typed (normalised): the code goes there, the mask is built from it.
    email TEXT NOT NULL,
    -- HMAC of the address's key: the subject of the per-account counters, known or not.
    account_key TEXT NOT NULL,
    -- The account, NULL for an address without one.
    user_id TEXT,
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
    grant_expires_at BIGINT,
    sms_code_mac TEXT,
    sms_sent_at BIGINT,
    sms_expires_at BIGINT,
    sms_tries_left BIGINT NOT NULL DEFAULT 0,
    sms_sent BIGINT NOT NULL DEFAULT 0,
    ip TEXT,
    agent TEXT,
    lang TEXT NOT NULL DEFAULT 'en'
);
INSERT INTO recovery_flows_next (id_hash, email, account_key, user_id, step, created_at,
    expires_at, code_mac, code_sent_at, code_expires_at, code_tries_left, codes_sent,
    grant_expires_at, sms_code_mac, sms_sent_at, sms_expires_at, sms_tries_left, sms_sent, ip,
    agent, lang)
SELECT id_hash, email, account_key, user_id, step, created_at, expires_at, code_mac,
    code_sent_at, code_expires_at, code_tries_left, codes_sent, grant_expires_at, sms_code_mac,
    sms_sent_at, sms_expires_at, sms_tries_left, sms_sent, ip, agent, lang
FROM recovery_flows;
DROP TABLE recovery_flows;
ALTER TABLE recovery_flows_next RENAME TO recovery_flows;
CREATE INDEX recovery_flows_by_expiry ON recovery_flows (expires_at);

