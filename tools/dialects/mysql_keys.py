"""MySQL's keys: unique keys that are indexes, and the indexes InnoDB keeps for foreign keys.

InnoDB needs an index on a foreign key's columns. When none exists it creates one (named like
the key, or like its first column), drops it silently once a better one is created, and refuses
to drop the last one a key can use. migwright's Schema does not hold that index, so the renderer
reasons about it here: which index serves a key, when a DROP INDEX would strand a key, when
dropping a key must also drop the index InnoDB made for it, and when that index's name would
depend on history (several keys on the same columns) so that migwright refuses.
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import DialectError
from ..ops import expression_columns
from ..schema import CheckConstraint, ForeignKey, Index, Schema, Table, normalize_expression
from .base import Dialect, Statement, stmt


def comparable_keys(table: Table) -> Table:
    """Keys as InnoDB keeps them: uniques are unique indexes, RESTRICT is NO ACTION (both are
    checked at once), no index methods, no `json_valid` check MariaDB adds to JSON columns."""
    names = {i.name for i in table.indexes}
    indexes = [replace(i, using=None) for i in table.indexes]
    for u in table.uniques:
        # a UNIQUE on the primary key's columns is still an index of its own here
        name = u.name or _free_name(u.columns[0], names)
        names.add(name)
        indexes.append(Index(name, tuple(u.columns), unique=True))
    fks = tuple(
        replace(
            fk,
            on_delete=None if fk.on_delete == "RESTRICT" else fk.on_delete,
            on_update=None if fk.on_update == "RESTRICT" else fk.on_update,
        )
        for fk in table.foreign_keys
    )
    checks = tuple(c for c in table.checks if not _is_json_valid(c))
    return replace(table, uniques=(), indexes=tuple(indexes), foreign_keys=fks, checks=checks)


#: Referential actions that write to the referencing columns (which a CHECK may then not read).
_WRITING_ACTIONS = {"on_delete": ("SET NULL", "SET DEFAULT"), "on_update": ("CASCADE", "SET NULL")}


def check_actions(table: Table) -> None:
    """Raise when a CHECK reads a column a foreign key's action writes (errors 1901 / 3823)."""
    for fk in table.foreign_keys:
        writes = [
            f"{attr.replace('_', ' ')} {getattr(fk, attr).lower()}"
            for attr, actions in _WRITING_ACTIONS.items()
            if getattr(fk, attr) in actions
        ]
        if not writes:
            continue
        for check in table.checks:
            used = expression_columns(check.expression) & set(fk.columns)
            if used:
                raise DialectError(
                    f"{table.name}: check {check.name or check.expression} reads "
                    f"{', '.join(sorted(used))}, which foreign key {fk.name or ''} "
                    f"writes ({', '.join(writes)}); MySQL and MariaDB forbid that",
                    "drop the check on that column, or use another referential action",
                )


def _free_name(base: str, taken: set[str]) -> str:
    """MySQL's name for an unnamed key: its first column, then `_2`, `_3` ..."""
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _is_json_valid(check: CheckConstraint) -> bool:
    return normalize_expression(check.expression).startswith("json_valid(")


# ---------------------------------------------------------------------------------------------
# Foreign keys and the indexes InnoDB keeps for them
# ---------------------------------------------------------------------------------------------


def keys(table: Table, without: str | None = None) -> list[tuple[str, ...]]:
    """Column lists of the primary key, uniques and plain indexes (InnoDB's usable indexes)."""
    found = [tuple(table.primary_key)] if table.primary_key else []
    found += [tuple(u.columns) for u in table.uniques if u.name != without]
    found += [tuple(i.columns) for i in table.indexes if i.name != without and not i.is_expression]
    return found


def supported(fk: ForeignKey, candidates: list[tuple[str, ...]]) -> bool:
    """Whether one of `candidates` (column lists) starts with the key's columns, in order."""
    return any(k[: len(fk.columns)] == tuple(fk.columns) for k in candidates)


def check_shared_index(table: Table) -> None:
    """Refuse foreign keys on the same columns that no index of the table's own serves.

    InnoDB would give them one index of its own, named after whichever key was added last, so
    its name would follow the table's history instead of its schema (a down and a re-up swap
    it), and no later statement could name it for sure. An explicit index makes it moot.
    """
    groups: dict[tuple[str, ...], list[ForeignKey]] = {}
    for fk in table.foreign_keys:
        if not supported(fk, keys(table)):
            groups.setdefault(tuple(fk.columns), []).append(fk)
    for columns, fks in groups.items():
        if len(fks) > 1:
            target = f"{table.name}({', '.join(columns)})"
            raise DialectError(
                f"foreign keys {', '.join(f.name or '(unnamed)' for f in fks)} on {target} "
                "would share an index InnoDB names after one of them",
                f"create an index on {target} first",
            )


def implicit_index(table: Table, fk: ForeignKey) -> str | None:
    """The name of the index InnoDB made for `fk`, or None when another index serves it."""
    if supported(fk, keys(table)):
        return None
    return fk.name or fk.columns[0]


def drop_foreign_key(d: Dialect, table: Table, fk: ForeignKey) -> list[Statement]:
    """DROP FOREIGN KEY, and the index InnoDB made for it, which outlives the key otherwise."""
    check_shared_index(table)
    alter = f"ALTER TABLE {d.quote(table.name)}"
    out = [stmt(f"{alter} DROP FOREIGN KEY {d.quote(fk.name or '')}")]
    name = implicit_index(table, fk)
    if name is not None:
        note = "the index InnoDB created for the foreign key stays otherwise"
        out.append(stmt(f"{alter} DROP INDEX {d.quote(name)}", note=note))
    return out


def drop_key(
    d: Dialect, table: Table, name: str, schema: Schema, lock: str = ""
) -> list[Statement]:
    """DROP INDEX `name` (an index or a unique key), keeping every foreign key working.

    InnoDB refuses to drop the last index a foreign key can use. Creating a replacement by hand
    is no way out: an index made by CREATE INDEX is never dropped silently later, so it would
    linger once a new index takes over. Instead the key is dropped together with the index and
    added again, which has InnoDB create the index it manages itself.
    """
    stranded = [
        fk
        for fk in table.foreign_keys
        if supported(fk, keys(table)) and not supported(fk, keys(table, without=name))
    ]
    if not stranded:
        return [stmt(f"DROP INDEX {d.quote(name)} ON {d.quote(table.name)}{lock}")]
    check_shared_index(
        replace(
            table,
            indexes=tuple(i for i in table.indexes if i.name != name),
            uniques=tuple(u for u in table.uniques if u.name != name),
        )
    )
    for fk in stranded:
        if not fk.name:
            raise DialectError(
                f"dropping {name} leaves an unnamed foreign key on {table.name} without an index",
                "name the foreign key (or create another index on its columns first)",
            )
    alter = f"ALTER TABLE {d.quote(table.name)}"
    drops = [f"DROP FOREIGN KEY {d.quote(fk.name or '')}" for fk in stranded]
    note = (
        f"InnoDB keeps an index for {', '.join(fk.name or '' for fk in stranded)}: "
        "the key is dropped with the index and added again, so InnoDB makes its own"
    )
    return [
        stmt(f"{alter} {', '.join([*drops, f'DROP INDEX {d.quote(name)}'])}", note=note),
        *(
            stmt(f"{alter} ADD {d.named(fk.name, d.foreign_key_clause(fk, schema))}")
            for fk in stranded
        ),
    ]
