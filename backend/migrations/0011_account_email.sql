-- The account's address as stored, on a recovery flow of an address with an account: its codes
-- and the password-changed notice go there, not to the address as typed, which matches the
-- account's whatever its case but may name another mailbox on a server that keeps local parts'
-- case apart (RFC 5321). NULL for an address without an account (its only possible mail, "no
-- account uses this address", goes to the address typed).
ALTER TABLE recovery_flows ADD COLUMN account_email TEXT;

-- Flows opened before this migration: their account's address.
UPDATE recovery_flows
SET account_email = (SELECT u.email FROM users u WHERE u.id = recovery_flows.user_id)
WHERE user_id IS NOT NULL;
