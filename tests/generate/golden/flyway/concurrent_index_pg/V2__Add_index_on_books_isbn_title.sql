-- runs outside a transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_books_isbn_title ON books (isbn, title);
