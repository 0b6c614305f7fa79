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
-- returns one row per broken reference: any row means roll back
PRAGMA foreign_key_check;
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
-- returns one row per broken reference: any row means roll back
PRAGMA foreign_key_check;
COMMIT;
-- runs outside a transaction
PRAGMA foreign_keys=ON;
