-- runs outside a transaction
DROP INDEX CONCURRENTLY ix_books_isbn_title;
