"""CHECK constraints in Python, so the seeder can make rows that pass them.

Seeding a table whose checks reject most random rows would either crawl (one failed INSERT per
bad row) or leave the table half empty. Most real checks are simple: comparisons with literals,
IN lists, `length(x) <= n`, `IS NOT NULL`, AND/OR of those, the odd `ends_at > starts_at`.
`compile_check` turns such a check into a Python function with SQL's three-valued logic (a row
passes unless the predicate is FALSE), so a row that misses goes back for another try before it
reaches the database; `seed_hints` reads bounds off the same trees so that most rows hit.

The tree is compiled once into nested closures, because the seeder asks every check about
every candidate row. Anything the compiler does not know (subqueries, unknown functions, a
dialect's regex operators) makes the whole check opaque (`compile_check` returns None): the
seeder then inserts in small batches and lets the database judge. A value the compiled check
cannot compare (a string against a date it cannot parse) also answers "passes".
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlglot
from sqlglot import exp

from .schema import CheckConstraint

#: A compiled expression: row (lower-case column names) -> value, None for SQL NULL.
Fn = Callable[[Mapping[str, Any]], Any]


class Unknown(Exception):
    """The evaluator cannot tell; the check counts as passing and the database decides."""


_ERRORS = (Unknown, TypeError, ValueError, ArithmeticError, InvalidOperation)


@dataclass(frozen=True)
class CompiledCheck:
    """A check the evaluator understands: its tree, the columns it reads, its function."""

    name: str | None
    expression: str
    tree: exp.Expr
    columns: frozenset[str]
    fn: Fn

    def holds(self, row: Mapping[str, Any]) -> bool:
        """True unless the predicate is FALSE for `row` (NULL passes, as in SQL)."""
        try:
            return self.fn(row) is not False
        except _ERRORS:
            return True


def compile_check(check: CheckConstraint) -> CompiledCheck | None:
    """The check as a `CompiledCheck`, or None when it uses something the evaluator lacks."""
    tree = parse(check.expression)
    if tree is None:
        return None
    try:
        fn = compile_expression(tree)
    except Unknown:
        return None
    columns = frozenset(c.name.lower() for c in tree.find_all(exp.Column))
    return CompiledCheck(check.name, check.expression, tree, columns, fn)


def parse(text: str) -> exp.Expr | None:
    """A check, default or predicate as a sqlglot tree (MySQL's backticks read as quotes)."""
    try:
        return sqlglot.parse_one(text.strip().replace("`", '"'), read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError):
        return None


def compile_expression(node: exp.Expr) -> Fn:
    """`node` as a function of a row; raises Unknown for anything not understood."""
    builder = _BUILDERS.get(type(node))
    if builder is None:
        raise Unknown(type(node).__name__)
    return builder(node)


def constant(node: exp.Expr) -> Any:
    """The value of an expression without columns (a literal, a cast literal, -1)."""
    if any(isinstance(n, exp.Column) for n in node.walk()):
        raise Unknown("not a constant")
    return compile_expression(node)({})


# ---------------------------------------------------------------------------------------------
# Builders, one per node type
# ---------------------------------------------------------------------------------------------


def _column(node: exp.Expr) -> Fn:
    name = node.name.lower()

    def run(row: Mapping[str, Any]) -> Any:
        if name not in row:
            raise Unknown(name)  # the database fills it (identity, default)
        return row[name]

    return run


def _literal(node: exp.Expr) -> Fn:
    if node.is_string:
        value: Any = node.this
    else:
        text = str(node.this)
        value = int(text) if re.fullmatch(r"-?\d+", text) else Decimal(text)
    return _constant_fn(value)


def _and(node: exp.Expr) -> Fn:
    left, right = compile_expression(node.this), compile_expression(node.expression)

    def run(row: Mapping[str, Any]) -> bool | None:
        a = left(row)
        if a is False:
            return False
        b = right(row)
        if b is False:
            return False
        return None if a is None or b is None else True

    return run


def _or(node: exp.Expr) -> Fn:
    left, right = compile_expression(node.this), compile_expression(node.expression)

    def run(row: Mapping[str, Any]) -> bool | None:
        a = left(row)
        if a is True:
            return True
        b = right(row)
        if b is True:
            return True
        return None if a is None or b is None else False

    return run


def _not(node: exp.Expr) -> Fn:
    inner = compile_expression(node.this)

    def run(row: Mapping[str, Any]) -> bool | None:
        value = inner(row)
        return None if value is None else not truth(value)

    return run


def truth(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal | float):
        return value != 0
    raise Unknown("not a boolean")


def _is(node: exp.Expr) -> Fn:
    inner, target, negate = compile_expression(node.this), node.expression, node.args.get("negate")
    if not isinstance(target, exp.Null | exp.Boolean):
        raise Unknown("IS")

    def run(row: Mapping[str, Any]) -> bool:
        value = inner(row)
        if isinstance(target, exp.Null):
            result = value is None
        else:
            result = value is not None and truth(value) is target.this
        return not result if negate else result

    return run


_COMPARE: dict[type[exp.Expr], Callable[[Any, Any], bool]] = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
}


def _comparison(node: exp.Expr) -> Fn:
    left = compile_expression(node.this)
    if isinstance(node.expression, exp.Any):
        if not isinstance(node, exp.EQ):
            raise Unknown("op ANY")
        options = [compile_expression(e) for e in any_array(node.expression).expressions]
        return lambda row: membership(left(row), [o(row) for o in options])
    right, op = compile_expression(node.expression), _COMPARE[type(node)]

    def run(row: Mapping[str, Any]) -> bool | None:
        a, b = left(row), right(row)
        if a is None or b is None:
            return None
        return op(*coerce_pair(a, b))

    return run


def any_array(node: exp.Expr) -> exp.Array:
    """The array of `x = ANY (ARRAY[...])`, PostgreSQL's spelling of IN, under its casts."""
    inner = node.this
    while isinstance(inner, exp.Paren | exp.Cast):
        inner = inner.this
    if not isinstance(inner, exp.Array):
        raise Unknown("ANY without an array")
    return inner


def membership(value: Any, options: list[Any]) -> bool | None:
    if value is None:
        return None
    saw_null = False
    for option in options:
        if option is None:
            saw_null = True
        elif _equal(value, option):
            return True
    return None if saw_null else False


def _equal(a: Any, b: Any) -> bool:
    x, y = coerce_pair(a, b)
    return bool(x == y)


def _in(node: exp.Expr) -> Fn:
    if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
        raise Unknown("IN subquery")
    value = compile_expression(node.this)
    options = [compile_expression(e) for e in node.expressions]
    return lambda row: membership(value(row), [o(row) for o in options])


def _between(node: exp.Expr) -> Fn:
    value = compile_expression(node.this)
    low, high = compile_expression(node.args["low"]), compile_expression(node.args["high"])

    def run(row: Mapping[str, Any]) -> bool | None:
        v, lo, hi = value(row), low(row), high(row)
        if v is None or lo is None or hi is None:
            return None
        a, lo = coerce_pair(v, lo)
        b, hi = coerce_pair(v, hi)
        return bool(lo <= a and b <= hi)

    return run


def _unary(fn: Callable[[Any], Any]) -> Callable[[exp.Expr], Fn]:
    """A function of one argument that is NULL on NULL (lower, abs, length ...)."""

    def build(node: exp.Expr) -> Fn:
        inner = compile_expression(node.this)

        def run(row: Mapping[str, Any]) -> Any:
            value = inner(row)
            return None if value is None else fn(value)

        return run

    return build


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes) else len(str(value))


def _octets(value: Any) -> int:
    return len(value) if isinstance(value, bytes) else len(str(value).encode())


def _json_valid(value: Any) -> int:
    try:
        json.loads(value)
    except (TypeError, ValueError):
        return 0
    return 1


#: Functions sqlglot leaves anonymous that the evaluator knows.
FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "char_length": _length,
    "character_length": _length,
    "length": _length,
    "len": _length,
    "octet_length": _octets,
    "json_valid": _json_valid,
}


def _anonymous(node: exp.Expr) -> Fn:
    fn = FUNCTIONS.get(node.name.lower())
    if fn is None or len(node.expressions) != 1:
        raise Unknown(node.name)
    inner = compile_expression(node.expressions[0])

    def run(row: Mapping[str, Any]) -> Any:
        value = inner(row)
        return None if value is None else fn(value)

    return run


_ARITHMETIC: dict[type[exp.Expr], Callable[[Any, Any], Any]] = {
    exp.Add: lambda a, b: number(a) + number(b),
    exp.Sub: lambda a, b: number(a) - number(b),
    exp.Mul: lambda a, b: number(a) * number(b),
    exp.Div: lambda a, b: number(a) / number(b),
    exp.Mod: lambda a, b: number(a) % number(b),
    exp.DPipe: lambda a, b: f"{a}{b}",
}


def _arithmetic(node: exp.Expr) -> Fn:
    left, right = compile_expression(node.this), compile_expression(node.expression)
    op = _ARITHMETIC[type(node)]

    def run(row: Mapping[str, Any]) -> Any:
        a, b = left(row), right(row)
        return None if a is None or b is None else op(a, b)

    return run


def _coalesce(node: exp.Expr) -> Fn:
    parts = [compile_expression(a) for a in [node.this, *node.expressions]]

    def run(row: Mapping[str, Any]) -> Any:
        for part in parts:
            value = part(row)
            if value is not None:
                return value
        return None

    return run


def _like(node: exp.Expr) -> Fn:
    value, pattern = compile_expression(node.this), compile_expression(node.expression)
    flags = re.DOTALL | (re.IGNORECASE if isinstance(node, exp.ILike) else 0)

    def run(row: Mapping[str, Any]) -> bool | None:
        v, p = value(row), pattern(row)
        if v is None or p is None:
            return None
        regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(p))
        return re.fullmatch(regex, str(v), flags) is not None

    return run


def _cast(node: exp.Expr) -> Fn:
    inner = compile_expression(node.this)
    to = node.args.get("to")
    kind = to.this if isinstance(to, exp.DataType) else None
    types = exp.DataType.Type
    convert: Callable[[Any], Any] = lambda v: v  # noqa: E731 - enum labels, json: as they are
    if kind in (types.INT, types.BIGINT, types.SMALLINT, types.TINYINT):
        convert = lambda v: int(number(v))  # noqa: E731
    elif kind in (types.DECIMAL, types.DOUBLE, types.FLOAT):
        convert = number
    elif kind in (types.TEXT, types.VARCHAR, types.CHAR, types.NVARCHAR, types.NCHAR):
        convert = lambda v: v if isinstance(v, str) else str(v)  # noqa: E731
    elif kind == types.DATE:
        convert = as_date
    elif kind in (types.TIMESTAMP, types.TIMESTAMPTZ, types.DATETIME):
        convert = as_datetime

    def run(row: Mapping[str, Any]) -> Any:
        value = inner(row)
        return None if value is None else convert(value)

    return run


def _constant_fn(value: Any) -> Fn:
    return lambda row: value


def _array(node: exp.Expr) -> Fn:
    parts = [compile_expression(e) for e in node.expressions]
    return lambda row: [p(row) for p in parts]


_BUILDERS: dict[type[exp.Expr], Callable[[exp.Expr], Fn]] = {
    exp.And: _and,
    exp.Or: _or,
    exp.Not: _not,
    exp.Paren: lambda n: compile_expression(n.this),
    exp.Column: _column,
    exp.Literal: _literal,
    exp.Boolean: lambda n: _constant_fn(bool(n.this)),
    exp.Null: lambda n: _constant_fn(None),
    exp.Neg: _unary(lambda v: -number(v)),
    exp.Cast: _cast,
    **dict.fromkeys(_COMPARE, _comparison),
    exp.Is: _is,
    exp.In: _in,
    exp.Between: _between,
    exp.Array: _array,
    exp.Length: _unary(_length),
    exp.Anonymous: _anonymous,
    exp.Lower: _unary(lambda v: str(v).lower()),
    exp.Upper: _unary(lambda v: str(v).upper()),
    exp.Trim: _unary(lambda v: str(v).strip(" ")),
    exp.Abs: _unary(lambda v: abs(number(v))),
    exp.Coalesce: _coalesce,
    **dict.fromkeys(_ARITHMETIC, _arithmetic),
    exp.Like: _like,
    exp.ILike: _like,
}


# ---------------------------------------------------------------------------------------------
# Coercion: what SQL would compare
# ---------------------------------------------------------------------------------------------


def number(value: Any) -> Decimal:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        return Decimal(value.strip())
    raise Unknown(f"not a number: {type(value).__name__}")


def as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return dt.datetime.fromisoformat(str(value).strip())


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def coerce_pair(a: Any, b: Any) -> tuple[Any, Any]:
    """Two values brought to one comparable kind, the way SQL's implicit casts would."""
    numeric = (int, float, Decimal)
    if type(a) is type(b) and not isinstance(a, float | dt.datetime):
        return a, b
    if isinstance(a, numeric) and isinstance(b, numeric):
        return number(a), number(b)
    if isinstance(a, dt.datetime) or isinstance(b, dt.datetime):
        return _utc(as_datetime(a)), _utc(as_datetime(b))
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        return as_date(a), as_date(b)
    if isinstance(a, dt.time) or isinstance(b, dt.time):
        ta = a if isinstance(a, dt.time) else dt.time.fromisoformat(str(a))
        tb = b if isinstance(b, dt.time) else dt.time.fromisoformat(str(b))
        return ta.replace(tzinfo=None), tb.replace(tzinfo=None)
    if isinstance(a, numeric) or isinstance(b, numeric):
        return number(a), number(b)
    return str(a), str(b)
