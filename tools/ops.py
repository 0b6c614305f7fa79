"""Operations: plain data that knows its state change and its reverse.

Each operation is a frozen dataclass with
- `apply(schema) -> Schema`: the pure state change (Django's `state_forwards`), so plans are
  tested without a database and the database tests check that SQL and `apply` agree;
- `reverse(before) -> Operation | Irreversible`: the operation that undoes it, given the schema
  it was applied to (Alembic's `ops.reverse()`); a drop rebuilds the structure from `before`;
- `reversibility(before)`: lossless, lossy (structure comes back, some data does not) or
  irreversible; `data_loss(before)` says which data in words;
- `describe()`: one line with a `+ - ~ >` category, what plans, chat and docs print.

Risk (locks, rewrites, table sizes) is not here: the lint rules judge it, knowing dialects and
versions. Rendering to SQL lives in `sql.py` and the framework renderers.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar, TypeVar

import sqlglot
from sqlglot import exp

from .errors import IrreversibleError, SchemaError
from .schema import (
    CheckConstraint,
    Column,
    EnumType,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
    canonical_type,
    is_identifier,
)

T = TypeVar("T")


class Reversibility(enum.StrEnum):
    LOSSLESS = "lossless"
    LOSSY = "lossy"
    IRREVERSIBLE = "irreversible"


@dataclass(frozen=True)
class Irreversible:
    """Why an operation has no reverse, in words a reviewer can act on."""

    reason: str


class _Keep(enum.Enum):
    KEEP = "keep"

    def __repr__(self) -> str:
        return "KEEP"


#: AlterColumn's "leave the default as it is" (None means "drop the default").
KEEP = _Keep.KEEP

OPERATIONS: dict[str, type[Operation]] = {}


@dataclass(frozen=True)
class Operation:
    """Base of every operation. Subclasses register under their `kind` for (de)serialisation."""

    kind: ClassVar[str] = "operation"
    symbol: ClassVar[str] = "~"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            OPERATIONS[cls.kind] = cls

    def apply(self, schema: Schema) -> Schema:
        raise NotImplementedError

    def reverse(self, before: Schema) -> Operation | Irreversible:
        raise NotImplementedError

    def reversibility(self, before: Schema) -> Reversibility:
        if isinstance(self.reverse(before), Irreversible):
            return Reversibility.IRREVERSIBLE
        return Reversibility.LOSSY if self.data_loss(before) else Reversibility.LOSSLESS

    def data_loss(self, before: Schema) -> str | None:
        """What data the reverse cannot bring back; None when nothing is lost."""
        return None

    def describe(self) -> str:
        raise NotImplementedError

    @property
    def tables(self) -> tuple[str, ...]:
        """Tables this operation touches (for lint, locks and docs)."""
        table = getattr(self, "table", None)
        if isinstance(table, str):
            return (table,)
        if isinstance(table, Table):
            return (table.name,)
        return ()

    @property
    def transactional(self) -> bool:
        """False for statements that cannot run inside a transaction (CONCURRENTLY)."""
        return True

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.kind, **{f.name: _plain(getattr(self, f.name)) for f in fields(self)}}

    def __str__(self) -> str:
        return self.describe()


def _plain(value: Any) -> Any:
    if value is KEEP:
        return "__keep__"
    if isinstance(value, Operation):  # RawSQL's effects: nested operations keep their kind
        return value.to_dict()
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateTable(Operation):
    """CREATE TABLE with its keys, checks and indexes (the indexes as separate statements)."""

    table: Table
    kind: ClassVar[str] = "create_table"
    symbol: ClassVar[str] = "+"

    def apply(self, schema: Schema) -> Schema:
        if schema.has_table(self.table.name):
            raise SchemaError(
                f"table {self.table.name} already exists",
                "pick another name, or alter the existing table",
            )
        _check_table(self.table, schema)
        return schema.with_table(self.table)

    def reverse(self, before: Schema) -> Operation:
        return DropTable(self.table.name)

    def describe(self) -> str:
        return f"+ create table {self.table.name} ({len(self.table.columns)} columns)"


@dataclass(frozen=True)
class DropTable(Operation):
    name: str
    kind: ClassVar[str] = "drop_table"
    symbol: ClassVar[str] = "-"

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.name,)

    def apply(self, schema: Schema) -> Schema:
        schema.table(self.name)
        for other, fk in schema.referencing(self.name):
            if other.name != self.name:
                raise SchemaError(
                    f"cannot drop {self.name}: {other.name}.{','.join(fk.columns)} references it",
                    f"drop the foreign key {fk.name or ''} on {other.name} first",
                )
        return schema.without_table(self.name)

    def reverse(self, before: Schema) -> Operation:
        return CreateTable(before.table(self.name))

    def data_loss(self, before: Schema) -> str:
        return f"every row of {self.name}"

    def describe(self) -> str:
        return f"- drop table {self.name}"


@dataclass(frozen=True)
class RenameTable(Operation):
    old: str
    new: str
    kind: ClassVar[str] = "rename_table"
    symbol: ClassVar[str] = ">"

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.old,)

    def apply(self, schema: Schema) -> Schema:
        table = schema.table(self.old)
        if schema.has_table(self.new):
            raise SchemaError(f"table {self.new} already exists", "pick another new name")
        renamed = replace(table, name=self.new)
        result = schema.without_table(self.old).with_table(renamed)
        for other in result.tables:
            if any(fk.ref_table == self.old for fk in other.foreign_keys):
                fks = tuple(
                    replace(fk, ref_table=self.new) if fk.ref_table == self.old else fk
                    for fk in other.foreign_keys
                )
                result = result.with_table(replace(other, foreign_keys=fks))
        return result

    def reverse(self, before: Schema) -> Operation:
        return RenameTable(self.new, self.old)

    def describe(self) -> str:
        return f"> rename table {self.old} to {self.new}"


# ---------------------------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddColumn(Operation):
    table: str
    column: Column
    kind: ClassVar[str] = "add_column"
    symbol: ClassVar[str] = "+"

    def apply(self, schema: Schema) -> Schema:
        table = schema.table(self.table)
        if table.has_column(self.column.name):
            raise SchemaError(
                f"column {self.table}.{self.column.name} already exists",
                "pick another name, or use --alter-table to change it",
            )
        _check_column_type(self.column, schema)
        return schema.with_table(replace(table, columns=(*table.columns, self.column)))

    def reverse(self, before: Schema) -> Operation:
        return DropColumn(self.table, self.column.name)

    def describe(self) -> str:
        return f"+ add column {self.table}.{self.column.describe()}"


@dataclass(frozen=True)
class DropColumn(Operation):
    """Drop a column. Indexes, keys and checks that use it must be dropped first (explicitly):
    databases disagree on what happens to them (MySQL shrinks a multi-column index, SQLite
    refuses), so migwright never leaves that to the server."""

    table: str
    column: str
    kind: ClassVar[str] = "drop_column"
    symbol: ClassVar[str] = "-"

    def apply(self, schema: Schema) -> Schema:
        table = schema.table(self.table)
        table.column(self.column)
        users = _column_users(schema, table, self.column)
        if users:
            raise SchemaError(
                f"cannot drop {self.table}.{self.column}: used by {', '.join(users)}",
                "drop those first (--drop-index / --drop-constraint), then the column",
            )
        if len(table.columns) == 1:
            raise SchemaError(
                f"cannot drop {self.table}.{self.column}: it is the table's only column",
                "drop the table instead",
            )
        return schema.with_table(
            replace(table, columns=tuple(c for c in table.columns if c.name != self.column))
        )

    def reverse(self, before: Schema) -> Operation:
        return AddColumn(self.table, before.table(self.table).column(self.column))

    def data_loss(self, before: Schema) -> str:
        return f"the values of {self.table}.{self.column}"

    def describe(self) -> str:
        return f"- drop column {self.table}.{self.column}"


@dataclass(frozen=True)
class AlterColumn(Operation):
    """Change a column's type, nullability and/or default. Unset fields keep their value.

    `using` is the conversion expression for a type change (PostgreSQL's USING), e.g.
    `total::numeric(12,2)`; other dialects convert implicitly.
    """

    table: str
    column: str
    type: str | None = None
    nullable: bool | None = None
    default: str | _Keep | None = KEEP
    using: str | None = None
    kind: ClassVar[str] = "alter_column"
    symbol: ClassVar[str] = "~"

    def apply(self, schema: Schema) -> Schema:
        table = schema.table(self.table)
        col = table.column(self.column)
        new = self.changed(col)
        if new == col:
            raise SchemaError(
                f"alter column {self.table}.{self.column} changes nothing",
                "say what to change: type, set/drop not null, set/drop default",
            )
        if not new.nullable and self.column in table.primary_key:
            pass
        elif new.nullable and self.column in table.primary_key:
            raise SchemaError(
                f"{self.table}.{self.column} is part of the primary key and cannot allow NULL",
                "drop it from the primary key first",
            )
        _check_column_type(new, schema)
        return schema.with_table(table.replace_column(self.column, new))

    def changed(self, col: Column) -> Column:
        new = col
        if self.type is not None:
            new = replace(new, type=self.type)
        if self.nullable is not None:
            new = replace(new, nullable=self.nullable)
        if self.default is not KEEP:
            new = replace(new, default=self.default)
        return new

    def reverse(self, before: Schema) -> Operation:
        old = before.table(self.table).column(self.column)
        return AlterColumn(
            self.table,
            self.column,
            type=old.type if self.type is not None else None,
            nullable=old.nullable if self.nullable is not None else None,
            default=old.default if self.default is not KEEP else KEEP,
        )

    def data_loss(self, before: Schema) -> str | None:
        if self.type is None:
            return None
        old = before.table(self.table).column(self.column).type
        if widens(old, self.type):
            return None
        if old == "unknown":  # the request's own column, type not known (tools/assume.py)
            return f"values of {self.table}.{self.column} that {self.type} cannot hold exactly"
        return (
            f"values of {self.table}.{self.column} that {canonical_type(self.type)} cannot hold "
            f"exactly are changed by the up and do not come back as {canonical_type(old)}"
        )

    def describe(self) -> str:
        changes = []
        if self.type is not None:
            changes.append(f"type {self.type}")
        if self.nullable is not None:
            changes.append("drop not null" if self.nullable else "set not null")
        if self.default is not KEEP:
            changes.append("drop default" if self.default is None else f"default {self.default}")
        return f"~ alter column {self.table}.{self.column} {', '.join(changes)}"


def widens(old: str, new: str) -> bool:
    """True when every value of type `old` fits `new` unchanged (so a type change loses nothing)."""
    a, b = canonical_type(old), canonical_type(new)
    if a == b:
        return True
    ints = ["smallint", "integer", "bigint"]
    if a in ints and b in ints:
        return ints.index(a) <= ints.index(b)
    if a in ints and b.startswith("numeric("):
        precision, scale = _numeric_args(b)
        digits = {"smallint": 5, "integer": 10, "bigint": 19}[a]
        return precision - scale >= digits
    if a.startswith("varchar(") and b == "text":
        return True
    if a.startswith("char(") and (b == "text" or b.startswith("varchar(")):
        return b == "text" or _length(b) >= _length(a)
    if a.startswith("varchar(") and b.startswith("varchar("):
        return _length(b) >= _length(a)
    if a.startswith("numeric(") and b.startswith("numeric("):
        (p1, s1), (p2, s2) = _numeric_args(a), _numeric_args(b)
        return s2 >= s1 and p2 - s2 >= p1 - s1
    if a == "real" and b == "double":
        return True
    return a == "timestamp" and b == "timestamptz"


def _length(type_: str) -> int:
    return int(type_[type_.index("(") + 1 : -1])


def _numeric_args(type_: str) -> tuple[int, int]:
    precision, _, scale = type_[type_.index("(") + 1 : -1].partition(",")
    return int(precision), int(scale or 0)


@dataclass(frozen=True)
class RenameColumn(Operation):
    table: str
    old: str
    new: str
    kind: ClassVar[str] = "rename_column"
    symbol: ClassVar[str] = ">"

    def apply(self, schema: Schema) -> Schema:
        table = schema.table(self.table)
        col = table.column(self.old)
        if table.has_column(self.new):
            raise SchemaError(f"column {self.table}.{self.new} already exists", "pick another name")
        ren = _renamer(self.old, self.new)
        table = replace(
            table,
            columns=tuple(replace(c, name=self.new) if c is col else c for c in table.columns),
            primary_key=ren(table.primary_key),
            uniques=tuple(replace(u, columns=ren(u.columns)) for u in table.uniques),
            indexes=tuple(
                replace(
                    i,
                    columns=tuple(
                        ren((c,))[0]
                        if is_identifier(c)
                        else rename_in_expression(c, self.old, self.new)
                        for c in i.columns
                    ),
                    where=rename_in_expression(i.where, self.old, self.new) if i.where else None,
                )
                for i in table.indexes
            ),
            foreign_keys=tuple(replace(f, columns=ren(f.columns)) for f in table.foreign_keys),
            checks=tuple(
                replace(c, expression=rename_in_expression(c.expression, self.old, self.new))
                for c in table.checks
            ),
        )
        result = schema.with_table(table)
        for other in result.tables:
            if any(fk.ref_table == self.table for fk in other.foreign_keys):
                fks = tuple(
                    replace(fk, ref_columns=ren(fk.ref_columns))
                    if fk.ref_table == self.table
                    else fk
                    for fk in other.foreign_keys
                )
                result = result.with_table(replace(other, foreign_keys=fks))
        return result

    def reverse(self, before: Schema) -> Operation:
        return RenameColumn(self.table, self.new, self.old)

    def describe(self) -> str:
        return f"> rename column {self.table}.{self.old} to {self.new}"


def _renamer(old: str, new: str) -> Any:
    def ren(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(new if n == old else n for n in names)

    return ren


def rename_in_expression(text: str, old: str, new: str) -> str:
    """Rename a column inside a SQL expression (a check, an index expression or predicate)."""
    try:
        tree = sqlglot.parse_one(text, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return text
    if tree is None:
        return text

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name == old:
            return exp.column(new)
        return node

    return tree.transform(swap).sql(dialect="postgres")


# ---------------------------------------------------------------------------------------------
# Indexes and constraints
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateIndex(Operation):
    table: str
    index: Index
    concurrently: bool = False
    kind: ClassVar[str] = "create_index"
    symbol: ClassVar[str] = "+"

    def apply(self, schema: Schema) -> Schema:
        table = schema.table(self.table)
        _check_name_free(schema, self.index.name)
        for col in self.index.columns:
            if is_identifier(col):
                table.column(col)
        return schema.with_table(replace(table, indexes=(*table.indexes, self.index)))

    def reverse(self, before: Schema) -> Operation:
        return DropIndex(self.table, self.index.name, concurrently=self.concurrently)

    @property
    def transactional(self) -> bool:
        return not self.concurrently

    def describe(self) -> str:
        kind = "unique index" if self.index.unique else "index"
        where = f" where {self.index.where}" if self.index.where else ""
        how = " concurrently" if self.concurrently else ""
        cols = ", ".join(self.index.columns)
        return f"+ create {kind}{how} {self.index.name} on {self.table} ({cols}){where}"


@dataclass(frozen=True)
class DropIndex(Operation):
    table: str
    name: str
    concurrently: bool = False
    kind: ClassVar[str] = "drop_index"
    symbol: ClassVar[str] = "-"

    def apply(self, schema: Schema) -> Schema:
        table = schema.table(self.table)
        self.find(table)
        return schema.with_table(
            replace(table, indexes=tuple(i for i in table.indexes if i.name != self.name))
        )

    def find(self, table: Table) -> Index:
        for index in table.indexes:
            if index.name == self.name:
                return index
        names = ", ".join(i.name for i in table.indexes) or "(none)"
        raise SchemaError(f"table {table.name} has no index {self.name}", f"its indexes: {names}")

    def reverse(self, before: Schema) -> Operation:
        return CreateIndex(
            self.table, self.find(before.table(self.table)), concurrently=self.concurrently
        )

    @property
    def transactional(self) -> bool:
        return not self.concurrently

    def describe(self) -> str:
        how = " concurrently" if self.concurrently else ""
        return f"- drop index{how} {self.name} on {self.table}"


@dataclass(frozen=True)
class AddForeignKey(Operation):
    table: str
    foreign_key: ForeignKey
    #: PostgreSQL: add without checking the rows (a brief lock, no scan); a separate
    #: ValidateConstraint checks them later under a lock that lets writes through.
    not_valid: bool = False
    kind: ClassVar[str] = "add_foreign_key"
    symbol: ClassVar[str] = "+"

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.table, self.foreign_key.ref_table)

    def apply(self, schema: Schema) -> Schema:
        table = schema.table(self.table)
        if self.foreign_key.name:
            _check_name_free(schema, self.foreign_key.name)
        _check_fk(self.foreign_key, table, schema)
        return schema.with_table(
            replace(table, foreign_keys=(*table.foreign_keys, self.foreign_key))
        )

    def reverse(self, before: Schema) -> Operation:
        return DropConstraint(self.table, _need_name(self.foreign_key.name, "foreign key"))

    def describe(self) -> str:
        fk = self.foreign_key
        how = " not valid" if self.not_valid else ""
        return f"+ add foreign key {fk.name or ''} {self.table}{fk.describe()}{how}"


@dataclass(frozen=True)
class AddUnique(Operation):
    table: str
    unique: UniqueConstraint
    #: PostgreSQL: attach the unique index of the same name, built concurrently beforehand
    #: (ADD CONSTRAINT ... UNIQUE USING INDEX), instead of building it under the table lock.
    using_index: bool = False
    kind: ClassVar[str] = "add_unique"
    symbol: ClassVar[str] = "+"

    def apply(self, schema: Schema) -> Schema:
        table = schema.table(self.table)
        if self.unique.name:
            _check_name_free(schema, self.unique.name)
        for col in self.unique.columns:
            table.column(col)
        return schema.with_table(replace(table, uniques=(*table.uniques, self.unique)))

    def reverse(self, before: Schema) -> Operation:
        return DropConstraint(self.table, _need_name(self.unique.name, "unique constraint"))

    def describe(self) -> str:
        cols = ", ".join(self.unique.columns)
        how = " using its index" if self.using_index else ""
        return f"+ add unique {self.unique.name or ''} on {self.table} ({cols}){how}"


@dataclass(frozen=True)
class AddCheck(Operation):
    table: str
    check: CheckConstraint
    #: PostgreSQL: add without checking the rows; ValidateConstraint checks them later.
    not_valid: bool = False
    kind: ClassVar[str] = "add_check"
    symbol: ClassVar[str] = "+"

    def apply(self, schema: Schema) -> Schema:
        table = schema.table(self.table)
        if self.check.name:
            _check_name_free(schema, self.check.name)
        for name in expression_columns(self.check.expression):
            table.column(name)
        return schema.with_table(replace(table, checks=(*table.checks, self.check)))

    def reverse(self, before: Schema) -> Operation:
        return DropConstraint(self.table, _need_name(self.check.name, "check constraint"))

    def describe(self) -> str:
        how = " not valid" if self.not_valid else ""
        return f"+ add check {self.check.name or ''} on {self.table} ({self.check.expression}){how}"


@dataclass(frozen=True)
class DropConstraint(Operation):
    """Drop a foreign key, unique or check constraint by name."""

    table: str
    name: str
    kind: ClassVar[str] = "drop_constraint"
    symbol: ClassVar[str] = "-"

    def find(self, table: Table) -> ForeignKey | UniqueConstraint | CheckConstraint:
        items: list[ForeignKey | UniqueConstraint | CheckConstraint] = [
            *table.foreign_keys,
            *table.uniques,
            *table.checks,
        ]
        for item in items:
            if item.name == self.name:
                return item
        names = ", ".join(sorted(n for n in (c.name for c in items) if n))
        raise SchemaError(
            f"table {table.name} has no constraint {self.name}",
            f"its named constraints: {names or '(none)'}",
        )

    def apply(self, schema: Schema) -> Schema:
        table = schema.table(self.table)
        item = self.find(table)
        return schema.with_table(
            replace(
                table,
                foreign_keys=tuple(f for f in table.foreign_keys if f is not item),
                uniques=tuple(u for u in table.uniques if u is not item),
                checks=tuple(c for c in table.checks if c is not item),
            )
        )

    def reverse(self, before: Schema) -> Operation:
        item = self.find(before.table(self.table))
        if isinstance(item, ForeignKey):
            return AddForeignKey(self.table, item)
        if isinstance(item, UniqueConstraint):
            return AddUnique(self.table, item)
        return AddCheck(self.table, item)

    @property
    def constraint_kind(self) -> str:
        return "constraint"

    def describe(self) -> str:
        return f"- drop constraint {self.name} on {self.table}"


#: DropForeignKey is DropConstraint on a foreign key; kept as a name for the request grammar.
@dataclass(frozen=True)
class DropForeignKey(DropConstraint):
    kind: ClassVar[str] = "drop_foreign_key"

    def find(self, table: Table) -> ForeignKey:
        item = super().find(table)
        if not isinstance(item, ForeignKey):
            raise SchemaError(
                f"{self.name} on {table.name} is not a foreign key",
                "use --drop-constraint for unique and check constraints",
            )
        return item

    def describe(self) -> str:
        return f"- drop foreign key {self.name} on {self.table}"


# ---------------------------------------------------------------------------------------------
# PostgreSQL enum types
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateEnum(Operation):
    enum: EnumType
    kind: ClassVar[str] = "create_enum"
    symbol: ClassVar[str] = "+"

    def apply(self, schema: Schema) -> Schema:
        if schema.enum(self.enum.name):
            raise SchemaError(f"type {self.enum.name} already exists", "pick another name")
        return schema.with_enum(self.enum)

    def reverse(self, before: Schema) -> Operation:
        return DropEnum(self.enum.name)

    def describe(self) -> str:
        return f"+ create enum {self.enum.name} ({', '.join(self.enum.values)})"


@dataclass(frozen=True)
class DropEnum(Operation):
    name: str
    kind: ClassVar[str] = "drop_enum"
    symbol: ClassVar[str] = "-"

    def apply(self, schema: Schema) -> Schema:
        if not schema.enum(self.name):
            raise SchemaError(f"no enum type {self.name}", "check the type name")
        for t in schema.tables:
            for c in t.columns:
                if canonical_type(c.type) == self.name.lower():
                    raise SchemaError(
                        f"type {self.name} is used by {t.name}.{c.name}", "change that column first"
                    )
        return Schema(schema.tables, tuple(e for e in schema.enums if e.name != self.name))

    def reverse(self, before: Schema) -> Operation:
        enum_type = before.enum(self.name)
        assert enum_type is not None
        return CreateEnum(enum_type)

    def describe(self) -> str:
        return f"- drop enum {self.name}"


@dataclass(frozen=True)
class AddEnumValue(Operation):
    """ALTER TYPE ... ADD VALUE. PostgreSQL cannot remove a value again, so no reverse."""

    name: str
    value: str
    before: str | None = None
    after: str | None = None
    kind: ClassVar[str] = "add_enum_value"
    symbol: ClassVar[str] = "+"

    def apply(self, schema: Schema) -> Schema:
        enum_type = schema.enum(self.name)
        if enum_type is None:
            raise SchemaError(f"no enum type {self.name}", "check the type name")
        if self.value in enum_type.values:
            raise SchemaError(f"{self.name} already has the value {self.value!r}", "nothing to add")
        values = list(enum_type.values)
        anchor = self.before or self.after
        if anchor is not None and anchor not in values:
            raise SchemaError(f"{self.name} has no value {anchor!r}", f"values: {values}")
        if self.before:
            values.insert(values.index(self.before), self.value)
        elif self.after:
            values.insert(values.index(self.after) + 1, self.value)
        else:
            values.append(self.value)
        return schema.with_enum(EnumType(enum_type.name, tuple(values)))

    def reverse(self, before: Schema) -> Irreversible:
        return Irreversible(
            f"PostgreSQL cannot remove the value {self.value!r} from {self.name}; recreating the "
            "type is a separate, locking migration"
        )

    @property
    def transactional(self) -> bool:
        return False

    def describe(self) -> str:
        return f"+ add value {self.value!r} to enum {self.name}"


# ---------------------------------------------------------------------------------------------
# Data and raw SQL
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backfill(Operation):
    """UPDATE table SET column = expression [WHERE where], batched by the renderers.

    `reverse_expression` (optional) restores the earlier values where that is computable; without
    it the down leaves the backfilled values in place (like Django's RunPython.noop) and says so.
    """

    table: str
    column: str
    expression: str
    where: str | None = None
    reverse_expression: str | None = None
    batch_size: int | None = None
    #: Pause between two batches (milliseconds), to leave the server room for other writes.
    throttle_ms: int | None = None
    kind: ClassVar[str] = "backfill"
    symbol: ClassVar[str] = "~"

    def apply(self, schema: Schema) -> Schema:
        table = schema.table(self.table)
        table.column(self.column)
        for name in expression_columns(self.expression):
            table.column(name)
        return schema

    def reverse(self, before: Schema) -> Operation:
        if self.reverse_expression is not None:
            return Backfill(
                self.table,
                self.column,
                self.reverse_expression,
                self.where,
                batch_size=self.batch_size,
                throttle_ms=self.throttle_ms,
            )
        return NoOp(f"backfill of {self.table}.{self.column} is not undone")

    def data_loss(self, before: Schema) -> str | None:
        if self.reverse_expression is not None:
            return None
        if not before.has_table(self.table) or not before.table(self.table).has_column(self.column):
            return None  # the column is new in this migration: nothing existed to overwrite
        return f"the values of {self.table}.{self.column} before the backfill"

    def describe(self) -> str:
        where = f" where {self.where}" if self.where else ""
        return f"~ backfill {self.table}.{self.column} = {self.expression}{where}"


@dataclass(frozen=True)
class RawSQL(Operation):
    """SQL migwright does not model, with its explicit reverse (None: irreversible).

    `effects` optionally describes the state change as modelled operations (Django's
    SeparateDatabaseAndState), so the expected schema stays right when raw SQL changes it.
    """

    sql: str
    reverse_sql: str | None = None
    effects: tuple[Operation, ...] = field(default=())
    kind: ClassVar[str] = "raw_sql"
    symbol: ClassVar[str] = "~"

    def apply(self, schema: Schema) -> Schema:
        return apply_all(self.effects, schema)

    def reverse(self, before: Schema) -> Operation | Irreversible:
        if self.reverse_sql is None:
            return Irreversible("raw SQL without a reverse: give one with the request")
        after = self.apply(before)
        reversed_effects = tuple(reversed(reverse_all(self.effects, before).operations))
        del after
        return RawSQL(self.reverse_sql, self.sql, reversed_effects)

    def describe(self) -> str:
        first = " ".join(self.sql.split())
        return f"~ run sql {first[:60]}{'...' if len(first) > 60 else ''}"


@dataclass(frozen=True)
class NoOp(Operation):
    """Nothing to do; the reason says why (the reverse of a one-way data step)."""

    reason: str = ""
    kind: ClassVar[str] = "noop"
    symbol: ClassVar[str] = " "

    def apply(self, schema: Schema) -> Schema:
        return schema

    def reverse(self, before: Schema) -> Operation:
        return self

    def describe(self) -> str:
        return f"  nothing: {self.reason}" if self.reason else "  nothing"


# ---------------------------------------------------------------------------------------------
# Sequences of operations
# ---------------------------------------------------------------------------------------------


def handler_for(table: Mapping[type, T], op: Operation) -> T | None:
    """The entry for `op`'s class or its nearest base class in a dispatch table (renderers and
    editors register per operation class; DropForeignKey falls back to DropConstraint's)."""
    return next((table[c] for c in type(op).__mro__ if c in table), None)


def apply_all(ops: Iterable[Operation], schema: Schema) -> Schema:
    for op in ops:
        schema = op.apply(schema)
    return schema


@dataclass(frozen=True)
class ReversePlan:
    """The down of a list of operations: the reverses in reverse order, and what is lost."""

    operations: tuple[Operation, ...]
    irreversible: tuple[tuple[Operation, Irreversible], ...]
    data_loss: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.irreversible

    def reversibility(self) -> Reversibility:
        if self.irreversible:
            return Reversibility.IRREVERSIBLE
        return Reversibility.LOSSY if self.data_loss else Reversibility.LOSSLESS


def reverse_all(ops: Sequence[Operation], before: Schema) -> ReversePlan:
    """Reverse each operation against the schema it saw, last first."""
    reverses: list[Operation] = []
    blocked: list[tuple[Operation, Irreversible]] = []
    losses: list[str] = []
    state = before
    for op in ops:
        rev = op.reverse(state)
        loss = op.data_loss(state)
        if loss and _existed_before(op, before):
            losses.append(loss)
        if isinstance(rev, Irreversible):
            blocked.append((op, rev))
        else:
            reverses.append(rev)
        state = op.apply(state)
    return ReversePlan(tuple(reversed(reverses)), tuple(blocked), tuple(losses))


def _existed_before(op: Operation, origin: Schema) -> bool:
    """Data made by the same plan (a column added, then backfilled) is not data lost by it."""
    table = getattr(op, "table", None) or getattr(op, "name", None)
    if not isinstance(table, str) or not origin.has_table(table):
        return False
    column = getattr(op, "column", None)
    return not isinstance(column, str) or origin.table(table).has_column(column)


def require_reverse(ops: Sequence[Operation], before: Schema) -> tuple[Operation, ...]:
    plan = reverse_all(ops, before)
    if plan.irreversible:
        op, why = plan.irreversible[0]
        raise IrreversibleError(
            f"{op.describe().strip()}: {why.reason}", "add a reverse or accept no down"
        )
    return plan.operations


# ---------------------------------------------------------------------------------------------
# Checks shared by the operations
# ---------------------------------------------------------------------------------------------


def expression_columns(text: str) -> set[str]:
    """Column names an expression refers to (for existence checks); empty when unparsable."""
    try:
        tree = sqlglot.parse_one(text, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return set()
    if tree is None:
        return set()
    return {c.name for c in tree.find_all(exp.Column) if c.name and not c.table}


def _need_name(name: str | None, what: str) -> str:
    if not name:
        raise IrreversibleError(
            f"an unnamed {what} cannot be dropped by its reverse", f"give the {what} a name"
        )
    return name


def _check_name_free(schema: Schema, name: str) -> None:
    for table in schema.tables:
        if name in table.constraint_names():
            raise SchemaError(
                f"the name {name} is already used on table {table.name}",
                "pick another index or constraint name",
            )


def _check_fk(fk: ForeignKey, table: Table, schema: Schema) -> None:
    for col in fk.columns:
        table.column(col)
    target = table if fk.ref_table == table.name else schema.table(fk.ref_table)
    for col in fk.ref_columns:
        target.column(col)
    if len(fk.columns) != len(fk.ref_columns):
        raise SchemaError(
            f"foreign key {table.name}({', '.join(fk.columns)}) -> {fk.ref_table}: "
            "column counts differ",
            "give as many referenced columns as referencing ones",
        )
    keys = {tuple(target.primary_key)} | {tuple(u.columns) for u in target.uniques}
    keys |= {tuple(i.columns) for i in target.indexes if i.unique and not i.where}
    if tuple(fk.ref_columns) not in keys:
        raise SchemaError(
            f"{fk.ref_table}({', '.join(fk.ref_columns)}) is not a primary key or unique",
            "reference the primary key, or add a unique constraint on those columns first",
        )
    if fk.on_delete == "SET NULL":
        for col in fk.columns:
            if not table.column(col).nullable:
                raise SchemaError(
                    f"on delete set null needs {table.name}.{col} to allow NULL",
                    "make the column nullable or pick another action",
                )


def _check_table(table: Table, schema: Schema) -> None:
    names = [c.name for c in table.columns]
    if not names:
        raise SchemaError(f"table {table.name} has no columns", "give at least one column")
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise SchemaError(
            f"table {table.name} names column {sorted(dupes)[0]} twice", "rename one of them"
        )
    for col in table.primary_key:
        table.column(col)
    for column in table.columns:
        _check_column_type(column, schema)
    for fk in table.foreign_keys:
        _check_fk(fk, table, schema.with_table(table))
    for index in table.indexes:
        _check_name_free(schema, index.name)


def _check_column_type(column: Column, schema: Schema) -> None:
    if not column.type.strip():
        raise SchemaError(f"column {column.name} has no type", "give a SQL type, e.g. text")


def _column_users(schema: Schema, table: Table, column: str) -> list[str]:
    users: list[str] = []
    if column in table.primary_key:
        users.append("the primary key")
    for i in table.indexes:
        used = any(
            c == column if is_identifier(c) else column in expression_columns(c) for c in i.columns
        ) or (i.where is not None and column in expression_columns(i.where))
        if used:
            users.append(f"index {i.name}")
    users += [f"unique {u.name or ''}".strip() for u in table.uniques if column in u.columns]
    users += [
        f"foreign key {f.name or ''}".strip() for f in table.foreign_keys if column in f.columns
    ]
    users += [
        f"check {c.name or ''}".strip()
        for c in table.checks
        if column in expression_columns(c.expression)
    ]
    for other, fk in schema.referencing(table.name):
        if column in fk.ref_columns:
            users.append(f"foreign key {fk.name or ''} on {other.name}".replace("  ", " "))
    return users


def operation_from_dict(data: dict[str, Any]) -> Operation:
    """Rebuild an operation from `to_dict()` output (used by the model boundary and eval cases)."""
    from .opcodec import decode

    return decode(data)


# The operations only the zero-downtime rewrite produces (they register on import).
from . import ops_safe as _ops_safe  # noqa: E402, F401
