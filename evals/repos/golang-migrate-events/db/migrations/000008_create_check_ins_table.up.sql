CREATE TABLE check_ins (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    ticket_id     BIGINT UNSIGNED NOT NULL,
    checked_in_at DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
    gate          VARCHAR(20)     NULL,
    PRIMARY KEY (id),
    UNIQUE KEY check_ins_ticket_id_key (ticket_id),
    CONSTRAINT check_ins_ticket_id_fk FOREIGN KEY (ticket_id) REFERENCES tickets (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
