"""The rows behind a failed statement: which duplicates, which NULLs, which long values.

"could not create unique index" is only half an answer; the other half is *which* values are
duplicated and how often, because that decides the fix (deduplicate first, or the index is on
the wrong column). After a statement fails, the transaction has been rolled back, so the data is
as it was, and the rows the statement tripped over can be queried: duplicates for a unique index
or constraint, NULLs for a NOT NULL, values longer than a narrowed varchar, rows a new check
rejects. The failing table and columns come from the database's own diagnostics where it gives
them (PostgreSQL's diag fields, SQLite's and MySQL's messages) and from the statement otherwise.
A lookup that fails says so instead of hiding the original error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from .dialects import get as get_dialect
from .dialects.sqlite_rebuild import PREFIX as REBUILD_PREFIX
from .schema import Schema
from .validate_observe import DbError, plain_connection

SHOWN = 5
_NAME = r"[`\"]?([A-Za-z_][A-Za-z0-9_$]*)[`\"]?"


@dataclass(frozen=True)
class Culprits:
    note: str
    rows: tuple[str, ...] = ()
    hint: str = ""


HINTS = {
    "unique": "remove the duplicates first (a data migration before the index), or index "
    "columns that are unique",
    "null": "add the column with a default, or add it nullable, backfill, then set NOT NULL",
    "long": "trim or move the long values in a backfill before narrowing, or keep the width",
    "check": "fix the rows first, or add the check NOT VALID and validate it in a later step",
}


def _clean(name: str) -> str:
    name = name.strip().strip('`"')
    return name[len(REBUILD_PREFIX) :] if name.startswith(REBUILD_PREFIX) else name


def _columns(text: str) -> list[str]:
    return [_clean(c) for c in text.split(",") if c.strip()]


def statement_table(sql: str) -> str | None:
    """The table a DDL or DML statement works on."""
    patterns = (
        rf"^\s*ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?{_NAME}",
        rf"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\b.*?\bON\s+(?:ONLY\s+)?{_NAME}",
        rf"^\s*(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+{_NAME}",
    )
    for pattern in patterns:
        match = re.search(pattern, sql, re.IGNORECASE | re.DOTALL)
        if match:
            return _clean(match.group(1))
    return None


# -- what kind of failure, and where -----------------------------------------------------------


def _unique(error: DbError, sql: str) -> tuple[str, list[str]] | None:
    message = error.message
    if not (
        error.code in ("23505", "1062", "SQLITE_CONSTRAINT_UNIQUE")
        or "UNIQUE constraint failed" in message
        or "Duplicate entry" in message
    ):
        return None
    sqlite = re.search(r"UNIQUE constraint failed: (.+)$", message)
    if sqlite:
        pairs = [p.strip().split(".", 1) for p in sqlite.group(1).split(",")]
        if all(len(p) == 2 for p in pairs):
            return _clean(pairs[0][0]), [p[1] for p in pairs]
    table = error.table or statement_table(sql)
    detail = re.search(r"Key \((.+?)\)=", message)
    if table and detail:
        return table, _columns(detail.group(1))
    index = re.search(
        r"CREATE\s+UNIQUE\s+INDEX\b.*?\bON\s+(?:ONLY\s+)?\S+\s*(?:USING\s+\w+\s*)?\((.*)\)",
        sql,
        re.IGNORECASE | re.DOTALL,
    )
    constraint = re.search(
        r"\bADD\s+(?:CONSTRAINT\s+\S+\s+)?(?:UNIQUE|PRIMARY\s+KEY)\s*(?:KEY|INDEX)?\s*"
        r"(?:[`\"]?\w+[`\"]?\s*)?\(([^)]*)\)",
        sql,
        re.IGNORECASE,
    )
    found = index or constraint
    if table and found:
        return table, _columns(found.group(1).split(")")[0])
    return None


def _not_null(error: DbError, sql: str) -> tuple[str, str] | None:
    message = error.message
    sqlite = re.search(r"NOT NULL constraint failed: (\S+)\.(\S+)", message)
    if sqlite:
        return _clean(sqlite.group(1)), sqlite.group(2)
    if error.code == "23502" and error.table and error.column:
        return error.table, error.column
    table = statement_table(sql)
    if table is None:
        return None
    mysql = re.search(r"(?:Data truncated for column|Column) '([^']+)'", message)
    if mysql and re.search(rf"\b{re.escape(mysql.group(1))}\b.*NOT\s+NULL", sql, re.I | re.S):
        return table, mysql.group(1)
    if error.code in ("1138",) or "Cannot add a NOT NULL column" in message:
        added = re.search(rf"\bADD\s+(?:COLUMN\s+)?{_NAME}", sql, re.IGNORECASE)
        modified = re.search(rf"\b(?:MODIFY|ALTER)\s+(?:COLUMN\s+)?{_NAME}", sql, re.IGNORECASE)
        found = added or modified
        return (table, found.group(1)) if found else None
    return None


def _too_long(error: DbError, sql: str) -> tuple[str, str, int] | None:
    message = error.message
    if not (error.code in ("22001", "1406", "1265") or "too long" in message.lower()):
        return None
    table = statement_table(sql)
    if table is None:
        return None
    named = re.search(r"column '([^']+)'", message)
    altered = re.search(
        rf"\b(?:ALTER\s+COLUMN\s+{_NAME}\s+(?:SET\s+DATA\s+)?TYPE|MODIFY\s+(?:COLUMN\s+)?{_NAME})"
        r"\s+(?:VAR)?CHAR(?:ACTER)?(?:\s+VARYING)?\s*\((\d+)\)",
        sql,
        re.IGNORECASE,
    )
    if altered is None:
        return None
    column = named.group(1) if named else (altered.group(1) or altered.group(2))
    return table, column, int(altered.group(3))


def _check(error: DbError, sql: str) -> tuple[str, str] | None:
    message = error.message
    if not (
        error.code in ("23514", "4025", "3819")
        or "CHECK constraint failed" in message
        or "check constraint" in message.lower()
    ):
        return None
    table = error.table or statement_table(sql)
    body = re.search(r"\bCHECK\s*\((.*)\)", sql, re.IGNORECASE | re.DOTALL)
    if table is None or body is None:
        return None
    return table, body.group(1)


# -- the queries -------------------------------------------------------------------------------


def find_culprits(
    engine: Engine, dialect: str, sql: str, error: DbError, schema: Schema
) -> Culprits | None:
    """The rows a failed statement tripped over, or None when the failure is not about rows."""
    finders: list[Callable[[], Culprits | None]] = [
        lambda: _duplicates(engine, dialect, schema, _unique(error, sql)),
        lambda: _nulls(engine, dialect, schema, _not_null(error, sql)),
        lambda: _long_values(engine, dialect, schema, _too_long(error, sql)),
        lambda: _violations(engine, dialect, schema, _check(error, sql)),
    ]
    for finder in finders:
        try:
            found = finder()
        except Exception as exc:  # the lookup is a courtesy; the error itself stands
            first = str(getattr(exc, "orig", exc)).strip().splitlines()
            return Culprits(f"the rows could not be looked up: {first[0] if first else exc}")
        if found is not None:
            return found
    return None


def _key(schema: Schema, table: str) -> list[str]:
    if schema.has_table(table) and schema.table(table).primary_key:
        return list(schema.table(table).primary_key)
    return []


def _duplicates(
    engine: Engine, dialect: str, schema: Schema, where: tuple[str, list[str]] | None
) -> Culprits | None:
    if where is None:
        return None
    table, columns = where
    q = get_dialect(dialect).quote
    cols = ", ".join(q(c) for c in columns)
    present = " AND ".join(f"{q(c)} IS NOT NULL" for c in columns)
    grouped = (
        f"SELECT {cols}, COUNT(*) FROM {q(table)} WHERE {present} "
        f"GROUP BY {cols} HAVING COUNT(*) > 1"
    )
    with plain_connection(engine) as conn:
        groups = int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM ({grouped}) dup").scalar_one())
        rows = conn.exec_driver_sql(f"{grouped} ORDER BY COUNT(*) DESC, {cols} LIMIT {SHOWN}").all()
    if not groups:
        return Culprits(f"no duplicates of {table}({', '.join(columns)}) are left after rollback")
    shown = tuple(
        f"{', '.join(f'{c}={v!r}' for c, v in zip(columns, row[:-1], strict=True))}: {row[-1]} rows"
        for row in rows
    )
    note = (
        f"{groups} values of {table}({', '.join(columns)}) occur more than once; the most frequent:"
    )
    return Culprits(note, shown, HINTS["unique"])


def _nulls(
    engine: Engine, dialect: str, schema: Schema, where: tuple[str, str] | None
) -> Culprits | None:
    if where is None:
        return None
    table, column = where
    q = get_dialect(dialect).quote
    exists = schema.has_table(table) and schema.table(table).has_column(column)
    with plain_connection(engine) as conn:
        if not exists:
            total = int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {q(table)}").scalar_one())
            return Culprits(
                f"all {total} existing rows of {table}: the new column {column} has no value "
                "for them (no default)",
                hint=HINTS["null"],
            )
        key = _key(schema, table)
        condition = f"{q(column)} IS NULL"
        count = int(
            conn.exec_driver_sql(f"SELECT COUNT(*) FROM {q(table)} WHERE {condition}").scalar_one()
        )
        shown: tuple[str, ...] = ()
        if key and count:
            rows = conn.exec_driver_sql(
                f"SELECT {', '.join(q(k) for k in key)} FROM {q(table)} WHERE {condition} "
                f"ORDER BY {', '.join(q(k) for k in key)} LIMIT {SHOWN}"
            ).all()
            shown = tuple(
                ", ".join(f"{k}={v!r}" for k, v in zip(key, r, strict=True)) for r in rows
            )
    return Culprits(f"{count} rows of {table} have {column} NULL; the first:", shown, HINTS["null"])


def _long_values(
    engine: Engine, dialect: str, schema: Schema, where: tuple[str, str, int] | None
) -> Culprits | None:
    if where is None:
        return None
    table, column, limit = where
    q = get_dialect(dialect).quote
    length = f"{'CHAR_LENGTH' if dialect == 'mysql' else 'LENGTH'}({q(column)})"
    condition = f"{length} > {limit}"
    key = _key(schema, table)
    with plain_connection(engine) as conn:
        count = int(
            conn.exec_driver_sql(f"SELECT COUNT(*) FROM {q(table)} WHERE {condition}").scalar_one()
        )
        cols = ", ".join([*(q(k) for k in key), length])
        rows = conn.exec_driver_sql(
            f"SELECT {cols} FROM {q(table)} WHERE {condition} ORDER BY {length} DESC LIMIT {SHOWN}"
        ).all()
    shown = tuple(
        ", ".join([*(f"{k}={v!r}" for k, v in zip(key, r[:-1], strict=True)), f"length {r[-1]}"])
        for r in rows
    )
    return Culprits(
        f"{count} values of {table}.{column} are longer than {limit} characters; the longest:",
        shown,
        HINTS["long"],
    )


def _violations(
    engine: Engine, dialect: str, schema: Schema, where: tuple[str, str] | None
) -> Culprits | None:
    if where is None:
        return None
    table, expression = where
    q = get_dialect(dialect).quote
    key = _key(schema, table)
    condition = f"NOT ({expression})"
    with plain_connection(engine) as conn:
        count = int(
            conn.exec_driver_sql(f"SELECT COUNT(*) FROM {q(table)} WHERE {condition}").scalar_one()
        )
        shown: tuple[str, ...] = ()
        if key:
            rows = conn.exec_driver_sql(
                f"SELECT {', '.join(q(k) for k in key)} FROM {q(table)} WHERE {condition} "
                f"LIMIT {SHOWN}"
            ).all()
            shown = tuple(
                ", ".join(f"{k}={v!r}" for k, v in zip(key, r, strict=True)) for r in rows
            )
    note = f"{count} rows of {table} fail CHECK ({expression}); the first:"
    return Culprits(note, shown, HINTS["check"])
