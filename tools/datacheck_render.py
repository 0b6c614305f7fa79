"""Canonical text for checksums: one spelling per value, in SQL and in Python alike.

`datacheck` hashes text, so equal data has to produce equal text wherever it is rendered:
in PostgreSQL's or MySQL's own SQL (`sql_text`), or in Python for rows streamed from SQLite and
from MySQL tables with JSON (`render_value`). The rules, per type family (`kind_of`):

- integers as digits; numerics without trailing zeros (`1.50` -> `1.5`, `2.00` -> `2`, `-0` -> `0`);
  floats as the shortest round-trip text (`3` not `3.0`; exponents as each database writes them);
- booleans `t` / `f`; dates `YYYY-MM-DD`; timestamps `YYYY-MM-DD HH:MM:SS.ffffff`, in UTC for
  timestamptz; times `HH:MM:SS.ffffff`;
- JSON as PostgreSQL's jsonb prints it (keys by length then bytes, `", "` and `": "`);
- uuids lower-case, bytes as lower-case hex, everything else as the database's text.

NULL is not rendered here: the caller marks it, so that NULL and the text "NULL" differ.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from .schema import canonical_type


def kind_of(type_: str) -> str:
    canonical = canonical_type(type_)
    base = canonical.split("(")[0]
    if canonical.endswith("[]"):
        return "text"
    if base in ("smallint", "integer", "bigint"):
        return "integer"
    if base in ("numeric", "money"):
        return "numeric" if base == "numeric" else "text"
    if base in ("double", "real"):
        return "float"
    if base in ("json", "jsonb"):
        return "json"
    if base in ("boolean", "date", "timestamp", "timestamptz", "time", "uuid", "blob"):
        return base
    return "text"


def sql_text(dialect: str, c: str, kind: str, trim_scale: bool = False) -> str:
    """SQL rendering `c`'s value as canonical text (see `render_value` for the same in Python).

    `trim_scale`: PostgreSQL 13+ has `trim_scale()`, which drops a numeric's trailing zeros
    in C instead of a regular expression.
    """
    if dialect == "postgresql":
        numeric = (
            f"trim_scale({c})::text"
            if trim_scale
            else f"CASE WHEN {c} = 0 THEN '0' WHEN strpos({c}::text, '.') > 0 "
            f"THEN regexp_replace({c}::text, '\\.?0+$', '') ELSE {c}::text END"
        )
        return {
            "numeric": numeric,
            "boolean": f"CASE WHEN {c} THEN 't' WHEN NOT {c} THEN 'f' END",
            "date": f"to_char({c}, 'YYYY-MM-DD')",
            "timestamp": f"to_char({c}, 'YYYY-MM-DD HH24:MI:SS.US')",
            "timestamptz": f"to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')",
            "time": f"to_char(DATE '2000-01-01' + {c}, 'HH24:MI:SS.US')",
            "json": f"{c}::jsonb::text",
            "blob": f"encode({c}, 'hex')",
        }.get(kind, f"{c}::text")
    text = f"CAST({c} AS CHAR)"
    return {
        "numeric": f"CASE WHEN {c} = 0 THEN '0' WHEN INSTR({text}, '.') > 0 "
        f"THEN REGEXP_REPLACE({text}, '\\\\.?0+$', '') ELSE {text} END",
        "boolean": f"CASE WHEN {c} <> 0 THEN 't' WHEN {c} = 0 THEN 'f' END",
        "date": f"DATE_FORMAT({c}, '%Y-%m-%d')",
        "timestamp": f"DATE_FORMAT({c}, '%Y-%m-%d %H:%i:%s.%f')",
        "timestamptz": f"DATE_FORMAT({c}, '%Y-%m-%d %H:%i:%s.%f')",
        "time": f"TIME_FORMAT({c}, '%H:%i:%s.%f')",
        "uuid": f"LOWER({c})",
        "blob": f"LOWER(HEX({c}))",
    }.get(kind, text)


def render_value(value: Any, kind: str) -> str | None:
    """A value as canonical text; `kind` is a type family from `_kind` or a canonical type."""
    if value is None:
        return None
    kind = kind if kind in _KINDS else kind_of(kind)
    if isinstance(value, memoryview):
        value = value.tobytes()
    try:
        return _RENDER.get(kind, _as_text)(value)
    except (ValueError, TypeError, AttributeError, InvalidOperation, OverflowError):
        return _as_text(value)


def render_cells(values: Sequence[Any], kind: str, null: bytes | None) -> Sequence[Any]:
    """`render_value` over a whole column of a batch, as UTF-8 bytes, NULL as `null`.

    The validator renders every seeded cell several times per run, so the common cases skip
    the per-value call: text passes through (SQLite hands it over as bytes when asked),
    integers are formatted in one comprehension, and a column with many repeated values
    renders each distinct value once. That memo is only used where equal values always have
    equal text (not for floats, whose -0.0 equals 0.0, nor for mixed types, where 1 == 1.0 in
    a text column would merge '1' and '1.0').
    """
    if kind == "text":
        try:
            b"".join(values)  # in C: fails on the first cell that is not bytes
            return values
        except TypeError:
            pass
    types = set(map(type, values))
    nulls = type(None) in types
    types.discard(type(None))
    if kind == "text" and types <= {bytes}:
        return [null if v is None else v for v in values]
    if kind == "text" and types <= {str}:
        if nulls:
            return [null if v is None else v.encode() for v in values]
        return list(map(str.encode, values))
    if kind == "integer" and types == {int}:
        return [null if v is None else b"%d" % v for v in values]
    if _memo_safe(types, kind):
        distinct = set(values)
        if len(distinct) * _MEMO_RATIO <= len(values):
            memo = {v: _cell(v, kind, null) for v in distinct}
            return list(map(memo.__getitem__, values))
    return [_cell(v, kind, null) for v in values]


#: A column is rendered through a memo when it has at most one distinct value in this many.
_MEMO_RATIO = 4
_MEMO_TYPES = frozenset({int, bool, str, bytes, Decimal, dt.date, dt.time, dt.timedelta})
#: Kinds whose text is the same for any two equal numbers, whatever their types
#: (1 == 1.0 == True == Decimal(1); -0.0 == 0): the text of each is a function of the number.
_BY_NUMBER = {
    "integer": frozenset({int, bool, float, Decimal}),
    "boolean": frozenset({int, bool, float, Decimal}),
    "numeric": frozenset({int, float, Decimal}),
}


def _memo_safe(types: set[type], kind: str) -> bool:
    """Whether equal values of these types always render alike in `kind` (so one memo entry
    per distinct value is right)."""
    if types <= _BY_NUMBER.get(kind, frozenset()):
        return True
    return len(types) == 1 and types <= _MEMO_TYPES


def _cell(value: Any, kind: str, null: bytes | None) -> bytes | None:
    if value is None:
        return null
    if isinstance(value, bytes) and kind != "blob":
        value = value.decode("utf-8", "replace")  # SQLite text read as bytes
    text = render_value(value, kind)
    return null if text is None else text.encode()


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _numeric(value: Any) -> str:
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    if number == 0:
        return "0"
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _float(value: Any) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _boolean(value: Any) -> str:
    if isinstance(value, str):
        return "t" if value.strip().lower() in ("1", "t", "true", "yes", "on") else "f"
    return "t" if value else "f"


def _datetime(value: Any, utc: bool) -> str:
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        value = dt.datetime.fromisoformat(text)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC) if utc else value
        value = value.replace(tzinfo=None)
    return str(value.isoformat(" ", "microseconds"))  # years padded to 4 digits, in C


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    return str(value).strip()[:10]


def _time(value: Any) -> str:
    if isinstance(value, dt.timedelta):  # PyMySQL reads TIME as a duration
        micro = value.days * 86_400_000_000 + value.seconds * 1_000_000 + value.microseconds
        seconds, micro = divmod(micro, 1_000_000)
        value = dt.time(seconds // 3600 % 24, seconds // 60 % 60, seconds % 60, micro)
    if isinstance(value, str):
        value = dt.time.fromisoformat(value.strip())
    return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"


def _json(value: Any) -> str:
    if isinstance(value, bytes | str):
        value = json.loads(value, parse_float=Decimal)
    return json_text(value)


def json_text(doc: Any) -> str:
    """JSON in PostgreSQL's jsonb output form: keys by length then bytes, `", "` and `": "`."""
    if doc is None:
        return "null"
    if isinstance(doc, bool):
        return "true" if doc else "false"
    if isinstance(doc, int):
        return str(doc)
    if isinstance(doc, float | Decimal):
        return format(Decimal(repr(doc)) if isinstance(doc, float) else doc, "f")
    if isinstance(doc, str):
        return json.dumps(doc, ensure_ascii=False)
    if isinstance(doc, list | tuple):
        return "[" + ", ".join(json_text(v) for v in doc) + "]"
    if isinstance(doc, dict):
        keys = sorted(doc, key=lambda k: (len(str(k).encode()), str(k).encode()))
        items = (f"{json.dumps(str(k), ensure_ascii=False)}: {json_text(doc[k])}" for k in keys)
        return "{" + ", ".join(items) + "}"
    return json.dumps(str(doc), ensure_ascii=False)


_RENDER: dict[str, Any] = {
    "integer": lambda v: str(int(v)),
    "numeric": _numeric,
    "float": _float,
    "boolean": _boolean,
    "date": _date,
    "timestamp": lambda v: _datetime(v, utc=False),
    "timestamptz": lambda v: _datetime(v, utc=True),
    "time": _time,
    "json": _json,
    "uuid": lambda v: str(v).lower(),
    "blob": lambda v: v.hex() if isinstance(v, bytes) else str(v),
}
_KINDS = frozenset(_RENDER) | {"text"}
