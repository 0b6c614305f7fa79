-- lint: in_transaction=true
ALTER TABLE orders ADD COLUMN note text;
