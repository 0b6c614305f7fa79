"""Query plans for new indexes, on the seeded data, before and after the up."""

from __future__ import annotations

import pytest
from conftest import dialect_params, require_server
from sqlalchemy import create_engine, text
from validate_helpers import ROWS, sql_migration

from migwright.tools import ops as o
from migwright.tools.schema import Column, Index
from migwright.tools.validate import validate
from migwright.tools.validate_explain import HOT_NOTE
from migwright.tools.validate_report import summary_lines


@pytest.mark.parametrize("dialect", dialect_params("sqlite", "postgresql"))  # MySQL has none
def test_a_partial_index_is_planned_with_its_predicate(dialect: str) -> None:
    url = require_server(dialect)
    index = Index("ix_orders_status_open", ("status",), where="status IS NOT NULL")
    mut, plan = sql_migration(o.CreateIndex("orders", index))
    report = validate(
        mut, plan, dialect=dialect, rows=2000, server_url=None if dialect == "sqlite" else url
    )
    assert report.ok, "\n".join(summary_lines(report))
    assert report.phase("up").ok, "\n".join(summary_lines(report))
    (result,) = report.explains
    assert result.query.startswith("SELECT * FROM orders WHERE status = ")
    assert result.query.endswith("AND (status IS NOT NULL)")
    assert result.used_before is False
    assert result.used_after or result.usable_after


@pytest.mark.parametrize("dialect", dialect_params())
def test_an_index_on_a_new_empty_column_has_nothing_to_plan(dialect: str) -> None:
    url = require_server(dialect)
    operations: list[o.Operation] = [
        o.AddColumn("orders", Column("code", "varchar(20)")),
        o.CreateIndex("orders", Index("ix_orders_code", ("code",))),
    ]
    if dialect != "mysql":  # MariaDB has no expression indexes
        operations.append(
            o.CreateIndex("orders", Index("ix_orders_lower_status", ("lower(status)",)))
        )
    mut, plan = sql_migration(*operations)
    report = validate(
        mut, plan, dialect=dialect, rows=ROWS, server_url=None if dialect == "sqlite" else url
    )
    assert report.ok, "\n".join(summary_lines(report))
    assert report.explains[0].note == "orders.code holds no values to query for"
    if dialect != "mysql":
        assert report.explains[1].note == "expression index: no query is built for it"


@pytest.mark.postgres
def test_postgres_says_why_an_index_built_after_a_backfill_is_not_used_yet() -> None:
    """An older transaction anywhere on the server keeps a HOT-broken index out of plans."""
    url = require_server("postgresql")
    mut, plan = sql_migration(
        o.Backfill("orders", "quantity", "1"),
        o.CreateIndex("orders", Index("ix_orders_status", ("status",))),
    )
    other = create_engine(url)
    try:
        with other.connect() as conn:
            conn.execute(text("SELECT txid_current()"))  # a transaction older than the up
            report = validate(mut, plan, dialect="postgresql", rows=ROWS, server_url=url)
            conn.rollback()
    finally:
        other.dispose()
    assert report.phase("up").ok, "\n".join(summary_lines(report))
    (result,) = report.explains
    assert result.used_after is False and result.usable_after is False
    assert result.note == HOT_NOTE
