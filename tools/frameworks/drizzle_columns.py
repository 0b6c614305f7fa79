"""Drizzle column builders for a migwright Column, per dialect's `*-core` module.

What `pgTable` / `sqliteTable` / `mysqlTable` say for a column (`varchar("title", { length:
200 }).notNull()`), spelled so that `drizzle-kit push` against the table the migration made
finds nothing to change: the builder for the column's type in that dialect's core module, the
column's own name as the first argument, and the chain for primary key, identity, not null,
default, a single-column unique (with the migration's constraint name) and a foreign key whose
name is the one drizzle would give it anyway. Other keys go in the table's extra-config
callback (see `drizzle_models`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..schema import Column, ForeignKey, Schema, Table, canonical_type
from .jsstyle import JsStyle, quote

_TYPE = re.compile(r"^([a-z_ ]+?)\s*(?:\((\d+)(?:\s*,\s*(\d+))?\))?$")

#: canonical type -> builder, per core module (None: no exact builder; the nearest is used).
_PG = {
    "integer": "integer", "smallint": "smallint", "bigint": "bigint", "text": "text",
    "varchar": "varchar", "char": "char", "boolean": "boolean", "timestamp": "timestamp",
    "timestamptz": "timestamp", "date": "date", "numeric": "numeric", "real": "real",
    "double precision": "doublePrecision", "json": "json", "jsonb": "jsonb", "uuid": "uuid",
    "serial": "serial", "bigserial": "bigserial", "time": "time", "interval": "interval",
}  # fmt: skip
_SQLITE = {
    "integer": "integer", "text": "text", "real": "real", "blob": "blob", "numeric": "numeric",
    "varchar": "text", "char": "text", "boolean": "integer", "bigint": "integer",
    "smallint": "integer", "double precision": "real", "timestamp": "integer",
    "timestamptz": "integer", "date": "text", "json": "text",
}  # fmt: skip
_MYSQL = {
    "integer": "int", "smallint": "smallint", "bigint": "bigint", "text": "text",
    "varchar": "varchar", "char": "char", "boolean": "boolean", "timestamp": "timestamp",
    "timestamptz": "timestamp", "datetime": "datetime", "date": "date", "numeric": "decimal",
    "decimal": "decimal", "real": "float", "double precision": "double", "json": "json",
}  # fmt: skip
CORE = {"postgresql": "pg-core", "sqlite": "sqlite-core", "mysql": "mysql-core"}
TABLE_FN = {"postgresql": "pgTable", "sqlite": "sqliteTable", "mysql": "mysqlTable"}
_NOW = {"now()", "current_timestamp", "current_timestamp()", "localtimestamp"}


@dataclass
class Needs:
    """What the rendered code uses: builders from the core module, and `sql` from drizzle-orm."""

    core: set[str] = field(default_factory=set)
    sql: bool = False


def exact_type(column: Column, dialect: str) -> bool:
    """Whether the dialect's core module has a builder that spells this type exactly (SQLite's
    sqlite-core has integer, text, real, blob and numeric only)."""
    base = _base(column)[0]
    if dialect == "sqlite":
        return base in ("integer", "text", "real", "blob", "numeric")
    return base in (_PG if dialect == "postgresql" else _MYSQL)


def builder(
    column: Column,
    table: Table,
    schema: Schema,
    dialect: str,
    refs: dict[tuple[str, str], str],
    style: JsStyle,
    needs: Needs,
) -> list[str]:
    """The builder chain as parts: `integer("id")`, `.primaryKey()`, ... (joined by the caller,
    flat or one call a line, as prettier would). `refs` maps (table, column) to the code that
    names it (`users.id`), for the columns of the tables the schema file defines."""
    base, first, second = _base(column)
    table_map = {"postgresql": _PG, "sqlite": _SQLITE, "mysql": _MYSQL}[dialect]
    enum = schema.enum(canonical_type(column.type))
    q = lambda text: quote(text, style)  # noqa: E731
    if enum is not None and dialect == "postgresql":
        head = f"{_camel(enum.name)}({q(column.name)})"
    else:
        fn = table_map.get(base, "text")
        needs.core.add(fn)
        options = _type_options(fn, base, first, second, dialect)
        head = f"{fn}({q(column.name)}{', { ' + options + ' }' if options else ''})"
    parts = [head]
    if table.primary_key == (column.name,):
        parts.append(".primaryKey()")
        if column.identity and dialect == "postgresql":
            parts.append(".generatedByDefaultAsIdentity()")
        elif column.identity and dialect == "mysql":
            parts.append(".autoincrement()")
    elif not column.nullable:
        parts.append(".notNull()")
    if column.default is not None:
        parts.append(_default(column.default, dialect, style, needs))
    for unique in table.uniques:
        if unique.columns == (column.name,):
            parts.append(f".unique({q(unique.name)})" if unique.name else ".unique()")
    for fk in table.foreign_keys:
        target = refs.get((fk.ref_table, fk.ref_columns[0]))
        if fk.columns == (column.name,) and inline_fk(fk, table, dialect) and target:
            actions = fk_actions(fk, style)
            parts.append(f".references(() => {target}{', { ' + actions + ' }' if actions else ''})")
    return parts


def inline_fk(fk: ForeignKey, table: Table, dialect: str) -> bool:
    """Whether `.references()` says this key: drizzle names it `<t>_<c>_<rt>_<rc>_fk`, and
    SQLite keeps no names at all; otherwise `foreignKey({ name, ... })` in the extras."""
    if len(fk.columns) != 1:
        return False
    default = f"{table.name}_{fk.columns[0]}_{fk.ref_table}_{fk.ref_columns[0]}_fk"
    return dialect == "sqlite" or fk.name in (None, default)


def fk_actions(fk: ForeignKey, style: JsStyle) -> str:
    out = []
    for key, value in (("onDelete", fk.on_delete), ("onUpdate", fk.on_update)):
        if value and value.lower() != "no action":
            out.append(f"{key}: {quote(value.lower(), style)}")
    return ", ".join(out)


def _base(column: Column) -> tuple[str, str | None, str | None]:
    canonical = canonical_type(column.type)
    m = _TYPE.match(canonical)
    return (m[1], m[2], m[3]) if m else (canonical, None, None)


def _type_options(fn: str, base: str, first: str | None, second: str | None, dialect: str) -> str:
    if fn in ("varchar", "char") and first:
        return f"length: {first}"
    if fn == "text" and base in ("varchar", "char") and first and dialect == "sqlite":
        return f"length: {first}"
    if base == "timestamptz" and dialect == "postgresql":
        return "withTimezone: true"
    if fn in ("numeric", "decimal") and first:
        return f"precision: {first}" + (f", scale: {second}" if second else "")
    if fn == "bigint" and dialect != "sqlite":
        return 'mode: "number"'
    if dialect == "sqlite" and base == "boolean":
        return 'mode: "boolean"'
    return ""


def _default(sql: str, dialect: str, style: JsStyle, needs: Needs) -> str:
    text = re.sub(r"::[\w ]+(\[\])?$", "", sql.strip())
    if text.lower() in _NOW and dialect == "postgresql":
        return ".defaultNow()"
    if re.fullmatch(r"-?\d+(\.\d+)?", text) or text.lower() in ("true", "false"):
        return f".default({text.lower()})"
    if re.fullmatch(r"'(?:[^']|'')*'", text):
        return f".default({quote(text[1:-1].replace(chr(39) * 2, chr(39)), style)})"
    needs.sql = True
    return f".default(sql`{sql.strip()}`)"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)
