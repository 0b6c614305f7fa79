-- migrate:up
CREATE TABLE fines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    loan_id INTEGER NOT NULL REFERENCES loans (id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    paid INTEGER NOT NULL DEFAULT 0
);

INSERT INTO fines (loan_id, amount_cents)
SELECT id, 50 FROM loans WHERE returned_at IS NULL AND due_on < date('now');

-- migrate:down
-- Fines were backfilled from overdue loans; dropping the table would lose payments.
