"""A before Schema from plain DDL (CREATE TABLE / INDEX / TYPE), for linting without a database.

Rules that need the existing schema (the old type of a column, its checks, who references a
table) read `LintContext.before`. When no database is at hand, a schema dump or a hand-written
`schema.sql` gives the same facts: this reads one with the lint's own statement reader.
"""

from __future__ import annotations

from ..schema import (
    CheckConstraint,
    Column,
    EnumType,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
    canonical_type,
    is_serial,
)
from .base import family_of
from .cursor import short
from .statement import parse_statements


def schema_from_sql(sql: str, dialect: str = "postgresql") -> Schema:
    """The schema the DDL in `sql` builds (statements it does not model are skipped)."""
    tables: dict[str, Table] = {}
    enums: list[EnumType] = []
    for stmt in parse_statements(sql, family_of(dialect)):
        shape = stmt.shape
        if stmt.kind == "create_table" and shape.table:
            tables[short(shape.table).lower()] = _table(short(shape.table), shape)
        elif stmt.kind == "create_index" and shape.table:
            key = short(shape.table).lower()
            if key in tables:
                table = tables[key]
                index = Index(
                    shape.name or f"{table.name}_idx{len(table.indexes)}",
                    shape.index_columns,
                    unique=shape.has("UNIQUE"),
                    where=shape.options.get("WHERE"),
                )
                tables[key] = Table(
                    table.name, table.columns, table.primary_key, table.uniques,
                    (*table.indexes, index), table.foreign_keys, table.checks, table.comment,
                )  # fmt: skip
        elif stmt.kind == "create_type" and shape.has("ENUM") and shape.name:
            enums.append(EnumType(short(shape.name), shape.index_columns))
    return Schema(tuple(tables.values()), tuple(enums))


def _table(name: str, shape: object) -> Table:
    columns = []
    pk: list[str] = []
    uniques: list[UniqueConstraint] = []
    fks: list[ForeignKey] = []
    checks: list[CheckConstraint] = []
    for col in getattr(shape, "columns", ()):
        if col.primary_key:
            pk.append(col.name)
        if col.unique:
            uniques.append(UniqueConstraint(None, (col.name,)))
        if col.references:
            fks.append(
                ForeignKey(None, (col.name,), short(col.references), col.ref_columns or ("id",))
            )
        if col.check:
            checks.append(CheckConstraint(None, col.check))
        columns.append(
            Column(
                col.name,
                canonical_type(col.type) if col.type else "text",
                nullable=not col.not_null and not col.primary_key,
                default=col.default,
                identity=col.identity or is_serial(col.type),
            )
        )
    for con in getattr(shape, "constraints", ()):
        if con.kind == "primary_key":
            pk = list(con.columns)
        elif con.kind == "unique":
            uniques.append(UniqueConstraint(con.name, con.columns))
        elif con.kind == "foreign_key" and con.ref_table:
            fks.append(ForeignKey(con.name, con.columns, short(con.ref_table), con.ref_columns))
        elif con.kind == "check" and con.expression:
            checks.append(CheckConstraint(con.name, con.expression))
    keyed = {c.lower() for c in pk}
    columns = [
        Column(c.name, c.type, False, c.default, c.identity) if c.name.lower() in keyed else c
        for c in columns
    ]
    return Table(name, tuple(columns), tuple(pk), tuple(uniques), (), tuple(fks), tuple(checks))
