"""Value generators for seeding: one per type family, realistic by default, nasty at the edges.

A migration that works on ten tidy rows can still fail on production data: the one row whose
`smallint` is 32767, the name with an emoji in a utf8mb3 column, the timestamp inside a DST gap,
the empty string, the 10,000-character note. So every column gets three kinds of values:

- boundaries (`ValueMaker.boundaries`): type limits, empty and full-length strings, unicode,
  DST edges, empty JSON documents, all-zero UUIDs; each appears once in a few early rows;
- common values (`ValueMaker.common`): drawn from a small pool with Zipf-like weights, because
  real columns repeat values (statuses, countries, popular products) and that is what makes
  a new unique index fail;
- unique values (`ValueMaker.unique`): injective in the row index, for keys and unique columns.

Everything is drawn from the `Random` handed in, so a seed reproduces the same rows.
What the database can hold (MySQL's tinyint range, a column's charset, TIMESTAMP's 1970-2038
window) comes in through `ColumnSpec`, filled by the seeder from the live database.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from random import Random
from typing import Any

from .seed_checks import Unknown, coerce_pair
from .seed_hints import Hint
from .seed_kinds import (
    MISSING,
    SIMPLE,
    Array,
    Blob,
    Boolean,
    Choice,
    Float,
    Integer,
    Json,
    Kind,
    Numeric,
    Simple,
    Text,
    Uuid,
    zipf_weights,
)
from .seed_times import Date, Time, Timestamp

__all__ = ["MISSING", "Boolean", "Choice", "ColumnSpec", "ValueMaker", "unique_key"]

_ERRORS = (Unknown, TypeError, ValueError, ArithmeticError)

INT_RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}


@dataclass(frozen=True)
class ColumnSpec:
    """What a generator needs to know about one column (canonical type plus live facts)."""

    name: str
    type: str
    nullable: bool = True
    enum_values: tuple[str, ...] | None = None
    int_range: tuple[int, int] | None = None
    max_bytes: int | None = None
    #: "full" (emoji allowed), "bmp" (MySQL utf8mb3: no 4-byte characters), "latin1", "ascii".
    charset: str = "full"
    time_range: tuple[dt.datetime, dt.datetime] | None = None
    hint: Hint = field(default_factory=Hint)

    @property
    def base(self) -> str:
        return self.type.split("(")[0].strip()

    @property
    def args(self) -> list[int]:
        """The type's numeric arguments: [12, 2] for numeric(12,2), [80] for varchar(80)."""
        if "(" not in self.type or self.base in ("enum", "set"):
            return []
        inner = self.type[self.type.index("(") + 1 : self.type.rindex(")")]
        return [int(a) for a in inner.split(",") if a.strip().isdigit()]


class ValueMaker:
    """Boundaries, a Zipf pool and an injective sequence for one column."""

    def __init__(self, spec: ColumnSpec, rng: Random, rows: int) -> None:
        self.spec = spec
        self.kind = _kind_for(spec)
        self.boundaries = [v for v in self.kind.boundaries() if self.accepts(v)]
        size = max(6, min(2000, int(math.sqrt(max(rows, 1)) * 3)))
        pool: list[Any] = []
        for _ in range(size * 4):
            value = self.kind.random(rng)
            if self.accepts(value):
                pool.append(value)
            if len(pool) >= size:
                break
        self.pool = pool or [v for v in self.boundaries[:1]]
        self.weights = zipf_weights(len(self.pool))

    def common(self, rng: Random) -> Any:
        if not self.pool:
            return self.kind.random(rng)
        return rng.choices(self.pool, cum_weights=self.weights)[0]

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        """A value no other index gets on attempt 0; a wide random draw on later attempts."""
        for _ in range(8):
            value = self.kind.unique(index, attempt, rng)
            if value is MISSING or self.accepts(value):
                return value
            attempt += 1
        return MISSING

    def accepts(self, value: Any) -> bool:
        """Whether `value` meets the column's simple check hints (the full checks come later)."""
        if value is MISSING:
            return False
        hint = self.spec.hint
        if value is None:
            return not hint.not_null
        try:
            if hint.choices is not None and not any(
                _equal(value, c) for c in hint.choices if c is not None
            ):
                return False
            if any(_equal(value, x) for x in hint.excluded if x is not None):
                return False
            if hint.low is not None:
                a, b = coerce_pair(value, hint.low)
                if a < b or (hint.low_strict and a == b):
                    return False
            if hint.high is not None:
                a, b = coerce_pair(value, hint.high)
                if a > b or (hint.high_strict and a == b):
                    return False
        except _ERRORS:  # a hint of another type (a string bound on a number): ignore it
            return True
        limit = self.spec.max_bytes
        if isinstance(value, bytes) and limit is not None and len(value) > limit:
            return False
        if isinstance(value, str):
            if hint.min_length is not None and len(value) < hint.min_length:
                return False
            if hint.max_length is not None and len(value) > hint.max_length:
                return False
        return True


def _equal(a: Any, b: Any) -> bool:
    try:
        x, y = coerce_pair(a, b)
        return bool(x == y)
    except _ERRORS:
        return False


def _kind_for(spec: ColumnSpec) -> Kind:
    """An IN-list check or an enum type closes the vocabulary; otherwise the type decides."""
    hint = spec.hint
    if hint.choices is not None:
        # checks whose lists share nothing leave no value: every row fails and is reported
        return Choice(tuple(c for c in hint.choices if c is not None) or ("",))
    if spec.enum_values is not None:
        return Choice(spec.enum_values)
    return kind_of_type(spec.type, spec)


def kind_of_type(type_: str, spec: ColumnSpec) -> Kind:
    """The kind for a canonical type, narrowed by the column's hints and live limits."""
    base = type_.split("(")[0].strip()
    hint = spec.hint
    if type_.endswith("[]"):
        return Array(kind_of_type(type_[:-2], ColumnSpec(spec.name, type_[:-2])))
    if base in INT_RANGES:
        low, high = spec.int_range or INT_RANGES[base]
        if isinstance(hint.low, int | Decimal):
            low = max(low, math.floor(hint.low) + (1 if hint.low_strict else 0))
        if isinstance(hint.high, int | Decimal):
            high = min(high, math.ceil(hint.high) - (1 if hint.high_strict else 0))
        return Integer(low, high)
    if base == "numeric":
        args = spec.args or [18, 6]
        floor = Decimal(hint.low) if isinstance(hint.low, int | Decimal) else None
        ceiling = Decimal(hint.high) if isinstance(hint.high, int | Decimal) else None
        return Numeric(args[0], args[1] if len(args) > 1 else 0, floor, ceiling)
    if base in ("double", "real"):
        return Float(base == "double")
    if base == "boolean":
        return Boolean()
    if base in ("timestamp", "timestamptz"):
        earliest, latest = spec.time_range or (dt.datetime(1, 1, 2), dt.datetime(9999, 12, 31))
        return Timestamp(base == "timestamptz", earliest, latest)
    if base == "date":
        return Date(dt.date(1, 1, 1), dt.date(9999, 12, 31))
    if base in ("time", "timetz"):
        return Time(base == "timetz")
    if base in ("json", "jsonb"):
        return Json()
    if base == "uuid":
        return Uuid()
    if base == "blob" or base == "bytea":
        return Blob(spec.max_bytes)
    if base in ("enum", "set"):
        inner = type_[type_.index("(") + 1 : type_.rindex(")")]
        labels = tuple(v.strip().strip("'") for v in inner.split(","))
        return Choice(labels)
    if base in SIMPLE:
        return Simple(SIMPLE[base])
    if base in ("varchar", "char", "text", "citext", "string", "character"):
        length = spec.args[0] if spec.args else None
        max_length = length
        if hint.max_length is not None:
            max_length = min(hint.max_length, length or hint.max_length)
        return Text(spec.name, max_length, hint.min_length or 0, spec.charset, spec.max_bytes)
    # A type migwright does not model (geometry, a domain ...): NULL where allowed, else text
    # that the database may refuse, which the report then says.
    return Simple(lambda r, i: None if spec.nullable else str(i))


def unique_key(value: Any) -> Any:
    """A value as the strictest collation compares it (case, accents, trailing blanks, NUL
    padding), so two values a MySQL `_ci` unique index or BINARY(n) column would call equal
    are caught before the INSERT."""
    if isinstance(value, str):
        folded = unicodedata.normalize("NFKD", value.rstrip(" ")).casefold()
        return "".join(ch for ch in folded if not unicodedata.combining(ch))
    if isinstance(value, bytes):
        return value.rstrip(b"\x00")  # MySQL's BINARY(n) pads with NULs
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | Decimal):
        return Decimal(repr(value) if isinstance(value, float) else value).normalize()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, list):
        return tuple(unique_key(v) for v in value)
    return value
