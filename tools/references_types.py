"""The values the code-reference finders exchange: targets, references, models and sources.

A migration that drops, renames or retypes a column breaks the code that still uses it, and
the people deploying it need the list of places to change before the contract step. The
finders (one module per language: `references_py`, `references_js`, `references_ruby`, with
`references_sql` shared by all of them) read the code with a parser, never import or run it,
and report each place as a `Reference` with a confidence: 1.0 where the code names the model
or the table itself, lower where only a variable's name suggests which table it holds.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from .repo import redact

#: What a migration does to the thing a target names. "index" is used by index evidence: the
#: finders look for queries that filter or sort on the column a new index starts with.
TargetKind = Literal["drop", "rename", "type", "index"]

#: Confidence levels shared by every finder, so a report can sort and threshold them alike.
CERTAIN = 1.0  # the code names the model, its field, or the table in SQL
TYPED = 0.9  # a variable whose type the code states or a query builds
LIKELY = 0.7  # template variables named after the model, SQL naming several tables
NAMED = 0.6  # a variable named after the model (`order.total`) in a module that uses it
GUESS = 0.4  # a variable named after the model somewhere the model is never named


class Match(enum.StrEnum):
    """What kind of code matched; each reads as "<kind> at path:line"."""

    MODEL = "model"  # the model class / table definition or a use of the class itself
    FIELD = "model field"  # the field, column or attribute declared on the model
    ATTRIBUTE = "attribute"  # `order.total`, `Order.total`, `orders.c.total`
    QUERY = "query"  # ORM query keys and strings: `.filter(total=..)`, `where: {total}`
    RAW_SQL = "raw sql"  # SQL text in a string, parsed
    SERIALIZER = "serializer"  # field lists: DRF serializers, forms, admin, strong params
    TEMPLATE = "template"  # `{{ order.total }}`, `<%= @order.total %>`


@dataclass(frozen=True)
class Target:
    """A table (column None) or a column that a migration changes.

    `table` and `column` are the names the code knows today (before the plan), so a plan that
    renames a table and then drops one of its columns still finds `orders.total`. `new_name`
    is the name after a rename, for messages.
    """

    table: str
    column: str | None
    kind: TargetKind
    new_name: str | None = None

    def describe(self) -> str:
        name = f"{self.table}.{self.column}" if self.column else f"table {self.table}"
        if self.kind == "rename" and self.new_name:
            return f"{name} (renamed to {self.new_name})"
        return {"drop": f"{name} (dropped)", "type": f"{name} (type changes)"}.get(self.kind, name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "kind": self.kind,
            "new_name": self.new_name,
        }


@dataclass(frozen=True)
class Reference:
    """One place in the repo that uses a target.

    `line` and `column` are 1-based; `text` is the stripped line, redacted. `role` says how a
    query uses a column: "filter" (WHERE, `.filter(x=)`, `where: {x}`) or "sort" (ORDER BY,
    GROUP BY, `order_by`), which is what tells whether an index will be used.
    """

    path: str
    line: int
    column: int
    text: str
    match: Match
    confidence: float
    target: Target
    role: str | None = None

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    def describe(self) -> str:
        return f"{self.location}: {self.match} ({self.confidence:.1f}): {self.text}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "text": self.text,
            "match": str(self.match),
            "confidence": self.confidence,
            "role": self.role,
            "target": self.target.to_dict(),
        }


@dataclass
class CodeModel:
    """A class or definition the code uses to reach a table (ORM model, entity, table object).

    `fields` maps the attribute the code writes to the column it stores (`customer` ->
    `customer_id` for a Django ForeignKey); `declared` is False where the framework reads the
    columns from the database instead (Rails, Knex rows), and then every column is an
    attribute of the same name. `relations` maps relation attributes to the target model's
    name, so `order__total` from OrderItem can be followed to Order.
    """

    name: str
    table: str
    kind: str
    path: str = ""
    line: int = 0
    col: int = 0
    fields: dict[str, str] = field(default_factory=dict)
    field_pos: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    relations: dict[str, str] = field(default_factory=dict)
    declared: bool = True
    accessor: str | None = None

    def attrs_for(self, column: str) -> list[str]:
        """The attributes that read or write `column` (several for a Django ForeignKey)."""
        col = column.lower()
        found = [a for a, c in self.fields.items() if c.lower() == col]
        if not self.declared and column not in found:
            return [column, *found]  # the column itself, and aliases (`alias_attribute`)
        return found

    def has_attr(self, attr: str) -> bool:
        return attr in self.fields or attr in self.relations or not self.declared

    def column_of(self, attr: str) -> str | None:
        if attr in self.fields:
            return self.fields[attr]
        return None if self.declared else attr

    def is_for(self, table: str) -> bool:
        return self.table.lower() == table.lower()


# ---------------------------------------------------------------------------------------------
# Source text: line numbers and the text a report shows
# ---------------------------------------------------------------------------------------------


class Source:
    """A file's text with offset -> (line, column) lookups, 1-based as editors show them."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._lines = text.split("\n")

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1

    def offset(self, line: int, col: int) -> int:
        """Offset of a 1-based line and 0-based column (the way `ast` counts columns)."""
        return self._starts[line - 1] + col

    def line_text(self, line: int) -> str:
        if 1 <= line <= len(self._lines):
            return redact(self._lines[line - 1].strip())
        return ""

    def reference(
        self,
        offset: int,
        match: Match,
        confidence: float,
        target: Target,
        role: str | None = None,
    ) -> Reference:
        line, col = self.position(offset)
        return Reference(
            self.path, line, col, self.line_text(line), match, confidence, target, role
        )


def word_offsets(text: str, word: str) -> list[int]:
    """Offsets where `word` stands as a whole identifier in `text` (case-insensitive)."""
    pattern = re.compile(r"(?<![\w$])" + re.escape(word) + r"(?![\w$])", re.IGNORECASE)
    return [m.start() for m in pattern.finditer(text)]


def dedupe(refs: Iterable[Reference]) -> list[Reference]:
    """One reference per place and target, the most confident kept, in file and line order."""
    best: dict[tuple[str, int, int, Target], Reference] = {}
    for ref in refs:
        key = (ref.path, ref.line, ref.column, ref.target)
        kept = best.get(key)
        if kept is None or (ref.confidence, ref.role is not None) > (
            kept.confidence,
            kept.role is not None,
        ):
            best[key] = ref
    return sorted(best.values(), key=lambda r: (r.path, r.line, r.column, r.target.describe()))


# ---------------------------------------------------------------------------------------------
# Names: the conventions ORMs use to turn class names into table names
# ---------------------------------------------------------------------------------------------


def snake_case(name: str) -> str:
    """`OrderItem` -> `order_item` (TypeORM, Flask-SQLAlchemy and Rails all start here)."""
    text = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text).lower()


def lower_camel(name: str) -> str:
    """`OrderItem` -> `orderItem`: how Prisma's client names a model's accessor."""
    return name[:1].lower() + name[1:]


_IRREGULAR = {"person": "people", "child": "children", "man": "men", "woman": "women"}


def pluralize(word: str) -> str:
    """The common English plural Rails and Sequelize use for table names (`category` ->
    `categories`, `box` -> `boxes`). Only the last word of a snake_case name changes."""
    head, sep, last = word.rpartition("_")
    lower = last.lower()
    if lower in _IRREGULAR:
        plural = _IRREGULAR[lower]
        plural = plural.capitalize() if last[:1].isupper() else plural
    elif re.search(r"[^aeiou]y$", lower):
        plural = last[:-1] + "ies"
    elif re.search(r"(s|x|z|ch|sh)$", lower):
        plural = last + "es"
    else:
        plural = last + "s"
    return head + sep + plural


def instance_names(model: CodeModel) -> set[str]:
    """Variable names that by convention hold one row of `model` (`order`, `orderItem`)."""
    snake = snake_case(model.name)
    return {snake, lower_camel(model.name), model.name.lower()}


def collection_names(model: CodeModel) -> set[str]:
    """Variable names that by convention hold many rows of `model` (`orders`, `order_list`)."""
    snake = snake_case(model.name)
    camel = lower_camel(model.name)
    return {pluralize(snake), pluralize(camel), f"{snake}_list", f"{camel}List"}


class Wanted:
    """The targets arranged for lookup: by table, and by (model, attribute) for column targets."""

    def __init__(self, targets: Iterable[Target], models: Iterable[CodeModel]) -> None:
        self.targets = list(targets)
        self.models = [m for m in models if any(m.is_for(t.table) for t in self.targets)]
        self._attrs: dict[int, dict[str, list[Target]]] = {}
        for model in self.models:
            attrs: dict[str, list[Target]] = {}
            for target in self.targets:
                if target.column is None or not model.is_for(target.table):
                    continue
                for attr in model.attrs_for(target.column):
                    attrs.setdefault(attr, []).append(target)
            self._attrs[id(model)] = attrs

    def attr(self, model: CodeModel | None, attr: str) -> list[Target]:
        """Column targets that `model.attr` reads or writes."""
        if model is None:
            return []
        found = self._attrs.get(id(model))
        if found is None:  # a model made up on the spot (a Knex table, a Rails class)
            return [
                t
                for t in self.targets
                if t.column is not None
                and model.is_for(t.table)
                and attr in model.attrs_for(t.column)
            ]
        return found.get(attr, [])

    def tables(self, model: CodeModel | None) -> list[Target]:
        """Table targets (drop or rename of the whole table) that concern `model`."""
        if model is None:
            return []
        return [t for t in self.targets if t.column is None and model.is_for(t.table)]

    def columns(self) -> list[Target]:
        return [t for t in self.targets if t.column is not None]
