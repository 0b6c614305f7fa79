-- migrate:up
ALTER TABLE books ADD COLUMN subtitle VARCHAR(200);

-- migrate:down
ALTER TABLE books DROP COLUMN subtitle;
