"""Expand/contract on the real databases: both names stay in step, and each phase round-trips.

Every test renders migwright's own plan to SQL (tools/sql.py), runs it statement by statement on
a scratch SQLite, PostgreSQL and MariaDB database, and then writes through the old and the new
name with real INSERT and UPDATE statements, as the two application versions of a rolling
deploy would.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy.engine import Connection, Engine

from migwright.tools import ops as o
from migwright.tools.dialects import get as get_dialect
from migwright.tools.expand_contract import contract, expand
from migwright.tools.introspect import introspect
from migwright.tools.schema import Column, ForeignKey, Index, Schema, Table
from migwright.tools.scratch import ScratchDatabase
from migwright.tools.sql import render, reverse_statements
from migwright.tools.sqlscript import split_sql

CUSTOMERS = Table("customers", (Column("id", "bigint", False, identity=True),), ("id",))
ORDERS = Table(
    "orders",
    (
        Column("id", "bigint", False, identity=True),
        Column("customer_id", "bigint"),
        Column("total", "integer", False, "0"),
        Column("note", "varchar(40)"),
    ),
    ("id",),
    indexes=(Index("ix_orders_total", ("total",)), Index("ix_orders_note", ("note",))),
    foreign_keys=(ForeignKey("fk_orders_customer", ("customer_id",), "customers", ("id",)),),
)
BEFORE = Schema((CUSTOMERS, ORDERS))

RENAME = o.RenameColumn("orders", "total", "amount")
RETYPE = o.AlterColumn("orders", "total", type="numeric(12,2)")
RENAME_TABLE = o.RenameTable("orders", "purchases")


def run(conn: Connection, ops: Sequence[o.Operation], before: Schema, dialect: str) -> None:
    for statement in render(ops, before, dialect):
        for part in split_sql(statement.sql):
            conn.exec_driver_sql(part.sql)


def run_down(conn: Connection, ops: Sequence[o.Operation], before: Schema, dialect: str) -> None:
    for statement in reverse_statements(ops, before, dialect):
        for part in split_sql(statement.sql):
            conn.exec_driver_sql(part.sql)


def same(dialect: str, expected: Schema, engine: Engine) -> bool:
    fold = get_dialect(dialect).comparable
    return bool(fold(expected).normalized() == fold(introspect(engine)).normalized())


def rows(conn: Connection, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in conn.exec_driver_sql(sql).fetchall()]


@pytest.fixture
def db(dialect: str, scratch: ScratchDatabase) -> Iterator[tuple[str, Engine]]:
    """A scratch database of each dialect with BEFORE's tables and two orders in it."""
    engine = scratch.engine()
    with engine.begin() as conn:
        run(conn, [o.CreateTable(CUSTOMERS), o.CreateTable(ORDERS)], Schema(), dialect)
        conn.exec_driver_sql("INSERT INTO orders (total, note) VALUES (5, 'a'), (7, 'b')")
    yield dialect, engine


def test_rename_keeps_both_names_in_step(db: tuple[str, Engine]) -> None:
    dialect, engine = db
    ops = expand([RENAME], BEFORE, dialect)
    assert ops is not None
    with engine.begin() as conn:
        run(conn, ops, BEFORE, dialect)
    assert same(dialect, o.apply_all(ops, BEFORE), engine)
    with engine.begin() as conn:
        # the backfill filled the rows that existed
        assert rows(conn, "SELECT id, total, amount FROM orders ORDER BY id") == [
            (1, 5, 5),
            (2, 7, 7),
        ]
        conn.exec_driver_sql("INSERT INTO orders (total, note) VALUES (11, 'old code')")
        conn.exec_driver_sql("INSERT INTO orders (amount, note) VALUES (13, 'new code')")
        conn.exec_driver_sql("UPDATE orders SET total = 21 WHERE id = 1")
        conn.exec_driver_sql("UPDATE orders SET amount = 22 WHERE id = 2")
        conn.exec_driver_sql("UPDATE orders SET note = 'untouched' WHERE id = 3")
        assert rows(conn, "SELECT id, total, amount FROM orders ORDER BY id") == [
            (1, 21, 21),
            (2, 22, 22),
            (3, 11, 11),
            (4, 13, 13),
        ]


def test_expand_down_up_and_contract_round_trip(db: tuple[str, Engine]) -> None:
    dialect, engine = db
    ops = expand([RENAME], BEFORE, dialect)
    assert ops is not None
    expanded = o.apply_all(ops, BEFORE)
    with engine.begin() as conn:
        run(conn, ops, BEFORE, dialect)
    with engine.begin() as conn:
        run_down(conn, ops, BEFORE, dialect)
    assert same(dialect, BEFORE, engine)
    with engine.begin() as conn:  # the down dropped the triggers too: writes work as before
        conn.exec_driver_sql("INSERT INTO orders (total) VALUES (3)")
        run(conn, ops, BEFORE, dialect)
    assert same(dialect, expanded, engine)

    shrunk = contract([RENAME], expanded, dialect)
    contracted = o.apply_all(shrunk, expanded)
    with engine.begin() as conn:
        run(conn, shrunk, expanded, dialect)
    assert same(dialect, contracted, engine)
    one_step = o.apply_all([RENAME], BEFORE)
    # the one-step rename keeps the index name; the contract leaves the copy's name
    assert _without_index_names(contracted) == _without_index_names(one_step)
    with engine.begin() as conn:
        assert rows(conn, "SELECT id, amount FROM orders ORDER BY id") == [(1, 5), (2, 7), (3, 3)]

    with engine.begin() as conn:  # the contract's down brings total back, filled from amount
        run_down(conn, shrunk, expanded, dialect)
    assert same(dialect, expanded, engine)
    with engine.begin() as conn:
        assert rows(conn, "SELECT id, total, amount FROM orders ORDER BY id") == [
            (1, 5, 5),
            (2, 7, 7),
            (3, 3, 3),
        ]
        conn.exec_driver_sql("UPDATE orders SET total = 8 WHERE id = 1")  # triggers are back
        assert rows(conn, "SELECT amount FROM orders WHERE id = 1") == [(8,)]


def _without_index_names(schema: Schema) -> Schema:
    tables = []
    for table in schema.normalized().tables:
        indexes = tuple(sorted((Index("", i.columns, i.unique) for i in table.indexes), key=str))
        tables.append(Table(table.name, table.columns, table.primary_key, table.uniques, indexes))
    return Schema(tuple(tables))


def test_type_change_converts_both_ways(db: tuple[str, Engine]) -> None:
    dialect, engine = db
    ops = expand([RETYPE], BEFORE, dialect)
    assert ops is not None
    assert any(isinstance(op, o.AddColumn) and op.column.name == "total_new" for op in ops)
    with engine.begin() as conn:
        run(conn, ops, BEFORE, dialect)
        conn.exec_driver_sql("INSERT INTO orders (total) VALUES (11)")
        conn.exec_driver_sql("INSERT INTO orders (total_new) VALUES (12.00)")
        conn.exec_driver_sql("UPDATE orders SET total_new = 9 WHERE id = 1")
        got = rows(conn, "SELECT id, total, total_new FROM orders ORDER BY id")
    assert [(i, t, float(str(n))) for i, t, n in got] == [
        (1, 9, 9.0),
        (2, 7, 7.0),
        (3, 11, 11.0),
        (4, 12, 12.0),
    ]
    expanded = o.apply_all(ops, BEFORE)
    shrunk = contract([RETYPE], expanded, dialect)
    with engine.begin() as conn:
        run(conn, shrunk, expanded, dialect)
    contracted = o.apply_all(shrunk, expanded)
    assert same(dialect, contracted, engine)
    assert _without_index_names(contracted) == _without_index_names(o.apply_all([RETYPE], BEFORE))
    with engine.begin() as conn:
        got = rows(conn, "SELECT id, total FROM orders ORDER BY id")
    assert [(i, float(str(t))) for i, t in got] == [(1, 9.0), (2, 7.0), (3, 11.0), (4, 12.0)]
    with engine.begin() as conn:
        run_down(conn, shrunk, expanded, dialect)
    assert same(dialect, expanded, engine)


def test_table_rename_leaves_a_writable_view(db: tuple[str, Engine]) -> None:
    dialect, engine = db
    ops = expand([RENAME_TABLE], BEFORE, dialect)
    assert ops is not None
    expanded = o.apply_all(ops, BEFORE)
    with engine.begin() as conn:
        run(conn, ops, BEFORE, dialect)
    assert same(dialect, expanded, engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO orders (total, note) VALUES (11, 'old code')")
        conn.exec_driver_sql("INSERT INTO purchases (total, note) VALUES (13, 'new code')")
        conn.exec_driver_sql("UPDATE orders SET total = 21 WHERE id = 1")
        conn.exec_driver_sql("DELETE FROM orders WHERE id = 2")
        expected = [(1, 21), (3, 11), (4, 13)]
        assert rows(conn, "SELECT id, total FROM purchases ORDER BY id") == expected
        assert rows(conn, "SELECT id, total FROM orders ORDER BY id") == expected
    with engine.begin() as conn:
        run_down(conn, ops, BEFORE, dialect)
    assert same(dialect, BEFORE, engine)
    with engine.begin() as conn:
        run(conn, ops, BEFORE, dialect)
    shrunk = contract([RENAME_TABLE], expanded, dialect)
    with engine.begin() as conn:
        run(conn, shrunk, expanded, dialect)
    assert same(dialect, o.apply_all([RENAME_TABLE], BEFORE), engine)
    with engine.begin() as conn:
        assert rows(conn, "SELECT count(*) FROM purchases") == [(3,)]
