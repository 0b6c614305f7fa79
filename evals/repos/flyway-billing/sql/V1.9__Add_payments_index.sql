CREATE INDEX payments_invoice_id_idx ON payments (invoice_id);
CREATE UNIQUE INDEX payments_provider_ref_key ON payments (provider, provider_ref)
    WHERE provider_ref IS NOT NULL;
