CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_created_status_country_idx
  ON orders (customer_id, created_at, status, shipping_country_code);
