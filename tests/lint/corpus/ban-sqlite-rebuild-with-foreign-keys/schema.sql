CREATE TABLE users (id integer PRIMARY KEY, email text);
CREATE TABLE orders (id integer PRIMARY KEY, user_id integer REFERENCES users (id) ON DELETE CASCADE);
