"""Seeding speed: 20 tables x 10,000 rows on SQLite and PostgreSQL (and MySQL if asked).

Run by hand, not in tests:

    .venv/bin/python benchmarks/seed_bench.py            # sqlite and postgresql
    .venv/bin/python benchmarks/seed_bench.py --rows 2000 --dialects sqlite mysql

Each table has a mix of types, a unique column, a check and a foreign key to the table before
it (the first ones form a small self-referencing tree), so the numbers include generation,
check evaluation, parent-key look-ups and loading (COPY on PostgreSQL, batched INSERTs
elsewhere). Prints one line per dialect and the slowest tables.
"""

from __future__ import annotations

import argparse
import time

from migwright.tools import ops as o
from migwright.tools.datacheck import snapshot
from migwright.tools.schema import CheckConstraint, Column, ForeignKey, Schema, Table
from migwright.tools.schema import UniqueConstraint as Unique
from migwright.tools.scratch import create_scratch
from migwright.tools.seed import seed
from migwright.tools.sql import render


def bench_schema(tables: int) -> list[o.Operation]:
    ops: list[o.Operation] = []
    for i in range(tables):
        name = f"t{i:02d}"
        columns = [
            Column("id", "bigint", False, identity=True),
            Column("code", "varchar(40)", False),
            Column("qty", "integer", False, default="0"),
            Column("price", "numeric(12,2)"),
            Column("title", "varchar(200)"),
            Column("body", "text"),
            Column("active", "boolean", False, default="true"),
            Column("created", "timestamptz"),
            Column("doc", "jsonb"),
        ]
        fks: list[ForeignKey] = []
        if i == 0:
            columns.append(Column("parent_id", "bigint"))
            fks.append(ForeignKey(f"fk_{name}_parent", ("parent_id",), name, ("id",)))
        else:
            columns.append(Column("ref_id", "bigint", False))
            fks.append(ForeignKey(f"fk_{name}_ref", ("ref_id",), f"t{i - 1:02d}", ("id",)))
        ops.append(
            o.CreateTable(
                Table(
                    name,
                    tuple(columns),
                    ("id",),
                    uniques=(Unique(f"uq_{name}_code", ("code",)),),
                    foreign_keys=tuple(fks),
                    checks=(CheckConstraint(f"ck_{name}_qty", "qty >= 0 AND qty < 100000"),),
                )
            )
        )
    return ops


def run(dialect: str, tables: int, rows: int) -> None:
    ops = bench_schema(tables)
    schema = o.apply_all(ops, Schema())
    with create_scratch(dialect) as db:
        engine = db.engine()
        with engine.begin() as conn:
            for statement in render(ops, Schema(), dialect):
                conn.exec_driver_sql(statement.sql)
        started = time.perf_counter()
        report = seed(engine, schema, rows=rows, seed=1)
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        snapshot(engine, schema)
        checksum_seconds = time.perf_counter() - started
    total = sum(report.rows.values())
    print(
        f"{dialect:<11} {tables:>6} {total:>10,} {elapsed:>9.2f} {total / elapsed:>10,.0f} "
        f"{sum(report.dropped.values()):>8} {checksum_seconds:>12.2f}"
    )
    slow = sorted(report.tables, key=lambda t: -t.seconds)[:3]
    print("            slowest: " + ", ".join(f"{t.table} {t.seconds:.2f}s" for t in slow))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=20)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--dialects", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    print(
        f"{'dialect':<11} {'tables':>6} {'rows':>10} {'seconds':>9} {'rows/s':>10} "
        f"{'dropped':>8} {'checksum s':>12}"
    )
    for dialect in args.dialects:
        run(dialect, args.tables, args.rows)


if __name__ == "__main__":
    main()
