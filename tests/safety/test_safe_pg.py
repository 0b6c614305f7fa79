"""Zero-downtime rendering on a real PostgreSQL: same schema as the naive plan, weaker locks,
lock_timeout retries that give up instead of queueing, and steps that survive a crash.

Each request in `safe_support.REQUESTS` is run naive on one scratch database and safe on
another; the safe one must end in the same schema, go down to the start, up again, and up
once more on top (every step finding its work done). Then every prefix of the safe up is run
and followed by the whole up, as after a kill between two statements.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from safe_support import BASE, REQUESTS, ROWS, create_base, expected, run, schema_of, scratch_db
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from migwright.tools import ops as o
from migwright.tools.ops_safe import Guarded, LockRetry
from migwright.tools.sql import Statement, render, reverse_statements
from migwright.tools.validate_locks import LOCK_MODES
from migwright.tools.zero_downtime import safe_operations

PG = "postgresql"
pytestmark = pytest.mark.postgres


def _autocommit(db: Any) -> Connection:
    return db.engine().connect().execution_options(isolation_level="AUTOCOMMIT")


def _leftovers(conn: Connection) -> list[tuple[str, str]]:
    """INVALID indexes and NOT VALID constraints: what a half-done safe migration leaves."""
    rows = conn.exec_driver_sql(
        "SELECT 'invalid index', c.relname FROM pg_index i JOIN pg_class c "
        "ON c.oid = i.indexrelid WHERE NOT i.indisvalid "
        "UNION ALL SELECT 'not valid constraint', conname FROM pg_constraint "
        "WHERE NOT convalidated AND connamespace = 'public'::regnamespace"
    )
    return [(str(a), str(b)) for a, b in rows]


def _rows(conn: Connection) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM orders ORDER BY id")]


def _reset(conn: Connection) -> None:
    conn.exec_driver_sql("DROP TABLE IF EXISTS orders, users CASCADE")
    create_base(conn, PG)


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_safe_plan_matches_the_naive_one_up_down_up_and_reruns(name: str) -> None:
    naive = REQUESTS[name]
    safe = safe_operations(naive, BASE, PG)
    assert safe != naive, "every request here touches an existing table: it must be rewritten"
    assert expected(safe, PG) == expected(naive, PG)
    with scratch_db(PG) as naive_db, scratch_db(PG) as safe_db:
        with _autocommit(naive_db) as conn:
            create_base(conn, PG)
            run(conn, render(naive, BASE, PG), PG)
            naive_rows = _rows(conn)
        want = schema_of(naive_db.engine(), PG)
        engine = safe_db.engine()
        up, down = render(safe, BASE, PG), reverse_statements(safe, BASE, PG)
        with _autocommit(safe_db) as conn:
            create_base(conn, PG)
            start = schema_of(engine, PG)
            run(conn, up, PG)
            assert schema_of(engine, PG) == want
            assert _leftovers(conn) == []
            run(conn, up, PG)  # once more on top: each step finds its work done
            assert schema_of(engine, PG) == want
            if not name.startswith("volatile"):  # random values differ; the rest must not
                assert _rows(conn) == naive_rows
            run(conn, down, PG)
            assert schema_of(engine, PG) == start
            run(conn, up, PG)
            assert schema_of(engine, PG) == want
            run(conn, up, PG)  # once more on top: each step finds its work done
            assert schema_of(engine, PG) == want
            assert _leftovers(conn) == []
            assert conn.exec_driver_sql("SELECT count(*) FROM orders").scalar_one() == ROWS


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_a_rerun_after_any_prefix_finishes(name: str) -> None:
    """A kill between any two statements, then the whole migration again: it completes."""
    naive = REQUESTS[name]
    up = render(safe_operations(naive, BASE, PG), BASE, PG)
    with scratch_db(PG) as db, _autocommit(db) as conn:
        for k in range(1, len(up)):
            _reset(conn)
            run(conn, up[:k], PG)
            run(conn, up, PG)
            assert schema_of(db.engine(), PG) == expected(naive, PG), f"after {k} statements"
            assert _leftovers(conn) == [], f"after {k} statements"


@pytest.mark.parametrize("name", ["add_unique", "create_unique_index"])
def test_an_interrupted_unique_build_is_dropped_and_built_again(name: str) -> None:
    """A failed CREATE UNIQUE INDEX CONCURRENTLY leaves an INVALID index behind; IF NOT EXISTS
    alone would keep it. The re-run drops it and builds a valid one."""
    naive = REQUESTS[name]
    up = render(safe_operations(naive, BASE, PG), BASE, PG)
    with scratch_db(PG) as db, _autocommit(db) as conn:
        create_base(conn, PG)
        conn.exec_driver_sql("UPDATE orders SET code = 'same' WHERE id IN (1, 2)")
        with pytest.raises(DBAPIError, match="could not create unique index"):
            run(conn, up, PG)
        (left,) = _leftovers(conn)
        assert left[0] == "invalid index"
        conn.exec_driver_sql("UPDATE orders SET code = 'c' || id")
        run(conn, up, PG)
        assert _leftovers(conn) == []
        assert schema_of(db.engine(), PG) == expected(naive, PG)


def _locks_of(conn: Connection, statement: Statement) -> dict[str, str]:
    """The strongest lock `statement` takes on each table, read inside its transaction."""
    conn.exec_driver_sql("BEGIN")
    try:
        conn.exec_driver_sql(statement.sql)
        rows = conn.exec_driver_sql(
            "SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.pid = pg_backend_pid() AND l.granted AND c.relname IN ('orders', 'users')"
        ).all()
    finally:
        conn.exec_driver_sql("COMMIT")
    out: dict[str, str] = {}
    for table, mode in rows:
        if LOCK_MODES.index(mode) > LOCK_MODES.index(out.get(table, LOCK_MODES[0])):
            out[table] = mode
    return out


def _is_retry_block(statement: Statement) -> bool:
    return "lock_not_available" in statement.sql and "set_config('lock_timeout'" in statement.sql


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_safe_steps_take_weaker_locks_or_wait_under_lock_timeout(name: str) -> None:
    """Every safe statement either locks `orders` in a weaker mode than the naive plan's
    strongest, or is a lock_timeout retry block (a brief lock that never queues for long).
    CONCURRENTLY cannot run in a transaction block: its lock is observed in the next test."""
    naive = REQUESTS[name]
    safe = safe_operations(naive, BASE, PG)
    with scratch_db(PG) as db, _autocommit(db) as conn:
        create_base(conn, PG)
        naive_locks = [_locks_of(conn, s) for s in render(naive, BASE, PG)]
        worst = max(
            (LOCK_MODES.index(m.get("orders", LOCK_MODES[0])) for m in naive_locks), default=0
        )
        _reset(conn)
        measured = 0
        for statement in render(safe, BASE, PG):
            if not statement.transactional and "CONCURRENTLY" in statement.sql:
                conn.exec_driver_sql(statement.sql)
                continue
            mode = _locks_of(conn, statement).get("orders", LOCK_MODES[0])
            measured += 1
            assert LOCK_MODES.index(mode) < worst or _is_retry_block(statement), (
                f"{statement.sql[:80]} takes {mode}; the naive plan takes {LOCK_MODES[worst]}"
            )
        assert measured or any("CONCURRENTLY" in s.sql for s in render(safe, BASE, PG))


def _wait_for_lock(conn: Connection, pid: int, mode: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = conn.exec_driver_sql(
            "SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            f"WHERE l.pid = {pid} AND l.granted AND c.relname = 'orders' AND l.mode = '{mode}'"
        ).first()
        if held:
            return
        time.sleep(0.01)
    raise AssertionError(f"pid {pid} never held {mode} on orders")


def test_a_concurrent_build_holds_share_update_exclusive_and_writes_go_on() -> None:
    """The build waits for an open writing transaction while holding SHARE UPDATE EXCLUSIVE;
    meanwhile another session inserts and updates rows without waiting."""
    safe = safe_operations(REQUESTS["create_index"], BASE, PG)
    (build,) = [s for s in render(safe, BASE, PG) if "CONCURRENTLY" in s.sql]
    with scratch_db(PG) as db, _autocommit(db) as setup:
        create_base(setup, PG)
        with _autocommit(db) as writer, _autocommit(db) as builder, _autocommit(db) as other:
            writer.exec_driver_sql("BEGIN")
            writer.exec_driver_sql("UPDATE orders SET note = note WHERE id = 1")
            pid = builder.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            errors: list[BaseException] = []

            def go() -> None:
                try:
                    builder.exec_driver_sql(build.sql)
                except BaseException as exc:  # reported in the main thread
                    errors.append(exc)

            thread = threading.Thread(target=go)
            thread.start()
            try:
                _wait_for_lock(setup, pid, "ShareUpdateExclusiveLock")
                other.exec_driver_sql("SET statement_timeout = '2s'")
                started = time.monotonic()
                other.exec_driver_sql("INSERT INTO orders (user_id, code) VALUES (1, 'new')")
                other.exec_driver_sql("UPDATE orders SET total = total + 1 WHERE id = 2")
                assert time.monotonic() - started < 1.0
                assert thread.is_alive(), "the build should still wait for the writer"
            finally:
                writer.exec_driver_sql("COMMIT")
                thread.join(30)
            assert not errors
        assert _leftovers(setup) == []


def test_lock_retry_gives_up_after_its_attempts_and_readers_never_queue_for_long() -> None:
    retry = LockRetry(timeout_ms=100, attempts=3, backoff_ms=50)
    plan = safe_operations(REQUESTS["add_column_constant_default"], BASE, PG, retry=retry)
    assert isinstance(plan[0], Guarded)
    (statement,) = render(plan, BASE, PG)
    with scratch_db(PG) as db, _autocommit(db) as setup:
        create_base(setup, PG)
        with _autocommit(db) as reader, _autocommit(db) as migrator, _autocommit(db) as other:
            reader.exec_driver_sql("BEGIN")
            reader.exec_driver_sql("SELECT count(*) FROM orders")  # ACCESS SHARE, held
            outcome: list[BaseException | float] = []

            def migrate() -> None:
                started = time.monotonic()
                try:
                    migrator.exec_driver_sql(statement.sql)
                    outcome.append(time.monotonic() - started)
                except DBAPIError as exc:
                    outcome.append(exc)

            thread = threading.Thread(target=migrate)
            thread.start()
            time.sleep(0.05)
            # a query arriving while the ALTER waits queues behind it, but only until the
            # lock_timeout gives the lock request back
            other.exec_driver_sql("SET statement_timeout = '5s'")
            started = time.monotonic()
            other.exec_driver_sql("SELECT count(*) FROM orders").scalar_one()
            assert time.monotonic() - started < 0.5
            thread.join(10)
            (result,) = outcome
            assert isinstance(result, DBAPIError) and "lock timeout" in str(result)

            # the same block succeeds once the reader finishes during its retries
            outcome.clear()
            thread = threading.Thread(target=migrate)
            thread.start()
            time.sleep(0.15)
            reader.exec_driver_sql("COMMIT")
            thread.join(10)
            (elapsed,) = outcome
            assert isinstance(elapsed, float) and elapsed >= 0.1
        assert schema_of(db.engine(), PG) == expected(REQUESTS["add_column_constant_default"], PG)


def test_set_not_null_leaves_no_helper_check_and_the_down_keeps_it_away() -> None:
    naive = REQUESTS["set_not_null"]
    safe = safe_operations(naive, BASE, PG)
    names = [op.describe() for op in safe]
    assert any("orders_note_not_null" in n for n in names)
    assert o.apply_all(safe, BASE).table("orders").checks == ()
    down_sql = "\n".join(s.sql for s in reverse_statements(safe, BASE, PG))
    assert "DROP NOT NULL" in down_sql and "ADD CONSTRAINT" not in down_sql


def test_a_table_created_in_the_same_plan_is_not_rewritten() -> None:
    from migwright.tools.schema import Column, Index, Table

    table = Table("fresh", (Column("id", "integer", False), Column("n", "integer")), ("id",))
    plan: list[o.Operation] = [
        o.CreateTable(table),
        o.CreateIndex("fresh", Index("ix_fresh_n", ("n",))),
        o.AlterColumn("fresh", "n", nullable=False),
    ]
    assert safe_operations(plan, BASE, PG) == plan
    # and an existing table known to be empty is left alone too
    existing = REQUESTS["create_index"]
    assert safe_operations(existing, BASE, PG, sizes={"orders": 0}) == existing


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_rewriting_a_rewritten_plan_changes_nothing(name: str) -> None:
    """A plan that comes back (a repair after a failed validation) is not rewritten twice."""
    safe = safe_operations(REQUESTS[name], BASE, PG)
    assert safe_operations(safe, BASE, PG) == safe
