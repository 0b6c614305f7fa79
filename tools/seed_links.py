"""Foreign keys while seeding: picking parent keys for new rows, linking cycles afterwards.

Children point at keys their parents really hold, read back from the database after the parent
loaded (identity values are the database's to choose). Popular parents get many children
(Zipf-like), a nullable key is NULL in about one row in ten, and a key that is also unique
(one-to-one tables, `profile.user_id`) takes each parent at most once.

Keys that close a cycle or point at their own table cannot be chosen while the rows are
inserted; `link_deferred` sets them afterwards with UPDATEs, shaping a self-reference into a
forest (each row's parent is an earlier row, the first rows are roots).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .schema import ForeignKey, Schema, Table
from .seed_checks import CompiledCheck
from .seed_kinds import MISSING, zipf_weights
from .seed_load import Loader
from .seed_values import unique_key

LINK_ATTEMPTS = 8


def table_unique_sets(table: Table) -> list[tuple[str, ...]]:
    """Column sets the table keeps unique (primary key, uniques, plain unique indexes)."""
    sets = [tuple(table.primary_key)] if table.primary_key else []
    sets += [tuple(u.columns) for u in table.uniques]
    sets += [
        tuple(i.columns)
        for i in table.indexes
        if i.unique and not i.is_expression and all(table.has_column(c) for c in i.columns)
    ]
    return [s for s in dict.fromkeys(sets) if s]


def _all_nullable(table: Table, columns: Sequence[str]) -> bool:
    return all(table.column(c).nullable and c not in table.primary_key for c in columns)


@dataclass
class FkPicker:
    """Chooses parent keys for one foreign key of a table that loads after its parent."""

    fk: ForeignKey
    order: list[tuple[Any, ...]]
    nullable: bool
    one_to_one: bool
    cum: list[float] = field(default_factory=list)
    _by_fixed: dict[tuple[int, ...], dict[tuple[Any, ...], list[tuple[Any, ...]]]] = field(
        default_factory=dict
    )

    @classmethod
    def build(
        cls, loader: Loader, schema: Schema, table: Table, fk: ForeignKey, rng: random.Random
    ) -> FkPicker:
        keys = loader.keys(fk.ref_table, fk.ref_columns) if schema.has_table(fk.ref_table) else []
        rng.shuffle(keys)  # the popular parents are not simply the first ones
        one_to_one = any(set(s) <= set(fk.columns) for s in table_unique_sets(table))
        return cls(
            fk,
            keys,
            _all_nullable(table, fk.columns),
            one_to_one,
            zipf_weights(len(keys), 0.8) if keys else [],
        )

    def assign(
        self, row: dict[str, Any], index: int, attempt: int, rng: random.Random, null_share: float
    ) -> str | None:
        """Set the key columns in `row`; a reason when no key fits (the row is retried)."""
        cols = self.fk.columns
        fixed = {i: row[c] for i, c in enumerate(cols) if row.get(c) is not None}
        if len(fixed) == len(cols):
            return None  # set by an overlapping composite key already
        if not fixed and self.nullable and rng.random() < null_share:
            row.update({c: None for c in cols})
            return None
        candidates = self._matching(fixed) if fixed else self.order
        if not candidates:
            if self.nullable:
                row.update({c: None for c in cols if c not in row})
                return None
            return f"no row in {self.fk.ref_table} to reference"
        if self.one_to_one and not fixed:
            if index >= len(self.order) and attempt == 0:
                if self.nullable:
                    row.update({c: None for c in cols})
                    return None
                return f"more rows than {self.fk.ref_table} has keys for a one-to-one key"
            key = self.order[index] if attempt == 0 else rng.choice(self.order)
        elif candidates is self.order:
            key = rng.choices(self.order, cum_weights=self.cum)[0]
        else:
            key = rng.choice(candidates)
        row.update(dict(zip(cols, key, strict=True)))
        return None

    def _matching(self, fixed: dict[int, Any]) -> list[tuple[Any, ...]]:
        positions = tuple(sorted(fixed))
        index = self._by_fixed.get(positions)
        if index is None:
            index = {}
            for key in self.order:
                index.setdefault(tuple(unique_key(key[p]) for p in positions), []).append(key)
            self._by_fixed[positions] = index
        return index.get(tuple(unique_key(fixed[p]) for p in positions), [])


def link_deferred(
    loader: Loader,
    table: Table,
    fk: ForeignKey,
    checks: list[CompiledCheck],
    rng: random.Random,
    dropped: Counter[str],
) -> None:
    """Point the rows of `table` at parents that now exist (the keys were NULL or placeholders)."""
    nullable = _all_nullable(table, fk.columns)
    key = _row_key(table)
    if not key:
        if not nullable:
            _link_all(loader, table, fk, dropped)
        return  # no way to address single rows: the keys stay NULL
    fk_cols = set(fk.columns)
    sets = [s for s in table_unique_sets(table) if fk_cols & set(s)]
    relevant = [c for c in checks if {n.lower() for n in fk.columns} & c.columns]
    extra = {c for s in sets for c in s} | {
        col.name for col in table.columns if any(col.name.lower() in c.columns for c in relevant)
    }
    read = list(dict.fromkeys([*key, *sorted(extra - fk_cols - set(key))]))
    existing = loader.rows(table.name, read, key)
    self_tree = fk.ref_table == table.name and set(fk.ref_columns) == set(key)
    parents = [] if self_tree else loader.keys(fk.ref_table, fk.ref_columns)
    rng.shuffle(parents)
    cum = zipf_weights(len(parents), 0.8) if parents else []
    one_to_one = any(set(s) <= fk_cols for s in sets)
    seen: dict[tuple[str, ...], set[tuple[Any, ...]]] = {s: set() for s in sets}
    updates: list[tuple[Sequence[Any], Sequence[Any]]] = []
    for i, values in enumerate(existing):
        current = dict(zip(read, values, strict=True))
        pk = tuple(current[c] for c in key)
        chosen: Any = MISSING
        for attempt in range(LINK_ATTEMPTS):
            if nullable and rng.random() < 0.1:
                candidate = None
            elif self_tree:
                target = existing[int(i * rng.random() ** 2)] if i else values
                ref = dict(zip(read, target, strict=True))
                candidate = tuple(ref[c] for c in fk.ref_columns)
                if i == 0 and nullable:
                    candidate = None
            elif one_to_one and attempt == 0:
                candidate = parents[i] if i < len(parents) else None
            else:
                candidate = rng.choices(parents, cum_weights=cum)[0] if parents else None
            if candidate is None and not nullable:
                continue
            trial = {**current, **_key_values(fk, candidate)}
            if _fits(trial, sets, seen, relevant):
                chosen = candidate
                break
        if chosen is MISSING:
            if not nullable:
                loader.delete(table.name, key, pk)
                dropped[f"no key in {fk.ref_table} fits {table.name}'s constraints"] += 1
                continue
            chosen = None
        trial = {**current, **_key_values(fk, chosen)}
        _remember(trial, sets, seen)
        if chosen is not None or not nullable:
            updates.append((chosen, pk))
    for position, reason in loader.update(table.name, fk.columns, key, updates):
        if not nullable:
            loader.delete(table.name, key, updates[position][1])
            dropped[reason[:200]] += 1


def _key_values(fk: ForeignKey, key: Sequence[Any] | None) -> dict[str, Any]:
    values = key if key is not None else [None] * len(fk.columns)
    return dict(zip(fk.columns, values, strict=True))


def _row_key(table: Table) -> tuple[str, ...]:
    if table.primary_key:
        return tuple(table.primary_key)
    for columns in table_unique_sets(table):
        if all(not table.column(c).nullable for c in columns):
            return columns
    return ()


def _fits(
    row: dict[str, Any],
    sets: list[tuple[str, ...]],
    seen: dict[tuple[str, ...], set[tuple[Any, ...]]],
    checks: list[CompiledCheck],
) -> bool:
    for columns in sets:
        values = tuple(row.get(c) for c in columns)
        if all(v is not None for v in values) and tuple(map(unique_key, values)) in seen[columns]:
            return False
    lowered = {k.lower(): v for k, v in row.items()}
    return all(c.holds(lowered) for c in checks)


def _remember(
    row: dict[str, Any],
    sets: list[tuple[str, ...]],
    seen: dict[tuple[str, ...], set[tuple[Any, ...]]],
) -> None:
    for columns in sets:
        values = tuple(row.get(c) for c in columns)
        if all(v is not None for v in values):
            seen[columns].add(tuple(map(unique_key, values)))


def _link_all(loader: Loader, table: Table, fk: ForeignKey, dropped: Counter[str]) -> None:
    """A NOT NULL cycle key in a table without a key: every row gets the first parent."""
    parents = loader.keys(fk.ref_table, fk.ref_columns)
    if not parents:
        dropped[f"no row in {fk.ref_table} to reference"] += loader.count(table.name)
        loader.execute(f"DELETE FROM {loader.q(table.name)}")
        return
    sets = ", ".join(f"{loader.q(c)} = {loader.mark}" for c in fk.columns)
    loader.execute(
        f"UPDATE {loader.q(table.name)} SET {sets}", [loader.adapt(v) for v in parents[0]]
    )
