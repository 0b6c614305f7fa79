-- lint: in_transaction=true
ALTER TABLE orders ADD COLUMN priority integer DEFAULT 0 NOT NULL;
