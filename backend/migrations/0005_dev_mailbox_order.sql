-- The order the development transport stored its messages in, so "the newest code" is exact
-- even when two messages share a timestamp (tests run on a clock that stands still).
ALTER TABLE dev_mailbox ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX dev_mailbox_by_seq ON dev_mailbox (seq);
