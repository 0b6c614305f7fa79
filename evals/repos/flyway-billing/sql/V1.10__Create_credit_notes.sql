CREATE TABLE credit_notes (
    id          BIGSERIAL PRIMARY KEY,
    invoice_id  BIGINT        NOT NULL REFERENCES invoices (id),
    amount      NUMERIC(12,2) NOT NULL CHECK (amount > 0),
    reason      TEXT,
    created_at  TIMESTAMPTZ   NOT NULL DEFAULT now()
);
