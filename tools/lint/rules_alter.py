"""Changing existing columns: NOT NULL, drops, renames and MySQL column order (type changes
are in rules_type_change.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .base import ALL_DIALECTS, MYSQL, PG, Hit, migration_rule, statement_rule
from .cursor import short
from .engine import Run
from .helpers import batched_update, existing, q, sqlite_rebuild, strip_semicolon
from .rules_constraint import not_null_steps
from .statement import Stmt

# ---------------------------------------------------------------------------------------------
# NOT NULL
# ---------------------------------------------------------------------------------------------


@statement_rule(
    "adding-not-nullable-field",
    family="column",
    dialects=ALL_DIALECTS,
    severity="error",
    cost="scan",
    summary="SET NOT NULL on an existing column scans the table under an ACCESS EXCLUSIVE lock "
    "(MySQL and SQLite rebuild it)",
    anchors={
        "squawk": "adding-not-nullable-field",
        "strong_migrations": "change_column_null",
        "atlas": "PG303, MF104, LT101",
    },
    catalogue=("17",),
)
def adding_not_nullable_field(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if not existing(run, stmt):
        return
    table = stmt.table or ""
    if run.family == "postgresql":
        for action in stmt.shape.actions_of("set_not_null"):
            column = action.column or "?"
            if _validated_not_null_check(run, stmt, table, column):
                continue
            if run.ctx.at_least(12) is False:
                yield Hit(
                    f"SET NOT NULL on {table}.{column} scans every row under an ACCESS EXCLUSIVE "
                    "lock; before PostgreSQL 12 a validated CHECK cannot spare the scan",
                    "keep a validated CHECK (column IS NOT NULL) instead of the NOT NULL "
                    "attribute, or run this in a maintenance window",
                    not_null_steps(table, column).split("\n-- next migration: PostgreSQL 12+")[0],
                )
                continue
            yield Hit(
                f"SET NOT NULL on {table}.{column} scans every row under an ACCESS EXCLUSIVE lock "
                "(reads and writes wait), and fails if a NULL is there",
                "add a CHECK (column IS NOT NULL) NOT VALID, VALIDATE it in its own transaction, "
                "then SET NOT NULL, which then skips the scan (PostgreSQL 12+)",
                not_null_steps(table, column),
            )
    elif run.family == "sqlite":
        found = sqlite_rebuild(run, stmt)
        if found is None:
            return
        table, columns, old_table = found
        was_nullable = {c.name.lower() for c in old_table.columns if c.nullable}
        tightened = [c.name for c in columns if c.not_null and c.name.lower() in was_nullable]
        for column in tightened:
            yield Hit(
                f"the rebuild of {table} makes {column} NOT NULL: the copy fails on the first "
                "NULL (or, with INSERT OR IGNORE, drops those rows), under the database's write "
                "lock",
                "backfill the NULLs in batches first, then rebuild",
                f"UPDATE {q(table, 'sqlite')} SET {q(column, 'sqlite')} = <value> "
                f"WHERE {q(column, 'sqlite')} IS NULL;  -- in batches if the table is big",
            )
    elif run.family == "mysql":
        for action in stmt.shape.actions_of("modify_column"):
            new = action.column_def
            old = run.column_def(table, action.column, stmt)
            if new is None or old is None or not new.not_null or old.not_null:
                continue
            t, c = q(table, "mysql"), q(new.name, "mysql")
            yield Hit(
                f"making {table}.{action.column} NOT NULL rebuilds {table}, and fails (or, "
                "outside strict mode, turns NULLs into zero values) if any NULL is left",
                "backfill the NULLs in batches first, then change the column in place",
                f"UPDATE {t} SET {c} = <value> WHERE {c} IS NULL LIMIT 10000;"
                "  -- repeat until 0 rows\n"
                f"{strip_semicolon(stmt.sql)}, ALGORITHM=INPLACE, LOCK=NONE;",
            )


def _validated_not_null_check(run: Run, stmt: Stmt, table: str, column: str) -> bool:
    """A CHECK (column IS NOT NULL) validated before this statement lets PostgreSQL 12+ skip
    the scan (and one already in the before schema counts as validated)."""
    if run.ctx.at_least(12) is False:
        return False
    pattern = re.compile(rf"(?i)^\(?\s*\"?{re.escape(column)}\"?\s+IS\s+NOT\s+NULL\s*\)?$")
    checks: dict[str, str] = {}
    schema_table = run.schema_table(table)
    if schema_table is not None and any(
        pattern.match(c.expression.strip()) for c in schema_table.checks
    ):
        return True
    for earlier in run.earlier(stmt):
        if (earlier.table or "").lower() != short(table).lower():
            continue
        for action in earlier.shape.actions:
            con = action.constraint
            if con is not None and con.kind == "check" and con.name and con.expression:
                checks[con.name.lower()] = con.expression
                if not con.not_valid and pattern.match(con.expression.strip()):
                    return True
            if action.kind == "validate_constraint" and action.value:
                expression = checks.get(action.value.lower(), "")
                if pattern.match(expression.strip()) and earlier.txn != stmt.txn:
                    return True
                if pattern.match(expression.strip()) and earlier.txn is None:
                    return True
    return False


@migration_rule(
    "ban-not-null-with-inline-backfill",
    family="column",
    dialects=ALL_DIALECTS,
    severity="error",
    cost="update",
    summary="Backfilling NULLs with one UPDATE in the transaction that sets NOT NULL holds the "
    "locks for the whole update",
    anchors={"strong_migrations": "change_column_null (with default)"},
    catalogue=("18",),
)
def ban_not_null_with_inline_backfill(run: Run) -> Iterator[Hit]:
    for stmt in run.statements:
        if stmt.kind != "update" or not existing(run, stmt):
            continue
        table = (stmt.table or "").lower()
        for later in run.later(stmt):
            if (later.table or "").lower() != table:
                continue
            same_block = stmt.txn is not None and later.txn == stmt.txn
            if not same_block and run.family != "mysql":
                continue
            columns = [a.column for a in later.shape.actions_of("set_not_null")]
            columns += [
                a.column
                for a in later.shape.actions_of("modify_column")
                if a.column_def is not None and a.column_def.not_null
            ]
            if not columns:
                continue
            column = columns[0] or "?"
            assignment = _assignment(stmt, column)
            yield Hit(
                f"this UPDATE backfills {stmt.table} in one statement in the transaction that "
                f"then sets {column} NOT NULL: every updated row stays locked, and the table "
                "lock of the ALTER is held, until the whole update commits",
                "backfill in batches outside the migration's transaction, then set NOT NULL the "
                "safe way",
                "-- outside the migration's transaction:\n"
                + batched_update(run, stmt.table or "", assignment, f"{q(column)} IS NULL")
                + "\n"
                + (not_null_steps(stmt.table or "", column) if run.family == "postgresql" else ""),
                stmt=stmt,
            )
            break


def _assignment(stmt: Stmt, column: str) -> str:
    match = re.search(r"(?is)\bSET\s+(.*?)(?:\bWHERE\b|$)", stmt.sql)
    return match.group(1).strip() if match else f"{q(column)} = <value>"


@statement_rule(
    "ban-drop-not-null",
    family="column",
    dialects=PG,
    severity="warning",
    summary="DROP NOT NULL lets NULLs in that running code does not expect",
    anchors={"squawk": "ban-drop-not-null"},
    catalogue=("19",),
)
def ban_drop_not_null(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_table" or not existing(run, stmt) or run.is_down:
        return
    for action in stmt.shape.actions_of("drop_not_null"):
        yield Hit(
            f"{stmt.table}.{action.column} may hold NULL from now on: code that reads it "
            "(and other services, reports, exports) may not handle a NULL",
            "make sure every reader handles NULL first; if a value is optional, consider a "
            "marker value instead",
            None,
            sized=False,
        )


# ---------------------------------------------------------------------------------------------
# Drops, renames, column order
# ---------------------------------------------------------------------------------------------


@statement_rule(
    "ban-drop-column",
    family="column",
    dialects=ALL_DIALECTS,
    severity="error",
    summary="DROP COLUMN loses the data and breaks running code that still reads or writes it",
    anchors={
        "squawk": "ban-drop-column",
        "strong_migrations": "remove_column",
        "atlas": "DS103",
        "django-migration-linter": "DROP_COLUMN",
    },
    catalogue=("30",),
)
def ban_drop_column(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_table" or not existing(run, stmt) or run.is_down:
        return
    table = stmt.table or ""
    for action in stmt.shape.actions_of("drop_column"):
        column = action.column or "?"
        if _added_here(run, stmt, table, column):
            continue
        yield Hit(
            f"dropping {table}.{column} deletes its data for good, and code deployed before "
            "this migration that reads or writes it fails (ORMs that list columns, such as "
            "Rails and Django, break too)",
            "first ship code that no longer uses the column (Rails: ignored_columns; Django: "
            "remove the field in an earlier release), drop its indexes and foreign keys, then "
            "drop it with a lock_timeout",
            f"-- after no running code uses {column}:\n"
            + ("SET lock_timeout = '5s';\n" if run.family == "postgresql" else "")
            + f"ALTER TABLE {q(table, run.family)} DROP COLUMN {q(column, run.family)};",
            sized=False,
        )


def _added_here(run: Run, stmt: Stmt, table: str, column: str) -> bool:
    return any(
        (s.table or "").lower() == short(table).lower()
        and any(
            (a.column or "").lower() == column.lower() for a in s.shape.actions_of("add_column")
        )
        for s in run.earlier(stmt)
    )


@statement_rule(
    "renaming-column",
    family="column",
    dialects=ALL_DIALECTS,
    severity="error",
    summary="Renaming a column breaks every running query that uses the old name",
    anchors={
        "squawk": "renaming-column",
        "strong_migrations": "rename_column",
        "atlas": "BC102",
        "django-migration-linter": "RENAME_COLUMN",
    },
    catalogue=("31",),
)
def renaming_column(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_table" or not existing(run, stmt):
        return
    table = stmt.table or ""
    renames = [(a.column, a.new_name) for a in stmt.shape.actions_of("rename_column")]
    renames += [
        (a.column, a.new_name) for a in stmt.shape.actions_of("modify_column") if a.new_name
    ]
    for old, new in renames:
        if run.is_down or _added_here(run, stmt, table, old or ""):
            continue
        col = run.column_def(table, old, stmt)
        type_ = col.type if col is not None else "<type of " + (old or "?") + ">"
        fam = run.family
        t, o, n = q(table, fam), q(old, fam), q(new, fam)
        yield Hit(
            f"renaming {table}.{old} to {new} breaks every query of the code deployed before "
            "this migration that still says {old}".replace("{old}", old or "?"),
            "expand and contract: add the new column, write both, backfill, move readers, then "
            "drop the old one in a later release",
            f"ALTER TABLE {t} ADD COLUMN {n} {type_};\n"
            "-- write both columns from the code (or a trigger), then backfill:\n"
            + batched_update(run, table, f"{n} = {o}", f"{n} IS NULL AND {o} IS NOT NULL")
            + f"\n-- after every reader uses {new}, in a later migration:\n"
            f"ALTER TABLE {t} DROP COLUMN {o};",
            sized=False,
        )


@statement_rule(
    "ban-column-reorder",
    family="column",
    dialects=MYSQL,
    severity="error",
    cost="rewrite",
    summary="ADD/MODIFY COLUMN ... FIRST/AFTER rebuilds the table (ADD ... AFTER is instant "
    "only from MySQL 8.0.29 / MariaDB 10.4)",
    anchors={"bytebase": "column.disallow-changing-order"},
    catalogue=("32",),
)
def ban_column_reorder(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_table" or not existing(run, stmt):
        return
    ctx = run.ctx
    instant_any_position = ctx.at_least(10, 4) if ctx.mariadb else ctx.at_least(8, 0, 29)
    for action in stmt.shape.actions:
        col = action.column_def
        if col is None or not col.position:
            continue
        if action.kind == "add_column" and instant_any_position:
            continue
        without = re.sub(r"(?i)\s+(FIRST|AFTER\s+(`[^`]+`|\w+))\b", "", strip_semicolon(stmt.sql))
        yield Hit(
            f"placing {col.name} {col.position} makes MySQL rebuild {stmt.table} (column order "
            "changes are not instant)",
            "append the column at the end; column order does not matter to SQL that names its "
            "columns",
            f"{without};",
        )
