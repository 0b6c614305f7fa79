"""What each statement does to the database: PostgreSQL locks and rewrites, MySQL algorithms."""

from __future__ import annotations

import pytest
from conftest import require_server
from validate_helpers import sql_migration

from migwright.tools import ops as o
from migwright.tools.schema import Column, Index
from migwright.tools.validate import validate
from migwright.tools.validate_observe import SQLITE_NOTE
from migwright.tools.validate_report import StatementRun, ValidationReport, summary_lines


def _runs(report: ValidationReport, start: str) -> list[StatementRun]:
    runs = [r for r in report.phase("up").statements if r.sql.startswith(start)]
    assert runs, "\n".join(summary_lines(report))
    return runs


@pytest.mark.postgres
def test_postgres_add_column_with_default_locks_the_table_concurrent_index_does_not() -> None:
    url = require_server("postgresql")
    mut, plan = sql_migration(
        o.AddColumn("orders", Column("seen_at", "timestamptz", default="now()")),
        o.CreateIndex("orders", Index("ix_orders_total", ("total",)), concurrently=True),
    )
    # more rows make CREATE INDEX CONCURRENTLY run long enough to be seen between polls
    report = validate(
        mut, plan, dialect="postgresql", rows=5000, server_url=url, poll_interval=0.001
    )
    assert report.ok, "\n".join(summary_lines(report))
    (add,) = _runs(report, "ALTER TABLE orders ADD COLUMN seen_at")
    assert add.new_locks["orders"] == "AccessExclusiveLock"
    (index,) = _runs(report, "CREATE INDEX CONCURRENTLY")
    assert index.locks["orders"] == "ShareUpdateExclusiveLock"
    assert "AccessExclusiveLock" not in index.locks.values()
    # now() is evaluated once: the table keeps its storage
    assert add.rewritten == ()
    text = "\n".join(summary_lines(report))
    assert "AccessExclusiveLock on orders" in text
    assert "ShareUpdateExclusiveLock on orders" in text


@pytest.mark.postgres
def test_postgres_type_change_rewrites_the_table_nullable_add_column_does_not() -> None:
    url = require_server("postgresql")
    mut, plan = sql_migration(
        o.AddColumn("orders", Column("note", "text")),
        o.AlterColumn("orders", "quantity", type="bigint"),
    )
    report = validate(mut, plan, dialect="postgresql", rows=200, server_url=url)
    assert report.ok, "\n".join(summary_lines(report))
    (add,) = _runs(report, "ALTER TABLE orders ADD COLUMN note")
    (alter,) = _runs(report, "ALTER TABLE orders ALTER COLUMN quantity")
    assert add.rewritten == ()
    assert alter.rewritten == ("orders",)
    assert alter.locks["orders"] == "AccessExclusiveLock"
    # the down's type change back rewrites again
    down = [r for r in report.phase("down").statements if "quantity" in r.sql]
    assert down[0].rewritten == ("orders",)
    assert "rewrote orders" in "\n".join(summary_lines(report))


@pytest.mark.mysql
def test_mysql_reports_the_algorithm_the_server_can_use() -> None:
    url = require_server("mysql")
    mut, plan = sql_migration(
        o.AddColumn("orders", Column("note", "varchar(40)")),
        o.AlterColumn("users", "name", type="text"),
        o.CreateIndex("orders", Index("ix_orders_status", ("status",))),
    )
    report = validate(mut, plan, dialect="mysql", rows=200, server_url=url)
    assert report.ok, "\n".join(summary_lines(report))
    (add,) = _runs(report, "ALTER TABLE orders ADD COLUMN note")
    assert add.algorithm == "INSTANT"
    (alter,) = _runs(report, "ALTER TABLE users MODIFY COLUMN name")
    assert alter.algorithm == "COPY"
    assert alter.note is not None and "refused" in alter.note
    (index,) = _runs(report, "CREATE INDEX ix_orders_status")
    assert index.algorithm in ("NOCOPY", "INPLACE")
    # the statements are reported as written, not with the probing clause
    assert "ALGORITHM" not in add.sql
    # the down's DROP INDEX is probed too (MariaDB takes it as ALTER TABLE ... DROP INDEX)
    drop = [r for r in report.phase("down").statements if "DROP INDEX" in r.sql]
    assert drop and all(r.algorithm for r in drop)


def test_sqlite_says_it_locks_the_whole_database() -> None:
    mut, plan = sql_migration(o.AddColumn("orders", Column("note", "text")))
    report = validate(mut, plan, dialect="sqlite", rows=50)
    assert report.ok
    assert SQLITE_NOTE in report.phase("up").notes
    assert all(not r.locks and r.algorithm is None for r in report.phase("up").statements)
