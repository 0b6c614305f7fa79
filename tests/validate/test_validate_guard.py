"""The validator touches only databases it created, unless told explicitly; and it cleans up."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from conftest import require_server
from sqlalchemy import create_engine, text
from validate_helpers import BEFORE, ROWS, sql_migration

from migwright.tools import ops as o
from migwright.tools.diff import diff_schemas
from migwright.tools.errors import ScratchDatabaseError
from migwright.tools.frameworks.render import MigrationPlan
from migwright.tools.schema import Column, Schema
from migwright.tools.scratch import PREFIX, create_scratch, live_scratch_databases
from migwright.tools.sql import render
from migwright.tools.validate import SqlMigration, validate, validate_on
from migwright.tools.validate_observe import Observer, Target
from migwright.tools.validate_report import summary_lines

GOOD = (o.AddColumn("orders", Column("note", "text")),)


def _sqlite_file(path: Path, with_data: bool = False) -> str:
    """A database file nobody created through scratch.py, optionally at the plan's before."""
    connection = sqlite3.connect(path)
    if with_data:
        for statement in render(diff_schemas(Schema(), BEFORE), Schema(), "sqlite"):
            connection.execute(statement.sql)
        connection.execute("INSERT INTO users (email, name) VALUES ('a@example.com', 'Ann')")
        connection.execute("INSERT INTO orders (user_id, total) VALUES (1, 12.5)")
        connection.commit()
    connection.close()
    return f"sqlite:///{path}"


def _tables(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        connection.close()
    return sorted(r[0] for r in rows)


def test_a_named_database_is_refused_without_the_explicit_flag(tmp_path: Path) -> None:
    path = tmp_path / "app.sqlite3"
    url = _sqlite_file(path)
    mut, plan = sql_migration(*GOOD)
    with pytest.raises(ScratchDatabaseError, match="not a scratch database") as caught:
        validate_on(url, mut, plan)
    assert "--i-know-this-is-not-production" in caught.value.hint
    assert _tables(path) == []  # nothing was created, seeded or run


@pytest.mark.postgres
def test_the_servers_own_database_is_refused() -> None:
    url = require_server("postgresql")
    mut, plan = sql_migration(*GOOD)
    with pytest.raises(ScratchDatabaseError, match="refusing to change"):
        validate_on(url, mut, plan)


def test_an_empty_named_database_is_prepared_and_seeded_when_explicit(tmp_path: Path) -> None:
    path = tmp_path / "ci.sqlite3"
    mut, plan = sql_migration(*GOOD)
    report = validate_on(_sqlite_file(path), mut, plan, explicit=True, rows=40)
    assert report.ok, "\n".join(summary_lines(report))
    assert report.phase("seed").row_counts == {"orders": 40, "users": 40}
    assert any("the database you named" in note for note in report.notes)
    # it is left as the last phase left it: migrated, not dropped
    assert path.exists() and _tables(path) == ["orders", "users"]


def test_a_staging_copy_keeps_its_own_rows(tmp_path: Path) -> None:
    path = tmp_path / "staging.sqlite3"
    mut, plan = sql_migration(*GOOD)
    report = validate_on(_sqlite_file(path, with_data=True), mut, plan, explicit=True)
    assert report.ok, "\n".join(summary_lines(report))
    assert report.phase("history").method is not None
    assert "as you named it" in report.phase("history").method
    assert report.phase("seed").method == "kept the rows the database holds"
    assert report.phase("seed").row_counts == {"orders": 1, "users": 1}


@pytest.mark.postgres
def test_nothing_outside_the_scratch_database_changes() -> None:
    url = require_server("postgresql")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            databases = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
        with create_scratch("postgresql", url) as sentinel:
            engine = sentinel.engine()
            with engine.begin() as conn:
                conn.execute(text("CREATE TABLE users (id integer PRIMARY KEY, name text)"))
                conn.execute(text("INSERT INTO users VALUES (1, 'keep me'), (2, 'me too')"))
            mut, plan = sql_migration(
                o.AddColumn("users", Column("nickname", "text")),
                o.Backfill("users", "nickname", "name"),
                o.DropColumn("users", "bio"),
            )
            report = validate(mut, plan, dialect="postgresql", rows=ROWS, server_url=url)
            assert report.ok, "\n".join(summary_lines(report))
            # a table with the same name in another database is untouched
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT id, name FROM users ORDER BY id")).all()
                columns = (
                    conn.execute(
                        text(
                            "SELECT column_name FROM information_schema.columns "
                            "WHERE table_name = 'users' ORDER BY ordinal_position"
                        )
                    )
                    .scalars()
                    .all()
                )
            assert [tuple(r) for r in rows] == [(1, "keep me"), (2, "me too")]
            assert columns == ["id", "name"]
            assert live_scratch_databases() == [sentinel]
        with admin.connect() as conn:
            after = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
        # the validation's scratch database is gone, and no other database came or went
        # (other test runs may create and drop their own scratch databases meanwhile)
        assert report.database.startswith(PREFIX) and report.database not in after
        assert {d for d in after if not d.startswith(PREFIX)} == {
            d for d in databases if not d.startswith(PREFIX)
        }
    finally:
        admin.dispose()


class _Interrupted(SqlMigration):
    """A migration whose up is interrupted, as by Ctrl-C in the middle of a statement."""

    seen: list[str] = []

    def up(self, db: Target, observer: Observer) -> None:
        self.seen.append(db.name)
        raise KeyboardInterrupt


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_the_scratch_database_is_dropped_on_ctrl_c(dialect: str) -> None:
    url = require_server(dialect)
    plan = MigrationPlan(GOOD, BEFORE, dialect, "interrupted", "x")
    mut = _Interrupted(plan)
    with pytest.raises(KeyboardInterrupt):
        validate(
            mut, plan, dialect=dialect, rows=10, server_url=None if dialect == "sqlite" else url
        )
    assert live_scratch_databases() == []
    name = mut.seen[-1]
    if dialect == "postgresql":
        admin = create_engine(url)
        try:
            with admin.connect() as conn:
                found = conn.execute(
                    text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name}
                ).scalar_one()
        finally:
            admin.dispose()
        assert found == 0
    else:
        assert not (Path(tempfile.gettempdir()) / name).exists()
