-- lint: dialect=sqlite sqlite_foreign_keys=on
BEGIN;
CREATE TABLE users_new (id integer PRIMARY KEY, email text NOT NULL);
INSERT INTO users_new (id, email) SELECT id, email FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
COMMIT;
