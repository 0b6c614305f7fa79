-- runs outside a transaction
DROP INDEX CONCURRENTLY IF EXISTS ix_books_isbn_title;
