ALTER TABLE orders ADD COLUMN metadata jsonb;
