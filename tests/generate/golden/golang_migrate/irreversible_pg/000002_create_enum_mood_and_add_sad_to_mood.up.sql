-- Part of 'create enum mood and add sad to mood', split over 2 migrations: PostgreSQL runs a
-- multi-statement file as one transaction, which the statements of the next part refuse.
CREATE TYPE mood AS ENUM ('happy');
