ALTER TABLE venues ADD COLUMN capacity INT UNSIGNED NULL AFTER city;
UPDATE venues SET capacity = 500 WHERE capacity IS NULL;
