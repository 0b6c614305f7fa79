-- migwright: ignore ban-drop-column nothing has read legacy_flag since release 41
ALTER TABLE users DROP COLUMN legacy_flag;
