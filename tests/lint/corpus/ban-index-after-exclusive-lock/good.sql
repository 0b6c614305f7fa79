BEGIN;
ALTER TABLE orders ADD COLUMN shipped_at timestamptz;
COMMIT;
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_shipped_at_idx ON orders (shipped_at);
