"""Clause parsers for table DDL: types, column definitions, table constraints, CREATE TABLE.

They serve the verbs (`--create-table "users (...)"`, `--add-column`), the ALTER TABLE actions
in `spec_alter.py` and the statements of `--sql FILE`, so a column reads the same wherever it
is written. They walk tokens with a `Cursor`; SQL the operations cannot express (a collation,
a generated column, `IF NOT EXISTS`) raises `UnmodelledError`, which `--sql` turns into raw
SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from pathlib import Path

from .errors import SpecError
from .ops import (
    AddCheck,
    AddForeignKey,
    AddUnique,
    CreateTable,
    Operation,
    expression_columns,
)
from .schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
    canonical_type,
    constraint_name,
    is_serial,
)
from .spec_grammar import Cursor, UnmodelledError, foreign_key_actions


@dataclass
class Context:
    """What the parsers of one request share: the dialect, the schema as it stands before the
    current verb (None when no schema was given) and the names already handed out."""

    dialect: str
    sg: str
    schema: Schema | None = None
    names: set[str] = field(default_factory=set)
    base_dir: Path | None = None

    def fresh_name(self, prefix: str, table: str, columns: tuple[str, ...] | list[str]) -> str:
        """`constraint_name(...)`, with a numeric suffix when that name is already taken."""
        name, n = constraint_name(prefix, table, columns), 1
        while name in self.names or self._taken(name):
            n += 1
            name = constraint_name(prefix, table, columns, suffix=str(n))
        self.names.add(name)
        return name

    def given_name(self, name: str) -> str:
        self.names.add(name)
        return name

    def _taken(self, name: str) -> bool:
        return self.schema is not None and any(
            name in t.constraint_names() for t in self.schema.tables
        )

    def primary_key(self, table: str) -> tuple[str, ...]:
        """The primary key of `table` in the schema: what `references users` points at."""
        if self.schema is not None and self.schema.has_table(table):
            pk = self.schema.table(table).primary_key
            if pk:
                return pk
        raise SpecError(
            f"references {table} names no column, and the primary key of {table} is unknown",
            f"name the referenced column: references {table}(id)",
        )

    def postgres_only(self, what: str, hint: str) -> None:
        if self.sg != "postgres":
            raise SpecError(f"{what} is PostgreSQL only (dialect: {self.dialect})", hint)


# ---------------------------------------------------------------------------------------------
# Types and columns
# ---------------------------------------------------------------------------------------------

#: The hint for SQL the operations do not model.
SQL_HINT = "use --sql FILE with the statement; it runs as written"

_TYPE_WORDS = {"PRECISION", "VARYING", "UNSIGNED", "SIGNED", "ZEROFILL"}


def parse_type(cur: Cursor, column: str) -> tuple[str, str]:
    """A column type -> (canonical type, the type as written). See `canonical_type`."""
    hint = f"give the type after the name: {column} bigint"
    first = cur.pos
    if not cur.is_name():
        raise SpecError(f"expected a type for column {column}, found {cur.found()}", hint)
    if cur.advance().upper == "NATIONAL" and cur.word() in ("CHARACTER", "CHAR"):
        cur.advance()
    while cur.word() in _TYPE_WORDS:
        cur.advance()
    values: list[str] = []
    if cur.accept_punct("("):
        while True:
            cur.accept_punct("-")
            tok = cur.peek()
            if tok is None or tok.kind == "punct":
                raise SpecError(f"bad type arguments for column {column} at {cur.found()}", hint)
            values.append(tok.text)
            cur.advance()
            if not cur.accept_punct(","):
                break
        cur.expect_punct(")", f"after the type arguments of {column}", hint)
    while cur.word() in _TYPE_WORDS:
        cur.advance()
    _ = cur.accept("WITH", "TIME", "ZONE") or cur.accept("WITHOUT", "TIME", "ZONE")
    while cur.accept_punct("["):
        if cur.peek() is not None and cur.tokens[cur.pos].kind == "number":
            cur.advance()
        cur.expect_punct("]", f"after the array type of {column}", hint)
    written = cur.slice(first, cur.pos)
    return _canonical(written, values), written


def _canonical(written: str, values: list[str]) -> str:
    """canonical_type, except that ENUM/SET values keep their case and commas (canonical_type
    lower-cases the whole text, which would change the values MySQL stores)."""
    match = re.match(r"^\s*(enum|set)\s*\(", written, re.IGNORECASE)
    if match:
        quoted = ",".join("'" + v.replace("'", "''") + "'" for v in values)
        return f"{match.group(1).lower()}({quoted})"
    return canonical_type(written)


@dataclass
class ColumnSpec:
    """A parsed column definition with the constraints written inline on it."""

    column: Column
    written_type: str
    primary_key: bool = False
    uniques: list[UniqueConstraint] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    checks: list[CheckConstraint] = field(default_factory=list)

    def extra_ops(self, table: str) -> list[Operation]:
        """The inline constraints as separate operations (for ADD COLUMN)."""
        if self.primary_key:
            raise UnmodelledError(
                f"adding a primary key with column {self.column.name} is not modelled",
                "use --sql with the ALTER TABLE statement",
            )
        ops: list[Operation] = [AddUnique(table, u) for u in self.uniques]
        ops += [AddForeignKey(table, fk) for fk in self.foreign_keys]
        ops += [AddCheck(table, c) for c in self.checks]
        return ops


def _ends_default(cur: Cursor) -> bool:
    """Where a DEFAULT expression stops: at the next column constraint."""
    tok = cur.peek()
    before = cur.peek(-1)
    prev = before.upper if before is not None else ""
    if tok is None or tok.kind != "word":
        return False
    word = tok.upper
    if word == "NULL":
        return prev not in ("IS", "NOT")
    if word == "NOT":
        return cur.is_word("NOT", "NULL") and prev != "IS"
    if word == "ON":
        return cur.is_word("ON", "UPDATE")
    if word == "CHARACTER":
        return cur.is_word("CHARACTER", "SET")
    return word in {
        "CONSTRAINT",
        "DEFAULT",
        "PRIMARY",
        "UNIQUE",
        "REFERENCES",
        "CHECK",
        "GENERATED",
        "AUTO_INCREMENT",
        "AUTOINCREMENT",
        "COLLATE",
        "COMMENT",
        "CHARSET",
    }


def parse_column(cur: Cursor, ctx: Context, table: str, creating: bool = False) -> ColumnSpec:
    """`name type [constraint ...]`, up to a comma or `)` at depth 0 or the end. `creating`:
    the column belongs to a CREATE TABLE, so a bare `references <that table>` means its own
    primary key, known only at the end of the statement."""
    name = cur.name("a column name", "e.g. shipped_at timestamptz")
    type_, written = parse_type(cur, name)
    spec = ColumnSpec(Column(name, type_), written)
    nullable: bool | None = None
    default: str | None = None
    identity = is_serial(written)
    comment: str | None = None
    while not cur.at_end() and not cur.is_punct(",") and not cur.is_punct(")"):
        given = ctx.given_name(cur.name("a constraint name")) if cur.accept("CONSTRAINT") else None
        if cur.is_word("NOT", "NULL") or cur.is_word("NULL"):
            value = not cur.accept("NOT", "NULL")
            cur.accept("NULL")
            if nullable is not None and nullable != value:
                raise SpecError(f"column {name} says both null and not null", "keep one")
            nullable = value
        elif cur.accept("DEFAULT"):
            if default is not None:
                raise SpecError(f"column {name} has two defaults", "keep one")
            default = cur.expression(f"the default of {name}", _ends_default)
        elif cur.accept("PRIMARY", "KEY"):
            spec.primary_key = True
            cur.accept("ASC")
        elif cur.accept("UNIQUE"):
            cur.accept("KEY")
            spec.uniques.append(
                UniqueConstraint(given or ctx.fresh_name("uq", table, [name]), (name,))
            )
        elif cur.is_word("REFERENCES"):
            fk = parse_references(cur, ctx, table, (name,), given, creating)
            spec.foreign_keys.append(fk)
        elif cur.accept("CHECK"):
            spec.checks.append(check_constraint(cur, ctx, table, given, (name,)))
        elif cur.accept("GENERATED"):
            identity = _generated(cur, name)
        elif cur.accept("AUTO_INCREMENT") or cur.accept("AUTOINCREMENT"):
            identity = True
        elif cur.accept("COMMENT"):
            tok = cur.peek()
            if tok is None or tok.kind != "string":
                raise SpecError(
                    f"expected a 'comment' for {name}, found {cur.found()}", "comment 'text'"
                )
            comment = cur.advance().text
        elif cur.is_word("COLLATE") or cur.is_word("CHARACTER", "SET") or cur.is_word("CHARSET"):
            raise UnmodelledError(
                f"collations and character sets ({name}) are not modelled", SQL_HINT
            )
        elif cur.is_word("ON", "UPDATE"):
            raise UnmodelledError(f"on update on column {name} is not modelled", SQL_HINT)
        elif cur.is_word("AS"):
            raise UnmodelledError(f"generated column {name} is not modelled", SQL_HINT)
        else:
            raise SpecError(
                f"unexpected {cur.found()} in the definition of column {name}",
                "column constraints: not null, null, default x, primary key, unique, "
                "references t(c), check (...), generated ... as identity, auto_increment",
            )
    if spec.primary_key and nullable:
        raise SpecError(f"primary key column {name} cannot be null", "remove null")
    if identity and default is not None:
        raise SpecError(f"identity column {name} cannot have a default", "remove the default")
    if identity and nullable:
        raise SpecError(f"identity column {name} cannot be null", "remove null")
    if default is not None and default.strip().upper() == "NULL":
        default = None
    spec.column = Column(
        name,
        type_,
        nullable=not (spec.primary_key or identity or nullable is False),
        default=default,
        identity=identity,
        comment=comment,
    )
    return spec


def _generated(cur: Cursor, column: str) -> bool:
    """GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY [( sequence options )]."""
    if not (cur.accept("ALWAYS") or cur.accept("BY", "DEFAULT")):
        raise SpecError(f"expected always or by default after generated ({column})", "")
    cur.expect("AS", hint="generated always as identity")
    if not cur.accept("IDENTITY"):
        raise UnmodelledError(f"generated column {column} is not modelled", SQL_HINT)
    if cur.is_punct("("):
        depth = 0
        while not cur.at_end():
            tok = cur.advance()
            depth += {"(": 1, ")": -1}.get(tok.text, 0) if tok.kind == "punct" else 0
            if depth == 0:
                break
    return True


def check_constraint(
    cur: Cursor, ctx: Context, table: str, given: str | None, fallback: tuple[str, ...] = ()
) -> CheckConstraint:
    """`( expression )` after CHECK, named `ck_<table>_<columns it uses>` unless named."""
    expression = cur.parenthesized("check expression")
    if cur.is_word("NOT", "VALID") or cur.is_word("NO", "INHERIT"):
        raise UnmodelledError(f"{cur.found()} on a check is not modelled", SQL_HINT)
    used = tuple(sorted(expression_columns(expression))) or fallback
    return CheckConstraint(given or ctx.fresh_name("ck", table, used), expression)


def parse_references(
    cur: Cursor,
    ctx: Context,
    table: str,
    columns: tuple[str, ...],
    given: str | None,
    creating: bool = False,
) -> ForeignKey:
    """REFERENCES t [(cols)] [ON DELETE a] [ON UPDATE a]. Without columns, the referenced
    table's primary key (left empty here when that is the table being created)."""
    cur.expect("REFERENCES")
    ref_table = cur.name("the referenced table", "references users(id)")
    ref_columns: tuple[str, ...] = ()
    if cur.is_punct("("):
        ref_columns = cur.name_list("referenced column", "references users(id)")
    elif not (creating and ref_table == table):
        ref_columns = ctx.primary_key(ref_table)
    if cur.is_word("MATCH") or cur.is_word("DEFERRABLE") or cur.is_word("NOT", "DEFERRABLE"):
        raise UnmodelledError(f"{cur.found()} on a foreign key is not modelled", SQL_HINT)
    on_delete, on_update = foreign_key_actions(cur)
    if ref_columns and len(ref_columns) != len(columns):
        raise SpecError(
            f"foreign key ({', '.join(columns)}) -> {ref_table}({', '.join(ref_columns)}): "
            "column counts differ",
            "give as many referenced columns as referencing ones",
        )
    name = given or ctx.fresh_name("fk", table, columns)
    return ForeignKey(name, columns, ref_table, ref_columns, on_delete, on_update)


# ---------------------------------------------------------------------------------------------
# CREATE TABLE
# ---------------------------------------------------------------------------------------------


def _starts_table_constraint(cur: Cursor) -> bool:
    if cur.is_word("CONSTRAINT") or cur.is_word("PRIMARY", "KEY") or cur.is_word("FOREIGN", "KEY"):
        return True
    if (cur.is_word("UNIQUE") or cur.is_word("CHECK")) and cur.is_punct("(", 1):
        return True
    if cur.is_word("UNIQUE", "KEY") or cur.is_word("UNIQUE", "INDEX"):
        return True
    if cur.is_word("FULLTEXT") or cur.is_word("SPATIAL") or cur.is_word("EXCLUDE"):
        return True
    return _starts_inline_index(cur)


def _starts_inline_index(cur: Cursor) -> bool:
    """MySQL's `KEY [name] (cols)` / `INDEX [name] (cols)`, told apart from a column named key
    by what is in the parentheses (names, not a type length)."""
    if not (cur.is_word("KEY") or cur.is_word("INDEX")):
        return False
    offset = 1 if cur.is_punct("(", 1) else 2 if cur.is_name(1) and cur.is_punct("(", 2) else 0
    return offset > 0 and cur.is_name(offset + 1)


@dataclass
class _TableParts:
    """Table-level constraints of a CREATE TABLE, in the order written."""

    pk: list[tuple[str, ...]] = field(default_factory=list)
    uq: list[UniqueConstraint] = field(default_factory=list)
    fk: list[ForeignKey] = field(default_factory=list)
    ck: list[CheckConstraint] = field(default_factory=list)
    ix: list[Index] = field(default_factory=list)


def _table_constraint(cur: Cursor, ctx: Context, table: str, parts: _TableParts) -> None:
    given = ctx.given_name(cur.name("a constraint name")) if cur.accept("CONSTRAINT") else None
    hint = "e.g. unique (a, b), foreign key (a) references t(id), check (a > 0)"
    if cur.accept("PRIMARY", "KEY"):
        parts.pk.append(cur.name_list("primary key column", hint))
    elif cur.accept("UNIQUE"):
        if (cur.accept("KEY") or cur.accept("INDEX")) and cur.is_name() and not given:
            given = ctx.given_name(cur.name("the index name"))
        columns = cur.name_list("unique column", hint)
        parts.uq.append(UniqueConstraint(given or ctx.fresh_name("uq", table, columns), columns))
    elif cur.accept("FOREIGN", "KEY"):
        if cur.is_name() and not given:
            given = ctx.given_name(cur.name("the foreign key name"))
        columns = cur.name_list("foreign key column", hint)
        parts.fk.append(parse_references(cur, ctx, table, columns, given, creating=True))
    elif cur.accept("CHECK"):
        parts.ck.append(check_constraint(cur, ctx, table, given))
    elif not given and _starts_inline_index(cur):
        cur.advance()
        name = ctx.given_name(cur.name("the index name")) if cur.is_name() else None
        columns = cur.name_list("index column", hint)
        parts.ix.append(Index(name or ctx.fresh_name("ix", table, columns), columns))
    elif cur.is_word("FULLTEXT") or cur.is_word("SPATIAL") or cur.is_word("EXCLUDE"):
        raise UnmodelledError(f"{cur.found()} constraints are not modelled", SQL_HINT)
    else:
        raise SpecError(f"unexpected {cur.found()} after constraint {given}", hint)


def parse_create_table(cur: Cursor, ctx: Context) -> tuple[CreateTable, str]:
    """`name ( column | constraint [, ...] ) [COMMENT 'x']`, optionally after CREATE TABLE.

    Returns the operation and any table options left after the body (`ENGINE=InnoDB`), which
    the caller rejects (a verb) or keeps as written (`--sql`).
    """
    hint = 'e.g. --create-table "users (id bigint primary key, email text not null)"'
    if cur.accept("CREATE"):
        if cur.is_word("TEMPORARY") or cur.is_word("TEMP") or cur.is_word("UNLOGGED"):
            raise UnmodelledError(f"{cur.found()} tables are not modelled", SQL_HINT)
        cur.expect("TABLE", hint=hint)
    if cur.is_word("IF", "NOT", "EXISTS"):
        raise UnmodelledError("create table if not exists is not modelled", SQL_HINT)
    name = cur.name("the table name", hint)
    if cur.is_punct("."):
        raise UnmodelledError(f"schema-qualified table names ({name}.) are not modelled", SQL_HINT)
    cur.expect_punct("(", f"after the table name {name}", hint)
    specs: list[ColumnSpec] = []
    parts = _TableParts()
    while True:
        if _starts_table_constraint(cur):
            _table_constraint(cur, ctx, name, parts)
        else:
            specs.append(parse_column(cur, ctx, name, creating=True))
        if not cur.accept_punct(","):
            break
    cur.expect_punct(")", f"to close the columns of {name}", hint)
    comment = None
    if cur.accept("COMMENT"):
        cur.accept_punct("=")
        tok = cur.peek()
        if tok is None or tok.kind != "string":
            raise SpecError(
                f"expected a 'comment' for table {name}, found {cur.found()}", "comment 'text'"
            )
        comment = cur.advance().text
    options = cur.slice(cur.pos, len(cur.tokens)) if not cur.at_end() else ""
    cur.pos = len(cur.tokens)
    table = _assemble_table(ctx, name, specs, parts, comment)
    return CreateTable(table), options


def _assemble_table(
    ctx: Context,
    name: str,
    specs: list[ColumnSpec],
    parts: _TableParts,
    comment: str | None,
) -> Table:
    if not specs:
        raise SpecError(f"table {name} has no columns", "give at least one column")
    inline_pk = tuple(s.column.name for s in specs if s.primary_key)
    if len(inline_pk) > 1 or (inline_pk and parts.pk) or len(parts.pk) > 1:
        raise SpecError(
            f"table {name} declares more than one primary key",
            "for a composite key write one table constraint: primary key (a, b)",
        )
    pk: tuple[str, ...] = inline_pk or (parts.pk[0] if parts.pk else ())
    columns = []
    for spec in specs:
        col = spec.column
        if col.name in pk:
            col = _replace(col, nullable=False)
            rowid = spec.written_type.strip().lower() == "integer" and len(pk) == 1
            if ctx.sg == "sqlite" and rowid:
                col = _replace(col, identity=True)  # SQLite's INTEGER PRIMARY KEY is the rowid
        columns.append(col)
    fks = [fk for s in specs for fk in s.foreign_keys] + parts.fk
    fks = [
        _replace(fk, ref_columns=pk) if fk.ref_table == name and not fk.ref_columns else fk
        for fk in fks
    ]
    for fk in fks:
        if not fk.ref_columns:
            raise SpecError(
                f"references {name} names no column and {name} has no primary key",
                f"name the referenced column: references {name}(id)",
            )
        if len(fk.ref_columns) != len(fk.columns):
            raise SpecError(
                f"foreign key ({', '.join(fk.columns)}) -> {name}({', '.join(fk.ref_columns)}):"
                " column counts differ",
                "give as many referenced columns as referencing ones",
            )
    return Table(
        name=name,
        columns=tuple(columns),
        primary_key=pk,
        uniques=tuple(u for s in specs for u in s.uniques) + tuple(parts.uq),
        indexes=tuple(parts.ix),
        foreign_keys=tuple(fks),
        checks=tuple(c for s in specs for c in s.checks) + tuple(parts.ck),
        comment=comment,
    )
