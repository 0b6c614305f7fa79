-- Part of 'create enum mood and add sad to mood', split over 2 migrations: dbmate sends a
-- section to PostgreSQL as one string, which runs as one transaction, and CREATE INDEX
-- CONCURRENTLY / ALTER TYPE ... ADD VALUE refuse that.
-- migrate:up transaction:false
-- the new value cannot be used in the transaction that adds it
-- runs outside a transaction
ALTER TYPE mood ADD VALUE 'sad';

-- migrate:down
-- Irreversible: + add value 'sad' to enum mood: PostgreSQL cannot remove the value 'sad' from
-- mood; recreating the type is a separate, locking migration.
