-- Whether a recovery flow passed the slider in its harder tier. Past its address's daily limit
-- of wrong codes (DESIGN.md §3) only such a flow checks codes, and its right e-mailed code then
-- asks for the SMS step; any other flow goes back to the slider first.
ALTER TABLE recovery_flows ADD COLUMN hard_passed BIGINT NOT NULL DEFAULT 0;

-- An account's flows, found without a scan: a reset (and "This wasn't me") ends the account's
-- other recoveries.
CREATE INDEX recovery_flows_by_user ON recovery_flows (user_id);

-- An account's remembered browsers, found without a scan: a reset forgets them.
CREATE INDEX known_devices_by_user ON known_devices (user_id);
