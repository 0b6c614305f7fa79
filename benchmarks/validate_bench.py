"""What validation costs, against running the migration's statements up/down/up alone.

A 20-table schema (each table referencing the one before it) gets 10,000 seeded rows per
table; the migration adds a column and an index to every table, backfills half of them and
widens a column in a quarter. Two runs per dialect (SQLite, PostgreSQL), each on its own fresh
scratch database with the same seeded data:

  bare:      create, seed, then the rendered statements up, down, up in BEGIN/COMMIT stretches
             on one connection, nothing else (what a runner does);
  validate:  `validate(SqlMigration(plan), ...)`: the same plus introspection after each phase,
             checksums of all data, row samples, query plans, lock polling and relfilenode
             reads per statement (PostgreSQL), and the verdicts.

Printed per dialect: each phase's runner seconds and check seconds, the bare up/down/up, the rows
per second the checks of seed, up and down get through (each checksums every row, besides
introspecting and explaining), and two ratios: the up/down/up phases with their checks over the
bare up/down/up (the overhead of validation around the runner, goal <= 1.5x), and the whole
validation over the whole bare run (create + seed + up/down/up). Run by hand:
`.venv/bin/python benchmarks/validate_bench.py [--rows 10000] [--tables 20]
[--dialects sqlite postgresql]`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

from migwright.tools import ops as o
from migwright.tools.frameworks.render import MigrationPlan
from migwright.tools.schema import Column, ForeignKey, Index, Schema, Table, UniqueConstraint
from migwright.tools.scratch import create_scratch, server_reachable
from migwright.tools.seed import seed
from migwright.tools.sql import Statement, render, reverse_statements
from migwright.tools.validate import SqlMigration, from_schema, validate


def schema(tables: int) -> Schema:
    out = []
    for i in range(tables):
        name = f"t{i:02d}"
        columns = [
            Column("id", "integer", False, identity=True),
            Column("name", "varchar(100)", False),
            Column("email", "varchar(200)", False),
            Column("amount", "numeric(12,2)"),
            Column("qty", "integer"),
            Column("created_at", "timestamptz", False, "now()"),
            Column("active", "boolean", False, "true"),
            Column("note", "text"),
        ]
        fks: tuple[ForeignKey, ...] = ()
        if i:
            columns.append(Column("parent_id", "integer"))
            parent = f"t{i - 1:02d}"
            fks = (ForeignKey(f"fk_{name}_parent", ("parent_id",), parent, ("id",)),)
        out.append(
            Table(
                name,
                tuple(columns),
                ("id",),
                uniques=(UniqueConstraint(f"uq_{name}_email", ("email",)),),
                foreign_keys=fks,
            )
        )
    return Schema(tuple(out))


def operations(tables: int) -> list[o.Operation]:
    ops: list[o.Operation] = []
    for i in range(tables):
        name = f"t{i:02d}"
        ops.append(o.AddColumn(name, Column("tag", "varchar(40)")))
        if i % 2 == 0:
            ops.append(o.Backfill(name, "tag", "'bench'", where="active"))
        if i % 4 == 0:
            ops.append(o.AlterColumn(name, "name", type="varchar(150)"))
        ops.append(o.CreateIndex(name, Index(f"ix_{name}_qty", ("qty",))))
    return ops


def run_plain(conn: Any, statements: Sequence[Statement], transactional_ddl: bool) -> float:
    """The statements as a runner would run them; returns the seconds they took."""
    raw = conn.connection.dbapi_connection
    cursor = raw.cursor()
    started = time.perf_counter()
    open_tx = False
    for statement in statements:
        if transactional_ddl and statement.transactional != open_tx:
            cursor.execute("BEGIN" if not open_tx else "COMMIT")
            open_tx = not open_tx
        cursor.execute(statement.sql)
        if cursor.description:
            cursor.fetchall()
    if open_tx:
        cursor.execute("COMMIT")
    return time.perf_counter() - started


def bare(dialect: str, plan: MigrationPlan, rows: int) -> dict[str, float]:
    times: dict[str, float] = {}
    started = time.perf_counter()
    with create_scratch(dialect) as db:
        from_schema(plan.before)(db)
        t = time.perf_counter()
        seed(db.engine(), plan.before, rows=rows, seed=0, dialect=dialect)
        times["seed"] = time.perf_counter() - t
        up = render(plan.operations, plan.before, dialect)
        down = reverse_statements(plan.operations, plan.before, dialect)
        transactional = dialect != "mysql"
        with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            times["up"] = run_plain(conn, up, transactional)
            times["down"] = run_plain(conn, down, transactional)
            times["re-up"] = run_plain(conn, up, transactional)
    times["total"] = time.perf_counter() - started
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--tables", type=int, default=20)
    parser.add_argument("--dialects", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    plan = MigrationPlan(
        tuple(operations(args.tables)), schema(args.tables), "postgresql", "bench", "bench"
    )
    print(f"{args.tables} tables x {args.rows} rows, {len(plan.operations)} operations")
    for dialect in args.dialects:
        reason = server_reachable(dialect)
        if reason is not None:
            print(f"{dialect}: skipped ({reason})")
            continue
        base = bare(dialect, plan, args.rows)
        started = time.perf_counter()
        report = validate(SqlMigration(plan), plan, dialect=dialect, rows=args.rows)
        total = time.perf_counter() - started
        status = "passed" if report.ok else "FAILED"
        print(f"\n{dialect} (validation {status})")
        print(f"  {'phase':8} {'runner s':>9} {'checks s':>9} {'bare s':>8} {'checked rows/s':>15}")
        total_rows = args.rows * args.tables
        for phase in report.phases:
            bare_s = f"{base[phase.name]:8.2f}" if phase.name in base else " " * 8
            # seed, up and down checksum every row; history and re-up check the schema only
            speed = (
                f"{total_rows / phase.check_seconds:15,.0f}"
                if phase.name in ("seed", "up", "down") and phase.check_seconds
                else ""
            )
            print(
                f"  {phase.name:8} {phase.seconds:9.2f} {phase.check_seconds:9.2f} {bare_s} {speed}"
            )
        cycle = ("up", "down", "re-up")
        validated = sum(p.seconds + p.check_seconds for p in report.phases if p.name in cycle)
        plain = sum(base[name] for name in cycle)
        print(
            f"  up/down/up with checks {validated:.2f}s vs bare {plain:.2f}s: "
            f"{validated / plain:.2f}x"
        )
        print(
            f"  whole validation {total:.2f}s vs whole bare run {base['total']:.2f}s: "
            f"{total / base['total']:.2f}x"
        )
        if not report.ok:
            for line in report.failures():
                print(f"  ! {line}")


if __name__ == "__main__":
    main()
