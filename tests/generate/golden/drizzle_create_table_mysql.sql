-- create attachments and add index on attachments note_id url
-- drizzle has no down migrations: the reverse is
-- rollback/0005_create_attachments_and_add_index_on_attachments_note_id_url.sql, to run by
-- hand.
-- No meta/*_snapshot.json was written for this file (drizzle-kit's own format): once the schema
-- file says the same, `drizzle-kit generate` proposes this change again; delete the SQL file
-- and journal entry it writes and keep its snapshot.
CREATE TABLE attachments (
    id INT NOT NULL AUTO_INCREMENT,
    note_id INT NOT NULL,
    url VARCHAR(300) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_attachments_url UNIQUE (url),
    CONSTRAINT fk_attachments_note_id FOREIGN KEY (note_id) REFERENCES notes (id) ON DELETE CASCADE,
    CONSTRAINT ck_attachments_url CHECK (CHAR_LENGTH(url) > 0)
);
--> statement-breakpoint
CREATE INDEX ix_attachments_note_id_url ON attachments (note_id, url);
