"""A request to SQL for one dialect: the up, the down, and what the down cannot restore.

This is what `migwright sql` prints. The before schema comes from a database the person names
(read-only introspection) or, without one, from the request itself (`assume.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import ops as o
from .assume import UNKNOWN_TYPE, assumed_schema
from .schema import Schema
from .spec import Request, parse_request
from .sql import Statement, render


@dataclass(frozen=True)
class SqlPlan:
    request: Request
    dialect: str
    before: Schema
    after: Schema
    up: tuple[Statement, ...]
    down: tuple[Statement, ...] | None
    reverse: o.ReversePlan
    down_note: str | None
    schema_source: str


def plan_sql(
    args: Sequence[str] | str,
    dialect: str,
    db_url: str | None = None,
    *,
    safe: bool = True,
    batch_size: int | None = None,
    throttle_ms: int | None = None,
) -> SqlPlan:
    """`safe` renders for a live database (tools/zero_downtime.py); False gives the plain DDL.

    `batch_size` / `throttle_ms` decide the backfills' batches (tools/backfill.py), with the
    row counts of `db_url` when there is one."""
    if db_url:
        from .introspect import introspect

        before = introspect(db_url)
        request = parse_request(args, dialect=dialect, schema=before)
        source = "database"
    else:
        request = parse_request(args, dialect=dialect)
        before = assumed_schema(request.operations, dialect)
        source = "assumed from the request"
    operations = list(request.operations)
    if safe:
        from .zero_downtime import safe_operations

        operations = safe_operations(operations, before, dialect)
    from .backfill import batched, row_counts

    rows = row_counts(db_url) if db_url else None
    operations = list(batched(operations, before, batch_size, throttle_ms, rows))
    after = o.apply_all(operations, before)
    up = tuple(render(operations, before, dialect))
    reverse = o.reverse_all(operations, before)
    down: tuple[Statement, ...] | None = None
    note = None
    if reverse.irreversible:
        note = "; ".join(why.reason for _, why in reverse.irreversible)
    elif _mentions_unknown(reverse.operations):
        note = "the down needs the current column definitions: give them with --db URL"
    else:
        down = tuple(render(reverse.operations, after, dialect))
    return SqlPlan(request, dialect, before, after, up, down, reverse, note, source)


def _mentions_unknown(operations: Sequence[o.Operation]) -> bool:
    return any(f"type='{UNKNOWN_TYPE}'" in repr(op) for op in operations)
