-- Part of 'add subtitle to books and add index on books subtitle', split over 2 migrations:
-- dbmate sends a section to PostgreSQL as one string, which runs as one transaction, and CREATE
-- INDEX CONCURRENTLY / ALTER TYPE ... ADD VALUE refuse that.
-- migrate:up
ALTER TABLE books ADD COLUMN subtitle text;

-- migrate:down
ALTER TABLE books DROP COLUMN subtitle;
