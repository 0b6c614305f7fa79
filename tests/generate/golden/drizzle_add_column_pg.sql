-- add shipped_at to notes
-- drizzle has no down migrations: the reverse is rollback/0005_add_shipped_at_to_notes.sql, to
-- run by hand.
-- No meta/*_snapshot.json was written for this file (drizzle-kit's own format): once the schema
-- file says the same, `drizzle-kit generate` proposes this change again; delete the SQL file
-- and journal entry it writes and keep its snapshot.
ALTER TABLE notes ADD COLUMN shipped_at timestamptz;
