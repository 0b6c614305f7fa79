"""The schema a request implies when there is no repository or database to read one from.

`migwright sql --add-column "orders.shipped_at timestamptz"` should print the ALTER without
asking where `orders` lives. To render it, the operations need a `before` schema; this builds the
smallest one that makes the request valid: every table and column the request refers to, with
the types the request itself gives. Where a dialect needs facts the request cannot supply (MySQL's
MODIFY restates the whole column, SQLite rebuilds the whole table), the renderer would have to
invent them, so those requests are refused with the fix: name the database or the repository.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from . import ops as o
from .errors import SpecError
from .schema import Column, Schema, Table

#: Placeholder type of columns the request mentions but does not describe.
UNKNOWN_TYPE = "unknown"


def assumed_schema(operations: Sequence[o.Operation], dialect: str) -> Schema:
    """A minimal schema in which `operations` apply, or SpecError naming what is missing.

    The operations are applied as it goes, so a column that an earlier operation adds (and a
    later one indexes) is not assumed to exist beforehand.
    """
    assumed = Schema()
    running = Schema()
    created: set[str] = set()
    for op in operations:
        for table, columns in _references(op):
            if table in created:
                continue
            missing = _missing(running, table, columns)
            if missing is not None:
                assumed = _ensure(assumed, table, missing)
                running = _ensure(running, table, missing)
        _refuse_without_context(op, dialect, created)
        if isinstance(op, o.CreateTable):
            created.add(op.table.name)
        running = op.apply(running)
    return assumed


def _missing(schema: Schema, table: str, columns: tuple[str, ...]) -> tuple[str, ...] | None:
    """Columns of `table` not in `schema` (None when nothing is missing)."""
    if not schema.has_table(table):
        return columns
    absent = tuple(c for c in columns if not schema.table(table).has_column(c))
    return absent or None


def _references(op: o.Operation) -> list[tuple[str, tuple[str, ...]]]:
    refs: list[tuple[str, tuple[str, ...]]] = []
    match op:
        case o.CreateTable(table=t):
            refs += [
                (fk.ref_table, fk.ref_columns) for fk in t.foreign_keys if fk.ref_table != t.name
            ]
        case o.AddColumn(table=t):
            refs.append((t, ()))
        case o.DropColumn(table=t, column=c) | o.AlterColumn(table=t, column=c):
            refs.append((t, (c,)))
        case o.RenameColumn(table=t, old=c):
            refs.append((t, (c,)))
        case o.DropTable(name=t) | o.RenameTable(old=t):
            refs.append((t, ()))
        case o.CreateIndex(table=t, index=i):
            refs.append((t, tuple(c for c in i.columns if c.isidentifier())))
        case o.AddForeignKey(table=t, foreign_key=fk):
            refs += [(t, fk.columns), (fk.ref_table, fk.ref_columns)]
        case o.AddUnique(table=t, unique=u):
            refs.append((t, u.columns))
        case o.AddCheck(table=t, check=c):
            refs.append((t, tuple(o.expression_columns(c.expression))))
        case o.Backfill(table=t, column=c, expression=e):
            refs.append((t, (c, *sorted(o.expression_columns(e)))))
        case o.DropIndex(table=t) | o.DropConstraint(table=t):
            refs.append((t, ()))
    return refs


def _ensure(schema: Schema, table: str, columns: tuple[str, ...]) -> Schema:
    if schema.has_table(table):
        current = schema.table(table)
    else:
        current = Table(table, (Column("id", "bigint", False, identity=True),), ("id",))
    missing = [c for c in columns if not current.has_column(c)]
    if missing:
        current = replace(
            current, columns=(*current.columns, *(Column(c, UNKNOWN_TYPE) for c in missing))
        )
    return schema.with_table(current)


def _refuse_without_context(op: o.Operation, dialect: str, created: set[str]) -> None:
    touched = [t for t in op.tables if t not in created]
    if not touched:
        return
    hint = "give the current schema with --db URL (read-only), or run `migwright new` in the repo"
    if isinstance(op, o.DropIndex | o.DropConstraint | o.DropForeignKey):
        raise SpecError(f"{op.describe().strip()}: the index or constraint is not known", hint)
    if dialect == "sqlite" and _needs_sqlite_rebuild(op):
        raise SpecError(
            f"{op.describe().strip()}: SQLite rebuilds the table for this, which needs all of it",
            hint,
        )
    if dialect == "mysql" and isinstance(op, o.AlterColumn):
        raise SpecError(
            f"{op.describe().strip()}: MySQL's MODIFY restates the whole column (type, NULL, "
            "default), and the current definition is not known",
            hint,
        )
    if isinstance(op, o.DropColumn | o.DropTable):
        raise SpecError(f"{op.describe().strip()}: its reverse needs the dropped definition", hint)


def _needs_sqlite_rebuild(op: o.Operation) -> bool:
    return isinstance(
        op, o.AlterColumn | o.AddForeignKey | o.AddUnique | o.AddCheck | o.DropConstraint
    )
