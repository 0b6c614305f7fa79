"""What every SQL dialect shares: statements, quoting, expressions, folding and dispatch.

A dialect is one small object (`Dialect` subclass) plus a table from operation class to a
render function (Alembic's `ddl/impl.py` under `ddl/postgresql.py`, sqlglot's `dialects/`):
a newcomer adding a dialect reads one module and copies its shape. The render functions here
are the ones whose SQL is the same everywhere once the dialect has quoted the names, spelled
the types and translated the expressions; each dialect module reuses them in its own table and
writes only what differs.

Expressions (defaults, checks, index expressions and predicates, backfills) are written in
PostgreSQL's spelling, as the request parser reads them. PostgreSQL gets them verbatim; the
other dialects get them through sqlglot, with every CAST's target type spelled by the
dialect's own type map, because sqlglot's type transpilation is not trustworthy for DDL
(`bigserial` stays `BIGSERIAL` for MySQL, `numeric(12,2)` becomes `REAL(12, 2)` for SQLite).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import sqlglot
from sqlglot import exp

from .. import ops as o
from ..errors import DialectError
from ..ops_safe import DropInvalidIndex, Guarded, PrepareUniqueIndex, ValidateConstraint
from ..schema import (
    Column,
    ForeignKey,
    Index,
    Schema,
    Table,
    canonical_type,
    is_identifier,
    is_serial,
)


@dataclass(frozen=True)
class Statement:
    """One SQL statement, the operation it came from (index in the plan) and why it is so.

    `transactional=False` marks statements that must run outside a transaction block
    (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE, SQLite's PRAGMA foreign_keys).
    """

    sql: str
    transactional: bool = True
    op_index: int = 0
    note: str | None = None


#: A render function: (dialect, operation, schema before it, schema after it) -> statements.
Renderer = Callable[[Any, Any, Schema, Schema], list[Statement]]

_PLAIN_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_INTEGER_TYPES = ("smallint", "integer", "bigint")


def identity_of(column: Column) -> bool:
    """Auto-numbering, however it was spelled: `identity=True` or a serial type name."""
    return column.identity or is_serial(column.type)


@dataclass(frozen=True)
class Dialect:
    """The rules of one SQL dialect. Subclasses set the class variables and the type map.

    `version` is the server version when it is known (it picks between spellings, e.g. MySQL's
    RENAME COLUMN from 8.0); None renders for the versions migwright supports.
    """

    renderers: Mapping[type[o.Operation], Renderer] = field(
        default_factory=dict, repr=False, compare=False
    )
    version: tuple[int, ...] | None = None

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    sqlglot_name: ClassVar[str] = ""
    quote_char: ClassVar[str] = '"'
    reserved: ClassVar[frozenset[str]] = frozenset()
    #: Whether DDL can be rolled back, so a script may wrap itself in BEGIN/COMMIT.
    transactional_ddl: ClassVar[bool] = True

    def with_version(self, version: tuple[int, ...] | None) -> Dialect:
        return replace(self, version=version)

    # -- dispatch -----------------------------------------------------------------------------
    def render(self, op: o.Operation, before: Schema, after: Schema) -> list[Statement]:
        """The statements for one operation, found by its class (or the nearest base class)."""
        for cls in type(op).__mro__:
            renderer = self.renderers.get(cls)
            if renderer is not None:
                return renderer(self, op, before, after)
        raise DialectError(
            f"{op.describe().strip()}: no {self.label} rendering for {type(op).__name__}",
            "express it as --sql with an explicit reverse",
        )

    # -- names and literals -------------------------------------------------------------------
    def quote(self, name: str) -> str:
        """`name` as written when it is a plain lower-case word, quoted otherwise."""
        if _PLAIN_NAME.match(name) and name not in self.reserved:
            return name
        q = self.quote_char
        return f"{q}{name.replace(q, q + q)}{q}"

    def names(self, names: Iterable[str]) -> str:
        return ", ".join(self.quote(n) for n in names)

    def literal(self, value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    # -- types --------------------------------------------------------------------------------
    def render_type(self, canonical: str, column: Column | None, schema: Schema) -> str:
        """The dialect's spelling of a canonical type (see `schema.canonical_type`)."""
        raise NotImplementedError

    def column_type(self, column: Column, schema: Schema) -> str:
        return self.render_type(canonical_type(column.type), column, schema)

    def cast_type(self, canonical: str, schema: Schema) -> str:
        """The target of a CAST inside an expression (narrower than column types in MySQL)."""
        return self.render_type(canonical, None, schema)

    # -- expressions --------------------------------------------------------------------------
    def expression(self, text: str, schema: Schema) -> str:
        """A PostgreSQL-spelled expression in this dialect (verbatim when it cannot parse)."""
        tree = _parse(text)
        if tree is None:
            return text.strip()
        return self._translate(tree, schema).sql(dialect=self.sqlglot_name)

    def _translate(self, tree: exp.Expr, schema: Schema) -> exp.Expr:
        def fix(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Cast) and isinstance(node.args.get("to"), exp.DataType):
                target = canonical_type(node.args["to"].sql(dialect="postgres"))
                spelled = self.cast_type(target, schema)
                kind = exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=spelled)
                return exp.Cast(this=node.this, to=kind)
            if isinstance(node, exp.Identifier):
                return exp.Identifier(this=node.name, quoted=self.quote(node.name) != node.name)
            return node

        return tree.copy().transform(fix)

    def default_sql(self, column: Column, schema: Schema) -> str | None:
        """The DEFAULT clause's expression, or None for no default (identity has none)."""
        if column.default is None or identity_of(column):
            return None
        return column.default.strip()

    # -- clauses ------------------------------------------------------------------------------
    def column_definition(self, column: Column, table: Table, schema: Schema) -> str:
        parts = [self.quote(column.name), self.column_type(column, schema)]
        if not column.nullable:
            parts.append("NOT NULL")
        default = self.default_sql(column, schema)
        if default is not None:
            parts.append(f"DEFAULT {default}")
        return " ".join(parts)

    def foreign_key_clause(self, fk: ForeignKey, schema: Schema) -> str:
        text = (
            f"FOREIGN KEY ({self.names(fk.columns)}) "
            f"REFERENCES {self.quote(fk.ref_table)} ({self.names(fk.ref_columns)})"
        )
        if fk.on_delete:
            text += f" ON DELETE {fk.on_delete}"
        if fk.on_update:
            text += f" ON UPDATE {fk.on_update}"
        return text

    def named(self, name: str | None, body: str) -> str:
        return f"CONSTRAINT {self.quote(name)} {body}" if name else body

    def table_elements(self, table: Table, schema: Schema) -> list[str]:
        """Column definitions, then the primary key, uniques, foreign keys and checks."""
        elements = [self.column_definition(c, table, schema) for c in table.columns]
        if table.primary_key:
            self.check_indexable(table, table.primary_key, schema, "the primary key")
            elements.append(f"PRIMARY KEY ({self.names(table.primary_key)})")
        for u in table.uniques:
            self.check_indexable(table, u.columns, schema, f"unique {u.name or ''}")
            elements.append(self.named(u.name, f"UNIQUE ({self.names(u.columns)})"))
        for fk in table.foreign_keys:
            self.check_indexable(table, fk.columns, schema, f"foreign key {fk.name or ''}")
            elements.append(self.named(fk.name, self.foreign_key_clause(fk, schema)))
        for ck in table.checks:
            elements.append(
                self.named(ck.name, f"CHECK ({self.expression(ck.expression, schema)})")
            )
        return elements

    def create_table_sql(self, table: Table, schema: Schema, name: str | None = None) -> str:
        body = ",\n    ".join(self.table_elements(table, schema))
        options = self.table_options(table)
        return f"CREATE TABLE {self.quote(name or table.name)} (\n    {body}\n){options}"

    def table_options(self, table: Table) -> str:
        return ""

    def index_element(self, element: str, schema: Schema) -> str:
        if is_identifier(element):
            return self.quote(element)
        return f"({self.expression(element, schema)})"

    def create_index_sql(
        self, table: str, index: Index, schema: Schema, concurrently: bool = False
    ) -> str:
        unique = "UNIQUE " if index.unique else ""
        cols = ", ".join(self.index_element(c, schema) for c in index.columns)
        sql = f"CREATE {unique}INDEX {self.quote(index.name)} ON {self.quote(table)} ({cols})"
        if index.where:
            sql += f" WHERE {self.expression(index.where, schema)}"
        return sql

    def check_indexable(
        self, table: Table, columns: Iterable[str], schema: Schema, what: str
    ) -> None:
        """Raise when the dialect cannot index these columns (MySQL and TEXT)."""

    # -- comparison ---------------------------------------------------------------------------
    def comparable(self, schema: Schema) -> Schema:
        """`schema` as this dialect stores it: what it cannot tell apart is folded together.

        Applied to both the expected and the introspected schema before comparing them. Each
        type is rendered and read back with `canonical_type`, so the fold is exactly what the
        database keeps (MySQL's BOOLEAN is tinyint(1), its uuid is char(36)); defaults go
        through the same translation the DDL uses.
        """
        tables = tuple(self.comparable_table(t, schema) for t in schema.tables)
        return Schema(tables, schema.enums)

    def comparable_table(self, table: Table, schema: Schema) -> Table:
        columns = tuple(self.comparable_column(c, table, schema) for c in table.columns)
        return replace(table, columns=columns)

    def comparable_column(self, column: Column, table: Table, schema: Schema) -> Column:
        identity = identity_of(column)
        kind = canonical_type(self.column_type(replace(column, identity=identity), schema))
        folded = replace(column, type=kind, identity=identity)
        default = None if identity else _safe_default(self, folded, schema)
        return replace(folded, default=default, nullable=column.nullable and not identity)


def _safe_default(dialect: Dialect, column: Column, schema: Schema) -> str | None:
    try:
        return dialect.default_sql(column, schema)
    except DialectError:
        return column.default


def _parse(text: str) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(text.strip().replace("`", '"'), read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError):
        return None


def is_literal(tree: exp.Expr) -> bool:
    """A constant a DEFAULT may hold without parentheses in every dialect."""
    while isinstance(tree, exp.Paren):
        tree = tree.this
    if isinstance(tree, exp.Neg):
        tree = tree.this
    return isinstance(tree, exp.Literal | exp.Boolean | exp.Null)


def strip_literal_casts(tree: exp.Expr) -> exp.Expr:
    """`'{}'::jsonb` -> `'{}'`: PostgreSQL's typed literals are plain literals elsewhere."""

    def strip(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Cast) and is_literal(node.this):
            return node.this
        return node

    return tree.transform(strip)


_NOW_NAMES = frozenset({"now", "current_timestamp", "localtimestamp", "transaction_timestamp"})


def is_now(tree: exp.Expr) -> bool:
    """now(), CURRENT_TIMESTAMP, localtimestamp ... : the current time."""
    if isinstance(tree, exp.CurrentTimestamp):
        return True
    return isinstance(tree, exp.Anonymous | exp.Column) and tree.name.lower() in _NOW_NAMES


def parse_default(text: str) -> exp.Expr | None:
    tree = _parse(text)
    return None if tree is None else strip_literal_casts(tree)


def foreign_key_partners(schema: Schema, table: str, column: str) -> list[tuple[ForeignKey, str]]:
    """Foreign keys `table.column` takes part in (either side), each with the column at the
    other end as `table.column`: what a type change of the column must stay compatible with."""
    partners = []
    for t in schema.tables:
        for fk in t.foreign_keys:
            pairs = list(zip(fk.columns, fk.ref_columns, strict=False))
            for child, parent in pairs:
                if t.name == table and child == column:
                    partners.append((fk, f"{fk.ref_table}.{parent}"))
                elif fk.ref_table == table and parent == column:
                    partners.append((fk, f"{t.name}.{child}"))
    return partners


def is_integer_type(canonical: str) -> bool:
    return canonical in _INTEGER_TYPES


# ---------------------------------------------------------------------------------------------
# Render functions shared by the dialects (each dialect lists the ones it uses)
# ---------------------------------------------------------------------------------------------


def stmt(sql: str, transactional: bool = True, note: str | None = None) -> Statement:
    return Statement(sql, transactional=transactional, note=note)


def create_indexes(d: Dialect, table: Table, schema: Schema) -> list[Statement]:
    return [stmt(d.create_index_sql(table.name, i, schema)) for i in table.indexes]


def render_create_table(
    d: Dialect, op: o.CreateTable, before: Schema, after: Schema
) -> list[Statement]:
    return [stmt(d.create_table_sql(op.table, after)), *create_indexes(d, op.table, after)]


def render_drop_table(
    d: Dialect, op: o.DropTable, before: Schema, after: Schema
) -> list[Statement]:
    return [stmt(f"DROP TABLE {d.quote(op.name)}")]


def render_rename_table(
    d: Dialect, op: o.RenameTable, before: Schema, after: Schema
) -> list[Statement]:
    return [stmt(f"ALTER TABLE {d.quote(op.old)} RENAME TO {d.quote(op.new)}")]


def render_add_column(
    d: Dialect, op: o.AddColumn, before: Schema, after: Schema
) -> list[Statement]:
    table = after.table(op.table)
    definition = d.column_definition(op.column, table, after)
    return [stmt(f"ALTER TABLE {d.quote(op.table)} ADD COLUMN {definition}")]


def render_drop_column(
    d: Dialect, op: o.DropColumn, before: Schema, after: Schema
) -> list[Statement]:
    return [stmt(f"ALTER TABLE {d.quote(op.table)} DROP COLUMN {d.quote(op.column)}")]


def render_rename_column(
    d: Dialect, op: o.RenameColumn, before: Schema, after: Schema
) -> list[Statement]:
    return [
        stmt(
            f"ALTER TABLE {d.quote(op.table)} RENAME COLUMN {d.quote(op.old)} TO {d.quote(op.new)}"
        )
    ]


def render_create_index(
    d: Dialect, op: o.CreateIndex, before: Schema, after: Schema
) -> list[Statement]:
    d.check_indexable(after.table(op.table), op.index.columns, after, f"index {op.index.name}")
    sql = d.create_index_sql(op.table, op.index, after, concurrently=op.concurrently)
    return [stmt(sql, transactional=op.transactional)]


def render_add_foreign_key(
    d: Dialect, op: o.AddForeignKey, before: Schema, after: Schema
) -> list[Statement]:
    clause = d.named(op.foreign_key.name, d.foreign_key_clause(op.foreign_key, after))
    return [stmt(f"ALTER TABLE {d.quote(op.table)} ADD {clause}")]


def render_add_unique(
    d: Dialect, op: o.AddUnique, before: Schema, after: Schema
) -> list[Statement]:
    what = f"unique {op.unique.name or ''}"
    d.check_indexable(after.table(op.table), op.unique.columns, after, what)
    clause = d.named(op.unique.name, f"UNIQUE ({d.names(op.unique.columns)})")
    return [stmt(f"ALTER TABLE {d.quote(op.table)} ADD {clause}")]


def render_add_check(d: Dialect, op: o.AddCheck, before: Schema, after: Schema) -> list[Statement]:
    body = f"CHECK ({d.expression(op.check.expression, after)})"
    return [stmt(f"ALTER TABLE {d.quote(op.table)} ADD {d.named(op.check.name, body)}")]


def render_backfill(d: Dialect, op: o.Backfill, before: Schema, after: Schema) -> list[Statement]:
    sql = (
        f"UPDATE {d.quote(op.table)} SET {d.quote(op.column)} = "
        f"{d.expression(op.expression, after)}"
    )
    if op.where:
        sql += f" WHERE {d.expression(op.where, after)}"
    if not op.batch_size:
        return [stmt(sql)]
    # The frameworks that run code write the batched loop (tools/backfill.py) themselves; for
    # SQL, PostgreSQL runs the batches in a DO block that commits after each (outside any
    # transaction: the SQL-file renderers give it a step of its own). Elsewhere a SQL file
    # runs in one transaction: one UPDATE of the pending rows (safe to re-run).
    from .. import backfill

    if d.name == "postgresql":
        note = backfill.BATCHES_NOTE.format(size=op.batch_size, table=op.table)
        block = backfill.pg_do_block(d, op, after, op.batch_size, op.throttle_ms or 0)
        return [stmt(block, transactional=False, note=note)]
    note = backfill.single_note(d, op, op.batch_size)
    return [stmt(backfill.single_update(d, op, after), note=note)]


def render_raw_sql(d: Dialect, op: o.RawSQL, before: Schema, after: Schema) -> list[Statement]:
    sql = op.sql.strip().rstrip(";").strip()
    return [stmt(sql, note="raw SQL, run as written")] if sql else []


def render_noop(d: Dialect, op: o.NoOp, before: Schema, after: Schema) -> list[Statement]:
    return []


def render_guarded(d: Dialect, op: Guarded, before: Schema, after: Schema) -> list[Statement]:
    """The SQL the zero-downtime rewrite wrote for this dialect, one statement at a time."""
    from ..sqlscript import split_sql

    note = op.note or None
    return [
        stmt(part.sql.strip().rstrip(";").strip(), op.transactional, note if i == 0 else None)
        for i, part in enumerate(split_sql(op.sql))
    ]


#: The render functions every dialect starts from; each module overrides what differs.
COMMON: dict[type[o.Operation], Renderer] = {
    o.CreateTable: render_create_table,
    o.DropTable: render_drop_table,
    o.RenameTable: render_rename_table,
    o.AddColumn: render_add_column,
    o.DropColumn: render_drop_column,
    o.RenameColumn: render_rename_column,
    o.CreateIndex: render_create_index,
    o.AddForeignKey: render_add_foreign_key,
    o.AddUnique: render_add_unique,
    o.AddCheck: render_add_check,
    o.Backfill: render_backfill,
    o.RawSQL: render_raw_sql,
    o.NoOp: render_noop,
    Guarded: render_guarded,
    # PostgreSQL-only steps of the zero-downtime rewrite: nothing to do elsewhere.
    ValidateConstraint: render_noop,
    DropInvalidIndex: render_noop,
    PrepareUniqueIndex: render_noop,
}
