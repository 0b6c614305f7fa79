-- lint: expects_down=true
ALTER TABLE orders ADD COLUMN note text;
