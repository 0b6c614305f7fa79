-- migrate:up
ALTER TABLE books ADD COLUMN isbn TEXT;
CREATE UNIQUE INDEX books_isbn_key ON books (isbn);

-- migrate:down
DROP INDEX books_isbn_key;
ALTER TABLE books DROP COLUMN isbn;
