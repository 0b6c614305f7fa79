"""The shapes a model may answer in: pydantic models that mirror `tools/ops.py`.

A `PlanAnswer` holds a description, questions the model wants to ask back, and operations
from a discriminated union over `op` (`create_table`, `add_column`, ... `backfill`). There is
no raw SQL kind: what the operations cannot express is for a person to write, since the model
never writes SQL that runs unchecked. Field names follow the operations so the JSON schema a
model sees reads like the plan it produces; the few differences are friendlier for a model
(AlterColumn's `drop_default` flag instead of the KEEP sentinel, flat index fields). The one
kind that carries code, `python_transform` (a Django RunPython function), is Python that must
pass `tools/python_allowlist` and is accepted only in Django projects.

`to_operations` turns an answer into real operations, naming every constraint and index left
unnamed the way `tools/spec` does (`fk_orders_user_id`, with a numeric suffix when taken), so a
down can drop each by name on every dialect. Checking the result is `agent.structured`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..tools import ops as o
from ..tools.python_transform import PythonTransform
from ..tools.schema import (
    CheckConstraint,
    Column,
    EnumType,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
    canonical_type,
    constraint_name,
    is_serial,
)


class _Strict(BaseModel):
    """Unknown fields are errors (sent back to the model), never silently dropped: a dropped
    `unique: true` would change what the migration means."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------------------------
# Parts of a table
# ---------------------------------------------------------------------------------------------


class ColumnSpec(_Strict):
    name: str
    type: str = Field(description="SQL type: bigint, text, varchar(255), numeric(12,2), ...")
    nullable: bool = True
    default: str | None = Field(None, description="SQL expression: 0, 'new', now()")
    identity: bool = Field(False, description="auto-numbered (serial / identity)")
    comment: str | None = None

    def to_column(self) -> Column:
        return Column(
            name=self.name,
            type=canonical_type(self.type),
            nullable=self.nullable,
            default=self.default,
            identity=self.identity or is_serial(self.type),
            comment=self.comment,
        )


class IndexSpec(_Strict):
    name: str | None = None
    columns: list[str] = Field(min_length=1, description="column names or SQL expressions")
    unique: bool = False
    where: str | None = Field(None, description="predicate of a partial index")
    using: str | None = Field(None, description="access method when not btree: gin, gist")


class UniqueSpec(_Strict):
    name: str | None = None
    columns: list[str] = Field(min_length=1)


#: Referential actions as the model spells them; NO ACTION (the default) becomes None.
Action = Literal["CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"]


def _upper(value: object) -> object:
    """`cascade` and `set_null` are what models often write: accept them as CASCADE, SET NULL."""
    return " ".join(value.upper().replace("_", " ").split()) if isinstance(value, str) else value


_ACTION_CASE = field_validator("on_delete", "on_update", mode="before")


class ForeignKeySpec(_Strict):
    name: str | None = None
    columns: list[str] = Field(min_length=1)
    ref_table: str
    ref_columns: list[str] = Field(min_length=1)
    on_delete: Action | None = None
    on_update: Action | None = None
    _actions = _ACTION_CASE(_upper)

    def to_foreign_key(self, names: _Namer, table: str) -> ForeignKey:
        return ForeignKey(
            name=names.pick(self.name, "fk", table, self.columns),
            columns=tuple(self.columns),
            ref_table=self.ref_table,
            ref_columns=tuple(self.ref_columns),
            on_delete=None if self.on_delete in (None, "NO ACTION") else self.on_delete,
            on_update=None if self.on_update in (None, "NO ACTION") else self.on_update,
        )


class CheckSpec(_Strict):
    name: str | None = None
    expression: str = Field(description="boolean SQL expression, e.g. price >= 0")


# ---------------------------------------------------------------------------------------------
# Operations (one model per kind; `op` is the discriminator)
# ---------------------------------------------------------------------------------------------


class CreateTableOp(_Strict):
    op: Literal["create_table"]
    table: str
    columns: list[ColumnSpec] = Field(min_length=1)
    primary_key: list[str] = []
    uniques: list[UniqueSpec] = []
    foreign_keys: list[ForeignKeySpec] = []
    checks: list[CheckSpec] = []
    indexes: list[IndexSpec] = []
    comment: str | None = None

    def to_operation(self, names: _Namer) -> o.Operation:
        t = self.table
        return o.CreateTable(
            Table(
                name=t,
                columns=tuple(c.to_column() for c in self.columns),
                primary_key=tuple(self.primary_key),
                uniques=tuple(
                    UniqueConstraint(names.pick(u.name, "uq", t, u.columns), tuple(u.columns))
                    for u in self.uniques
                ),
                indexes=tuple(_index(i, names, t) for i in self.indexes),
                foreign_keys=tuple(f.to_foreign_key(names, t) for f in self.foreign_keys),
                checks=tuple(_check(c, names, t) for c in self.checks),
                comment=self.comment,
            )
        )


class DropTableOp(_Strict):
    op: Literal["drop_table"]
    table: str

    def to_operation(self, names: _Namer) -> o.Operation:
        return o.DropTable(self.table)


class RenameTableOp(_Strict):
    op: Literal["rename_table"]
    old: str
    new: str

    def to_operation(self, names: _Namer) -> o.Operation:
        return o.RenameTable(self.old, self.new)


class AddColumnOp(_Strict):
    op: Literal["add_column"]
    table: str
    column: ColumnSpec

    def to_operation(self, names: _Namer) -> o.Operation:
        return o.AddColumn(self.table, self.column.to_column())


class DropColumnOp(_Strict):
    op: Literal["drop_column"]
    table: str
    column: str

    def to_operation(self, names: _Namer) -> o.Operation:
        return o.DropColumn(self.table, self.column)


class AlterColumnOp(_Strict):
    """Change type, nullability or default; a field left null keeps its value."""

    op: Literal["alter_column"]
    table: str
    column: str
    type: str | None = None
    nullable: bool | None = None
    default: str | None = Field(None, description="new default; null keeps the current one")
    drop_default: bool = False
    using: str | None = Field(None, description="conversion expression for a type change")

    def to_operation(self, names: _Namer) -> o.Operation:
        default: str | o._Keep | None = o.KEEP
        if self.drop_default:
            default = None
        elif self.default is not None:
            default = self.default
        return o.AlterColumn(
            self.table,
            self.column,
            type=canonical_type(self.type) if self.type else None,
            nullable=self.nullable,
            default=default,
            using=self.using,
        )


class RenameColumnOp(_Strict):
    op: Literal["rename_column"]
    table: str
    old: str
    new: str

    def to_operation(self, names: _Namer) -> o.Operation:
        return o.RenameColumn(self.table, self.old, self.new)


class CreateIndexOp(_Strict):
    op: Literal["create_index"]
    table: str
    name: str | None = None
    columns: list[str] = Field(min_length=1)
    unique: bool = False
    where: str | None = None
    using: str | None = None
    concurrently: bool = False

    def to_operation(self, names: _Namer) -> o.Operation:
        spec = IndexSpec(
            name=self.name,
            columns=self.columns,
            unique=self.unique,
            where=self.where,
            using=self.using,
        )
        return o.CreateIndex(self.table, _index(spec, names, self.table), self.concurrently)


class DropIndexOp(_Strict):
    op: Literal["drop_index"]
    table: str
    name: str
    concurrently: bool = False

    def to_operation(self, names: _Namer) -> o.Operation:
        return o.DropIndex(self.table, self.name, self.concurrently)


class AddForeignKeyOp(_Strict):
    op: Literal["add_foreign_key"]
    table: str
    name: str | None = None
    columns: list[str] = Field(min_length=1)
    ref_table: str
    ref_columns: list[str] = Field(min_length=1)
    on_delete: Action | None = None
    on_update: Action | None = None
    _actions = _ACTION_CASE(_upper)

    def to_operation(self, names: _Namer) -> o.Operation:
        spec = ForeignKeySpec(**self.model_dump(exclude={"op", "table"}))
        return o.AddForeignKey(self.table, spec.to_foreign_key(names, self.table))


class AddUniqueOp(_Strict):
    op: Literal["add_unique"]
    table: str
    name: str | None = None
    columns: list[str] = Field(min_length=1)

    def to_operation(self, names: _Namer) -> o.Operation:
        name = names.pick(self.name, "uq", self.table, self.columns)
        return o.AddUnique(self.table, UniqueConstraint(name, tuple(self.columns)))


class AddCheckOp(_Strict):
    op: Literal["add_check"]
    table: str
    name: str | None = None
    expression: str

    def to_operation(self, names: _Namer) -> o.Operation:
        return o.AddCheck(
            self.table,
            _check(CheckSpec(name=self.name, expression=self.expression), names, self.table),
        )


class DropConstraintOp(_Strict):
    op: Literal["drop_constraint"]
    table: str
    name: str

    def to_operation(self, names: _Namer) -> o.Operation:
        return o.DropConstraint(self.table, self.name)


class CreateEnumOp(_Strict):
    op: Literal["create_enum"]
    name: str
    values: list[str] = Field(min_length=1)

    def to_operation(self, names: _Namer) -> o.Operation:
        return o.CreateEnum(EnumType(self.name, tuple(self.values)))


class AddEnumValueOp(_Strict):
    op: Literal["add_enum_value"]
    name: str
    value: str
    before: str | None = None
    after: str | None = None

    def to_operation(self, names: _Namer) -> o.Operation:
        return o.AddEnumValue(self.name, self.value, self.before, self.after)


class BackfillOp(_Strict):
    """UPDATE table SET column = expression [WHERE where], run in batches."""

    op: Literal["backfill"]
    table: str
    column: str
    expression: str = Field(description="one SQL expression over the row's columns")
    where: str | None = None
    reverse_expression: str | None = Field(None, description="restores old values, if computable")
    batch_size: int | None = Field(None, ge=1)

    def to_operation(self, names: _Namer) -> o.Operation:
        return o.Backfill(
            self.table,
            self.column,
            self.expression,
            self.where,
            self.reverse_expression,
            self.batch_size,
        )


class PythonTransformOp(_Strict):
    """Django projects only: rows rewritten by a RunPython function (see prompts/plan.txt)."""

    op: Literal["python_transform"]
    table: str
    columns: list[str] = Field(min_length=1, description="the columns the function writes")
    forward: str = Field(description="def forward(apps, schema_editor): ... (allowlisted Python)")
    reverse: str | None = Field(None, description="def reverse(apps, schema_editor): ... or null")
    summary: str = Field("", description="what the transform does, in a few words")

    def to_operation(self, names: _Namer) -> o.Operation:
        return PythonTransform(
            self.table, tuple(self.columns), self.forward, self.reverse, self.summary
        )


OperationModel = Annotated[
    CreateTableOp
    | DropTableOp
    | RenameTableOp
    | AddColumnOp
    | DropColumnOp
    | AlterColumnOp
    | RenameColumnOp
    | CreateIndexOp
    | DropIndexOp
    | AddForeignKeyOp
    | AddUniqueOp
    | AddCheckOp
    | DropConstraintOp
    | CreateEnumOp
    | AddEnumValueOp
    | BackfillOp
    | PythonTransformOp,
    Field(discriminator="op"),
]


class PlanAnswer(_Strict):
    """A migration plan: the operations that make the requested schema change, in order."""

    description: str = Field(description="one imperative line: what the migration does")
    operations: list[OperationModel] = []
    questions: list[str] = Field(
        [],
        description="ambiguities to ask the user instead of guessing (rename or drop+add?)",
    )


class BackfillAnswer(_Strict):
    """A SQL expression that computes the new value of a column from the row's columns."""

    expression: str = Field(description="one SQL expression, no statement, no ';'")
    explanation: str = ""


# ---------------------------------------------------------------------------------------------
# Answer -> operations
# ---------------------------------------------------------------------------------------------


class _Namer:
    """Hands out the deterministic names `tools/spec` uses, avoiding every name in use."""

    def __init__(self, schema: Schema | None) -> None:
        self.used: set[str] = set()
        for table in schema.tables if schema else ():
            self.used |= table.constraint_names()

    def pick(self, given: str | None, prefix: str, table: str, columns: Sequence[str]) -> str:
        if given:
            self.used.add(given)
            return given
        name, n = constraint_name(prefix, table, columns), 1
        while name in self.used:
            n += 1
            name = constraint_name(prefix, table, columns, suffix=str(n))
        self.used.add(name)
        return name


def _index(spec: IndexSpec, names: _Namer, table: str) -> Index:
    label = [c if re.fullmatch(r"\w+", c) else "expr" for c in spec.columns]
    return Index(
        name=names.pick(spec.name, "ix", table, label),
        columns=tuple(spec.columns),
        unique=spec.unique,
        where=spec.where,
        using=spec.using,
    )


def _check(spec: CheckSpec, names: _Namer, table: str) -> CheckConstraint:
    used = sorted(o.expression_columns(spec.expression)) or ["expr"]
    return CheckConstraint(names.pick(spec.name, "ck", table, used), spec.expression)


def to_operations(plan: PlanAnswer, schema: Schema | None = None) -> list[o.Operation]:
    """The plan's operations as `tools/ops` operations, unnamed constraints named."""
    names = _Namer(schema)
    return [item.to_operation(names) for item in plan.operations]
