"""A plan rewritten into its zero-downtime form: the same end schema, weaker locks, re-runnable.

`safe_operations(ops, before, dialect)` is what `migwright new` and `migwright sql` render by
default (`--unsafe` skips it). Only operations on tables that exist in `before` are rewritten:
a table the plan creates is empty, so nothing waits on it. Each rewrite below says which lock it
avoids; the operations it produces are ordinary ones (`ops.py`, `ops_safe.py`), so the
renderers, the validator and the docs handle them like any other.

PostgreSQL
- an index is built and dropped CONCURRENTLY (no SHARE lock blocking writes for the build),
  after dropping an INVALID leftover of the same name;
- a foreign key or check is added NOT VALID (a brief lock, no scan), then validated in its own
  transaction under SHARE UPDATE EXCLUSIVE, which lets reads and writes through;
- SET NOT NULL goes through a validated `IS NOT NULL` check, which PostgreSQL 12+ accepts as
  proof, so the SET NOT NULL itself does not scan the table under ACCESS EXCLUSIVE;
- a UNIQUE constraint adopts a unique index built concurrently (`USING INDEX`);
- a column with a volatile default (or any default before PostgreSQL 11) is added without it,
  the default is set for new rows, and the existing rows are backfilled (in batches, by the
  Backfill renderers) instead of rewriting the table under ACCESS EXCLUSIVE;
- every statement that still needs ACCESS EXCLUSIVE runs with a short lock_timeout, retried
  with backoff (`LockRetry`), and behind a guard that makes it re-runnable after a crash.

MySQL/MariaDB: each ALTER states `ALGORITHM=INSTANT`, or `INPLACE, LOCK=NONE` where the
server can do that, so the server refuses instead of silently copying the table; where only
COPY works, the statement says so (`ALGORITHM=COPY, LOCK=SHARED`: reads go on, writes wait).

SQLite has one writer at a time and no online DDL: nothing to rewrite (its table rebuild
checks foreign keys before committing, see `dialects/sqlite_rebuild.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import sqlglot
from sqlglot import exp

from . import ops as o
from .dialects import Dialect, get
from .dialects.postgres_safe import guarded_body, retry_block
from .errors import IrreversibleError
from .ops_safe import (
    DropInvalidIndex,
    Guarded,
    LockRetry,
    LockTimeout,
    PrepareUniqueIndex,
    ValidateConstraint,
    lock_timeout_pair,
)
from .schema import CheckConstraint, Schema

__all__ = ["LockRetry", "safe_operations"]

#: PostgreSQL truncates longer names; a rewrite that needs to name something skips instead.
_MAX_NAME = 63

#: Functions whose value differs per row (pg_proc.provolatile = 'v'): a default calling one
#: cannot be stored once in the catalog, so ADD COLUMN rewrites the table.
VOLATILE = frozenset(
    {
        "random",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "setseed",
        "txid_current",
    }
)


def safe_operations(
    ops: Sequence[o.Operation],
    before: Schema,
    dialect: str | Dialect,
    *,
    version: tuple[int, ...] | None = None,
    sizes: Mapping[str, int] | None = None,
    retry: LockRetry | None = None,
) -> list[o.Operation]:
    """`ops` rewritten for a live database (see the module docstring).

    `version` is the server's (None: a current one); `sizes` maps table names to row counts
    where known: a table known to be empty is left as it is. `retry` sets the lock timeout and
    retries (PostgreSQL).
    """
    d = get(dialect, version)
    rewrite = _REWRITERS.get(d.name)
    if rewrite is None or any(_rewritten(op) for op in ops):
        return list(ops)  # nothing to do here, or done already (a repaired plan comes back)
    retry = retry or LockRetry()
    out: list[o.Operation] = []
    state = before
    exclusive = False
    pending = list(ops)
    while pending:
        op = pending.pop(0)
        table = op.tables[0] if op.tables else None
        live = table is not None and before.has_table(table) and (sizes or {}).get(table) != 0
        if live and pending and _replaces_column(op, pending[0]) and not retry.native:
            # one block, one guard: re-run after the rename, "old column exists" is true again
            # and a separate drop would take the renamed column with it
            produced: list[o.Operation] = [guarded([op, pending.pop(0)], state, d, retry)]
        else:
            produced = rewrite(op, state, d, retry) if live else [op]
        exclusive = exclusive or (live and produced == [op] and _needs_exclusive(op))
        for item in produced:
            state = item.apply(state)
        out += produced
    if retry.native and exclusive and d.name == "postgresql":
        opening, closing = lock_timeout_pair(retry)
        out = [opening, *out, closing]
    return out


def policy_for(framework: str | None) -> LockRetry:
    """The lock policy for a framework's migrations (see LockRetry.native and .concurrent)."""
    return LockRetry(native=framework in NATIVE_DDL, concurrent=framework not in NO_CONCURRENT)


#: Frameworks whose migrations are calls of their own DDL API, not SQL text.
NATIVE_DDL = frozenset({"alembic", "django", "knex", "sequelize", "typeorm", "rails"})
#: Frameworks whose runner wraps each migration in one transaction, no way out.
NO_CONCURRENT = frozenset({"drizzle"})


def _replaces_column(op: o.Operation, following: o.Operation) -> bool:
    """DROP COLUMN x then RENAME COLUMN y TO x (a contract migration's type change)."""
    return (
        isinstance(op, o.DropColumn)
        and isinstance(following, o.RenameColumn)
        and following.table == op.table
        and following.new == op.column
    )


def _needs_exclusive(op: o.Operation) -> bool:
    return _PG.get(type(op)) is _pg_lock_retry or isinstance(op, o.AddColumn | o.AlterColumn)


def _rewritten(op: o.Operation) -> bool:
    """An operation only this rewrite produces: the plan has been through it."""
    if isinstance(
        op, Guarded | ValidateConstraint | DropInvalidIndex | PrepareUniqueIndex | LockTimeout
    ):
        return True
    return bool(getattr(op, "not_valid", False) or getattr(op, "using_index", False))


# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------


def _pg(op: o.Operation, state: Schema, d: Dialect, retry: LockRetry) -> list[o.Operation]:
    handler = o.handler_for(_PG, op)
    return [op] if handler is None else handler(op, state, d, retry)


def guarded(
    ops: Sequence[o.Operation],
    state: Schema,
    d: Dialect,
    retry: LockRetry,
    reverse_ops: Sequence[o.Operation] | None = None,
) -> Guarded:
    """`ops` as one DO block with lock_timeout, retries and re-run guards (its own transaction).

    `reverse_ops` replaces the SQL of the down where the plain reverses would do needless work
    (the helper check of SET NOT NULL is not re-added just to be dropped again).
    """
    sql = retry_block(guarded_body(d, ops, state), retry)
    after = o.apply_all(ops, state)
    back = _reverse(ops, state)
    reverse_sql = None
    if back is not None:
        down = back.operations if reverse_ops is None else tuple(reverse_ops)
        reverse_sql = retry_block(guarded_body(d, down, after), retry) if down else ""
    return Guarded(sql, reverse_sql, tuple(ops), retry.describe())


def _pg_lock_retry(
    op: o.Operation, state: Schema, d: Dialect, retry: LockRetry
) -> list[o.Operation]:
    """ACCESS EXCLUSIVE on an existing table (ADD/DROP/ALTER/RENAME COLUMN, DROP/RENAME TABLE,
    DROP CONSTRAINT): it cannot be avoided, so it is asked for with lock_timeout and retried,
    never queued behind a long transaction with every later query queued behind it. Native
    mode keeps the framework's own call, under the plan's `SET lock_timeout`."""
    if retry.native:
        return [op]
    return [guarded([op], state, d, retry)]


def _pg_create_index(
    op: o.CreateIndex, state: Schema, d: Dialect, retry: LockRetry
) -> list[o.Operation]:
    """CREATE INDEX holds a SHARE lock (no writes) for the whole build; CONCURRENTLY takes
    SHARE UPDATE EXCLUSIVE, which lets writes through. A runner that cannot leave its
    transaction (Drizzle) keeps the plain build, and the lint says what it blocks."""
    if not retry.concurrent:
        return [op]
    return [
        DropInvalidIndex(op.table, op.index.name, retry),
        replace(op, concurrently=True),
    ]


def _pg_drop_index(
    op: o.DropIndex, state: Schema, d: Dialect, retry: LockRetry
) -> list[o.Operation]:
    """DROP INDEX takes ACCESS EXCLUSIVE on the table; CONCURRENTLY waits for the queries
    using the index instead of blocking everything."""
    if not retry.concurrent:
        return _pg_lock_retry(op, state, d, retry)
    return [replace(op, concurrently=True)]


def _pg_add_foreign_key(
    op: o.AddForeignKey, state: Schema, d: Dialect, retry: LockRetry
) -> list[o.Operation]:
    """ADD FOREIGN KEY scans the table under SHARE ROW EXCLUSIVE on both tables (no writes);
    NOT VALID takes the lock for an instant, VALIDATE scans under SHARE UPDATE EXCLUSIVE."""
    fk = op.foreign_key
    name = fk.name or _name(op.table, fk.columns, "fkey")
    if len(name) > _MAX_NAME:
        return _pg_lock_retry(op, state, d, retry)
    safe = o.AddForeignKey(op.table, replace(fk, name=name), not_valid=True)
    return [guarded([safe], state, d, retry), ValidateConstraint(op.table, name)]


def _pg_add_check(op: o.AddCheck, state: Schema, d: Dialect, retry: LockRetry) -> list[o.Operation]:
    """ADD CHECK scans the table under ACCESS EXCLUSIVE; NOT VALID skips the scan, VALIDATE
    does it under SHARE UPDATE EXCLUSIVE."""
    name = op.check.name or _name(op.table, _first_column(op.check.expression), "check")
    if len(name) > _MAX_NAME:
        return _pg_lock_retry(op, state, d, retry)
    safe = o.AddCheck(op.table, replace(op.check, name=name), not_valid=True)
    return [guarded([safe], state, d, retry), ValidateConstraint(op.table, name)]


def _pg_add_unique(
    op: o.AddUnique, state: Schema, d: Dialect, retry: LockRetry
) -> list[o.Operation]:
    """ADD UNIQUE builds its index under a SHARE lock (no writes); the index is built
    CONCURRENTLY first and the constraint adopts it (`USING INDEX`) in an instant."""
    name = op.unique.name or _name(op.table, op.unique.columns, "key")
    if len(name) > _MAX_NAME or not retry.concurrent:
        return _pg_lock_retry(op, state, d, retry)
    unique = replace(op.unique, name=name)
    adopt = o.AddUnique(op.table, unique, using_index=True)
    return [
        DropInvalidIndex(op.table, name, retry),
        PrepareUniqueIndex(op.table, unique),
        guarded([adopt], state, d, retry),
    ]


def _pg_alter_column(
    op: o.AlterColumn, state: Schema, d: Dialect, retry: LockRetry
) -> list[o.Operation]:
    """SET NOT NULL scans the table under ACCESS EXCLUSIVE, unless (PostgreSQL 12+) a
    validated CHECK (col IS NOT NULL) already proves it: the check is added NOT VALID,
    validated under SHARE UPDATE EXCLUSIVE, then SET NOT NULL is instant and the check goes."""
    old = state.table(op.table).column(op.column)
    if op.nullable is not False or not old.nullable or _older(d, (12,)):
        return _pg_lock_retry(op, state, d, retry)
    out: list[o.Operation] = []
    rest = replace(op, nullable=None)
    if rest.type is not None or rest.default is not o.KEEP:
        out.append(guarded([rest], state, d, retry))
        state = rest.apply(state)
    return out + not_null_steps(op.table, op.column, state, d, retry)


def not_null_steps(
    table: str, column: str, state: Schema, d: Dialect, retry: LockRetry
) -> list[o.Operation]:
    """SET NOT NULL through a validated helper check (see `_pg_alter_column`)."""
    name = _name(table, (column,), "not_null")[:_MAX_NAME]
    check = CheckConstraint(name, f"{d.quote(column)} IS NOT NULL")
    add = o.AddCheck(table, check, not_valid=True)
    first = guarded([add], state, d, retry)
    state = add.apply(state)
    finish = [o.AlterColumn(table, column, nullable=False), o.DropConstraint(table, name)]
    # the down only allows NULL again: the helper check is not re-added to be dropped at once
    down = [o.AlterColumn(table, column, nullable=True)]
    return [first, ValidateConstraint(table, name), guarded(finish, state, d, retry, down)]


def _pg_add_column(
    op: o.AddColumn, state: Schema, d: Dialect, retry: LockRetry
) -> list[o.Operation]:
    """ADD COLUMN with a volatile default (or any default before PostgreSQL 11) rewrites the
    table under ACCESS EXCLUSIVE; instead the column is added without it, the default is set
    for new rows, the existing rows are backfilled, and NOT NULL comes through a check."""
    col = op.column
    if col.default is None or col.identity or not _rewrites(col.default, d):
        return _pg_lock_retry(op, state, d, retry)
    bare = replace(col, default=None, nullable=True)
    add = o.AddColumn(op.table, bare)
    set_default = o.AlterColumn(op.table, col.name, default=col.default)
    first = guarded([add, set_default], state, d, retry)
    state = first.apply(state)
    where = f"{d.quote(col.name)} IS NULL"
    fill = o.Backfill(op.table, col.name, col.default, where=where)
    out: list[o.Operation] = [first, fill]
    if not col.nullable:
        out += not_null_steps(op.table, col.name, fill.apply(state), d, retry)
    return out


_PG: dict[type[o.Operation], Callable[..., list[o.Operation]]] = {
    o.CreateIndex: _pg_create_index,
    o.DropIndex: _pg_drop_index,
    o.AddForeignKey: _pg_add_foreign_key,
    o.AddCheck: _pg_add_check,
    o.AddUnique: _pg_add_unique,
    o.AlterColumn: _pg_alter_column,
    o.AddColumn: _pg_add_column,
    o.DropColumn: _pg_lock_retry,
    o.RenameColumn: _pg_lock_retry,
    o.RenameTable: _pg_lock_retry,
    o.DropTable: _pg_lock_retry,
    o.DropConstraint: _pg_lock_retry,
}


def _reverse(ops: Sequence[o.Operation], state: Schema) -> o.ReversePlan | None:
    """The reverse of `ops`, or None when there is none (the Guarded then has no down SQL and
    reverses exactly as the plain operations would: with their own Irreversible reason)."""
    try:
        back = o.reverse_all(ops, state)
    except IrreversibleError:
        return None
    return back if back.ok else None


def _older(d: Dialect, version: tuple[int, ...]) -> bool:
    return d.version is not None and d.version < version


def _rewrites(default: str, d: Dialect) -> bool:
    """Whether ADD COLUMN ... DEFAULT `default` rewrites the table on this server."""
    return _older(d, (11,)) or _volatile(default)


def _volatile(expression: str) -> bool:
    try:
        tree = sqlglot.parse_one(expression, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return True  # unknown: assume the worst, the backfill is right either way
    if tree is None:
        return False
    for node in tree.find_all(exp.Func):
        if isinstance(node, exp.Rand | exp.Uuid):  # random(), gen_random_uuid()
            return True
        if isinstance(node, exp.Anonymous) and node.name.lower() in VOLATILE:
            return True
    return False


def _name(table: str, columns: Sequence[str], suffix: str) -> str:
    """PostgreSQL's own name for an unnamed constraint (`orders_user_id_fkey`)."""
    return "_".join([table, *columns, suffix])


def _first_column(expression: str) -> tuple[str, ...]:
    try:
        tree = sqlglot.parse_one(expression, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return ()
    column = next((c.name for c in tree.find_all(exp.Column) if c.name), None) if tree else None
    return (column,) if column else ()


# ---------------------------------------------------------------------------------------------
# MySQL / MariaDB
# ---------------------------------------------------------------------------------------------


def _mysql(op: o.Operation, state: Schema, d: Dialect, retry: LockRetry) -> list[o.Operation]:
    """Each ALTER with the algorithm the server can do without blocking writes, stated, so a
    server that cannot refuses (error 1845/1846) instead of copying the table in silence."""
    from .dialects.mysql_online import MEANING, algorithm_for, with_clause

    if retry.native:  # the framework's own call; the validator reports the algorithm used
        return [op]
    clause = algorithm_for(op, state, d)
    if clause is None:
        return [op]
    after = op.apply(state)
    up = [with_clause(s.sql, clause) for s in d.render(op, state, after)]
    back = _reverse([op], state)
    down: str | None = None
    if back is not None:
        statements: list[str] = []
        current = after
        for rev in back.operations:
            nxt = rev.apply(current)
            rev_clause = algorithm_for(rev, current, d)
            statements += [
                with_clause(s.sql, rev_clause) if rev_clause else s.sql
                for s in d.render(rev, current, nxt)
            ]
            current = nxt
        down = ";\n".join(statements)
    return [Guarded(";\n".join(up), down, (op,), MEANING[clause], in_transaction=True)]


_REWRITERS: dict[str, Callable[[o.Operation, Schema, Dialect, LockRetry], list[o.Operation]]] = {
    "postgresql": _pg,
    "mysql": _mysql,
}
