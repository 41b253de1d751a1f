-- Whether a recovery flow passed the slider in its harder tier. Past its address's daily limit
-- of wrong codes (DESIGN.md §3) only such a flow checks codes, and its right e-mailed code then
-- asks for the SMS step; any other flow goes back to the slider first.
ALTER TABLE recovery_flows ADD COLUMN hard_passed BIGINT NOT NULL DEFAULT 0;
