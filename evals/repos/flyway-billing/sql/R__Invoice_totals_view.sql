-- Recreated by Flyway whenever this file changes (repeatable migration).
CREATE OR REPLACE VIEW invoice_totals AS
SELECT i.id AS invoice_id,
       i.number,
       i.status,
       COALESCE(SUM(l.quantity * l.unit_price), 0) AS lines_total,
       COALESCE((SELECT SUM(p.amount) FROM payments p WHERE p.invoice_id = i.id), 0) AS paid_total
  FROM invoices i
  LEFT JOIN invoice_lines l ON l.invoice_id = i.id
 GROUP BY i.id, i.number, i.status;
