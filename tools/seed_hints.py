"""What simple checks tell the value generators: bounds, allowed values, lengths, NOT NULL.

A check like `qty > 0 AND qty <= 100` is evaluated on every candidate row anyway
(`seed_checks`), but a generator that draws integers up to 2**31 would miss it almost always.
So the top-level conjuncts of each check are read here into a `Hint` per column, and the
generators aim inside it from the start: the boundary values become 1 and 100 instead of the
type's limits, an IN list becomes the column's vocabulary, `char_length(code) BETWEEN 2 AND 5`
bounds the strings. Conjuncts of any other shape are ignored here; the evaluator still judges
them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlglot import exp

from .seed_checks import (
    CompiledCheck,
    Unknown,
    any_array,
    coerce_pair,
    constant,
    number,
)

#: Length functions whose bound is a string length (not octet_length, not json_valid).
_LENGTHS = {"char_length", "character_length", "length", "len"}
_ERRORS = (Unknown, TypeError, ValueError, ArithmeticError)


@dataclass(frozen=True)
class Hint:
    """Constraints on one column's values read off simple checks (strict bounds marked)."""

    low: Any = None
    high: Any = None
    low_strict: bool = False
    high_strict: bool = False
    choices: tuple[Any, ...] | None = None
    min_length: int | None = None
    max_length: int | None = None
    not_null: bool = False
    excluded: tuple[Any, ...] = field(default=())

    def merge(self, other: Hint) -> Hint:
        """Both hints at once (the tighter bound, the common choices)."""
        merged = self
        if other.low is not None and (merged.low is None or _greater(other.low, merged.low)):
            merged = replace(merged, low=other.low, low_strict=other.low_strict)
        if other.high is not None and (merged.high is None or _greater(merged.high, other.high)):
            merged = replace(merged, high=other.high, high_strict=other.high_strict)
        if other.choices is not None:
            keep = other.choices
            if merged.choices is not None:
                keep = tuple(c for c in merged.choices if c in other.choices)
            merged = replace(merged, choices=keep)
        if other.min_length is not None:
            merged = replace(merged, min_length=max(other.min_length, merged.min_length or 0))
        if other.max_length is not None:
            current = merged.max_length if merged.max_length is not None else other.max_length
            merged = replace(merged, max_length=min(other.max_length, current))
        return replace(
            merged,
            not_null=merged.not_null or other.not_null,
            excluded=(*merged.excluded, *other.excluded),
        )


def _greater(a: Any, b: Any) -> bool:
    try:
        x, y = coerce_pair(a, b)
        return bool(x > y)
    except _ERRORS:
        return False


def column_hints(checks: list[CompiledCheck]) -> dict[str, Hint]:
    """Per column (lower-case), the bounds, choices and lengths the checks' conjuncts demand."""
    hints: dict[str, Hint] = {}
    for check in checks:
        for conjunct in _conjuncts(check.tree):
            try:
                found = _hint_of(conjunct)
            except _ERRORS:
                continue
            if found is not None:
                name, hint = found
                hints[name] = hints[name].merge(hint) if name in hints else hint
    return hints


def _conjuncts(node: exp.Expr) -> list[exp.Expr]:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def _target(node: exp.Expr) -> tuple[str, bool] | None:
    """(column, measured by length) when `node` is a column or length(column)."""
    while isinstance(node, exp.Paren | exp.Cast):
        node = node.this
    if isinstance(node, exp.Column):
        return node.name.lower(), False
    if isinstance(node, exp.Length) or (
        isinstance(node, exp.Anonymous) and node.name.lower() in _LENGTHS
    ):
        inner = node.expressions[0] if isinstance(node, exp.Anonymous) else node.this
        found = _target(inner)
        return (found[0], True) if found and not found[1] else None
    return None


def _column(node: exp.Expr) -> str | None:
    target = _target(node)
    return target[0] if target and not target[1] else None


def _hint_of(node: exp.Expr) -> tuple[str, Hint] | None:
    if isinstance(node, exp.Not) and isinstance(node.this, exp.Is):
        node = node.this.copy()
        node.set("negate", not node.args.get("negate"))
    if isinstance(node, exp.Is):
        name = _column(node.this)
        negated = bool(node.args.get("negate"))
        if name and isinstance(node.expression, exp.Null) and negated:
            return name, Hint(not_null=True)
        return None
    if isinstance(node, exp.In):
        name = _column(node.this)
        return (name, Hint(choices=tuple(constant(e) for e in node.expressions))) if name else None
    if isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
        name = _column(node.this)
        values = tuple(constant(e) for e in any_array(node.expression).expressions)
        return (name, Hint(choices=values)) if name else None
    if isinstance(node, exp.Between):
        target = _target(node.this)
        if target is None:
            return None
        low, high = constant(node.args["low"]), constant(node.args["high"])
        if target[1]:
            return target[0], Hint(min_length=int(low), max_length=int(high))
        return target[0], Hint(low=low, high=high)
    if isinstance(node, exp.NEQ):
        return _not_equal(node)
    if type(node) in _FLIP or isinstance(node, exp.EQ):
        return _bound(node)
    return None


def _not_equal(node: exp.Expr) -> tuple[str, Hint] | None:
    target, other = _target(node.this), node.expression
    if target is None:
        target, other = _target(node.expression), node.this
    if target is None:
        return None
    value = constant(other)
    if target[1]:
        return (target[0], Hint(min_length=1)) if value == 0 else None
    return target[0], Hint(excluded=(value,), min_length=1 if value == "" else None)


_FLIP: dict[type[exp.Expr], type[exp.Expr]] = {
    exp.GT: exp.LT,
    exp.GTE: exp.LTE,
    exp.LT: exp.GT,
    exp.LTE: exp.GTE,
}


def _bound(node: exp.Expr) -> tuple[str, Hint] | None:
    kind: type[exp.Expr] = type(node)
    target, other = _target(node.this), node.expression
    if target is None:
        target, other = _target(node.expression), node.this
        kind = _FLIP.get(kind, kind)
    if target is None:
        return None
    value = constant(other)
    name, by_length = target
    if by_length:
        n = int(number(value))
        lengths: dict[type[exp.Expr], Hint] = {
            exp.GT: Hint(min_length=n + 1),
            exp.GTE: Hint(min_length=n),
            exp.LT: Hint(max_length=n - 1),
            exp.LTE: Hint(max_length=n),
            exp.EQ: Hint(min_length=n, max_length=n),
        }
        return name, lengths[kind]
    bounds: dict[type[exp.Expr], Hint] = {
        exp.GT: Hint(low=value, low_strict=True),
        exp.GTE: Hint(low=value),
        exp.LT: Hint(high=value, high_strict=True),
        exp.LTE: Hint(high=value),
        exp.EQ: Hint(choices=(value,)),
    }
    return name, bounds[kind]
