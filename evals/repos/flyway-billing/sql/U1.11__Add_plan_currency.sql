ALTER TABLE plans DROP COLUMN currency;
