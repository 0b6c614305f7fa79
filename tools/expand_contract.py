"""Expand/contract plans: a rename or a type change as two migrations with a deploy between.

A one-step `RENAME COLUMN` or `ALTER ... TYPE` breaks the code that is running while it lands:
during a rolling deploy the old version of the application still reads and writes the old name
or type. So migwright splits such a change (Django's and strong_migrations' advice, done for you):

1. **expand** (`--phase expand`, the default): add the new column (or give the table its new
   name with a view under the old one), keep old and new in step with triggers
   (`expand_sync.py`), backfill the rows that exist. Its down drops what it added.
2. the application deploy that switches reads and writes to the new name (or type);
3. **contract** (`--phase contract`, generated later with the same request): drop the triggers
   and the old column (or the view). Its down brings the old column back, filled from the new.

The contract is a separate command, not a second file written now, because `alembic upgrade
head` (and every other runner) would apply both in the same deploy. `--phase one-step` keeps the
single statement, for a maintenance window.

Which changes split: every column and table rename; a type change only where the dialect would
rewrite the table (PostgreSQL binary-coercible changes such as varchar(50) -> text, and MySQL's
in-place VARCHAR lengthening, stay one statement: they need no second deploy).

What the contract leaves equals the one-step change's schema, with two known differences: the
column moves to the end of the table, and an index on the column is a copy with the new column's
name in its name (e.g. ix_orders_amount where RENAME COLUMN keeps ix_orders_total).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

from . import ops as o
from .dialects import get as get_dialect
from .errors import SchemaError
from .expand_sync import ColumnSync, TableAlias
from .schema import Column, Index, Schema, Table, is_identifier

PHASES = ("expand", "contract", "one-step")


@dataclass(frozen=True)
class Split:
    """One change split in two: the sync it needs and how to describe it to people."""

    op: o.Operation
    sync: ColumnSync | TableAlias
    final: str  #: the name the column (or table) has after the contract
    what: str  #: e.g. "rename of orders.total to amount"
    old_ref: str  #: what running code uses, e.g. "orders.total"
    new_ref: str  #: what the next deploy uses, e.g. "orders.amount"


@dataclass(frozen=True)
class PhasedPlan:
    """The operations of one phase and the ordered deploy steps around it."""

    phase: str
    operations: tuple[o.Operation, ...]
    splits: tuple[Split, ...]
    steps: tuple[str, ...]  #: the deployment order, this migration's place in it included
    skipped: tuple[o.Operation, ...] = ()  #: request operations the contract leaves out

    @property
    def next_step(self) -> str | None:
        """What comes after this migration is deployed."""
        return self.steps[-1] if self.phase == "expand" else None

    def to_dict(self) -> dict[str, object]:
        return {
            "phase": self.phase,
            "changes": [s.what for s in self.splits],
            "steps": list(self.steps),
            "next": self.next_step,
            "skipped": [op.describe().strip() for op in self.skipped],
        }


# ---------------------------------------------------------------------------------------------
# Which operations split
# ---------------------------------------------------------------------------------------------


def splits(op: o.Operation, before: Schema, dialect: str) -> bool:
    """Whether `op` on `before` becomes an expand/contract pair."""
    if isinstance(op, o.RenameTable):
        return before.has_table(op.old)
    if isinstance(op, o.RenameColumn):
        return before.has_table(op.table)
    if isinstance(op, o.AlterColumn) and op.type is not None and before.has_table(op.table):
        table = before.table(op.table)
        return table.has_column(op.column) and _rewrites(
            table.column(op.column).type, op.type, dialect
        )
    return False


def _rewrites(old: str, new: str, dialect: str) -> bool:
    from .lint.rules_type_change import mysql_in_place, pg_binary_compatible

    name = get_dialect(dialect).name
    if name == "postgresql":
        return not pg_binary_compatible(old, new)
    if name == "mysql":
        return not mysql_in_place(old, new)
    return True  # SQLite rebuilds the table for any type change


def has_splits(ops: Sequence[o.Operation], before: Schema, dialect: str) -> bool:
    state = before
    for op in ops:
        if splits(op, state, dialect):
            return True
        state = op.apply(state)
    return False


# ---------------------------------------------------------------------------------------------
# Expand
# ---------------------------------------------------------------------------------------------


def expand(ops: Sequence[o.Operation], before: Schema, dialect: str) -> list[o.Operation] | None:
    """The expand migration for `ops`, or None when nothing in them needs splitting.

    Operations that do not split pass through in their place.
    """
    plan = plan_expand(ops, before, dialect)
    return list(plan.operations) if plan.splits else None


def plan_expand(ops: Sequence[o.Operation], before: Schema, dialect: str) -> PhasedPlan:
    out: list[o.Operation] = []
    found: list[Split] = []
    state = before
    for op in ops:
        if not splits(op, state, dialect):
            out.append(op)
            state = op.apply(state)
            continue
        split = _split(op, state, dialect)
        found.append(split)
        steps = _expand_ops(split, state, dialect)
        out += steps
        state = o.apply_all(steps, state)
    return PhasedPlan("expand", tuple(out), tuple(found), ())


def _split(op: o.Operation, before: Schema, dialect: str) -> Split:
    if isinstance(op, o.RenameTable):
        return _table_split(op)
    if isinstance(op, o.RenameColumn):
        table = before.table(op.table)
        column = table.column(op.old)
        _check_carriable(table, column, before, "rename")
        return _rename_split(op, table, column)
    assert isinstance(op, o.AlterColumn) and op.type is not None
    table = before.table(op.table)
    column = table.column(op.column)
    _check_carriable(table, column, before, "type change")
    return _retype_split(op, table, column, shadow_name(table, op.column))


def _table_split(op: o.RenameTable) -> Split:
    what = f"rename of table {op.old} to {op.new}"
    return Split(op, TableAlias(op.old, op.new), op.new, what, op.old, op.new)


def _rename_split(op: o.RenameColumn, table: Table, column: Column) -> Split:
    sync = ColumnSync(op.table, op.old, op.new, column.type, column.type, table.primary_key)
    what = f"rename of {op.table}.{op.old} to {op.new}"
    return Split(op, sync, op.new, what, f"{op.table}.{op.old}", f"{op.table}.{op.new}")


def _retype_split(op: o.AlterColumn, table: Table, column: Column, shadow: str) -> Split:
    assert op.type is not None
    sync = ColumnSync(
        op.table, op.column, shadow, column.type, op.type, table.primary_key, op.using
    )
    what = f"type change of {op.table}.{op.column} to {op.type}"
    old_ref, new_ref = (
        f"{op.table}.{op.column} ({column.type})",
        f"{op.table}.{op.column} ({op.type})",
    )
    return Split(op, sync, op.column, what, old_ref, new_ref)


def shadow_name(table: Table, column: str) -> str:
    """The column that holds the new type until the contract renames it over the old one."""
    name, n = f"{column}_new", 2
    while table.has_column(name) and n < 100:
        name, n = f"{column}_new{n}", n + 1
    return name


def _check_carriable(table: Table, column: Column, schema: Schema, what: str) -> None:
    """Refuse what a second column cannot stand in for: keys and constraints naming it."""
    blockers: list[str] = []
    if column.name in table.primary_key:
        blockers.append("the primary key")
    if column.identity:
        blockers.append("its identity/auto-increment")
    blockers += [
        f"unique {u.name or ''}".strip() for u in table.uniques if column.name in u.columns
    ]
    blockers += [
        f"foreign key {f.name or ''}".strip()
        for f in table.foreign_keys
        if column.name in f.columns
    ]
    blockers += [
        f"check {c.name or ''}".strip()
        for c in table.checks
        if column.name in o.expression_columns(c.expression)
    ]
    blockers += [
        f"foreign key {fk.name or ''} on {other.name}".replace("  ", " ")
        for other, fk in schema.referencing(table.name)
        if column.name in fk.ref_columns
    ]
    if blockers:
        raise SchemaError(
            f"expand/contract cannot carry {', '.join(blockers)} of {table.name}.{column.name} "
            f"across a {what}",
            "use --phase one-step in a maintenance window, or drop and re-add that constraint "
            "around the change",
        )


def _expand_ops(split: Split, before: Schema, dialect: str) -> list[o.Operation]:
    sync = split.sync
    if isinstance(sync, TableAlias):
        rename = o.RenameTable(sync.old, sync.new)
        after = rename.apply(before)
        return [rename, o.RawSQL(sync.create_sql(dialect, after), sync.drop_sql(dialect))]
    table = before.table(sync.table)
    column = table.column(sync.old)
    shadow = Column(sync.new, sync.new_type, nullable=True, comment=column.comment)
    add = o.AddColumn(sync.table, shadow)
    after = add.apply(before)
    steps: list[o.Operation] = [
        add,
        o.RawSQL(sync.create_sql(dialect, after), sync.drop_sql(dialect)),
        o.Backfill(sync.table, sync.new, sync.backfill_expression(), where=f"{sync.new} IS NULL"),
    ]
    taken = {n for t in before.tables for n in t.constraint_names()}
    for index in table.indexes:
        copy = _index_copy(index, sync.old, sync.new, taken)
        if copy is not None:
            taken.add(copy.name)
            steps.append(o.CreateIndex(sync.table, copy))
    return steps


def _index_copy(index: Index, old: str, new: str, taken: set[str]) -> Index | None:
    """The index on the new column that stands in for `index` on the old one (None: unused)."""
    columns = tuple(
        (new if c == old else c) if is_identifier(c) else o.rename_in_expression(c, old, new)
        for c in index.columns
    )
    where = o.rename_in_expression(index.where, old, new) if index.where else None
    if columns == index.columns and where == index.where:
        return None
    name = index.name.replace(old, new) if old in index.name else f"{index.name}_{new}"
    while name in taken:
        name += "_x"
    return replace(index, name=name[:63], columns=columns, where=where)


# ---------------------------------------------------------------------------------------------
# Contract
# ---------------------------------------------------------------------------------------------


def contract(ops: Sequence[o.Operation], before: Schema, dialect: str) -> list[o.Operation]:
    """The contract migration for `ops` (the request of the expand), on the schema after it."""
    return list(plan_contract(ops, before, dialect).operations)


def plan_contract(ops: Sequence[o.Operation], before: Schema, dialect: str) -> PhasedPlan:
    """`before` is the current schema, the expand migration included; `ops` are the request's
    operations as parsed without a schema (their names, not checked against `before`)."""
    out: list[o.Operation] = []
    found: list[Split] = []
    skipped: list[o.Operation] = []
    state = before
    for op in ops:
        split = _contract_split(op, state, dialect)
        if split is None:
            skipped.append(op)
            continue
        found.append(split)
        steps = _contract_ops(split, state, dialect)
        out += steps
        state = o.apply_all(steps, state)
    if not found:
        raise SchemaError(
            "nothing in the request has a contract phase",
            "--phase contract takes the same --rename-column, --rename-table or type change "
            "as the expand",
        )
    return PhasedPlan("contract", tuple(out), tuple(found), (), tuple(skipped))


def _contract_split(op: o.Operation, before: Schema, dialect: str) -> Split | None:
    """The split the expand made for `op`, checked against what `before` holds."""
    hint = "run the expand first: the same command with --phase expand, deployed"
    if isinstance(op, o.RenameTable):
        if not before.has_table(op.new):
            raise SchemaError(f"table {op.new} does not exist yet: the expand is missing", hint)
        if before.has_table(op.old):
            raise SchemaError(
                f"{op.old} is still a table, not the expand's view over {op.new}", hint
            )
        return _table_split(op)
    if isinstance(op, o.RenameColumn):
        table = before.table(op.table)
        _need_columns(table, (op.old, op.new), hint)
        return _rename_split(op, table, table.column(op.old))
    if isinstance(op, o.AlterColumn) and op.type is not None:
        table = before.table(op.table)
        shadow = f"{op.column}_new"
        pattern = re.compile(rf"{re.escape(shadow)}\d*")  # shadow_name's choices
        candidates = [c.name for c in table.columns if pattern.fullmatch(c.name)]
        _need_columns(table, (op.column, candidates[-1] if candidates else shadow), hint)
        return _retype_split(op, table, table.column(op.column), candidates[-1])
    return None


def _need_columns(table: Table, names: Iterable[str], hint: str) -> None:
    missing = [n for n in names if not table.has_column(n)]
    if missing:
        raise SchemaError(
            f"{table.name} has no column {', '.join(missing)}: the expand migration is not in "
            "the history",
            hint,
        )


@dataclass(frozen=True)
class RefillOnDown(o.NoOp):
    """Nothing on the up; on the down, the old column (added back empty) is filled from the new
    one. The contract's up must not touch the old column at all: a re-run after a crash that
    came once the old column was dropped would find nothing to update and fail."""

    table: str = ""
    column: str = ""
    expression: str = ""
    kind: ClassVar[str] = "refill_on_down"

    def reverse(self, before: Schema) -> o.Operation:
        return o.Backfill(self.table, self.column, self.expression)

    def describe(self) -> str:
        target = f"{self.table}.{self.column}"
        return f"  nothing on the up; the down refills {target} = {self.expression}"


def _contract_ops(split: Split, before: Schema, dialect: str) -> list[o.Operation]:
    sync = split.sync
    if isinstance(sync, TableAlias):
        return [o.RawSQL(sync.drop_sql(dialect), sync.create_sql(dialect, before))]
    table = before.table(sync.table)
    old = table.column(sync.old)
    steps: list[o.Operation] = [o.RawSQL(sync.drop_sql(dialect), sync.create_sql(dialect, before))]
    if not old.nullable or old.default is not None:
        # so that the down can add the old column back empty and fill it before NOT NULL
        steps.append(
            o.AlterColumn(
                sync.table,
                sync.old,
                nullable=True if not old.nullable else None,
                default=None if old.default is not None else o.KEEP,
            )
        )
    to_old = sync.new if not sync.retyped else f"CAST({sync.new} AS {sync.old_type})"
    # the triggers kept the old column right, so the up does nothing; the down refills it
    steps.append(RefillOnDown(table=sync.table, column=sync.old, expression=to_old))
    steps += [
        o.DropIndex(sync.table, i.name)
        for i in table.indexes
        if _index_copy(i, sync.old, sync.new, set()) is not None
    ]
    steps.append(o.DropColumn(sync.table, sync.old))
    if sync.new != split.final:
        steps.append(o.RenameColumn(sync.table, sync.new, split.final))
    final = _final_column(split, old)
    if not final.nullable or final.default is not None:
        steps.append(
            o.AlterColumn(
                sync.table,
                split.final,
                nullable=False if not final.nullable else None,
                default=final.default if final.default is not None else o.KEEP,
            )
        )
    return steps


def _final_column(split: Split, old: Column) -> Column:
    """The column the one-step change would have left."""
    if isinstance(split.op, o.AlterColumn):
        return split.op.changed(old)
    return replace(old, name=split.final)


# ---------------------------------------------------------------------------------------------
# Phases, deploy steps and the contract's preconditions
# ---------------------------------------------------------------------------------------------


def contract_command(args: Sequence[str], repo: str | None = None) -> str:
    """The exact command that writes the contract migration later."""
    where = ["-C", repo] if repo and repo != "." else []
    return shlex.join(["migwright", "new", *where, *args, "--phase", "contract"])


def plan_phase(
    ops: Sequence[o.Operation],
    before: Schema,
    dialect: str,
    phase: str,
    command: str,
) -> PhasedPlan | None:
    """The plan of `phase` with its deploy steps; None when the phase changes nothing
    (one-step, or an expand of a request with nothing to split).

    `command` is the contract command (`contract_command`) the expand's steps name.
    """
    if phase not in PHASES:
        raise SchemaError(f"unknown phase {phase!r}", f"use one of: {', '.join(PHASES)}")
    if phase == "one-step":
        return None
    if phase == "contract":
        plan = plan_contract(ops, before, dialect)
        return replace(plan, steps=_contract_steps(plan))
    plan = plan_expand(ops, before, dialect)
    if not plan.splits:
        return None
    return replace(plan, steps=_expand_steps(plan, command))


def _expand_steps(plan: PhasedPlan, command: str) -> tuple[str, ...]:
    adds = "; ".join(_expand_summary(s) for s in plan.splits)
    switch = "; ".join(_switch(s) for s in plan.splits)
    return (
        f"Deploy this migration (expand): {adds}. The code running now keeps working.",
        f"Deploy the application that {switch}.",
        f"When no running code uses the old name any more, write the contract migration: "
        f"`{command}`",
    )


def _expand_summary(split: Split) -> str:
    if isinstance(split.sync, TableAlias):
        return (
            f"renames table {split.sync.old} to {split.sync.new} and leaves a view {split.sync.old}"
        )
    s = split.sync
    return (
        f"adds {s.table}.{s.new}, kept equal to {s.table}.{s.old} by triggers, "
        "and fills it for the existing rows"
    )


def _switch(split: Split) -> str:
    if isinstance(split.sync, TableAlias):
        return f"uses table {split.sync.new} instead of {split.sync.old}"
    if isinstance(split.op, o.AlterColumn):
        return f"reads {split.new_ref} (until the contract it reads {split.sync.new})"
    return f"reads and writes {split.new_ref} instead of {split.old_ref}"


def _contract_steps(plan: PhasedPlan) -> tuple[str, ...]:
    olds = ", ".join(_contract_summary(s) for s in plan.splits)
    return (
        "The expand migration is deployed, and so is the application that no longer uses "
        f"{', '.join(s.old_ref for s in plan.splits)} (see the code references).",
        f"Deploy this migration (contract): {olds}.",
    )


def _contract_summary(split: Split) -> str:
    if isinstance(split.sync, TableAlias):
        return f"drops the view {split.sync.old}"
    s = split.sync
    renamed = f", renames {s.new} to {split.final}" if s.new != split.final else ""
    return f"drops the sync triggers and {s.table}.{s.old}{renamed}"


def sync_object_names(plan: PhasedPlan, dialect: str) -> tuple[str, ...]:
    return tuple(n for s in plan.splits for n in s.sync.object_names(dialect))


def missing_sync_objects(names: Iterable[str], history_texts: Iterable[str]) -> list[str]:
    """The sync triggers/views no migration of the history creates.

    The schema model does not hold triggers and views, so the contract's precondition is read
    from the migrations themselves: each name the expand generated must appear in one of them.
    """
    texts = [t.lower() for t in history_texts]
    return [n for n in names if not any(n.lower() in t for t in texts)]
