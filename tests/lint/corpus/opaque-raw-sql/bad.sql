DO $$
BEGIN
  EXECUTE 'ALTER TABLE orders ADD COLUMN note text';
END $$;
