"""The actions of an ALTER TABLE, read from tokens (PostgreSQL, MySQL/MariaDB and SQLite forms).

An ALTER TABLE holds comma-separated actions, and each may carry its own risk (`ADD COLUMN a,
ALTER COLUMN b TYPE bigint`), so each becomes an `Action`. MySQL's table options in the same
list (`ALGORITHM=INPLACE, LOCK=NONE`) become actions too, so a rule sees them next to the
change they govern.
"""

from __future__ import annotations

from collections.abc import Sequence

from .cursor import Cursor, split_top
from .shape_parts import column_def, constraint, starts_constraint
from .shape_types import Action
from .source import Tok

_STORAGE = ("TABLESPACE", "LOGGED", "UNLOGGED", "ACCESS", "WITHOUT", "SCHEMA")


def alter_table_actions(cur: Cursor, family: str) -> list[Action]:
    rest = cur.rest()
    return [_action(part, cur.sql, family) for part in split_top(rest)]


def _action(toks: Sequence[Tok], sql: str, family: str) -> Action:
    cur = Cursor(toks, sql)
    text = cur.text(list(toks))
    head = cur.word()
    if head == "ADD":
        return _add(cur, text)
    if head == "DROP":
        return _drop(cur, text)
    if head == "ALTER":
        return _alter_column(cur, text)
    if head in ("MODIFY", "CHANGE"):
        cur.advance()
        cur.accept("COLUMN")
        old = None
        if head == "CHANGE":
            old_tok = cur.peek()
            old = old_tok.name if old_tok is not None else None
            cur.advance()
        col = column_def(cur.toks[cur.pos :], sql)
        return Action(
            "modify_column",
            column=old or (col.name if col else None),
            new_name=col.name if col and old and col.name != old else None,
            column_def=col,
            type=col.type if col else None,
            text=text,
        )
    if head == "RENAME":
        cur.advance()
        if cur.accept_any("TO", "AS"):
            return Action("rename_table", new_name=cur.name(), text=text)
        if cur.accept("CONSTRAINT") or cur.accept_any("INDEX", "KEY"):
            old = cur.name()
            cur.accept("TO")
            return Action("other", column=old, new_name=cur.name(), text=text)
        cur.accept("COLUMN")
        old = cur.name()
        cur.accept("TO")
        return Action("rename_column", column=old, new_name=cur.name(), text=text)
    if head == "VALIDATE":
        cur.advance()
        cur.accept("CONSTRAINT")
        return Action("validate_constraint", value=cur.name(), text=text)
    if head == "SET":
        cur.advance()
        word = cur.word()
        if word in _STORAGE:
            value = " ".join(t.upper if t.kind == "word" else t.text for t in cur.rest())
            return Action("set_storage", value=value, text=text)
        return Action("other", value="SET", text=text)
    if head == "DETACH":
        cur.advance()
        cur.accept("PARTITION")
        name = cur.name()
        words = {t.upper for t in cur.rest() if t.kind == "word"}
        return Action(
            "detach_partition",
            value=name,
            concurrently="CONCURRENTLY" in words,
            if_exists="FINALIZE" in words,
            text=text,
        )
    if head == "ATTACH":
        cur.advance()
        cur.accept("PARTITION")
        return Action("attach_partition", value=cur.name(), text=text)
    if head in ("ALGORITHM", "LOCK"):
        cur.advance()
        cur.accept("=")
        value = cur.word() or cur.text_at().upper()
        return Action(head.lower(), value=value, text=text)
    if head in ("ENGINE", "ROW_FORMAT", "KEY_BLOCK_SIZE", "FORCE") or (
        head == "CONVERT" and cur.at("CONVERT", "TO")
    ):
        return Action("set_storage", value=head, text=text)
    return Action("other", value=head, text=text)


def _add(cur: Cursor, text: str) -> Action:
    cur.advance()
    explicit_column = cur.accept("COLUMN")
    if_not_exists = cur.accept("IF", "NOT", "EXISTS")
    rest = cur.toks[cur.pos :]
    if not explicit_column and starts_constraint(rest):
        item = constraint(rest, cur.sql)
        if item is not None:
            return Action("add_constraint", constraint=item, text=text)
    if not explicit_column and cur.at("("):  # MySQL ADD (a int, b int)
        inner = cur.group() or []
        cols = [column_def(part, cur.sql) for part in split_top(inner)]
        first = next((c for c in cols if c is not None), None)
        return Action("add_column", column=first.name if first else None, column_def=first,
                      text=text)  # fmt: skip
    col = column_def(rest, cur.sql)
    return Action(
        "add_column",
        column=col.name if col else None,
        column_def=col,
        if_exists=if_not_exists,
        text=text,
    )


def _drop(cur: Cursor, text: str) -> Action:
    cur.advance()
    if cur.accept("CONSTRAINT") or cur.accept("CHECK"):
        if_exists = cur.accept("IF", "EXISTS")
        return Action("drop_constraint", value=cur.name(), if_exists=if_exists, text=text)
    if cur.accept("FOREIGN", "KEY"):
        return Action("drop_constraint", value=cur.name(), column="FOREIGN KEY", text=text)
    if cur.accept("PRIMARY", "KEY"):
        return Action("drop_primary_key", text=text)
    if cur.accept_any("INDEX", "KEY"):
        if_exists = cur.accept("IF", "EXISTS")
        return Action("drop_index", value=cur.name(), if_exists=if_exists, text=text)
    if cur.accept("DEFAULT"):  # SQL Server-ish; harmless
        return Action("other", value="DROP DEFAULT", text=text)
    cur.accept("COLUMN")
    if_exists = cur.accept("IF", "EXISTS")
    return Action("drop_column", column=cur.name(), if_exists=if_exists, text=text)


def _alter_column(cur: Cursor, text: str) -> Action:
    cur.advance()
    if cur.accept("CONSTRAINT"):
        return Action("other", value="ALTER CONSTRAINT", column=cur.name(), text=text)
    if cur.accept("CHECK"):  # MySQL ALTER CHECK name [NOT] ENFORCED
        name = cur.name()
        words = [t.upper for t in cur.rest() if t.kind == "word"]
        kind = "enforce_check" if words == ["ENFORCED"] else "other"
        return Action(kind, value=name, text=text)
    if cur.accept("INDEX"):
        return Action("other", value="ALTER INDEX", text=text)
    cur.accept("COLUMN")
    column = cur.name()
    if cur.accept("TYPE") or cur.accept("SET", "DATA", "TYPE"):
        type_toks = cur.take_until({"USING", "COLLATE"})
        using = None
        cur.accept("COLLATE") and cur.name()
        if cur.accept("USING"):
            using = cur.text(cur.rest())
        return Action("alter_type", column=column, type=cur.text(type_toks), using=using, text=text)
    if cur.accept("SET", "NOT", "NULL"):
        return Action("set_not_null", column=column, text=text)
    if cur.accept("DROP", "NOT", "NULL"):
        return Action("drop_not_null", column=column, text=text)
    if cur.accept("SET", "DEFAULT"):
        return Action("set_default", column=column, value=cur.text(cur.rest()), text=text)
    if cur.accept("DROP", "DEFAULT"):
        return Action("drop_default", column=column, text=text)
    if cur.accept("ADD", "GENERATED"):
        return Action("add_identity", column=column, text=text)
    if cur.accept("SET", "EXPRESSION") or cur.accept("DROP", "EXPRESSION"):
        return Action("set_expression", column=column, text=text)
    return Action("other", column=column, value="ALTER COLUMN", text=text)
