CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_created_at_status_shipping_country_code_partial_idx
  ON orders (customer_id, created_at, status, shipping_country_code);
