"""Table sizes read from real catalogs (read-only), and lint severity that follows them."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from migwright.tools.lint import LintContext, lint_sql
from migwright.tools.lint.stats import partitioned_tables, table_stats
from migwright.tools.scratch import ScratchDatabase


@pytest.mark.postgres
def test_postgres_stats_and_partitions(pg_scratch: ScratchDatabase) -> None:
    engine = pg_scratch.engine()
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE orders (id bigint PRIMARY KEY, note text)"))
        conn.execute(
            text("INSERT INTO orders SELECT g, repeat('x', 50) FROM generate_series(1, 20000) g")
        )
        conn.execute(text("CREATE TABLE fresh (id int)"))
        conn.execute(text("CREATE SCHEMA billing"))
        conn.execute(text("CREATE TABLE billing.invoices (id int)"))
        conn.execute(text("CREATE TABLE m (at date) PARTITION BY RANGE (at)"))
        conn.execute(text("ANALYZE orders"))
    stats = table_stats(engine)
    assert stats["orders"].rows == 20000
    assert stats["orders"].bytes > 20000 * 50
    assert stats["fresh"].rows == 0  # never analysed and empty
    assert "billing.invoices" in stats
    assert partitioned_tables(engine) == frozenset({"m"})
    found = lint_sql("CREATE INDEX i ON orders (note);", LintContext("postgresql", stats=stats))
    index = next(f for f in found.findings if f.rule == "require-concurrent-index-creation")
    assert index.severity == "warning"  # 20,000 rows: between small and large
    assert index.estimated_seconds is not None


@pytest.mark.mysql
def test_mysql_stats(mysql_scratch: ScratchDatabase) -> None:
    engine = mysql_scratch.engine()
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE orders (id bigint PRIMARY KEY, note varchar(60))"))
        values = ", ".join(f"({n}, 'note {n}')" for n in range(1, 501))
        conn.execute(text(f"INSERT INTO orders VALUES {values}"))
        conn.execute(text("ANALYZE TABLE orders"))
    stats = table_stats(engine)
    assert 300 <= stats["orders"].rows <= 700  # InnoDB's estimate
    assert stats["orders"].bytes > 0
    assert partitioned_tables(engine) == frozenset()
    found = lint_sql(
        "ALTER TABLE orders ADD INDEX i (note), ALGORITHM=COPY;",
        LintContext("mysql", stats=stats),
    )
    copy = next(f for f in found.findings if f.rule == "require-online-ddl-options")
    assert copy.severity == "note"  # a small table


def test_sqlite_stats(sqlite_scratch: ScratchDatabase) -> None:
    engine = sqlite_scratch.engine()
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE orders (id integer PRIMARY KEY, note text)"))
        conn.execute(text("INSERT INTO orders (note) VALUES ('a'), ('b'), ('c')"))
    stats = table_stats(engine)
    assert stats["orders"].rows == 3
