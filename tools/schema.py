"""The schema model: a frozen value that every stage passes along.

A `Schema` is what a database holds (tables, columns, keys, indexes, checks, PostgreSQL enum
types) with no connection to any database. Operations transform one Schema into the next
(`ops.Operation.apply`), introspection reads one from a live database, and the validator compares
them. Comparison is always on the normalised form (`normalized()`), in which type aliases
(`int4` / `integer`), default spellings (`now()` / `CURRENT_TIMESTAMP`, `'a'::text` / `'a'`),
column order and constraint names that the database generated (`orders_user_id_fkey`,
`orders_ibfk_1`) no longer matter. What a particular dialect cannot represent (booleans in MySQL,
say) is folded by the dialect modules on top of this, in `dialects.<name>.comparable`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from .errors import SchemaError

if TYPE_CHECKING:
    from .ops import Operation

#: Referential actions as normalised spellings; NO ACTION is the default and stored as None.
REFERENTIAL_ACTIONS = ("CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION")


@dataclass(frozen=True)
class Column:
    """A column. `type` is a canonical type string (see `canonical_type`).

    `identity` covers every auto-numbering spelling: PostgreSQL identity and serial, MySQL
    AUTO_INCREMENT, SQLite's INTEGER PRIMARY KEY rowid alias. `default` is SQL expression text.
    """

    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    identity: bool = False
    comment: str | None = None

    def describe(self) -> str:
        parts = [self.name, self.type]
        if self.identity:
            parts.append("identity")
        if not self.nullable:
            parts.append("not null")
        if self.default is not None:
            parts.append(f"default {self.default}")
        return " ".join(parts)


@dataclass(frozen=True)
class Index:
    """An index. `columns` holds column names or, for expression indexes, SQL expressions.

    `where` is the predicate of a partial index. `using` is the access method when it is not
    the default (gin, gist, hash ...).
    """

    name: str
    columns: tuple[str, ...]
    unique: bool = False
    where: str | None = None
    using: str | None = None

    @property
    def is_expression(self) -> bool:
        return any(not is_identifier(c) for c in self.columns)


@dataclass(frozen=True)
class UniqueConstraint:
    name: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key. Actions are normalised upper-case; None means the default (NO ACTION)."""

    name: str | None
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str | None = None
    on_update: str | None = None

    def describe(self) -> str:
        text = f"({', '.join(self.columns)}) -> {self.ref_table}({', '.join(self.ref_columns)})"
        if self.on_delete:
            text += f" on delete {self.on_delete.lower()}"
        if self.on_update:
            text += f" on update {self.on_update.lower()}"
        return text


@dataclass(frozen=True)
class CheckConstraint:
    name: str | None
    expression: str


@dataclass(frozen=True)
class EnumType:
    """A PostgreSQL enum type (CREATE TYPE ... AS ENUM). Order of values matters."""

    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...] = ()
    primary_key: tuple[str, ...] = ()
    uniques: tuple[UniqueConstraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    comment: str | None = None

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise SchemaError(
            f"table {self.name} has no column {name}",
            f"use one of: {', '.join(c.name for c in self.columns) or '(no columns)'}",
        )

    def has_column(self, name: str) -> bool:
        return any(c.name == name for c in self.columns)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def constraint_names(self) -> set[str]:
        """Names of every named constraint and index: what DropConstraint can find."""
        names = {i.name for i in self.indexes}
        names.update(u.name for u in self.uniques if u.name)
        names.update(f.name for f in self.foreign_keys if f.name)
        names.update(c.name for c in self.checks if c.name)
        return names

    def replace_column(self, name: str, new: Column) -> Table:
        self.column(name)
        return replace(self, columns=tuple(new if c.name == name else c for c in self.columns))


@dataclass(frozen=True)
class Schema:
    """Tables (kept sorted by name) and enum types. Immutable: every change returns a new one."""

    tables: tuple[Table, ...] = ()
    enums: tuple[EnumType, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", tuple(sorted(self.tables, key=lambda t: t.name)))
        object.__setattr__(self, "enums", tuple(sorted(self.enums, key=lambda e: e.name)))

    # -- lookup -------------------------------------------------------------------------------
    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        known = ", ".join(t.name for t in self.tables) or "(no tables yet)"
        raise SchemaError(f"no table named {name}", f"known tables: {known}")

    def has_table(self, name: str) -> bool:
        return any(t.name == name for t in self.tables)

    def enum(self, name: str) -> EnumType | None:
        return next((e for e in self.enums if e.name == name), None)

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)

    def referencing(self, table: str) -> list[tuple[Table, ForeignKey]]:
        """Foreign keys in other tables (or this one) that point at `table`."""
        return [(t, fk) for t in self.tables for fk in t.foreign_keys if fk.ref_table == table]

    # -- change -------------------------------------------------------------------------------
    def with_table(self, table: Table) -> Schema:
        """This schema with `table` added, or replacing the table of the same name."""
        others = tuple(t for t in self.tables if t.name != table.name)
        return replace(self, tables=(*others, table))

    def without_table(self, name: str) -> Schema:
        self.table(name)
        return replace(self, tables=tuple(t for t in self.tables if t.name != name))

    def with_enum(self, enum: EnumType) -> Schema:
        return replace(self, enums=(*(e for e in self.enums if e.name != enum.name), enum))

    # -- comparison ---------------------------------------------------------------------------
    def normalized(self) -> Schema:
        """The canonical form two schemas that mean the same thing share. See module docstring."""
        return Schema(
            tables=tuple(_normalize_table(t) for t in self.tables),
            enums=tuple(EnumType(e.name.lower(), e.values) for e in self.enums),
        )

    def same_as(self, other: Schema) -> bool:
        return self.normalized() == other.normalized()

    def diff(self, other: Schema) -> list[Operation]:
        """Operations that turn this schema into `other` (drops before creates, FKs last)."""
        from .diff import diff_schemas

        return diff_schemas(self, other)

    def describe(self) -> str:
        """A readable multi-line summary, the way `inspect` prints a schema."""
        lines: list[str] = []
        for enum in self.enums:
            lines.append(f"enum {enum.name} ({', '.join(enum.values)})")
        for t in self.tables:
            lines.append(f"{t.name}")
            for c in t.columns:
                pk = " [pk]" if c.name in t.primary_key else ""
                lines.append(f"  {c.describe()}{pk}")
            for u in t.uniques:
                lines.append(f"  unique {u.name or ''}({', '.join(u.columns)})")
            for i in t.indexes:
                kind = "unique index" if i.unique else "index"
                where = f" where {i.where}" if i.where else ""
                lines.append(f"  {kind} {i.name} ({', '.join(i.columns)}){where}")
            for fk in t.foreign_keys:
                lines.append(f"  fk {fk.name or ''} {fk.describe()}")
            for ck in t.checks:
                lines.append(f"  check {ck.name or ''} ({ck.expression})")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Identifiers and names
# ---------------------------------------------------------------------------------------------

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def is_identifier(text: str) -> bool:
    return bool(_IDENT.match(text))


#: PostgreSQL, MySQL/MariaDB and SQLite spell the names they invent for unnamed constraints
#: like these; a name that matches is treated as "no name given" when comparing.
_AUTO_NAME = (
    re.compile(r"^.+_(fkey|key|check|pkey|excl)\d*$"),
    re.compile(r"^.+_(ibfk|chk)_\d+$"),
    re.compile(r"^constraint_\d+$", re.IGNORECASE),
    re.compile(r"^sqlite_autoindex_.+$"),
)


def is_generated_name(name: str | None, table: str, columns: Iterable[str] = ()) -> bool:
    """True when `name` looks like one the database made up rather than one a person chose.

    PostgreSQL names `orders_user_id_fkey`, MySQL `orders_ibfk_1`, MariaDB `CONSTRAINT_1` or the
    column name for inline checks. The PostgreSQL pattern is only trusted when it starts with the
    table name, so a person's `fk_orders_user` keeps its name.
    """
    if name is None:
        return True
    cols = list(columns)
    if name.lower().startswith(table.lower() + "_") and _AUTO_NAME[0].match(name):
        return True
    if _AUTO_NAME[1].match(name) and name.lower().startswith(table.lower()):
        return True
    if _AUTO_NAME[2].match(name) or _AUTO_NAME[3].match(name):
        return True
    return len(cols) == 1 and name == cols[0]


MAX_IDENTIFIER = 63


def constraint_name(prefix: str, table: str, columns: Iterable[str], suffix: str = "") -> str:
    """A deterministic name for a constraint the user did not name (`fk_orders_user_id`).

    migwright always names what it creates so that a later down can drop it by name on every
    dialect (MySQL's generated `orders_ibfk_3` cannot be predicted). Names longer than
    PostgreSQL's 63-byte limit are shortened with a stable hash, as Django does.
    """
    body = "_".join([prefix, table, *columns] + ([suffix] if suffix else []))
    body = re.sub(r"[^A-Za-z0-9_]+", "_", body).strip("_").lower()
    if len(body) <= MAX_IDENTIFIER:
        return body
    import hashlib

    digest = hashlib.sha1(body.encode()).hexdigest()[:8]
    return f"{body[: MAX_IDENTIFIER - 9]}_{digest}"


# ---------------------------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------------------------

_TYPE_ALIASES = {
    "int": "integer",
    "int4": "integer",
    "integer": "integer",
    "mediumint": "integer",
    "int8": "bigint",
    "bigint": "bigint",
    "int2": "smallint",
    "smallint": "smallint",
    "tinyint": "smallint",
    "bool": "boolean",
    "boolean": "boolean",
    "float8": "double",
    "double precision": "double",
    "double": "double",
    "float": "double",
    "float4": "real",
    "real": "real",
    "decimal": "numeric",
    "numeric": "numeric",
    "character varying": "varchar",
    "varchar": "varchar",
    "nvarchar": "varchar",
    "character": "char",
    "char": "char",
    "bpchar": "char",
    "nchar": "char",
    "text": "text",
    "clob": "text",
    "mediumtext": "text",
    "longtext": "text",
    "tinytext": "text",
    "string": "text",
    "timestamp without time zone": "timestamp",
    "timestamp": "timestamp",
    "datetime": "timestamp",
    "timestamp with time zone": "timestamptz",
    "timestamptz": "timestamptz",
    "date": "date",
    "time without time zone": "time",
    "time": "time",
    "time with time zone": "timetz",
    "timetz": "timetz",
    "json": "json",
    "jsonb": "jsonb",
    "uuid": "uuid",
    "bytea": "blob",
    "blob": "blob",
    "longblob": "blob",
    "mediumblob": "blob",
    "varbinary": "blob",
    "binary": "blob",
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
    "interval": "interval",
}

#: Types that auto-number: `canonical_type` returns their base type; callers set identity.
SERIAL_TYPES = {"serial", "serial4", "bigserial", "serial8", "smallserial"}


@lru_cache(maxsize=4096)
def canonical_type(text: str) -> str:
    """The canonical spelling of a SQL type: `int4` -> `integer`, `character varying(20)` ->
    `varchar(20)`, `timestamp(6) with time zone` -> `timestamptz`, `numeric(12, 2)` ->
    `numeric(12,2)`. Unknown types (enum names, `geometry`) come back lower-cased and tidy.
    """
    stripped = text.strip()
    head = stripped[:5].lower()
    if head.startswith(("enum", "set")) and "(" in stripped:
        keyword, _, values = stripped.partition("(")
        if keyword.strip().lower() in ("enum", "set"):  # keep the values exactly as written
            return keyword.strip().lower() + "(" + re.sub(r"'\s*,\s*'", "','", values.strip())
    raw = " ".join(stripped.lower().split())
    raw = raw.replace('"', "")
    if raw.endswith("[]"):
        return canonical_type(raw[:-2]) + "[]"
    raw = re.sub(r"\s+unsigned$", "", raw)
    args_match = re.search(r"\(([^)]*)\)", raw)
    args = args_match.group(1).replace(" ", "") if args_match else ""
    base = (
        " ".join((raw[: args_match.start()] + " " + raw[args_match.end() :]).split())
        if args_match
        else raw
    )
    name = _TYPE_ALIASES.get(base, base)
    if name in ("timestamp", "timestamptz", "time", "timetz"):
        return name  # precision of fractional seconds is not part of meaning here
    if name in ("integer", "bigint", "smallint", "boolean", "double", "real", "text", "blob"):
        if base == "tinyint" and args == "1":
            return "boolean"
        return name
    if name == "numeric" and args:
        precision, _, scale = args.partition(",")
        return f"numeric({precision},{scale or '0'})"
    if name in ("varchar", "char") and args:
        return f"{name}({args})"
    if name == "char" and not args:
        return "char(1)"
    return f"{name}({args})" if args else name


def is_serial(text: str) -> bool:
    return " ".join(text.strip().lower().split()) in SERIAL_TYPES


# ---------------------------------------------------------------------------------------------
# Expressions (defaults, checks, index predicates)
# ---------------------------------------------------------------------------------------------

_NOW_FUNCTIONS = {
    "now",
    "current_timestamp",
    "localtimestamp",
    "transaction_timestamp",
    "statement_timestamp",
}


@lru_cache(maxsize=4096)
def normalize_expression(text: str) -> str:
    """A canonical spelling of a SQL expression, for comparison only.

    Databases hand back what they stored, not what was written: PostgreSQL adds casts and
    parentheses (`(price > (0)::numeric)`) and turns IN lists into `= ANY (ARRAY[...])`, MariaDB
    adds backticks, MySQL writes `current_timestamp()`. All of those fold to one form here.
    """
    cleaned = text.strip().replace("`", '"')
    try:
        tree = sqlglot.parse_one(cleaned, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError):
        return " ".join(cleaned.lower().split())
    if tree is None:
        return " ".join(cleaned.lower().split())
    for _ in range(6):  # transform does not revisit what it built: fold to a fixed point
        folded = tree.transform(_fold)
        if folded == tree:
            break
        tree = folded
    while isinstance(tree, exp.Paren):
        tree = tree.this
    return tree.sql(dialect="postgres", normalize=True, identify=False).lower()


def _fold(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Between) and not isinstance(node.parent, exp.Not):
        # PostgreSQL stores `x BETWEEN 1 AND 100` as `(x >= 1) AND (x <= 100)`
        low = exp.GTE(this=node.this.copy(), expression=node.args["low"].copy())
        high = exp.LTE(this=node.this.copy(), expression=node.args["high"].copy())
        return exp.And(this=low, expression=high)
    odd_spelling = isinstance(node, exp.Identifier) and (
        node.quoted or node.name != node.name.lower()
    )
    if odd_spelling and is_identifier(node.name):
        return exp.to_identifier(node.name.lower())
    if isinstance(node, exp.Paren) and isinstance(node.parent, exp.And | exp.Or):
        # PostgreSQL stores `a > 0 AND b IN (...)` as `(a > 0) AND (b IN (...))`; parentheses
        # around a predicate, or around AND inside OR, change nothing
        inner = node.this
        if isinstance(inner, exp.Predicate | exp.Not) or (
            isinstance(inner, exp.And) and isinstance(node.parent, exp.Or)
        ):
            return inner
    if (
        isinstance(node, exp.Not)
        and isinstance(node.this, exp.Is)
        and isinstance(node.this.expression, exp.Null)
    ):
        return exp.Is(this=node.this.this, expression=exp.Null(), negate=True)
    if isinstance(node, exp.Cast):
        inner = node.this
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if isinstance(inner, exp.Literal | exp.Column | exp.Array | exp.Boolean | exp.Null):
            return inner
        return inner
    if isinstance(node, exp.Paren) and isinstance(
        node.this, exp.Literal | exp.Column | exp.Paren | exp.Boolean
    ):
        return node.this
    if isinstance(node, exp.Literal) and not node.is_string:
        return exp.Literal.number(_tidy_number(node.this))
    if isinstance(node, exp.CurrentTimestamp):
        return exp.CurrentTimestamp()
    if isinstance(node, exp.Anonymous) and node.name.lower() in _NOW_FUNCTIONS:
        return exp.CurrentTimestamp()
    if isinstance(node, exp.Column) and node.name.lower() in {
        "current_timestamp",
        "localtimestamp",
    }:
        return exp.CurrentTimestamp()
    if isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
        values = node.expression.this
        while isinstance(values, exp.Paren | exp.Cast):
            values = values.this
        if isinstance(values, exp.Array):
            return exp.In(this=node.this, expressions=list(values.expressions))
    return node


def _tidy_number(text: str) -> str:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def normalize_default(text: str | None, type_: str = "") -> str | None:
    """A canonical default: NULL vanishes, `'0'` on a number is `0`, booleans are true/false."""
    if text is None:
        return None
    stripped = text.strip()
    if not stripped or stripped.upper() == "NULL":
        return None
    norm = normalize_expression(stripped)
    if norm == "null":
        return None
    kind = canonical_type(type_) if type_ else ""
    if kind == "boolean" and norm in {"1", "'1'", "true", "'t'", "'true'"}:
        return "true"
    if kind == "boolean" and norm in {"0", "'0'", "false", "'f'", "'false'"}:
        return "false"
    if _is_numeric_type(kind) and re.fullmatch(r"'-?[0-9]+(\.[0-9]+)?'", norm):
        return _tidy_number(norm.strip("'"))
    return norm


def _is_numeric_type(kind: str) -> bool:
    return kind in {"integer", "bigint", "smallint", "double", "real"} or kind.startswith("numeric")


# ---------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------


def _normalize_column(col: Column) -> Column:
    type_ = canonical_type(col.type)
    default = None if col.identity else normalize_default(col.default, type_)
    return Column(
        name=col.name.lower(),
        type=type_,
        nullable=col.nullable,
        default=default,
        identity=col.identity,
        comment=col.comment or None,
    )


def _normalize_table(t: Table) -> Table:
    name = t.name.lower()
    pk = tuple(c.lower() for c in t.primary_key)
    columns = tuple(
        replace(c, nullable=False) if c.name in pk else c
        for c in sorted((_normalize_column(c) for c in t.columns), key=lambda c: c.name)
    )
    uniques = tuple(
        sorted(
            {
                UniqueConstraint(
                    None if is_generated_name(u.name, name, u.columns) else u.name,
                    tuple(c.lower() for c in u.columns),
                )
                for u in t.uniques
                if tuple(c.lower() for c in u.columns) != pk
            },
            key=lambda u: (u.columns, u.name or ""),
        )
    )
    indexes = tuple(
        sorted(
            (
                Index(
                    name=i.name.lower(),
                    columns=tuple(
                        c.lower() if is_identifier(c) else normalize_expression(c)
                        for c in i.columns
                    ),
                    unique=i.unique,
                    where=normalize_expression(i.where) if i.where else None,
                    using=_index_method(i.using),
                )
                for i in t.indexes
            ),
            key=lambda i: i.name,
        )
    )
    fks = tuple(
        sorted(
            (
                ForeignKey(
                    name=None if is_generated_name(f.name, name, f.columns) else f.name,
                    columns=tuple(c.lower() for c in f.columns),
                    ref_table=f.ref_table.lower(),
                    ref_columns=tuple(c.lower() for c in f.ref_columns),
                    on_delete=normalize_action(f.on_delete),
                    on_update=normalize_action(f.on_update),
                )
                for f in t.foreign_keys
            ),
            key=lambda f: (f.columns, f.ref_table, f.name or ""),
        )
    )
    checks = tuple(
        sorted(
            {
                CheckConstraint(
                    None if is_generated_name(c.name, name, _check_columns(c)) else c.name,
                    normalize_expression(c.expression),
                )
                for c in t.checks
            },
            key=lambda c: (c.expression, c.name or ""),
        )
    )
    return Table(name, columns, pk, uniques, indexes, fks, checks, t.comment or None)


def _check_columns(check: CheckConstraint) -> list[str]:
    """Columns a check names: MariaDB names an inline column check after its column."""
    try:
        tree = sqlglot.parse_one(check.expression.replace("`", '"'), read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return []
    return sorted({c.name for c in tree.find_all(exp.Column)}) if tree is not None else []


def _index_method(using: str | None) -> str | None:
    return None if using is None or using.lower() == "btree" else using.lower()


def normalize_action(action: str | None) -> str | None:
    """`cascade` -> `CASCADE`; NO ACTION (the default everywhere) -> None."""
    if action is None:
        return None
    value = " ".join(action.upper().split())
    if value in ("", "NO ACTION"):
        return None
    if value not in REFERENTIAL_ACTIONS:
        raise SchemaError(
            f"unknown referential action {action!r}",
            "use one of: cascade, set null, set default, restrict, no action",
        )
    return value
