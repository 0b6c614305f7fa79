-- Rollback of 0005_create_attachments_and_add_index_on_attachments_note_id_url.sql (create
-- attachments and add index on attachments note_id url); drizzle has no down migrations. Run it
-- by hand against the database the migration ran on.
-- MySQL/MariaDB commits each DDL statement implicitly: no BEGIN/COMMIT
-- InnoDB keeps an index for fk_attachments_note_id: the key is dropped with the index and added again, so InnoDB makes its own
ALTER TABLE attachments DROP FOREIGN KEY fk_attachments_note_id, DROP INDEX ix_attachments_note_id_url;
ALTER TABLE attachments ADD CONSTRAINT fk_attachments_note_id FOREIGN KEY (note_id) REFERENCES notes (id) ON DELETE CASCADE;
DROP TABLE attachments;
-- forget 0005_create_attachments_and_add_index_on_attachments_note_id_url, so drizzle's migrator runs it again
DELETE FROM __drizzle_migrations WHERE created_at = 1767323045000;
