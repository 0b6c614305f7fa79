"""What data a migration says it changes, so `datacheck.compare` can tell loss from failure.

A dropped column's checksum vanishing is the plan working; an unrelated column's checksum
moving is a bug. `declared_changes` reads that from the operations: drops lose data, renames
move it, backfills and type changes that do not widen rewrite it, raw SQL that runs UPDATE,
DELETE or INSERT may change anything in the tables it names. Names are tracked back to the
ones the data had before the migration, because the "before" snapshot uses those.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from . import ops as o
from .errors import MigwrightError
from .schema import Schema


@dataclass(frozen=True)
class DeclaredChanges:
    """Changes to data the migration announces, in the names of the data before it."""

    dropped_tables: frozenset[str] = frozenset()
    dropped_columns: frozenset[tuple[str, str]] = frozenset()
    #: Tables whose rows may all change (raw SQL data changes).
    changed_tables: frozenset[str] = frozenset()
    #: Columns whose values may change (backfills, narrowing or converting type changes).
    changed_columns: frozenset[tuple[str, str]] = frozenset()
    renamed_tables: Mapping[str, str] = field(default_factory=dict)
    #: (table before, column before) -> column name after.
    renamed_columns: Mapping[tuple[str, str], str] = field(default_factory=dict)


def declared_changes(
    operations: Iterable[o.Operation], before: Schema | None = None
) -> DeclaredChanges:
    """The data changes `operations` declare. With `before`, type changes that only widen
    (`ops.widens`) are not declared as changes, so a checksum that moves anyway is a failure."""
    tracker = _Tracker(before)
    for op in operations:
        tracker.add(op)
    return tracker.result()


class _Tracker:
    def __init__(self, before: Schema | None) -> None:
        self.state = before
        self.tables: dict[str, str] = {}  # current name -> original name
        self.columns: dict[tuple[str, str], str] = {}  # (original table, current) -> original
        self.dropped_tables: set[str] = set()
        self.dropped_columns: set[tuple[str, str]] = set()
        self.changed_tables: set[str] = set()
        self.changed_columns: set[tuple[str, str]] = set()
        self.renamed_tables: dict[str, str] = {}
        self.renamed_columns: dict[tuple[str, str], str] = {}

    def table(self, current: str) -> str:
        return self.tables.get(current, current)

    def column(self, table: str, current: str) -> tuple[str, str]:
        original = self.table(table)
        return original, self.columns.get((original, current), current)

    def add(self, op: o.Operation) -> None:
        if isinstance(op, o.RawSQL):
            self.changed_tables.update(self.table(t) for t in _dml_tables(op.sql))
            for effect in op.effects:
                self.add(effect)
            return
        self._record(op)
        if self.state is not None:
            try:
                self.state = op.apply(self.state)
            except MigwrightError:
                self.state = None  # the plan does not fit `before`: stop judging widenings

    def _record(self, op: o.Operation) -> None:
        if isinstance(op, o.DropTable):
            self.dropped_tables.add(self.table(op.name))
        elif isinstance(op, o.DropColumn):
            self.dropped_columns.add(self.column(op.table, op.column))
        elif isinstance(op, o.RenameTable):
            original = self.table(op.old)
            self.tables.pop(op.old, None)
            self.tables[op.new] = original
            self.renamed_tables[original] = op.new
        elif isinstance(op, o.RenameColumn):
            original_table, original = self.column(op.table, op.old)
            self.columns.pop((original_table, op.old), None)
            self.columns[(original_table, op.new)] = original
            self.renamed_columns[(original_table, original)] = op.new
        elif isinstance(op, o.Backfill | o.AlterColumn) and self._rewrites(op):
            self.changed_columns.add(self.column(op.table, op.column))

    def _rewrites(self, op: o.Backfill | o.AlterColumn) -> bool:
        """A backfill, a conversion (USING) or a type change that does not only widen."""
        if isinstance(op, o.Backfill):
            return True
        if op.using:
            return True
        return op.type is not None and not self._widens(op)

    def _widens(self, op: o.AlterColumn) -> bool:
        if self.state is None or op.type is None:
            return False
        try:
            old = self.state.table(op.table).column(op.column).type
        except MigwrightError:
            return False
        return o.widens(old, op.type)

    def result(self) -> DeclaredChanges:
        return DeclaredChanges(
            frozenset(self.dropped_tables),
            frozenset(self.dropped_columns),
            frozenset(self.changed_tables),
            frozenset(self.changed_columns),
            dict(self.renamed_tables),
            dict(self.renamed_columns),
        )


def _dml_tables(sql: str) -> set[str]:
    """Tables that UPDATE, DELETE, INSERT or MERGE statements in `sql` write to."""
    try:
        statements = sqlglot.parse(sql, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return set()
    found: set[str] = set()
    for statement in statements:
        if statement is None:
            continue
        for node in statement.walk():
            if isinstance(node, exp.Update | exp.Delete | exp.Insert | exp.Merge):
                target = node.this
                while target is not None and not isinstance(target, exp.Table):
                    target = target.this if isinstance(target, exp.Expr) else None
                if isinstance(target, exp.Table) and target.name:
                    found.add(target.name)
    return found
