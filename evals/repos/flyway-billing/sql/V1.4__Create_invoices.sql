CREATE TABLE invoices (
    id               BIGSERIAL PRIMARY KEY,
    subscription_id  BIGINT        NOT NULL REFERENCES subscriptions (id),
    number           VARCHAR(30)   NOT NULL UNIQUE,
    issued_on        DATE          NOT NULL,
    total            NUMERIC(12,2) NOT NULL DEFAULT 0
);
