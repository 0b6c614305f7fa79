"""The command line as a person meets it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from migwright import __version__


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migwright", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0]


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"migwright {__version__}"


def test_create_table_sql_for_each_dialect() -> None:
    request = (
        "users (id bigint generated always as identity primary key, email text not null unique)"
    )
    pg = run("sql", "--dialect", "postgresql", "--create-table", request)
    assert pg.returncode == 0, pg.stderr
    assert "CREATE TABLE users" in pg.stdout
    assert "GENERATED" in pg.stdout
    my = run("sql", "--dialect", "mysql", "--create-table", request.replace("text", "varchar(200)"))
    assert my.returncode == 0, my.stderr
    assert "AUTO_INCREMENT" in my.stdout
    lite = run("sql", "--dialect", "sqlite", "--create-table", request)
    assert lite.returncode == 0, lite.stderr
    # a single INTEGER primary key is SQLite's rowid alias: the identity column
    assert "id INTEGER" in lite.stdout
    assert "PRIMARY KEY (id)" in lite.stdout


def test_add_column_without_schema_and_its_down() -> None:
    up = run("sql", "-d", "postgresql", "--add-column", "orders.shipped_at timestamptz")
    assert up.returncode == 0, up.stderr
    assert "ALTER TABLE orders ADD COLUMN shipped_at" in up.stdout
    down = run("sql", "-d", "postgresql", "--down", "--add-column", "orders.shipped_at timestamptz")
    assert down.returncode == 0, down.stderr
    assert "DROP COLUMN shipped_at" in down.stdout


def test_json_is_one_document() -> None:
    result = run(
        "sql", "--json", "-d", "sqlite", "--create-table", "t (id integer primary key, n text)"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dialect"] == "sqlite"
    assert data["operations"][0]["op"] == "create_table"
    assert data["down"][0]["sql"].upper().startswith("DROP TABLE")
    assert data["reversibility"] == "lossless"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["sql", "--add-colum", "orders.x int"], ["--add-column"]),
        (["sql", "--add-column", "orders x int"], ["table.column"]),
        (["sql", "--add-fk", "orders.user_id -> users.id on delete explode"], ["explode"]),
        (["sql", "--dialect", "oracle", "--create-table", "t (id int)"], ["oracle"]),
        (["sql", "--create-table", "t (id int"], ["create-table"]),
        (["sql"], ["request"]),
        (["sql", "--create-table", "'unclosed"], []),
        (["inspect", "/nonexistent/repo"], ["no such directory"]),
        (["nosuchcommand"], ["nosuchcommand"]),
        (["sql", "--sql", "/nonexistent.sql"], ["nonexistent.sql"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], words: list[str]) -> None:
    assert_one_line_error(run(*args), *words)


def test_sql_reads_a_named_database_without_changing_it(sqlite_scratch: object) -> None:
    from sqlalchemy import text

    from migwright.tools.scratch import ScratchDatabase

    assert isinstance(sqlite_scratch, ScratchDatabase)
    with sqlite_scratch.engine().begin() as conn:
        conn.execute(
            text("CREATE TABLE orders (id INTEGER PRIMARY KEY, total NUMERIC(10,2) NOT NULL)")
        )
    db_file = Path(sqlite_scratch.url.split("///", 1)[1])
    before = db_file.read_bytes()
    result = run(
        "sql",
        "-d",
        "sqlite",
        "--db",
        sqlite_scratch.url,
        "--alter-table",
        "orders alter column total type numeric(12,2)",
    )
    assert result.returncode == 0, result.stderr
    assert "_migwright_new_orders" in result.stdout  # SQLite rebuilds the table
    assert db_file.read_bytes() == before


def test_inspect_needs_a_framework(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("nothing here\n")
    assert_one_line_error(run("inspect", str(tmp_path)), "no migration framework")


def test_postgres_alter_needs_no_schema() -> None:

    result = run(
        "sql", "-d", "postgresql", "--alter-table", "orders alter column total type numeric(12,2)"
    )
    assert result.returncode == 0, result.stderr
    assert "TYPE NUMERIC(12, 2)" in result.stdout.upper().replace("NUMERIC(12,2)", "NUMERIC(12, 2)")
    assert (
        "no down"
        in run(
            "sql",
            "-d",
            "postgresql",
            "--down",
            "--alter-table",
            "orders alter column total type numeric(12,2)",
        ).stdout
    )
