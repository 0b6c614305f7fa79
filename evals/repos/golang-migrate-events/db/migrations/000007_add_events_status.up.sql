ALTER TABLE events
    ADD COLUMN status ENUM('draft', 'on_sale', 'sold_out', 'cancelled') NOT NULL DEFAULT 'draft';

CREATE INDEX events_status_starts_at_idx ON events (status, starts_at);
