-- Rollback of 0005_add_shipped_at_to_notes.sql (add shipped_at to notes); drizzle has no down
-- migrations. Run it by hand against the database the migration ran on.
BEGIN;
ALTER TABLE notes DROP COLUMN shipped_at;
-- forget 0005_add_shipped_at_to_notes, so drizzle's migrator runs it again
DELETE FROM drizzle.__drizzle_migrations WHERE created_at = 1767323045000;
COMMIT;
