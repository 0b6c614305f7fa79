"""The batch statements of tools/backfill.py on real databases, driven the way the generated
loops drive them: every row right, whole batches committed, a re-run after a failed batch
finishing without redoing a committed one; the PostgreSQL DO block; sizes and refusals."""

from __future__ import annotations

import re

import pytest
from bf_harness import (
    BATCH,
    assert_complete,
    assert_partial,
    backfill_op,
    expected_batches,
    interrupt,
    prepare,
)
from conftest import dialect_params
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from migwright.tools import backfill
from migwright.tools import ops as o
from migwright.tools.dialects import get as get_dialect
from migwright.tools.errors import SchemaError
from migwright.tools.introspect import introspect
from migwright.tools.schema import Column, Schema, Table
from migwright.tools.scratch import ScratchDatabase

_BIND = re.compile(r"(?<![:\w\\]):(?=\w)")


def run_batches(engine: Engine, b: backfill.BatchSQL) -> int:
    """The loop every framework writes, in Python over SQLAlchemy, each UPDATE autocommitted."""
    batches = 0
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        lo = conn.execute(text(b.first)).first()
        while lo is not None:
            keys = {f"lo_{i}": value for i, value in enumerate(lo)}
            nx = conn.execute(text(b.bound), keys).first()
            if nx is None:
                conn.execute(text(b.tail), keys)
            else:
                nexts = {f"nx_{i}": value for i, value in enumerate(nx)}
                conn.execute(text(b.update), {**keys, **nexts})
            batches += 1
            lo = nx
    return batches


def statements(db: ScratchDatabase, table: str) -> backfill.BatchSQL:
    schema = introspect(db.engine())
    d = get_dialect(db.dialect)
    escape = lambda sql: _BIND.sub(r"\\:", sql)  # noqa: E731  (SQLAlchemy's literal colon)
    return backfill.batch_sql(d, backfill_op(table), schema, BATCH, "named", escape)


@pytest.mark.parametrize("table", ["mw_items", "mw_pairs"])
def test_batches_fill_every_row_once(scratch: ScratchDatabase, table: str) -> None:
    engine = scratch.engine()
    prepare(engine, table)
    batches = run_batches(engine, statements(scratch, table))
    assert batches == expected_batches(table)[0]  # ranges of BATCH keys from the first pending
    assert_complete(engine, table)
    assert run_batches(engine, statements(scratch, table)) == 0  # nothing pending: no batch


@pytest.mark.parametrize("table", ["mw_items", "mw_pairs"])
def test_rerun_after_a_failed_batch_redoes_only_that_batch(
    scratch: ScratchDatabase, table: str
) -> None:
    engine = scratch.engine()
    prepare(engine, table)
    b = statements(scratch, table)
    interrupt(engine, on=True)
    with pytest.raises(DBAPIError, match="mw: interrupted"):
        run_batches(engine, b)
    assert_partial(engine, table=table)
    interrupt(engine, on=False)
    run_batches(engine, b)
    assert_complete(engine, table)


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["mw_items", "mw_pairs"])
def test_postgres_do_block_commits_each_batch(pg_scratch: ScratchDatabase, table: str) -> None:
    engine = pg_scratch.engine()
    prepare(engine, table)
    block = backfill.pg_do_block(
        get_dialect("postgresql"), backfill_op(table), introspect(engine), BATCH
    )
    interrupt(engine, on=True)
    autocommit = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    with autocommit as conn, pytest.raises(DBAPIError, match="mw: interrupted"):
        conn.execute(text(block))
    assert_partial(engine, table=table)
    interrupt(engine, on=False)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(block))
    assert_complete(engine, table)


@pytest.mark.parametrize("dialect", dialect_params())
def test_single_update_is_safe_to_run_twice(scratch: ScratchDatabase, dialect: str) -> None:
    """The SQL-file form: on PostgreSQL the committing DO block, outside a transaction;
    elsewhere one UPDATE of the pending rows only. Either way a second run changes none."""
    engine = scratch.engine()
    prepare(engine)
    schema = introspect(engine)
    sql = get_dialect(dialect).render(backfill_op(), schema, schema)
    assert len(sql) == 1
    if dialect == "postgresql":
        assert not sql[0].transactional and "COMMIT;" in sql[0].sql
        assert "batches of 100 rows" in (sql[0].note or "")
        for _ in range(2):
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(sql[0].sql))
    else:
        assert "one UPDATE, not batches of 100" in (sql[0].note or "")
        for _ in range(2):
            with engine.begin() as conn:
                conn.execute(text(_BIND.sub(r"\\:", sql[0].sql)))
    assert_complete(engine)


def _schema(primary_key: tuple[str, ...]) -> Schema:
    columns = (Column("id", "integer", nullable=False), Column("label", "text"))
    return Schema((Table("t", columns, primary_key=primary_key),))


def test_no_primary_key_is_refused_when_batches_were_asked_for() -> None:
    op = o.Backfill("t", "label", "'x'", batch_size=100)
    with pytest.raises(SchemaError, match="no primary key") as err:
        backfill.batched([op], _schema(()))
    assert "add a primary key" in err.value.hint


def test_no_primary_key_falls_back_to_one_update_when_only_the_size_asked() -> None:
    op = o.Backfill("t", "label", "'x'")
    (out,) = backfill.batched([op], _schema(()), rows={"t": 5_000_000})
    assert isinstance(out, o.Backfill) and out.batch_size is None
    (keyed,) = backfill.batched([op], _schema(("id",)), rows={"t": 5_000_000})
    assert isinstance(keyed, o.Backfill) and keyed.batch_size == 5000


def test_batch_size_precedence_and_throttle() -> None:
    schema = _schema(("id",))
    asked = o.Backfill("t", "label", "'x'", batch_size=250)
    plain = o.Backfill("t", "label", "'x'")
    assert backfill.batched([asked], schema, 900)[0] == asked  # the request's own size wins
    (cli,) = backfill.batched([plain], schema, 900, 20)
    assert isinstance(cli, o.Backfill) and (cli.batch_size, cli.throttle_ms) == (900, 20)
    (throttled,) = backfill.batched([plain], schema, throttle_ms=5)
    assert isinstance(throttled, o.Backfill) and throttled.batch_size == 1000
    assert backfill.batched([plain], schema, rows={"t": 500})[0] == plain  # small: one UPDATE
    with pytest.raises(SchemaError, match="cannot make progress"):
        backfill.batched([plain], schema, 0)
    with pytest.raises(SchemaError, match="not a pause"):
        backfill.batched([plain], schema, 100, -1)


@pytest.mark.parametrize(
    ("rows", "size"),
    [
        (None, None),
        (9_999, None),
        (10_000, 1000),
        (1_000_000, 1000),
        (5_000_000, 5000),
        (10**9, 10_000),
    ],
)
def test_batch_size_from_row_count(rows: int | None, size: int | None) -> None:
    assert backfill.batch_size_for(rows) == size


def test_reading_the_column_it_writes_is_not_resumable() -> None:
    schema = Schema(
        (Table("t", (Column("id", "integer", False), Column("n", "integer")), ("id",)),)
    )
    op = o.Backfill("t", "n", "n + 1", batch_size=10)
    b = backfill.batch_sql(get_dialect("postgresql"), op, schema, 10, "numeric")
    assert not b.resumable and "n + 1 no" in b.describe()
    assert "$1" in b.bound and "$2" in b.update  # numbered marks: lo, then next


@pytest.mark.parametrize("dialect", dialect_params("sqlite", "postgresql"))
def test_row_counts_from_the_database_decide_the_size(
    scratch: ScratchDatabase, dialect: str
) -> None:
    """`--db` without `--batch-size`: the catalog's row count (after ANALYZE) picks batches."""
    engine = scratch.engine()
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE big (id integer PRIMARY KEY, label varchar(20))"))
        conn.execute(text("CREATE TABLE small (id integer PRIMARY KEY, label varchar(20))"))
        conn.execute(text("INSERT INTO big (id) VALUES (:id)"), [{"id": i} for i in range(20_000)])
        conn.execute(text("INSERT INTO small (id) VALUES (1)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    rows = backfill.row_counts(scratch.url)
    assert rows["big"] == 20_000 and rows["small"] == 1
    ops = [o.Backfill("big", "label", "'x'"), o.Backfill("small", "label", "'x'")]
    big, small = backfill.batched(ops, introspect(engine), rows=rows)
    assert isinstance(big, o.Backfill) and big.batch_size == 1000
    assert isinstance(small, o.Backfill) and small.batch_size is None
