ALTER TABLE books DROP COLUMN subtitle;
