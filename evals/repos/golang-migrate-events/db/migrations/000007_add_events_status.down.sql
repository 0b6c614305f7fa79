DROP INDEX events_status_starts_at_idx ON events;
ALTER TABLE events DROP COLUMN status;
