CREATE TABLE ticket_types (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    event_id    BIGINT UNSIGNED NOT NULL,
    name        VARCHAR(100)    NOT NULL,
    price_cents INT UNSIGNED    NOT NULL,
    quota       INT UNSIGNED    NULL,
    PRIMARY KEY (id),
    CONSTRAINT ticket_types_event_id_fk FOREIGN KEY (event_id) REFERENCES events (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

ALTER TABLE tickets
    ADD COLUMN ticket_type_id BIGINT UNSIGNED NULL AFTER event_id,
    ADD CONSTRAINT tickets_ticket_type_id_fk FOREIGN KEY (ticket_type_id) REFERENCES ticket_types (id);
