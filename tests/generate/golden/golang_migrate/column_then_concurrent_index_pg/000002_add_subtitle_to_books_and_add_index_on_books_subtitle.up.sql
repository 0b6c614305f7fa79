-- Part of 'add subtitle to books and add index on books subtitle', split over 2 migrations:
-- PostgreSQL runs a multi-statement file as one transaction, which the statements of the next
-- part refuse.
ALTER TABLE books ADD COLUMN subtitle text;
