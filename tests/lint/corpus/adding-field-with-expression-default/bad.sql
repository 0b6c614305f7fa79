-- lint: dialect=mysql
ALTER TABLE orders ADD COLUMN public_id char(36) DEFAULT (uuid());
