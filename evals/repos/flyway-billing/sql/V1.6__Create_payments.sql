CREATE TABLE payments (
    id          BIGSERIAL PRIMARY KEY,
    invoice_id  BIGINT        NOT NULL REFERENCES invoices (id),
    amount      NUMERIC(12,2) NOT NULL CHECK (amount > 0),
    paid_at     TIMESTAMPTZ   NOT NULL DEFAULT now(),
    provider    VARCHAR(30)   NOT NULL,
    provider_ref VARCHAR(100)
);
