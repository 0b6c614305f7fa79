"""What a statement does, read from its tokens: the `Shape` every rule looks at.

sqlglot parses each statement too (`statement.py` keeps the tree for expressions and DML), but
its DDL trees differ between versions and dialects (30.x reads `START TRANSACTION` as an
alias, fails on `CLUSTER`, keeps `ALTER TYPE ... ADD VALUE`, `REINDEX` and `VALIDATE
CONSTRAINT` as opaque commands). Reading the DDL shape from tokens gives every rule one
vocabulary, the same for a statement sqlglot understood and one it did not.
"""

from __future__ import annotations

from collections.abc import Sequence

from .cursor import Cursor, names_in, split_top
from .shape_misc import MISC_READERS
from .shape_parts import ColumnDef, Constraint, column_def, constraint, starts_constraint
from .shape_types import DDL_KINDS, DML_KINDS, TXN_KINDS, Action, Reader, Shape
from .source import Tok

__all__ = ["DDL_KINDS", "DML_KINDS", "TXN_KINDS", "Action", "Reader", "Shape", "read_shape"]


def read_shape(toks: Sequence[Tok], sql: str, family: str) -> Shape:
    """The shape of one statement (kind "other" when it is none we know)."""
    cur = Cursor(toks, sql)
    head = cur.word()
    reader = _READERS.get(head)
    if reader is None:
        return Shape("other")
    return reader(cur, family)


# ---------------------------------------------------------------------------------------------
# CREATE
# ---------------------------------------------------------------------------------------------


_CREATE_MODIFIERS = frozenset(
    {
        "UNIQUE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL", "FULLTEXT", "SPATIAL",
        "CONSTRAINT", "DEFINER", "MATERIALIZED",
    }
)  # fmt: skip


def _create(cur: Cursor, family: str) -> Shape:
    cur.advance()
    flags: set[str] = set()
    if cur.accept("OR", "REPLACE"):
        flags.add("OR_REPLACE")
    while cur.word() in _CREATE_MODIFIERS:
        word = cur.word()
        flags.add("TEMPORARY" if word == "TEMP" else word)
        cur.advance()
        if word == "DEFINER":  # MySQL CREATE DEFINER=`u`@`h` TRIGGER
            while not cur.done and cur.word() not in ("TRIGGER", "PROCEDURE", "FUNCTION", "VIEW"):
                cur.advance()
    what = cur.word()
    if what == "INDEX":
        return _create_index(cur, flags)
    if what == "TABLE":
        return _create_table(cur, flags)
    if what == "DOMAIN":
        cur.advance()
        name = cur.name()
        rest = cur.rest()
        if any(t.upper == "CHECK" for t in rest):
            flags.add("CHECK")
        return Shape("create_domain", name=name, flags=frozenset(flags))
    if what == "TYPE":
        cur.advance()
        name = cur.name()
        values: tuple[str, ...] = ()
        if cur.accept("AS", "ENUM"):
            values = tuple(t.value for t in (cur.group() or []) if t.kind == "string")
            flags.add("ENUM")
        return Shape("create_type", name=name, flags=frozenset(flags), index_columns=values)
    if what == "TRIGGER":
        cur.advance()
        name = cur.name()
        while not cur.done and not cur.at("ON"):
            cur.advance()
        cur.accept("ON")
        return Shape("create_trigger", table=cur.name(), name=name, flags=frozenset(flags))
    cur.advance()
    if cur.accept("IF", "NOT", "EXISTS"):
        flags.add("IF_NOT_EXISTS")
    flags.add(what)
    return Shape("create_other", name=cur.name(), flags=frozenset(flags))


def _create_index(cur: Cursor, flags: set[str]) -> Shape:
    cur.advance()
    if cur.accept("CONCURRENTLY"):
        flags.add("CONCURRENTLY")
    if cur.accept("IF", "NOT", "EXISTS"):
        flags.add("IF_NOT_EXISTS")
    name = None if cur.at("ON") else cur.name()
    if cur.accept("USING"):
        cur.advance()
    options: dict[str, str] = {}
    table = None
    columns: tuple[str, ...] = ()
    if cur.accept("ON"):
        if cur.accept("ONLY"):
            flags.add("ONLY")
        table = cur.name()
        if cur.accept("USING"):
            options["USING"] = cur.text_at().lower()
            cur.advance()
        inner = cur.group()
        columns = names_in(inner) if inner else ()
    while not cur.done:
        word = cur.word()
        if word in ("ALGORITHM", "LOCK") and cur.peek(1) is not None:
            cur.advance()
            cur.accept("=")
            options[word] = cur.word() or cur.text_at()
            cur.advance()
        elif word == "WHERE":
            options["WHERE"] = cur.text(cur.rest()[1:])
        else:
            cur.advance()
    return Shape(
        "create_index",
        table=table,
        name=name,
        index_columns=columns,
        flags=frozenset(flags),
        options=options,
    )


def _create_table(cur: Cursor, flags: set[str]) -> Shape:
    cur.advance()
    if cur.accept("IF", "NOT", "EXISTS"):
        flags.add("IF_NOT_EXISTS")
    table = cur.name()
    columns: list[ColumnDef] = []
    constraints: list[Constraint] = []
    options: dict[str, str] = {}
    if cur.accept("PARTITION", "OF"):
        flags.add("PARTITION_OF")
        options["PARTITION_OF"] = cur.name() or ""
    inner = cur.group()
    for part in split_top(inner or []):
        if starts_constraint(part):
            item = constraint(part, cur.sql)
            if item is not None:
                constraints.append(item)
        else:
            col = column_def(part, cur.sql)
            if col is not None:
                columns.append(col)
    rest = cur.rest()
    words = [t.upper for t in rest if t.kind == "word"]
    if "PARTITION" in words and "BY" in words:
        flags.add("PARTITIONED")
    if words[:1] == ["AS"] or "SELECT" in words[:3]:
        flags.add("AS_SELECT")
    return Shape(
        "create_table",
        table=table,
        columns=tuple(columns),
        constraints=tuple(constraints),
        flags=frozenset(flags),
        options=options,
    )


# ---------------------------------------------------------------------------------------------
# DROP, TRUNCATE, RENAME
# ---------------------------------------------------------------------------------------------


def _drop(cur: Cursor, family: str) -> Shape:
    cur.advance()
    flags: set[str] = set()
    cur.accept("TEMPORARY")
    what = cur.word()
    cur.advance()
    if what == "MATERIALIZED":
        what = "MATERIALIZED VIEW"
        cur.advance()
    if cur.accept("CONCURRENTLY"):
        flags.add("CONCURRENTLY")
    if cur.accept("IF", "EXISTS"):
        flags.add("IF_EXISTS")
    names: list[str] = []
    while not cur.done:
        name = cur.name()
        if name is None:
            break
        names.append(name)
        if not cur.accept(","):
            break
    table = None
    if cur.accept("ON"):  # MySQL DROP INDEX name ON table
        table = cur.name()
    for tok in cur.rest():
        if tok.kind == "word" and tok.upper in ("CASCADE", "RESTRICT", "FORCE"):
            flags.add(tok.upper)
    first = names[0] if names else None
    if what == "INDEX":
        return Shape("drop_index", table=table, name=first, tables=tuple(names),
                     flags=frozenset(flags))  # fmt: skip
    if what == "TABLE":
        return Shape("drop_table", table=first, tables=tuple(names), flags=frozenset(flags))
    if what == "SCHEMA":
        return Shape("drop_schema", name=first, tables=tuple(names), flags=frozenset(flags))
    if what == "DATABASE":
        return Shape("drop_database", name=first, flags=frozenset(flags))
    flags.add(what)
    return Shape("drop_other", name=first, tables=tuple(names), flags=frozenset(flags))


def _truncate(cur: Cursor, family: str) -> Shape:
    cur.advance()
    cur.accept("TABLE")
    cur.accept("ONLY")
    names: list[str] = []
    while not cur.done:
        name = cur.name()
        if name is None:
            break
        names.append(name)
        cur.accept("*")
        if not cur.accept(","):
            break
    flags = {t.upper for t in cur.rest() if t.kind == "word" and t.upper == "CASCADE"}
    return Shape("truncate", table=names[0] if names else None, tables=tuple(names),
                 flags=frozenset(flags))  # fmt: skip


def _rename(cur: Cursor, family: str) -> Shape:
    cur.advance()
    if not cur.accept("TABLE"):
        return Shape("other")
    pairs: list[tuple[str, str]] = []
    while not cur.done:
        old = cur.name()
        cur.accept("TO")
        new = cur.name()
        if old and new:
            pairs.append((old, new))
        if not cur.accept(","):
            break
    return Shape("rename_table", table=pairs[0][0] if pairs else None,
                 tables=tuple(p[0] for p in pairs), renames=tuple(pairs))  # fmt: skip


# ---------------------------------------------------------------------------------------------
# ALTER
# ---------------------------------------------------------------------------------------------


def _alter(cur: Cursor, family: str) -> Shape:
    from .shape_alter import alter_table_actions

    cur.advance()
    cur.accept("ONLINE")
    cur.accept("IGNORE")
    what = cur.word()
    cur.advance()
    if what == "TABLE":
        flags: set[str] = set()
        if cur.accept("IF", "EXISTS"):
            flags.add("IF_EXISTS")
        cur.accept("ONLY")
        table = cur.name()
        cur.accept("*")
        actions = alter_table_actions(cur, family)
        renames = tuple(
            (table or "", a.new_name or "") for a in actions if a.kind == "rename_table"
        )
        return Shape("alter_table", table=table, actions=tuple(actions), flags=frozenset(flags),
                     renames=renames)  # fmt: skip
    if what == "TYPE":
        name = cur.name()
        options: dict[str, str] = {}
        if cur.accept("ADD", "VALUE"):
            options["ACTION"] = "ADD VALUE"
            if cur.accept("IF", "NOT", "EXISTS"):
                options["IF_NOT_EXISTS"] = "1"
            options["VALUE"] = cur.value_at()
            cur.advance()
            where = cur.accept_any("BEFORE", "AFTER")
            if where:
                options[where] = cur.value_at()
        elif cur.accept("RENAME", "VALUE"):
            options["ACTION"] = "RENAME VALUE"
            options["VALUE"] = cur.value_at()
            cur.advance()
            cur.accept("TO")
            options["TO"] = cur.value_at()
        else:
            options["ACTION"] = " ".join(t.upper for t in cur.rest()[:2])
        return Shape("alter_type", name=name, options=options)
    if what == "DOMAIN":
        name = cur.name()
        words = [t.upper for t in cur.rest() if t.kind == "word"]
        flags = {"ADD_CONSTRAINT"} if words[:1] == ["ADD"] else set()
        if "NOT" in words and "VALID" in words:
            flags.add("NOT_VALID")
        return Shape("alter_domain", name=name, flags=frozenset(flags))
    if what == "SCHEMA":
        name = cur.name()
        if cur.accept("RENAME", "TO"):
            new = cur.name() or ""
            return Shape("alter_schema", name=name, renames=((name or "", new),),
                         flags=frozenset({"RENAME"}))  # fmt: skip
        return Shape("alter_schema", name=name)
    if what == "INDEX":
        name = cur.name()
        words = [t.upper for t in cur.rest() if t.kind == "word"]
        return Shape("alter_other", name=name, flags=frozenset({"INDEX", *words[:2]}))
    return Shape("alter_other", name=cur.name(), flags=frozenset({what}))


_READERS: dict[str, Reader] = {
    "CREATE": _create,
    "DROP": _drop,
    "ALTER": _alter,
    "TRUNCATE": _truncate,
    "RENAME": _rename,
    **MISC_READERS,
}
