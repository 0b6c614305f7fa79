ALTER TABLE invoices
    ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'draft';

ALTER TABLE invoices
    ADD CONSTRAINT invoices_status_check CHECK (status IN ('draft', 'open', 'paid', 'void'));
