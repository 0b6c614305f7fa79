-- migrate:up
CREATE TABLE loans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    book_id INTEGER NOT NULL REFERENCES books (id),
    member_id INTEGER NOT NULL REFERENCES members (id),
    borrowed_at TEXT NOT NULL DEFAULT (datetime('now')),
    due_on TEXT NOT NULL,
    returned_at TEXT
);

-- migrate:down
DROP TABLE loans;
