CREATE TABLE orders (
  id bigint PRIMARY KEY,
  total numeric(12,2),
  note varchar(200),
  CONSTRAINT orders_total_positive CHECK (total >= 0)
);
