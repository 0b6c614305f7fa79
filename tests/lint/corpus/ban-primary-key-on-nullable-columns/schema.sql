CREATE TABLE events (id bigint, name text);
