"""Splitting SQL into statements, and reading their shapes, on what migration files really hold."""

from __future__ import annotations

import pytest

from migwright.tools.lint.shape import read_shape
from migwright.tools.lint.source import split_sql
from migwright.tools.lint.statement import parse_statements


def texts(sql: str, family: str = "postgresql") -> list[str]:
    return [s.text for s in split_sql(sql, family)]


def test_lines_and_comments() -> None:
    sql = "-- header; not a statement\n\nCREATE TABLE a (id int);\n/* ; */ SELECT ';' ;\n\n;;"
    statements = split_sql(sql)
    assert [(s.text, s.line) for s in statements] == [
        ("CREATE TABLE a (id int)", 3),
        ("SELECT ';'", 4),
    ]


def test_dollar_quoted_bodies_and_nested_comments() -> None:
    sql = (
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
        "BEGIN NEW.a := 1; RETURN NEW; END $body$;\n"
        "/* outer /* inner ; */ still comment ; */\n"
        "DO $$ BEGIN PERFORM 1; END $$;\n"
        "SELECT E'it\\'s; fine', $1;"
    )
    result = texts(sql)
    assert len(result) == 3
    assert result[0].endswith("END $body$")
    assert result[1] == "DO $$ BEGIN PERFORM 1; END $$"
    assert result[2].startswith("SELECT E'it")


def test_sqlite_trigger_body_keeps_its_semicolons() -> None:
    sql = (
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n"
        "  UPDATE b SET n = n + 1;\n"
        "  INSERT INTO c VALUES (CASE WHEN 1 THEN 2 END);\n"
        "END;\n"
        "BEGIN;\nCOMMIT;"
    )
    assert [s.split()[0] for s in texts(sql, "sqlite")] == ["CREATE", "BEGIN", "COMMIT"]


def test_mysql_delimiter_hash_comments_and_backslashes() -> None:
    sql = (
        "# a comment; with a semicolon\n"
        "INSERT INTO a VALUES ('it\\'s; ok');\n"
        "DELIMITER $$\n"
        "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END$$\n"
        "DELIMITER ;\n"
        "SELECT `weird;name` FROM a;\n"
    )
    result = texts(sql, "mysql")
    assert len(result) == 3
    assert result[1].startswith("CREATE PROCEDURE") and result[1].endswith("END")
    assert result[2] == "SELECT `weird;name` FROM a"


def test_markers_attach_to_the_next_statement() -> None:
    sql = (
        "SELECT 1; -- migwright: ignore ban-drop-table, ban-drop-column: retired in v41\n"
        "DROP TABLE a;\n"
        "-- migwright: ignore ban-drop-table\n"
        "DROP TABLE b;\n"
    )
    statements = split_sql(sql)
    first = statements[1].markers[0]
    assert first.rules == ("ban-drop-table", "ban-drop-column")
    assert first.reason == "retired in v41" and first.line == 1
    assert statements[2].markers[0].reason == ""
    assert statements[0].markers == ()


@pytest.mark.parametrize(
    ("sql", "family", "kind", "table"),
    [
        ("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON s.t USING gin (a)", "postgresql",
         "create_index", "s.t"),
        ('ALTER TABLE ONLY "Orders" ADD COLUMN x int', "postgresql", "alter_table", "Orders"),
        ("START TRANSACTION", "mysql", "begin", None),
        ("END", "postgresql", "commit", None),
        ("RENAME TABLE a TO b, c TO d", "mysql", "rename_table", "a"),
        ("DROP INDEX i ON t", "mysql", "drop_index", "t"),
        ("CLUSTER t USING i", "postgresql", "cluster", "t"),
        ("WITH x AS (SELECT 1) UPDATE t SET a = 1", "postgresql", "update", None),
        ("PRAGMA foreign_keys = OFF", "sqlite", "pragma", None),
        ("SET SESSION lock_wait_timeout = 5", "mysql", "set", None),
        ("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'sad'", "postgresql",
         "alter_type", None),
    ],
)  # fmt: skip
def test_shapes(sql: str, family: str, kind: str, table: str | None) -> None:
    statement = parse_statements(sql, family)[0]
    assert statement.kind == kind
    assert statement.shape.table == table


def test_alter_table_actions_and_column_definitions() -> None:
    sql = (
        "ALTER TABLE orders ADD COLUMN IF NOT EXISTS total numeric(12, 2) NOT NULL DEFAULT 0, "
        "ALTER COLUMN note TYPE varchar(20) USING note::varchar(20), "
        "ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT VALID, "
        "DROP CONSTRAINT IF EXISTS old_ck, VALIDATE CONSTRAINT ck, "
        "ALTER COLUMN a SET NOT NULL, DETACH PARTITION p CONCURRENTLY"
    )
    statement = parse_statements(sql, "postgresql")[0]
    kinds = [a.kind for a in statement.shape.actions]
    assert kinds == ["add_column", "alter_type", "add_constraint", "drop_constraint",
                     "validate_constraint", "set_not_null", "detach_partition"]  # fmt: skip
    col = statement.shape.actions[0].column_def
    assert col is not None and (col.type, col.not_null, col.default) == (
        "numeric(12, 2)",
        True,
        "0",
    )
    assert statement.shape.actions[1].using == "note::varchar(20)"
    fk = statement.shape.actions[2].constraint
    assert fk is not None and fk.not_valid and fk.ref_table == "users" and fk.on_delete == "CASCADE"
    assert statement.shape.actions[6].concurrently


def test_mysql_column_positions_generated_columns_and_options() -> None:
    sql = (
        "ALTER TABLE t ADD COLUMN g int AS (a * 2) STORED AFTER a, "
        "CHANGE COLUMN old new varchar(10) NOT NULL FIRST, ALGORITHM=INPLACE, LOCK=NONE"
    )
    actions = parse_statements(sql, "mysql")[0].shape.actions
    add, change, algorithm, lock = actions
    assert add.column_def is not None and add.column_def.generated == "stored"
    assert add.column_def.generated_expr == "a * 2" and add.column_def.position == "AFTER a"
    assert (change.kind, change.column, change.new_name) == ("modify_column", "old", "new")
    assert (algorithm.value, lock.value) == ("INPLACE", "NONE")


def test_unknown_statements_are_other() -> None:
    statement = parse_statements("FROBNICATE the widgets", "postgresql")[0]
    assert statement.kind == "other" and statement.tree is None
    assert read_shape((), "", "postgresql").kind == "other"
