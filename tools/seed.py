"""Production-like seed data: rows that satisfy the schema and look like the real thing.

The validator runs a migration on a scratch database that holds data, because an empty table
hides what breaks in production: a new unique index over repeated values, a NOT NULL on a
column with NULLs, a narrowing type over its largest value, a rebuild that loses unicode.
`seed` fills every table with such rows, deterministically for a given `seed`:

- tables load parents first (foreign keys in topological order); a child's key columns take
  values from the keys its parent really holds, read back after the parent loaded, so identity
  columns are left to the database;
- a self-reference or a cycle loads with the closing keys NULL and links them afterwards with
  UPDATEs; when such a key is NOT NULL, the foreign keys are relaxed for that transaction only
  (PostgreSQL: deferred constraints or replica role, MySQL: FOREIGN_KEY_CHECKS=0, SQLite:
  PRAGMA defer_foreign_keys) and placeholders are linked before the commit;
- unique keys get injective values, checks are evaluated in Python (`seed_checks`) and rows
  retried before they reach the database; what only the database can judge loads in small
  batches, and the rows it refuses are dropped and counted in the report;
- values come from `seed_values`: type limits, unicode, DST edges, NULLs in about one row in
  ten where allowed, Zipf-skewed repeats, and the column default in some rows.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from .errors import SchemaError
from .schema import ForeignKey, Schema
from .scratch import guard
from .seed_links import link_deferred
from .seed_load import BATCH, SMALL_BATCH, Loader
from .seed_plan import TablePlan, all_nullable, deferred_keys, load_order, table_plan
from .seed_values import MISSING, ValueMaker, unique_key

#: Share of rows with NULL in a nullable column, and with the defaults left to the database.
NULL_SHARE = 0.10
DEFAULT_SHARE = 0.15
#: Candidate rows tried per row before it is dropped.
ATTEMPTS = 12
#: Rows generated before they are inserted (memory stays flat for large seeds).
CHUNK = 5000


class _Default:
    """Marks a column left out of the INSERT so that its default applies."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()


@dataclass(frozen=True)
class Dropped:
    """Rows of one table that were not loaded, and why (a check, a duplicate, the database)."""

    reason: str
    count: int


@dataclass(frozen=True)
class TableSeed:
    """One table: rows it holds afterwards, rows asked for, rows dropped and why, seconds."""

    table: str
    rows: int
    requested: int
    dropped: tuple[Dropped, ...] = ()
    seconds: float = 0.0

    @property
    def dropped_rows(self) -> int:
        return sum(d.count for d in self.dropped)


@dataclass(frozen=True)
class SeedReport:
    """Rows per table, rows dropped with their reasons, seconds per table."""

    dialect: str
    seed: int
    tables: tuple[TableSeed, ...] = ()

    def table(self, name: str) -> TableSeed:
        for entry in self.tables:
            if entry.table == name:
                return entry
        raise SchemaError(f"table {name} was not seeded", "seed it, or look up another table")

    @property
    def rows(self) -> dict[str, int]:
        return {t.table: t.rows for t in self.tables}

    @property
    def dropped(self) -> dict[str, int]:
        return {t.table: t.dropped_rows for t in self.tables}

    @property
    def seconds(self) -> float:
        return sum(t.seconds for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dialect": self.dialect,
            "seed": self.seed,
            "tables": [
                {
                    "table": t.table,
                    "rows": t.rows,
                    "requested": t.requested,
                    "dropped": [{"reason": d.reason, "count": d.count} for d in t.dropped],
                    "seconds": round(t.seconds, 4),
                }
                for t in self.tables
            ],
        }


def seed(
    engine: Engine,
    schema: Schema,
    *,
    rows: int = 1000,
    seed: int = 0,
    dialect: str | None = None,
    tables: Iterable[str] | None = None,
    explicit: bool = False,
) -> SeedReport:
    """Fill the tables of `schema` (already created behind `engine`) with `rows` rows each.

    Only a scratch database this process created is accepted, unless `explicit` says the
    caller named the database on purpose (`--db URL --i-know-this-is-not-production`).
    """
    name = _dialect_name(dialect or engine.dialect.name)
    guard(engine.url, explicit=explicit)
    chosen = _chosen(schema, tables)
    results: list[TableSeed] = []
    with engine.connect() as conn:
        loader = Loader(conn, name)
        with loader.session():
            for unit in load_order(schema, chosen):
                results += _seed_unit(loader, schema, unit, rows, seed)
    return SeedReport(name, seed, tuple(results))


def _dialect_name(name: str) -> str:
    key = name.lower()
    if key in ("postgresql", "postgres", "pg"):
        return "postgresql"
    if key in ("mysql", "mariadb"):
        return "mysql"
    if key in ("sqlite", "sqlite3"):
        return "sqlite"
    raise SchemaError(f"cannot seed a {name} database", "use postgresql, mysql or sqlite")


def _chosen(schema: Schema, tables: Iterable[str] | None) -> list[str]:
    if tables is None:
        return list(schema.table_names)
    names = list(dict.fromkeys(tables))
    for name in names:
        schema.table(name)  # raises with the known names
    return names


# ---------------------------------------------------------------------------------------------
# One unit: generate, insert, link
# ---------------------------------------------------------------------------------------------


def _seed_unit(
    loader: Loader, schema: Schema, unit: tuple[str, ...], rows: int, seed: int
) -> list[TableSeed]:
    deferred = deferred_keys(schema, unit)
    relaxed = any(not all_nullable(schema.table(t), fk.columns) for t, fk in deferred)
    dropped: dict[str, Counter[str]] = {t: Counter() for t in unit}
    seconds: dict[str, float] = {}
    try:
        loader.begin()
        if relaxed:
            loader.relax_foreign_keys()
        _fill(loader, schema, unit, deferred, rows, seed, dropped, seconds)
        reason = loader.try_commit()
    except BaseException:
        loader.rollback()  # nothing half-loaded stays behind
        raise
    finally:
        if relaxed:
            loader.enforce_foreign_keys()
    if reason is not None:
        raise SchemaError(
            f"cannot seed {', '.join(unit)}: the database refused the keys that close the "
            f"cycle ({reason})",
            "make one foreign key of the cycle nullable or DEFERRABLE",
        )
    return [
        TableSeed(
            name,
            loader.count(name),
            rows,
            tuple(Dropped(r, n) for r, n in sorted(dropped[name].items())),
            seconds[name],
        )
        for name in unit
    ]


def _fill(
    loader: Loader,
    schema: Schema,
    unit: tuple[str, ...],
    deferred: list[tuple[str, ForeignKey]],
    rows: int,
    seed: int,
    dropped: dict[str, Counter[str]],
    seconds: dict[str, float],
) -> None:
    """Load each table of the unit, then link the keys that had to wait."""
    plans: dict[str, TablePlan] = {}
    for name in unit:
        started = time.perf_counter()
        later = [fk for t, fk in deferred if t == name]
        plans[name] = table_plan(loader, schema, schema.table(name), later, seed, rows)
        _load(loader, plans[name], rows, random.Random(f"{seed}:{name}"), dropped[name])
        seconds[name] = time.perf_counter() - started
    for name, fk in deferred:
        started = time.perf_counter()
        rng = random.Random(f"{seed}:{name}:{','.join(fk.columns)}")
        link_deferred(loader, plans[name].table, fk, plans[name].checks, rng, dropped[name])
        seconds[name] += time.perf_counter() - started


def _load(
    loader: Loader, plan: TablePlan, count: int, rng: random.Random, dropped: Counter[str]
) -> None:
    """Generate and insert in chunks, so memory stays flat however many rows are asked for."""
    seen: dict[tuple[str, ...], set[tuple[Any, ...]]] = {s: set() for s in plan.unique_sets}
    batch = SMALL_BATCH if plan.opaque else BATCH
    for start in range(0, count, CHUNK):
        rows = _generate(plan, range(start, min(count, start + CHUNK)), rng, dropped, seen)
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for row in rows:  # rows that leave defaults to the database have fewer columns
            columns = tuple(c for c, v in row.items() if v is not DEFAULT)
            groups.setdefault(columns, []).append(tuple(row[c] for c in columns))
        for columns, values in groups.items():
            for _, reason in loader.insert(plan.table.name, columns, values, batch):
                dropped[_tidy(reason)] += 1


def _tidy(reason: str) -> str:
    """A database's refusal without the row's own values, so equal reasons add up."""
    wrapped = re.fullmatch(r"\(\d+, ['\"](.*)['\"]\)", reason)  # PyMySQL: (4025, '...')
    if wrapped:
        reason = wrapped.group(1)
    reason = re.sub(r"Duplicate entry '.*?' for key", "Duplicate entry for key", reason)
    reason = re.sub(r" for `[^`]+`\.`[^`]+`", "", reason)
    return reason[:200]


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------


def _generate(
    plan: TablePlan,
    indexes: range,
    rng: random.Random,
    dropped: Counter[str],
    seen: dict[tuple[str, ...], set[tuple[Any, ...]]],
) -> list[dict[str, Any]]:
    """Rows for these indexes; a row that fails ATTEMPTS times is dropped with its reason."""
    rows: list[dict[str, Any]] = []
    for index in indexes:
        reason = "no candidate row"
        for attempt in range(ATTEMPTS):
            row, problem = _candidate(plan, index, attempt, rng)
            if row is not None:
                problem = _reject(plan, row, seen)
                if problem is None:
                    rows.append(row)
                    break
            reason = problem or reason
        else:
            dropped[reason] += 1
    return rows


def _candidate(
    plan: TablePlan, index: int, attempt: int, rng: random.Random
) -> tuple[dict[str, Any] | None, str | None]:
    """One candidate row, or None and why no value could be found for one of its columns."""
    row: dict[str, Any] = {}
    omit = plan.omittable if plan.omittable and rng.random() < DEFAULT_SHARE else ()
    fk_cols = plan.fk_columns
    for name, maker in plan.makers.items():
        if name in omit and not _boundary_row(plan, maker, name, index, attempt):
            row[name] = DEFAULT
        elif name not in fk_cols:
            value = _value(plan, maker, name, index, attempt, rng)
            if value is MISSING:
                return None, f"no {maker.spec.type} value for {name} meets its constraints"
            row[name] = value
    for picker in plan.fks:
        problem = picker.assign(row, index, attempt, rng, NULL_SHARE)
        if problem is not None:
            return None, problem
    for fk in plan.deferred:
        nullable = all_nullable(plan.table, fk.columns)
        for name in fk.columns:
            if name in plan.makers and name not in row:
                placeholder = _value(plan, plan.makers[name], name, index, attempt, rng)
                row[name] = None if nullable or placeholder is MISSING else placeholder
    return row, None


def _boundary_row(plan: TablePlan, maker: ValueMaker, name: str, index: int, attempt: int) -> bool:
    """Whether this row carries one of the column's boundary values.

    A retry keeps the boundaries of the columns that did not cause it for a while (a row
    refused for a duplicate email should still carry the largest bigint), except in unique
    columns, where the boundary may be the duplicate.
    """
    j = index - plan.offsets.get(name, 0)
    keep = 1 if name in plan.unique_columns else ATTEMPTS // 2
    return attempt < keep and 0 <= j < len(maker.boundaries)


def _value(
    plan: TablePlan, maker: ValueMaker, name: str, index: int, attempt: int, rng: random.Random
) -> Any:
    """A boundary on its row, else NULL now and then, else a unique or a common value."""
    spec = maker.spec
    if _boundary_row(plan, maker, name, index, attempt):
        return maker.boundaries[index - plan.offsets.get(name, 0)]
    if spec.nullable and not spec.hint.not_null and rng.random() < NULL_SHARE:
        return None
    if name in plan.driven:
        value = maker.unique(index, attempt, rng)
        return None if value is MISSING and spec.nullable else value
    return maker.common(rng)


def _reject(
    plan: TablePlan, row: dict[str, Any], seen: dict[tuple[str, ...], set[tuple[Any, ...]]]
) -> str | None:
    """Why the row cannot go in (a repeated unique key, a failed check), else None, and then
    its unique keys are taken."""
    keys: list[tuple[tuple[str, ...], tuple[Any, ...]]] = []
    for columns in plan.unique_sets:
        values = tuple(row.get(c) for c in columns)
        if any(v is None or v is DEFAULT for v in values):
            continue
        key = tuple(unique_key(v) for v in values)
        if key in seen[columns]:
            return f"no unused value for unique ({', '.join(columns)})"
        keys.append((columns, key))
    visible = {k.lower(): v for k, v in row.items() if v is not DEFAULT}
    for fk in plan.deferred:
        for name in fk.columns:
            visible.pop(name.lower(), None)  # placeholders: linked later
    for check in plan.checks:
        if not check.holds(visible):
            return f"check {check.name or check.expression} not met"
    for columns, key in keys:
        seen[columns].add(key)
    return None
