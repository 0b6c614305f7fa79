-- lint: dialect=mysql
ALTER TABLE users MODIFY COLUMN email varchar(255) NOT NULL AFTER id;
