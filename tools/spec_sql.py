"""`--sql FILE`: plain DDL statements read into the same operations as the verbs.

A statement migwright models (CREATE TABLE, ALTER TABLE, CREATE INDEX, DROP TABLE/INDEX/TYPE,
CREATE TYPE ... AS ENUM, ALTER TYPE ... ADD VALUE, a single-column UPDATE) becomes operations;
anything else, or anything it cannot read (functions, triggers, grants, a collation), is kept
as `RawSQL` with no down and a note, provided sqlglot can parse it; SQL that sqlglot rejects
too is a mistake and raises SpecError with the statement's number and line.
"""

from __future__ import annotations

import re
from pathlib import Path

import sqlglot

from .errors import MigwrightError, SpecError
from .ops import Backfill, DropEnum, DropIndex, DropTable, Operation, RawSQL, apply_all
from .spec_alter import parse_alter_table, parse_index, stop_at_words
from .spec_grammar import Cursor, Tok, UnmodelledError, clean_message, tokenize
from .spec_parse import SQL_HINT, Context, parse_create_table
from .spec_verbs import VerbResult, parse_enum, parse_enum_value, summarize

_INLINE = re.compile(
    r"^\s*(create|alter|drop|update|comment|insert|delete|grant|revoke|do|begin|start|"
    r"truncate|rename|vacuum|analyze|reindex|refresh|cluster|set|call|lock|optimize)\b",
    re.I,
)
_TRANSACTION = {"BEGIN", "COMMIT", "START", "END", "ROLLBACK"}


def sql_verb(arg: str, ctx: Context) -> VerbResult:
    """Read the file named by `arg` (or `arg` itself when it is SQL and names no file)."""
    text, label = read_sql_argument(arg, ctx.base_dir)
    ops, notes = parse_sql(text, ctx)
    if not ops:
        raise SpecError(f"{label} has no statements", "give a file with DDL statements")
    if len(ops) == 1:
        summary = summarize(ops[0])
    elif label.endswith(".sql"):
        summary = Path(label).stem.replace("_", " ").replace("-", " ")
    else:
        summary = f"{summarize(ops[0])} and {len(ops) - 1} more"
    return VerbResult(tuple(ops), summary, tuple(notes))


def read_sql_argument(arg: str, base_dir: Path | None) -> tuple[str, str]:
    """(SQL text, label for messages). Files are read as UTF-8."""
    path = Path(arg).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    try:
        exists = path.is_file()
    except (OSError, ValueError):
        exists = False
    if exists:
        try:
            return path.read_text(encoding="utf-8"), arg
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError(f"cannot read {arg}: {exc}", "give a readable UTF-8 .sql file") from exc
    if _INLINE.match(arg):
        return arg, "the SQL"
    raise SpecError(f"no such file {arg!r}", "give the path of a .sql file, relative to the repo")


def split_statements(tokens: list[Tok]) -> list[list[Tok]]:
    """Token lists of the statements, split at semicolons."""
    statements: list[list[Tok]] = [[]]
    for tok in tokens:
        if tok.kind == "punct" and tok.text == ";":
            statements.append([])
        else:
            statements[-1].append(tok)
    return [s for s in statements if s]


def parse_sql(text: str, ctx: Context) -> tuple[list[Operation], list[str]]:
    """Operations of every statement, in order, and notes about what is kept as raw SQL."""
    ops: list[Operation] = []
    notes: list[str] = []
    for number, tokens in enumerate(split_statements(tokenize(text, ctx.sg)), 1):
        sql = text[tokens[0].start : tokens[-1].end]
        where = f"statement {number} (line {tokens[0].line})"
        if tokens[0].upper in _TRANSACTION:
            notes.append(f"{where}: {tokens[0].text} left out; the migration runner decides")
            continue
        try:
            new = _statement(Cursor(tokens, text, ctx.sg), ctx)
        except SpecError as exc:
            problem = _sqlglot_problem(sql, ctx.sg)
            if problem is not None:
                raise SpecError(
                    f"{where}: {problem}", "fix the statement; it must read as SQL of the dialect"
                ) from exc
            new = [RawSQL(sql)]
            notes.append(f"{where} is kept as raw SQL without a down: {exc}")
        if ctx.schema is not None:
            try:
                ctx.schema = apply_all(new, ctx.schema)
            except MigwrightError as exc:
                raise SpecError(f"{where}: {exc}", exc.hint) from exc
        ops += new
    return ops, notes


def _sqlglot_problem(sql: str, sg: str) -> str | None:
    """Why sqlglot cannot parse the statement, or None when it can.

    sqlglot reads statements it does not know as an opaque Command, so this rejects broken
    SQL (`CREATE TABLE t (a int`) but lets exotic SQL through (functions, policies); those run
    as written and the validator's scratch database has the last word. Any failure inside the
    parser counts as "cannot parse".
    """
    try:
        sqlglot.parse(sql, read=sg)
    except Exception as exc:
        return f"syntax error: {clean_message(exc)}"
    return None


def _statement(cur: Cursor, ctx: Context) -> list[Operation]:
    first = cur.word()
    if first == "CREATE":
        return _create(cur, ctx)
    if cur.is_word("ALTER", "TABLE"):
        return parse_alter_table(cur, ctx)
    if cur.accept("ALTER", "TYPE"):
        name = cur.name("the type name")
        cur.expect("ADD", "VALUE")
        if cur.is_word("IF", "NOT", "EXISTS"):
            raise UnmodelledError("add value if not exists is not modelled", SQL_HINT)
        return [parse_enum_value(cur, ctx, name)]
    if first == "DROP":
        return _drop(cur, ctx)
    if first == "UPDATE":
        return [_update(cur)]
    raise UnmodelledError(f"{first.lower() or 'this'} statements are not modelled", SQL_HINT)


def _create(cur: Cursor, ctx: Context) -> list[Operation]:
    if cur.is_word("CREATE", "TYPE"):
        cur.pos += 2
        enum_op = parse_enum(cur, ctx)
        cur.finish(f"the values of {enum_op.enum.name}")
        return [enum_op]
    if cur.is_word("CREATE", "INDEX") or cur.is_word("CREATE", "UNIQUE", "INDEX"):
        return [parse_index(cur, ctx)]
    if not any(cur.is_word("CREATE", w) for w in ("TABLE", "TEMP", "TEMPORARY", "UNLOGGED")):
        raise UnmodelledError(f"create {cur.word(1).lower()} is not modelled", SQL_HINT)
    first = cur.pos
    op, options = parse_create_table(cur, ctx)
    if not options:
        return [op]
    sql = cur.slice(first, len(cur.tokens))
    # The table options (ENGINE=...) are not modelled, but the table is: keep the SQL as
    # written and tell the schema what it creates, so later statements and the down still work.
    return [RawSQL(sql, f"DROP TABLE {op.table.name}", (op,))]


def _drop(cur: Cursor, ctx: Context) -> list[Operation]:
    cur.expect("DROP")
    if cur.accept("TABLE"):
        _no_if_exists(cur)
        names = [cur.name("the table name")]
        while cur.accept_punct(","):
            names.append(cur.name("the table name"))
        if cur.is_word("CASCADE"):
            raise UnmodelledError("drop table cascade is not modelled", SQL_HINT)
        cur.accept("RESTRICT")
        cur.finish("drop table")
        return [DropTable(name) for name in names]
    if cur.accept("TYPE"):
        _no_if_exists(cur)
        name = cur.name("the type name")
        cur.finish("drop type")
        return [DropEnum(name)]
    if cur.accept("INDEX"):
        concurrently = cur.accept("CONCURRENTLY")
        _no_if_exists(cur)
        name = cur.name("the index name")
        table = cur.name("the table name") if cur.accept("ON") else _table_of_index(ctx, name)
        cur.finish("drop index")
        return [DropIndex(table, name, concurrently)]
    raise UnmodelledError(f"drop {cur.word().lower() or 'this'} is not modelled", SQL_HINT)


def _no_if_exists(cur: Cursor) -> None:
    if cur.is_word("IF", "EXISTS"):
        raise UnmodelledError("drop ... if exists is not modelled", SQL_HINT)


def _table_of_index(ctx: Context, name: str) -> str:
    for table in ctx.schema.tables if ctx.schema is not None else ():
        if any(i.name == name for i in table.indexes):
            return table.name
    raise UnmodelledError(
        f"drop index {name}: its table is unknown without a schema",
        "write DROP INDEX ... ON table, or use --drop-index table.index",
    )


_WHERE = stop_at_words("WHERE")


def _update(cur: Cursor) -> Operation:
    """UPDATE t SET c = expression [WHERE p] -> Backfill (one column only)."""
    cur.expect("UPDATE")
    table = cur.name("the table name")
    cur.expect("SET")
    column = cur.name("the column")
    cur.expect_punct("=", f"after {column}")
    expression = cur.expression("the new value", _WHERE)
    if cur.is_punct(","):
        raise UnmodelledError("an update of several columns is not modelled", SQL_HINT)
    where = cur.expression("the where condition") if cur.accept("WHERE") else None
    if not cur.at_end():
        raise UnmodelledError(f"{cur.found()} in an update is not modelled", SQL_HINT)
    return Backfill(table, column, expression, where)
