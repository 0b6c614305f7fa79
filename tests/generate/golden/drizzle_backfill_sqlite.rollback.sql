-- Rollback of 0005_backfill_notes_title.sql (backfill notes title); drizzle has no down
-- migrations. Run it by hand against the database the migration ran on.
-- It cannot bring back the values of notes.title before the backfill.
-- Nothing to do: backfill of notes.title is not undone.
BEGIN;
-- forget 0005_backfill_notes_title, so drizzle's migrator runs it again
DELETE FROM __drizzle_migrations WHERE created_at = 1767323045000;
COMMIT;
