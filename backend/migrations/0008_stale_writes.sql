-- Never holds a row. A SQLite batch whose statement had to change a row and changed none
-- inserts one here right after it (`db::Batch::push_changing`); the CHECK refuses it, which
-- stops the batch, and the writer rolls it all back. (PostgreSQL checks each statement's
-- count instead and does not use the table.)
CREATE TABLE stale_writes (
    fresh BIGINT NOT NULL CONSTRAINT stale_write CHECK (fresh = 1)
);
