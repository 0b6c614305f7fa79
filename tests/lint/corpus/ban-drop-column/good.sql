ALTER TABLE users ADD COLUMN legacy_flag_v2 boolean;
