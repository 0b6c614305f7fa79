"""Columns as Django model fields, predicates as Q objects, and whether Django gets them exact.

A migration must build the table migwright validated, so a field is only used natively when
the DDL Django writes for it on the target database is the planned column: the same type
once both are read back (`DateTimeField` is `timestamp with time zone` on PostgreSQL, so a
plain `timestamp` is not one), the default as `db_default` (a Python `default` never reaches
the database), NULL as `null=True`. `Spelled.exact` says whether that holds; when it does
not, the renderer runs the dialect's SQL and keeps the field only as state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from ..dialects import Dialect
from ..dialects.base import identity_of, is_now, parse_default
from ..schema import Column, ForeignKey, Schema, Table, canonical_type
from .django_project import CONTRIB, Model, Project
from .pycode import Call, Code, call, flat, py

#: Field class -> the column type Django's schema editor writes, per database (data_types of
#: django/db/backends/*/base.py); `{n}`, `{p}`, `{s}`: max_length, max_digits, decimal_places.
DB_TYPES: dict[str, dict[str, str]] = {
    "postgresql": {
        "AutoField": "integer",
        "BigAutoField": "bigint",
        "SmallAutoField": "smallint",
        "BooleanField": "boolean",
        "CharField": "varchar({n})",
        "DateField": "date",
        "DateTimeField": "timestamp with time zone",
        "DecimalField": "numeric({p}, {s})",
        "DurationField": "interval",
        "FloatField": "double precision",
        "IntegerField": "integer",
        "BigIntegerField": "bigint",
        "SmallIntegerField": "smallint",
        "JSONField": "jsonb",
        "TextField": "text",
        "TimeField": "time",
        "UUIDField": "uuid",
        "BinaryField": "bytea",
    },
    "sqlite": {
        "AutoField": "integer",
        "BigAutoField": "integer",
        "SmallAutoField": "integer",
        "BooleanField": "bool",
        "CharField": "varchar({n})",
        "DateField": "date",
        "DateTimeField": "datetime",
        "DecimalField": "decimal",
        "DurationField": "bigint",
        "FloatField": "real",
        "IntegerField": "integer",
        "BigIntegerField": "bigint",
        "SmallIntegerField": "smallint",
        "JSONField": "text",
        "TextField": "text",
        "TimeField": "time",
        "UUIDField": "char(32)",
        "BinaryField": "blob",
    },
    "mysql": {
        "AutoField": "integer",
        "BigAutoField": "bigint",
        "SmallAutoField": "smallint",
        "BooleanField": "bool",
        "CharField": "varchar({n})",
        "DateField": "date",
        "DateTimeField": "datetime(6)",
        "DecimalField": "numeric({p}, {s})",
        "DurationField": "bigint",
        "FloatField": "double precision",
        "IntegerField": "integer",
        "BigIntegerField": "bigint",
        "SmallIntegerField": "smallint",
        "JSONField": "json",
        "TextField": "longtext",
        "TimeField": "time(6)",
        "UUIDField": "char(32)",
        "BinaryField": "longblob",
    },
}

#: canonical type (without arguments) -> field class.
_FIELDS = {
    "integer": "IntegerField",
    "bigint": "BigIntegerField",
    "smallint": "SmallIntegerField",
    "boolean": "BooleanField",
    "double": "FloatField",
    "real": "FloatField",
    "numeric": "DecimalField",
    "varchar": "CharField",
    "text": "TextField",
    "timestamp": "DateTimeField",
    "timestamptz": "DateTimeField",
    "date": "DateField",
    "time": "TimeField",
    "uuid": "UUIDField",
    "json": "JSONField",
    "jsonb": "JSONField",
    "blob": "BinaryField",
    "interval": "DurationField",
}
_AUTO = {"integer": "AutoField", "bigint": "BigAutoField", "smallint": "SmallAutoField"}
_ON_DELETE = {
    None: "models.DO_NOTHING",
    "CASCADE": "models.CASCADE",
    "SET NULL": "models.SET_NULL",
    "SET DEFAULT": "models.SET_DEFAULT",
    "RESTRICT": "models.RESTRICT",
}


@dataclass
class Spelled:
    """A field (or Q, or index) in Django's terms; `exact` when Django's DDL is the plan's."""

    code: Call
    exact: bool = True
    imports: set[tuple[str, str]] = field(default_factory=set)  #: (module, name)
    settings: bool = False  #: refers to django.conf.settings (a swappable dependency)


def field_for(
    column: Column,
    table: Table,
    schema: Schema,
    dialect: Dialect,
    project: Project,
    fk: ForeignKey | None = None,
) -> Spelled | None:
    """The field for a column (a ForeignKey when `fk` is its key); None: no Django field."""
    kind = canonical_type(column.type)
    base, _, args = kind.partition("(")
    args = args.rstrip(")")
    pk = table.primary_key == (column.name,)
    imports: set[tuple[str, str]] = set()
    kwargs: dict[str, Code] = {}
    uses_settings = False
    if fk is not None:
        target = _target(fk, project)
        if target is None:
            return None
        uses_settings = target == "settings.AUTH_USER_MODEL"
        cls = "ForeignKey"
        kwargs["to"] = target if uses_settings else py(target)
        kwargs["on_delete"] = _ON_DELETE.get(fk.on_delete, "models.DO_NOTHING")
        kwargs["db_index"] = "False"
        if column.name != f"{_field_name(column.name, fk)}_id":
            kwargs["db_column"] = py(column.name)
        ref_model = project.by_table(fk.ref_table)
        ref_pk = (
            next((f.column for f in ref_model.fields if f.attr == "id"), "id")
            if ref_model
            else "id"
        )
        if fk.ref_columns != (ref_pk,):
            kwargs["to_field"] = py(fk.ref_columns[0])
        exact = False  # Django names the constraint itself and adds no ON DELETE: SQL does it
    elif identity_of(column) and pk and base in _AUTO:
        cls = _AUTO[base]
        kwargs["primary_key"] = "True"
        exact = True
    else:
        cls = _FIELDS.get(base, "")
        if not cls or (cls == "CharField" and not args):
            return None
        if cls == "CharField":
            kwargs["max_length"] = args
        if cls == "DecimalField":
            if not args:
                return None
            precision, _, scale = args.partition(",")
            kwargs["decimal_places"] = scale or "0"
            kwargs["max_digits"] = precision
        if pk:
            kwargs["primary_key"] = "True"
        exact = _same_type(cls, kwargs, column, schema, dialect)
    if column.nullable and not pk:
        kwargs["null"] = "True"
    expressible, default = db_default(column, dialect, imports)
    exact = exact and expressible
    if default is not None:
        kwargs["db_default"] = default
    if column.comment:
        kwargs["db_comment"] = py(column.comment)
    return Spelled(
        call(f"models.{cls}", **dict(sorted(kwargs.items()))), exact, imports, uses_settings
    )


def _field_name(column: str, fk: ForeignKey | None) -> str:
    return column[:-3] if fk is not None and column.endswith("_id") and len(column) > 3 else column


def field_name(column: str, fk: ForeignKey | None = None) -> str:
    """The attribute a column becomes: `customer_id` with a foreign key is `customer`."""
    return _field_name(column, fk)


def _target(fk: ForeignKey, project: Project) -> str | None:
    if fk.ref_table in CONTRIB:
        return CONTRIB[fk.ref_table]
    model = project.by_table(fk.ref_table)
    return model.label if model is not None else None


def _same_type(
    cls: str, kwargs: dict[str, Code], column: Column, schema: Schema, dialect: Dialect
) -> bool:
    template = DB_TYPES.get(dialect.name, {}).get(cls)
    if template is None:
        return False
    written = template.format(
        n=kwargs.get("max_length", ""),
        p=kwargs.get("max_digits", ""),
        s=kwargs.get("decimal_places", ""),
    )
    planned = canonical_type(dialect.column_type(column, schema))
    return canonical_type(written) == planned


def db_default(
    column: Column, dialect: Dialect, imports: set[tuple[str, str]]
) -> tuple[bool, Code | None]:
    """(whether Django writes the planned DEFAULT, the `db_default=` value or None)."""
    if column.default is None or identity_of(column):
        return True, None
    tree = parse_default(column.default)
    if tree is None:
        return False, None
    if is_now(tree):
        if dialect.name == "postgresql":
            return False, None  # Now() is STATEMENT_TIMESTAMP() there, not the planned now()
        imports.add(("django.db.models.functions", "Now"))
        return True, call("Now")
    value = literal(tree)
    return value is not None, value


def literal(tree: exp.Expr) -> Code | None:
    """A SQL literal as a Python literal; None when it is not one."""
    while isinstance(tree, exp.Paren):
        tree = tree.this
    negative = isinstance(tree, exp.Neg)
    if negative:
        tree = tree.this
    if isinstance(tree, exp.Boolean):
        return "True" if tree.this else "False"
    if isinstance(tree, exp.Literal):
        if tree.is_string:
            return py(tree.this)
        return ("-" if negative else "") + tree.this
    return None


# ---------------------------------------------------------------------------------------------
# Predicates as Q objects
# ---------------------------------------------------------------------------------------------

_LOOKUPS: dict[type[exp.Expr], str] = {
    exp.EQ: "",
    exp.GT: "__gt",
    exp.GTE: "__gte",
    exp.LT: "__lt",
    exp.LTE: "__lte",
}


def q_for(sql: str, model: Model | None) -> Code | None:
    """`models.Q(...)` for a predicate Django compiles back to the same SQL, else None.

    Comparisons of a column with a literal, IS [NOT] NULL and IN lists, joined with AND / OR.
    (`<>` is not one: Django writes NOT (a = b), which the database keeps as such.)
    """
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None
    return _q(tree, model) if tree is not None else None


def _q(node: exp.Expr, model: Model | None) -> Code | None:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And | exp.Or):
        left, right = _q(node.left, model), _q(node.right, model)
        if left is None or right is None:
            return None
        sign = "&" if isinstance(node, exp.And) else "|"
        return f"{flat(left)} {sign} {flat(right)}"
    lookup = _lookup(node, model)
    return call("models.Q", **{lookup[0]: lookup[1]}) if lookup else None


def _lookup(node: exp.Expr, model: Model | None) -> tuple[str, Code] | None:
    is_null = isinstance(node, exp.Is) and isinstance(node.expression, exp.Null)
    if is_null and isinstance(node.this, exp.Column):
        name = _attname(node.this.name, model)
        negated = bool(node.args.get("negate"))
        return (f"{name}__isnull", "False" if negated else "True") if name else None
    if isinstance(node, exp.Not) and isinstance(node.this, exp.Is):
        inner = node.this
        if isinstance(inner.this, exp.Column) and isinstance(inner.expression, exp.Null):
            name = _attname(inner.this.name, model)
            return (f"{name}__isnull", "False") if name else None
    if isinstance(node, exp.In) and isinstance(node.this, exp.Column):
        values = [literal(v) for v in node.expressions]
        name = _attname(node.this.name, model)
        if name and values and all(isinstance(v, str) for v in values):
            return f"{name}__in", f"[{', '.join(str(v) for v in values)}]"
        return None
    suffix = _LOOKUPS.get(type(node))
    if suffix is None:
        return None
    left, right = node.this, node.expression
    if not isinstance(left, exp.Column):
        return None
    value = literal(right)
    name = _attname(left.name, model)
    if value is None or name is None:
        return None
    return f"{name}{suffix}", value


def _attname(column: str, model: Model | None) -> str | None:
    """The name a Q lookup uses for a column: the field's attname (`customer_id` works)."""
    if model is None:
        return column
    found = model.field_for(column)
    if found is None:
        return None
    return column if found.kind in ("ForeignKey", "OneToOneField") else found.attr
