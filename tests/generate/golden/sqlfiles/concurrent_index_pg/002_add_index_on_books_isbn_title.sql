-- Some statements below refuse to run inside a transaction block: apply this file without
-- BEGIN/COMMIT around it (psql -f, not psql -1).
-- runs outside a transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_books_isbn_title ON books (isbn, title);
