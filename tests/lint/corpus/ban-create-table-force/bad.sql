DROP TABLE IF EXISTS settings;
CREATE TABLE settings (key text PRIMARY KEY, value text);
