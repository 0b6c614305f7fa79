-- migwright: ignore ban-drop-colum nothing has read legacy_flag since release 41
ALTER TABLE users DROP COLUMN legacy_flag;
