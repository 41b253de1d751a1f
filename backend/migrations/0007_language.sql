-- The language a journey was started in: its e-mails and text messages are written in it,
-- whatever the page shows later (`texts::Locale` codes: en, zh, es, ru, pt-BR, fr, ar).
ALTER TABLE recovery_flows ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';
