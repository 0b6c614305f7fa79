-- runs outside a transaction
CREATE INDEX CONCURRENTLY ix_books_isbn_title ON books (isbn, title);
