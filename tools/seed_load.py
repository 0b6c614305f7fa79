"""Getting seed rows into a database fast, and surviving the rows it refuses.

The seeder produces Python values; this module owns everything that depends on the driver:
parameter style, how each type is handed over (SQLite has no dates, MySQL no time zones),
PostgreSQL's COPY, batched multi-row INSERTs elsewhere, and the fallback when a batch fails:
it is rolled back to a savepoint and replayed row by row, so one row a check we could not
evaluate rejects costs that row, not the batch. Everything runs on the raw DBAPI connection
under one SQLAlchemy connection, so the seeder decides where transactions end.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.engine import Connection

from .dialects import get as get_dialect

#: Rows per INSERT batch (PyMySQL folds executemany into multi-row INSERTs).
BATCH = 500
#: Rows per batch for tables whose checks only the database can judge.
SMALL_BATCH = 50


class Loader:
    """Bulk loading, key read-back and updates on one connection, for one dialect."""

    def __init__(self, conn: Connection, dialect: str) -> None:
        self.conn = conn
        self.dialect = dialect
        self.raw: Any = conn.connection.dbapi_connection
        self.error: type[Exception] = conn.dialect.loaded_dbapi.Error
        self.mark = "?" if dialect == "sqlite" else "%s"
        self._quote = get_dialect(dialect).quote
        self._savepoints = 0
        self._restore: list[str] = []

    # -- names and values ---------------------------------------------------------------------
    def q(self, name: str) -> str:
        return self._quote(name)

    def adapt(self, value: Any) -> Any:
        """A generated value in the form this driver and database accept."""
        if value is None or (
            isinstance(value, str | int | float | bytes) and not isinstance(value, bool)
        ):
            return value
        if isinstance(value, bool):
            return int(value) if self.dialect == "sqlite" else value
        if isinstance(value, list):
            if self.dialect == "postgresql":
                return [self.adapt(v) for v in value]
            return json.dumps([_plain(v) for v in value], ensure_ascii=False)
        if isinstance(value, Decimal | uuid.UUID):
            return str(value) if self.dialect == "sqlite" or isinstance(value, uuid.UUID) else value
        if isinstance(value, dt.datetime):
            if self.dialect == "mysql" and value.tzinfo is not None:
                return value.astimezone(dt.UTC).replace(tzinfo=None)
            if self.dialect == "sqlite":
                return value.isoformat(sep=" ")
            return value
        if isinstance(value, dt.date | dt.time):
            if self.dialect == "mysql" and isinstance(value, dt.time):
                return value.replace(tzinfo=None)
            return value.isoformat() if self.dialect == "sqlite" else value
        if isinstance(value, dt.timedelta):
            return value if self.dialect == "postgresql" else str(value)
        return value

    # -- transactions -------------------------------------------------------------------------
    def begin(self) -> None:
        """Make sure a transaction is open (Python's sqlite3 opens one only before DML)."""
        if self.dialect == "sqlite" and not self.raw.in_transaction:
            self.raw.execute("BEGIN")

    def commit(self) -> None:
        # Straight to the driver: everything ran on the raw connection, so SQLAlchemy's
        # Connection never began a transaction and its commit() would do nothing.
        self.raw.commit()

    def try_commit(self) -> str | None:
        """Commit; the reason when the database refuses (deferred keys still dangling)."""
        try:
            self.raw.commit()
        except self.error as exc:
            self.rollback()
            return _first_line(exc)
        return None

    def rollback(self) -> None:
        with contextlib.suppress(self.error):  # a broken connection: the pool discards it
            self.raw.rollback()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.raw.cursor()
        try:
            if params:
                cursor.execute(sql, tuple(params))
            else:
                cursor.execute(sql)  # no parameters: a literal % stays a %
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def attempt(self, work: Callable[[], object]) -> str | None:
        """Run `work` under a savepoint; on a database error undo it and return the reason."""
        self._savepoints += 1
        name = f"migwright_seed_{self._savepoints}"
        self.begin()
        self.execute(f"SAVEPOINT {name}")
        try:
            work()
        except self.error as exc:
            self.execute(f"ROLLBACK TO SAVEPOINT {name}")
            self.execute(f"RELEASE SAVEPOINT {name}")
            return _first_line(exc)
        self.execute(f"RELEASE SAVEPOINT {name}")
        return None

    @contextmanager
    def session(self) -> Iterator[None]:
        """Session settings for seeding (UTC on MySQL), restored on the way out."""
        if self.dialect == "mysql":
            zone = self.execute("SELECT @@session.time_zone")[0][0]
            self.execute("SET time_zone = '+00:00'")
            self._restore.append(f"SET time_zone = '{zone}'")
        try:
            yield
        finally:
            for sql in reversed(self._restore):
                self.execute(sql)
            self._restore.clear()

    def relax_foreign_keys(self) -> None:
        """Let rows point at keys that arrive later in this transaction (NOT NULL cycles).

        MySQL: FOREIGN_KEY_CHECKS=0 (set back by `enforce_foreign_keys`); SQLite: deferred to
        COMMIT; PostgreSQL: deferrable constraints deferred and, when allowed (superuser),
        the referential triggers off for this transaction only.
        """
        self.begin()
        if self.dialect == "mysql":
            self.execute("SET FOREIGN_KEY_CHECKS = 0")
        elif self.dialect == "sqlite":
            self.execute("PRAGMA defer_foreign_keys = ON")
        else:
            self.execute("SET CONSTRAINTS ALL DEFERRED")
            self.attempt(lambda: self.execute("SET LOCAL session_replication_role = replica"))

    def enforce_foreign_keys(self) -> None:
        if self.dialect == "mysql":
            self.execute("SET FOREIGN_KEY_CHECKS = 1")

    # -- loading ------------------------------------------------------------------------------
    def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], batch: int
    ) -> list[tuple[int, str]]:
        """Insert `rows`; returns (position, reason) for each row the database refused."""
        refused: list[tuple[int, str]] = []
        for start in range(0, len(rows), batch):
            chunk = [tuple(self.adapt(v) for v in row) for row in rows[start : start + batch]]
            if self.attempt(partial(self._bulk, table, columns, chunk)) is None:
                continue
            for offset, row in enumerate(chunk):
                reason = self.attempt(partial(self._bulk, table, columns, [row]))
                if reason is not None:
                    refused.append((start + offset, reason))
        return refused

    def _bulk(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        name = self.q(table)
        if not columns:
            sql = f"INSERT INTO {name} () VALUES ()" if self.dialect == "mysql" else None
            for _ in rows:
                self.execute(sql or f"INSERT INTO {name} DEFAULT VALUES")
            return
        names = ", ".join(self.q(c) for c in columns)
        cursor = self.raw.cursor()
        try:
            if self.dialect == "postgresql" and len(rows) > 1:
                with cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            marks = ", ".join([self.mark] * len(columns))
            cursor.executemany(f"INSERT INTO {name} ({names}) VALUES ({marks})", rows)
        finally:
            cursor.close()

    def keys(self, table: str, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        """Distinct non-NULL values of `columns` in `table`, sorted (what children may use)."""
        names = ", ".join(self.q(c) for c in columns)
        present = " AND ".join(f"{self.q(c)} IS NOT NULL" for c in columns)
        sql = f"SELECT DISTINCT {names} FROM {self.q(table)} WHERE {present} ORDER BY {names}"
        return [tuple(r) for r in self.execute(sql)]

    def rows(
        self, table: str, columns: Sequence[str], order: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        names = ", ".join(self.q(c) for c in columns)
        by = ", ".join(self.q(c) for c in order)
        return [
            tuple(r) for r in self.execute(f"SELECT {names} FROM {self.q(table)} ORDER BY {by}")
        ]

    def update(
        self,
        table: str,
        columns: Sequence[str],
        key: Sequence[str],
        rows: Sequence[tuple[Sequence[Any], Sequence[Any]]],
    ) -> list[tuple[int, str]]:
        """SET `columns` = values WHERE `key` = key values, for each (values, key values)."""
        sets = ", ".join(f"{self.q(c)} = {self.mark}" for c in columns)
        where = " AND ".join(f"{self.q(c)} = {self.mark}" for c in key)
        sql = f"UPDATE {self.q(table)} SET {sets} WHERE {where}"
        params = [tuple(self.adapt(v) for v in (*values, *k)) for values, k in rows]
        refused: list[tuple[int, str]] = []
        for start in range(0, len(params), BATCH):
            chunk = params[start : start + BATCH]
            if self.attempt(partial(self._many, sql, chunk)) is None:
                continue
            for offset, one in enumerate(chunk):
                reason = self.attempt(partial(self._many, sql, [one]))
                if reason is not None:
                    refused.append((start + offset, reason))
        return refused

    def delete(self, table: str, key: Sequence[str], values: Sequence[Any]) -> None:
        where = " AND ".join(f"{self.q(c)} = {self.mark}" for c in key)
        self.execute(f"DELETE FROM {self.q(table)} WHERE {where}", [self.adapt(v) for v in values])

    def _many(self, sql: str, params: list[tuple[Any, ...]]) -> None:
        cursor = self.raw.cursor()
        try:
            cursor.executemany(sql, params)
        finally:
            cursor.close()

    def count(self, table: str) -> int:
        return int(self.execute(f"SELECT COUNT(*) FROM {self.q(table)}")[0][0])

    def mysql_columns(self, table: str) -> list[tuple[str, str, str, str | None, int | None]]:
        """(name, data type, column type, charset, octet length) from MySQL's catalog."""
        sql = (
            "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, "
            "CHARACTER_OCTET_LENGTH FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s"
        )
        return [
            (str(a), str(b).lower(), str(c).lower(), d, None if e is None else int(e))
            for a, b, c, d, e in self.execute(sql, [table])
        ]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time | dt.datetime):
        return value.isoformat()
    return value


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return " ".join(lines[0].split()) if lines else type(exc).__name__
