"""Splitting scripts into statements: quotes, comments, dollar quotes, DELIMITER."""

from __future__ import annotations

from migwright.tools.sqlscript import split_sql


def test_plain_statements_and_lines() -> None:
    parts = split_sql("CREATE TABLE a (x int);\n\n-- note\nINSERT INTO a VALUES (1);\n")
    assert [p.sql for p in parts] == ["CREATE TABLE a (x int)", "-- note\nINSERT INTO a VALUES (1)"]
    assert [p.line for p in parts] == [1, 3]


def test_semicolons_inside_quotes_and_comments_do_not_split() -> None:
    script = "INSERT INTO t VALUES ('a;b', \"c;d\", `e;f`); -- x;y\n/* p; q */ SELECT 'it''s;';"
    parts = split_sql(script)
    assert len(parts) == 2
    assert parts[0].sql.endswith(")")
    assert "it''s;" in parts[1].sql


def test_dollar_quoted_function_bodies() -> None:
    script = (
        "CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN NEW.x := 1; RETURN NEW; END; $body$ "
        "LANGUAGE plpgsql;\nDO $$ BEGIN PERFORM 1; END $$;"
    )
    parts = split_sql(script)
    assert len(parts) == 2
    assert "RETURN NEW;" in parts[0].sql


def test_mysql_delimiter_blocks() -> None:
    script = (
        "CREATE TABLE t (x int);\nDELIMITER //\nCREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW "
        "BEGIN SET NEW.x = 1; END//\nDELIMITER ;\nSELECT 1;"
    )
    parts = split_sql(script)
    assert [p.sql.split()[0] for p in parts] == ["CREATE", "CREATE", "SELECT"]
    assert "SET NEW.x = 1;" in parts[1].sql


def test_comment_only_script_is_empty() -> None:
    assert split_sql("-- nothing\n/* at all */\n") == []
