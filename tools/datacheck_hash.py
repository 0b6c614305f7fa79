"""How canonical cells become checksums: one cheap hash per cell, summed, in SQL or in Python.

A checksum is a sum of per-cell (or per-row) hashes mod 2**64, so it needs no ORDER BY: it does
not depend on collations, on the physical row order a table rebuild leaves, or on the table
having a key. Per column there are two sums: `values` (the column's values as a multiset) and,
for a table with a primary key, `keyed` (each value bound to its row's key, so a value moved
between rows shows). A third sum over whole rows is the table's checksum.

Which hash is the scheme; each database gets the cheapest one it has built in, because the
validator snapshots every seeded row several times per run:

- `crc32` (SQLite, MySQL/MariaDB): x = CRC-32 of the cell's canonical UTF-8 bytes, NULL being
  the byte 0xFF (which UTF-8 never contains); a row's key hashes to k = CRC-32(key) | 1.
  `values` is sum(x * x), `keyed` sum(x * k), the row sum sum(r * r) of the row's CRC-32. CRC is
  linear over GF(2), so a plain sum could miss two values swapping equal-length pieces (it
  would, about once in 65,536 such swaps); the square and the product with an odd key hash are
  not linear. Python runs zlib's C implementation over whole batches (about 0.1 us a cell);
  MySQL's CRC32() gives the same numbers, so a MySQL table hashed in Python (it has JSON) and
  in SQL (it has not) agree, and so do SQLite and MySQL.
- `hashtext` (PostgreSQL 11+): `hashtextextended`, PostgreSQL's own 64-bit hash, about ten times
  cheaper there than md5(): `values` sums h(cell, 0), `keyed` h(cell, k) seeded with the key's
  hash, the row sum h(row, 0).
- `md5` (`portable=True`, and PostgreSQL before 11): the first 60 bits of MD5, which every
  database computes alike, so checksums agree across dialects; 5 to 20 times the cost.

Checksums of different schemes are not comparable; `datacheck.compare` refuses to mix them.
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
#: Between the cells of a key or a row in the crc32 scheme (also never in UTF-8).
SEP: Final = b"\xfe"
_UNIT = "\x1f"  # md5 and hashtext schemes: between the cells of a row
_KEY = "\x1e"  # md5 and hashtext schemes: between the cells of a primary key

#: What each scheme marks a NULL cell with when cells are rendered for it (see `render_cells`).
NULL_MARK: Final[Mapping[str, bytes | None]] = {"crc32": NULL, "md5": None, "hashtext": None}


def scheme_for(dialect: str, portable: bool, server_version: int = 0) -> str:
    """The scheme a snapshot of `dialect` uses (`server_version` as PostgreSQL reports it)."""
    if portable:
        return "md5"
    if dialect == "postgresql":
        return "hashtext" if server_version >= 110000 else "md5"
    return "crc32"


def digest(total: Any) -> str:
    return f"{int(total or 0) % MOD:016x}"


@dataclass(frozen=True)
class Sums:
    """A table's sums as hex digests: rows, whole-row checksum, (values, keyed) per column."""

    rows: int
    checksum: str
    columns: dict[str, tuple[str, str | None]]


# ---------------------------------------------------------------------------------------------
# In Python: rows streamed in batches, cells already canonical bytes
# ---------------------------------------------------------------------------------------------


class PythonSums:
    """Running sums over batches of rendered cells; `add` once per batch, then `result`."""

    def __init__(self, scheme: str, chosen: Sequence[str], key: Sequence[str]) -> None:
        self.scheme, self.chosen, self.key = scheme, list(chosen), list(key)
        self.by_name = sorted(chosen)
        self.count = 0
        self.row = 0
        self.values = dict.fromkeys(self.chosen, 0)
        self.keyed = dict.fromkeys(self.chosen, 0)

    def add(self, cells: Mapping[str, Sequence[Any]], rows: int) -> None:
        """`cells`: per column of `chosen` and of the key, one canonical cell per row."""
        self.count += rows
        if self.scheme == "crc32":
            self._crc32(cells, rows)
        else:
            self._md5(cells, rows)

    def _crc32(self, cells: Mapping[str, Sequence[bytes]], rows: int) -> None:
        crc = zlib.crc32
        keys: list[int] | None = None
        if self.key:
            keys = list(map(or_, map(crc, _rows(cells, self.key, SEP)), repeat(1)))
        for column in self.chosen:
            xs = list(map(crc, cells[column]))
            self.values[column] += sum(map(mul, xs, xs))
            if keys is not None:
                self.keyed[column] += sum(map(mul, xs, keys))
        if self.by_name:
            whole = list(map(crc, _rows(cells, self.by_name, SEP)))
            self.row += sum(map(mul, whole, whole))

    def _md5(self, cells: Mapping[str, Sequence[bytes | None]], rows: int) -> None:
        marked = {c: [b"N" if v is None else b"v" + v for v in cells[c]] for c in cells}
        unit = _UNIT.encode()
        keys = _rows(marked, self.key, _KEY.encode()) if self.key else None
        for column in self.chosen:
            self.values[column] += sum(map(_md5_60, marked[column]))
            if keys is not None:
                pairs = map(unit.join, zip(keys, marked[column], strict=True))
                self.keyed[column] += sum(map(_md5_60, pairs))
        whole = _rows(marked, self.by_name, unit) if self.by_name else [b""] * rows
        self.row += sum(map(_md5_60, whole))

    def result(self) -> Sums:
        columns = {
            c: (digest(self.values[c]), digest(self.keyed[c]) if self.key else None)
            for c in self.chosen
        }
        return Sums(self.count, digest(self.row), columns)


def _rows(
    cells: Mapping[str, Sequence[bytes]], columns: Sequence[str], sep: bytes
) -> Sequence[bytes]:
    """Each row's cells of `columns`, joined by `sep` (the cells themselves for one column)."""
    if len(columns) == 1:
        return cells[columns[0]]
    return list(map(sep.join, zip(*(cells[c] for c in columns), strict=True)))


def _md5_60(data: bytes) -> int:
    return int.from_bytes(hashlib.md5(data).digest()[:8], "big") >> 4


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
    #: Whether the inner query needs OFFSET 0 (PostgreSQL would otherwise inline the inner
    #: expressions into every aggregate that uses them, and compute each cell several times).
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
        values=lambda c: f"SUM(CRC32({c}) * CRC32({c}))",
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
    """One query whose single row is: count, row sum, then (values, keyed) per chosen column
    (keyed only when there is a key). Read it back with `read_sql_sums`."""
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
    row = spec.join([names[c] for c in sorted(chosen)], _UNIT)
    outer = ["COUNT(*)", spec.row(row)]
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
    position = 2
    for column in chosen:
        columns[column] = (
            digest(result[position]),
            digest(result[position + 1]) if keyed else None,
        )
        position += 2 if keyed else 1
    return Sums(int(result[0]), digest(result[1]), columns)
