ALTER TABLE orders ADD COLUMN total_with_tax numeric(12,2);
