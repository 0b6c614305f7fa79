ALTER TABLE authors DROP COLUMN bio;

-- migwright:down
-- Not run by this migration: the statements that revert it, commented out. Run them
-- without the leading '-- ' to revert by hand, or let migwright roll it back.
-- -- Not brought back by this down: the values of authors.bio.
-- ALTER TABLE authors ADD COLUMN bio TEXT;
