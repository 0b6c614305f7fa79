"""SQLite: declared type names, the rowid alias, native ALTER where it exists, rebuilds elsewhere.

- Types are stored as declared (a name that only sets the column's affinity), so the type map
  writes the canonical name; PostgreSQL enum columns become TEXT, and enum operations render
  nothing.
- Auto-numbering is the rowid alias: a single-column primary key declared exactly INTEGER.
  An identity column is declared INTEGER for that reason; identity anywhere else does not exist.
- Native ALTER TABLE: RENAME TO, RENAME COLUMN, DROP COLUMN (migwright only drops columns
  nothing uses, which is SQLite's own condition) and ADD COLUMN within its limits (no NOT
  NULL without a default, no CURRENT_TIMESTAMP or parenthesised expression as default).
  Everything else goes through the table rebuild in `sqlite_rebuild`.
- No comments, no index methods, no concurrent builds: folded away by `comparable`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from sqlalchemy.dialects.sqlite.base import SQLiteIdentifierPreparer

from .. import ops as o
from ..errors import DialectError
from ..schema import Column, Index, Schema, Table, canonical_type
from .base import (
    COMMON,
    Dialect,
    Renderer,
    Statement,
    identity_of,
    is_integer_type,
    is_literal,
    is_now,
    parse_default,
    stmt,
)
from .sqlite_rebuild import rebuild

_TYPES = {
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "smallint": "SMALLINT",
    "boolean": "BOOLEAN",
    "double": "DOUBLE",
    "real": "REAL",
    "numeric": "NUMERIC",
    "text": "TEXT",
    "timestamp": "TIMESTAMP",
    "timestamptz": "TIMESTAMPTZ",
    "date": "DATE",
    "time": "TIME",
    "timetz": "TIMETZ",
    "json": "JSON",
    "jsonb": "JSONB",
    "uuid": "UUID",
    "blob": "BLOB",
    "interval": "INTERVAL",
}


def affinity(declared: str) -> str:
    """SQLite's type affinity of a declared type name (sqlite.org/datatype3.html, 3.1)."""
    name = declared.upper()
    if "INT" in name:
        return "INTEGER"
    if any(word in name for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in name or not name.strip():
        return "BLOB"
    if any(word in name for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


@dataclass(frozen=True)
class SQLiteDialect(Dialect):
    name: ClassVar[str] = "sqlite"
    label: ClassVar[str] = "SQLite"
    sqlglot_name: ClassVar[str] = "sqlite"
    quote_char: ClassVar[str] = '"'
    reserved: ClassVar[frozenset[str]] = frozenset(SQLiteIdentifierPreparer.reserved_words)
    transactional_ddl: ClassVar[bool] = True

    def render_type(self, canonical: str, column: Column | None, schema: Schema) -> str:
        if canonical.endswith("[]"):
            raise DialectError(f"SQLite has no array types ({canonical})", "store the list as json")
        if column is not None and identity_of(column):
            if not is_integer_type(canonical):
                raise DialectError(
                    f"identity column {column.name} must be an integer, not {canonical}",
                    "give the column an integer type, or drop identity and use a default",
                )
            return "INTEGER"  # only INTEGER makes a primary key the rowid alias
        base = canonical.split("(")[0]
        if canonical.startswith(("enum(", "set(")) or any(
            e.name.lower() == canonical for e in schema.enums
        ):
            return "TEXT"
        if canonical in _TYPES:
            return _TYPES[canonical]
        if base in _TYPES or base in ("varchar", "char"):
            return base.upper() + canonical[len(base) :]
        return canonical.upper()

    def cast_type(self, canonical: str, schema: Schema) -> str:
        rendered = self.render_type(canonical, None, schema)
        if canonical in ("timestamp", "timestamptz", "date", "time", "timetz"):
            return "TEXT"  # dates are text here; CAST to NUMERIC would keep only the year
        return affinity(rendered)

    def default_sql(self, column: Column, schema: Schema) -> str | None:
        if column.default is None or identity_of(column):
            return None
        tree = parse_default(column.default)
        if tree is None:
            return column.default.strip()
        if is_now(tree):
            return "CURRENT_TIMESTAMP"
        sql = self._translate(tree, schema).sql(dialect=self.sqlglot_name)
        return sql if is_literal(tree) else f"({sql})"

    def create_index_sql(
        self, table: str, index: Index, schema: Schema, concurrently: bool = False
    ) -> str:
        if index.using and index.using.lower() != "btree":
            raise DialectError(f"SQLite has no {index.using} indexes ({index.name})", "drop USING")
        return super().create_index_sql(table, index, schema)

    def comparable_table(self, table: Table, schema: Schema) -> Table:
        """Identity only on the rowid alias, no comments, no index methods, no time zones.

        SQLite has no time zone type: SQLAlchemy and Django declare a zone-aware datetime as
        DATETIME, migwright as TIMESTAMPTZ; both store the same text.
        """
        columns = []
        for column in table.columns:
            kind = canonical_type(self.column_type(column, schema))
            kind = _NO_ZONES.get(kind, kind)
            rowid = table.primary_key == (column.name,) and kind == "integer"
            folded = replace(column, type=kind, identity=rowid, comment=None)
            default = None if rowid else _default_or_text(self, folded, schema)
            columns.append(replace(folded, default=default, nullable=column.nullable and not rowid))
        return replace(
            table,
            columns=tuple(columns),
            indexes=tuple(replace(i, using=None) for i in table.indexes),
            comment=None,
        )

    def comparable(self, schema: Schema) -> Schema:
        folded = super().comparable(schema)
        return Schema(folded.tables, ())


_NO_ZONES = {"timestamptz": "timestamp", "timetz": "time"}


def _default_or_text(d: SQLiteDialect, column: Column, schema: Schema) -> str | None:
    try:
        return d.default_sql(replace(column, identity=False), schema)
    except DialectError:
        return column.default


def _native_add(d: SQLiteDialect, column: Column, schema: Schema) -> bool:
    """Whether ALTER TABLE ADD COLUMN can add this column (sqlite.org/lang_altertable.html)."""
    default = d.default_sql(column, schema)
    if not column.nullable and default is None:
        return False
    return default is None or not (
        default.startswith("(") or default.upper().startswith("CURRENT_")
    )


# ---------------------------------------------------------------------------------------------
# Render functions
# ---------------------------------------------------------------------------------------------


def _add_column(
    d: SQLiteDialect, op: o.AddColumn, before: Schema, after: Schema
) -> list[Statement]:
    table = after.table(op.table)
    if _native_add(d, op.column, after):
        definition = d.column_definition(op.column, table, after)
        return [stmt(f"ALTER TABLE {d.quote(op.table)} ADD COLUMN {definition}")]
    why = f"add column {op.column.name}: ADD COLUMN cannot add it with this default/NOT NULL"
    return rebuild(d, before.table(op.table), table, after, why)


def _alter_column(
    d: SQLiteDialect, op: o.AlterColumn, before: Schema, after: Schema
) -> list[Statement]:
    old_table, new_table = before.table(op.table), after.table(op.table)
    old, new = old_table.column(op.column), new_table.column(op.column)
    conversions: dict[str, str] = {}
    if op.using:
        conversions[op.column] = d.expression(op.using, after)
    elif op.type is not None:
        was, now = affinity(d.column_type(old, before)), affinity(d.column_type(new, after))
        if now == "INTEGER" and was in ("REAL", "NUMERIC"):
            # affinity alone would keep 1.5 as a REAL in an INTEGER column
            conversions[op.column] = f"CAST({d.quote(op.column)} AS INTEGER)"
    return rebuild(d, old_table, new_table, after, f"alter column {op.column}", conversions)


def _rebuild_for(what: str) -> Renderer:
    def render(d: SQLiteDialect, op: o.Operation, before: Schema, after: Schema) -> list[Statement]:
        name = op.tables[0]
        return rebuild(d, before.table(name), after.table(name), after, what)

    return render


def _drop_index(
    d: SQLiteDialect, op: o.DropIndex, before: Schema, after: Schema
) -> list[Statement]:
    return [stmt(f"DROP INDEX {d.quote(op.name)}")]


def _create_index(
    d: SQLiteDialect, op: o.CreateIndex, before: Schema, after: Schema
) -> list[Statement]:
    return [stmt(d.create_index_sql(op.table, op.index, after))]


def _nothing(d: SQLiteDialect, op: o.Operation, before: Schema, after: Schema) -> list[Statement]:
    """SQLite has no enum types: enum columns are TEXT, so there is nothing to do."""
    return []


RENDERERS: dict[type[o.Operation], Renderer] = {
    **COMMON,
    o.AddColumn: _add_column,
    o.AlterColumn: _alter_column,
    o.CreateIndex: _create_index,
    o.DropIndex: _drop_index,
    o.AddForeignKey: _rebuild_for("add foreign key"),
    o.AddUnique: _rebuild_for("add unique constraint"),
    o.AddCheck: _rebuild_for("add check constraint"),
    o.DropConstraint: _rebuild_for("drop constraint"),
    o.CreateEnum: _nothing,
    o.DropEnum: _nothing,
    o.AddEnumValue: _nothing,
}

DIALECT = SQLiteDialect(renderers=RENDERERS)
