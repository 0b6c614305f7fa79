"""Column definitions and table constraints read from tokens (CREATE TABLE and ALTER TABLE).

Both statements spell them the same way in every dialect we lint, so one reader serves both:
`column_def` reads `name type [NOT NULL] [DEFAULT expr] [GENERATED ...] [REFERENCES ...] ...`
and `constraint` reads `[CONSTRAINT name] PRIMARY KEY | UNIQUE | FOREIGN KEY | CHECK | EXCLUDE`
plus MySQL's `INDEX`/`KEY` entries.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from .cursor import Cursor, names_in
from .source import Tok

#: Words that end a column's type and start its attributes.
_ATTRIBUTES = {
    "NOT", "NULL", "DEFAULT", "PRIMARY", "UNIQUE", "REFERENCES", "CHECK", "CONSTRAINT",
    "GENERATED", "AUTO_INCREMENT", "AUTOINCREMENT", "COLLATE", "COMMENT", "ON", "AS", "FIRST",
    "AFTER", "IDENTITY", "INVISIBLE", "VISIBLE", "STORED", "VIRTUAL", "PERSISTENT", "KEY",
    "COLUMN_FORMAT", "STORAGE", "SRID", "ENGINE_ATTRIBUTE",
}  # fmt: skip
_CONSTRAINT_START = {"CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "EXCLUDE", "INDEX",
                     "KEY", "FULLTEXT", "SPATIAL", "LIKE", "PERIOD"}  # fmt: skip


@dataclass(frozen=True)
class ColumnDef:
    """A column as a statement defines it. `type` is the source text (canonicalise to compare).

    `identity` covers serial types, GENERATED ... AS IDENTITY, AUTO_INCREMENT and SQLite's
    AUTOINCREMENT; `generated` is "stored" or "virtual" for computed columns.
    """

    name: str
    type: str
    not_null: bool = False
    default: str | None = None
    identity: bool = False
    generated: str | None = None
    primary_key: bool = False
    unique: bool = False
    references: str | None = None
    ref_columns: tuple[str, ...] = ()
    check: str | None = None
    position: str | None = None
    enum_values: tuple[str, ...] | None = None
    generated_expr: str | None = None


@dataclass(frozen=True)
class Constraint:
    """A table constraint. `kind` is primary_key, unique, foreign_key, check, exclude or index."""

    kind: str
    name: str | None = None
    columns: tuple[str, ...] = ()
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()
    not_valid: bool = False
    using_index: str | None = None
    expression: str | None = None
    not_enforced: bool = False
    on_delete: str | None = None


_CONSTRAINT_KINDS = {"PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "EXCLUDE"}


def starts_constraint(toks: Sequence[Tok]) -> bool:
    return bool(toks) and toks[0].kind == "word" and toks[0].upper in _CONSTRAINT_START


def column_def(toks: Sequence[Tok], sql: str) -> ColumnDef | None:
    """Read `name type attributes...`; None when the tokens do not start with a name."""
    cur = Cursor(toks, sql)
    tok = cur.peek()
    if tok is None or not tok.is_name:
        return None
    name = tok.name
    cur.advance()
    type_toks: list[Tok] = []
    while not cur.done:
        word = cur.word()
        if word in _ATTRIBUTES:
            break
        if word == "CHARACTER" and cur.word(1) == "SET":
            break
        group_start = cur.pos
        if cur.group() is not None:
            type_toks += cur.toks[group_start : cur.pos]
            continue
        type_toks.append(cur.toks[cur.pos])
        cur.advance()
    type_text = cur.text(type_toks)
    enum_values = None
    if type_toks and type_toks[0].upper in ("ENUM", "SET") and len(type_toks) > 1:
        enum_values = tuple(t.value for t in type_toks if t.kind == "string")
    fields: dict[str, object] = {}
    identity = type_text.strip().lower() in {
        "serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"
    }  # fmt: skip
    while not cur.done:
        if cur.accept("NOT", "NULL"):
            fields["not_null"] = True
        elif cur.accept("NULL"):
            fields["not_null"] = False
        elif cur.accept("DEFAULT"):
            fields["default"] = cur.text(cur.take_until(_ATTRIBUTES - {"NULL", "AS"}))
        elif cur.accept("PRIMARY", "KEY"):
            fields["primary_key"] = True
            fields["not_null"] = True
            if cur.accept_any("AUTOINCREMENT"):
                identity = True
        elif cur.accept("UNIQUE"):
            cur.accept_any("KEY", "INDEX")
            fields["unique"] = True
        elif cur.accept("KEY"):
            fields["primary_key"] = True
        elif cur.accept("REFERENCES"):
            fields["references"] = cur.name()
            ref_group = cur.group()
            fields["ref_columns"] = names_in(ref_group) if ref_group else ()
            cur.take_until(_ATTRIBUTES - {"ON"} | {"NOT", "CHECK", "DEFAULT"})
        elif cur.accept("CHECK"):
            inner = cur.group()
            fields["check"] = cur.text(inner or [])
            cur.accept("NOT", "VALID")
        elif cur.accept("CONSTRAINT"):
            cur.name()
        elif cur.accept("GENERATED"):
            cur.accept_any("ALWAYS")
            cur.accept("BY", "DEFAULT")
            cur.accept("AS")
            if cur.accept("IDENTITY"):
                identity = True
                cur.group()
            else:
                fields["generated_expr"] = cur.text(cur.group() or [])
                kind = cur.accept_any("STORED", "PERSISTENT", "VIRTUAL")
                fields["generated"] = "stored" if kind in ("STORED", "PERSISTENT") else "virtual"
        elif cur.accept("AS"):
            fields["generated_expr"] = cur.text(cur.group() or [])
            kind = cur.accept_any("STORED", "PERSISTENT", "VIRTUAL")
            fields["generated"] = "stored" if kind in ("STORED", "PERSISTENT") else "virtual"
        elif cur.accept_any("AUTO_INCREMENT", "AUTOINCREMENT", "IDENTITY"):
            identity = True
            cur.group()
        elif cur.accept("FIRST"):
            fields["position"] = "FIRST"
        elif cur.accept("AFTER"):
            fields["position"] = f"AFTER {cur.name()}"
        else:
            cur.advance()  # COLLATE x, COMMENT 'x', ON UPDATE ..., CHARACTER SET ...: skip
    return ColumnDef(
        name=name,
        type=type_text,
        identity=identity,
        enum_values=enum_values,
        **fields,  # type: ignore[arg-type]
    )


def constraint(toks: Sequence[Tok], sql: str) -> Constraint | None:
    """Read a table constraint (or MySQL index entry); None when it is not one."""
    cur = Cursor(toks, sql)
    name = None
    if cur.accept("CONSTRAINT") and cur.word() not in _CONSTRAINT_KINDS:
        name = cur.name()
    if cur.accept("PRIMARY", "KEY"):
        if cur.accept("USING", "INDEX"):
            return Constraint("primary_key", name, using_index=cur.name())
        return Constraint("primary_key", name, _columns(cur))
    if cur.accept("UNIQUE"):
        cur.accept_any("KEY", "INDEX")
        if cur.accept("USING", "INDEX"):
            return Constraint("unique", name, using_index=cur.name())
        cur.accept("NULLS", "NOT", "DISTINCT")
        if not cur.at("("):
            name = cur.name() or name
        return Constraint("unique", name, _columns(cur))
    if cur.accept("FOREIGN", "KEY"):
        if not cur.at("("):
            name = cur.name() or name
        columns = _columns(cur)
        ref_table = ref_columns = None
        on_delete = None
        if cur.accept("REFERENCES"):
            ref_table = cur.name()
            ref_columns = _columns(cur)
        while not cur.done:
            if cur.accept("ON", "DELETE"):
                on_delete = " ".join(t.upper for t in cur.take_until({"ON", "NOT", "DEFERRABLE"}))
            else:
                cur.advance()
        tail = {t.upper for t in toks if t.kind == "word"}
        return Constraint(
            "foreign_key",
            name,
            columns,
            ref_table=ref_table,
            ref_columns=ref_columns or (),
            not_valid=_not_valid(toks),
            on_delete=on_delete,
            not_enforced="ENFORCED" in tail and _not_enforced(toks),
        )
    if cur.accept("CHECK"):
        inner = cur.group() or []
        return Constraint(
            "check",
            name,
            expression=cur.text(inner),
            not_valid=_not_valid(toks),
            not_enforced=_not_enforced(toks),
        )
    if cur.accept("EXCLUDE"):
        return Constraint("exclude", name, not_valid=_not_valid(toks))
    if cur.accept_any("INDEX", "KEY", "FULLTEXT", "SPATIAL"):
        cur.accept_any("INDEX", "KEY")
        if not cur.at("(") and not cur.at("USING"):
            name = cur.name()
        cur.accept("USING", "<any>")
        return Constraint("index", name, _columns(cur))
    return None


def _columns(cur: Cursor) -> tuple[str, ...]:
    inner = cur.group()
    return names_in(inner) if inner else ()


def _not_valid(toks: Sequence[Tok]) -> bool:
    return any(a.upper == "NOT" and b.upper == "VALID" for a, b in itertools.pairwise(toks))


def _not_enforced(toks: Sequence[Tok]) -> bool:
    return any(a.upper == "NOT" and b.upper == "ENFORCED" for a, b in itertools.pairwise(toks))
