"""Hypothesis strategies for valid, portable schemas and pairs of related schemas.

`schemas()` draws a Schema that every supported database can hold as it is: lower-case names
from a small vocabulary of non-reserved words (so two draws share table and column names, and a
diff between them has tables in common), types from a portable set, a primary key on every
table, foreign keys only to a table's primary key (with matching column types), unique
constraints and indexes only over columns MySQL can index without a prefix length (not text),
checks like `price > 0` / `code <> ''` (never on a foreign key's columns: MySQL refuses a check
on a column a referential action writes), and every constraint named with `constraint_name()`.

`schema_pairs()` draws (a, b) where b is a changed copy of a: tables dropped, added, rebuilt
(identity switched), columns added, dropped, retyped, constraints moved. That is what real
migrations look like, and it exercises every step of `diff_schemas`, which two independent
draws rarely do.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from migwright.tools.schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
    canonical_type,
    constraint_name,
)

TABLE_NAMES = (
    "account",
    "author",
    "book",
    "customer",
    "invoice",
    "item",
    "member",
    "orders",
    "payment",
    "product",
    "shipment",
    "team",
)
COLUMN_NAMES = (
    "amount",
    "balance",
    "city",
    "code",
    "color",
    "email",
    "height",
    "label",
    "note",
    "price",
    "quantity",
    "score",
    "slug",
    "title",
    "weight",
    "zip",
)
FIXED_TYPES = (
    "integer",
    "bigint",
    "smallint",
    "boolean",
    "text",
    "date",
    "timestamp",
    "timestamptz",
    "double",
    "real",
)
_NUMBERS = ("integer", "bigint", "smallint", "double", "real")


def column_types() -> st.SearchStrategy[str]:
    """A portable column type in canonical spelling (varchar(n), numeric(p,s) included)."""
    varchar = st.integers(min_value=1, max_value=255).map(lambda n: f"varchar({n})")
    numeric = st.integers(min_value=1, max_value=18).flatmap(
        lambda p: st.integers(min_value=0, max_value=p).map(lambda s: f"numeric({p},{s})")
    )
    return st.one_of(st.sampled_from(FIXED_TYPES), varchar, numeric)


def defaults_for(type_: str) -> st.SearchStrategy[str | None]:
    """A default every database accepts for `type_` (text gets none: MySQL 8 refuses one)."""
    kind = canonical_type(type_)
    options: list[str] = []
    if kind in _NUMBERS or kind.startswith("numeric("):
        options = ["1", "42"]
    elif kind == "boolean":
        options = ["true", "false"]
    elif kind.startswith("varchar("):
        options = ["'x'"]
    elif kind in ("timestamp", "timestamptz"):
        options = ["CURRENT_TIMESTAMP"]
    return st.one_of(st.none(), st.sampled_from(options)) if options else st.none()


def indexable(column: Column) -> bool:
    """MySQL indexes text only with a prefix length, which the model does not carry."""
    return canonical_type(column.type) not in ("text", "blob", "json")


def check_for(table: str, column: Column) -> CheckConstraint | None:
    kind = canonical_type(column.type)
    if kind in _NUMBERS or kind.startswith("numeric("):
        expression = f"{column.name} > 0"
    elif kind.startswith("varchar(") or kind == "text":
        expression = f"{column.name} <> ''"
    else:
        return None
    return CheckConstraint(constraint_name("ck", table, [column.name]), expression)


@st.composite
def plain_columns(draw: st.DrawFn, taken: frozenset[str] = frozenset()) -> list[Column]:
    names = draw(
        st.lists(
            st.sampled_from([n for n in COLUMN_NAMES if n not in taken]),
            max_size=4,
            unique=True,
        )
    )
    columns = []
    for name in names:
        type_ = draw(column_types())
        columns.append(
            Column(name, type_, nullable=draw(st.booleans()), default=draw(defaults_for(type_)))
        )
    return columns


@st.composite
def tables(draw: st.DrawFn, name: str, earlier: tuple[Table, ...] = ()) -> Table:
    """A valid table named `name`; its foreign keys point at `earlier` tables or itself."""
    pk_type = draw(st.sampled_from(["integer", "bigint"]))
    composite = draw(st.integers(0, 4)) == 0
    id_column = Column(
        "id", pk_type, nullable=False, identity=not composite and draw(st.booleans())
    )
    columns = [id_column] + ([Column("seq", "integer", nullable=False)] if composite else [])
    primary_key = tuple(c.name for c in columns)
    columns += draw(plain_columns(frozenset(c.name for c in columns)))
    table = Table(name, tuple(columns), primary_key)
    for target in draw(st.lists(st.sampled_from([*earlier, table]), max_size=2, unique_by=_name)):
        table = draw(with_foreign_key(table, target))
    return draw(with_extras(table))


@st.composite
def with_foreign_key(draw: st.DrawFn, table: Table, target: Table) -> Table:
    """`table` with new columns and a foreign key to `target`'s primary key."""
    prefix = "parent" if target.name == table.name else target.name
    names = tuple(f"{prefix}_{c}" for c in target.primary_key)
    if any(table.has_column(n) for n in names):
        return table
    nullable = draw(st.booleans())
    new = tuple(
        Column(n, canonical_type(target.column(c).type), nullable=nullable)
        for n, c in zip(names, target.primary_key, strict=True)
    )
    actions = [None, "CASCADE", "RESTRICT"] + (["SET NULL"] if nullable else [])
    fk = ForeignKey(
        constraint_name("fk", table.name, names),
        names,
        target.name,
        target.primary_key,
        on_delete=draw(st.sampled_from(actions)),
    )
    return replace(table, columns=(*table.columns, *new), foreign_keys=(*table.foreign_keys, fk))


@st.composite
def with_extras(draw: st.DrawFn, table: Table) -> Table:
    """`table` with a few more unique constraints, indexes and checks over its columns."""
    usable = [c.name for c in table.columns if indexable(c)]
    uniques = list(table.uniques)
    indexes = list(table.indexes)
    checks = list(table.checks)
    names = set(table.constraint_names())
    for _ in range(draw(st.integers(0, 2))):
        cols = tuple(draw(st.lists(st.sampled_from(usable), min_size=1, max_size=2, unique=True)))
        if draw(st.booleans()):
            name = constraint_name("uq", table.name, cols)
            if cols != table.primary_key and name not in names:
                uniques.append(UniqueConstraint(name, cols))
                names.add(name)
        else:
            name = constraint_name("ix", table.name, cols)
            if name not in names:
                indexes.append(Index(name, cols, unique=draw(st.booleans())))
                names.add(name)
    # MySQL forbids a check on a column a foreign key action writes; keep checks off key columns.
    keyed = {c for fk in table.foreign_keys for c in fk.columns}
    free = [c for c in table.columns if c.name not in keyed]
    for column in draw(st.lists(st.sampled_from(free), max_size=2, unique_by=_name)):
        check = check_for(table.name, column)
        if check is not None and check.name not in names:
            checks.append(check)
            names.add(str(check.name))
    return replace(table, uniques=tuple(uniques), indexes=tuple(indexes), checks=tuple(checks))


@st.composite
def schemas(draw: st.DrawFn, min_tables: int = 1, max_tables: int = 4) -> Schema:
    """A valid schema of a few related tables (foreign keys point at earlier tables)."""
    names = draw(
        st.lists(
            st.sampled_from(TABLE_NAMES), min_size=min_tables, max_size=max_tables, unique=True
        )
    )
    built: list[Table] = []
    for name in names:
        built.append(draw(tables(name, tuple(built))))
    return Schema(tuple(built))


@st.composite
def schema_pairs(draw: st.DrawFn) -> tuple[Schema, Schema]:
    """(a, b): b is a drawn with tables dropped, changed, rebuilt and added."""
    a = draw(schemas())
    kept: list[Table] = []
    for table in a.tables:
        fate = draw(st.sampled_from(["keep", "change", "change", "rebuild", "drop"]))
        if fate == "drop":
            continue
        if fate == "change":
            table = draw(changed_table(table))
        elif fate == "rebuild" and not table.column("id").type.startswith("numeric"):
            table = table.replace_column("id", _toggle_identity(table))
        kept.append(table)
    kept = _without_dangling(kept)
    spare = [n for n in TABLE_NAMES if n not in {t.name for t in kept}]
    for name in draw(st.lists(st.sampled_from(spare), max_size=2, unique=True)):
        kept.append(draw(tables(name, tuple(kept))))
    return a, Schema(tuple(kept))


@st.composite
def changed_table(draw: st.DrawFn, table: Table) -> Table:
    """`table` with plain columns dropped, retyped, toggled or added, and constraints moved.

    The primary key and foreign key columns stay as they are, so other tables' keys still fit.
    """
    fixed = set(table.primary_key) | {c for fk in table.foreign_keys for c in fk.columns}
    for column in [c for c in table.columns if c.name not in fixed]:
        action = draw(st.sampled_from(["keep", "keep", "drop", "retype", "null", "default"]))
        if action == "drop":
            table = _drop_column(table, column.name)
        elif action == "retype":
            type_ = draw(column_types())
            new = replace(column, type=type_, default=draw(defaults_for(type_)))
            table = _drop_column(table, column.name)
            table = replace(table, columns=(*table.columns, new))
        elif action == "null":
            table = table.replace_column(column.name, replace(column, nullable=not column.nullable))
        elif action == "default":
            new = replace(column, default=draw(defaults_for(column.type)))
            table = table.replace_column(column.name, new)
    table = replace(
        table, columns=(*table.columns, *draw(plain_columns(frozenset(table.column_names))))
    )
    if draw(st.booleans()):
        table = replace(
            table,
            uniques=table.uniques[1:],
            indexes=table.indexes[1:],
            checks=table.checks[:-1],
        )
    return draw(with_extras(table))


def _drop_column(table: Table, name: str) -> Table:
    """`table` without column `name` and without every index, unique and check that uses it."""
    from migwright.tools.ops import expression_columns

    return replace(
        table,
        columns=tuple(c for c in table.columns if c.name != name),
        uniques=tuple(u for u in table.uniques if name not in u.columns),
        indexes=tuple(i for i in table.indexes if name not in i.columns),
        checks=tuple(c for c in table.checks if name not in expression_columns(c.expression)),
    )


def _toggle_identity(table: Table) -> Column:
    column = table.column("id")
    if len(table.primary_key) > 1:
        return replace(column, type="bigint" if column.type == "integer" else "integer")
    return replace(column, identity=not column.identity)


def _without_dangling(kept: list[Table]) -> list[Table]:
    """Drop foreign keys to tables that are gone, or whose key columns changed type."""
    by_name = {t.name: t for t in kept}
    result = []
    for table in kept:
        fks = tuple(
            fk
            for fk in table.foreign_keys
            if fk.ref_table in by_name
            and all(
                canonical_type(by_name[fk.ref_table].column(r).type)
                == canonical_type(table.column(c).type)
                for c, r in zip(fk.columns, fk.ref_columns, strict=True)
            )
        )
        result.append(replace(table, foreign_keys=fks))
    return result


def _name(item: Table | Column) -> str:
    return item.name
