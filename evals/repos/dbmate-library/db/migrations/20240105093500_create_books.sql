-- migrate:up
CREATE TABLE books (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id INTEGER NOT NULL REFERENCES authors (id),
    title TEXT NOT NULL,
    published_year INTEGER,
    copies INTEGER NOT NULL DEFAULT 1 CHECK (copies >= 0)
);
CREATE INDEX books_author_id_idx ON books (author_id);

-- migrate:down
DROP INDEX books_author_id_idx;
DROP TABLE books;
