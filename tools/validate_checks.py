"""Data verdicts: is the data still right after the up, and after the up and the down?

Each function checks one claim on the scratch database and returns `Verdict`s whose reasons say
what is wrong in the reader's terms ("orders: 1000 rows before the up, 900 after; the plan
deletes no rows there"), with examples. Data differences come from `datacheck.compare` against
the changes the plan declares (`declared_changes`), illustrated by a sample of rows read before
the up; the invariants of data migrations (backfills filled what they promised, narrowed
strings fit, MySQL invented no values, the user's own check queries return nothing) are
queries on the data after the up. Schema verdicts live in `validate_schema`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from . import ops as o
from .datacheck import (
    DataDifference,
    DataSnapshot,
    DeclaredChanges,
    compare,
    render_value,
    snapshot,
)
from .dialects import get as get_dialect
from .errors import MigwrightError
from .schema import Schema, Table, canonical_type
from .validate_observe import plain_connection
from .validate_report import Verdict

#: Rows per table read before the up, to show what a data difference looks like.
SAMPLE_ROWS = 25
#: Lines of examples a verdict shows.
SHOWN = 5


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableSample:
    """The first rows of a table by primary key, raw (for queries) and as canonical text."""

    key: tuple[str, ...]
    rows: tuple[tuple[tuple[Any, ...], Mapping[str, str | None]], ...]


def take_samples(
    engine: Engine, schema: Schema, limit: int = SAMPLE_ROWS
) -> dict[str, TableSample]:
    """Up to `limit` rows of every table with a primary key, ordered by it."""
    samples: dict[str, TableSample] = {}
    with plain_connection(engine) as conn:
        quote = get_dialect(_dialect(conn.dialect.name)).quote
        for table in schema.tables:
            if not table.primary_key:
                continue
            key = table.primary_key
            columns = list(table.column_names)
            sql = (
                f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table.name)} "
                f"ORDER BY {', '.join(quote(c) for c in key)} LIMIT {int(limit)}"
            )
            rows = []
            for row in conn.exec_driver_sql(sql):
                values = dict(zip(columns, row, strict=True))
                shown = {c: _shown(table, c, values[c]) for c in columns}
                rows.append((tuple(values[c] for c in key), shown))
            samples[table.name] = TableSample(key, tuple(rows))
    return samples


def focus_tables(operations: Sequence[o.Operation], before: Schema) -> set[str] | None:
    """Tables whose data the plan's own statements can change: those its operations name
    (under every name they have), and their foreign-key neighbours (cascades). None when raw
    SQL makes that unknowable. Only meaningful for a migration that runs exactly the plan."""
    touched: set[str] = set()
    state = before
    for op in operations:
        if isinstance(op, o.RawSQL):
            return None
        touched.update(op.tables)
        if isinstance(op, o.RenameTable):
            touched.add(op.new)
        if isinstance(op, o.CreateTable):
            touched.add(op.table.name)
        try:
            state = op.apply(state)
        except MigwrightError:
            return None
    focus = set(touched)
    for schema in (before, state):
        for table in schema.tables:
            for fk in table.foreign_keys:
                if fk.ref_table in touched:
                    focus.add(table.name)
                if table.name in touched:
                    focus.add(fk.ref_table)
    return focus


def out_of_focus(schema: Schema, focus: set[str] | None) -> dict[str, list[str]]:
    """Checksum columns for the tables outside `focus`: their primary key only (row count
    and keys prove they were left alone, at a fraction of the cost)."""
    if focus is None:
        return {}
    return {
        t.name: list(t.primary_key) for t in schema.tables if t.name not in focus and t.primary_key
    }


def parallel_snapshot(
    engine: Engine,
    schema: Schema,
    tables: Sequence[str] | None = None,
    columns: Mapping[str, Sequence[str]] | None = None,
    workers: int = 2,
) -> DataSnapshot:
    """`datacheck.snapshot` with the tables spread over `workers` connections.

    On a server the checksums are computed by the server, one backend per connection, so two
    connections use two cores; SQLite hashes in Python under the GIL and gains nothing.
    """
    names = list(tables) if tables is not None else list(schema.table_names)
    chosen = {t: c for t, c in (columns or {}).items() if t in names}
    if engine.dialect.name == "sqlite" or workers < 2 or len(names) < 2:
        return snapshot(engine, schema, tables=names, columns=chosen)
    chunks = [names[i::workers] for i in range(workers)]

    def part(chunk: list[str]) -> DataSnapshot:
        return snapshot(engine, schema, tables=chunk, columns=chosen)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="migwright-snapshot") as pool:
        parts = list(pool.map(part, chunks))
    merged = {name: part.tables[name] for part in parts for name in part.tables}
    return DataSnapshot(parts[0].dialect, {name: merged[name] for name in names})


def _dialect(name: str) -> str:
    return {"mariadb": "mysql"}.get(name, name)


def _shown(table: Table, column: str, value: Any) -> str | None:
    return render_value(value, canonical_type(table.column(column).type))


def data_verdicts(
    engine: Engine,
    before: DataSnapshot,
    after: DataSnapshot,
    declared: DeclaredChanges,
    samples: Mapping[str, TableSample],
    after_schema: Schema,
    stage: str = "the up",
) -> list[Verdict]:
    """Row counts and data against the snapshot before: undeclared differences fail."""
    differences = compare(before, after, declared)
    undeclared = [d for d in differences if not d.declared]
    declared_lines = tuple(d.describe() for d in differences if d.declared)
    counts = [d for d in undeclared if d.kind == "row_count"]
    short = {d.table for d in counts}
    # With rows missing, every column's checksum moves; those are not separate findings.
    others = [d for d in undeclared if d.kind != "row_count" and d.table not in short]
    verdicts: list[Verdict] = []
    if counts:
        first = counts[0]
        reason = (
            f"{first.table}: {first.before} rows before {stage}, {first.after} after; "
            "the plan deletes no rows there"
        )
        details = [f"{d.table}: {d.before} -> {d.after} rows" for d in counts]
        details += _missing_rows(engine, counts, samples, declared, after_schema)
        verdicts.append(Verdict("row-counts", False, reason, tuple(details)))
    else:
        verdicts.append(
            Verdict("row-counts", True, "row counts are unchanged where they should be")
        )
    if others:
        listed = ", ".join(d.describe() for d in others[:3])
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        reason = f"data changed where the plan declares no change ({stage}): {listed}{more}"
        details = [d.describe() for d in others]
        for d in others[:3]:
            details += _changed_values(engine, d, samples, declared, after_schema)
        verdicts.append(Verdict("data", False, reason, tuple(dict.fromkeys(details))))
    else:
        reason = "every column the plan keeps holds the same data"
        if short:
            reason = f"not compared for {', '.join(sorted(short))} (rows are missing); " + reason
        if declared_lines:
            reason += f"; declared changes: {', '.join(declared_lines)}"
        verdicts.append(Verdict("data", True, reason))
    return verdicts


def _renamed(declared: DeclaredChanges, table: str, column: str | None) -> tuple[str, str | None]:
    new_table = declared.renamed_tables.get(table, table)
    if column is None:
        return new_table, None
    return new_table, declared.renamed_columns.get((table, column), column)


def _lookup(
    engine: Engine, table: str, key: Sequence[str], keys: Sequence[tuple[Any, ...]], column: str
) -> dict[tuple[Any, ...], Any]:
    """Values of `column` for the rows with these keys (missing rows are absent)."""
    if not keys:
        return {}
    with plain_connection(engine) as conn:
        quote = get_dialect(_dialect(conn.dialect.name)).quote
        params: dict[str, Any] = {}
        clauses = []
        for i, values in enumerate(keys):
            parts = []
            for j, (name, value) in enumerate(zip(key, values, strict=True)):
                params[f"k{i}_{j}"] = value
                parts.append(f"{quote(name)} = :k{i}_{j}")
            clauses.append("(" + " AND ".join(parts) + ")")
        cols = ", ".join(quote(c) for c in key)
        sql = f"SELECT {cols}, {quote(column)} FROM {quote(table)} WHERE {' OR '.join(clauses)}"
        return {tuple(row[:-1]): row[-1] for row in conn.execute(text(sql), params)}


def _key_text(key: Sequence[str], values: Sequence[Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in zip(key, values, strict=True))


def _missing_rows(
    engine: Engine,
    counts: list[DataDifference],
    samples: Mapping[str, TableSample],
    declared: DeclaredChanges,
    after_schema: Schema,
) -> list[str]:
    lines: list[str] = []
    for d in counts[:3]:
        sample = samples.get(d.table)
        table, _ = _renamed(declared, d.table, None)
        if sample is None or not after_schema.has_table(table):
            continue
        key = [_renamed(declared, d.table, k)[1] or k for k in sample.key]
        try:
            found = _lookup(engine, table, key, [k for k, _ in sample.rows], key[0])
        except Exception as exc:  # a lookup for the report must not hide the verdict
            lines.append(f"  (rows could not be looked up: {str(exc).splitlines()[0]})")
            continue
        gone = [k for k, _ in sample.rows if tuple(k) not in found]
        for k in gone[:SHOWN]:
            lines.append(f"  {d.table}: row {_key_text(sample.key, k)} is gone")
        if not gone and sample.rows:
            lines.append(
                f"  {d.table}: the first {len(sample.rows)} rows by key are all still there"
            )
    return lines


def _changed_values(
    engine: Engine,
    d: DataDifference,
    samples: Mapping[str, TableSample],
    declared: DeclaredChanges,
    after_schema: Schema,
) -> list[str]:
    sample = samples.get(d.table)
    if d.column is None or d.kind != "values" or sample is None:
        return []
    table, column = _renamed(declared, d.table, d.column)
    if column is None or not after_schema.has_table(table):
        return []
    target = after_schema.table(table)
    if not target.has_column(column):
        return []
    key = [_renamed(declared, d.table, k)[1] or k for k in sample.key]
    try:
        found = _lookup(engine, table, key, [k for k, _ in sample.rows], column)
    except Exception as exc:
        return [f"  (rows could not be looked up: {str(exc).splitlines()[0]})"]
    lines = []
    for k, shown in sample.rows:
        if tuple(k) not in found:
            continue
        now = _shown(target, column, found[tuple(k)])
        if now != shown[d.column]:
            lines.append(
                f"  {d.table}.{d.column} at {_key_text(sample.key, k)}: "
                f"{_clip(shown[d.column])} -> {_clip(now)}"
            )
        if len(lines) >= SHOWN:
            break
    if not lines:
        lines.append(f"  the first {len(sample.rows)} rows of {d.table} by key are unchanged")
    return lines


def _clip(value: str | None, width: int = 40) -> str:
    if value is None:
        return "NULL"
    shown = value if len(value) <= width else value[: width - 3] + "..."
    return repr(shown)


# ---------------------------------------------------------------------------------------------
# Invariants of data migrations
# ---------------------------------------------------------------------------------------------


def _count_and_keys(
    engine: Engine, table: Table, condition: str, extra: str = ""
) -> tuple[int, list[str]]:
    """How many rows of `table` match `condition`, and a few of them by key."""
    with plain_connection(engine) as conn:
        quote = get_dialect(_dialect(conn.dialect.name)).quote
        name = quote(table.name)
        count = int(
            conn.exec_driver_sql(f"SELECT COUNT(*) FROM {name} WHERE {condition}").scalar_one()
        )
        shown: list[str] = []
        if count:
            key = list(table.primary_key) or list(table.column_names[:1])
            cols = ", ".join(quote(c) for c in key) + (f", {extra}" if extra else "")
            sql = f"SELECT {cols} FROM {name} WHERE {condition} LIMIT {SHOWN}"
            for row in conn.exec_driver_sql(sql):
                shown.append("  " + _key_text([*key, *(["value"] if extra else [])], row))
    return count, shown


def backfill_verdicts(
    engine: Engine, dialect: str, operations: Sequence[o.Operation], after: Schema
) -> list[Verdict]:
    """Rows a backfill should have set (its WHERE, its expression not NULL) that are NULL."""
    d = get_dialect(dialect)
    verdicts = []
    for op in operations:
        if not isinstance(op, o.Backfill):
            continue
        where = (
            f"{d.quote(op.column)} IS NULL AND ({d.expression(op.expression, after)}) IS NOT NULL"
        )
        if op.where:
            where += f" AND ({d.expression(op.where, after)})"
        try:
            count, shown = _count_and_keys(engine, after.table(op.table), where)
        except Exception as exc:
            reason = f"not checked for {op.table}.{op.column}: {str(exc).splitlines()[0]}"
            verdicts.append(Verdict("backfill", True, reason))
            continue
        if count:
            reason = (
                f"the backfill of {op.table}.{op.column} left {count} rows NULL where "
                f"`{op.expression}` has a value"
            )
            verdicts.append(Verdict("backfill", False, reason, tuple(shown)))
        else:
            reason = f"{op.table}.{op.column} is set wherever the backfill promised"
            verdicts.append(Verdict("backfill", True, reason))
    return verdicts


def length_verdicts(
    engine: Engine, dialect: str, operations: Sequence[o.Operation], after: Schema
) -> list[Verdict]:
    """Values longer than a narrowed varchar/char allows (SQLite keeps them silently)."""
    d = get_dialect(dialect)
    length = "CHAR_LENGTH" if dialect == "mysql" else "LENGTH"
    verdicts = []
    for op in operations:
        if not isinstance(op, o.AlterColumn) or op.type is None:
            continue
        kind = canonical_type(op.type)
        if not kind.startswith(("varchar(", "char(")) or not after.has_table(op.table):
            continue
        limit = int(kind[kind.index("(") + 1 : -1])
        column = d.quote(op.column)
        try:
            count, shown = _count_and_keys(
                engine,
                after.table(op.table),
                f"{length}({column}) > {limit}",
                f"{length}({column})",
            )
        except Exception as exc:
            reason = f"not checked for {op.table}.{op.column}: {str(exc).splitlines()[0]}"
            verdicts.append(Verdict("lengths", True, reason))
            continue
        if count:
            why = (
                "SQLite keeps them as they are; PostgreSQL and MySQL refuse this change"
                if dialect == "sqlite"
                else "the database kept values its type does not allow"
            )
            reason = f"{op.table}.{op.column}: {count} values are longer than {kind} allows ({why})"
            verdicts.append(Verdict("lengths", False, reason, tuple(shown)))
        else:
            reason = f"every value of {op.table}.{op.column} fits {kind}"
            verdicts.append(Verdict("lengths", True, reason))
    return verdicts


def implicit_default_verdicts(
    engine: Engine, before: Schema, after: Schema, row_counts: Mapping[str, int]
) -> list[Verdict]:
    """MySQL fills a NOT NULL column added without a default with 0 or '' on every existing
    row, where PostgreSQL and SQLite refuse: the values are invented, not migrated."""
    verdicts = []
    for table in after.tables:
        if not before.has_table(table.name) or not row_counts.get(table.name):
            continue
        old = before.table(table.name)
        for column in table.columns:
            if old.has_column(column.name) or column.nullable or column.identity:
                continue
            if column.default is not None:
                continue
            rows = row_counts[table.name]
            with plain_connection(engine) as conn:
                quote = get_dialect("mysql").quote
                values = conn.exec_driver_sql(
                    f"SELECT DISTINCT {quote(column.name)} FROM {quote(table.name)} LIMIT 3"
                ).scalars()
                shown = ", ".join(repr(v) for v in values)
            reason = (
                f"{table.name}.{column.name} is added NOT NULL without a default: MySQL gave the "
                f"{rows} existing rows its implicit default ({shown}), PostgreSQL and SQLite "
                "refuse this; add a default or backfill before setting NOT NULL"
            )
            verdicts.append(Verdict("implicit-defaults", False, reason))
    return verdicts


def custom_check_verdicts(engine: Engine, checks: Sequence[str]) -> list[Verdict]:
    """Each query must return no rows."""
    verdicts = []
    for index, query in enumerate(checks, 1):
        name = f"check-{index}"
        try:
            with plain_connection(engine) as conn:
                rows = conn.exec_driver_sql(query).fetchmany(SHOWN + 1)
        except Exception as exc:
            first = str(getattr(exc, "orig", exc)).strip().splitlines()
            reason = f"the check query failed: {first[0] if first else exc}: {query}"
            verdicts.append(Verdict(name, False, reason))
            continue
        if rows:
            more = "+" if len(rows) > SHOWN else ""
            reason = f"{len(rows[:SHOWN])}{more} rows returned by: {query}"
            details = tuple(f"  {tuple(r)!r}" for r in rows[:SHOWN])
            verdicts.append(Verdict(name, False, reason, details))
        else:
            verdicts.append(Verdict(name, True, f"no rows returned by: {query}"))
    return verdicts
