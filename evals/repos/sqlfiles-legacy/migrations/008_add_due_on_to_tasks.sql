ALTER TABLE tasks ADD COLUMN due_on TEXT;
CREATE INDEX tasks_due_on_idx ON tasks (due_on) WHERE done_at IS NULL;
