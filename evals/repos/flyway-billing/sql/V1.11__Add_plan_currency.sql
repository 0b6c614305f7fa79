ALTER TABLE plans ADD COLUMN currency CHAR(3) NOT NULL DEFAULT 'EUR';

UPDATE plans SET currency = 'EUR' WHERE currency IS NULL;
