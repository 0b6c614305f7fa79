-- Part of 'add subtitle to books and add index on books subtitle', split over 2 migrations:
-- dbmate sends a section to PostgreSQL as one string, which runs as one transaction, and CREATE
-- INDEX CONCURRENTLY / ALTER TYPE ... ADD VALUE refuse that.
-- migrate:up transaction:false
-- runs outside a transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_books_subtitle ON books (subtitle);

-- migrate:down transaction:false
-- runs outside a transaction
DROP INDEX CONCURRENTLY IF EXISTS ix_books_subtitle;
