"""Query plans for the indexes a migration creates, on the seeded data, before and after the up.

An index is added for a query. The validator builds the simplest query the index is for,
`SELECT * FROM t WHERE <first column> = <value> [AND <partial index predicate>]`, with the
value the seeded data holds *least* often (the most selective one, the query an index helps),
and asks the planner about it before the up and after it. The report then says whether the
planner uses the new index, which catches an index on the wrong column, a partial index whose
predicate the query cannot match, or a type mismatch that keeps the index out of use.

PostgreSQL plans with `EXPLAIN (FORMAT JSON)` after `ANALYZE` (so statistics describe the
seeded rows), MySQL with `EXPLAIN` after `ANALYZE TABLE`, SQLite with `EXPLAIN QUERY PLAN`.
Nothing here changes data; a query that cannot be planned is reported as a note, not an error.
"""

from __future__ import annotations

import decimal
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Engine

from . import ops as o
from .dialects import get as get_dialect
from .schema import Index, Schema, is_identifier
from .validate_report import ExplainResult

_PARAM = {"postgresql": "%s", "mysql": "%s", "sqlite": "?"}
_EXPLAIN = {
    "postgresql": "EXPLAIN (FORMAT JSON) ",
    "mysql": "EXPLAIN ",
    "sqlite": "EXPLAIN QUERY PLAN ",
}


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class PendingExplain:
    """One new index's query, with the value chosen (MISSING until data is there)."""

    result: ExplainResult
    column: str | None
    where: str | None
    value: Any = MISSING


def new_indexes(operations: Sequence[o.Operation]) -> list[tuple[str, Index]]:
    """(table, index) for every CreateIndex of the plan, in plan order."""
    return [(op.table, op.index) for op in operations if isinstance(op, o.CreateIndex)]


def explain_before(
    engine: Engine, dialect: str, operations: Sequence[o.Operation], before: Schema
) -> list[PendingExplain]:
    """Plan each new index's query on the seeded data before the up (where its column exists)."""
    pending: list[PendingExplain] = []
    for table, index in new_indexes(operations):
        column = index.columns[0] if index.columns else None
        result = ExplainResult(index.name, table, "")
        if column is None or not is_identifier(column):
            note = "expression index: no query is built for it"
            pending.append(PendingExplain(replace(result, note=note), None, None))
            continue
        item = PendingExplain(result, column, index.where)
        exists = before.has_table(table) and before.table(table).has_column(column)
        if exists:
            item = _plan(engine, dialect, item, before, "before")
        pending.append(item)
    return pending


def explain_after(
    engine: Engine, dialect: str, pending: Sequence[PendingExplain], after: Schema
) -> list[ExplainResult]:
    """Plan the same queries after the up; values come from the data now if not chosen yet."""
    results: list[ExplainResult] = []
    for item in pending:
        if item.column is None:
            results.append(item.result)
            continue
        exists = after.has_table(item.result.table) and after.table(item.result.table).has_column(
            item.column
        )
        if not exists:
            results.append(replace(item.result, note="the table or column is gone after the up"))
            continue
        results.append(_plan(engine, dialect, item, after, "after").result)
    return results


def _plan(
    engine: Engine, dialect: str, item: PendingExplain, schema: Schema, stage: str
) -> PendingExplain:
    d = get_dialect(dialect)
    table, column = item.result.table, item.column
    assert column is not None
    where = d.expression(item.where, schema) if item.where else None
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        raw = conn.connection.dbapi_connection
        dbapi_error: type[BaseException] = conn.dialect.loaded_dbapi.Error
        try:
            _analyze(raw, dialect, d.quote(table))
            value = item.value
            if value is MISSING:
                value = _rare_value(raw, dialect, d.quote(table), d.quote(column), where)
            if value is MISSING:
                empty = f"{table}.{column} holds no values to query for"
                return replace(item, result=replace(item.result, note=empty))
            query = f"SELECT * FROM {d.quote(table)} WHERE {d.quote(column)} = "
            tail = f" AND ({where})" if where else ""
            shown = query + _literal(value) + tail
            sent = query + _PARAM[dialect] + (_escape(tail, dialect))
            summary, used = _explain(
                raw, dialect, _EXPLAIN[dialect] + sent, value, item.result.index
            )
        except dbapi_error as exc:
            first = str(exc).strip().splitlines()
            failed = f"could not plan the query {stage} the up: {first[0] if first else exc}"
            return replace(item, result=replace(item.result, note=failed))
        usable: bool | None = None
        note: str | None = None
        if stage == "after" and not used:
            forced = _forced(d.quote(table), item.result.index, dialect, sent)
            usable = _usable(raw, dialect, forced, value, item.result.index)
            if usable:
                note = "the planner prefers another plan at this table size, but can use the index"
            elif dialect == "postgresql" and _waits_for_old_snapshots(raw, item.result.index):
                note = HOT_NOTE
    result = replace(item.result, query=shown)
    if stage == "before":
        result = replace(result, before=summary, used_before=used)
    else:
        result = replace(result, after=summary, used_after=used, usable_after=usable, note=note)
    return replace(item, result=result, value=value)


#: Why PostgreSQL may not use an index right after it was built.
HOT_NOTE = (
    "PostgreSQL cannot use the index yet (pg_index.indcheckxmin): it was built over rows updated "
    "in the same transaction (broken HOT chains), so transactions older than the migration's, "
    "anywhere on the server, keep queries from using it until they end; build the index in its "
    "own transaction, apart from the backfill"
)


def _waits_for_old_snapshots(raw: Any, index: str) -> bool:
    cursor = raw.cursor()
    try:
        cursor.execute(
            "SELECT i.indcheckxmin FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
            (index,),
        )
        row = cursor.fetchone()
    finally:
        cursor.close()
    return bool(row and row[0])


def _forced(table: str, index: str, dialect: str, sent: str) -> str:
    """The query told to use the index (PostgreSQL: sequential scans are disabled instead)."""
    quoted = get_dialect(dialect).quote(index)
    if dialect == "mysql":
        return sent.replace(f"FROM {table} ", f"FROM {table} FORCE INDEX ({quoted}) ", 1)
    if dialect == "sqlite":
        return sent.replace(f"FROM {table} ", f"FROM {table} INDEXED BY {quoted} ", 1)
    return sent


def _usable(raw: Any, dialect: str, sql: str, value: Any, index: str) -> bool:
    if dialect != "postgresql":
        try:
            return _explain(raw, dialect, _EXPLAIN[dialect] + sql, value, index)[1]
        except Exception:  # SQLite refuses INDEXED BY an index it cannot use
            return False
    cursor = raw.cursor()
    try:
        cursor.execute("SET enable_seqscan = off")
        return _explain(raw, dialect, _EXPLAIN[dialect] + sql, value, index)[1]
    finally:
        cursor.execute("RESET enable_seqscan")
        cursor.close()


def _analyze(raw: Any, dialect: str, table: str) -> None:
    if dialect == "sqlite":
        return  # SQLite's planner uses indexes without statistics; ANALYZE adds a table
    statement = f"ANALYZE {table}" if dialect == "postgresql" else f"ANALYZE TABLE {table}"
    cursor = raw.cursor()
    try:
        cursor.execute(statement)
        if cursor.description:
            cursor.fetchall()
    finally:
        cursor.close()


def _rare_value(raw: Any, dialect: str, table: str, column: str, where: str | None) -> Any:
    """The non-NULL value of `column` the fewest rows hold (ties: the smallest)."""
    condition = f"{column} IS NOT NULL" + (f" AND ({where})" if where else "")
    grouped = (
        f"SELECT {column} FROM {table} WHERE {condition} "
        f"GROUP BY {column} ORDER BY COUNT(*), {column} LIMIT 1"
    )
    cursor = raw.cursor()
    try:
        try:
            cursor.execute(grouped)
        except Exception:  # a type without equality for GROUP BY (json): any value will do
            cursor.execute(f"SELECT {column} FROM {table} WHERE {condition} LIMIT 1")
        row = cursor.fetchone()
    finally:
        cursor.close()
    return MISSING if row is None else row[0]


def _explain(raw: Any, dialect: str, sql: str, value: Any, index: str) -> tuple[str, bool]:
    cursor = raw.cursor()
    try:
        cursor.execute(sql, (value,))
        names = [c[0] for c in cursor.description or ()]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        cursor.close()
    if dialect == "postgresql":
        document = rows[0]["QUERY PLAN"]
        if isinstance(document, str):
            document = json.loads(document)
        plan = document[0]["Plan"]
        return _pg_summary(plan), index in _pg_indexes(plan)
    if dialect == "mysql":
        parts = [
            f"{r.get('table')}: type={r.get('type')}, key={r.get('key') or 'none'}, "
            f"rows={r.get('rows')}"
            for r in rows
        ]
        used = any(str(r.get("key") or "").lower() == index.lower() for r in rows)
        return "; ".join(parts), used
    details = [str(r.get("detail", "")) for r in rows]
    pattern = re.compile(rf"\bINDEX {re.escape(index)}\b", re.IGNORECASE)
    return "; ".join(details), any(pattern.search(d) for d in details)


def _pg_summary(node: dict[str, Any]) -> str:
    text = str(node.get("Node Type", "?"))
    if node.get("Index Name"):
        text += f" using {node['Index Name']}"
    if node.get("Relation Name"):
        text += f" on {node['Relation Name']}"
    children = node.get("Plans") or []
    if children:
        text += " > " + ", ".join(_pg_summary(child) for child in children)
    return text


def _pg_indexes(node: dict[str, Any]) -> set[str]:
    found = {str(node["Index Name"])} if node.get("Index Name") else set()
    for child in node.get("Plans") or []:
        found |= _pg_indexes(child)
    return found


def _escape(sql: str, dialect: str) -> str:
    """A literal `%` next to pyformat parameters is written `%%`."""
    return sql if dialect == "sqlite" else sql.replace("%", "%%")


def _literal(value: Any) -> str:
    """The value as SQL text for the report (the query itself is sent with a parameter)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return "X'" + bytes(value).hex() + "'"
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return "'" + text.replace("'", "''") + "'"
