"""Shared pieces of the zero-downtime tests: a live-looking schema with rows, the requests each
rewrite handles, and running rendered statements the way a migration runner does."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from conftest import require_server
from sqlalchemy.engine import Connection, Engine

from migwright.tools import ops as o
from migwright.tools.dialects import get as get_dialect
from migwright.tools.introspect import introspect
from migwright.tools.schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
)
from migwright.tools.scratch import ScratchDatabase, create_scratch
from migwright.tools.sql import Statement, render

USERS = Table(
    "users",
    (Column("id", "bigint", False, identity=True), Column("email", "text")),
    ("id",),
)
ORDERS = Table(
    "orders",
    (
        Column("id", "bigint", False, identity=True),
        Column("user_id", "bigint"),
        Column("code", "varchar(20)"),
        Column("total", "numeric(10,2)"),
        Column("note", "varchar(100)"),
    ),
    ("id",),
    indexes=(Index("ix_orders_note", ("note",)),),
)
BASE = Schema((USERS, ORDERS))
ROWS = 300

#: request name -> the naive operations (what a plain ALTER gives).
REQUESTS: dict[str, list[o.Operation]] = {
    "create_index": [o.CreateIndex("orders", Index("ix_orders_total", ("total",)))],
    "create_unique_index": [
        o.CreateIndex("orders", Index("ix_orders_code_u", ("code",), unique=True))
    ],
    "drop_index": [o.DropIndex("orders", "ix_orders_note")],
    "add_foreign_key": [
        o.AddForeignKey("orders", ForeignKey("fk_orders_user", ("user_id",), "users", ("id",)))
    ],
    "add_foreign_key_unnamed": [
        o.AddForeignKey("orders", ForeignKey(None, ("user_id",), "users", ("id",), "CASCADE"))
    ],
    "add_check": [o.AddCheck("orders", CheckConstraint("ck_orders_total", "total > 0"))],
    "set_not_null": [o.AlterColumn("orders", "note", nullable=False)],
    "add_unique": [o.AddUnique("orders", UniqueConstraint("uq_orders_code", ("code",)))],
    "volatile_default_not_null": [
        o.AddColumn("orders", Column("token", "uuid", False, "gen_random_uuid()"))
    ],
    "volatile_default_nullable": [
        o.AddColumn("orders", Column("picked", "double", True, "random()"))
    ],
    "add_column_constant_default": [o.AddColumn("orders", Column("tag", "text", True, "'x'"))],
    "set_default": [o.AlterColumn("orders", "code", default="'none'")],
    "type_change_using": [
        o.AlterColumn("orders", "total", type="bigint", using="(total * 100)::bigint")
    ],
    "drop_column": [o.DropColumn("orders", "total")],
    "rename_column": [o.RenameColumn("orders", "code", "ref")],
}


@contextmanager
def scratch_db(dialect: str) -> Iterator[ScratchDatabase]:
    url = require_server(dialect)
    with create_scratch(dialect, None if dialect == "sqlite" else url) as database:
        yield database


def create_base(conn: Connection, dialect: str) -> None:
    """The two tables with rows that satisfy every constraint the requests add."""
    run(conn, render([o.CreateTable(USERS), o.CreateTable(ORDERS)], Schema(), dialect), dialect)
    users = ", ".join(f"('u{i}@example.com')" for i in range(1, 51))
    conn.exec_driver_sql(f"INSERT INTO users (email) VALUES {users}")
    orders = ", ".join(f"({i % 50 + 1}, 'c{i}', {i}.50, 'note {i}')" for i in range(1, ROWS + 1))
    conn.exec_driver_sql(f"INSERT INTO orders (user_id, code, total, note) VALUES {orders}")


def run(conn: Connection, statements: Sequence[Statement], dialect: str) -> None:
    """As a migration runner does: each run of transactional statements in one transaction
    (PostgreSQL, SQLite), the others on their own, on an AUTOCOMMIT connection."""
    transactional_ddl = get_dialect(dialect).transactional_ddl
    open_block = False
    try:
        for statement in statements:
            if transactional_ddl and statement.transactional != open_block:
                conn.exec_driver_sql("COMMIT" if open_block else "BEGIN")
                open_block = not open_block
            conn.exec_driver_sql(statement.sql)
        if open_block:
            open_block = False
            conn.exec_driver_sql("COMMIT")
    finally:
        if open_block:
            conn.exec_driver_sql("ROLLBACK")


def schema_of(engine: Engine, dialect: str) -> Schema:
    return get_dialect(dialect).comparable(introspect(engine)).normalized()


def expected(ops: Sequence[o.Operation], dialect: str) -> Schema:
    return get_dialect(dialect).comparable(o.apply_all(ops, BASE)).normalized()
