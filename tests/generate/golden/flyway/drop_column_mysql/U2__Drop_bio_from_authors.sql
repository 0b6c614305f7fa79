-- Not brought back by this down: the values of authors.bio.
ALTER TABLE authors ADD COLUMN bio LONGTEXT;
