-- lint: dialect=mysql version=8.0.35
ALTER TABLE users ADD COLUMN nickname varchar(50) AFTER email, ALGORITHM=INSTANT;
