-- No undo migration (U2__Create_enum_mood_and_add_sad_to_mood.sql): + add value 'sad' to enum
-- mood: PostgreSQL cannot remove the value 'sad' from mood; recreating the type is a separate,
-- locking migration.
CREATE TYPE mood AS ENUM ('happy');

-- the new value cannot be used in the transaction that adds it
-- runs outside a transaction
ALTER TYPE mood ADD VALUE 'sad';
