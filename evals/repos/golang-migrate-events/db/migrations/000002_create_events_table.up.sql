CREATE TABLE events (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    venue_id   BIGINT UNSIGNED NOT NULL,
    title      VARCHAR(255)    NOT NULL,
    starts_at  DATETIME        NOT NULL,
    ends_at    DATETIME        NULL,
    PRIMARY KEY (id),
    KEY events_venue_id_idx (venue_id),
    CONSTRAINT events_venue_id_fk FOREIGN KEY (venue_id) REFERENCES venues (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
