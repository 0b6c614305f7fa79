DROP INDEX payments_provider_ref_key;
DROP INDEX payments_invoice_id_idx;
