-- migrate:up transaction:false
-- runs outside a transaction
-- rebuild of tags (alter column label); SQLite ignores this pragma inside a transaction
PRAGMA foreign_keys=OFF;
BEGIN;
CREATE TABLE _migwright_new_tags (
    id INTEGER NOT NULL,
    label VARCHAR(80) NOT NULL,
    PRIMARY KEY (id)
);
INSERT INTO _migwright_new_tags (id, label) SELECT id, label FROM tags;
DROP TABLE tags;
ALTER TABLE _migwright_new_tags RENAME TO tags;
-- PRAGMA foreign_key_check, failing on any row: a broken reference rolls back
CREATE TEMP TABLE _migwright_fk_check_tags (broken INTEGER CONSTRAINT "the rebuild of tags leaves rows whose foreign keys point nowhere: see PRAGMA foreign_key_check" CHECK (broken = 0));
INSERT INTO _migwright_fk_check_tags SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE temp._migwright_fk_check_tags;
COMMIT;
-- runs outside a transaction
PRAGMA foreign_keys=ON;

-- migrate:down transaction:false
-- runs outside a transaction
-- rebuild of tags (alter column label); SQLite ignores this pragma inside a transaction
PRAGMA foreign_keys=OFF;
BEGIN;
CREATE TABLE _migwright_new_tags (
    id INTEGER NOT NULL,
    label VARCHAR(50) NOT NULL,
    PRIMARY KEY (id)
);
INSERT INTO _migwright_new_tags (id, label) SELECT id, label FROM tags;
DROP TABLE tags;
ALTER TABLE _migwright_new_tags RENAME TO tags;
-- PRAGMA foreign_key_check, failing on any row: a broken reference rolls back
CREATE TEMP TABLE _migwright_fk_check_tags (broken INTEGER CONSTRAINT "the rebuild of tags leaves rows whose foreign keys point nowhere: see PRAGMA foreign_key_check" CHECK (broken = 0));
INSERT INTO _migwright_fk_check_tags SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE temp._migwright_fk_check_tags;
COMMIT;
-- runs outside a transaction
PRAGMA foreign_keys=ON;
