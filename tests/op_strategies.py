"""Hypothesis strategies for random, valid sequences of operations on a running schema.

Each draw looks at the schema as it is now and only proposes operations that make sense on
it and that every supported dialect can execute on an empty table (so the property test checks
migwright's SQL, not the limits of a server): MySQL cannot index TEXT without a prefix length
nor change the type of a column inside a foreign key, so those choices are left out there.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from migwright.tools import ops as o
from migwright.tools.errors import MigwrightError
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
from migwright.tools.sql import render

NAMES = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"]
TABLES = ["accounts", "orders", "items", "events", "notes"]
TYPES = [
    "integer",
    "bigint",
    "smallint",
    "boolean",
    "text",
    "varchar(40)",
    "numeric(10,2)",
    "date",
    "timestamp",
    "timestamptz",
    "double",
]
NUMERIC = {"integer", "bigint", "smallint", "numeric(10,2)", "double"}
INDEXABLE_EVERYWHERE = {t for t in TYPES if t != "text"}
DEFAULTS = {
    "integer": ["0", "42"],
    "bigint": ["0", "7"],
    "smallint": ["1"],
    "boolean": ["true", "false"],
    "varchar(40)": ["'n/a'", "''"],
    "numeric(10,2)": ["0", "1.5"],
    "date": ["'2024-01-01'"],
    "timestamp": ["'2024-01-01 00:00:00'"],
    "timestamptz": ["CURRENT_TIMESTAMP"],
    "double": ["0"],
    "text": [],
}
WIDER = {
    "smallint": ["integer", "bigint"],
    "integer": ["bigint", "numeric(12,0)"],
    "varchar(40)": ["varchar(80)", "text"],
    "numeric(10,2)": ["numeric(14,2)"],
    "timestamp": ["timestamptz"],
}


def _free(names: list[str], used: set[str]) -> list[str]:
    return [n for n in names if n not in used]


@st.composite
def column(draw: st.DrawFn, used: set[str], dialect: str) -> Column:
    name = draw(st.sampled_from(_free(NAMES, used)))
    type_ = draw(st.sampled_from(TYPES))
    defaults = DEFAULTS[type_] if dialect != "mysql" or type_ != "text" else []
    default = draw(st.sampled_from([None, *defaults])) if defaults else None
    nullable = draw(st.booleans()) if default is not None else True
    return Column(name, type_, nullable, default)


@st.composite
def create_table(draw: st.DrawFn, schema: Schema, dialect: str) -> o.Operation:
    name = draw(st.sampled_from(_free(TABLES, set(schema.table_names))))
    pk_type = draw(st.sampled_from(["integer", "bigint"]))
    columns = [Column("id", pk_type, False, identity=draw(st.booleans()))]
    used = {"id"}
    for _ in range(draw(st.integers(1, 3))):
        col = draw(column(used, dialect))
        used.add(col.name)
        columns.append(col)
    fks: list[ForeignKey] = []
    targets = [t for t in schema.tables if len(t.primary_key) == 1]
    if targets and draw(st.booleans()):
        target = draw(st.sampled_from(targets))
        ref_type = canonical_type(target.column(target.primary_key[0]).type)
        fk_col = Column(f"{target.name}_id", ref_type, True)
        columns.append(fk_col)
        action = draw(st.sampled_from([None, "CASCADE", "SET NULL", "RESTRICT"]))
        fks.append(
            ForeignKey(
                constraint_name("fk", name, [fk_col.name]),
                (fk_col.name,),
                target.name,
                target.primary_key,
                action,
            )
        )
    checks = []
    numeric = [c for c in columns[1:] if c.type in NUMERIC and not c.name.endswith("_id")]
    if numeric and draw(st.booleans()):
        col = draw(st.sampled_from(numeric))
        checks.append(CheckConstraint(constraint_name("ck", name, [col.name]), f"{col.name} >= 0"))
    return o.CreateTable(
        Table(name, tuple(columns), ("id",), foreign_keys=tuple(fks), checks=tuple(checks))
    )


def _candidates(schema: Schema, dialect: str) -> list[Callable[[st.DrawFn], o.Operation]]:
    tables = list(schema.tables)
    moves: list[Callable[[st.DrawFn], o.Operation]] = []
    if len(tables) < len(TABLES):
        moves.append(lambda draw: draw(create_table(schema, dialect)))
    if not tables:
        return moves

    def pick(draw: st.DrawFn) -> Table:
        return draw(st.sampled_from(tables))

    def plain_columns(t: Table) -> list[Column]:
        return [c for c in t.columns if c.name not in t.primary_key]

    def fk_columns(t: Table) -> set[str]:
        cols = {c for fk in t.foreign_keys for c in fk.columns}
        cols |= {c for _, fk in schema.referencing(t.name) for c in fk.ref_columns}
        return cols

    def add_column(draw: st.DrawFn) -> o.Operation:
        t = pick(draw)
        return o.AddColumn(t.name, draw(column(set(t.column_names), dialect)))

    def drop_column(draw: st.DrawFn) -> o.Operation:
        t = pick(draw)
        return o.DropColumn(t.name, draw(st.sampled_from([c.name for c in t.columns])))

    def alter_type(draw: st.DrawFn) -> o.Operation:
        t = pick(draw)
        options = [
            c
            for c in plain_columns(t)
            if canonical_type(c.type) in WIDER
            and not (dialect == "mysql" and c.name in fk_columns(t))
        ]
        col = draw(st.sampled_from(options or plain_columns(t) or list(t.columns)))
        wider = WIDER.get(canonical_type(col.type), [])
        if not wider:
            return o.NoOp("no wider type")
        new_type = draw(st.sampled_from(wider))
        if dialect == "mysql" and new_type == "text" and (col.default or _indexed(t, col.name)):
            return o.NoOp("mysql text limits")
        return o.AlterColumn(t.name, col.name, type=new_type)

    def alter_null(draw: st.DrawFn) -> o.Operation:
        t = pick(draw)
        cols = [c for c in plain_columns(t) if c.name not in fk_columns(t) or dialect != "mysql"]
        if not cols:
            return o.NoOp("no column")
        col = draw(st.sampled_from(cols))
        return o.AlterColumn(t.name, col.name, nullable=not col.nullable)

    def alter_default(draw: st.DrawFn) -> o.Operation:
        t = pick(draw)
        cols = [c for c in plain_columns(t) if DEFAULTS.get(canonical_type(c.type))]
        if not cols:
            return o.NoOp("no column")
        col = draw(st.sampled_from(cols))
        choices = [d for d in DEFAULTS[canonical_type(col.type)] if d != col.default]
        if col.default is not None:
            choices.append("__drop__")
        choice = draw(st.sampled_from(choices)) if choices else "__drop__"
        return o.AlterColumn(t.name, col.name, default=None if choice == "__drop__" else choice)

    def rename_column(draw: st.DrawFn) -> o.Operation:
        t = pick(draw)
        col = draw(st.sampled_from([c.name for c in t.columns]))
        new = draw(st.sampled_from(_free(NAMES, set(t.column_names)) or ["zulu"]))
        return o.RenameColumn(t.name, col, new)

    def rename_table(draw: st.DrawFn) -> o.Operation:
        t = pick(draw)
        new = draw(st.sampled_from(_free(TABLES, set(schema.table_names)) or ["spare"]))
        return o.RenameTable(t.name, new)

    def create_index(draw: st.DrawFn) -> o.Operation:
        t = pick(draw)
        cols = [
            c.name
            for c in t.columns
            if dialect != "mysql" or canonical_type(c.type) in INDEXABLE_EVERYWHERE
        ]
        chosen = draw(st.lists(st.sampled_from(cols), min_size=1, max_size=2, unique=True))
        unique = draw(st.booleans())
        where = None
        if dialect != "mysql" and draw(st.booleans()):
            where = f"{chosen[0]} IS NOT NULL"
        name = constraint_name("ux" if unique else "ix", t.name, chosen)
        return o.CreateIndex(t.name, Index(name, tuple(chosen), unique, where))

    def drop_index(draw: st.DrawFn) -> o.Operation:
        t = pick(draw)
        if not t.indexes:
            return o.NoOp("no index")
        return o.DropIndex(t.name, draw(st.sampled_from([i.name for i in t.indexes])))

    def add_unique(draw: st.DrawFn) -> o.Operation:
        t = pick(draw)
        cols = [
            c.name
            for c in plain_columns(t)
            if dialect != "mysql" or canonical_type(c.type) in INDEXABLE_EVERYWHERE
        ]
        if not cols:
            return o.NoOp("no column")
        chosen = draw(st.lists(st.sampled_from(cols), min_size=1, max_size=2, unique=True))
        return o.AddUnique(
            t.name, UniqueConstraint(constraint_name("uq", t.name, chosen), tuple(chosen))
        )

    def add_check(draw: st.DrawFn) -> o.Operation:
        t = pick(draw)
        cols = [c for c in plain_columns(t) if canonical_type(c.type) in NUMERIC]
        if not cols:
            return o.NoOp("no numeric column")
        col = draw(st.sampled_from(cols))
        bound = draw(st.sampled_from(["0", "1", "100"]))
        op = draw(st.sampled_from([">=", "<>", "<"]))
        name = constraint_name(
            "ck",
            t.name,
            [col.name, op.replace(">", "gt").replace("<", "lt").replace("=", "e"), bound],
        )
        return o.AddCheck(t.name, CheckConstraint(name, f"{col.name} {op} {bound}"))

    def add_fk(draw: st.DrawFn) -> o.Operation:
        t = pick(draw)
        target = draw(st.sampled_from(tables))
        if len(target.primary_key) != 1:
            return o.NoOp("no single-column key")
        ref_type = canonical_type(target.column(target.primary_key[0]).type)
        cols = [c for c in plain_columns(t) if canonical_type(c.type) == ref_type]
        if not cols:
            return o.NoOp("no column of the key's type")
        col = draw(st.sampled_from(cols))
        if any(fk.columns == (col.name,) and fk.ref_table == target.name for fk in t.foreign_keys):
            return o.NoOp("the same key twice")  # SQLAlchemy's SQLite reflection merges those
        action = draw(
            st.sampled_from([None, "CASCADE", "RESTRICT"] + (["SET NULL"] if col.nullable else []))
        )
        name = constraint_name("fk", t.name, [col.name, target.name])
        return o.AddForeignKey(
            t.name, ForeignKey(name, (col.name,), target.name, target.primary_key, action)
        )

    def drop_constraint(draw: st.DrawFn) -> o.Operation:
        t = pick(draw)
        names = [n for n in (x.name for x in (*t.foreign_keys, *t.uniques, *t.checks)) if n]
        if not names:
            return o.NoOp("no constraint")
        return o.DropConstraint(t.name, draw(st.sampled_from(names)))

    def drop_table(draw: st.DrawFn) -> o.Operation:
        return o.DropTable(pick(draw).name)

    moves += [
        add_column,
        add_column,
        drop_column,
        alter_type,
        alter_null,
        alter_default,
        rename_column,
        rename_table,
        create_index,
        drop_index,
        add_unique,
        add_check,
        add_fk,
        drop_constraint,
        drop_table,
    ]
    return moves


def _indexed(t: Table, column_name: str) -> bool:
    return any(column_name in i.columns for i in t.indexes) or any(
        column_name in u.columns for u in t.uniques
    )


@st.composite
def next_operation(draw: st.DrawFn, schema: Schema, dialect: str) -> o.Operation | None:
    """One operation valid on `schema`, or None when the drawn move does not fit."""
    moves = _candidates(schema, dialect)
    move = draw(st.sampled_from(moves))
    op = move(draw)
    if isinstance(op, o.NoOp):
        return None
    try:
        op.apply(schema)
        render([op], schema, dialect)  # combinations a dialect refuses, with a hint, on purpose
    except MigwrightError:
        return None
    return op
