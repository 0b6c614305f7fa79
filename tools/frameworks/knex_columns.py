"""Knex column builders: which `table.<type>(...)` call gives the column a plan asks for.

A Knex migration is meant to be portable, but what each builder creates differs by client:
`table.timestamp()` is `timestamptz` on PostgreSQL and `datetime` on SQLite, `decimal()` is
`float` on SQLite, `smallint()` is `integer` there. The validator compares the database with
the plan, so a builder is used only when what Knex creates on the repo's client has the same
canonical type as the plan's column (checked against knex 3's column compilers, below);
otherwise the column is `table.specificType(name, '<the dialect's type>')`, which is exact.
Defaults follow the same rule: plain literals through `defaultTo(value)`, the current time
through `knex.fn.now()`, anything else through `knex.raw(...)` in the dialect's SQL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from sqlglot import exp

from ..dialects import Dialect
from ..dialects.base import identity_of, is_now, parse_default
from ..schema import Column, Schema, Table, canonical_type
from .jsrender import Call, Member, Node, Raw, Str, chain, obj, value

_PG, _MY, _LITE = "postgresql", "mysql", "sqlite"


def _all(kind: str) -> dict[str, str]:
    return {_PG: kind, _MY: kind, _LITE: kind}


def candidates(canonical: str) -> list[tuple[str, tuple[Node, ...], dict[str, str]]]:
    """(builder, extra args, type knex creates per client) for a canonical type, best first."""
    base, _, rest = canonical.partition("(")
    args = rest.rstrip(")").split(",") if rest else []
    table: dict[str, list[tuple[str, tuple[Node, ...], dict[str, str]]]] = {
        "integer": [("integer", (), {_PG: "integer", _MY: "int", _LITE: "integer"})],
        "bigint": [("bigInteger", (), _all("bigint"))],
        "smallint": [("smallint", (), {_PG: "smallint", _MY: "smallint", _LITE: "integer"})],
        "text": [("text", (), _all("text"))],
        "boolean": [("boolean", (), _all("boolean"))],
        "date": [("date", (), _all("date"))],
        "time": [("time", (), _all("time"))],
        "json": [("json", (), _all("json"))],
        "jsonb": [("jsonb", (), {_PG: "jsonb", _MY: "json", _LITE: "json"})],
        "uuid": [("uuid", (), {_PG: "uuid", _MY: "char(36)", _LITE: "char(36)"})],
        "double": [("double", (), {_PG: "double precision", _MY: "double", _LITE: "float"})],
        "real": [("float", (), {_PG: "real", _LITE: "float"})],
        "blob": [("binary", (), {_PG: "bytea", _MY: "blob", _LITE: "blob"})],
        "timestamp": [
            ("datetime", (obj(precision=6),), {_MY: "datetime(6)"}),
            ("timestamp", (obj(useTz=False),), {_PG: "timestamp", _LITE: "datetime"}),
        ],
        "timestamptz": [
            ("timestamp", (), {_PG: "timestamptz"}),
            ("datetime", (obj(precision=6),), {_MY: "datetime(6)"}),
        ],
    }
    if base == "varchar" and args:
        return [("string", (Raw(args[0]),), _all(f"varchar({args[0]})"))]
    if base == "numeric" and len(args) == 2:
        p, s = args
        return [("decimal", (Raw(p), Raw(s)), {_PG: f"decimal({p},{s})", _MY: f"decimal({p},{s})"})]
    return table.get(canonical, [])


def builder(column: Column, d: Dialect, schema: Schema) -> tuple[str, tuple[Node, ...]]:
    """The builder name and its arguments after the column name, exact for dialect `d`."""
    wanted = canonical_type(d.column_type(replace(column, identity=False), schema))
    lob_default = (
        d.name == _MY and column.default is not None and wanted in ("text", "blob", "json")
    )
    if not lob_default:
        for name, args, made in candidates(canonical_type(column.type)):
            if d.name in made and canonical_type(made[d.name]) == wanted:
                return name, args
    return "specificType", (Str(d.column_type(replace(column, identity=False), schema)),)


def default_node(column: Column, d: Dialect, schema: Schema) -> Node | None:
    """`defaultTo`'s argument: a JS literal where Knex writes the same SQL, else knex.raw."""
    if column.default is None or identity_of(column):
        return None
    tree = parse_default(column.default)
    if tree is not None and is_now(tree):
        return Call(Member(Member(Raw("knex"), "fn"), "now"), (Raw("6"),) if d.name == _MY else ())
    sql = d.default_sql(column, schema)
    if sql is None:
        return None
    literal = _literal(tree, canonical_type(column.type)) if tree is not None else None
    if literal is not None and not sql.startswith("("):
        return literal
    return raw(sql)


def _literal(tree: exp.Expr, kind: str) -> Node | None:
    while isinstance(tree, exp.Paren):
        tree = tree.this
    negative = isinstance(tree, exp.Neg)
    inner = tree.this if negative else tree
    if isinstance(inner, exp.Boolean):
        return None if negative else Raw("true" if inner.this else "false")
    if isinstance(inner, exp.Literal):
        if inner.is_string:
            return None if negative else Str(inner.this)
        number = inner.this
        if re.fullmatch(r"\d+(\.\d+)?", number):
            return Raw(("-" if negative else "") + number)
    return None


def raw(sql: str) -> Node:
    """`knex.raw('...')` with `?` escaped (knex.raw reads `?` and `??` as bindings)."""
    return Call(Member(Raw("knex"), "raw"), (Str(sql.replace("?", "\\?")),))


def column_chain(
    column: Column, table: Table, d: Dialect, schema: Schema, unsigned: bool = False
) -> Node:
    """`table.string('email', 255).notNullable().defaultTo('x')` for one column.

    `unsigned` adds `.unsigned()`, which MySQL needs on a column referencing an
    `increments()` key (an `int unsigned`); the other clients ignore it.
    """
    name, args = builder(column, d, schema)
    links: list[tuple[str, list[Node | str | int | bool | None]]] = [(name, [column.name, *args])]
    if unsigned and name in ("integer", "bigInteger"):
        links.append(("unsigned", []))
    if not column.nullable and column.name not in table.primary_key:
        links.append(("notNullable", []))
    default = default_node(column, d, schema)
    if default is not None:
        links.append(("defaultTo", [default]))
    if table.primary_key == (column.name,):
        links.append(("primary", []))
    if column.comment:
        links.append(("comment", [column.comment]))
    return chain(Raw("table"), *links)


def increments(column: Column, table: Table) -> Node | None:
    """`table.increments('id')` / `bigIncrements` for an integer identity primary key."""
    if not identity_of(column) or table.primary_key != (column.name,):
        return None
    kind = canonical_type(column.type)
    method = {"integer": "increments", "bigint": "bigIncrements", "serial": "increments"}.get(kind)
    if method is None:
        return None
    return chain(Raw("table"), (method, [column.name]))


def references_increments(table: str, column: str, schemas: Sequence[Schema]) -> bool:
    """Whether `table.column` is (or becomes) a foreign key onto an auto-numbered integer key,
    which Knex makes with `increments()` as `int unsigned` on MySQL."""
    for schema in schemas:
        if not schema.has_table(table):
            continue
        for fk in schema.table(table).foreign_keys:
            if column not in fk.columns or not schema.has_table(fk.ref_table):
                continue
            target = schema.table(fk.ref_table)
            ref = fk.ref_columns[fk.columns.index(column)]
            if target.has_column(ref) and identity_of(target.column(ref)):
                return True
    return False


__all__ = ["builder", "column_chain", "default_node", "increments", "raw", "value"]
