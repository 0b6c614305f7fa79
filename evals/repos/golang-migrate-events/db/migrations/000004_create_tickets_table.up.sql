CREATE TABLE tickets (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    event_id    BIGINT UNSIGNED NOT NULL,
    attendee_id BIGINT UNSIGNED NOT NULL,
    code        CHAR(12)        NOT NULL,
    price_cents INT UNSIGNED    NOT NULL DEFAULT 0,
    sold_at     DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY tickets_code_key (code),
    KEY tickets_attendee_id_idx (attendee_id),
    CONSTRAINT tickets_event_id_fk FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT tickets_attendee_id_fk FOREIGN KEY (attendee_id) REFERENCES attendees (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
