"""Schema.diff: the operations that turn one schema into another.

The order follows Alembic's autogenerate and Django's autodetector, because each step must be
valid on the schema the steps before it left behind (every operation is applied as it is
emitted, so a diff that would not apply fails here, not on a database):

1. drop the foreign keys, indexes, unique and check constraints that go away (and the foreign
   keys that must be dropped so something they depend on can change: a referenced key or
   table that is rebuilt, a column type that changes under them);
2. drop tables, referencing tables first;
3. create enum types, or add values to them;
4. create tables, referenced tables first; a foreign key whose target is not there yet is
   added in step 9;
5. add columns, 6. alter columns, 7. drop columns;
8. add unique constraints, checks and indexes;
9. add foreign keys; 10. drop enum types.

Items are matched on their normalised form (`Schema.normalized()`), so a diff is empty exactly
when `a.same_as(b)`, and names the database made up (`orders_user_id_fkey`) never cause a
change. Renames are not detected: a rename shows as drop + add, and asking "rename or
replace?" is the questioner's job. What the operations cannot express in place (a new primary
key, identity switched on or off, a comment) rebuilds the table: drop and create, which the
lint rules then flag as destructive.

Unnamed constraints that a diff adds get the names PostgreSQL would have given them
(`orders_user_id_fkey`), so their reverse can drop them by name and they still compare as
unnamed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from .errors import SchemaError
from .ops import (
    KEEP,
    AddCheck,
    AddColumn,
    AddEnumValue,
    AddForeignKey,
    AddUnique,
    AlterColumn,
    CreateEnum,
    CreateIndex,
    CreateTable,
    DropColumn,
    DropConstraint,
    DropEnum,
    DropIndex,
    DropTable,
    Operation,
    expression_columns,
)
from .schema import (
    MAX_IDENTIFIER,
    CheckConstraint,
    EnumType,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
    canonical_type,
)

Constraint = ForeignKey | UniqueConstraint | CheckConstraint
T = TypeVar("T")
C = TypeVar("C", ForeignKey, UniqueConstraint, CheckConstraint)


def diff_schemas(a: Schema, b: Schema) -> list[Operation]:
    """Operations that turn `a` into `b`; `apply_all(result, a).same_as(b)` holds."""
    return _Differ(a, b).run()


@dataclass
class _TableChange:
    """What changes inside one table that exists on both sides (and is not rebuilt)."""

    a: Table
    b: Table
    drop_fks: list[ForeignKey] = field(default_factory=list)
    readd_fks: list[ForeignKey] = field(default_factory=list)  # dropped first, then added again
    add_fks: list[ForeignKey] = field(default_factory=list)
    drop_indexes: list[Index] = field(default_factory=list)
    add_indexes: list[Index] = field(default_factory=list)
    drop_uniques: list[UniqueConstraint] = field(default_factory=list)
    add_uniques: list[UniqueConstraint] = field(default_factory=list)
    drop_checks: list[CheckConstraint] = field(default_factory=list)
    add_checks: list[CheckConstraint] = field(default_factory=list)
    retyped: set[str] = field(default_factory=set)  # lower-case names of columns whose type changes


class _Differ:
    def __init__(self, a: Schema, b: Schema) -> None:
        self.a, self.b = a, b
        self.state = a
        self.ops: list[Operation] = []
        self.a_tables = {t.name.lower(): t for t in a.tables}
        self.b_tables = {t.name.lower(): t for t in b.tables}
        common = [n for n in self.a_tables if n in self.b_tables]
        self.rebuilt = {n for n in common if _needs_rebuild(self.a_tables[n], self.b_tables[n])}
        self.dropped = {n for n in self.a_tables if n not in self.b_tables}
        self.created = {n for n in self.b_tables if n not in self.a_tables}
        self.changes = {
            n: _compare(self.a_tables[n], self.b_tables[n]) for n in common if n not in self.rebuilt
        }
        self.deferred_fks: list[tuple[str, ForeignKey]] = []
        self._mark_dependent_fks()

    def emit(self, op: Operation) -> None:
        self.state = op.apply(self.state)
        self.ops.append(op)

    def run(self) -> list[Operation]:
        self.drop_constraints()
        self.drop_tables()
        self.create_or_change_enums()
        self.create_tables()
        for change in self.changes.values():
            self.change_columns(change)
        self.add_constraints()
        self.drop_enums()
        return self.ops

    # -- 1. what goes away ---------------------------------------------------------------------
    def _mark_dependent_fks(self) -> None:
        """Foreign keys that stay but must be dropped and re-added around a change they see."""
        for change in self.changes.values():
            change.readd_fks = [
                fk
                for fk in change.a.foreign_keys
                if fk not in change.drop_fks and self._fk_must_move(change.a, fk)
            ]

    def _fk_must_move(self, table: Table, fk: ForeignKey) -> bool:
        target = fk.ref_table.lower()
        if target in self.rebuilt:
            return True
        if any(c.lower() in self.changes[table.name.lower()].retyped for c in fk.columns):
            return True  # MySQL refuses to change the type of a column inside a foreign key
        ref = self.changes.get(target)
        if ref is None:
            return False
        if any(c.lower() in ref.retyped for c in fk.ref_columns):
            return True
        cols = tuple(c.lower() for c in fk.ref_columns)
        backing = [u.columns for u in ref.drop_uniques] + [
            i.columns for i in ref.drop_indexes if i.unique
        ]
        pk = tuple(c.lower() for c in ref.a.primary_key)
        return cols != pk and any(tuple(c.lower() for c in k) == cols for k in backing)

    def drop_constraints(self) -> None:
        for change in self.changes.values():
            name = change.a.name
            for fk in [*change.drop_fks, *change.readd_fks]:
                self.emit(DropConstraint(name, _name_of(fk, name, "foreign key")))
        for change in self.changes.values():
            name = change.a.name
            for index in change.drop_indexes:
                self.emit(DropIndex(name, index.name))
            gone: list[UniqueConstraint | CheckConstraint] = [
                *change.drop_uniques,
                *change.drop_checks,
            ]
            for item in gone:
                what = "unique constraint" if isinstance(item, UniqueConstraint) else "check"
                self.emit(DropConstraint(name, _name_of(item, name, what)))

    def drop_tables(self) -> None:
        """Drop gone and rebuilt tables, each after the tables in the set that reference it."""
        remaining = sorted(self.dropped | self.rebuilt)
        while remaining:
            free = [n for n in remaining if not self._referenced_within(n, remaining)]
            if not free:
                # A cycle: break it by dropping the keys between the remaining tables.
                for n in remaining:
                    table = self.state.table(self.a_tables[n].name)
                    for fk in table.foreign_keys:
                        if fk.ref_table.lower() in remaining and fk.ref_table.lower() != n:
                            self.emit(
                                DropConstraint(table.name, _name_of(fk, table.name, "foreign key"))
                            )
                continue
            for n in free:
                self.emit(DropTable(self.a_tables[n].name))
                remaining.remove(n)

    def _referenced_within(self, name: str, tables: list[str]) -> bool:
        return any(
            other.name.lower() in tables and other.name.lower() != name
            for other, _fk in self.state.referencing(self.a_tables[name].name)
        )

    # -- 3. enum types ------------------------------------------------------------------------
    def create_or_change_enums(self) -> None:
        before = {e.name.lower(): e for e in self.a.enums}
        for enum in self.b.enums:
            old = before.get(enum.name.lower())
            if old is None:
                self.emit(CreateEnum(enum))
            elif old.values != enum.values:
                self._change_enum(old, enum)

    def _change_enum(self, old: EnumType, new: EnumType) -> None:
        if _is_subsequence(old.values, new.values):
            current = list(old.values)
            for i, value in enumerate(new.values):
                if value in current:
                    continue
                if i > 0:
                    self.emit(AddEnumValue(old.name, value, after=new.values[i - 1]))
                    current.insert(current.index(new.values[i - 1]) + 1, value)
                else:
                    before = current[0] if current else None
                    self.emit(AddEnumValue(old.name, value, before=before))
                    current.insert(0, value)
            return
        # Values removed or reordered: PostgreSQL cannot do that in place. Move the columns to
        # text, recreate the type, and move them back.
        users = [
            (t.name, c.name)
            for t in self.state.tables
            for c in t.columns
            if canonical_type(c.type) == old.name.lower()
        ]
        for table, column in users:
            self.emit(AlterColumn(table, column, type="text"))
        self.emit(DropEnum(old.name))
        self.emit(CreateEnum(replace(new, name=old.name)))
        for table, column in users:
            self.emit(AlterColumn(table, column, type=old.name, using=f"{column}::{old.name}"))

    def drop_enums(self) -> None:
        wanted = {e.name.lower() for e in self.b.enums}
        for enum in self.a.enums:
            if enum.name.lower() not in wanted:
                self.emit(DropEnum(enum.name))

    # -- 4. new tables ------------------------------------------------------------------------
    def create_tables(self) -> None:
        remaining = sorted(self.created | self.rebuilt)
        while remaining:
            ready = [n for n in remaining if self._targets_ready(self.b_tables[n], remaining)]
            chosen = ready[0] if ready else remaining[0]  # a cycle: defer the keys that wait
            table = self.b_tables[chosen]
            inline = [fk for fk in table.foreign_keys if self._fk_ready(table, fk)]
            self.deferred_fks += [(table.name, fk) for fk in table.foreign_keys if fk not in inline]
            self.emit(CreateTable(replace(table, foreign_keys=tuple(inline))))
            remaining.remove(chosen)

    def _targets_ready(self, table: Table, waiting: list[str]) -> bool:
        return all(
            fk.ref_table.lower() == table.name.lower() or fk.ref_table.lower() not in waiting
            for fk in table.foreign_keys
        )

    def _fk_ready(self, table: Table, fk: ForeignKey) -> bool:
        if fk.ref_table.lower() == table.name.lower():
            return True
        target = next(
            (t for t in self.state.tables if t.name.lower() == fk.ref_table.lower()), None
        )
        return target is not None and _has_key(target, fk.ref_columns)

    # -- 5-7. columns -------------------------------------------------------------------------
    def change_columns(self, change: _TableChange) -> None:
        name = change.a.name
        a_cols = {c.name.lower(): c for c in change.a.columns}
        b_cols = {c.name.lower(): c for c in change.b.columns}
        a_norm = {c.name: c for c in _normalized(change.a).columns}
        b_norm = {c.name: c for c in _normalized(change.b).columns}
        for key, col in b_cols.items():
            if key not in a_cols:
                self.emit(AddColumn(name, col))
        for key, new in b_cols.items():
            if key not in a_cols:
                continue
            old_n, new_n = a_norm[key], b_norm[key]
            if old_n == new_n:
                continue
            self.emit(
                AlterColumn(
                    name,
                    a_cols[key].name,
                    type=new.type if old_n.type != new_n.type else None,
                    nullable=new_n.nullable if old_n.nullable != new_n.nullable else None,
                    default=new.default if old_n.default != new_n.default else KEEP,
                )
            )
        for key, col in a_cols.items():
            if key not in b_cols:
                self.emit(DropColumn(name, col.name))

    # -- 8-9. what comes in -------------------------------------------------------------------
    def add_constraints(self) -> None:
        for change in self.changes.values():
            name = change.a.name
            for unique in change.add_uniques:
                self.emit(AddUnique(name, self._named(unique, name)))
            for check in change.add_checks:
                self.emit(AddCheck(name, self._named(check, name)))
            for index in change.add_indexes:
                self.emit(CreateIndex(name, index))
        fks = [(c.a.name, fk) for c in self.changes.values() for fk in c.readd_fks]
        fks += [(c.a.name, fk) for c in self.changes.values() for fk in c.add_fks]
        fks += self.deferred_fks
        for table, fk in fks:
            self.emit(AddForeignKey(table, self._named(fk, table)))

    def _named(self, item: C, table: str) -> C:
        """`item` with the name PostgreSQL would give it, when it has none, so a reverse can
        drop it and it still compares as unnamed."""
        if item.name:
            return item
        taken = {
            n.lower() for t in (*self.state.tables, *self.b.tables) for n in t.constraint_names()
        }
        if isinstance(item, ForeignKey):
            base = _pg_name(table, item.columns, "fkey")
        elif isinstance(item, UniqueConstraint):
            base = _pg_name(table, item.columns, "key")
        else:
            cols = sorted(expression_columns(item.expression))
            base = _pg_name(table, cols if len(cols) == 1 else (), "check")
        name, n = base, 0
        while name.lower() in taken:
            n += 1
            name = f"{base}{n}"
        return replace(item, name=name)


# ---------------------------------------------------------------------------------------------
# Comparing one table
# ---------------------------------------------------------------------------------------------


def _normalized(table: Table) -> Table:
    return Schema((table,)).normalized().tables[0]


def _needs_rebuild(a: Table, b: Table) -> bool:
    """True when the operations cannot change `a` into `b` in place."""
    na, nb = _normalized(a), _normalized(b)
    if na.primary_key != nb.primary_key or na.comment != nb.comment:
        return True
    b_cols = {c.name: c for c in nb.columns}
    return any(
        c.name in b_cols
        and (c.identity, c.comment) != (b_cols[c.name].identity, b_cols[c.name].comment)
        for c in na.columns
    )


def _compare(a: Table, b: Table) -> _TableChange:
    change = _TableChange(a, b)
    change.drop_fks, change.add_fks = _split(a.foreign_keys, b.foreign_keys, a, b, _fk_key)
    change.drop_indexes, change.add_indexes = _split(a.indexes, b.indexes, a, b, _index_key)
    change.drop_uniques, change.add_uniques = _split(a.uniques, b.uniques, a, b, _unique_key)
    change.drop_checks, change.add_checks = _split(a.checks, b.checks, a, b, _check_key)
    a_types = {c.name: c.type for c in _normalized(a).columns}
    b_types = {c.name: c.type for c in _normalized(b).columns}
    change.retyped = {n for n, t in a_types.items() if n in b_types and b_types[n] != t}
    return change


def _split(
    old: Iterable[T], new: Iterable[T], a: Table, b: Table, key: Callable[[Table, T], object]
) -> tuple[list[T], list[T]]:
    """(items of `old` that are not in `new`, items of `new` that are not in `old`) by key."""
    old_keys = {key(a, item) for item in old}
    new_keys = {key(b, item) for item in new}
    gone = [item for item in old if (k := key(a, item)) is not None and k not in new_keys]
    came = [item for item in new if (k := key(b, item)) is not None and k not in old_keys]
    return gone, came


def _fk_key(table: Table, fk: ForeignKey) -> object:
    return _normalized(Table(table.name, primary_key=table.primary_key, foreign_keys=(fk,)))


def _index_key(table: Table, index: Index) -> object:
    return _normalized(Table(table.name, primary_key=table.primary_key, indexes=(index,)))


def _unique_key(table: Table, unique: UniqueConstraint) -> object:
    norm = _normalized(Table(table.name, primary_key=table.primary_key, uniques=(unique,)))
    return norm if norm.uniques else None  # a unique over the primary key means nothing more


def _check_key(table: Table, check: CheckConstraint) -> object:
    return _normalized(Table(table.name, primary_key=table.primary_key, checks=(check,)))


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _has_key(table: Table, columns: Iterable[str]) -> bool:
    """True when `columns` are the primary key or a unique key of `table` (a valid FK target)."""

    def lower(names: Iterable[str]) -> tuple[str, ...]:
        return tuple(n.lower() for n in names)

    keys = {lower(table.primary_key)} | {lower(u.columns) for u in table.uniques}
    keys |= {lower(i.columns) for i in table.indexes if i.unique and not i.where}
    return lower(columns) in keys


def _is_subsequence(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    it = iter(long)
    return all(value in it for value in short)


def _name_of(item: Constraint, table: str, what: str) -> str:
    if not item.name:
        raise SchemaError(
            f"cannot drop an unnamed {what} on {table}: nothing to call it by",
            "diff against a schema read from the database (introspect), where every "
            "constraint carries its real name",
        )
    return item.name


def _pg_name(table: str, columns: Iterable[str], suffix: str) -> str:
    """PostgreSQL's name for an unnamed constraint: `{table}_{columns}_{suffix}`, at most 63."""
    body = "_".join([table, *columns]).lower()
    if len(body) + len(suffix) + 1 > MAX_IDENTIFIER:
        digest = hashlib.sha1(body.encode()).hexdigest()[:8]
        body = f"{body[: MAX_IDENTIFIER - len(suffix) - 10]}_{digest}"
    return f"{body}_{suffix}"
