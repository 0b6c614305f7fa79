-- lint: history=0001_init,0002_add_orders,0003_add_invoices migration=0003_add_invoices
ALTER TABLE orders ADD COLUMN note text;
