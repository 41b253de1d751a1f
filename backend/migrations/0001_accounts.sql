-- Accounts, sessions, pending sign-ups, rolling-window limits, the outbox and the audit log.
-- Written in SQL that SQLite and PostgreSQL both accept: ids and hashes are TEXT (hex),
-- times are BIGINT seconds since the Unix epoch.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    -- The lower-cased address: one account per address whatever the case typed.
    email_key TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    phone TEXT,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    -- SHA-256 of the cookie's token: a stolen database holds no usable session.
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- A sign-up waiting for its e-mailed code. A row exists for taken addresses too (with a code
-- nobody knows), so sign-up does the same work whether or not the address has an account.
CREATE TABLE signups (
    id_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    phone TEXT,
    code_mac TEXT NOT NULL,
    tries_left BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Events counted over rolling windows (login failures per account and per network).
-- The subject is an HMAC of the e-mail or network, never the raw value.
CREATE TABLE attempts (
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX attempts_by_subject ON attempts (kind, subject, at);

-- Messages written in the same transaction as what caused them, delivered by the sender.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);

-- What the development transport "sent": readable at /dev/outbox and /dev/outbox.json.
CREATE TABLE dev_mailbox (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    delivered_at BIGINT NOT NULL
);
CREATE INDEX dev_mailbox_by_time ON dev_mailbox (delivered_at);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    user_id TEXT,
    event TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX audit_by_user ON audit_log (user_id, at);

-- Server-wide values such as the development secret key generated on first start.
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
