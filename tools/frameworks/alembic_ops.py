"""Operations as Alembic `op.*` calls: one small function per operation class.

Each function returns `Piece`s: the call at the top level of upgrade()/downgrade() and, for
what SQLite can only do by rebuilding the table, the same call inside
`with op.batch_alter_table(...) as batch_op:` (Alembic's batch mode). The renderer picks
batch mode when the repo's env.py asks for it (`render_as_batch=True`) or the dialect is
SQLite, and groups neighbouring pieces on one table into one block.

What Alembic cannot say natively (a type with no SQLAlchemy spelling, MySQL's dance around
the indexes InnoDB keeps for foreign keys) becomes `op.execute()` of the dialect's own SQL,
with a comment saying why, so the revision still does exactly what migwright validated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import backfill
from .. import ops as o
from ..dialects import Dialect
from ..dialects.postgres import needs_using
from ..schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
    is_identifier,
)
from ..sql import render as render_sql
from ..sqlscript import split_sql
from .alembic_sa import Spelling, sa_type, server_default
from .py_backfill import assignment
from .pycode import Code, Seq, call, flat, py


class Unsupported(Exception):
    """The operation has no native Alembic spelling here; the reason goes into a comment."""


@dataclass(frozen=True)
class Piece:
    """One statement: `code` at top level, `batch` inside a batch block on `table`."""

    code: Code | None
    batch: Code | None = None
    table: str | None = None
    comments: tuple[str, ...] = ()
    autocommit: bool = False


@dataclass
class Context:
    dialect: Dialect
    final_names: bool  #: wrap names in op.f(): env.py has target_metadata (naming conventions)
    batch: bool
    width: int = 88  #: the repo's line length (ruff, then black)
    spell: Spelling = field(default_factory=Spelling)

    def name(self, name: str | None) -> Code | None:
        if name is None:
            return None
        return call("op.f", py(name)) if self.final_names else py(name)

    def type_(self, column: Column, schema: Schema) -> Code:
        spelled = sa_type(column.type, self.dialect, schema, self.spell, column)
        if spelled is None:
            raise Unsupported(f"SQLAlchemy has no {self.dialect.label} spelling of {column.type}")
        return spelled


Renderer = Callable[[o.Operation, Schema, Schema, Context], list[Piece]]


def _kw(**kwargs: Code | None) -> dict[str, Code]:
    return {k: v for k, v in kwargs.items() if v is not None}


def _cols(names: tuple[str, ...]) -> Code:
    return py(list(names))


# ---------------------------------------------------------------------------------------------
# Columns and tables
# ---------------------------------------------------------------------------------------------


def column(col: Column, table: Table, schema: Schema, ctx: Context) -> Code:
    """`sa.Column(...)` as Alembic's autogenerate writes it: nullable always explicit."""
    args: list[Code] = [py(col.name), ctx.type_(col, schema)]
    pk_integer = table.primary_key == (col.name,) and col.type.split("(")[0] in (
        "integer",
        "bigint",
        "smallint",
    )
    if col.identity and ctx.dialect.name == "postgresql":
        args.append(call("sa.Identity"))
    kwargs = _kw(
        autoincrement="False" if pk_integer and not col.identity else None,
        server_default=server_default(col, ctx.dialect, schema, ctx.spell),
        nullable="False" if not col.nullable or col.name in table.primary_key else "True",
        comment=py(col.comment) if col.comment else None,
    )
    return call("sa.Column", *args, **kwargs)


def foreign_key(fk: ForeignKey, ctx: Context) -> Code:
    refs = [f"{fk.ref_table}.{c}" for c in fk.ref_columns]
    return call(
        "sa.ForeignKeyConstraint",
        _cols(fk.columns),
        py(refs),
        **_kw(
            name=ctx.name(fk.name),
            ondelete=py(fk.on_delete) if fk.on_delete else None,
            onupdate=py(fk.on_update) if fk.on_update else None,
        ),
    )


def _create_table(op: o.CreateTable, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    t = op.table
    elements: list[Code] = [column(c, t, after, ctx) for c in t.columns]
    if t.primary_key:  # unnamed: the naming convention, or the database, names it
        elements.append(call("sa.PrimaryKeyConstraint", *map(py, t.primary_key)))
    for fk in t.foreign_keys:
        elements.append(foreign_key(fk, ctx))
    for u in t.uniques:
        elements.append(
            call("sa.UniqueConstraint", *map(py, u.columns), **_kw(name=ctx.name(u.name)))
        )
    for ck in t.checks:
        condition = py(ctx.dialect.expression(ck.expression, after))
        elements.append(call("sa.CheckConstraint", condition, **_kw(name=ctx.name(ck.name))))
    kwargs = _kw(comment=py(t.comment) if t.comment else None)
    pieces = [Piece(call("op.create_table", py(t.name), *elements, **kwargs))]
    for index in t.indexes:
        pieces += _create_index(o.CreateIndex(t.name, index), before, after, ctx)
    return pieces


def _drop_table(op: o.DropTable, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    return [Piece(call("op.drop_table", py(op.name)))]


def _rename_table(op: o.RenameTable, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    return [Piece(call("op.rename_table", py(op.old), py(op.new)))]


def _add_column(op: o.AddColumn, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    col = column(op.column, after.table(op.table), after, ctx)
    return [
        Piece(
            call("op.add_column", py(op.table), col),
            call("batch_op.add_column", col),
            op.table,
        )
    ]


def _drop_column(op: o.DropColumn, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    return [
        Piece(
            call("op.drop_column", py(op.table), py(op.column)),
            call("batch_op.drop_column", py(op.column)),
            op.table,
        )
    ]


def _existing(col: Column, schema: Schema, ctx: Context) -> dict[str, Code]:
    """existing_type / existing_nullable / existing_server_default: MySQL's MODIFY and
    SQLite's batch copy rebuild the whole column from them."""
    return _kw(
        existing_type=ctx.type_(col, schema),
        existing_nullable="True" if col.nullable else "False",
        existing_server_default=server_default(col, ctx.dialect, schema, ctx.spell),
    )


def _alter_column(op: o.AlterColumn, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    old = before.table(op.table).column(op.column)
    new = after.table(op.table).column(op.column)
    kwargs = _existing(old, before, ctx)
    if op.type is not None:
        kwargs["type_"] = ctx.type_(new, after)
        using = op.using
        if using is None and ctx.dialect.name == "postgresql" and needs_using(old.type, new.type):
            using = f"{ctx.dialect.quote(op.column)}::{ctx.dialect.column_type(new, after)}"
        if using and ctx.dialect.name == "postgresql":
            kwargs["postgresql_using"] = py(using)
    if op.nullable is not None:
        kwargs.pop("existing_nullable")
        kwargs["nullable"] = "True" if op.nullable else "False"
    if op.default is not o.KEEP:
        kwargs.pop("existing_server_default", None)
        kwargs["server_default"] = server_default(new, ctx.dialect, after, ctx.spell) or "None"
    names = (py(op.table), py(op.column))
    return [
        Piece(
            call("op.alter_column", *names, **kwargs),
            call("batch_op.alter_column", names[1], **kwargs),
            op.table,
        )
    ]


def _rename_column(op: o.RenameColumn, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    kwargs = {
        "new_column_name": py(op.new),
        **_existing(before.table(op.table).column(op.old), before, ctx),
    }
    return [
        Piece(
            call("op.alter_column", py(op.table), py(op.old), **kwargs),
            call("batch_op.alter_column", py(op.old), **kwargs),
            op.table,
        )
    ]


# ---------------------------------------------------------------------------------------------
# Indexes and constraints
# ---------------------------------------------------------------------------------------------


def _index_kwargs(
    index: Index, schema: Schema, ctx: Context, concurrently: bool
) -> dict[str, Code]:
    name = ctx.dialect.name
    kwargs: dict[str, Code] = {"unique": "True" if index.unique else "False"}
    if index.where:
        if name not in ("postgresql", "sqlite"):
            raise Unsupported(f"{ctx.dialect.label} has no partial indexes")
        where = call("sa.text", py(ctx.dialect.expression(index.where, schema)))
        kwargs[f"{name}_where"] = where
    if index.using and index.using.lower() != "btree" and name == "postgresql":
        kwargs["postgresql_using"] = py(index.using)
    if concurrently and name == "postgresql":
        kwargs["postgresql_concurrently"] = "True"
    return kwargs


def _index_columns(index: Index, schema: Schema, ctx: Context) -> Code:
    return Seq(
        tuple(
            py(c) if is_identifier(c) else call("sa.text", py(ctx.dialect.expression(c, schema)))
            for c in index.columns
        )
    )


def _create_index(op: o.CreateIndex, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    ctx.dialect.render(op, before, after)  # the dialect's own refusals (MySQL and TEXT) apply
    kwargs = _index_kwargs(op.index, after, ctx, op.concurrently)
    cols = _index_columns(op.index, after, ctx)
    name = ctx.name(op.index.name)
    assert name is not None
    piece = Piece(
        call("op.create_index", name, py(op.table), cols, **kwargs),
        None if op.concurrently else call("batch_op.create_index", name, cols, **kwargs),
        op.table,
        autocommit=op.concurrently and ctx.dialect.name == "postgresql",
    )
    return [piece]


def _drop_index(op: o.DropIndex, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    name = ctx.name(op.name)
    assert name is not None
    kwargs: dict[str, Code] = {"table_name": py(op.table)}
    concurrent = op.concurrently and ctx.dialect.name == "postgresql"
    if concurrent:
        kwargs["postgresql_concurrently"] = "True"
    _single_statement(op, before, after, ctx)
    return [
        Piece(
            call("op.drop_index", name, **kwargs),
            None if concurrent else call("batch_op.drop_index", name),
            op.table,
            autocommit=concurrent,
        )
    ]


def _add_foreign_key(
    op: o.AddForeignKey, before: Schema, after: Schema, ctx: Context
) -> list[Piece]:
    fk = op.foreign_key
    ctx.dialect.render(op, before, after)
    name = ctx.name(fk.name) or "None"
    actions = _kw(
        ondelete=py(fk.on_delete) if fk.on_delete else None,
        onupdate=py(fk.on_update) if fk.on_update else None,
    )
    local, remote = _cols(fk.columns), _cols(fk.ref_columns)
    return [
        Piece(
            call(
                "op.create_foreign_key",
                name,
                py(op.table),
                py(fk.ref_table),
                local,
                remote,
                **actions,
            ),
            call("batch_op.create_foreign_key", name, py(fk.ref_table), local, remote, **actions),
            op.table,
        )
    ]


def _add_unique(op: o.AddUnique, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    ctx.dialect.render(op, before, after)
    name = ctx.name(op.unique.name) or "None"
    cols = _cols(op.unique.columns)
    return [
        Piece(
            call("op.create_unique_constraint", name, py(op.table), cols),
            call("batch_op.create_unique_constraint", name, cols),
            op.table,
        )
    ]


def _add_check(op: o.AddCheck, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    ctx.dialect.render(op, before, after)
    name = ctx.name(op.check.name) or "None"
    condition = py(ctx.dialect.expression(op.check.expression, after))
    return [
        Piece(
            call("op.create_check_constraint", name, py(op.table), condition),
            call("batch_op.create_check_constraint", name, condition),
            op.table,
        )
    ]


_CONSTRAINT_TYPES = {ForeignKey: "foreignkey", UniqueConstraint: "unique", CheckConstraint: "check"}


def _drop_constraint(
    op: o.DropConstraint, before: Schema, after: Schema, ctx: Context
) -> list[Piece]:
    _single_statement(op, before, after, ctx)
    item = op.find(before.table(op.table))
    type_ = py(_CONSTRAINT_TYPES[type(item)])
    name = ctx.name(op.name)
    assert name is not None
    return [
        Piece(
            call("op.drop_constraint", name, py(op.table), type_=type_),
            call("batch_op.drop_constraint", name, type_=type_),
            op.table,
        )
    ]


def _single_statement(op: o.Operation, before: Schema, after: Schema, ctx: Context) -> None:
    """MySQL sometimes needs more than the one statement Alembic would emit (InnoDB's indexes
    for foreign keys): then the dialect's SQL runs as written."""
    statements = ctx.dialect.render(op, before, after)
    if len(statements) > 1:
        note = next((s.note for s in statements if s.note), None)
        raise Unsupported(note or f"{ctx.dialect.label} needs several statements for this")


# ---------------------------------------------------------------------------------------------
# Enum types, data and raw SQL
# ---------------------------------------------------------------------------------------------


def _create_enum(op: o.CreateEnum, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    if ctx.dialect.name != "postgresql":
        return []  # the values live in each column's type (MySQL ENUM, SQLite TEXT)
    enum = call(ctx.spell.pg("ENUM"), *map(py, op.enum.values), name=py(op.enum.name))
    return [Piece(call(f"{flat(enum)}.create", "op.get_bind()"))]


def _drop_enum(op: o.DropEnum, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    if ctx.dialect.name != "postgresql":
        return []
    enum = call(ctx.spell.pg("ENUM"), name=py(op.name))
    return [Piece(call(f"{flat(enum)}.drop", "op.get_bind()"))]


def _execute(op: o.Operation, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    """op.execute() of the dialect's SQL: backfills, raw SQL and every fallback.

    Raw SQL is split into statements (SQLite's driver runs one per call); a `:word` outside
    SQLAlchemy's `::` cast would read as a bind parameter, so its colon is escaped.
    """
    pieces = []
    for statement in render_sql([op], before, ctx.dialect):
        comments = (statement.note,) if statement.note and "raw SQL" not in statement.note else ()
        for part in split_sql(statement.sql) if isinstance(op, o.RawSQL) else [statement]:
            sql = _BIND.sub(r"\\:", part.sql.strip().rstrip(";"))
            pieces.append(
                Piece(
                    call("op.execute", py(sql)),
                    comments=comments,
                    autocommit=not statement.transactional,
                )
            )
            comments = ()
    return pieces


_BIND = re.compile(r"(?<![:\w\\]):(?=\w)")


def _backfill(op: o.Backfill, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    """A batched backfill as a loop in upgrade(), one commit per batch (tools/backfill.py).

    The loop runs inside `autocommit_block()`, so each UPDATE commits by itself and a crash
    loses at most the batch in flight; re-running the revision picks up the pending rows.
    Without a batch size it is the dialect's one UPDATE.
    """
    if not op.batch_size:
        return _execute(op, before, after, ctx)
    b = backfill.batch_sql(
        ctx.dialect,
        op,
        after,
        op.batch_size,
        "named",
        lambda text: _BIND.sub(r"\\:", text),
        op.throttle_ms or 0,
    )
    text = ctx.spell.sa("text")
    keys = ", ".join(f"{py(f'lo_{i}')}: lo[{i}]" for i in range(len(b.key)))
    nexts = ", ".join(f"{py(f'nx_{i}')}: nx[{i}]" for i in range(len(b.key)))
    name = f"{op.table}.{op.column}"
    code = [
        "bind = op.get_bind()",
        f"label = {py(f'backfill {name}')}",
        *(
            line
            for name, sql in (
                ("first_sql", b.first),
                ("bound_sql", b.bound),
                ("update_sql", b.update),
                ("tail_sql", b.tail),
            )
            for line in assignment(name, sql, 8, ctx.width)  # upgrade() > with: 8 columns
        ),
        f"lo = bind.execute({text}(first_sql)).first()",
        "batches = 0",
        "while lo is not None:",
        f"    keys = {{{keys}}}",
        f"    nx = bind.execute({text}(bound_sql), keys).first()",
        "    if nx is None:",
        f"        bind.execute({text}(tail_sql), keys)",
        "    else:",
        f"        bind.execute({text}(update_sql), {{**keys, {nexts}}})",
        "    batches += 1",
        f"    if batches % {b.every} == 0:",
        f'        print(f"{{label}}: {{batches}} batches of {b.size}")',
    ]
    if b.throttle_ms:
        ctx.spell.imports.add("import time")
        code.append(f"    time.sleep({b.throttle_ms / 1000})")
    code.append("    lo = nx")
    first = Piece(code[0], comments=(b.describe() + ".",), autocommit=True)
    return [first, *(Piece(line, autocommit=True) for line in code[1:])]


def _noop(op: o.NoOp, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    return [Piece(None, comments=(op.reason or "nothing to do",))]


RENDERERS: dict[type[o.Operation], Renderer] = {
    o.CreateTable: _create_table,  # type: ignore[dict-item]
    o.DropTable: _drop_table,  # type: ignore[dict-item]
    o.RenameTable: _rename_table,  # type: ignore[dict-item]
    o.AddColumn: _add_column,  # type: ignore[dict-item]
    o.DropColumn: _drop_column,  # type: ignore[dict-item]
    o.AlterColumn: _alter_column,  # type: ignore[dict-item]
    o.RenameColumn: _rename_column,  # type: ignore[dict-item]
    o.CreateIndex: _create_index,  # type: ignore[dict-item]
    o.DropIndex: _drop_index,  # type: ignore[dict-item]
    o.AddForeignKey: _add_foreign_key,  # type: ignore[dict-item]
    o.AddUnique: _add_unique,  # type: ignore[dict-item]
    o.AddCheck: _add_check,  # type: ignore[dict-item]
    o.DropConstraint: _drop_constraint,  # type: ignore[dict-item]
    o.CreateEnum: _create_enum,  # type: ignore[dict-item]
    o.DropEnum: _drop_enum,  # type: ignore[dict-item]
    o.AddEnumValue: _execute,
    o.Backfill: _backfill,  # type: ignore[dict-item]
    o.RawSQL: _execute,
    o.NoOp: _noop,  # type: ignore[dict-item]
}


def render_operation(op: o.Operation, before: Schema, after: Schema, ctx: Context) -> list[Piece]:
    """The pieces for one operation: native when possible, else the dialect's SQL."""
    renderer = next((RENDERERS[c] for c in type(op).__mro__ if c in RENDERERS), _execute)
    try:
        return renderer(op, before, after, ctx)
    except Unsupported as why:
        pieces = _execute(op, before, after, ctx)
        reason = f"{why}: {ctx.dialect.label} SQL, as migwright validated it"
        first = pieces[0] if pieces else Piece(None)
        return [
            Piece(first.code, None, None, (reason, *first.comments), first.autocommit),
            *pieces[1:],
        ]
