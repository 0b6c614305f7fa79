"""SQLAlchemy spellings of schema things, shared by the Alembic revision and models renderers.

A revision file writes `sa.String(length=32)`, a models file `String(32)` imported from
sqlalchemy; both come from here so that the table a revision creates and the table the models
describe are the same table. Types are spelled for the target dialect the way a maintainer
of that database would write them, chosen so that SQLAlchemy's DDL gives the column the type
migwright's own SQL would (`sa.BigInteger().with_variant(sa.Integer(), "sqlite")` for an
identity key: only INTEGER makes SQLite's rowid alias). A type with no faithful spelling is
`None`, and the caller falls back to raw SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..dialects import Dialect
from ..dialects.base import identity_of, is_literal, parse_default
from ..schema import Column, Schema, canonical_type
from .pycode import Code, call, py

PG_IMPORT = "from sqlalchemy.dialects import postgresql"

#: canonical type -> (SQLAlchemy type name, keyword arguments) where it is the same everywhere.
_SIMPLE = {
    "integer": "Integer",
    "bigint": "BigInteger",
    "smallint": "SmallInteger",
    "boolean": "Boolean",
    "double": "Double",
    "text": "Text",
    "date": "Date",
    "blob": "LargeBinary",
}


@dataclass
class Spelling:
    """How names are written: `sa.` attributes in revisions, bare imported names in models.

    `names` collects the bare names a models file must import from sqlalchemy; `imports`
    collects extra import lines (the PostgreSQL dialect module).
    """

    prefix: str = "sa."
    names: set[str] = field(default_factory=set)
    imports: set[str] = field(default_factory=set)

    def sa(self, name: str) -> str:
        if not self.prefix:
            self.names.add(name)
        return self.prefix + name

    def pg(self, name: str) -> str:
        self.imports.add(PG_IMPORT)
        return f"postgresql.{name}"


def sa_type(
    canonical: str, dialect: Dialect, schema: Schema, spell: Spelling, column: Column | None = None
) -> Code | None:
    """The SQLAlchemy type for a canonical type on `dialect`, or None when there is none."""
    kind = canonical_type(canonical)
    base, _, args = kind.partition("(")
    args = args.rstrip(")")
    name = dialect.name
    if column is not None and identity_of(column) and kind == "bigint" and name == "sqlite":
        variant = call(spell.sa("Integer"))
        return call(f"{spell.sa('BigInteger')}().with_variant", variant, py("sqlite"))
    if kind.endswith("[]"):
        inner = sa_type(kind[:-2], dialect, schema, spell)
        return call(spell.pg("ARRAY"), inner) if name == "postgresql" and inner else None
    enum = next((e for e in schema.enums if e.name.lower() == kind), None)
    if enum is not None:
        values = [py(v) for v in enum.values]
        if name == "postgresql":
            return call(spell.pg("ENUM"), *values, name=py(enum.name), create_type="False")
        if name == "mysql":
            return call(spell.sa("Enum"), *values, name=py(enum.name))
        return call(spell.sa("Text"))
    if kind in _SIMPLE:
        return call(spell.sa(_SIMPLE[kind]))
    if kind == "real":
        return call(spell.sa("Float" if name == "mysql" else "REAL"))
    if base == "numeric":
        if not args:
            return None if name == "mysql" else call(spell.sa("Numeric"))
        precision, _, scale = args.partition(",")
        return call(spell.sa("Numeric"), precision=precision, scale=scale or "0")
    if base in ("varchar", "char"):
        sa_name = "String" if base == "varchar" else "CHAR"
        if not args:
            return None if name == "mysql" else call(spell.sa(sa_name))
        return call(spell.sa(sa_name), length=args)
    if kind in ("timestamp", "timestamptz", "time", "timetz"):
        sa_name = "DateTime" if kind.startswith("timestamp") else "Time"
        if kind.endswith("tz") and name == "postgresql":
            return call(spell.sa(sa_name), timezone="True")
        return call(spell.sa(sa_name))
    if kind in ("json", "jsonb"):
        if kind == "jsonb" and name == "postgresql":
            return call(spell.pg("JSONB"))
        return call(spell.sa("JSON")) if kind == "json" or name == "mysql" else None
    if kind == "uuid":
        if name == "mysql":
            return call(spell.sa("CHAR"), length="36")
        return call(spell.sa("Uuid" if name == "postgresql" else "UUID"))
    if kind == "interval" and name == "postgresql":
        return call(spell.sa("Interval"))
    if base in ("enum", "set") and name == "mysql" and args:
        values = [v.strip().strip("'") for v in args.split("','")]
        return call(spell.sa("Enum"), *(py(v) for v in values))
    return None


def server_default(
    column: Column, dialect: Dialect, schema: Schema, spell: Spelling
) -> Code | None:
    """`server_default=` for a column: a plain string for literals, `sa.text()` otherwise.

    Literals are given as Python strings (SQLAlchemy quotes them for every dialect), booleans
    as `sa.true()` / `sa.false()` (SQLAlchemy writes 1/0 where there is no boolean), anything
    else as the expression the dialect's own SQL would use.
    """
    if column.default is None or identity_of(column):
        return None
    tree = parse_default(column.default)
    kind = canonical_type(column.type)
    if tree is not None and is_literal(tree):
        text = tree.sql(dialect="postgres")
        if kind == "boolean" and text.upper() in ("TRUE", "FALSE"):
            return call(spell.sa(text.lower()))
        if text.startswith("'") and text.endswith("'"):
            return py(text[1:-1].replace("''", "'"))
        if text.upper() != "NULL":
            return py(text)
    sql = dialect.default_sql(column, schema)
    if sql is None:
        return None
    return call(spell.sa("text"), py(sql))
