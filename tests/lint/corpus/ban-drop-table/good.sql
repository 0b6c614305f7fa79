ALTER TABLE legacy_orders RENAME TO legacy_orders_deprecated;
