-- migrate:up
CREATE TABLE authors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    born_year INTEGER
);

-- migrate:down
DROP TABLE authors;
