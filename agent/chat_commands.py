"""Follow-ups in the chat: short phrases that change the plan under discussion.

"call it shipped_at", "make it nullable", "default now()", "add an index on it", "use a batched
backfill" are common enough that they should not need a model, and too important to guess at:
each phrasing here edits the last request's operations deterministically and returns a whole
new `Request`. Anything else goes to the model (agent/chat.py) or, offline, gets one line
saying what would work.

Every edit goes through the same gate as a model's answer (`structured.check_against`: applied
to the schema, reversible, fragments that are expressions), and the pieces it adds are parsed by
the request grammar itself (`--add-index`, `--backfill`, a probe `--add-column` for types and
defaults), so a follow-up can never produce a plan the structured grammar could not.

The edits themselves, on operations (renames reach into every one), are in `chat_edits.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..tools import ops as o
from ..tools.errors import SpecError
from ..tools.schema import Column, Schema, is_identifier
from ..tools.spec import Request, parse_request
from ..tools.spec_verbs import summarize
from .chat_edits import (
    alter_of,
    created_column,
    edit_column,
    fills_of,
    rename_column,
    rename_table,
    without_not_null,
)
from .structured import check_against

#: Rows per batch when a follow-up asks for batching without a number.
DEFAULT_BATCH = 1000

PRONOUNS = frozenset(
    {"it", "that", "this", "the column", "the new column", "this column", "that column"}
)

FOLLOW_UPS = (
    "call it NAME",
    "make it nullable / not null",
    "default EXPR / no default",
    "type T",
    "add an index on it / no index",
    "backfill it with EXPR",
    "use a batched backfill / batch size N",
)


@dataclass(frozen=True)
class Edited:
    """The plan after a follow-up, and one line saying what changed."""

    request: Request
    message: str


@dataclass(frozen=True)
class Draft:
    """The request being edited, with the schema it applies to."""

    request: Request
    before: Schema
    dialect: str

    @property
    def ops(self) -> tuple[o.Operation, ...]:
        return self.request.operations

    def after(self) -> Schema:
        return o.apply_all(self.ops, self.before)

    def parse(self, verb: str, arg: str) -> tuple[o.Operation, ...]:
        """Operations for one grammar verb, on the schema as the plan leaves it."""
        return parse_request([verb, arg], dialect=self.dialect, schema=self.after()).operations

    def done(
        self, ops: Sequence[o.Operation], message: str, description: str | None = None
    ) -> Edited:
        ops = tuple(ops)
        problems = check_against(ops, self.before)
        if problems:
            raise SpecError(
                f"that change does not fit the plan: {problems[0]}",
                "change it with another follow-up, or type the whole request again",
            )
        request = replace(
            self.request, operations=ops, description=description or self.request.description
        )
        return Edited(request, message)

    def created(self) -> list[tuple[str, str]]:
        """(table, column) of every column the plan creates, in order."""
        found: list[tuple[str, str]] = []
        for op in self.ops:
            if isinstance(op, o.AddColumn):
                found.append((op.table, op.column.name))
            elif isinstance(op, o.CreateTable):
                found += [(op.table.name, c.name) for c in op.table.columns]
        return found

    def subject(self, words: str | None) -> tuple[str, str]:
        """The column a follow-up means: "it" is the plan's last added (else altered) column."""
        text = _unquote(" ".join((words or "it").split()))
        if text.lower() in PRONOUNS:
            added = [(op.table, op.column.name) for op in self.ops if isinstance(op, o.AddColumn)]
            touched = [
                (op.table, op.column)
                for op in self.ops
                if isinstance(op, o.AlterColumn | o.Backfill)
            ]
            if added or touched:
                return (added or touched)[-1]
            raise SpecError(
                "this plan adds no column for 'it' to mean",
                "name the column, e.g. 'make users.email nullable'",
            )
        table, _, column = text.rpartition(".")
        known = self.created() + [
            (op.table, op.column) for op in self.ops if isinstance(op, o.AlterColumn | o.Backfill)
        ]
        matches = [(t, c) for t, c in known if c == column and (not table or t == table)]
        if matches:
            return matches[-1]
        raise SpecError(
            f"{text} is not a column this plan adds or changes",
            'ask for it as a new request, e.g. --alter-table "posts alter column title '
            'drop not null"',
        )


Handler = Callable[[Draft, re.Match[str]], Edited]


def follow_up(text: str, request: Request, before: Schema, dialect: str) -> Edited | None:
    """The plan after `text`, or None when `text` is not a follow-up known here.

    A phrase that is known but does not fit (renaming to a taken name, batching a plan with no
    backfill) raises a SpecError saying why. Several follow-ups joined by "and" or a comma
    apply in order, when every part is known.
    """
    draft = Draft(request, before, dialect)
    edited = _one(draft, tidy(text))
    if edited is None:
        parts = [p for p in _JOINS.split(tidy(text)) if p.strip()]
        if len(parts) < 2 or any(_match(tidy(p)) is None for p in parts):
            return None
        messages: list[str] = []
        for part in parts:
            step = _one(draft, tidy(part))
            assert step is not None
            messages.append(step.message)
            draft = Draft(step.request, before, dialect)
        edited = Edited(draft.request, "; ".join(messages))
    return replace(edited, message=edited.message + _needs_value(edited.request, before))


def _needs_value(request: Request, before: Schema) -> str:
    """A note when the plan adds a NOT NULL column with no value to an existing table."""
    filled = {(op.table, op.column) for op in request.operations if isinstance(op, o.Backfill)}
    empty = [
        f"{op.table}.{op.column.name}"
        for op in request.operations
        if isinstance(op, o.AddColumn)
        and not op.column.nullable
        and op.column.default is None
        and before.has_table(op.table)
        and (op.table, op.column.name) not in filled
    ]
    if not empty:
        return ""
    return (
        f"; existing rows need a value for {', '.join(empty)}: add a default ('default 0') or a "
        "backfill ('backfill it with ...')"
    )


#: Where one follow-up ends and the next begins: "and", "then", a comma, "with a default".
_JOINS = re.compile(r"\s*(?:,|;|\band\b|\bthen\b)\s*|\s+(?=with\s+(?:a\s+|the\s+)?default\b)", re.I)


def _one(draft: Draft, text: str) -> Edited | None:
    found = _match(text)
    return None if found is None else found[0](draft, found[1])


def _match(text: str) -> tuple[Handler, re.Match[str]] | None:
    for pattern, handler in RULES:
        m = pattern.match(text)
        if m:
            return handler, m
    return None


def tidy(text: str) -> str:
    """Whitespace squeezed, end punctuation and politeness ("ok, please ...") off."""
    text = " ".join(text.strip().split()).rstrip(".!")
    lead = re.compile(
        r"^(?:(?:please|ok|okay|and|also|then|now|actually|instead)\b[,\s]*|no,\s*)", re.I
    )
    while lead.match(text):
        text = lead.sub("", text, count=1)
    return re.sub(r"\s+(?:please|instead)$", "", text, flags=re.I)


def _unquote(text: str) -> str:
    return text.strip().strip("`\"'")


def _new_name(raw: str, dialect: str) -> str:
    """A name as the grammar reads it: quoted keeps its case, PostgreSQL folds the rest."""
    quoted = raw[:1] in "`\"'" and raw[-1:] == raw[:1]
    name = _unquote(raw)
    if not is_identifier(name):
        raise SpecError(f"{raw} is not a plain name", "use letters, digits and _, e.g. shipped_at")
    return name.lower() if dialect == "postgresql" and not quoted else name


def _swap(text: str, old: str, new: str) -> str:
    return re.sub(rf"\b{re.escape(old)}\b", new, text)


def _rename(d: Draft, m: re.Match[str]) -> Edited:
    new = _new_name(m["new"], d.dialect)
    what = " ".join((m["what"] or "it").split())
    tables = [op.table.name for op in d.ops if isinstance(op, o.CreateTable)]
    adds = [op for op in d.ops if isinstance(op, o.AddColumn)]
    pronoun = what.lower() in PRONOUNS
    if what.lower() in ("the table", "the new table") or (tables and not adds and pronoun):
        if not tables:
            raise SpecError("this plan creates no table to rename", "say which column to rename")
        old = tables[-1]
        if old == new:
            raise SpecError(f"the table is already called {new}", "give another name")
        ops = rename_table(d.ops, old, new)
        return d.done(ops, f"the new table is now {new}", _swap(d.request.description, old, new))
    table, old = d.subject(what)
    if old == new:
        raise SpecError(f"{table}.{old} is already called {new}", "give another name")
    return d.done(
        rename_column(d.ops, table, old, new, d.dialect),
        f"{table}.{old} is now {table}.{new}",
        _swap(d.request.description, old, new),
    )


# ---------------------------------------------------------------------------------------------
# Column attributes: nullability, default, type
# ---------------------------------------------------------------------------------------------


def _nullable(d: Draft, m: re.Match[str]) -> Edited:
    nullable = m["how"].lower().split()[0] in ("nullable", "optional", "null", "allow", "drop",
                                               "remove")  # fmt: skip
    table, column = d.subject(m.groupdict().get("subj"))
    word = "nullable" if nullable else "NOT NULL"
    if created_column(d.ops, table, column) is None:  # a column the plan alters: on the ALTER
        ops = [replace(a, nullable=nullable) if (a := alter_of(op, table, column)) else op
               for op in d.ops]  # fmt: skip
        if not any(alter_of(op, table, column) for op in d.ops):
            ops.append(o.AlterColumn(table, column, nullable=nullable))
        return d.done(ops, f"{table}.{column} becomes {word}")
    ops = without_not_null(d.ops, table, column)
    fills = fills_of(ops, table, column)
    if not nullable and fills:  # filled by a backfill: add it nullable, fill, then NOT NULL
        ops = edit_column(ops, table, column, lambda c: replace(c, nullable=True))
        ops.insert(fills[-1] + 1, o.AlterColumn(table, column, nullable=False))
        return d.done(ops, f"{table}.{column} is set NOT NULL after the backfill")
    ops = edit_column(ops, table, column, lambda c: replace(c, nullable=nullable))
    return d.done(ops, f"{table}.{column} is {word}")


def _probe(d: Draft, table: str, definition: str) -> Column:
    """A column definition read by the grammar (`--add-column`), for types and defaults."""
    try:
        ops = parse_request(
            ["--add-column", f"{table}.migwright_probe {definition}"], dialect=d.dialect
        ).operations
    except SpecError as exc:
        reason = str(exc).rsplit(": ", 1)[-1].replace(" of column migwright_probe", "")
        raise SpecError(
            f"cannot read {definition!r}: {reason}", "give a SQL type or expression"
        ) from exc
    if len(ops) != 1 or not isinstance(ops[0], o.AddColumn):
        raise SpecError(f"{definition!r} says more than a type and a default", "give one of them")
    return ops[0].column


def _default(d: Draft, m: re.Match[str]) -> Edited:
    table, column = d.subject(m.groupdict().get("subj"))
    expr = m.groupdict().get("expr")
    current = created_column(d.ops, table, column)
    value: str | None = None
    if expr:
        probe = _probe(d, table, f"{current.type if current else 'text'} default {expr}")
        if not probe.nullable or probe.identity:
            raise SpecError(f"{expr!r} is more than a default", "give only the expression")
        value = probe.default
    setters = [i for i, op in enumerate(d.ops)
               if (a := alter_of(op, table, column)) and a.default is not o.KEEP]  # fmt: skip
    ops = list(d.ops)
    if setters:  # the plan sets the default with ALTER (the batched pattern): change that one
        alter = alter_of(ops[setters[-1]], table, column)
        assert alter is not None
        ops[setters[-1]] = replace(alter, default=value)
    elif current is not None:
        ops = edit_column(ops, table, column, lambda c: replace(c, default=value))
    else:
        ops.append(o.AlterColumn(table, column, default=value))
    said = f"default {value}" if value is not None else "no default"
    return d.done(ops, f"{table}.{column}: {said}")


TYPE_WORDS = (
    "text", "varchar", "char", "character", "integer", "int", "bigint", "smallint", "boolean",
    "bool", "numeric", "decimal", "real", "float", "double", "date", "time", "timestamp",
    "timestamptz", "json", "jsonb", "uuid", "bytea", "blob", "interval",
)  # fmt: skip


def _type(d: Draft, m: re.Match[str]) -> Edited:
    text = m["type"].strip()
    table, column = d.subject(None)
    probe = _probe(d, table, text)
    if probe.default is not None or not probe.nullable:
        raise SpecError(f"{text!r} is more than a type", "say the default or NOT NULL separately")
    if created_column(d.ops, table, column) is not None:
        ops = edit_column(d.ops, table, column, lambda c: replace(c, type=probe.type))
    else:
        ops = [replace(a, type=probe.type) if (a := alter_of(op, table, column)) else op
               for op in d.ops]  # fmt: skip
    return d.done(ops, f"{table}.{column} is {probe.type}")


# ---------------------------------------------------------------------------------------------
# Indexes and backfills
# ---------------------------------------------------------------------------------------------


def _index(d: Draft, m: re.Match[str]) -> Edited:
    on = _unquote(" ".join((m["on"] or "it").split()))
    if on.lower() in PRONOUNS:
        table, column = d.subject(None)
    elif "." in on:
        table, column = on.split(".", 1)
    else:  # a bare name: a column of the table the plan is about
        tables = sorted({t for op in d.ops for t in op.tables})
        table = d.subject(None)[0] if len(tables) != 1 else tables[0]
        column = on
    if any(isinstance(op, o.CreateIndex) and op.table == table and op.index.columns == (column,)
           for op in d.ops):  # fmt: skip
        raise SpecError(f"the plan already indexes {table}.{column}", "say 'no index' to drop it")
    arg = f"{table} ({column})" + (" unique" if m["unique"] else "")
    arg += " concurrently" if m["conc"] else ""
    added = d.parse("--add-index", arg)
    return d.done([*d.ops, *added], f"added {added[0].describe().strip().lstrip('+ ')}")


def _no_index(d: Draft, m: re.Match[str]) -> Edited:
    gone = [op for op in d.ops if isinstance(op, o.CreateIndex)]
    if not gone:
        raise SpecError("this plan creates no index", "nothing to remove")
    names = ", ".join(op.index.name for op in gone)
    description = d.request.description
    for op in gone:  # "add x to t and add index on t x" -> "add x to t"
        phrase = summarize(op)
        parts = [p for p in description.split(" and ") if p != phrase]
        description = " and ".join(parts) or description
    return d.done([op for op in d.ops if op not in gone], f"removed index {names}", description)


def _backfill(d: Draft, m: re.Match[str]) -> Edited:
    table, column = d.subject(m.groupdict().get("subj"))
    where = m.groupdict().get("where")
    arg = f"{table}.{column} = {m['expr']}" + (f" where {where}" if where else "")
    ops = list(d.ops)
    existing = fills_of(ops, table, column)
    if existing:  # a new value for the plan's backfill; its batch size stays
        old = ops[existing[-1]]
        assert isinstance(old, o.Backfill)
        new = d.parse("--backfill", arg)[0]
        assert isinstance(new, o.Backfill)
        ops[existing[-1]] = replace(new, batch_size=old.batch_size)
        return d.done(ops, f"the backfill sets {table}.{column} = {m['expr']}")
    created = created_column(ops, table, column)
    required = (created is not None and not created.nullable) or any(
        (a := alter_of(op, table, column)) and a.nullable is False for op in ops
    )
    # the fill runs while the column still allows NULL; NOT NULL comes after it
    ops = without_not_null(ops, table, column)
    ops = edit_column(ops, table, column, lambda c: replace(c, nullable=True))
    draft = Draft(replace(d.request, operations=tuple(ops)), d.before, d.dialect)
    ops += draft.parse("--backfill", arg)
    if required:
        ops.append(o.AlterColumn(table, column, nullable=False))
    return d.done(ops, f"added backfill {table}.{column} = {m['expr']}")


def _batch(d: Draft, m: re.Match[str]) -> Edited:
    size = int(re.sub(r"[_,]", "", m["n"])) if m.groupdict().get("n") else None
    if size is not None and size < 1:
        raise SpecError("a batch needs at least one row", f"e.g. batch size {DEFAULT_BATCH}")
    if not any(isinstance(op, o.Backfill) for op in d.ops):
        return _batched_default(d, size or DEFAULT_BATCH)
    ops = [
        replace(op, batch_size=size or op.batch_size or DEFAULT_BATCH)
        if isinstance(op, o.Backfill)
        else op
        for op in d.ops
    ]
    sizes = sorted({op.batch_size or 0 for op in ops if isinstance(op, o.Backfill)})
    return d.done(ops, f"the backfill runs in batches of {', '.join(map(str, sizes))} rows")


def _batched_default(d: Draft, size: int) -> Edited:
    """No backfill yet: a new column with a default becomes add-empty, fill in batches, then
    NOT NULL (strong_migrations' pattern for big tables), which never rewrites the table."""
    added = [op for op in d.ops if isinstance(op, o.AddColumn) and op.column.default is not None]
    if not added:
        raise SpecError(
            "there is no backfill to batch in this plan",
            "say what to fill the column with, e.g. 'backfill it with 0', then batch it",
        )
    target = added[-1]
    col = target.column
    assert col.default is not None
    ops: list[o.Operation] = []
    for op in d.ops:
        if op is not target:
            ops.append(op)
            continue
        ops += [
            replace(target, column=replace(col, nullable=True, default=None)),
            o.AlterColumn(target.table, col.name, default=col.default),
            o.Backfill(target.table, col.name, col.default, f"{col.name} IS NULL", batch_size=size),
        ]
        if not col.nullable:
            ops.append(o.AlterColumn(target.table, col.name, nullable=False))
    return d.done(
        ops,
        f"{target.table}.{col.name} is added empty, then filled with {col.default} in batches "
        f"of {size} rows" + ("" if col.nullable else " and set NOT NULL"),
    )


def _no_batch(d: Draft, m: re.Match[str]) -> Edited:
    if not any(isinstance(op, o.Backfill) for op in d.ops):
        raise SpecError("this plan has no backfill", "nothing to change")
    ops = [replace(op, batch_size=None) if isinstance(op, o.Backfill) else op for op in d.ops]
    return d.done(ops, "the backfill runs as one statement")


# ---------------------------------------------------------------------------------------------
# The phrasings
# ---------------------------------------------------------------------------------------------

_SUBJ = r"(?P<subj>it|that|this|the\s+(?:new\s+)?column|[\w.`\"]+)"
_NAME = r"(?P<new>[`\"']?\w+[`\"']?)"


def _rule(pattern: str, handler: Handler) -> tuple[re.Pattern[str], Handler]:
    return re.compile(pattern, re.I), handler


RULES: tuple[tuple[re.Pattern[str], Handler], ...] = (
    _rule(rf"^(?:call|name)\s+(?P<what>it|that|this|the\s+(?:new\s+)?(?:column|table))\s+"
          rf"(?:to\s+|as\s+)?{_NAME}$", _rename),
    _rule(rf"^rename\s+(?P<what>it|that|this|the\s+(?:new\s+)?(?:column|table)|[\w.]+)\s+"
          rf"(?:to|as)\s+{_NAME}$", _rename),
    _rule(rf"^(?P<what>)(?:use\s+)?(?:the\s+)?name\s+{_NAME}$", _rename),
    _rule(r"^(?:no|without|remove\s+(?:the\s+)?|drop\s+(?:the\s+)?)\s*batch(?:es|ing)?$"
          r"|^(?:in\s+)?(?:one|a\s+single)\s+(?:statement|update|go)$|^unbatched$", _no_batch),
    _rule(r"^(?:(?:use|do|make\s+it)\s+)?(?:a\s+|the\s+)?(?:batch|batched|batches)"
          r"(?:\s+(?:it|the\s+backfill|backfill|update))?(?:\s+(?:size|of|with|to))*"
          r"(?:\s+(?P<n>\d[\d_,]*))?(?:\s+rows?)?$", _batch),
    _rule(r"^(?:(?:backfill|fill|update)\s+(?:it\s+)?)?in\s+batches(?:\s+of\s+(?P<n>\d[\d_,]*))?"
          r"(?:\s+rows?)?$", _batch),
    _rule(r"^set\s+(?:the\s+)?batch\s+size\s+(?:to\s+)?(?P<n>\d[\d_,]*)$", _batch),
    _rule(rf"^(?:back)?fill\s+{_SUBJ}\s+(?:with|as|to|=)\s+(?P<expr>.+?)"
          r"(?:\s+where\s+(?P<where>.+))?$", _backfill),
    _rule(r"^(?:no|without|remove\s+the|remove|drop\s+the|drop)\s+(?:an?\s+)?index(?:es)?$",
          _no_index),
    _rule(r"^(?:(?:add|create|with)\s+)?(?:an?\s+)?(?P<unique>unique\s+)?index"
          r"(?:\s+(?:on\s+)?(?P<on>it|that|this|the\s+(?:new\s+)?column|[\w.`\"]+))?"
          r"(?P<conc>\s+concurrently)?$", _index),
    _rule(r"^index\s+(?P<on>it|that|this)(?P<unique>)(?P<conc>\s+concurrently)?$", _index),
    _rule(r"^(?:no|without|remove\s+the|remove|drop\s+the|drop)\s+(?:a\s+)?default$", _default),
    _rule(rf"^(?:make|set)\s+{_SUBJ}\s+default\s+(?:to\s+)?(?P<expr>.+)$", _default),
    _rule(r"^(?:(?:give\s+it|set|use|add|with)\s+)?(?:a\s+|the\s+)?default"
          r"(?:\s+(?:value|of|to|=|as))*\s+(?P<expr>.+)$", _default),
    _rule(rf"^(?:make|set|mark|let)\s+{_SUBJ}\s+(?:be\s+)?(?P<how>nullable|optional|null|"
          r"not\s+null|non-?null(?:able)?|non\s+null(?:able)?|required|mandatory)$", _nullable),
    _rule(r"^(?P<how>nullable|not\s+null|non-?nullable)$", _nullable),
    _rule(rf"^(?P<how>allow|disallow|forbid|no)\s+nulls?(?:\s+in\s+{_SUBJ})?$", _nullable),
    _rule(r"^(?P<how>drop|remove)\s+(?:the\s+)?not\s+null$", _nullable),
    _rule(r"^(?:change|set)\s+(?:the\s+|its\s+)?type\s+to\s+(?P<type>.+)$", _type),
    _rule(r"^(?:use\s+)?type\s+(?P<type>.+)$", _type),
    _rule(rf"^make\s+it\s+(?:an?\s+)?(?P<type>(?:{'|'.join(TYPE_WORDS)})\b(?:\s*\([\d,\s]+\))?)$",
          _type),
)  # fmt: skip
