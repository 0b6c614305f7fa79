"""Zero-downtime rendering on MySQL/MariaDB: every ALTER states its algorithm, the server
accepts it (no error 1845/1846), and the schema is the naive plan's, up, down and up again."""

from __future__ import annotations

import re

import pytest
from safe_support import BASE, REQUESTS, create_base, expected, run, schema_of, scratch_db

from migwright.tools import ops as o
from migwright.tools.dialects.mysql_online import COPY, INSTANT, ONLINE
from migwright.tools.errors import IrreversibleError
from migwright.tools.ops_safe import Guarded
from migwright.tools.sql import render, reverse_statements
from migwright.tools.zero_downtime import safe_operations

_ALTERS = re.compile(r"^\s*(ALTER\s+TABLE|CREATE\s+(UNIQUE\s+)?INDEX|DROP\s+INDEX)", re.I)

#: what each request may do while the table is in use (the strongest clause it states)
WANT = {
    "create_index": ONLINE,
    "create_unique_index": ONLINE,
    "drop_index": ONLINE,
    "add_foreign_key": COPY,
    "add_check": COPY,
    "set_not_null": ONLINE,
    "add_unique": ONLINE,
    "volatile_default_not_null": COPY,
    "volatile_default_nullable": COPY,
    "add_column_constant_default": INSTANT,
    "rename_column": ONLINE,
}


@pytest.mark.parametrize("flavour", ["mysql", "mariadb"])
@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_every_alter_states_an_algorithm_the_server_accepts(name: str, flavour: str) -> None:
    naive = REQUESTS[name]
    safe = safe_operations(naive, BASE, flavour)
    assert all(isinstance(op, Guarded) for op in safe)
    up = render(safe, BASE, flavour)
    for statement in up:
        if _ALTERS.match(statement.sql):
            assert "ALGORITHM=" in statement.sql, statement.sql
    if name in WANT:
        clause = WANT[name]
        assert any(s.sql.endswith(clause.replace(", ", " ")) or s.sql.endswith(clause) for s in up)
    try:
        down = reverse_statements(safe, BASE, flavour)
    except IrreversibleError:
        down = None  # an unnamed foreign key: as irreversible as the naive plan
        with pytest.raises(IrreversibleError):
            reverse_statements(naive, BASE, flavour)
    with scratch_db("mysql") as db:
        engine = db.engine()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            create_base(conn, "mysql")
            start = schema_of(engine, "mysql")
            run(conn, up, "mysql")
            assert schema_of(engine, "mysql") == expected(naive, "mysql")
            if down is not None:
                run(conn, down, "mysql")
                assert schema_of(engine, "mysql") == start
                run(conn, up, "mysql")
                assert schema_of(engine, "mysql") == expected(naive, "mysql")


def test_drop_column_is_instant_on_mariadb_and_in_place_when_the_server_is_unknown() -> None:
    naive = REQUESTS["drop_column"]
    (mariadb,) = render(safe_operations(naive, BASE, "mariadb"), BASE, "mariadb")
    (either,) = render(safe_operations(naive, BASE, "mysql"), BASE, "mysql")
    assert mariadb.sql.endswith(INSTANT)
    assert either.sql.endswith(ONLINE)  # MySQL before 8.0.29 has no instant DROP COLUMN
    (newer,) = render(safe_operations(naive, BASE, "mysql", version=(8, 0, 30)), BASE, "mysql")
    assert newer.sql.endswith(INSTANT)


def test_operations_without_an_alter_are_left_as_they_are() -> None:
    plan: list[o.Operation] = [o.RenameTable("orders", "purchases"), o.DropTable("purchases")]
    assert safe_operations(plan, BASE, "mariadb") == plan
