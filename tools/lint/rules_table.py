"""Table rules: drops, renames, forced re-creation, TRUNCATE CASCADE, rewrites (VACUUM FULL,
CLUSTER, SET TABLESPACE/LOGGED), partition detach and triggers."""

from __future__ import annotations

from collections.abc import Iterator

from .base import ALL_DIALECTS, PG, Hit, statement_rule
from .cursor import short
from .engine import Run
from .helpers import existing, is_replaced_later, q, sqlite_rebuilds, strip_semicolon
from .rules_index import OUTSIDE_TXN
from .statement import Stmt


@statement_rule(
    "ban-drop-table",
    family="table",
    dialects=ALL_DIALECTS,
    severity="error",
    summary="DROP TABLE loses the data and breaks running code that still uses the table",
    anchors={"squawk": "ban-drop-table", "atlas": "DS102", "django-migration-linter": "DROP_TABLE"},
    catalogue=("37",),
)
def ban_drop_table(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "drop_table" or run.is_down:
        return
    if stmt.index in sqlite_rebuilds(run):
        return  # a rebuild keeps the rows; ban-sqlite-rebuild-with-foreign-keys judges it
    for table in stmt.shape.tables:
        if not existing(run, stmt, table) or is_replaced_later(run, stmt, table):
            continue
        yield Hit(
            f"DROP TABLE {table} deletes every row for good, and code deployed before this "
            "migration that still uses the table fails",
            "stop using the table in a release first; rename it out of the way, and drop it "
            "in a later migration once nothing complained",
            f"ALTER TABLE {q(table, run.family)} RENAME TO "
            f"{q(short(table) + '_deprecated', run.family)};\n"
            f"-- a release later, when nothing used it:\n"
            f"DROP TABLE {q(short(table) + '_deprecated', run.family)};",
            table=table,
            sized=False,
        )


@statement_rule(
    "ban-drop-database",
    family="table",
    dialects=ALL_DIALECTS,
    severity="error",
    summary="DROP SCHEMA / DROP DATABASE in a migration deletes everything in it",
    anchors={"squawk": "ban-drop-database", "atlas": "DS101"},
    catalogue=("38",),
)
def ban_drop_database(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind not in ("drop_schema", "drop_database"):
        return
    what = "schema" if stmt.kind == "drop_schema" else "database"
    if what == "schema" and any(
        s.kind == "create_other" and "SCHEMA" in s.shape.flags
        and (s.shape.name or "").lower() == (stmt.shape.name or "").lower()
        for s in run.earlier(stmt)
    ):  # fmt: skip
        return
    yield Hit(
        f"DROP {what.upper()} {stmt.shape.name} deletes every table and row in it, in one "
        "statement, from a migration that will also run against production",
        f"drop a {what} by hand, after a backup, never from a migration",
        None,
        sized=False,
    )


@statement_rule(
    "renaming-table",
    family="table",
    dialects=ALL_DIALECTS,
    severity="error",
    summary="Renaming a table (or schema) breaks every running query that uses the old name",
    anchors={
        "squawk": "renaming-table",
        "strong_migrations": "rename_table",
        "atlas": "BC101",
        "django-migration-linter": "RENAME_TABLE",
    },
    catalogue=("39",),
)
def renaming_table(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if run.is_down:
        return
    if stmt.kind == "alter_schema" and stmt.shape.renames:
        old, new = stmt.shape.renames[0]
        yield Hit(
            f"renaming schema {old} to {new} breaks every query that names {old}",
            "keep the old schema name, or move objects one at a time behind views",
            None,
            sized=False,
        )
        return
    rebuilds = sqlite_rebuilds(run)
    rebuild_targets = {new.lower() for _, new in rebuilds.values()}
    for old, new in stmt.shape.renames:
        if not old or short(old).lower() in rebuild_targets or not existing(run, stmt, old):
            continue
        if _renamed_back_later(run, stmt, new) or _retiring(new):
            continue
        fam = run.family
        view = (
            f"CREATE VIEW {q(short(old), fam)} AS SELECT * FROM {q(short(new), fam)};"
            "  -- simple views are updatable"
        )
        yield Hit(
            f"renaming {old} to {new} breaks every query of the code deployed before this "
            f"migration that still says {old}",
            "rename, and keep the old name working with a view until no code uses it",
            f"{strip_semicolon(stmt.sql)};\n{view}\n"
            f"-- a release later:\nDROP VIEW {q(short(old), fam)};",
            table=old,
            sized=False,
        )


def _retiring(name: str) -> bool:
    """Renaming to `<name>_deprecated` / `_old` is the first step of retiring a table (see
    ban-drop-table): breaking forgotten users early is the point."""
    return short(name).lower().endswith(("_deprecated", "_old", "_retired"))


def _renamed_back_later(run: Run, stmt: Stmt, name: str) -> bool:
    return any(
        short(o).lower() == short(name).lower() for s in run.later(stmt) for o, _ in s.shape.renames
    )


@statement_rule(
    "ban-create-table-force",
    family="table",
    dialects=ALL_DIALECTS,
    severity="error",
    summary="Creating a table by dropping the existing one first destroys its data",
    anchors={"strong_migrations": "create_table (force: true)"},
    catalogue=("40",),
)
def ban_create_table_force(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind == "create_table" and stmt.shape.has("OR_REPLACE"):
        yield Hit(
            f"CREATE OR REPLACE TABLE {stmt.table} drops the existing table and its rows first",
            "create the table only if it does not exist, and change an existing one with "
            "ALTER TABLE",
            strip_semicolon(stmt.sql)
            .replace("OR REPLACE ", "", 1)
            .replace("or replace ", "", 1)
            .replace("TABLE ", "TABLE IF NOT EXISTS ", 1)
            + ";",
            sized=False,
        )
        return
    if stmt.kind != "drop_table" or run.is_down or stmt.index in sqlite_rebuilds(run):
        return
    for table in stmt.shape.tables:
        if not existing(run, stmt, table):
            continue
        recreate = next(
            (
                s
                for s in run.later(stmt)
                if s.kind == "create_table" and (s.table or "").lower() == short(table).lower()
            ),
            None,
        )
        if recreate is None:
            continue
        yield Hit(
            f"DROP TABLE {table} followed by CREATE TABLE {table} (Rails' force: true) deletes "
            "every row of the existing table",
            "create the table only if it does not exist; change an existing table with ALTER TABLE",
            strip_semicolon(recreate.sql).replace("TABLE ", "TABLE IF NOT EXISTS ", 1) + ";",
            table=table,
            sized=False,
        )


@statement_rule(
    "ban-truncate-cascade",
    family="table",
    dialects=PG,
    severity="error",
    summary="TRUNCATE ... CASCADE also empties every table with a foreign key to it",
    anchors={"squawk": "ban-truncate-cascade"},
    catalogue=("41",),
)
def ban_truncate_cascade(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "truncate" or not stmt.shape.has("CASCADE"):
        return
    children = []
    before = run.ctx.before
    if before is not None:
        for table in stmt.shape.tables:
            children += [t.name for t, _ in before.referencing(short(table)) if t.name != table]
    named = f" ({', '.join(sorted(set(children)))})" if children else ""
    yield Hit(
        f"TRUNCATE {', '.join(stmt.shape.tables)} CASCADE also empties every table that "
        f"references them{named}, and the tables referencing those, without a word",
        "name every table to truncate explicitly, without CASCADE",
        f"TRUNCATE {', '.join(q(t) for t in [*stmt.shape.tables, *sorted(set(children))])};",
        sized=False,
    )


@statement_rule(
    "prefer-repack",
    family="table",
    dialects=PG,
    severity="error",
    cost="rewrite",
    summary="VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock",
    anchors={"squawk": "prefer-repack"},
    catalogue=("9",),
)
def prefer_repack(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind == "vacuum" and stmt.shape.has("FULL"):
        what = "VACUUM FULL"
    elif stmt.kind == "cluster":
        what = "CLUSTER"
    else:
        return
    table = stmt.table or "<table>"
    yield Hit(
        f"{what} rewrites {table} under an ACCESS EXCLUSIVE lock: reads and writes wait for the "
        "whole rewrite",
        "compact the table online with pg_repack (or pg_squeeze), outside migrations",
        f"-- from a shell, not a migration:\n-- pg_repack --no-order --table={table} <database>",
    )


@statement_rule(
    "ban-table-rewrite-options",
    family="table",
    dialects=PG,
    severity="error",
    cost="rewrite",
    summary="SET TABLESPACE, SET LOGGED/UNLOGGED and SET ACCESS METHOD rewrite the table under "
    "an ACCESS EXCLUSIVE lock",
    anchors={
        "django-pg-zero-downtime-migrations": "ALTER_TABLE_SET_TABLESPACE",
        "atlas": "PG307, PG311",
    },
    catalogue=("42",),
)
def ban_table_rewrite_options(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_table" or not existing(run, stmt):
        return
    for action in stmt.shape.actions_of("set_storage"):
        value = action.value or ""
        if not value.startswith(("TABLESPACE", "LOGGED", "UNLOGGED", "ACCESS METHOD")):
            continue
        yield Hit(
            f"ALTER TABLE {stmt.table} SET {value} rewrites the whole table under an ACCESS "
            "EXCLUSIVE lock: reads and writes wait",
            "create a new table with the wanted storage, copy rows in batches (kept in step by a "
            "trigger), then swap names in one short transaction; or run it in a maintenance "
            "window",
            None,
        )


@statement_rule(
    "require-concurrent-partition-detach",
    family="table",
    dialects=PG,
    severity="error",
    summary="DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the parent",
    anchors={"squawk": "require-concurrent-partition-detach"},
    catalogue=("7",),
)
def require_concurrent_partition_detach(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_table" or not existing(run, stmt):
        return
    for action in stmt.shape.actions_of("detach_partition"):
        if action.concurrently or action.if_exists:  # FINALIZE completes a concurrent detach
            continue
        old = run.ctx.at_least(14) is False
        yield Hit(
            f"DETACH PARTITION {action.value} takes an ACCESS EXCLUSIVE lock on {stmt.table}: "
            "every query on the partitioned table waits",
            "detach CONCURRENTLY (PostgreSQL 14+), outside a transaction"
            + ("; this server is older than 14: upgrade first" if old else ""),
            None
            if old
            else f"{OUTSIDE_TXN}\nALTER TABLE {q(stmt.table)} DETACH PARTITION "
            f"{q(action.value)} CONCURRENTLY;",
            sized=False,
        )


@statement_rule(
    "ban-trigger-on-existing-table",
    family="table",
    dialects=PG,
    severity="warning",
    summary="CREATE TRIGGER takes a SHARE ROW EXCLUSIVE lock, blocking writes while it waits",
    anchors={"atlas": "PG308"},
    catalogue=("43",),
)
def ban_trigger_on_existing_table(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "create_trigger" or not existing(run, stmt):
        return
    yield Hit(
        f"CREATE TRIGGER {stmt.shape.name} takes a SHARE ROW EXCLUSIVE lock on {stmt.table}: it "
        "waits for every running write to finish, and all writes queue behind it meanwhile",
        "create it with a short lock_timeout (and retry), at a quiet time",
        f"SET lock_timeout = '2s';\n{strip_semicolon(stmt.sql)};",
        sized=False,
    )
