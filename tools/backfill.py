"""Batched, resumable backfills: the SQL every framework's loop runs, per dialect.

One UPDATE over a big table holds a row lock on every row it touches until it commits, bloats
the table in one go (PostgreSQL) or the undo log (InnoDB), and when it fails near the end all
of its work is lost. A batched backfill walks the primary key in ranges of `size` keys
(keyset pagination: `key >= :lo ORDER BY key LIMIT 1 OFFSET size` finds where the next range
starts, read from the primary key index alone, so a batch costs the same at the end of the
table as at its start), commits each range on its own, and only touches the rows of the range
that still need it:

    pending = (<where>) AND <column> IS DISTINCT FROM (<expression>)

so a run killed in the middle is resumed by running it again: committed batches are not
pending any more, and only the batch that was in flight is redone. The loop itself is written
in each framework's own language (alembic_ops, django_op_keys, knex_render, sequelize_render,
typeorm_render, rails_render), around the four statements this module renders:

    first  - the key of the first pending row (none: nothing to do; a re-run starts here)
    bound  - the key `size` keys after :lo, where the next range starts (none: last range)
    update - UPDATE the pending rows in [:lo, :next)
    tail   - UPDATE the pending rows from :lo on (the last range)

The range is counted in keys, not in pending rows: the bound query then needs no row of the
table (an index-only scan on PostgreSQL after VACUUM). benchmarks/backfill_bench.py measured
batches of about 20 ms at 0.91 of one UPDATE's rows per second (the client loop; 0.64-0.99
for the DO block) on a quiet machine, 0.53-0.63 under load. A selective `where` makes ranges
with few rows to change; they are cheap, since the UPDATE finds them by the key.

Placeholders are written in the host's style (`named` :lo_0 for SQLAlchemy, `format` %s for
Django's cursor, `qmark` ? for Knex and the SQLite/MySQL drivers, `numeric` $1 for
node-postgres) and the rest of the text is escaped for that host by the caller's `escape`.

When the expression reads the column it writes, "pending" can be told from the values only if
the expression is idempotent (`upper(x)` is, `n + 1` is not): such a backfill is still batched,
`BatchSQL.resumable` is False, and the renderers' comment says that a re-run applies it again
to the committed batches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from . import ops as o
from .assume import UNKNOWN_TYPE
from .errors import SchemaError
from .schema import Schema, canonical_type

if TYPE_CHECKING:
    from .dialects.base import Dialect

#: Batch size when nothing says otherwise (no --batch-size, no row count).
DEFAULT_BATCH_SIZE = 1000
#: The comment above a batched DO block in SQL files.
BATCHES_NOTE = (
    "batched backfill of {table}: batches of {size} rows by primary key, a COMMIT after each "
    "(resumable: a re-run starts at the first pending row)"
)
#: Below this many rows a single UPDATE is over in well under a second: no batching.
SMALL_TABLE_ROWS = 10_000
#: A batch is never bigger than this, whatever the table's size.
MAX_BATCH_SIZE = 10_000
#: A progress line every this many batches.
PROGRESS_EVERY = 100

Marks = Literal["named", "format", "qmark", "numeric"]
_MYSQL_TEXT = ("varchar", "char", "text", "tinytext", "mediumtext", "longtext", "enum", "set")
_SLOT = re.compile(r"\x00(lo|nx)(\d+)\x00")


def batch_size_for(rows: int | None, requested: int | None = None) -> int | None:
    """The batch size for a table of `rows` rows; None means one UPDATE is fine.

    An explicit size wins. Unknown size: None (the renderer writes one UPDATE, and lint's
    large-table rule speaks up once sizes are known). Below SMALL_TABLE_ROWS: None. Above, about
    a thousandth of the table, between DEFAULT_BATCH_SIZE and MAX_BATCH_SIZE: a 1M-row table
    gets batches of 1000 (3-12 ms each on PostgreSQL in benchmarks/backfill_bench.py, well
    under the 20 ms that keeps other writers unblocked), a 100M-row one batches of 10000 and
    10000 commits instead of 100000.
    """
    if requested is not None:
        if requested < 1:
            raise SchemaError(
                f"a batch size of {requested} rows cannot make progress",
                "give --batch-size a positive number of rows (e.g. 1000)",
            )
        return requested
    if rows is None or rows < SMALL_TABLE_ROWS:
        return None
    return max(DEFAULT_BATCH_SIZE, min(MAX_BATCH_SIZE, rows // 1000))


@dataclass(frozen=True)
class BatchSQL:
    """The four statements of one batched backfill, in one placeholder style."""

    table: str
    column: str
    key: tuple[str, ...]
    size: int
    throttle_ms: int
    first: str
    bound: str
    update: str
    tail: str
    resumable: bool

    @property
    def every(self) -> int:
        """Batches between two progress lines."""
        return PROGRESS_EVERY

    def describe(self) -> str:
        """One line for comments and logs: what is walked, by what, how far apart."""
        how = (
            "resumable: a re-run redoes at most one batch"
            if self.resumable
            else (
                "the expression reads the column it writes, so a re-run after a partial run "
                "redoes the committed batches: safe only if applying it twice changes nothing "
                "(upper(x) yes, n + 1 no)"
            )
        )
        return (
            f"batches of {self.size} rows of {self.table} by {', '.join(self.key)}, "
            f"one commit each; {how}"
        )


def key_of(schema: Schema, table: str) -> tuple[str, ...]:
    """The primary key the batches walk; a table without one cannot be batched."""
    key = tuple(schema.table(table).primary_key)
    if not key:
        raise SchemaError(
            f"{table} has no primary key, so a batched backfill has no key to walk",
            "add a primary key first, or drop the batch size to run one UPDATE",
        )
    return key


def pending(d: Dialect, op: o.Backfill, after: Schema) -> str:
    """The predicate of rows the backfill still has to change, in dialect `d`."""
    column = after.table(op.table).column(op.column)
    value = d.expression(op.expression, after)
    target = d.quote(op.column)
    if d.name == "postgresql" and column.type == UNKNOWN_TYPE:  # schema assumed, no --db
        differs = f"{target} IS DISTINCT FROM ({value})"
    elif d.name == "postgresql":
        # the column's type: `text_col IS DISTINCT FROM 42` would not even compare
        cast = d.cast_type(canonical_type(column.type), after)
        differs = f"{target} IS DISTINCT FROM CAST(({value}) AS {cast})"
    elif d.name == "mysql" and canonical_type(column.type).startswith(_MYSQL_TEXT):
        # byte for byte: the expression's collation (the connection's) may not be the
        # column's, and comparing the two is an error ("Illegal mix of collations")
        differs = f"NOT (BINARY {target} <=> BINARY ({value}))"
    elif d.name == "mysql":
        differs = f"NOT ({target} <=> ({value}))"
    else:
        differs = f"{target} IS NOT ({value})"
    if op.where:
        return f"({d.expression(op.where, after)}) AND {differs}"
    return differs


def resumable(op: o.Backfill) -> bool:
    """Whether "pending" can be read from the values (the expression does not read the column)."""
    return op.column not in o.expression_columns(op.expression)


def batch_sql(
    d: Dialect,
    op: o.Backfill,
    after: Schema,
    size: int,
    marks: Marks,
    escape: Callable[[str], str] = lambda text: text,
    throttle_ms: int = 0,
) -> BatchSQL:
    """The statements for `op` in batches of `size`, with `marks` placeholders.

    `escape` is applied to everything but the placeholders (a `%` for Django's cursor, a `?`
    for Knex, a `:word` for SQLAlchemy's text()).
    """
    key = key_of(after, op.table)
    table = d.quote(op.table)
    keys = d.names(key)
    todo = pending(d, op, after)
    lo = _row(d, key, "lo")
    nx = _row(d, key, "nx")
    cols = order = keys
    assign = f"UPDATE {table} SET {d.quote(op.column)} = {d.expression(op.expression, after)}"
    first = f"SELECT {cols} FROM {table} WHERE {todo} ORDER BY {order} LIMIT 1"
    bound = (
        f"SELECT {cols} FROM {table} WHERE {lo[0]} >= {lo[1]} "
        f"ORDER BY {order} LIMIT 1 OFFSET {size}"
    )
    update = f"{assign} WHERE {lo[0]} >= {lo[1]} AND {nx[0]} < {nx[1]} AND {todo}"
    tail = f"{assign} WHERE {lo[0]} >= {lo[1]} AND {todo}"
    return BatchSQL(
        op.table,
        op.column,
        key,
        size,
        throttle_ms,
        _marked(first, marks, escape, len(key)),
        _marked(bound, marks, escape, len(key)),
        _marked(update, marks, escape, len(key)),
        _marked(tail, marks, escape, len(key)),
        resumable(op),
    )


def _row(d: Dialect, key: tuple[str, ...], side: str) -> tuple[str, str]:
    """(`columns`, `slots`) of a key comparison: `id` / `(a, b)` against one slot per column."""
    slots = [f"\x00{side}{i}\x00" for i in range(len(key))]
    if len(key) == 1:
        return d.quote(key[0]), slots[0]
    return f"({d.names(key)})", f"({', '.join(slots)})"


def _marked(sql: str, marks: Marks, escape: Callable[[str], str], width: int) -> str:
    """`sql` escaped for the host, its slots turned into the host's placeholders."""
    parts = _SLOT.split(sql)
    out: list[str] = []
    # _SLOT.split gives text, side, index, text, side, index, ..., text
    for i in range(0, len(parts), 3):
        out.append(escape(parts[i]))
        if i + 2 < len(parts):
            side, index = parts[i + 1], int(parts[i + 2])
            out.append(_mark(marks, side, index, width))
    return "".join(out)


def _mark(marks: Marks, side: str, index: int, width: int) -> str:
    if marks == "named":
        return f":{side}_{index}"
    if marks == "format":
        return "%s"
    if marks == "qmark":
        return "?"
    return f"${index + 1 + (width if side == 'nx' else 0)}"


# ---------------------------------------------------------------------------------------------
# Single-statement forms (SQL files, whose runner holds the file in one transaction)
# ---------------------------------------------------------------------------------------------


def single_update(d: Dialect, op: o.Backfill, after: Schema) -> str:
    """One UPDATE of the pending rows only: running it again after a failure does no harm."""
    return (
        f"UPDATE {d.quote(op.table)} SET {d.quote(op.column)} = "
        f"{d.expression(op.expression, after)} WHERE {pending(d, op, after)}"
    )


def single_note(d: Dialect, op: o.Backfill, size: int) -> str:
    """Why a batched backfill is one statement here, and up to what size that is fine."""
    return (
        f"one UPDATE, not batches of {size}: this file runs in one transaction, so batches "
        "could not commit apart. It updates only rows still pending, so a re-run after a "
        "failure is safe; it holds a lock on every row it changes until it ends, which is "
        "fine up to about 100k rows (well under a second). For a bigger table write the "
        "backfill in a migration framework that runs code, or run it in its own "
        "non-transactional file."
    )


def pg_do_block(d: Dialect, op: o.Backfill, after: Schema, size: int, throttle_ms: int = 0) -> str:
    """A PostgreSQL DO block that runs the batches with a COMMIT after each.

    COMMIT inside DO works only when the DO is not inside a transaction block (PostgreSQL 11+):
    the statement must be sent on its own, outside BEGIN/COMMIT and not as part of a
    multi-statement string. Progress is a NOTICE every PROGRESS_EVERY batches.
    """
    batch = batch_sql(d, op, after, size, "named", throttle_ms=throttle_ms)
    table = d.quote(op.table)
    lo = [f"mw_lo_{i}" for i in range(len(batch.key))]
    nx = [f"mw_nx_{i}" for i in range(len(batch.key))]
    declare = [
        f"  {v} {table}.{d.quote(k)}%TYPE;"
        for vs in (lo, nx)
        for v, k in zip(vs, batch.key, strict=True)
    ]

    def fill(sql: str) -> str:
        return re.sub(r"(?<!:):(lo|nx)_(\d+)", r"mw_\1_\2", sql)

    name = f"{op.table}.{op.column}".replace("'", "''").replace("%", "%%")
    into_lo = ", ".join(lo)
    into_nx = ", ".join(nx)
    sleep = f"\n    PERFORM pg_sleep({throttle_ms / 1000});" if throttle_ms else ""
    return "\n".join(
        [
            "DO $migwright$",
            "DECLARE",
            *declare,
            "  mw_more boolean;",
            "  mw_batches bigint := 0;",
            "BEGIN",
            f"  {_into(fill(batch.first), into_lo)};",
            "  mw_more := FOUND;",
            "  WHILE mw_more LOOP",
            f"    {_into(fill(batch.bound), into_nx)};",
            "    mw_more := FOUND;",
            "    IF mw_more THEN",
            f"      {fill(batch.update)};",
            "    ELSE",
            f"      {fill(batch.tail)};",
            "    END IF;",
            "    COMMIT;",
            "    mw_batches := mw_batches + 1;",
            f"    IF mw_batches % {PROGRESS_EVERY} = 0 THEN",
            f"      RAISE NOTICE 'backfill {name}: % batches of {size}', mw_batches;",
            f"    END IF;{sleep}",
            *[f"    {a} := {b};" for a, b in zip(lo, nx, strict=True)],
            "  END LOOP;",
            f"  RAISE NOTICE 'backfill {name}: done in % batches', mw_batches;",
            "END",
            "$migwright$",
        ]
    )


def _into(select: str, targets: str) -> str:
    """`SELECT cols INTO targets FROM ...` from `SELECT cols FROM ...`."""
    head, _, rest = select.partition(" FROM ")
    return f"{head} INTO {targets} FROM {rest}"


# ---------------------------------------------------------------------------------------------
# Deciding the batch size of a plan's backfills
# ---------------------------------------------------------------------------------------------


def batched(
    operations: Sequence[o.Operation],
    before: Schema,
    batch_size: int | None = None,
    throttle_ms: int | None = None,
    rows: Mapping[str, int] | None = None,
) -> tuple[o.Operation, ...]:
    """The operations with each backfill's batch size and throttle decided.

    A size the request gave (`batch 500`) wins, then `batch_size` (`--batch-size`), then one
    from the table's row count (`batch_size_for`); a table that exists before the migration but
    whose size is unknown (no --db) gets DEFAULT_BATCH_SIZE, a table the plan creates is empty
    and gets one UPDATE. A throttle asks for batches, so it implies
    DEFAULT_BATCH_SIZE when nothing else gave a size. An explicit size on a table without a
    primary key is an error (nothing to walk); a size that only came from the row count falls
    back to one UPDATE there.
    """
    if throttle_ms is not None and throttle_ms < 0:
        raise SchemaError(
            f"a throttle of {throttle_ms} ms is not a pause",
            "give --throttle-ms zero or a positive number of milliseconds",
        )
    out: list[o.Operation] = []
    state = before
    for op in operations:
        if isinstance(op, o.Backfill):
            explicit = op.batch_size or batch_size
            if explicit is None and throttle_ms:
                explicit = DEFAULT_BATCH_SIZE
            known = (rows or {}).get(op.table)
            if explicit is None and known is None and before.has_table(op.table):
                # an existing table of unknown size may be large: batches cost little on a
                # small one, one UPDATE over a large one holds every row lock till the end
                size = DEFAULT_BATCH_SIZE if state.table(op.table).primary_key else None
            else:
                size = batch_size_for(known, explicit)
            if size is not None:
                if explicit is None and not state.table(op.table).primary_key:
                    size = None  # documented fallback: one UPDATE when nobody asked for batches
                else:
                    key_of(state, op.table)  # the error with its fix, before anything is written
            pause = throttle_ms if throttle_ms is not None else op.throttle_ms
            op = replace(op, batch_size=size, throttle_ms=pause if size else None)
        out.append(op)
        state = op.apply(state)
    return tuple(out)


def row_counts(url: str | None) -> dict[str, int]:
    """Estimated rows per table of the database at `url` (catalog only, read-only); {} without."""
    if not url:
        return {}
    from sqlalchemy import create_engine

    from .lint.stats import table_stats

    engine = create_engine(url)
    try:
        return {name: stats.rows for name, stats in table_stats(engine).items()}
    finally:
        engine.dispose()
