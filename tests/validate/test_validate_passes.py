"""A good migration passes every phase on every database, and the report says what it proved."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import dialect_params, require_server
from validate_helpers import BEFORE, ROWS, failed, sql_migration, verdict

from migwright.tools import ops as o
from migwright.tools.frameworks.render import MigrationPlan
from migwright.tools.schema import Column, Index, Table
from migwright.tools.scratch import live_scratch_databases
from migwright.tools.validate import SqlMigration, validate
from migwright.tools.validate_report import summary_lines

GOOD = (
    o.AddColumn("orders", Column("priority", "integer")),
    o.Backfill("orders", "priority", "1", where="total > 10"),
    o.AlterColumn("users", "name", type="varchar(255)"),
    o.CreateIndex("users", Index("ix_users_name", ("name",))),
    o.RenameColumn("users", "bio", "about"),
)


@pytest.mark.parametrize("dialect", dialect_params())
def test_a_good_migration_passes_every_phase(dialect: str) -> None:
    url = require_server(dialect)
    mut, plan = sql_migration(*GOOD)
    report = validate(
        mut,
        plan,
        dialect=dialect,
        rows=ROWS,
        checks=["SELECT id FROM orders WHERE total > 10 AND priority IS NULL"],
        server_url=None if dialect == "sqlite" else url,
    )
    assert report.ok, "\n".join(summary_lines(report))
    assert failed(report) == []
    assert [p.name for p in report.phases] == ["history", "seed", "up", "down", "re-up"]
    assert all(p.status == "passed" for p in report.phases)
    seed = report.phase("seed")
    assert seed.row_counts == {"orders": ROWS, "users": ROWS}
    # the rename is followed: the data of users.bio is found under users.about
    assert "every column the plan keeps holds the same data" in verdict(report, "up", "data").reason
    assert verdict(report, "up", "backfill").ok
    assert verdict(report, "up", "check-1").ok
    # the down gives back the very checksums of the seeded data
    assert report.phase("down").checksums == seed.checksums
    up = report.phase("up")
    assert [r.sql.split()[0] for r in up.statements if r.ok][-1] in ("ALTER", "PRAGMA")
    assert report.explains[0].index == "ix_users_name"
    assert report.explains[0].used_after or report.explains[0].usable_after
    assert report.explains[0].used_before is False
    # no scratch database is left behind
    assert live_scratch_databases() == []
    # the report is plain JSON
    document = json.loads(json.dumps(report.to_json()))
    assert document["ok"] is True
    assert document["phases"][2]["schema"]["tables"][0]["name"] == "orders"
    assert document["phases"][2]["expected"] == document["phases"][4]["expected"]
    assert [p["ok"] for p in document["phases"]] == [True] * 5
    lines = summary_lines(report)
    assert lines[0].startswith(f"validation PASSED on {dialect}")


@pytest.mark.parametrize("dialect", dialect_params())
def test_a_plan_without_a_down_skips_the_round_trip_and_says_so(dialect: str) -> None:
    url = require_server(dialect)
    mut, plan = sql_migration(o.RawSQL("UPDATE orders SET status = 'x' WHERE status IS NULL"))
    report = validate(
        mut, plan, dialect=dialect, rows=50, server_url=None if dialect == "sqlite" else url
    )
    assert report.phase("down").status == "skipped"
    assert "no down" in report.phase("down").notes[0]
    assert report.phase("re-up").status == "skipped"
    # the UPDATE is raw SQL, so changes to orders are declared; the up still passes
    assert report.phase("up").ok, "\n".join(summary_lines(report))


def test_tables_the_plan_does_not_reach_are_checked_by_key_only() -> None:
    """Tables unrelated to the plan are counted and keyed but not fully hashed."""
    logs = Table("logs", (Column("id", "integer", False), Column("line", "text")), ("id",))
    before = replace(BEFORE, tables=(*BEFORE.tables, logs))
    plan = MigrationPlan(
        (o.AddColumn("logs", Column("level", "integer")),), before, "sqlite", "logs", "x"
    )
    report = validate(SqlMigration(plan), plan, dialect="sqlite", rows=20)
    assert report.ok, "\n".join(summary_lines(report))
    assert report.phase("seed").row_counts == {"logs": 20, "orders": 20, "users": 20}
    (note,) = report.phase("seed").notes
    assert note == (
        "2 tables the plan does not reach (orders, users) are checked by row count and key only"
    )
    # the key-only checksums still prove those tables kept their rows
    assert verdict(report, "down", "row-counts").ok
