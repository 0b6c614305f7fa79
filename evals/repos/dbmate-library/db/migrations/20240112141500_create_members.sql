-- migrate:up
CREATE TABLE members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    card_number TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    email TEXT,
    joined_on TEXT NOT NULL DEFAULT (date('now'))
);

-- migrate:down
DROP TABLE members;
