ALTER TABLE books ADD COLUMN subtitle varchar(200);
