"""PostgreSQL SQL for a live database: lock_timeout with retries, and re-runnable steps.

Two problems shape every statement here.

1. A DDL statement that needs ACCESS EXCLUSIVE on a busy table queues behind the running
   transactions, and every query that arrives after it queues behind *it*: a one-millisecond
   ALTER can stall all traffic for as long as the longest transaction. So each one runs with a
   short `lock_timeout` and, when the lock is not granted in time, gives it back, sleeps
   (backoff doubling each time) and tries again, a bounded number of times. That is a `DO`
   block: the statement sits in a sub-block whose EXCEPTION clause catches
   `lock_not_available` (SQLSTATE 55P03), which rolls the sub-block back and so releases any
   lock it got. The block is its own transaction (it runs outside BEGIN/COMMIT), so no lock
   from an earlier statement is held while it sleeps.
2. A migration killed half-way must finish when run again. PostgreSQL has IF [NOT] EXISTS for
   columns, tables and indexes but not for constraints, so each statement is guarded by an
   `IF` on the catalog (pg_attribute, pg_constraint, to_regclass) saying whether its work is
   already done. `CREATE INDEX CONCURRENTLY IF NOT EXISTS` would happily keep an INVALID index
   an interrupted build left behind, so `drop_invalid_index_sql` drops such an index first.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import ops as o
from ..ops_safe import LockRetry
from ..schema import Schema, canonical_type
from .base import Dialect

TAG = "$migwright$"


def retry_block(body: Sequence[str], retry: LockRetry) -> str:
    """A DO block running `body` (plpgsql statements) with lock_timeout, retried on timeout."""
    lines = "\n".join(f"      {line}" for line in body)
    backoff = retry.backoff_ms / 1000
    return (
        f"DO {TAG}\n"
        "DECLARE\n"
        "  mw_attempt integer := 1;\n"
        "  mw_previous text := current_setting('lock_timeout');\n"
        "BEGIN\n"
        "  LOOP\n"
        "    BEGIN\n"
        f"      PERFORM set_config('lock_timeout', '{retry.timeout_ms}ms', true);\n"
        f"{lines}\n"
        "      EXIT;\n"
        "    EXCEPTION WHEN lock_not_available THEN\n"
        f"      IF mw_attempt >= {retry.attempts} THEN\n"
        "        RAISE;\n"
        "      END IF;\n"
        f"      PERFORM pg_sleep({backoff} * power(2, mw_attempt - 1));\n"
        "      mw_attempt := mw_attempt + 1;\n"
        "    END;\n"
        "  END LOOP;\n"
        "  PERFORM set_config('lock_timeout', mw_previous, true);\n"
        f"END\n{TAG}"
    )


def _regclass(d: Dialect, name: str) -> str:
    return f"to_regclass({d.literal(d.quote(name))})"


def column_exists(d: Dialect, table: str, column: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = "
        f"{_regclass(d, table)} AND attname = {d.literal(column)} "
        "AND attnum > 0 AND NOT attisdropped)"
    )


def constraint_exists(d: Dialect, table: str, name: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = "
        f"{_regclass(d, table)} AND conname = {d.literal(name)})"
    )


def guard(d: Dialect, op: o.Operation) -> str | None:
    """The condition under which `op` still has work to do; None when re-running it is
    harmless as it is (SET/DROP NOT NULL, SET DEFAULT, a type change without USING)."""
    if isinstance(op, o.AddColumn):
        return "NOT " + column_exists(d, op.table, op.column.name)
    if isinstance(op, o.DropColumn):
        return column_exists(d, op.table, op.column)
    if isinstance(op, o.RenameColumn):
        return column_exists(d, op.table, op.old)
    if isinstance(op, o.RenameTable):
        return f"{_regclass(d, op.old)} IS NOT NULL"
    if isinstance(op, o.DropTable):
        return f"{_regclass(d, op.name)} IS NOT NULL"
    if isinstance(op, o.CreateTable):
        return f"{_regclass(d, op.table.name)} IS NULL"
    if isinstance(op, o.AddForeignKey) and op.foreign_key.name:
        return "NOT " + constraint_exists(d, op.table, op.foreign_key.name)
    if isinstance(op, o.AddCheck) and op.check.name:
        return "NOT " + constraint_exists(d, op.table, op.check.name)
    if isinstance(op, o.AddUnique) and op.unique.name:
        return "NOT " + constraint_exists(d, op.table, op.unique.name)
    if isinstance(op, o.DropConstraint):
        return constraint_exists(d, op.table, op.name)
    if isinstance(op, o.DropIndex):
        return f"{_regclass(d, op.name)} IS NOT NULL"
    if isinstance(op, o.CreateIndex):
        return f"{_regclass(d, op.index.name)} IS NULL"
    if isinstance(op, o.AlterColumn) and op.type is not None and op.using:
        return _type_differs(d, op)
    return None


#: Canonical type names as PostgreSQL's format_type() spells them.
_FORMAT_TYPE = {
    "varchar": "character varying",
    "char": "character",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
    "double": "double precision",
    "blob": "bytea",
}


def _type_differs(d: Dialect, op: o.AlterColumn) -> str:
    """A type change with USING converts the values again when re-run (`USING cents * 100`
    would multiply twice), so it runs only while the column still has another type."""
    kind = canonical_type(op.type or "")
    base, _, args = kind.partition("(")
    spelled = _FORMAT_TYPE.get(base, base) + (f"({args}" if args else "")
    return (
        "(SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
        f"{_regclass(d, op.table)} AND attname = {d.literal(op.column)}) "
        f"IS DISTINCT FROM {d.literal(spelled)}"
    )


def guarded_body(d: Dialect, ops: Sequence[o.Operation], before: Schema) -> list[str]:
    """plpgsql statements for `ops` applied in order to `before`, each behind its guard."""
    body: list[str] = []
    state = before
    for i, op in enumerate(ops):
        after = op.apply(state)
        statements = [s.sql for s in d.render(op, state, after)]
        condition = guard(d, op)
        renamed_over = None
        if isinstance(op, o.DropColumn):
            dropped = (op.table, op.column)
            renamed_over = next(
                (
                    r
                    for r in ops[i + 1 :]
                    if isinstance(r, o.RenameColumn) and (r.table, r.new) == dropped
                ),
                None,
            )
        if condition is not None and renamed_over is not None:
            # the column dropped here comes back under its name by a rename later in the
            # block: it is only the old one while the column renamed over it still exists
            condition += " AND " + column_exists(d, renamed_over.table, renamed_over.old)
        if condition is None:
            body += [f"{sql};" for sql in statements]
        elif statements:
            body.append(f"IF {condition} THEN")
            body += [f"  {sql};" for sql in statements]
            body.append("END IF;")
        state = after
    return body


def drop_invalid_index_sql(d: Dialect, name: str, retry: LockRetry) -> str:
    """Drop `name` only when it is an INVALID index (what an interrupted CONCURRENTLY leaves).

    DROP INDEX CONCURRENTLY cannot run in a DO block, so the plain DROP INDEX does it, under
    the lock retry: it runs only after a crash, and an invalid index is dropped in an instant.
    """
    condition = (
        "EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = "
        f"{_regclass(d, name)} AND NOT indisvalid)"
    )
    body = [f"IF {condition} THEN", f"  DROP INDEX {d.quote(name)};", "END IF;"]
    return retry_block(body, retry)
