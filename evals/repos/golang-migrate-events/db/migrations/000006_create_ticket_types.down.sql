ALTER TABLE tickets DROP FOREIGN KEY tickets_ticket_type_id_fk;
ALTER TABLE tickets DROP COLUMN ticket_type_id;
DROP TABLE IF EXISTS ticket_types;
