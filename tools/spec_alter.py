"""ALTER TABLE actions and CREATE INDEX, read into operations.

`--alter-table "orders alter column total type numeric(12,2), add column note text"` takes the
actions of SQL's ALTER TABLE, in PostgreSQL's and MySQL's spellings (MODIFY, CHANGE, DROP
FOREIGN KEY), each becoming one or more operations. sqlglot models some of these and not others
(MODIFY and CHANGE fall back to an opaque Command in PostgreSQL mode, USING is lost in MySQL
mode), so they are read here by hand with the same cursor and column parser as CREATE TABLE.
"""

from __future__ import annotations

import re

from .errors import SpecError
from .ops import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddUnique,
    AlterColumn,
    CreateIndex,
    DropColumn,
    DropConstraint,
    DropForeignKey,
    DropIndex,
    Operation,
    RenameColumn,
    RenameTable,
)
from .schema import Index, UniqueConstraint, is_serial
from .spec_grammar import Cursor, Stop, UnmodelledError
from .spec_parse import (
    SQL_HINT,
    Context,
    check_constraint,
    parse_column,
    parse_references,
    parse_type,
)

_ALTER_HINT = (
    'e.g. --alter-table "orders alter column total type numeric(12,2)" '
    "(actions: add/drop/alter/rename column, add/drop constraint, rename to)"
)


def parse_alter_table(cur: Cursor, ctx: Context) -> list[Operation]:
    """`[ALTER TABLE] name action [, action]*`; later actions see an earlier RENAME TO."""
    if cur.accept("ALTER"):
        cur.expect("TABLE", hint=_ALTER_HINT)
    if cur.is_word("ONLY") or cur.is_word("IF", "EXISTS"):
        raise UnmodelledError(f"alter table {cur.word().lower()} is not modelled", SQL_HINT)
    table = cur.name("the table name", _ALTER_HINT)
    ops: list[Operation] = []
    while True:
        if cur.at_end():
            raise SpecError(f"alter table {table}: expected an action", _ALTER_HINT)
        new_ops = _action(cur, ctx, table)
        ops += new_ops
        if new_ops and isinstance(new_ops[-1], RenameTable):
            table = new_ops[-1].new
        if not cur.accept_punct(","):
            break
    cur.finish(f"the alter table actions on {table}", "separate several actions with commas")
    return ops


def _action(cur: Cursor, ctx: Context, table: str) -> list[Operation]:
    if cur.accept("ADD"):
        return _add(cur, ctx, table)
    if cur.accept("DROP"):
        return [_drop(cur, ctx, table)]
    if cur.accept("ALTER"):
        cur.accept("COLUMN")
        return [_alter_column(cur, ctx, table)]
    if cur.accept("RENAME"):
        return [_rename(cur, table)]
    if cur.accept("MODIFY"):
        cur.accept("COLUMN")
        return _modify(cur, ctx, table, None)
    if cur.accept("CHANGE"):
        cur.accept("COLUMN")
        old = cur.name("the column to change", "change column old_name new_name bigint")
        return _modify(cur, ctx, table, old)
    raise SpecError(f"alter table {table}: unknown action {cur.found()}", _ALTER_HINT)


def _add(cur: Cursor, ctx: Context, table: str) -> list[Operation]:
    given = ctx.given_name(cur.name("a constraint name")) if cur.accept("CONSTRAINT") else None
    hint = "e.g. add constraint ck_total check (total >= 0)"
    if cur.is_word("PRIMARY", "KEY"):
        raise UnmodelledError("adding a primary key is not modelled", SQL_HINT)
    if cur.accept("CHECK"):
        return [AddCheck(table, check_constraint(cur, ctx, table, given))]
    if cur.accept("FOREIGN", "KEY"):
        if cur.is_name() and not given:
            given = ctx.given_name(cur.name("the foreign key name"))
        columns = cur.name_list("foreign key column", hint)
        return [AddForeignKey(table, parse_references(cur, ctx, table, columns, given))]
    unique = cur.accept("UNIQUE")
    if cur.accept("INDEX") or cur.accept("KEY"):
        if cur.is_name() and not given:
            given = ctx.given_name(cur.name("the index name"))
        columns = cur.name_list("index column", hint)
        if not unique:
            return [
                CreateIndex(table, Index(given or ctx.fresh_name("ix", table, columns), columns))
            ]
    elif unique:
        columns = cur.name_list("unique column", hint)
    if unique:
        name = given or ctx.fresh_name("uq", table, columns)
        return [AddUnique(table, UniqueConstraint(name, columns))]
    if given:
        raise SpecError(f"expected check, unique or foreign key after constraint {given}", hint)
    cur.accept("COLUMN")
    if cur.is_word("IF", "NOT", "EXISTS"):
        raise UnmodelledError("add column if not exists is not modelled", SQL_HINT)
    spec = parse_column(cur, ctx, table)
    return [AddColumn(table, spec.column), *spec.extra_ops(table)]


def _drop(cur: Cursor, ctx: Context, table: str) -> Operation:
    if cur.is_word("PRIMARY", "KEY"):
        raise UnmodelledError("dropping a primary key is not modelled", SQL_HINT)
    if cur.accept("CONSTRAINT") or cur.accept("CHECK"):
        _no_if_exists_or_cascade(cur)
        name = cur.name("the constraint name", "drop constraint ck_orders_total")
        _no_if_exists_or_cascade(cur)
        return drop_constraint_op(ctx, table, name)
    if cur.accept("FOREIGN", "KEY"):
        return DropForeignKey(table, cur.name("the foreign key name", "drop foreign key fk_x"))
    if cur.accept("INDEX") or cur.accept("KEY"):
        return DropIndex(table, cur.name("the index name", "drop index ix_orders_user_id"))
    cur.accept("COLUMN")
    _no_if_exists_or_cascade(cur)
    column = cur.name("the column to drop", "drop column note")
    _no_if_exists_or_cascade(cur)
    return DropColumn(table, column)


def _no_if_exists_or_cascade(cur: Cursor) -> None:
    if cur.is_word("IF", "EXISTS") or cur.is_word("CASCADE"):
        raise UnmodelledError(f"{cur.found()} in a drop is not modelled", SQL_HINT)
    cur.accept("RESTRICT")


def drop_constraint_op(ctx: Context, table: str, name: str) -> Operation:
    """DropConstraint, or what the schema says it is: a foreign key (MySQL drops those with
    DROP FOREIGN KEY) or a unique index (MySQL's unique constraints are indexes)."""
    if ctx.schema is not None and ctx.schema.has_table(table):
        t = ctx.schema.table(table)
        if any(fk.name == name for fk in t.foreign_keys):
            return DropForeignKey(table, name)
        in_constraints = any(u.name == name for u in t.uniques) or any(
            c.name == name for c in t.checks
        )
        if not in_constraints and any(i.name == name for i in t.indexes):
            return DropIndex(table, name)
    return DropConstraint(table, name)


def _alter_column(cur: Cursor, ctx: Context, table: str) -> Operation:
    column = cur.name("the column to alter", "alter column total set not null")
    if cur.accept("TYPE") or cur.accept("SET", "DATA", "TYPE"):
        type_, written = parse_type(cur, column)
        _no_serial(written, column)
        using = None
        if cur.accept("USING"):
            ctx.postgres_only("using", "MySQL and SQLite convert the values themselves")
            using = cur.expression(f"the conversion of {column}")
        if cur.is_word("COLLATE"):
            raise UnmodelledError("collations are not modelled", SQL_HINT)
        return AlterColumn(table, column, type=type_, using=using)
    if cur.accept("SET", "NOT", "NULL"):
        return AlterColumn(table, column, nullable=False)
    if cur.accept("DROP", "NOT", "NULL"):
        return AlterColumn(table, column, nullable=True)
    if cur.accept("SET", "DEFAULT"):
        default = cur.expression(f"the default of {column}")
        return AlterColumn(table, column, default=None if default.upper() == "NULL" else default)
    if cur.accept("DROP", "DEFAULT"):
        return AlterColumn(table, column, default=None)
    raise UnmodelledError(
        f"alter column {column} {cur.found()} is not modelled",
        "use type T [using e], set/drop not null, set default e or drop default",
    )


def _no_serial(written: str, column: str) -> None:
    if is_serial(written):
        raise SpecError(
            f"{column} cannot change its type to {written}: serial is a create-time shorthand",
            "change the type to the integer type and add a default, e.g. type bigint",
        )


def _rename(cur: Cursor, table: str) -> Operation:
    if cur.accept("TO") or cur.accept("AS"):
        return RenameTable(table, cur.name("the new table name", "rename to purchases"))
    if cur.is_word("CONSTRAINT") or cur.is_word("INDEX") or cur.is_word("KEY"):
        raise UnmodelledError(f"rename {cur.found()} is not modelled", SQL_HINT)
    cur.accept("COLUMN")
    old = cur.name("the column to rename", "rename column total to amount")
    cur.expect("TO", hint="rename column total to amount")
    return RenameColumn(table, old, cur.name("the new column name", "rename column a to b"))


def _modify(cur: Cursor, ctx: Context, table: str, old: str | None) -> list[Operation]:
    """MySQL's MODIFY / CHANGE: the whole new definition, so unset parts reset (no default,
    nullable) as MySQL does."""
    spec = parse_column(cur, ctx, table)
    if spec.column.identity:
        raise UnmodelledError("auto_increment in modify/change is not modelled", SQL_HINT)
    ops: list[Operation] = []
    name = spec.column.name
    if old is not None and old != name:
        ops.append(RenameColumn(table, old, name))
    col = spec.column
    ops.append(AlterColumn(table, name, type=col.type, nullable=col.nullable, default=col.default))
    return ops + spec.extra_ops(table)


# ---------------------------------------------------------------------------------------------
# CREATE INDEX
# ---------------------------------------------------------------------------------------------

_INDEX_HINT = (
    "e.g. --add-index \"orders (user_id, created_at) unique where status = 'open' name ix_x\""
)


def parse_index(cur: Cursor, ctx: Context) -> CreateIndex:
    """`table (cols) [options]`, `table.column [options]`, or SQL's CREATE INDEX."""
    if cur.is_word("CREATE"):
        return _create_index_sql(cur, ctx)
    table = cur.name("the table name", _INDEX_HINT)
    if cur.accept_punct("."):
        columns: tuple[str, ...] = (cur.name("the column", _INDEX_HINT),)
    else:
        columns = index_elements(cur)
    unique = concurrently = False
    name = using = where = None
    while not cur.at_end():
        if cur.accept("UNIQUE"):
            unique = True
        elif cur.accept("CONCURRENTLY"):
            concurrently = True
        elif cur.accept("NAME"):
            name = ctx.given_name(cur.name("the index name", _INDEX_HINT))
        elif cur.accept("USING"):
            using = cur.name("the index method", "using gin").lower()
        elif cur.accept("WHERE"):
            where = cur.expression("the index predicate", _index_option_ahead)
        else:
            raise SpecError(
                f"unexpected {cur.found()} in the index",
                "options: unique, where <predicate>, name <name>, using <method>, concurrently",
            )
    return _index_op(ctx, table, columns, unique, name, using, where, concurrently)


def _index_option_ahead(cur: Cursor) -> bool:
    """Where an index predicate ends: at the next option word (a word followed directly by `(`
    is a function call, not an option)."""
    word = cur.word()
    if word in ("UNIQUE", "CONCURRENTLY") and not cur.function_call_next():
        return cur.peek(1) is None or cur.word(1) in _OPTION_WORDS
    if word in ("NAME", "USING") and cur.is_name(1):
        return cur.peek(2) is None or cur.word(2) in _OPTION_WORDS
    return False


_OPTION_WORDS = {"UNIQUE", "CONCURRENTLY", "NAME", "USING", "WHERE"}


def index_elements(cur: Cursor) -> tuple[str, ...]:
    """`( element [, element]* )`: column names, or expressions kept as written."""
    cur.expect_punct("(", "before the index columns", _INDEX_HINT)
    elements: list[str] = []
    while True:
        if cur.is_name() and (cur.is_punct(",", 1) or cur.is_punct(")", 1) or _order_word(cur, 1)):
            elements.append(cur.name("an index column"))
        else:
            elements.append(cur.expression("an index expression", lambda c: _order_word(c, 0)))
        cur.accept("ASC")  # the default order
        if cur.is_word("DESC") or cur.is_word("NULLS") or cur.is_word("COLLATE"):
            raise UnmodelledError(f"{cur.found()} in an index is not modelled", SQL_HINT)
        if not cur.accept_punct(","):
            break
    cur.expect_punct(")", "after the index columns", _INDEX_HINT)
    return tuple(elements)


def _order_word(cur: Cursor, offset: int) -> bool:
    return cur.word(offset) in ("ASC", "DESC", "NULLS", "COLLATE")


def _create_index_sql(cur: Cursor, ctx: Context) -> CreateIndex:
    """CREATE [UNIQUE] INDEX [CONCURRENTLY] [name] ON table [USING m] (elements) [WHERE p]."""
    cur.expect("CREATE")
    unique = cur.accept("UNIQUE")
    cur.expect("INDEX", hint=_INDEX_HINT)
    concurrently = cur.accept("CONCURRENTLY")
    if cur.is_word("IF", "NOT", "EXISTS"):
        raise UnmodelledError("create index if not exists is not modelled", SQL_HINT)
    name = None
    if not cur.is_word("ON"):
        name = ctx.given_name(cur.name("the index name", _INDEX_HINT))
    cur.expect("ON", hint=_INDEX_HINT)
    if cur.is_word("ONLY"):
        raise UnmodelledError("create index on only is not modelled", SQL_HINT)
    table = cur.name("the table name", _INDEX_HINT)
    using = cur.name("the index method", "using gin").lower() if cur.accept("USING") else None
    columns = index_elements(cur)
    where = cur.expression("the index predicate") if cur.accept("WHERE") else None
    if not cur.at_end():
        raise UnmodelledError(f"{cur.found()} in create index is not modelled", SQL_HINT)
    return _index_op(ctx, table, columns, unique, name, using, where, concurrently)


def _index_op(
    ctx: Context,
    table: str,
    columns: tuple[str, ...],
    unique: bool,
    name: str | None,
    using: str | None,
    where: str | None,
    concurrently: bool,
) -> CreateIndex:
    if concurrently:
        ctx.postgres_only("concurrently", "remove concurrently; MySQL builds indexes online")
    if where is not None and ctx.sg == "mysql":
        raise SpecError(
            "MySQL has no partial indexes (where ...)",
            "index the columns without where, or put the condition into an index expression",
        )
    if using is not None and ctx.sg == "sqlite":
        raise SpecError("SQLite has no index methods (using ...)", "remove using")
    words = [re.sub(r"\W+", "_", c).strip("_") for c in columns]  # `lower(email)` -> lower_email
    name = name or ctx.fresh_name("ix", table, words)
    return CreateIndex(table, Index(name, columns, unique, where, using), concurrently)


def stop_at_words(*words: str) -> Stop:
    """A stop for `Cursor.expression`: any of these words at depth 0, unless called as a
    function (`reverse(name)` is a call, `reverse null` is the keyword)."""
    wanted = set(words)

    def stop(cur: Cursor) -> bool:
        return cur.word() in wanted and not cur.function_call_next()

    return stop
