-- lint: partitioned=measurements
CREATE INDEX IF NOT EXISTS measurements_taken_at_idx ON ONLY measurements (taken_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS measurements_2024_taken_at_idx ON measurements_2024 (taken_at);
ALTER INDEX measurements_taken_at_idx ATTACH PARTITION measurements_2024_taken_at_idx;
