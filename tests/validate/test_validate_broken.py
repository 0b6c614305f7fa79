"""Each kind of broken migration is caught, on every database, with a reason that names it.

The broken migrations are hand-written SQL (`RawMigration`) that does something other than
what its plan says, or a plan whose own SQL cannot survive the seeded data.
"""

from __future__ import annotations

import pytest
from conftest import dialect_params, require_server
from validate_helpers import ROWS, drop_index, failed, plan, raw, sql_migration, verdict

from migwright.tools import ops as o
from migwright.tools.frameworks.render import MigrationPlan
from migwright.tools.schema import Column, Index, Table
from migwright.tools.validate import MigrationUnderTest, validate
from migwright.tools.validate_report import ValidationReport, summary_lines

pytestmark = pytest.mark.parametrize("dialect", dialect_params())


def _validate(dialect: str, mut: MigrationUnderTest, p: MigrationPlan) -> ValidationReport:
    url = require_server(dialect)
    return validate(
        mut, p, dialect=dialect, rows=ROWS, server_url=None if dialect == "sqlite" else url
    )


def _text(report: ValidationReport) -> str:
    return "\n".join(summary_lines(report))


def test_a_down_that_forgets_an_index(dialect: str) -> None:
    p = plan(o.CreateIndex("orders", Index("ix_orders_status", ("status",))))
    report = _validate(dialect, *raw(p, ["CREATE INDEX ix_orders_status ON orders (status)"], []))
    assert not report.ok
    assert report.phase("up").ok, _text(report)
    down = verdict(report, "down", "schema")
    assert not down.ok
    assert "the down forgets to drop index ix_orders_status on orders, which the up adds" in (
        down.reason
    )
    # and the up cannot run again over the index the down left
    assert report.phase("re-up").status == "failed"


def test_a_down_that_drops_a_column_the_up_did_not_add(dialect: str) -> None:
    p = plan(o.AddColumn("users", Column("nickname", "varchar(50)")))
    up = ["ALTER TABLE users ADD COLUMN nickname varchar(50)"]
    down = ["ALTER TABLE users DROP COLUMN nickname", "ALTER TABLE users DROP COLUMN bio"]
    report = _validate(dialect, *raw(p, up, down))
    schema = verdict(report, "down", "schema")
    assert not schema.ok
    assert "the down drops column users.bio, which the up did not add" in schema.reason
    data = verdict(report, "down", "data")
    assert not data.ok and "users.bio: column is gone" in data.reason
    # the up runs again, but the column the down took is still missing
    assert report.phase("re-up").status == "passed"
    again = verdict(report, "re-up", "schema")
    assert "column users.bio is missing (the plan's schema has it)" in again.reason


def test_a_backfill_that_loses_rows(dialect: str) -> None:
    p = plan(
        o.AddColumn("orders", Column("priority", "integer")),
        o.Backfill("orders", "priority", "1"),
    )
    up = [
        "ALTER TABLE orders ADD COLUMN priority integer",
        "UPDATE orders SET priority = 1",
        "DELETE FROM orders WHERE status IS NULL",
    ]
    report = _validate(dialect, *raw(p, up, ["ALTER TABLE orders DROP COLUMN priority"]))
    counts = verdict(report, "up", "row-counts")
    assert not counts.ok
    assert counts.reason.startswith(f"orders: {ROWS} rows before the up, ")
    assert "the plan deletes no rows there" in counts.reason
    assert any("is gone" in line for line in counts.details), counts.details
    assert verdict(report, "up", "schema").ok and verdict(report, "up", "backfill").ok
    # the loss stays after the down: the round trip does not bring the rows back
    assert not verdict(report, "down", "row-counts").ok


def test_a_type_change_that_truncates_values(dialect: str) -> None:
    mut, p = sql_migration(o.AlterColumn("users", "name", type="varchar(5)"))
    report = _validate(dialect, mut, p)
    assert not report.ok
    if dialect == "sqlite":
        # SQLite keeps the long values as they are; the length invariant catches them
        assert report.phase("up").status == "passed"
        lengths = verdict(report, "up", "lengths")
        assert not lengths.ok
        assert "values are longer than varchar(5) allows" in lengths.reason
        assert "SQLite keeps them" in lengths.reason
        assert lengths.details
    else:
        up = report.phase("up")
        assert up.status == "failed", _text(report)
        assert up.failure is not None
        message = up.failure.message.lower()
        assert "too long" in message, message
        assert up.failure.statement is not None and "users" in up.failure.statement
        assert up.failure.rows_note is not None
        assert "values of users.name are longer than 5 characters" in up.failure.rows_note
        assert up.failure.rows and "length" in up.failure.rows[0]
        assert report.phase("down").status == "skipped"


def test_a_not_null_column_without_default_on_a_full_table(dialect: str) -> None:
    mut, p = sql_migration(o.AddColumn("users", Column("age", "integer", nullable=False)))
    report = _validate(dialect, mut, p)
    assert not report.ok
    if dialect == "mysql":
        # MySQL/MariaDB fill the rows with an implicit 0 instead of refusing
        invented = verdict(report, "up", "implicit-defaults")
        assert not invented.ok
        assert "users.age is added NOT NULL without a default" in invented.reason
        assert f"the {ROWS} existing rows" in invented.reason
        return
    up = report.phase("up")
    assert up.status == "failed", _text(report)
    assert up.failure is not None and up.failure.rows_note is not None
    assert f"all {ROWS} existing rows of users" in up.failure.rows_note
    assert "default" in up.failure.hint


def test_set_not_null_over_seeded_nulls_fails_halfway(dialect: str) -> None:
    mut, p = sql_migration(
        o.AddColumn("users", Column("nickname", "varchar(30)")),
        o.AlterColumn("users", "name", nullable=False),
    )
    report = _validate(dialect, mut, p)
    up = report.phase("up")
    assert up.status == "failed", _text(report)
    assert up.failure is not None
    assert up.failure.rows_note is not None
    assert "rows of users have name NULL" in up.failure.rows_note
    assert up.failure.rows and up.failure.rows[0].startswith("id=")
    if dialect == "mysql":
        assert "half-migrated" in " ".join(up.notes)  # the ADD COLUMN before it stays
    else:
        assert [r.ok for r in up.statements].count(False) == 1


def test_a_unique_index_over_duplicates(dialect: str) -> None:
    mut, p = sql_migration(o.CreateIndex("users", Index("ux_users_name", ("name",), unique=True)))
    report = _validate(dialect, mut, p)
    up = report.phase("up")
    assert up.status == "failed", _text(report)
    assert up.failure is not None and up.failure.rows_note is not None
    assert "values of users(name) occur more than once" in up.failure.rows_note
    assert up.failure.rows[0].startswith("name=")
    assert up.failure.rows[0].endswith("rows")
    assert "duplicates" in up.failure.hint


def test_a_migration_that_cannot_run_again_after_its_down(dialect: str) -> None:
    audit = Table("audit", (Column("id", "integer", False), Column("note", "text")), ("id",))
    p = plan(o.CreateTable(audit))
    up = ["CREATE TABLE audit (id integer NOT NULL, note text, PRIMARY KEY (id))"]
    report = _validate(dialect, *raw(p, up, []))
    assert report.phase("up").ok
    schema = verdict(report, "down", "schema")
    assert "the down forgets to drop table audit, which the up adds" in schema.reason
    again = report.phase("re-up")
    assert again.status == "failed"
    assert again.failure is not None and "already exists" in again.failure.message
    assert again.failure.statement == up[0]
    assert len(failed(report)) == 1  # the down's schema verdict; the re-up failed as a phase


def test_a_down_that_drops_an_index_by_a_wrong_name_fails_as_a_phase(dialect: str) -> None:
    p = plan(o.CreateIndex("orders", Index("ix_orders_status", ("status",))))
    up = ["CREATE INDEX ix_orders_status ON orders (status)"]
    report = _validate(dialect, *raw(p, up, [drop_index(dialect, "ix_status", "orders")]))
    down = report.phase("down")
    assert down.status == "failed"
    assert down.failure is not None and "ix_status" in (down.failure.statement or "")
    assert report.phase("re-up").status == "skipped"
