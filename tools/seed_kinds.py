"""Value kinds for seeding: one class per type family (numbers, strings, JSON, bytes ...).

Each kind knows three things about its family (see `seed_values.ValueMaker`, which uses them):
its boundary values (type limits, empty and full-length strings, unicode, odd JSON), a realistic
random value, and an injective `unique(index)` for keys. Dates and times live in `seed_times`.
Limits that depend on the live column (MySQL's tinyint, a utf8mb3 charset) arrive as
constructor arguments, so a kind never looks at a database.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Context, Decimal
from random import Random
from typing import Any


def split_words(text: str) -> tuple[str, ...]:
    """`"a|b"` -> ("a", "b"): word lists stay compact and may hold spaces ("da Silva")."""
    return tuple(text.split("|"))


#: Marks "no value of this kind" (a boundary the column's constraints exclude).
MISSING: Any = object()

FIRST = split_words(
    "Ana|José|Zoë|Björn|Łukasz|Søren|Amélie|Nguyễn|Mia|Liam|Ольга|Siobhán|Chloé|Noah|"
    "Emma|李娜|さくら|Fatima|Ömer|Jürgen"
)
LAST = split_words(
    "Smith|Müller|García|O'Brien|Kowalski|Nakamura|Dubois|Rossi|Jensen|Ivanova|"
    "Ångström|Núñez|Chen|Nguyen|da Silva|王"
)
WORDS = split_words(
    "order|customer|invoice|shipping|blue|widget|premium|café|naïve|résumé|straße|"
    "smörgåsbord|東京|데이터|données|delivery|report|quarterly|draft|final|north|unit|ß|"
    "façade|über"
)
EMOJI = ("🎉", "🚀", "👍🏽", "🇩🇪", "👨\u200d👩\u200d👧", "😀", "🍕")
STATUSES = ("active", "pending", "inactive", "archived", "deleted")
ODD_STRINGS = (
    "",
    'O\'Brien said "hi"',
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "  leading and trailing  ",
    "100% _wild_ card",
    "NULL",
    "Zoë Ångström-Núñez",
    "東京都渋谷区神南1-2-3",
    "Привет, мир",
    "🎉🚀 launch 👍🏽",
    "مرحبا بالعالم",
)
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
#: Enough digits for any DECIMAL a database allows (MySQL: 65).
_WIDE = Context(prec=100)


def zipf_weights(n: int, s: float = 1.1) -> list[float]:
    """Cumulative Zipf weights for `n` ranks: rank 1 most common, a long tail after it."""
    return list(itertools.accumulate(1 / (rank**s) for rank in range(1, n + 1)))


def base36(n: int, width: int = 0) -> str:
    """Lower-case base 36: short unique tokens that a case-insensitive collation keeps apart."""
    digits = ""
    while True:
        n, r = divmod(n, 36)
        digits = _BASE36[r] + digits
        if n == 0:
            break
    return digits.rjust(width, "0")


def fits_charset(text: str, charset: str) -> bool:
    """Whether a column with this charset (see `ColumnSpec.charset`) can store `text`."""
    if charset == "ascii":
        return text.isascii()
    if charset == "latin1":
        return all(ord(ch) <= 0xFF for ch in text)
    if charset == "bmp":
        return all(ord(ch) <= 0xFFFF for ch in text)
    return True


# ---------------------------------------------------------------------------------------------
# Kinds
# ---------------------------------------------------------------------------------------------


class Kind:
    """One type family. `unique(index, 0, rng)` must be injective in `index`."""

    def boundaries(self) -> list[Any]:
        return []

    def random(self, rng: Random) -> Any:
        raise NotImplementedError

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        return MISSING


@dataclass
class Choice(Kind):
    """A closed set of values: enum labels, IN-list checks."""

    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        self.cum = zipf_weights(len(self.values), 0.8)

    def boundaries(self) -> list[Any]:
        return list(self.values)  # every label appears at least once

    def random(self, rng: Random) -> Any:
        return rng.choices(self.values, cum_weights=self.cum)[0]

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        return self.values[index] if attempt == 0 and index < len(self.values) else MISSING


@dataclass
class Integer(Kind):
    low: int
    high: int

    def boundaries(self) -> list[Any]:
        values = dict.fromkeys([self.high, self.low, 0, -1, 1, self.high - 1])
        return [v for v in values if self.low <= v <= self.high]

    def random(self, rng: Random) -> int:
        top = max(1, min(self.high, 10**6))
        value = int(10 ** rng.uniform(0, math.log10(top + 1)))
        return min(max(value, self.low), self.high)

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        if attempt == 0:
            start = max(self.low, 1) if self.high - max(self.low, 1) > index else self.low
            value = start + index
            return value if value <= self.high else MISSING
        return rng.randint(self.low, self.high)


@dataclass
class Numeric(Kind):
    """numeric(p, s): values quantised to the scale, limits at 10**(p-s) - 10**-s.

    Arithmetic runs in a 100-digit context: MySQL's DECIMAL(65,30) has more digits than the
    default 28, and quantising its limit there would fail.
    """

    precision: int
    scale: int
    low: Decimal | None = None
    high: Decimal | None = None

    def __post_init__(self) -> None:
        self.step = Decimal(1).scaleb(-self.scale, _WIDE)
        self.limit = _WIDE.subtract(
            _WIDE.power(Decimal(10), self.precision - self.scale), self.step
        )

    def _q(self, value: Decimal) -> Decimal:
        value = _WIDE.quantize(value, self.step)
        lo = self.low if self.low is not None else _WIDE.minus(self.limit)
        hi = self.high if self.high is not None else self.limit
        return min(max(value, lo), hi)

    def boundaries(self) -> list[Any]:
        edges = (self.limit, _WIDE.minus(self.limit), Decimal(0), self.step, -self.step)
        return [self._q(v) for v in edges]

    def random(self, rng: Random) -> Decimal:
        top = min(float(self.limit), 100000.0)
        return self._q(Decimal(repr(round(10 ** rng.uniform(-1, math.log10(top + 1)), 4))))

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        if attempt == 0:
            value = Decimal(index + 1)
            return _WIDE.quantize(value, self.step) if value <= self.limit else MISSING
        return self._q(Decimal(rng.randint(-(10**6), 10**6)) * self.step)


@dataclass
class Float(Kind):
    double: bool

    def boundaries(self) -> list[Any]:
        big = 1e300 if self.double else 3.0e38
        return [0.0, big, -big, 1e-300 if self.double else 1e-30, -2.5, 0.1]

    def random(self, rng: Random) -> float:
        return round(rng.uniform(-1000, 100000), 2 if self.double else 1)

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        return float(index) + 0.5 if attempt == 0 else rng.uniform(-1e9, 1e9)


class Boolean(Kind):
    def boundaries(self) -> list[Any]:
        return [True, False]

    def random(self, rng: Random) -> bool:
        return rng.random() < 0.7

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        return (index == 1) if attempt == 0 and index < 2 else MISSING


@dataclass
class Text(Kind):
    """Strings shaped by the column name (emails, slugs, statuses, names, prose)."""

    column: str
    max_length: int | None
    min_length: int
    charset: str
    max_bytes: int | None

    def fit(self, text: str) -> str:
        if not fits_charset(text, self.charset):
            text = "".join(ch if fits_charset(ch, self.charset) else "?" for ch in text)
        if self.max_length is not None:
            text = text[: self.max_length]
        if self.max_bytes is not None:
            while len(text.encode()) > self.max_bytes:
                text = text[:-1]
        if len(text) < self.min_length:
            text = text + "x" * (self.min_length - len(text))
        return text

    def boundaries(self) -> list[Any]:
        out = [self.fit(s) for s in ODD_STRINGS if fits_charset(s, self.charset)]
        if self.max_length is not None:
            out.append(self.fit(("ü" if self.charset != "latin1" else "x") * self.max_length))
            out.append(self.fit("y" * self.max_length))
        else:
            out.append(self.fit(" ".join(WORDS) * 40))  # a few kilobytes of prose
        return [s for s in dict.fromkeys(out) if len(s) >= self.min_length]

    def random(self, rng: Random) -> str:
        name = self.column.lower()
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if "email" in name:
            text = f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 99)}@example.com"
        elif any(k in name for k in ("url", "website", "link")):
            text = f"https://example.com/{_ascii(rng.choice(WORDS))}/{rng.randint(1, 9999)}"
        elif "phone" in name:
            text = f"+{rng.randint(1, 99)} {rng.randint(10, 999)} {rng.randint(100000, 9999999)}"
        elif any(k in name for k in ("status", "state", "kind", "type")):
            text = rng.choice(STATUSES)
        elif any(k in name for k in ("currency", "country", "code", "lang")):
            text = rng.choice(("EUR", "USD", "JPY", "GBP", "BRL", "INR"))
        elif "name" in name or "title" in name or "author" in name:
            text = f"{first} {last}"
        else:
            words = rng.choices(WORDS, k=rng.randint(1, 12))
            if rng.random() < 0.15:
                words.append(rng.choice(EMOJI))
            text = " ".join(words)
        return self.fit(text)

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        token = base36(index, 3) if attempt == 0 else base36(rng.getrandbits(40))
        name = self.column.lower()
        if "email" in name:
            text = f"{_ascii(FIRST[index % len(FIRST)])}.{token}@example.com"
        else:
            text = f"{WORDS[index % len(WORDS)]}-{token}"
        limit = min(self.max_length or 10**9, self.max_bytes or 10**9)
        if len(text.encode()) > limit:
            text = token[-limit:] if limit < len(token) else token
        if self.max_length is not None and len(token) > self.max_length:
            return MISSING
        return self.fit(text)


def _ascii(text: str) -> str:
    out = "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())
    return out or "user"


class Json(Kind):
    """JSON documents as text: objects mostly, some arrays and scalars, odd ones at the edge."""

    def boundaries(self) -> list[Any]:
        deep: Any = "bottom"
        for level in range(20):  # MariaDB's JSON_VALID stops at depth 32
            deep = {f"l{level}": deep}
        big = {f"key_{i:03d}": i for i in range(300)}
        odd = {"ключ": "值", "emoji": "🎉", "quote": 'she said "hi"', "nl": "a\nb", "n": None}
        return [_dump(d) for d in ({}, [], "text", 0, True, deep, big, odd, [1, "two", None])]

    def random(self, rng: Random) -> str:
        roll = rng.random()
        if roll < 0.7:
            doc: Any = {
                "id": rng.randint(1, 10**6),
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "tags": rng.sample(WORDS, rng.randint(0, 3)),
                "active": rng.random() < 0.8,
                "score": round(rng.uniform(0, 100), 2),
                "address": {"city": rng.choice(("Berlin", "São Paulo", "東京")), "zip": "10115"},
            }
            if rng.random() < 0.2:
                doc["note"] = None
        elif roll < 0.9:
            doc = [rng.randint(0, 100) for _ in range(rng.randint(0, 5))]
        else:
            doc = rng.choice(WORDS)
        return _dump(doc)

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        return _dump({"id": index if attempt == 0 else rng.getrandbits(48)})


def _dump(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False)


class Uuid(Kind):
    def boundaries(self) -> list[Any]:
        return ["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"]

    def random(self, rng: Random) -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        return self.random(rng)


@dataclass
class Blob(Kind):
    """Bytes: empty, a NUL, every byte value, and random lengths up to what the column holds."""

    max_bytes: int | None = None

    def boundaries(self) -> list[Any]:
        return [b"", b"\x00", bytes(range(256)), b"\xff" * 64]

    def random(self, rng: Random) -> bytes:
        return rng.randbytes(rng.randint(1, min(48, self.max_bytes or 48)))

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        width = min(8, self.max_bytes or 8)
        if attempt == 0:
            if index >= 256**width:
                return MISSING
            return index.to_bytes(width, "big") + rng.randbytes(
                min(4, (self.max_bytes or 12) - width)
            )
        return rng.randbytes(min(12, self.max_bytes or 12))


@dataclass
class Array(Kind):
    element: Kind

    def boundaries(self) -> list[Any]:
        return [[], [None]]

    def random(self, rng: Random) -> list[Any]:
        return [self.element.random(rng) for _ in range(rng.randint(0, 4))]

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        value = self.element.unique(index, attempt, rng)
        return MISSING if value is MISSING else [value]


@dataclass
class Simple(Kind):
    """Types with one obvious shape (inet, interval, xml ...) and unknown ones (NULL only)."""

    make: Callable[[Random, int], Any]

    def random(self, rng: Random) -> Any:
        return self.make(rng, rng.randint(0, 10**6))

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        return self.make(rng, index if attempt == 0 else rng.randint(10**6, 10**9))


SIMPLE: dict[str, Callable[[Random, int], Any]] = {
    "inet": lambda r, i: f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
    "cidr": lambda r, i: f"10.{i // 256 % 256}.{i % 256}.0/24",
    "macaddr": lambda r, i: ":".join(f"{b:02x}" for b in (8, 0, *i.to_bytes(4, "big"))),
    "interval": lambda r, i: dt.timedelta(days=i % 4000, seconds=r.randint(0, 86399)),
    "xml": lambda r, i: f'<item id="{i}">{r.choice(WORDS)}</item>',
    "money": lambda r, i: Decimal(i) / 100,
    "year": lambda r, i: 1901 + i % 255,
}
