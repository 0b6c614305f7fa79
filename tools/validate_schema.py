"""Schema verdicts: does the database hold the schema it should, and if not, what differs?

The database is read back (`introspect`), folded by the dialect's `comparable` (what it cannot
tell apart: MySQL's BOOLEAN is tinyint(1)) and normalised, and so is the expectation. When they
differ, `diff_schemas` lists the operations from one to the other and each is put into words
for the phase it was found in: after a down, an index the database still has and the plan's
after schema has too is "the down forgets to drop index X, which the up adds"; a column the
database lacks that the up never touched is "the down drops column T.C, which the up did not
add". Words a reader can act on, instead of two schema dumps to compare by eye.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import ops as o
from .dialects import get as get_dialect
from .diff import diff_schemas
from .errors import MigwrightError
from .schema import Schema
from .validate_report import Verdict


def comparable(schema: Schema, dialect: str) -> Schema:
    """`schema` as the dialect stores it, normalised: the form two schemas are compared in."""
    return get_dialect(dialect).comparable(schema).normalized()


_REASONS = {
    "history": "the history does not build the schema the plan assumes",
    "up": "after the up the database differs from the plan",
    "down": "the down does not restore the schema from before the up",
    "re-up": "the up run again after the down does not give the plan's schema",
}


def schema_verdict(
    phase: str,
    actual: Schema,
    expected: Schema,
    dialect: str,
    reference: Schema | None = None,
) -> Verdict:
    """Does the database (`actual`) hold `expected`? `reference` is the plan's after schema,
    which lets a down's differences be named by what the up did."""
    got, want = comparable(actual, dialect), comparable(expected, dialect)
    if got == want:
        return Verdict("schema", True, "the database holds the expected schema")
    ref = comparable(reference, dialect) if reference is not None else None
    details = tuple(describe_differences(got, want, phase, ref)) or ("(no difference found)",)
    return Verdict(
        "schema", False, f"{_REASONS.get(phase, 'schema differs')}: {details[0]}", details
    )


@dataclass(frozen=True)
class _Item:
    """One schema element named in words, and whether the database has it extra or lacks it."""

    subject: str
    extra: bool
    table: str | None = None
    column: str | None = None
    name: str | None = None


def describe_differences(
    actual: Schema, expected: Schema, phase: str, reference: Schema | None = None
) -> list[str]:
    """Each difference between the two (normalised) schemas as a sentence."""
    try:
        operations = diff_schemas(actual, expected)
    except MigwrightError:
        return _line_differences(actual, expected)
    out: list[str] = []
    for op in operations:
        if isinstance(op, o.AlterColumn):
            out.append(_altered(op, actual, expected, phase))
            continue
        item = _item(op, actual)
        if item is None:
            out.append(f"the database needs `{op.describe().strip()}` to match")
            continue
        out.append(_sentence(item, phase, reference))
    return list(dict.fromkeys(out))


def _item(op: o.Operation, actual: Schema) -> _Item | None:
    maker = _ITEMS.get(type(op))
    return maker(op, actual) if maker else None


def _constraint_item(op: Any, actual: Schema) -> _Item:
    kind = "constraint"
    if actual.has_table(op.table):
        try:
            found = o.DropConstraint(op.table, op.name).find(actual.table(op.table))
            kind = {
                "ForeignKey": "foreign key",
                "UniqueConstraint": "unique constraint",
                "CheckConstraint": "check",
            }[type(found).__name__]
        except MigwrightError:
            pass
    return _Item(f"{kind} {op.name} on {op.table}", True, op.table, name=op.name)


_ITEMS: dict[type[o.Operation], Callable[[Any, Schema], _Item]] = {
    o.CreateTable: lambda op, _: _Item(f"table {op.table.name}", False, op.table.name),
    o.DropTable: lambda op, _: _Item(f"table {op.name}", True, op.name),
    o.AddColumn: lambda op, _: _Item(
        f"column {op.table}.{op.column.name}", False, op.table, op.column.name
    ),
    o.DropColumn: lambda op, _: _Item(f"column {op.table}.{op.column}", True, op.table, op.column),
    o.CreateIndex: lambda op, _: _Item(
        f"{'unique ' if op.index.unique else ''}index {op.index.name} on {op.table} "
        f"({', '.join(op.index.columns)})",
        False,
        op.table,
        name=op.index.name,
    ),
    o.DropIndex: lambda op, _: _Item(
        f"index {op.name} on {op.table}", True, op.table, name=op.name
    ),
    o.AddForeignKey: lambda op, _: _Item(
        f"foreign key {op.foreign_key.name or ''} {op.table}{op.foreign_key.describe()}".replace(
            "  ", " "
        ),
        False,
        op.table,
        name=op.foreign_key.name,
    ),
    o.AddUnique: lambda op, _: _Item(
        f"unique constraint {op.unique.name or ''} on {op.table} ({', '.join(op.unique.columns)})",
        False,
        op.table,
        name=op.unique.name,
    ),
    o.AddCheck: lambda op, _: _Item(
        f"check {op.check.name or ''} on {op.table} ({op.check.expression})",
        False,
        op.table,
        name=op.check.name,
    ),
    o.DropConstraint: _constraint_item,
    o.DropForeignKey: _constraint_item,
    o.CreateEnum: lambda op, _: _Item(f"enum type {op.enum.name}", False, name=op.enum.name),
    o.DropEnum: lambda op, _: _Item(f"enum type {op.name}", True, name=op.name),
    o.AddEnumValue: lambda op, _: _Item(f"value {op.value!r} of enum {op.name}", False),
}


def _sentence(item: _Item, phase: str, reference: Schema | None) -> str:
    s = item.subject
    if phase == "down" and reference is not None:
        in_after = _present(item, reference)
        if item.extra:
            if in_after:
                return f"the down forgets to drop {s}, which the up adds"
            return f"{s} is there after the down but was not there before the up"
        if in_after:
            return f"the down drops {s}, which the up did not add"
        return f"the down does not bring back {s}, which the up removes"
    if phase == "history":
        if item.extra:
            return f"{s} is in the database the history builds, not in the plan's schema"
        return f"{s} is in the plan's schema but the history does not build it"
    if item.extra:
        return f"{s} is in the database but not in the plan's schema"
    return f"{s} is missing (the plan's schema has it)"


def _present(item: _Item, schema: Schema) -> bool:
    """Does `schema` have the element `item` names (by table, column or name)?"""
    if item.table is None:
        return item.name is not None and schema.enum(item.name.lower()) is not None
    table = item.table.lower()
    if not schema.has_table(table):
        return False
    t = schema.table(table)
    if item.column is not None:
        return t.has_column(item.column.lower())
    if item.name is not None:
        return item.name.lower() in {n.lower() for n in t.constraint_names()}
    return True


def _altered(op: o.AlterColumn, actual: Schema, expected: Schema, phase: str) -> str:
    try:
        have = actual.table(op.table).column(op.column).describe()
        want = expected.table(op.table).column(op.column).describe()
    except MigwrightError:
        return f"column {op.table}.{op.column} differs"
    when = {"down": "after the down ", "re-up": "after the second up ", "up": "after the up "}
    return f"{when.get(phase, '')}column {op.table}.{op.column} is `{have}`, expected `{want}`"


def _line_differences(actual: Schema, expected: Schema) -> list[str]:
    have, want = actual.describe().splitlines(), expected.describe().splitlines()
    extra = [f"in the database only: {line.strip()}" for line in have if line not in want]
    missing = [f"expected but missing: {line.strip()}" for line in want if line not in have]
    return extra + missing
