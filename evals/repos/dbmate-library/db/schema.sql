CREATE TABLE IF NOT EXISTS "schema_migrations" (version varchar(128) primary key);
CREATE TABLE authors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    born_year INTEGER
);
CREATE TABLE books (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id INTEGER NOT NULL REFERENCES authors (id),
    title TEXT NOT NULL,
    published_year INTEGER,
    copies INTEGER NOT NULL DEFAULT 1 CHECK (copies >= 0)
, isbn TEXT);
CREATE INDEX books_author_id_idx ON books (author_id);
CREATE TABLE members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    card_number TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    email TEXT,
    joined_on TEXT NOT NULL DEFAULT (date('now'))
);
CREATE TABLE loans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    book_id INTEGER NOT NULL REFERENCES books (id),
    member_id INTEGER NOT NULL REFERENCES members (id),
    borrowed_at TEXT NOT NULL DEFAULT (datetime('now')),
    due_on TEXT NOT NULL,
    returned_at TEXT
);
CREATE UNIQUE INDEX books_isbn_key ON books (isbn);
CREATE INDEX loans_open_due_on_idx ON loans (due_on) WHERE returned_at IS NULL;
CREATE TABLE fines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    loan_id INTEGER NOT NULL REFERENCES loans (id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    paid INTEGER NOT NULL DEFAULT 0
);
-- Dbmate schema migrations
INSERT INTO "schema_migrations" (version) VALUES
  ('20240105093000'),
  ('20240105093500'),
  ('20240112141500'),
  ('20240120101000'),
  ('20240203110000'),
  ('20240215083000'),
  ('20240301090000');
