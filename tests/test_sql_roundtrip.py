"""Rendered SQL on real databases: up, read back, down, read back, up again.

One plan covers every operation kind. Each step is executed on a scratch database of every
dialect and the database, read back by the introspector, must equal the operation's pure
`apply` once both are folded by the dialect's `comparable` and normalised. Then the whole down
runs (the earlier schema must come back, with rows kept where the plan keeps them) and the up
runs again. A second test runs `render_script` text as a whole, so the BEGIN/COMMIT framing
and the statements that must stay outside a transaction are exercised as written.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Sequence

import pytest
from conftest import dialect_params
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url

from migwright.tools import ops as o
from migwright.tools.dialects import get as get_dialect
from migwright.tools.errors import IrreversibleError
from migwright.tools.introspect import introspect
from migwright.tools.schema import (
    CheckConstraint,
    Column,
    EnumType,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
)
from migwright.tools.scratch import ScratchDatabase
from migwright.tools.sql import Statement, render, render_script, reverse_statements

USERS = Table(
    "users",
    (
        Column("id", "bigint", False, identity=True),
        Column("email", "varchar(255)", False),
        Column("name", "text", comment="shown to others"),
        Column("status", "user_status", False, "'active'"),
        Column("active", "boolean", False, "true"),
        Column("created_at", "timestamptz", False, "now()"),
        Column("balance", "numeric(12,2)", True, "0"),
        Column("token", "uuid"),
        Column("settings", "json"),
    ),
    ("id",),
    uniques=(UniqueConstraint("uq_users_email", ("email",)),),
    checks=(CheckConstraint("ck_users_balance", "balance >= 0"),),
    comment="people who sign in",
)

ORDERS = Table(
    "orders",
    (
        Column("id", "integer", False, identity=True),
        Column("user_id", "bigint"),
        Column("total", "numeric(10,2)"),
        Column("note", "varchar(100)"),
    ),
    ("id",),
    foreign_keys=(ForeignKey("fk_orders_user", ("user_id",), "users", ("id",), "CASCADE"),),
)

ITEMS = Table(
    "items",
    (
        Column("id", "integer", False),
        Column("purchase_id", "integer"),
        Column("sku", "varchar(20)"),
    ),
    ("id",),
)

RAW = Table("raw_things", (Column("id", "integer", False),), ("id",))

PLAN: list[o.Operation] = [
    o.CreateEnum(EnumType("user_status", ("active", "gone"))),
    o.CreateTable(USERS),
    o.CreateTable(ORDERS),
    o.AddColumn("orders", Column("shipped", "boolean", False, "false")),
    o.AddColumn("orders", Column("placed_at", "timestamp")),
    o.AddColumn("orders", Column("code", "varchar(10)", False, "'none'")),
    o.AlterColumn("orders", "code", type="varchar(20)"),
    o.AddColumn("orders", Column("qty", "text")),
    o.AlterColumn("orders", "qty", type="integer"),
    o.AlterColumn("orders", "note", type="varchar(200)"),
    o.AlterColumn("orders", "total", nullable=False),
    o.AlterColumn("orders", "total", default="0"),
    o.AlterColumn("orders", "user_id", nullable=False),
    o.RenameColumn("orders", "note", "remark"),
    o.CreateIndex("orders", Index("ix_orders_placed_at", ("placed_at",))),
    o.CreateIndex("orders", Index("ix_orders_user_id", ("user_id",))),
    o.AddUnique("orders", UniqueConstraint("uq_orders_code", ("code",))),
    o.AddCheck("orders", CheckConstraint("ck_orders_total", "total >= 0")),
    o.Backfill("orders", "remark", "'n/a'", where="remark IS NULL", reverse_expression="NULL"),
    o.RenameTable("orders", "purchases"),
    o.CreateTable(ITEMS),
    o.AddForeignKey(
        "items",
        ForeignKey("fk_items_purchase", ("purchase_id",), "purchases", ("id",), "SET NULL"),
    ),
    o.DropConstraint("purchases", "ck_orders_total"),
    o.DropIndex("purchases", "ix_orders_placed_at"),
    o.DropColumn("purchases", "placed_at"),
    o.DropForeignKey("items", "fk_items_purchase"),
    o.DropConstraint("purchases", "uq_orders_code"),
    o.DropIndex("purchases", "ix_orders_user_id"),
    o.RawSQL(
        "CREATE TABLE raw_things (id integer NOT NULL, PRIMARY KEY (id))",
        "DROP TABLE raw_things",
        (o.CreateTable(RAW),),
    ),
    o.NoOp("nothing to do"),
    o.DropTable("items"),
]


def _execute(conn: Connection, statements: Sequence[Statement]) -> None:
    for statement in statements:
        result = conn.exec_driver_sql(statement.sql)
        if statement.sql.startswith("PRAGMA foreign_key_check"):
            assert result.fetchall() == [], "the SQLite rebuild broke a foreign key"


def _assert_database_is(engine: Engine, expected: Schema, dialect: str, context: str) -> None:
    fold = get_dialect(dialect).comparable
    want = fold(expected).normalized()
    got = fold(introspect(engine)).normalized()
    assert got == want, (
        f"{context}\n--- expected ---\n{want.describe()}\n--- database ---\n{got.describe()}"
    )


def _rows(conn: Connection, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in conn.execute(text(sql))]


@pytest.mark.parametrize("dialect", dialect_params())
def test_every_operation_up_down_up(dialect: str, scratch: ScratchDatabase) -> None:
    engine = scratch.engine()
    states = [Schema()]
    for op in PLAN:
        states.append(op.apply(states[-1]))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for index, op in enumerate(PLAN):
            _execute(conn, render([op], states[index], dialect))
            _assert_database_is(engine, states[index + 1], dialect, f"after {op.describe()}")
            if isinstance(op, o.CreateTable) and op.table.name == "orders":
                conn.execute(text("INSERT INTO users (email) VALUES ('a@example.com')"))
                conn.execute(text("INSERT INTO orders (user_id, total) VALUES (1, 12.5)"))
        # the rows survived every rebuild, rename and type change, and the backfill ran
        assert _rows(conn, "SELECT user_id, total, remark, code FROM purchases") == [
            (1, pytest.approx(12.5), "n/a", "none")
        ]

        _execute(conn, reverse_statements(PLAN, Schema(), dialect))
        _assert_database_is(engine, Schema(), dialect, "after the whole down")

        _execute(conn, render(PLAN, Schema(), dialect))
        _assert_database_is(engine, states[-1], dialect, "after the up again")


@pytest.mark.parametrize("dialect", dialect_params())
def test_down_of_a_partial_plan_restores_each_earlier_schema(
    dialect: str, scratch: ScratchDatabase
) -> None:
    """Reversing one operation at a time, from the last, walks back through every state."""
    engine = scratch.engine()
    states = [Schema()]
    for op in PLAN:
        states.append(op.apply(states[-1]))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        _execute(conn, render(PLAN, Schema(), dialect))
        for index in range(len(PLAN) - 1, -1, -1):
            op = PLAN[index]
            _execute(conn, reverse_statements([op], states[index], dialect))
            _assert_database_is(engine, states[index], dialect, f"after undoing {op.describe()}")


SHARED = [
    o.CreateTable(Table("accounts", (Column("id", "integer", False),), ("id",))),
    o.CreateTable(Table("owners", (Column("id", "integer", False),), ("id",))),
    o.CreateTable(
        Table(
            "notes",
            (Column("id", "integer", False), Column("account_id", "integer")),
            ("id",),
            foreign_keys=(ForeignKey("fk_notes_one", ("account_id",), "accounts", ("id",)),),
        )
    ),
    o.CreateIndex("notes", Index("ix_notes_account", ("account_id",))),
    o.AddForeignKey(
        "notes", ForeignKey("fk_notes_two", ("account_id",), "owners", ("id",), "CASCADE")
    ),
    o.DropConstraint("notes", "fk_notes_one"),
    o.AddForeignKey("notes", ForeignKey("fk_notes_three", ("account_id",), "accounts", ("id",))),
    o.DropConstraint("notes", "fk_notes_three"),
    o.DropIndex("notes", "ix_notes_account"),
    o.DropConstraint("notes", "fk_notes_two"),
]


@pytest.mark.parametrize("dialect", dialect_params())
def test_foreign_keys_sharing_columns_up_and_down(dialect: str, scratch: ScratchDatabase) -> None:
    """Keys on one column, with and without an index of their own (InnoDB's index on MySQL):
    each step, its undoing and its redoing leave the schema `apply` says.

    (The keys point at different tables: SQLAlchemy's SQLite reflection folds two keys with the
    same columns and target into one.)
    """
    engine = scratch.engine()
    states = [Schema()]
    for op in SHARED:
        states.append(op.apply(states[-1]))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for index, op in enumerate(SHARED):
            _execute(conn, render([op], states[index], dialect))
            _assert_database_is(engine, states[index + 1], dialect, f"after {op.describe()}")
            _execute(conn, reverse_statements([op], states[index], dialect))
            _assert_database_is(engine, states[index], dialect, f"after undoing {op.describe()}")
            _execute(conn, render([op], states[index], dialect))


def test_sqlite_script_runs_as_one_text(sqlite_scratch: ScratchDatabase) -> None:
    """The script's BEGIN/COMMIT framing keeps the PRAGMAs outside the transactions."""
    path = make_url(sqlite_scratch.url).database
    assert path
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.executescript(render_script(PLAN, Schema(), "sqlite"))
        connection.executescript(reverse_statements_script(PLAN, "sqlite"))
        assert connection.execute("PRAGMA foreign_keys").fetchone() == (1,)
    finally:
        connection.close()
    _assert_database_is(sqlite_scratch.engine(), Schema(), "sqlite", "after script down")


@pytest.mark.postgres
def test_postgres_script_runs_in_psql(pg_scratch: ScratchDatabase) -> None:
    """CONCURRENTLY and ADD VALUE stand outside the BEGIN/COMMIT blocks, or PostgreSQL refuses.

    psql runs the script the way a person would (statement by statement, stopping at the first
    error); a driver's multi-statement execute would wrap everything in one implicit block.
    """
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("psql is not installed")
    plan: list[o.Operation] = [
        *PLAN[:3],
        o.CreateIndex("orders", Index("ix_orders_total", ("total",)), concurrently=True),
        o.AddEnumValue("user_status", "banned", before="gone"),
    ]
    url = make_url(pg_scratch.url).set(drivername="postgresql")
    subprocess.run(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url.render_as_string(False), "-f", "-"],
        input=render_script(plan, Schema(), "postgresql"),
        text=True,
        check=True,
        capture_output=True,
    )
    expected = o.apply_all(plan, Schema())
    _assert_database_is(pg_scratch.engine(), expected, "postgresql", "after the script")
    with pg_scratch.engine().connect() as conn:
        values = conn.execute(text("SELECT unnest(enum_range(NULL::user_status))")).scalars()
        assert list(values) == ["active", "banned", "gone"]


@pytest.mark.parametrize("dialect", dialect_params("postgresql", "mysql"))
def test_add_enum_value_has_no_down_but_runs(dialect: str, scratch: ScratchDatabase) -> None:
    plan: list[o.Operation] = [*PLAN[:2], o.AddEnumValue("user_status", "banned", after="active")]
    engine = scratch.engine()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        _execute(conn, render(plan, Schema(), dialect))
        conn.execute(text("INSERT INTO users (email, status) VALUES ('b@example.com', 'banned')"))
    _assert_database_is(engine, o.apply_all(plan, Schema()), dialect, "after add value")
    with pytest.raises(IrreversibleError, match="banned"):
        reverse_statements(plan, Schema(), dialect)


def reverse_statements_script(plan: Sequence[o.Operation], dialect: str) -> str:
    from migwright.tools.sql import script

    return script(reverse_statements(plan, Schema(), dialect), dialect)
