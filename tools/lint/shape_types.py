"""The vocabulary of statement shapes: `Shape` (what a statement does) and `Action` (one
action of an ALTER TABLE), shared by the readers in shape.py, shape_alter.py and shape_misc.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .cursor import Cursor
from .shape_parts import ColumnDef, Constraint


@dataclass(frozen=True)
class Action:
    """One action of an ALTER TABLE (they are comma-separated; each may be a risk of its own).

    kind: add_column, drop_column, alter_type, set_not_null, drop_not_null, set_default,
    drop_default, add_identity, add_constraint, validate_constraint, drop_constraint,
    rename_column, rename_table, modify_column, set_storage, detach_partition,
    attach_partition, algorithm, lock, drop_index, drop_primary_key, other.
    """

    kind: str
    column: str | None = None
    new_name: str | None = None
    column_def: ColumnDef | None = None
    constraint: Constraint | None = None
    type: str | None = None
    using: str | None = None
    value: str | None = None
    concurrently: bool = False
    if_exists: bool = False
    text: str = ""


@dataclass(frozen=True)
class Shape:
    """The reading of one statement. `kind` names it (create_index, alter_table, begin ...).

    `table` is the main table (qualified as written, quotes removed), `name` the object
    named by the statement (index, type, domain, trigger, schema), `flags` upper-case words
    such as CONCURRENTLY, UNIQUE, IF_EXISTS, CASCADE, FULL, OR_REPLACE, PARTITIONED.
    """

    kind: str
    table: str | None = None
    name: str | None = None
    tables: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()
    columns: tuple[ColumnDef, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    index_columns: tuple[str, ...] = ()
    flags: frozenset[str] = frozenset()
    options: Mapping[str, str] = field(default_factory=dict)
    renames: tuple[tuple[str, str], ...] = ()

    def has(self, flag: str) -> bool:
        return flag in self.flags

    def actions_of(self, *kinds: str) -> list[Action]:
        return [a for a in self.actions if a.kind in kinds]


Reader = Callable[[Cursor, str], Shape]

DDL_KINDS = frozenset(
    {
        "create_index", "drop_index", "create_table", "drop_table", "alter_table",
        "rename_table", "truncate", "reindex", "vacuum", "cluster", "alter_type",
        "create_type", "create_domain", "alter_domain", "create_trigger", "create_other",
        "drop_schema", "drop_database", "drop_other", "alter_schema", "alter_other", "comment",
    }
)  # fmt: skip
DML_KINDS = frozenset({"update", "delete", "insert", "merge", "copy"})
TXN_KINDS = frozenset({"begin", "commit", "rollback", "savepoint", "release", "rollback_to"})
