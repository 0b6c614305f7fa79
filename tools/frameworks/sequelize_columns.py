"""Sequelize column attributes: `{ type: Sequelize.STRING(40), allowNull: false, ... }`.

The same object shape serves `queryInterface.createTable` / `addColumn` / `changeColumn` in a
migration (types as `Sequelize.X`) and `Model.init` in a model file (types as `DataTypes.X`).
A data type is used only when what Sequelize v6 creates on the repo's dialect has the plan's
canonical type (what each type becomes per dialect is listed below); otherwise the type is
the dialect's own SQL as a string, which Sequelize passes through. Defaults are JS literals
where Sequelize writes the same SQL, else `Sequelize.literal(...)` in the dialect's SQL.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sqlglot import exp

from ..dialects import Dialect
from ..dialects.base import identity_of, parse_default
from ..schema import Column, ForeignKey, Schema, Table, canonical_type
from .jsrender import Call, Member, Node, Obj, Raw, Str

_PG, _MY, _LITE = "postgresql", "mysql", "sqlite"


def _all(kind: str) -> dict[str, str]:
    return {_PG: kind, _MY: kind, _LITE: kind}


def candidates(canonical: str) -> list[tuple[str, tuple[str, ...], dict[str, str]]]:
    """(data type, its arguments, SQL type Sequelize v6 emits per dialect), best first."""
    base, _, rest = canonical.partition("(")
    args = tuple(rest.rstrip(")").split(",")) if rest else ()
    table: dict[str, list[tuple[str, tuple[str, ...], dict[str, str]]]] = {
        "integer": [("INTEGER", (), _all("INTEGER"))],
        "bigint": [("BIGINT", (), _all("BIGINT"))],
        "smallint": [("SMALLINT", (), _all("SMALLINT"))],
        "text": [("TEXT", (), _all("TEXT"))],
        "boolean": [("BOOLEAN", (), {_PG: "BOOLEAN", _MY: "TINYINT(1)", _LITE: "TINYINT(1)"})],
        "date": [("DATEONLY", (), _all("DATE"))],
        "time": [("TIME", (), _all("TIME"))],
        "json": [("JSON", (), _all("JSON"))],
        "jsonb": [("JSONB", (), {_PG: "JSONB"})],
        "uuid": [("UUID", (), {_PG: "UUID", _LITE: "UUID"})],
        "double": [("DOUBLE", (), _all("DOUBLE PRECISION"))],
        "real": [("REAL", (), {_PG: "REAL", _LITE: "REAL"})],
        "blob": [("BLOB", (), {_PG: "BYTEA", _MY: "BLOB", _LITE: "BLOB"})],
        "timestamptz": [
            ("DATE", (), {_PG: "TIMESTAMP WITH TIME ZONE"}),
            ("DATE", ("6",), {_MY: "DATETIME(6)"}),
        ],
        "timestamp": [
            ("DATE", ("6",), {_MY: "DATETIME(6)"}),
            ("DATE", (), {_LITE: "DATETIME"}),
        ],
    }
    if base in ("varchar", "char") and len(args) == 1:
        name = "STRING" if base == "varchar" else "CHAR"
        return [(name, args, _all(f"{base.upper()}({args[0]})"))]
    if base == "numeric" and len(args) == 2:
        return [("DECIMAL", args, _all(f"DECIMAL({args[0]},{args[1]})"))]
    return table.get(canonical, [])


def type_node(column: Column, d: Dialect, schema: Schema, types: str = "Sequelize") -> Node:
    """`Sequelize.STRING(40)`, or the dialect's type as a string when no data type fits."""
    plain = replace(column, identity=False)
    wanted = canonical_type(d.column_type(plain, schema))
    lob_default = d.name == _MY and column.default is not None and wanted in ("text", "json")
    if not lob_default:
        for name, args, made in candidates(canonical_type(column.type)):
            if d.name in made and canonical_type(made[d.name]) == wanted:
                node: Node = Member(Raw(types), name)
                return Call(node, tuple(Raw(a) for a in args)) if args else node
    return Str(d.column_type(plain, schema))


def default_node(
    column: Column, d: Dialect, schema: Schema, types: str = "Sequelize"
) -> Node | None:
    """`defaultValue`: a JS literal where Sequelize writes the same SQL, else a literal()."""
    if column.default is None or identity_of(column):
        return None
    sql = d.default_sql(column, schema)
    if sql is None:
        return None
    tree = parse_default(column.default)
    literal = _literal(tree) if tree is not None else None
    if literal is not None and not sql.startswith("("):
        return literal
    return Call(Member(Raw(types), "literal"), (Str(sql),))


def _literal(tree: exp.Expr) -> Node | None:
    while isinstance(tree, exp.Paren):
        tree = tree.this
    negative = isinstance(tree, exp.Neg)
    inner = tree.this if negative else tree
    if isinstance(inner, exp.Boolean) and not negative:
        return Raw("true" if inner.this else "false")
    if isinstance(inner, exp.Literal):
        if inner.is_string:
            return None if negative else Str(inner.this)
        if re.fullmatch(r"\d+(\.\d+)?", inner.this):
            return Raw(("-" if negative else "") + inner.this)
    return None


def attributes(
    column: Column,
    table: Table,
    d: Dialect,
    schema: Schema,
    *,
    references: ForeignKey | None = None,
    types: str = "Sequelize",
) -> list[tuple[str, Node]]:
    """The attribute object's properties, in sequelize-cli's order for keys."""
    props: list[tuple[str, Node]] = []
    identity = identity_of(column) and table.primary_key == (column.name,)
    if identity:
        props += [("allowNull", Raw("false")), ("autoIncrement", Raw("true"))]
        props += [("primaryKey", Raw("true")), ("type", type_node(column, d, schema, types))]
        return props
    props.append(("type", type_node(column, d, schema, types)))
    in_pk = column.name in table.primary_key
    props.append(("allowNull", Raw("false" if not column.nullable or in_pk else "true")))
    if in_pk:
        props.append(("primaryKey", Raw("true")))
    default = default_node(column, d, schema, types)
    if default is not None:
        props.append(("defaultValue", default))
    if references is not None:
        target = Obj(
            (("model", Str(references.ref_table)), ("key", Str(references.ref_columns[0])))
        )
        props.append(("references", target))
        if references.on_update:
            props.append(("onUpdate", Str(references.on_update)))
        if references.on_delete:
            props.append(("onDelete", Str(references.on_delete)))
    if column.comment:
        props.append(("comment", Str(column.comment)))
    return props
