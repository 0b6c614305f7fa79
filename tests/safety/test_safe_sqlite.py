"""SQLite's table rebuild checks foreign keys before COMMIT and fails clearly on a violation."""

from __future__ import annotations

import sqlite3

import pytest
from safe_support import BASE, ORDERS, USERS
from sqlalchemy.engine import make_url

from migwright.tools import ops as o
from migwright.tools.schema import ForeignKey, Schema
from migwright.tools.scratch import ScratchDatabase
from migwright.tools.sql import render_script
from migwright.tools.zero_downtime import safe_operations

ADD_FK = [o.AddForeignKey("orders", ForeignKey("fk_orders_user", ("user_id",), "users", ("id",)))]


def _connect(database: ScratchDatabase) -> sqlite3.Connection:
    path = make_url(database.url).database
    assert path
    return sqlite3.connect(path, isolation_level=None)


def _base(connection: sqlite3.Connection, user_id: int) -> None:
    connection.executescript(
        render_script([o.CreateTable(USERS), o.CreateTable(ORDERS)], Schema(), "sqlite")
    )
    connection.execute("INSERT INTO users (email) VALUES ('a@example.com')")
    connection.execute("INSERT INTO orders (user_id, code) VALUES (?, 'c1')", (user_id,))


def test_a_rebuild_that_breaks_a_reference_fails_and_rolls_back(
    sqlite_scratch: ScratchDatabase,
) -> None:
    connection = _connect(sqlite_scratch)
    try:
        _base(connection, user_id=999)  # no such user: the new key would point nowhere
        before = connection.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'orders'"
        ).fetchone()
        with pytest.raises(sqlite3.IntegrityError, match="foreign keys point nowhere"):
            connection.executescript(render_script(ADD_FK, BASE, "sqlite"))
        assert connection.in_transaction
        connection.execute("ROLLBACK")
        after = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'orders'").fetchone()
        assert after == before
        assert connection.execute("SELECT user_id FROM orders").fetchall() == [(999,)]
    finally:
        connection.close()


def test_a_rebuild_with_sound_references_commits(sqlite_scratch: ScratchDatabase) -> None:
    connection = _connect(sqlite_scratch)
    try:
        _base(connection, user_id=1)
        connection.executescript(render_script(ADD_FK, BASE, "sqlite"))
        assert not connection.in_transaction
        assert connection.execute("PRAGMA foreign_key_list(orders)").fetchall()[0][2] == "users"
        assert connection.execute("PRAGMA foreign_keys").fetchone() == (1,)
        temp = "SELECT name FROM sqlite_temp_master WHERE name LIKE '_migwright_fk_check%'"
        assert connection.execute(temp).fetchall() == []
    finally:
        connection.close()


def test_sqlite_plans_are_not_rewritten() -> None:
    """One writer at a time, no online DDL: nothing to gain, and nothing changes."""
    assert safe_operations(ADD_FK, BASE, "sqlite") == ADD_FK
