"""Edits of a plan's operations that follow-ups are made of: renames and column definitions.

A plan names a new column or table in several places: the AddColumn itself, a backfill's
target and expressions, an index's columns and predicate, constraint names that migwright
generated from the column (`ix_posts_reading_time`). A rename ("call it reading_minutes")
follows it through all of them, so the plan stays what the request grammar would have produced
for the new name. Names the person gave (`name ix_custom`) stay as they are; expressions are
rewritten through sqlglot only when they mention the old name, so other text keeps its
spelling. The column helpers find and change a column where the plan creates it (AddColumn,
CreateTable) and the ALTERs the plan makes on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import sqlglot
from sqlglot import exp

from ..tools import ops as o
from ..tools.dialects import get as get_dialect
from ..tools.schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Table,
    UniqueConstraint,
    is_identifier,
)

#: Prefixes of the names migwright generates (`constraint_name`): renames keep them in step.
GENERATED_PREFIXES = ("ix", "uq", "fk", "ck")


def rename_column(
    ops: Sequence[o.Operation], table: str, old: str, new: str, dialect: str
) -> list[o.Operation]:
    """`ops` with column `table.old` called `new` wherever they mention it."""
    renamer = _Rename(table, old, new, get_dialect(dialect).sqlglot_name)
    return [renamer.op(op) for op in ops]


def rename_table(ops: Sequence[o.Operation], old: str, new: str) -> list[o.Operation]:
    """`ops` with table `old` called `new`: its own name, references and generated names."""
    return [_rename_table(op, old, new) for op in ops]


@dataclass(frozen=True)
class _Rename:
    """Renaming column `old` of `table` everywhere a plan mentions it."""

    table: str
    old: str
    new: str
    sg: str

    def cols(self, columns: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(
            self.new if c == self.old else c if is_identifier(c) else self.sql(c) or c
            for c in columns
        )

    def sql(self, text: str | None) -> str | None:
        if text is None or self.old not in o.expression_columns(text):
            return text
        tree = sqlglot.parse_one(text, read=self.sg)
        for col in tree.find_all(exp.Column):
            if col.name == self.old and col.table in ("", self.table):
                col.set("this", exp.to_identifier(self.new))
        return tree.sql(dialect=self.sg)

    def name(self, name: str | None) -> str | None:
        """A generated name (`ix_posts_old`) follows the column; a given name stays."""
        for prefix in GENERATED_PREFIXES:
            head = f"{prefix}_{self.table.lower()}_"
            if name and name.startswith(head):
                tail = re.sub(
                    rf"(?<![^_]){re.escape(self.old.lower())}(?![^_])",
                    self.new.lower(),
                    name[len(head) :],
                )
                return head + tail
        return name

    def index(self, i: Index) -> Index:
        return replace(i, name=self.name(i.name) or i.name, columns=self.cols(i.columns),
                       where=self.sql(i.where))  # fmt: skip

    def unique(self, u: UniqueConstraint) -> UniqueConstraint:
        return replace(u, name=self.name(u.name), columns=self.cols(u.columns))

    def check(self, c: CheckConstraint) -> CheckConstraint:
        return replace(c, name=self.name(c.name), expression=self.sql(c.expression) or "")

    def fk(self, f: ForeignKey, own: bool) -> ForeignKey:
        if own:
            f = replace(f, name=self.name(f.name), columns=self.cols(f.columns))
        if f.ref_table == self.table:
            f = replace(f, ref_columns=self.cols(f.ref_columns))
        return f

    def in_table(self, t: Table) -> Table:
        own = t.name == self.table
        fks = tuple(self.fk(f, own) for f in t.foreign_keys)
        if not own:
            return replace(t, foreign_keys=fks)
        return replace(
            t,
            columns=tuple(replace(c, name=_col(self, c.name)) for c in t.columns),
            primary_key=self.cols(t.primary_key),
            uniques=tuple(self.unique(u) for u in t.uniques),
            indexes=tuple(self.index(i) for i in t.indexes),
            foreign_keys=fks,
            checks=tuple(self.check(c) for c in t.checks),
        )

    def op(self, op: o.Operation) -> o.Operation:
        if isinstance(op, o.CreateTable):
            return replace(op, table=self.in_table(op.table))
        if isinstance(op, o.AddForeignKey):
            return replace(op, foreign_key=self.fk(op.foreign_key, op.table == self.table))
        if getattr(op, "table", None) != self.table:
            return op
        edit = _COLUMN_RENAMES.get(type(op))
        return edit(self, op) if edit else op


def _col(r: _Rename, name: str) -> str:
    return r.new if name == r.old else name


_COLUMN_RENAMES: dict[type, Callable[[_Rename, Any], o.Operation]] = {
    o.AddColumn: lambda r, op: replace(op, column=replace(op.column, name=_col(r, op.column.name))),
    o.AlterColumn: lambda r, op: replace(op, column=_col(r, op.column), using=r.sql(op.using)),
    o.Backfill: lambda r, op: replace(
        op,
        column=_col(r, op.column),
        expression=r.sql(op.expression) or op.expression,
        where=r.sql(op.where),
        reverse_expression=r.sql(op.reverse_expression),
    ),
    o.CreateIndex: lambda r, op: replace(op, index=r.index(op.index)),
    o.AddUnique: lambda r, op: replace(op, unique=r.unique(op.unique)),
    o.AddCheck: lambda r, op: replace(op, check=r.check(op.check)),
}


def _retable(name: str | None, old: str, new: str) -> str | None:
    for prefix in GENERATED_PREFIXES:
        head = f"{prefix}_{old.lower()}_"
        if name and name.startswith(head):
            return f"{prefix}_{new.lower()}_{name[len(head) :]}"
    return name


def _rename_table(op: o.Operation, old: str, new: str) -> o.Operation:
    """One operation with the table renamed; generated names (`uq_old_x`) follow it."""

    def fk(f: ForeignKey) -> ForeignKey:
        return replace(f, ref_table=new if f.ref_table == old else f.ref_table)

    if isinstance(op, o.CreateTable):
        t = op.table
        if t.name == old:
            t = replace(
                t,
                name=new,
                uniques=tuple(replace(u, name=_retable(u.name, old, new)) for u in t.uniques),
                indexes=tuple(
                    replace(i, name=_retable(i.name, old, new) or i.name) for i in t.indexes
                ),
                foreign_keys=tuple(
                    replace(f, name=_retable(f.name, old, new)) for f in t.foreign_keys
                ),
                checks=tuple(replace(c, name=_retable(c.name, old, new)) for c in t.checks),
            )
        return replace(op, table=replace(t, foreign_keys=tuple(fk(f) for f in t.foreign_keys)))
    if isinstance(op, o.AddForeignKey):
        op = replace(op, foreign_key=fk(op.foreign_key))
    if getattr(op, "table", None) != old:
        return op
    changes: dict[str, Any] = {"table": new}
    for f in fields(op):
        value = getattr(op, f.name)
        if isinstance(value, Index | UniqueConstraint | CheckConstraint | ForeignKey):
            changes[f.name] = replace(value, name=_retable(value.name, old, new) or value.name)  # type: ignore[arg-type]
    return replace(op, **changes)


# ---------------------------------------------------------------------------------------------
# Column definitions and the ALTERs on them
# ---------------------------------------------------------------------------------------------


def column_in(op: o.Operation, table: str, column: str) -> Column | None:
    """The definition of `table.column` when `op` creates it (AddColumn, CreateTable)."""
    if isinstance(op, o.AddColumn) and op.table == table and op.column.name == column:
        return op.column
    if isinstance(op, o.CreateTable) and op.table.name == table and op.table.has_column(column):
        return op.table.column(column)
    return None


def created_column(ops: Sequence[o.Operation], table: str, column: str) -> Column | None:
    return next((c for op in ops if (c := column_in(op, table, column)) is not None), None)


def alter_of(op: o.Operation, table: str, column: str) -> o.AlterColumn | None:
    if isinstance(op, o.AlterColumn) and (op.table, op.column) == (table, column):
        return op
    return None


def alters_nothing(op: o.AlterColumn) -> bool:
    return op.type is None and op.nullable is None and op.default is o.KEEP


def edit_column(
    ops: Sequence[o.Operation], table: str, column: str, change: Callable[[Column], Column]
) -> list[o.Operation]:
    """`ops` with the definition of a column they create changed."""
    edited: list[o.Operation] = []
    for op in ops:
        col = column_in(op, table, column)
        if isinstance(op, o.AddColumn) and col is not None:
            op = replace(op, column=change(col))
        elif isinstance(op, o.CreateTable) and col is not None:
            op = replace(op, table=op.table.replace_column(column, change(col)))
        edited.append(op)
    return edited


def without_not_null(ops: Sequence[o.Operation], table: str, column: str) -> list[o.Operation]:
    """`ops` without their set/drop NOT NULL on the column (an ALTER left empty goes)."""
    kept: list[o.Operation] = []
    for op in ops:
        alter = alter_of(op, table, column)
        if alter is not None and alter.nullable is not None:
            alter = replace(alter, nullable=None)
            if alters_nothing(alter):
                continue
            op = alter
        kept.append(op)
    return kept


def fills_of(ops: Sequence[o.Operation], table: str, column: str) -> list[int]:
    return [
        i
        for i, op in enumerate(ops)
        if isinstance(op, o.Backfill) and (op.table, op.column) == (table, column)
    ]
