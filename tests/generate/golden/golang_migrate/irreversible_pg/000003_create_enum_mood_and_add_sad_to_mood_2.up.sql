-- Part of 'create enum mood and add sad to mood', split over 2 migrations: PostgreSQL runs a
-- multi-statement file as one transaction, which this statement refuses.
-- No down migration: + add value 'sad' to enum mood: PostgreSQL cannot remove the value 'sad'
-- from mood; recreating the type is a separate, locking migration. `migrate down` would only
-- move the version back.
-- the new value cannot be used in the transaction that adds it
-- runs outside a transaction
ALTER TYPE mood ADD VALUE 'sad';
