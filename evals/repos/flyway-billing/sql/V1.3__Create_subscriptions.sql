CREATE TABLE subscriptions (
    id           BIGSERIAL PRIMARY KEY,
    customer_id  BIGINT  NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    plan_id      INTEGER NOT NULL REFERENCES plans (id),
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    cancelled_at TIMESTAMPTZ
);

CREATE INDEX subscriptions_customer_id_idx ON subscriptions (customer_id);
