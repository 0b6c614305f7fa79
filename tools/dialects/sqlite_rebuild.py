"""SQLite's table rebuild: the documented way to make the changes ALTER TABLE cannot.

SQLite's ALTER TABLE adds, renames and drops columns and renames tables; everything else
(changing a column, adding or dropping a key or a check) means building the table anew. This
follows "Making Other Kinds Of Table Schema Changes" on sqlite.org/lang_altertable.html:

1. `PRAGMA foreign_keys=OFF`, outside any transaction (inside one it is silently ignored), so
   dropping the old table neither cascades nor fails on the rows that reference it;
2. (BEGIN, added by the script around the transactional statements);
3. create `_migwright_new_<table>` with the table's new definition. References to the table
   itself are written with its final name, so they are right once the new table is renamed;
4. copy the rows with an explicit column list (a column the change adds takes its default; a
   type change copies through the conversion the caller gives);
5. drop the old table (its indexes go with it);
6. rename the new table to the old name: never the other way round, which would rewrite the
   references other tables hold;
7. recreate the table's indexes;
8. `PRAGMA foreign_key_check`: each row it returns is a reference the change broke; its count
   goes through a CHECK that fails on anything but zero, so the transaction rolls back;
9. (COMMIT), then `PRAGMA foreign_keys=ON` again, outside the transaction.

Views and triggers are not modelled by migwright's Schema, so none are recreated here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from ..schema import Schema, Table
from .base import Statement, create_indexes, stmt

if TYPE_CHECKING:
    from .sqlite import SQLiteDialect

PREFIX = "_migwright_new_"


def rebuild(
    d: SQLiteDialect,
    old: Table,
    new: Table,
    after: Schema,
    why: str,
    conversions: Mapping[str, str] | None = None,
) -> list[Statement]:
    """Statements that turn table `old` into `new` (same name) by building it anew.

    `conversions` maps a column name to the SQL expression that computes its new value from the
    old row (a type change's CAST or USING); other kept columns are copied as they are.
    """
    conversions = conversions or {}
    temp = d.quote(PREFIX + new.name)
    table = d.quote(new.name)
    kept = [c.name for c in new.columns if old.has_column(c.name)]
    columns = d.names(kept)
    sources = ", ".join(conversions.get(c, d.quote(c)) for c in kept)
    definition = d.create_table_sql(replace(new, indexes=()), after, name=PREFIX + new.name)
    return [
        stmt(
            "PRAGMA foreign_keys=OFF",
            transactional=False,
            note=f"rebuild of {new.name} ({why}); SQLite ignores this pragma inside a transaction",
        ),
        stmt(definition),
        stmt(f"INSERT INTO {temp} ({columns}) SELECT {sources} FROM {table}"),
        stmt(f"DROP TABLE {table}"),
        stmt(f"ALTER TABLE {temp} RENAME TO {table}"),
        *create_indexes(d, new, after),
        *foreign_key_check(d, new.name),
        stmt("PRAGMA foreign_keys=ON", transactional=False),
    ]


def foreign_key_check(d: SQLiteDialect, table: str) -> list[Statement]:
    """`PRAGMA foreign_key_check` made to fail: the pragma only returns rows, which a runner
    executing statements ignores, so its count goes into a temporary table whose CHECK
    constraint (named after the problem) refuses anything but zero. The error aborts the
    statement and the runner rolls the rebuild back, before COMMIT."""
    name = d.quote(f"_migwright_fk_check_{table}")
    constraint = d.quote(
        f"the rebuild of {table} leaves rows whose foreign keys point nowhere: "
        "see PRAGMA foreign_key_check"
    )
    return [
        stmt(
            f"CREATE TEMP TABLE {name} (broken INTEGER CONSTRAINT {constraint} CHECK (broken = 0))",
            note="PRAGMA foreign_key_check, failing on any row: a broken reference rolls back",
        ),
        stmt(f"INSERT INTO {name} SELECT count(*) FROM pragma_foreign_key_check"),
        stmt(f"DROP TABLE temp.{name}"),
    ]
