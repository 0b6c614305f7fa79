"""How canonical cells become checksums, with the cheapest hash each database has.

Per column there are two checksums: `values` (the column's values as a multiset) and, for a
table with a primary key, `keyed` (each value bound to its row's key, so a value moved between
rows shows). A table without a key also gets a sum over whole rows, which is what sees values
moved between rows there; a table with one gets a digest of its keyed checksums instead.

The validator snapshots every seeded row several times per run, so the hash is a scheme chosen
per database for speed, and checksums of different schemes do not compare (`compare` refuses):

- `crc32` (MySQL/MariaDB): x = CRC-32 of the cell's canonical UTF-8 bytes, NULL being the
  byte 0xFF (which UTF-8 never contains); a row's key hashes to k = CRC-32(key) | 1. `values`
  is sum(x), `keyed` sum(x * k), the row sum sum(r * r) of each row's CRC-32 r, all mod 2**64.
  Sums need no ORDER BY, so collations and physical order do not matter. CRC is linear over
  GF(2): a plain sum over rows would miss two rows swapping equal-length values about once in
  65,536 swaps, so row hashes are squared, and the keyed sum multiplies by the odd key hash (a
  swap then changes it by (k1 - k2)(x2 - x1), never 0). `values` alone could miss a multiset
  changed in that XOR-balanced way; it decides only where there is no common key, and a
  keyless table has the squared row sum beside it. MySQL's CRC32() and zlib's give the same
  numbers, so a table MySQL hashes in SQL (no JSON) and one streamed into Python (JSON) agree.
- `ordered` (SQLite, hashed in Python): `values` and the row sum as in `crc32`; `keyed` is one
  BLAKE2b over the column's cells in key order (SQLite reads rowid tables in key order for free),
  with the key column's own stream folded in. A product per cell is most of the cost of a
  Python snapshot; one `join` and one hash update per column and batch are nearly free. The order is
  taken by value for numeric keys and by bytes otherwise (not by a collation a rebuild may
  change), and the key's kinds are recorded (`TableSnapshot.order`): when they differ, a
  different order is possible, and `compare` falls back to `values`.
- `hashtext` (PostgreSQL 11+): `hashtextextended`, PostgreSQL's own 64-bit hash, ten times
  cheaper there than md5(): `values` sums h(cell, 0), `keyed` h(cell, k) seeded with the key's
  hash, the row sum h(row, 0).
- `md5` (`portable=True`, and PostgreSQL before 11): sums of the first 60 bits of MD5, which
  every database computes alike, so checksums agree across dialects; 5 to 20 times the cost.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import mul, or_
from typing import Any, Final

from .datacheck_render import sql_text

MOD: Final = 2**64
#: NULL in the crc32 scheme: a byte UTF-8 never contains, so no text hashes like NULL.
NULL: Final = b"\xff"
#: Between the cells of a key or a row in the CRC schemes (also never in UTF-8).
SEP: Final = b"\xfe"
#: Between the rows of the key stream in the ordered scheme.
ROW: Final = b"\xfd"
_UNIT = "\x1f"  # md5 and hashtext schemes: between the cells of a row
_KEY = "\x1e"  # md5 and hashtext schemes: between the cells of a primary key

#: What each scheme marks a NULL cell with when cells are rendered for it (see `render_cells`).
NULL_MARK: Final[Mapping[str, bytes | None]] = {
    "crc32": NULL,
    "ordered": NULL,
    "md5": None,
    "hashtext": None,
}


def scheme_for(dialect: str, portable: bool, server_version: int = 0) -> str:
    """The scheme a snapshot of `dialect` uses (`server_version` as PostgreSQL reports it)."""
    if portable:
        return "md5"
    if dialect == "postgresql":
        return "hashtext" if server_version >= 110000 else "md5"
    return "ordered" if dialect == "sqlite" else "crc32"


def digest(total: Any) -> str:
    return f"{int(total or 0) % MOD:016x}"


@dataclass(frozen=True)
class Sums:
    """A table's sums as hex digests: rows, table checksum, (values, keyed) per column."""

    rows: int
    checksum: str
    columns: dict[str, tuple[str, str | None]]


# ---------------------------------------------------------------------------------------------
# In Python: rows streamed in batches, cells already canonical bytes
# ---------------------------------------------------------------------------------------------


class PythonSums:
    """Running sums over batches of rendered cells: `add` once per batch, then `result`.
    `python_sums(scheme, ...)` picks the subclass."""

    def __init__(self, chosen: Sequence[str], key: Sequence[str]) -> None:
        self.chosen, self.key = list(chosen), list(key)
        self.by_name = sorted(chosen)
        self.count = 0
        self.row = 0
        self.values = dict.fromkeys(self.chosen, 0)
        self.keyed: dict[str, Any] = dict.fromkeys(self.chosen, 0)

    def add(self, cells: Mapping[str, Sequence[Any]], rows: int) -> None:
        """`cells`: per column of `chosen` and of the key, one canonical cell per row."""
        self.count += rows
        self._add(cells, rows)

    def _add(self, cells: Mapping[str, Sequence[Any]], rows: int) -> None:
        raise NotImplementedError

    def _keyed_digest(self, column: str) -> str:
        return digest(self.keyed[column])

    def result(self) -> Sums:
        columns = {
            c: (digest(self.values[c]), self._keyed_digest(c) if self.key else None)
            for c in self.chosen
        }
        row_sum = None if self.key else digest(self.row)
        return Sums(self.count, table_checksum(row_sum, columns), columns)


class _Crc32Sums(PythonSums):
    """The `crc32` scheme, as MySQL computes it in SQL (`_SQL`), for tables streamed out of
    MySQL because of their JSON."""

    def _add(self, cells: Mapping[str, Sequence[bytes]], rows: int) -> None:
        crc = zlib.crc32
        hashed = {c: list(map(crc, cells[c])) for c in self.chosen}
        for column in self.chosen:
            self.values[column] += sum(hashed[column])
        if self.key:
            single = self.key[0] if len(self.key) == 1 else None
            raw = hashed[single] if single in hashed else map(crc, _rows(cells, self.key, SEP))
            keys = list(map(or_, raw, repeat(1)))
            for column in self.chosen:
                self.keyed[column] += sum(map(mul, hashed[column], keys))
        elif self.by_name:
            _add_row_squares(self, cells)


class _OrderedSums(PythonSums):
    """Rows arrive in key order: each column's `keyed` is one hash over its cells in that
    order, with the key column's stream folded in at the end."""

    def __init__(self, chosen: Sequence[str], key: Sequence[str]) -> None:
        super().__init__(chosen, key)
        self.keyed = {c: _stream() for c in self.chosen}
        self.keys = _stream()

    def _add(self, cells: Mapping[str, Sequence[bytes]], rows: int) -> None:
        for column in self.chosen:
            self.values[column] += sum(map(zlib.crc32, cells[column]))
        if self.key:
            for column in self.chosen:
                self.keyed[column].update(SEP.join(cells[column]))
                self.keyed[column].update(SEP)  # every cell ends with SEP, across batches
            self.keys.update(ROW.join(_rows(cells, self.key, SEP)))
            self.keys.update(ROW)
        elif self.by_name:
            _add_row_squares(self, cells)

    def _keyed_digest(self, column: str) -> str:
        both = self.keys.digest() + self.keyed[column].digest()
        return _stream(both).hexdigest()


class _Md5Sums(PythonSums):
    """The portable scheme: one MD5 per cell (and per key-cell pair), as every database has."""

    def _add(self, cells: Mapping[str, Sequence[bytes | None]], rows: int) -> None:
        marked = {c: [b"N" if v is None else b"v" + v for v in cells[c]] for c in cells}
        unit = _UNIT.encode()
        keys = _rows(marked, self.key, _KEY.encode()) if self.key else None
        for column in self.chosen:
            self.values[column] += sum(map(_md5_60, marked[column]))
            if keys is not None:
                pairs = map(unit.join, zip(keys, marked[column], strict=True))
                self.keyed[column] += sum(map(_md5_60, pairs))
        if not self.key:
            whole = _rows(marked, self.by_name, unit) if self.by_name else [b""] * rows
            self.row += sum(map(_md5_60, whole))


_PYTHON: Final[dict[str, type[PythonSums]]] = {
    "crc32": _Crc32Sums,
    "ordered": _OrderedSums,
    "md5": _Md5Sums,
}


def python_sums(scheme: str, chosen: Sequence[str], key: Sequence[str]) -> PythonSums:
    return _PYTHON[scheme](chosen, key)


def _add_row_squares(sums: PythonSums, cells: Mapping[str, Sequence[bytes]]) -> None:
    """The keyless table's row sum in the CRC schemes: sum of each row's CRC-32, squared."""
    whole = list(map(zlib.crc32, _rows(cells, sums.by_name, SEP)))
    sums.row += sum(map(mul, whole, whole))


def _rows(
    cells: Mapping[str, Sequence[bytes]], columns: Sequence[str], sep: bytes
) -> Sequence[bytes]:
    """Each row's cells of `columns`, joined by `sep` (the cells themselves for one column)."""
    if len(columns) == 1:
        return cells[columns[0]]
    return list(map(sep.join, zip(*(cells[c] for c in columns), strict=True)))


def _stream(data: bytes = b"") -> Any:
    """The hash of long byte streams (ordered keyed checksums, digests of digests): BLAKE2b,
    built into Python (no OpenSSL, no FIPS refusal) and twice as fast as MD5 on long input."""
    return hashlib.blake2b(data, digest_size=8)


def _md5_60(data: bytes) -> int:
    return int.from_bytes(hashlib.md5(data, usedforsecurity=False).digest()[:8], "big") >> 4


# ---------------------------------------------------------------------------------------------
# In the database: one aggregate query per table
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SqlScheme:
    """How one scheme is written in one dialect's SQL. `cell` marks NULL and turns canonical
    text into what is hashed; `key` hashes a row's key once (an inner column `k`); the rest
    are the aggregates over the inner columns."""

    cell: Callable[[str], str]
    join: Callable[[list[str], str], str]
    key: Callable[[str], str]
    values: Callable[[str], str]
    keyed: Callable[[str], str]
    row: Callable[[str], str]
    #: After the inner query: PostgreSQL's OFFSET 0 keeps the planner from inlining the inner
    #: expressions into every aggregate that uses them, which would render each cell twice.
    fence: str = ""


def _pg_join(parts: list[str], sep: str) -> str:
    return f" || chr({ord(sep)}) || ".join(parts) if parts else "''"


def _mysql_text_join(parts: list[str], sep: str) -> str:
    return f"CONCAT_WS(CHAR({ord(sep)} USING utf8mb4), {', '.join(parts)})" if parts else "''"


def _pg_md5(text: str) -> str:
    return f"('x' || substr(md5({text}), 1, 15))::bit(60)::bigint"


def _mysql_md5(text: str) -> str:
    return f"CAST(CONV(SUBSTRING(MD5({text}), 1, 15), 16, 10) AS UNSIGNED)"


_SQL: Final[dict[tuple[str, str], _SqlScheme]] = {
    ("postgresql", "hashtext"): _SqlScheme(
        cell=lambda t: f"COALESCE('v' || {t}, 'N')",
        join=_pg_join,
        key=lambda t: f"hashtextextended({t}, 0)",
        values=lambda c: f"SUM(hashtextextended({c}, 0))",
        keyed=lambda c: f"SUM(hashtextextended({c}, k))",
        row=lambda r: f"SUM(hashtextextended({r}, 0))",
        fence=" OFFSET 0",
    ),
    ("postgresql", "md5"): _SqlScheme(
        cell=lambda t: f"COALESCE('v' || {t}, 'N')",
        join=_pg_join,
        key=lambda t: t,
        values=lambda c: f"SUM({_pg_md5(c)})",
        keyed=lambda c: f"SUM({_pg_md5(f'k || chr(31) || {c}')})",
        row=lambda r: f"SUM({_pg_md5(r)})",
        fence=" OFFSET 0",
    ),
    ("mysql", "crc32"): _SqlScheme(
        cell=lambda t: f"COALESCE(CAST({t} AS BINARY), X'FF')",
        join=lambda parts, _sep: f"CONCAT_WS(X'FE', {', '.join(parts)})" if parts else "''",
        key=lambda t: f"(CRC32({t}) | 1)",
        values=lambda c: f"SUM(CRC32({c}))",
        keyed=lambda c: f"SUM(CRC32({c}) * k)",
        row=lambda r: f"SUM(CRC32({r}) * CRC32({r}))",
    ),
    ("mysql", "md5"): _SqlScheme(
        cell=lambda t: f"COALESCE(CONCAT('v', {t}), 'N')",
        join=_mysql_text_join,
        key=lambda t: t,
        values=lambda c: f"SUM({_mysql_md5(c)})",
        keyed=lambda c: f"SUM({_mysql_md5(f'CONCAT(k, CHAR(31 USING utf8mb4), {c})')})",
        row=lambda r: f"SUM({_mysql_md5(r)})",
    ),
}


def sql_sums_query(
    dialect: str,
    scheme: str,
    table: str,
    chosen: Sequence[str],
    key: Sequence[str],
    kinds: Mapping[str, str],
    quote: Callable[[str], str],
    trim_scale: bool = False,
) -> str:
    """One query whose single row is: the count, the row sum (keyless tables only), then per
    chosen column `values` and (with a key) `keyed`. Read it back with `read_sql_sums`."""
    spec = _SQL[(dialect, scheme)]
    names = {c: f"c{i}" for i, c in enumerate(chosen)}

    def cell(column: str) -> str:
        return spec.cell(sql_text(dialect, quote(column), kinds[column], trim_scale))

    inner = [f"{cell(c)} AS {names[c]}" for c in chosen]
    if key:
        key_text = spec.join([cell(c) for c in key], _KEY)
        inner.append(f"{spec.key(key_text)} AS k")
    if not inner:
        inner.append("1 AS c")
    outer = ["COUNT(*)"]
    if not key:
        outer.append(spec.row(spec.join([names[c] for c in sorted(chosen)], _UNIT)))
    for column in chosen:
        outer.append(spec.values(names[column]))
        if key:
            outer.append(spec.keyed(names[column]))
    return (
        f"SELECT {', '.join(outer)} FROM "
        f"(SELECT {', '.join(inner)} FROM {quote(table)}{spec.fence}) s"
    )


def read_sql_sums(result: Sequence[Any], chosen: Sequence[str], keyed: bool) -> Sums:
    columns: dict[str, tuple[str, str | None]] = {}
    position = 1 if keyed else 2
    for column in chosen:
        columns[column] = (
            digest(result[position]),
            digest(result[position + 1]) if keyed else None,
        )
        position += 2 if keyed else 1
    return Sums(
        int(result[0]), table_checksum(None if keyed else digest(result[1]), columns), columns
    )


def table_checksum(row_sum: str | None, columns: Mapping[str, tuple[str, str | None]]) -> str:
    """The table's checksum: the sum over whole rows for a table without a key; with a key, a
    digest of the keyed column sums, which already bind every value to its row (a row sum
    would cost as much again and say nothing more)."""
    if row_sum is not None:
        return row_sum
    text = _UNIT.join(f"{name}{_KEY}{columns[name][1]}" for name in sorted(columns))
    return _stream(text.encode()).hexdigest()
