-- lint: in_transaction=true
BEGIN;
ALTER TABLE orders ADD COLUMN note text;
COMMIT;
