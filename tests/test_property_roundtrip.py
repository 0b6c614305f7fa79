"""The foundation's central property, on real databases.

For random schemas and random sequences of operations: executing migwright's SQL for an
operation and introspecting the database gives the same Schema as the operation's pure `apply`;
executing its reverse restores the earlier schema exactly. Both sides are compared after the
dialect's `comparable` fold (what that server can represent) and `normalized()`.

Examples per dialect: MIGWRIGHT_PROPERTY_EXAMPLES (default 12), each in a fresh scratch
database; each example runs up to 8 operations, each checked forwards and backwards.
"""

from __future__ import annotations

import os

import pytest
from conftest import dialect_params, require_server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from op_strategies import create_table, next_operation
from sqlalchemy.engine import Connection

from migwright.tools import ops as o
from migwright.tools.dialects import get as get_dialect
from migwright.tools.introspect import introspect
from migwright.tools.schema import Schema
from migwright.tools.scratch import create_scratch
from migwright.tools.sql import render

EXAMPLES = int(os.environ.get("MIGWRIGHT_PROPERTY_EXAMPLES", "12"))


def _execute(conn: Connection, ops: list[o.Operation], before: Schema, dialect: str) -> None:
    for statement in render(ops, before, dialect):
        conn.exec_driver_sql(statement.sql)


def _assert_matches(engine: object, expected: Schema, dialect: str, context: str) -> None:
    fold = get_dialect(dialect).comparable
    actual = introspect(engine)  # type: ignore[arg-type]
    want = fold(expected).normalized()
    got = fold(actual).normalized()
    assert got == want, (
        f"{context}\n--- expected ---\n{want.describe()}\n--- database ---\n{got.describe()}"
    )


@pytest.mark.parametrize("dialect", dialect_params())
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=os.environ.get("CI") == "true",
)
@given(data=st.data())
def test_sql_agrees_with_apply_and_reverse_restores(dialect: str, data: st.DataObject) -> None:
    server = require_server(dialect)
    with create_scratch(dialect, None if dialect == "sqlite" else server) as db:
        engine = db.engine()
        schema = Schema()
        history: list[str] = []
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            count = data.draw(st.integers(min_value=1, max_value=8), label="operations")
            for index in range(count + 1):
                # each operation is drawn against the schema as it is now
                op: o.Operation | None = data.draw(
                    create_table(schema, dialect)
                    if index == 0
                    else next_operation(schema, dialect),
                    label=f"op {index}",
                )
                if op is None:
                    continue
                history.append(op.describe())
                after = op.apply(schema)
                _execute(conn, [op], schema, dialect)
                _assert_matches(engine, after, dialect, "after up: " + " | ".join(history))
                reverse = op.reverse(schema)
                assert isinstance(reverse, o.Operation)
                _execute(conn, [reverse], after, dialect)
                _assert_matches(engine, schema, dialect, "after down: " + " | ".join(history))
                _execute(conn, [op], schema, dialect)
                _assert_matches(engine, after, dialect, "after re-up: " + " | ".join(history))
                schema = after
