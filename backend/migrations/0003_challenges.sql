-- The slider challenge. Challenges themselves are signed tokens (no row until answered).

-- One answer per challenge: the insert that succeeds is the only one judged.
CREATE TABLE challenge_answers (
    id TEXT PRIMARY KEY,
    answered_at BIGINT NOT NULL,
    passed BIGINT NOT NULL
);
CREATE INDEX challenge_answers_by_time ON challenge_answers (answered_at);

-- Shapes of accepted drags, to refuse exact replays for a day.
CREATE TABLE challenge_paths (
    fingerprint TEXT PRIMARY KEY,
    at BIGINT NOT NULL
);

-- A passed sign-in challenge: a one-time pass consumed by the next sign-in of that address.
CREATE TABLE challenge_passes (
    id_hash TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
