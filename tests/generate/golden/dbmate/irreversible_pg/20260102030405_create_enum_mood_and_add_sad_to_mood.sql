-- Part of 'create enum mood and add sad to mood', split over 2 migrations: dbmate sends a
-- section to PostgreSQL as one string, which runs as one transaction, and CREATE INDEX
-- CONCURRENTLY / ALTER TYPE ... ADD VALUE refuse that.
-- migrate:up
CREATE TYPE mood AS ENUM ('happy');

-- migrate:down
DROP TYPE mood;
