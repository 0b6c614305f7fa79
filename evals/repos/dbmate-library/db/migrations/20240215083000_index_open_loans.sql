-- Partial index for the "books currently out" page.
-- migrate:up transaction:false
CREATE INDEX loans_open_due_on_idx ON loans (due_on) WHERE returned_at IS NULL;

-- migrate:down transaction:false
DROP INDEX loans_open_due_on_idx;
