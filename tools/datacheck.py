"""Row counts and checksums of table data, to prove a migration kept (or only declared-lost) it.

The validator snapshots the seeded data before a migration, after its up, after its down, and
compares. A checksum has to ignore what does not change the data and catch what does:

- values are rendered canonically before hashing, so spelling differences do not count:
  numbers without trailing zeros (`1.50` in numeric(10,2) and `1.5000` in numeric(12,4) are
  both `1.5`), timestamps as UTC `YYYY-MM-DD HH:MM:SS.ffffff`, booleans as `t`/`f`, JSON in one
  normal form (PostgreSQL's jsonb text: keys by length then bytes), bytes as hex. A widened type
  or a rebuilt table therefore keeps its checksum (`datacheck_render`);
- checksums are sums of per-cell hashes (mod 2**64), which need no ORDER BY and so do not
  depend on collations or on the physical row order a rebuild leaves; only SQLite's keyed
  checksums hash each column in key order, which SQLite reads for free (`datacheck_hash`);
- each column gets two checksums: one of its values alone (a multiset) and, when the table has
  a primary key, one of (key, value) pairs, which catches values moved between rows. A whole-row
  checksum covers tables without a key.

The hash is the cheapest each database has built in (`datacheck_hash` says which and why), so
checksums of the same data agree within a dialect, not across dialects; `snapshot(...,
portable=True)` uses MD5 everywhere, and then the same data has the same checksums on every
dialect (double precision aside: each database spells large floats its own way).

PostgreSQL computes it all in one aggregate query per table; MySQL too, except for tables with
JSON columns (MariaDB stores JSON as text, so it is normalised in Python); SQLite streams rows
into Python in batches. `compare` then attributes each difference to a table or column and marks
those the migration declared (a dropped column, a backfill), so the validator can tell a loss it
was told about from a failure.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection, Engine

from .datacheck_declared import DeclaredChanges, declared_changes
from .datacheck_hash import NULL_MARK, Sums, python_sums, read_sql_sums, scheme_for, sql_sums_query
from .datacheck_render import json_text, kind_of, render_cells, render_value
from .dialects import get as get_dialect
from .errors import IntrospectionError
from .schema import Schema, Table

__all__ = [
    "ColumnChecksum",
    "DataDifference",
    "DataSnapshot",
    "DeclaredChanges",
    "TableSnapshot",
    "column_values",
    "compare",
    "declared_changes",
    "json_text",
    "render_value",
    "snapshot",
]

#: Rows per round trip when rows are streamed into Python: large enough that per-batch work
#: vanishes, small enough that memory stays flat on a big table.
BATCH = 10_000


@dataclass(frozen=True)
class ColumnChecksum:
    """`values`: the column's values as a multiset; `keyed`: (primary key, value) pairs."""

    values: str
    keyed: str | None = None


@dataclass(frozen=True)
class TableSnapshot:
    table: str
    rows: int
    checksum: str
    key: tuple[str, ...] = ()
    columns: Mapping[str, ColumnChecksum] = field(default_factory=dict)
    #: "sql" when the database computed it, "python" when rows were streamed.
    method: str = "sql"
    #: The hash the sums are made of (`datacheck_hash`): "ordered", "crc32", "hashtext", "md5".
    scheme: str = "md5"
    #: When `keyed` depends on the order of the rows (the "ordered" scheme): the kinds of the
    #: key columns that order was taken by; keyed sums of different orders do not compare.
    order: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "checksum": self.checksum,
            "key": list(self.key),
            "columns": {
                name: {"values": c.values, "keyed": c.keyed} for name, c in self.columns.items()
            },
            "method": self.method,
            "scheme": self.scheme,
            "order": list(self.order),
        }


@dataclass(frozen=True)
class DataSnapshot:
    dialect: str
    tables: Mapping[str, TableSnapshot] = field(default_factory=dict)

    def table(self, name: str) -> TableSnapshot:
        try:
            return self.tables[name]
        except KeyError:
            raise IntrospectionError(
                f"the snapshot holds no table {name}",
                f"snapshot it first; it holds: {', '.join(self.tables) or '(nothing)'}",
            ) from None

    def to_dict(self) -> dict[str, Any]:
        return {"dialect": self.dialect, "tables": [t.to_dict() for t in self.tables.values()]}


@dataclass(frozen=True)
class DataDifference:
    """One way the data changed. `declared` is True when the migration said it would."""

    table: str
    column: str | None
    kind: str  # table_missing, row_count, column_missing, values, rows
    before: str | int | None = None
    after: str | int | None = None
    declared: bool = False

    def describe(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        what = {
            "table_missing": "table is gone",
            "row_count": f"row count {self.before} -> {self.after}",
            "column_missing": "column is gone",
            "values": "values changed",
            "rows": "values moved between rows",
        }.get(self.kind, self.kind)
        return f"{where}: {what}{' (declared)' if self.declared else ''}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "kind": self.kind,
            "before": self.before,
            "after": self.after,
            "declared": self.declared,
        }


# ---------------------------------------------------------------------------------------------
# Snapshot
# ---------------------------------------------------------------------------------------------


def snapshot(
    engine: Engine | Connection,
    schema: Schema,
    tables: Iterable[str] | None = None,
    columns: Mapping[str, Sequence[str]] | None = None,
    *,
    portable: bool = False,
) -> DataSnapshot:
    """Row count and checksums of each table of `schema` (or of `tables`) as the data stands.

    `columns` limits a table's checksums to some of its columns (all of them by default).
    `portable` hashes with MD5 on every dialect, so snapshots of different databases compare;
    by default each database uses its cheapest hash, comparable only within the dialect.
    """
    names = list(tables) if tables is not None else list(schema.table_names)
    if isinstance(engine, Connection):
        return _snapshot(engine, schema, names, columns or {}, portable)
    with engine.connect() as conn:
        return _snapshot(conn, schema, names, columns or {}, portable)


def _snapshot(
    conn: Connection,
    schema: Schema,
    names: list[str],
    columns: Mapping[str, Sequence[str]],
    portable: bool,
) -> DataSnapshot:
    dialect = {"mariadb": "mysql"}.get(conn.dialect.name, conn.dialect.name)
    raw: Any = conn.connection.dbapi_connection
    version = _server_version(raw, dialect)
    reader = _Reader(raw, dialect, scheme_for(dialect, portable, version), version >= 130000)
    out: dict[str, TableSnapshot] = {}
    with _utc_session(raw, dialect), _bytes_text(raw, dialect):
        for name in names:
            table = schema.table(name)
            chosen = list(columns.get(name, table.column_names))
            for column in chosen:
                table.column(column)
            try:
                out[name] = reader.table(table, chosen)
            except conn.dialect.loaded_dbapi.Error as exc:
                raise IntrospectionError(
                    f"cannot read the data of {name}: {str(exc).strip().splitlines()[0]}",
                    "snapshot with the schema the database holds now (introspect it first)",
                ) from exc
    return DataSnapshot(dialect, out)


def _server_version(raw: Any, dialect: str) -> int:
    """PostgreSQL's server_version_num (e.g. 150020) from psycopg 3 or 2; 0 elsewhere."""
    if dialect != "postgresql":
        return 0
    holder = getattr(raw, "info", raw)  # psycopg 3 keeps it in .info, psycopg2 on the connection
    return int(getattr(holder, "server_version", 0) or 0)


@contextmanager
def _utc_session(raw: Any, dialect: str) -> Iterator[None]:
    """MySQL renders TIMESTAMP columns in the session's zone: UTC while reading, then back."""
    if dialect != "mysql":
        yield
        return
    cursor = raw.cursor()
    try:
        cursor.execute("SELECT @@session.time_zone")
        zone = cursor.fetchone()[0]
        cursor.execute("SET time_zone = '+00:00'")
        try:
            yield
        finally:
            cursor.execute("SET time_zone = %s", (zone,))
    finally:
        cursor.close()


@contextmanager
def _bytes_text(raw: Any, dialect: str) -> Iterator[None]:
    """SQLite hands text over as bytes while reading: it is hashed as UTF-8 bytes anyway, and
    skipping the decode (and the encode after it) saves a quarter of the cost of a row."""
    if dialect != "sqlite":
        yield
        return
    factory = raw.text_factory
    raw.text_factory = bytes
    try:
        yield
    finally:
        raw.text_factory = factory


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic garbage collector off while rows stream through: every row is a fresh tuple,
    and with a large heap (a validator run holds schemas and reports) the collections it
    triggers cost a tenth of the snapshot, for no garbage (rows form no cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class _Reader:
    """Sums one table at a time on one DBAPI connection: in one aggregate query where the
    database can render every column canonically, else by streaming rows into Python."""

    raw: Any
    dialect: str
    scheme: str
    trim_scale: bool

    def table(self, table: Table, chosen: list[str]) -> TableSnapshot:
        kinds = {c: kind_of(table.column(c).type) for c in [*chosen, *table.primary_key]}
        in_python = self.dialect == "sqlite" or (
            self.dialect == "mysql" and any(k == "json" for k in kinds.values())
        )
        key = list(table.primary_key)
        sums = (
            self._python(table.name, chosen, key, kinds)
            if in_python
            else self._sql(table.name, chosen, key, kinds)
        )
        columns = {c: ColumnChecksum(*sums.columns[c]) for c in chosen}
        method = "python" if in_python else "sql"
        order = tuple(kinds[c] for c in key) if self.scheme == "ordered" else ()
        return TableSnapshot(
            table.name, sums.rows, sums.checksum, tuple(key), columns, method, self.scheme, order
        )

    def _sql(self, name: str, chosen: list[str], key: list[str], kinds: dict[str, str]) -> Sums:
        quote = get_dialect(self.dialect).quote
        sql = sql_sums_query(
            self.dialect, self.scheme, name, chosen, key, kinds, quote, self.trim_scale
        )
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql)
            result = list(cursor.fetchone())
        finally:
            cursor.close()
        return read_sql_sums(result, chosen, bool(key))

    def _python(self, name: str, chosen: list[str], key: list[str], kinds: dict[str, str]) -> Sums:
        quote = get_dialect(self.dialect).quote
        read = list(dict.fromkeys([*chosen, *key]))
        null = NULL_MARK[self.scheme]
        sums = python_sums(self.scheme, chosen, key)
        sql = f"SELECT {', '.join(quote(c) for c in read) or '1'} FROM {quote(name)}"
        if self.scheme == "ordered" and key:
            sql += " ORDER BY " + ", ".join(_ordered(quote(c), kinds[c]) for c in key)
        cursor = self.raw.cursor()
        try:
            with _no_gc():
                cursor.execute(sql)
                while batch := cursor.fetchmany(BATCH):
                    values = zip(*batch, strict=True) if read else ()
                    cells = {
                        c: render_cells(v, kinds[c], null)
                        for c, v in zip(read, values, strict=True)
                    }
                    sums.add(cells, len(batch))
        finally:
            cursor.close()
        return sums.result()


def _ordered(column: str, kind: str) -> str:
    """A key column in ORDER BY: numbers by value, anything else by its bytes (BINARY), so
    the order does not hang on a collation a table rebuild may change."""
    numeric = kind in ("integer", "numeric", "float", "boolean")
    return column if numeric else f"{column} COLLATE BINARY"


# ---------------------------------------------------------------------------------------------
# Compare
# ---------------------------------------------------------------------------------------------


def compare(
    before: DataSnapshot,
    after: DataSnapshot,
    declared: DeclaredChanges | None = None,
) -> list[DataDifference]:
    """What changed from `before` to `after`, per table and column, declared changes marked.

    Renamed tables and columns (from `declared`) are followed. Tables only in `after` are new
    and not reported. A whole-row difference is reported only when no column explains it.
    """
    declared = declared or DeclaredChanges()
    out: list[DataDifference] = []
    for name, old in before.tables.items():
        new_name = declared.renamed_tables.get(name, name)
        new = after.tables.get(new_name)
        if new is None:
            out.append(
                DataDifference(
                    name, None, "table_missing", declared=name in declared.dropped_tables
                )
            )
            continue
        if old.scheme != new.scheme:
            raise IntrospectionError(
                f"the snapshots of {name} were made with different hashes "
                f"({old.scheme} and {new.scheme}), so their checksums do not compare",
                "snapshot both on the same dialect, or both with portable=True",
            )
        table_declared = name in declared.changed_tables
        if old.rows != new.rows:
            out.append(DataDifference(name, None, "row_count", old.rows, new.rows, table_declared))
        found = _column_differences(name, old, new, declared, table_declared)
        out += found
        same_columns = set(old.columns) == set(new.columns)
        # Without a key the row sums are what sees values moved between rows (with one, the
        # checksum is a digest of the keyed sums, already compared column by column).
        keyless = not old.key and not new.key
        if (
            not found
            and keyless
            and same_columns
            and old.rows == new.rows
            and old.checksum != new.checksum
        ):
            out.append(
                DataDifference(name, None, "rows", old.checksum, new.checksum, table_declared)
            )
    return out


def _column_differences(
    name: str,
    old: TableSnapshot,
    new: TableSnapshot,
    declared: DeclaredChanges,
    table_declared: bool,
) -> list[DataDifference]:
    renamed = {c: declared.renamed_columns.get((name, c), c) for c in old.key}
    same_key = (
        bool(old.key) and tuple(renamed[c] for c in old.key) == new.key and old.order == new.order
    )
    out: list[DataDifference] = []
    for column, checksum in old.columns.items():
        target = declared.renamed_columns.get((name, column), column)
        if target not in new.columns:
            lost = (name, column) in declared.dropped_columns or table_declared
            out.append(DataDifference(name, column, "column_missing", declared=lost))
            continue
        other = new.columns[target]
        a, b = (checksum.keyed, other.keyed) if same_key else (checksum.values, other.values)
        if a != b:
            changed = (name, column) in declared.changed_columns or table_declared
            out.append(DataDifference(name, column, "values", a, b, changed))
    return out


def column_values(
    engine: Engine | Connection, table: Table | str, column: str, limit: int = 10
) -> list[str | None]:
    """Up to `limit` values of a column as canonical text, for reports (primary key order)."""
    name = table.name if isinstance(table, Table) else table
    kind = kind_of(table.column(column).type) if isinstance(table, Table) else "text"
    order = list(table.primary_key) if isinstance(table, Table) and table.primary_key else [column]

    def read(conn: Connection) -> list[str | None]:
        dialect = {"mariadb": "mysql"}.get(conn.dialect.name, conn.dialect.name)
        quote = get_dialect(dialect).quote
        selected = quote(column)
        if dialect == "postgresql" and kind == "json":
            selected += "::jsonb::text"  # psycopg would hand back parsed documents
        sql = (
            f"SELECT {selected} FROM {quote(name)} "
            f"ORDER BY {', '.join(quote(c) for c in order)} LIMIT {int(limit)}"
        )
        rows = conn.exec_driver_sql(sql).all()
        return [render_value(r[0], kind) for r in rows]

    if isinstance(engine, Connection):
        return read(engine)
    with engine.connect() as conn:
        return read(conn)
