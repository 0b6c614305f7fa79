-- migrate:up
UPDATE authors SET bio = 'n/a' WHERE bio is null;

-- migrate:down
-- Not brought back by this down: the values of authors.bio before the backfill.
-- Nothing to undo: backfill of authors.bio is not undone.
