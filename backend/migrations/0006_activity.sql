-- Security activity ("what happened to my account"), the sessions list, and "This wasn't me".

-- The audit log becomes the account's activity: what happened, from which browser and address.
-- `detail` holds an already-masked fact (e.g. the masked address a code went to), `ip` the
-- client address with its last part masked, `agent` a short "Firefox on Android".
-- `seq` orders one account's events exactly, even within one second.
ALTER TABLE audit_log ADD COLUMN detail TEXT;
ALTER TABLE audit_log ADD COLUMN ip TEXT;
ALTER TABLE audit_log ADD COLUMN agent TEXT;
ALTER TABLE audit_log ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX audit_log_by_user ON audit_log (user_id, seq);

-- Where each session was opened, for the sessions list on /account.
ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN agent TEXT;

-- Where a recovery flow was started: its events are recorded with it.
ALTER TABLE recovery_flows ADD COLUMN ip TEXT;
ALTER TABLE recovery_flows ADD COLUMN agent TEXT;

-- The "This wasn't me" links of notification e-mails: SHA-256 of the token, single use, 7 days.
CREATE TABLE disown_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- What the e-mail reported: password_reset | new_sign_in
    event TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX disown_tokens_by_expiry ON disown_tokens (expires_at);
