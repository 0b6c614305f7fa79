-- Part of 'add subtitle to books and add index on books subtitle', split over 2 migrations:
-- PostgreSQL runs a multi-statement file as one transaction, which this statement refuses.
-- runs outside a transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_books_subtitle ON books (subtitle);
