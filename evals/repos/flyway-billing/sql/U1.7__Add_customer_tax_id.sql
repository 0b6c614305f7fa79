ALTER TABLE customers DROP COLUMN country;
ALTER TABLE customers DROP COLUMN tax_id;
