ALTER TABLE tasks ADD COLUMN priority INTEGER NOT NULL DEFAULT 2;
UPDATE tasks SET priority = 1 WHERE title LIKE '%urgent%';
