"""One function per request verb: its argument text in, operations and a summary out.

The table-DDL verbs (`--create-table`, `--alter-table`, `--add-column`, `--add-index`) hand
their argument to the clause parsers in `spec_parse.py` / `spec_alter.py`; the short verbs
(`--add-fk "orders.user_id -> users.id"`, `--backfill ...`) have small grammars of their own,
read here. Every function raises SpecError naming only the problem; `spec.parse_request` adds
the verb, the argument and an example.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import SpecError
from .ops import (
    AddCheck,
    AddColumn,
    AddEnumValue,
    AddForeignKey,
    AddUnique,
    AlterColumn,
    Backfill,
    CreateEnum,
    CreateIndex,
    CreateTable,
    DropColumn,
    DropIndex,
    DropTable,
    Operation,
    RenameColumn,
    RenameTable,
    expression_columns,
)
from .schema import CheckConstraint, EnumType, ForeignKey, UniqueConstraint
from .spec_alter import drop_constraint_op, parse_alter_table, parse_index, stop_at_words
from .spec_grammar import Cursor, Tok, foreign_key_actions
from .spec_parse import Context, parse_column, parse_create_table


@dataclass(frozen=True)
class VerbResult:
    """What one verb contributes: its operations, a short summary for the description, and
    notes for the person (what was kept as raw SQL, what was assumed)."""

    operations: tuple[Operation, ...]
    summary: str
    notes: tuple[str, ...] = ()


Handler = Callable[[str, Context], VerbResult]


def _cursor(arg: str, ctx: Context) -> Cursor:
    return Cursor.of(arg, ctx.sg)


def table_dot_column(cur: Cursor, what: str = "table.column") -> tuple[str, str]:
    """`table.column`, the way most verbs name a column."""
    table = cur.name(what)
    if not cur.accept_punct("."):
        raise SpecError(f"expected {what}", "")
    return table, cur.name(what)


def _columns_after(cur: Cursor, what: str) -> tuple[str, ...]:
    """`.column`, `.(a, b)` or `(a, b)` after a table name."""
    if cur.accept_punct("."):
        if cur.is_punct("("):
            return cur.name_list(what)
        return (cur.name(what),)
    if cur.is_punct("("):
        return cur.name_list(what)
    raise SpecError(f"expected .column or (columns), found {cur.found()}", "")


def _optional_name(cur: Cursor, ctx: Context) -> str | None:
    if cur.accept("NAME") or cur.accept("CONSTRAINT"):
        return ctx.given_name(cur.name("the constraint name"))
    return None


# ---------------------------------------------------------------------------------------------
# Tables and columns
# ---------------------------------------------------------------------------------------------


def create_table(arg: str, ctx: Context) -> VerbResult:
    op, options = parse_create_table(_cursor(arg, ctx), ctx)
    if options:
        raise SpecError(
            f"table options {options!r} are not modelled",
            "leave them out (the server defaults apply), or use --sql FILE",
        )
    return VerbResult((op,), f"create {op.table.name}")


def add_column(arg: str, ctx: Context) -> VerbResult:
    cur = _cursor(arg, ctx)
    table = cur.name("table.column")
    if not cur.accept_punct("."):
        raise SpecError("expected table.column", "")
    spec = parse_column(cur, ctx, table)
    cur.finish(f"column {spec.column.name}", "add several columns with one --add-column each")
    ops = [AddColumn(table, spec.column), *spec.extra_ops(table)]
    return VerbResult(tuple(ops), f"add {spec.column.name} to {table}")


def alter_table(arg: str, ctx: Context) -> VerbResult:
    ops = parse_alter_table(_cursor(arg, ctx), ctx)
    tables = {t for op in ops for t in op.tables[:1]}
    summary = summarize(ops[0]) if len(ops) == 1 else f"alter {' '.join(sorted(tables))}"
    return VerbResult(tuple(ops), summary)


def drop_column(arg: str, ctx: Context) -> VerbResult:
    cur = _cursor(arg, ctx)
    table, column = table_dot_column(cur)
    cur.finish(f"{table}.{column}", "drop one column per --drop-column")
    return VerbResult((DropColumn(table, column),), f"drop {column} from {table}")


def drop_table(arg: str, ctx: Context) -> VerbResult:
    cur = _cursor(arg, ctx)
    table = cur.name("a table name")
    cur.finish(f"table {table}", "drop one table per --drop-table")
    return VerbResult((DropTable(table),), f"drop {table}")


def _to(cur: Cursor) -> None:
    if not (cur.accept("TO") or cur.accept_punct("->")):
        raise SpecError(f"expected to or -> before the new name, found {cur.found()}", "")


def rename_column(arg: str, ctx: Context) -> VerbResult:
    cur = _cursor(arg, ctx)
    table, old = table_dot_column(cur)
    _to(cur)
    new = cur.name("the new column name")
    cur.finish(f"the new name {new}")
    return VerbResult((RenameColumn(table, old, new),), f"rename {table} {old} to {new}")


def rename_table(arg: str, ctx: Context) -> VerbResult:
    cur = _cursor(arg, ctx)
    old = cur.name("the table name")
    _to(cur)
    new = cur.name("the new table name")
    cur.finish(f"the new name {new}")
    return VerbResult((RenameTable(old, new),), f"rename {old} to {new}")


# ---------------------------------------------------------------------------------------------
# Indexes and constraints
# ---------------------------------------------------------------------------------------------


def add_index(arg: str, ctx: Context) -> VerbResult:
    op = parse_index(_cursor(arg, ctx), ctx)
    return VerbResult((op,), summarize(op))


def drop_index(arg: str, ctx: Context) -> VerbResult:
    """`table.index [concurrently]`, or `index` alone when the schema knows its table."""
    cur = _cursor(arg, ctx)
    first = cur.name("table.index")
    if cur.accept_punct("."):
        table, name = first, cur.name("the index name")
    else:
        table, name = _index_table(ctx, first), first
    concurrently = cur.accept("CONCURRENTLY")
    cur.finish(f"index {name}")
    if concurrently:
        ctx.postgres_only("concurrently", "remove concurrently")
    return VerbResult((DropIndex(table, name, concurrently),), f"drop index {name}")


def _index_table(ctx: Context, name: str) -> str:
    tables = [
        t.name for t in (ctx.schema.tables if ctx.schema else ()) if name in t.constraint_names()
    ]
    if len(tables) != 1:
        raise SpecError(
            f"expected table.index; {name} alone names "
            + ("no index in the schema" if not tables else f"indexes on {', '.join(tables)}"),
            "",
        )
    return tables[0]


def add_fk(arg: str, ctx: Context) -> VerbResult:
    """`table.col -> ref.col [on delete a] [on update a] [name n]`, composite with `.(a, b)`."""
    cur = _cursor(arg, ctx)
    table = cur.name("table.column")
    columns = _columns_after(cur, "a foreign key column")
    if not (cur.accept_punct("->") or cur.accept("REFERENCES")):
        raise SpecError(f"expected -> before the referenced table, found {cur.found()}", "")
    ref_table = cur.name("the referenced table")
    if cur.is_punct(".") or cur.is_punct("("):
        ref_columns = _columns_after(cur, "a referenced column")
    elif ref_table == table and ctx.schema is None:
        raise SpecError(f"name the referenced column of {ref_table}", "")
    else:
        ref_columns = ctx.primary_key(ref_table)
    on_delete, on_update = foreign_key_actions(cur)
    given = _optional_name(cur, ctx)
    cur.finish("the foreign key", "options: on delete <action>, on update <action>, name <name>")
    if len(columns) != len(ref_columns):
        raise SpecError(
            f"{len(columns)} referencing column(s) but {len(ref_columns)} referenced", ""
        )
    name = given or ctx.fresh_name("fk", table, columns)
    fk = ForeignKey(name, columns, ref_table, ref_columns, on_delete, on_update)
    return VerbResult((AddForeignKey(table, fk),), f"add fk {table} {' '.join(columns)}")


def drop_constraint(arg: str, ctx: Context) -> VerbResult:
    cur = _cursor(arg, ctx)
    table, name = table_dot_column(cur, "table.constraint")
    cur.finish(f"constraint {name}")
    return VerbResult((drop_constraint_op(ctx, table, name),), f"drop {name} from {table}")


def _ends_check(cur: Cursor) -> bool:
    return cur.word() in ("NAME", "CONSTRAINT") and cur.is_name(1) and cur.peek(2) is None


def add_check(arg: str, ctx: Context) -> VerbResult:
    """`table expression [name n]` or `table (expression) [name n]`."""
    cur = _cursor(arg, ctx)
    table = cur.name("the table name")
    start = cur.pos
    expression = cur.expression("the check expression", _ends_check)
    if _one_group(cur.tokens[start : cur.pos]):
        expression = cur.slice(start + 1, cur.pos - 1).strip()
    given = _optional_name(cur, ctx)
    cur.finish("the check", "options: name <name>")
    used = tuple(sorted(expression_columns(expression)))
    check = CheckConstraint(given or ctx.fresh_name("ck", table, used), expression)
    return VerbResult((AddCheck(table, check),), f"add check {check.name}")


def _one_group(tokens: list[Tok]) -> bool:
    """True when the tokens are `( ... )` with the first parenthesis closed by the last."""
    if len(tokens) < 2 or tokens[0].text != "(" or tokens[-1].text != ")":
        return False
    depth = 0
    for i, tok in enumerate(tokens):
        if tok.kind == "punct" and tok.text in "()":
            depth += 1 if tok.text == "(" else -1
            if depth == 0 and i < len(tokens) - 1:
                return False
    return True


def add_unique(arg: str, ctx: Context) -> VerbResult:
    cur = _cursor(arg, ctx)
    table = cur.name("the table name")
    columns = _columns_after(cur, "a unique column")
    given = _optional_name(cur, ctx)
    cur.finish("the unique columns", "options: name <name>")
    unique = UniqueConstraint(given or ctx.fresh_name("uq", table, columns), columns)
    return VerbResult((AddUnique(table, unique),), f"add unique {table} {' '.join(columns)}")


# ---------------------------------------------------------------------------------------------
# Data and enum types
# ---------------------------------------------------------------------------------------------

_BACKFILL_STOP = stop_at_words("WHERE", "BATCH", "REVERSE")


def backfill(arg: str, ctx: Context) -> VerbResult:
    """`table.column = expression [where p] [batch n] [reverse expression]`."""
    cur = _cursor(arg, ctx)
    table, column = table_dot_column(cur)
    cur.expect_punct("=", f"after {table}.{column}")
    expression = cur.expression("the new value", _BACKFILL_STOP)
    where = reverse = None
    batch: int | None = None
    while not cur.at_end():
        if cur.accept("WHERE") and where is None:
            where = cur.expression("the where condition", _BACKFILL_STOP)
        elif cur.accept("REVERSE") and reverse is None:
            reverse = cur.expression("the reverse value", _BACKFILL_STOP)
        elif cur.accept("BATCH") and batch is None:
            tok = cur.advance() if not cur.at_end() else None
            if tok is None or tok.kind != "number" or not tok.text.isdigit() or int(tok.text) < 1:
                raise SpecError("batch needs a whole number of rows, e.g. batch 1000", "")
            batch = int(tok.text)
        else:
            raise SpecError(
                f"unexpected {cur.found()} in the backfill",
                "options (each once): where <condition>, batch <rows>, reverse <expression>",
            )
    op = Backfill(table, column, expression, where, reverse, batch)
    return VerbResult((op,), f"backfill {table} {column}")


def create_enum(arg: str, ctx: Context) -> VerbResult:
    cur = _cursor(arg, ctx)
    op = parse_enum(cur, ctx)
    cur.finish(f"the values of {op.enum.name}")
    return VerbResult((op,), f"create enum {op.enum.name}")


def parse_enum(cur: Cursor, ctx: Context) -> CreateEnum:
    """`name (a, b)` or `name as enum ('a', 'b')`."""
    ctx.postgres_only("create enum", "use an enum('a','b') column type in MySQL, or a check")
    name = cur.name("the type name")
    if cur.accept("AS"):
        cur.expect("ENUM")
    cur.expect_punct("(", f"after the type name {name}")
    values = [cur.value("an enum value")]
    while cur.accept_punct(","):
        values.append(cur.value("an enum value"))
    cur.expect_punct(")", "after the enum values")
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise SpecError(f"enum {name} lists {dupes[0]!r} twice", "give each value once")
    return CreateEnum(EnumType(name, tuple(values)))


def add_enum_value(arg: str, ctx: Context) -> VerbResult:
    cur = _cursor(arg, ctx)
    name = cur.name("the type name")
    cur.accept_punct(".")
    op = parse_enum_value(cur, ctx, name)
    return VerbResult((op,), f"add {op.value} to {name}")


def parse_enum_value(cur: Cursor, ctx: Context, name: str) -> AddEnumValue:
    """`value [before|after other]` after the type name (values may be 'quoted')."""
    ctx.postgres_only("add enum value", "change the column's enum('a','b') type in MySQL")
    value = cur.value("the new value")
    before = after = None
    if cur.accept("BEFORE"):
        before = cur.value("the value to put it before")
    elif cur.accept("AFTER"):
        after = cur.value("the value to put it after")
    cur.finish(f"the value {value!r}", "options: before <value> or after <value>")
    return AddEnumValue(name, value, before, after)


def _index_summary(op: CreateIndex) -> str:
    columns = op.index.columns
    if all(c.isidentifier() for c in columns):
        return f"add index on {op.table} {' '.join(columns)}"
    return f"add index {op.index.name}"


#: Operation class -> a few words for it, for descriptions derived from SQL or ALTER actions.
_SUMMARIES: dict[type, Callable[[Any], str]] = {
    CreateTable: lambda op: f"create {op.table.name}",
    DropTable: lambda op: f"drop {op.name}",
    RenameTable: lambda op: f"rename {op.old} to {op.new}",
    AddColumn: lambda op: f"add {op.column.name} to {op.table}",
    DropColumn: lambda op: f"drop {op.column} from {op.table}",
    AlterColumn: lambda op: f"alter {op.table} {op.column}",
    RenameColumn: lambda op: f"rename {op.table} {op.old} to {op.new}",
    CreateIndex: _index_summary,
    Backfill: lambda op: f"backfill {op.table} {op.column}",
}


def summarize(op: Operation) -> str:
    """A few words for one operation: "add shipped_at to orders"."""
    for cls in type(op).__mro__:
        if cls in _SUMMARIES:
            return _SUMMARIES[cls](op)
    return " ".join(op.describe().lstrip("+-~> ").split()[:6])
