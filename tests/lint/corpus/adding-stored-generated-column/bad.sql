ALTER TABLE orders ADD COLUMN total_with_tax numeric(12,2)
  GENERATED ALWAYS AS (total * 1.2) STORED;
