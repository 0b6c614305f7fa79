"""How a seed is laid out: the order tables load in, and a plan per table.

`load_order` groups the tables into the strongly connected components of the foreign key graph
(a table alone, or the tables of a cycle) and sorts the groups parents first; inside a cycle it
picks the order that leaves the fewest NOT NULL keys pointing at rows not loaded yet.

`TablePlan` is everything row generation needs for one table, worked out once: a value maker
per column the seeder fills (identity columns are the database's), the foreign keys with their
parents' keys, the unique column sets and the column in each that gets injective values, the
checks compiled for Python, the defaults that may be left to the database, and the limits the
canonical types hide (read from MySQL's catalog).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .dialects.base import is_literal, parse_default
from .ops import expression_columns
from .schema import ForeignKey, Schema, Table, canonical_type
from .seed_checks import CompiledCheck, compile_check
from .seed_hints import Hint, column_hints
from .seed_kinds import Boolean, Choice
from .seed_links import FkPicker
from .seed_load import Loader
from .seed_values import ColumnSpec, ValueMaker

# ---------------------------------------------------------------------------------------------
# Order: parents first, cycles as units
# ---------------------------------------------------------------------------------------------


def load_order(schema: Schema, names: Iterable[str]) -> list[tuple[str, ...]]:
    """Groups of tables to load together, parents before children.

    A group is a strongly connected component of the foreign key graph: one table, or the
    tables of a cycle (a self-reference keeps its table alone). Within a group the order is
    the one that leaves the fewest NOT NULL keys pointing forward.
    """
    chosen = sorted(set(names))
    parents = {
        t: {fk.ref_table for fk in schema.table(t).foreign_keys if fk.ref_table in chosen}
        for t in chosen
    }
    reach = {t: _reachable(t, parents) for t in chosen}
    units: dict[str, tuple[str, ...]] = {}
    for t in chosen:
        members = tuple(sorted(u for u in chosen if u == t or (u in reach[t] and t in reach[u])))
        units[t] = members
    groups = sorted(set(units.values()))
    needs = {g: {units[p] for t in g for p in parents[t]} - {g} for g in groups}
    ordered: list[tuple[str, ...]] = []
    done: set[tuple[str, ...]] = set()
    while len(ordered) < len(groups):
        ready = [g for g in groups if g not in done and needs[g] <= done]
        group = ready[0]
        ordered.append(_within(schema, group))
        done.add(group)
    return ordered


def _reachable(start: str, parents: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        for p in parents[stack.pop()]:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def _within(schema: Schema, group: tuple[str, ...]) -> tuple[str, ...]:
    """The cycle's best load order; every permutation is tried for cycles up to six tables
    (720 orders), larger ones keep name order and relax their foreign keys if they must."""
    if len(group) == 1 or len(group) > 6:
        return group
    return min(
        itertools.permutations(group), key=lambda order: (_forward_required(schema, order), order)
    )


def _forward_required(schema: Schema, order: tuple[str, ...]) -> int:
    return sum(
        1 for t, fk in deferred_keys(schema, order) if not all_nullable(schema.table(t), fk.columns)
    )


def deferred_keys(schema: Schema, order: tuple[str, ...]) -> list[tuple[str, ForeignKey]]:
    """Foreign keys whose parent rows do not exist yet when their table loads."""
    position = {t: i for i, t in enumerate(order)}
    return [
        (t, fk)
        for t in order
        for fk in schema.table(t).foreign_keys
        if fk.ref_table in position and position[fk.ref_table] >= position[t]
    ]


def all_nullable(table: Table, columns: Iterable[str]) -> bool:
    """Whether a key may be NULL: every column nullable and none in the primary key."""
    return all(table.column(c).nullable and c not in table.primary_key for c in columns)


@dataclass
class TablePlan:
    """What row generation needs for one table (see the module docstring)."""

    table: Table
    makers: dict[str, ValueMaker]
    fks: list[FkPicker]
    deferred: list[ForeignKey]
    unique_sets: list[tuple[str, ...]]
    driven: set[str]
    checks: list[CompiledCheck]
    opaque: bool
    omittable: tuple[str, ...]
    offsets: dict[str, int] = field(default_factory=dict)

    @cached_property
    def unique_columns(self) -> set[str]:
        return {c for s in self.unique_sets for c in s}

    @cached_property
    def fk_columns(self) -> set[str]:
        return {c for p in self.fks for c in p.fk.columns} | {
            c for fk in self.deferred for c in fk.columns
        }


def table_plan(
    loader: Loader,
    schema: Schema,
    table: Table,
    deferred: list[ForeignKey],
    seed: int,
    rows: int,
) -> TablePlan:
    """The plan for `table`; `deferred` are its keys into rows that do not exist yet."""
    compiled = [compile_check(c) for c in table.checks]
    checks = [c for c in compiled if c is not None]
    hints = column_hints(checks)
    live = _live_facts(loader, table)
    rng = random.Random(f"{seed}:{table.name}:values")
    omitted = _database_assigned(loader.dialect, table)
    makers: dict[str, ValueMaker] = {}
    for column in table.columns:
        if column.name in omitted:
            continue
        facts = dict(live.get(column.name, {}))
        canonical = facts.pop("type", None) or canonical_type(column.type)
        enum = schema.enum(canonical)
        spec = ColumnSpec(
            column.name,
            canonical,
            nullable=column.nullable and column.name not in table.primary_key,
            enum_values=enum.values if enum else None,
            hint=hints.get(column.name.lower(), Hint()),
            **facts,
        )
        makers[column.name] = ValueMaker(spec, rng, rows)
    pickers = [
        FkPicker.build(loader, schema, table, fk, random.Random(f"{seed}:{table.name}:{fk}"))
        for fk in sorted(
            (fk for fk in table.foreign_keys if fk not in deferred),
            key=lambda fk: (-len(fk.columns), fk.columns),
        )
    ]
    unique_sets = _unique_sets(table, omitted)
    fk_cols = {c for p in pickers for c in p.fk.columns} | {c for f in deferred for c in f.columns}
    checked = {c for ck in table.checks for c in expression_columns(ck.expression)}
    omittable = tuple(
        c.name
        for c in table.columns
        if _constant_default(c.default)
        and c.name in makers
        and c.name not in fk_cols
        and c.name not in checked
        and not any(c.name in s for s in unique_sets)
    )
    offsets = {c.name: (i * 3) % 11 for i, c in enumerate(table.columns)}
    return TablePlan(
        table,
        makers,
        pickers,
        list(deferred),
        unique_sets,
        _drivers(unique_sets, makers, pickers, fk_cols),
        checks,
        any(c is None for c in compiled),
        omittable,
        offsets,
    )


def _constant_default(default: str | None) -> bool:
    """A literal default; now(), random() or uuid() would make the rows differ run to run."""
    if default is None:
        return False
    tree = parse_default(default)
    return tree is not None and is_literal(tree)


def _database_assigned(dialect: str, table: Table) -> set[str]:
    """Identity columns; on SQLite only the rowid alias numbers itself."""
    if dialect == "sqlite":
        pk = table.primary_key
        return {c.name for c in table.columns if c.identity and pk == (c.name,)}
    return {c.name for c in table.columns if c.identity}


def _unique_sets(table: Table, omitted: set[str]) -> list[tuple[str, ...]]:
    """Column sets that must not repeat; a partial or expression index counts in full (safer).

    Sets with a column the database numbers itself are unique already and left out.
    """
    sets = [tuple(table.primary_key)] if table.primary_key else []
    sets += [tuple(u.columns) for u in table.uniques]
    for index in (i for i in table.indexes if i.unique):
        cols: list[str] = []
        for element in index.columns:
            cols += [element] if table.has_column(element) else sorted(expression_columns(element))
        sets.append(tuple(dict.fromkeys(cols)))
    kept = [s for s in dict.fromkeys(sets) if s and not set(s) & omitted]
    return [s for s in kept if all(table.has_column(c) for c in s)]


def _drivers(
    unique_sets: list[tuple[str, ...]],
    makers: dict[str, ValueMaker],
    pickers: list[FkPicker],
    fk_cols: set[str],
) -> set[str]:
    """One column per unique set gets injective values, so the set cannot repeat.

    Key columns cannot (their values are the parents'), nor can booleans and closed lists;
    a set of such columns only is left to retries, and a set inside one foreign key is
    one-to-one, which `FkPicker` handles.
    """
    driven: set[str] = set()
    for columns in sorted(unique_sets, key=len):
        if driven & set(columns) or any(set(columns) <= set(p.fk.columns) for p in pickers):
            continue
        for name in columns:
            maker = makers.get(name)
            weak = maker is None or isinstance(maker.kind, Choice | Boolean)
            if name not in fk_cols and not weak:
                driven.add(name)
                break
    return driven


def _live_facts(loader: Loader, table: Table) -> dict[str, dict[str, Any]]:
    """Limits the canonical type hides, from MySQL's catalog: tinyint and unsigned ranges,
    TEXT and BLOB sizes, binary lengths, charsets, TIMESTAMP's 1970-2038 window, and FLOAT
    (which the canonical type calls double)."""
    if loader.dialect != "mysql":
        return {}
    facts: dict[str, dict[str, Any]] = {}
    for name, data_type, column_type, charset, octets in loader.mysql_columns(table.name):
        entry: dict[str, Any] = {}
        if data_type in _INT_BITS and column_type != "tinyint(1)":
            bits = _INT_BITS[data_type]
            if "unsigned" in column_type:
                low, high = 0, 2**bits - 1
            else:
                low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
            entry["int_range"] = (low, min(high, 2**63 - 1))
        if data_type in _LOB_BYTES:
            entry["max_bytes"] = _LOB_BYTES[data_type]
        elif data_type in ("binary", "varbinary") and octets:
            entry["max_bytes"] = octets
        if charset:
            entry["charset"] = _CHARSETS.get(charset, "full")
        if data_type == "timestamp":
            entry["time_range"] = (dt.datetime(1970, 1, 2), dt.datetime(2038, 1, 18))
        if data_type == "float":
            entry["type"] = "real"
        facts[name] = entry
    return facts


_INT_BITS = {"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "bigint": 64}
_LOB_BYTES = {
    "tinytext": 255,
    "text": 65535,
    "mediumtext": 16777215,
    "tinyblob": 255,
    "blob": 65535,
    "mediumblob": 16777215,
}
_CHARSETS = {"utf8mb3": "bmp", "utf8": "bmp", "latin1": "latin1", "ascii": "ascii"}
