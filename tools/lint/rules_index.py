"""Index rules: building, dropping and rebuilding indexes without blocking traffic (PostgreSQL),
and the index a foreign key needs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .base import PG, Hit, statement_rule
from .engine import Run
from .helpers import (
    existing,
    index_created_here,
    index_name,
    pg_exclusive_tables,
    q,
    qcols,
    strip_semicolon,
)
from .statement import Stmt

OUTSIDE_TXN = (
    "-- in its own migration that runs outside a transaction (Django: atomic = False; "
    "Alembic: op.get_context().autocommit_block(); Rails: disable_ddl_transaction!; "
    "Knex: config.transaction = false)"
)


def _concurrently(sql: str, word: str = "INDEX") -> str:
    """The user's statement with CONCURRENTLY (and IF [NOT] EXISTS) added after `word`."""
    text = strip_semicolon(sql)
    text = re.sub(rf"(?i)\b{word}\s+(?!CONCURRENTLY)", f"{word} CONCURRENTLY ", text, count=1)
    if (
        word == "INDEX"
        and re.match(r"(?is)\s*create", text)
        and not re.search(r"(?i)if\s+not\s+exists", text)
    ):
        text = re.sub(r"(?i)\bCONCURRENTLY\s+", "CONCURRENTLY IF NOT EXISTS ", text, count=1)
    if (
        word == "INDEX"
        and re.match(r"(?is)\s*drop", text)
        and not re.search(r"(?i)if\s+exists", text)
    ):
        text = re.sub(r"(?i)\bCONCURRENTLY\s+", "CONCURRENTLY IF EXISTS ", text, count=1)
    return f"{OUTSIDE_TXN}\n{text};"


@statement_rule(
    "require-concurrent-index-creation",
    family="index",
    dialects=PG,
    severity="error",
    cost="index",
    summary="CREATE INDEX without CONCURRENTLY blocks writes to the table for the whole build",
    anchors={
        "squawk": "require-concurrent-index-creation",
        "strong_migrations": "add_index",
        "atlas": "PG101",
        "django-migration-linter": "CREATE_INDEX",
        "bytebase": "index.create-concurrently",
    },
    catalogue=("1",),
)
def require_concurrent_index_creation(stmt: Stmt, run: Run) -> Iterator[Hit]:
    shape = stmt.shape
    if stmt.kind != "create_index" or shape.has("CONCURRENTLY") or not existing(run, stmt):
        return
    if shape.has("ONLY"):
        return
    unique = " UNIQUE" if shape.has("UNIQUE") else ""
    extra = (
        " If the unique build fails on duplicates it leaves an INVALID index: drop it with "
        "DROP INDEX CONCURRENTLY and retry."
        if unique
        else ""
    )
    yield Hit(
        f"CREATE{unique} INDEX {shape.name or ''} holds a SHARE lock on {stmt.table}: every "
        f"INSERT, UPDATE and DELETE on {stmt.table} waits until the index is built",
        "build it with CREATE INDEX CONCURRENTLY, alone in a migration that runs outside a "
        "transaction" + ("." + extra if extra else ""),
        _concurrently(stmt.sql),
    )


@statement_rule(
    "require-concurrent-index-deletion",
    family="index",
    dialects=PG,
    severity="warning",
    summary="DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table",
    anchors={
        "squawk": "require-concurrent-index-deletion",
        "strong_migrations": "remove_index",
        "atlas": "PG102",
        "django-migration-linter": "DROP_INDEX",
    },
    catalogue=("2",),
)
def require_concurrent_index_deletion(stmt: Stmt, run: Run) -> Iterator[Hit]:
    shape = stmt.shape
    if stmt.kind != "drop_index" or shape.has("CONCURRENTLY"):
        return
    if index_created_here(run, shape.name, stmt) or (
        run.is_down and _up_made_index(run, shape.name)
    ):
        return
    yield Hit(
        f"DROP INDEX {shape.name} takes an ACCESS EXCLUSIVE lock on its table: reads and writes "
        "queue behind it, and behind any long query it waits for",
        "drop it with DROP INDEX CONCURRENTLY in a migration that runs outside a transaction",
        _concurrently(stmt.sql),
        sized=False,
    )


def _up_made_index(run: Run, name: str | None) -> bool:
    return False if not name else name.lower() in run.up_objects


@statement_rule(
    "ban-concurrently-in-transaction",
    family="index",
    dialects=PG,
    severity="error",
    summary="CONCURRENTLY cannot run inside a transaction block: the migration fails",
    anchors={
        "squawk": "ban-concurrent-index-creation-in-transaction",
        "atlas": "PG103",
    },
    catalogue=("3",),
)
def ban_concurrently_in_transaction(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if not stmt.in_transaction:
        return
    concurrent = (
        stmt.kind in ("create_index", "drop_index", "reindex") and stmt.shape.has("CONCURRENTLY")
    ) or any(a.kind == "detach_partition" and a.concurrently for a in stmt.shape.actions)
    if not concurrent:
        return
    how = "the framework's transaction" if stmt.managed else "the BEGIN ... COMMIT block"
    yield Hit(
        f"this statement runs inside {how}; PostgreSQL refuses CONCURRENTLY there (ERROR: ... "
        "cannot run inside a transaction block) and the migration fails",
        "move it to its own migration that runs outside a transaction",
        f"{OUTSIDE_TXN}\n{strip_semicolon(stmt.sql)};",
        sized=False,
    )


@statement_rule(
    "ban-index-after-exclusive-lock",
    family="index",
    dialects=PG,
    severity="error",
    cost="index",
    summary="CREATE INDEX in a transaction that already holds an ACCESS EXCLUSIVE lock on the "
    "table keeps reads blocked for the whole build",
    anchors={"django-migration-linter": "CREATE_INDEX_EXCLUSIVE"},
    catalogue=("4",),
)
def ban_index_after_exclusive_lock(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "create_index" or not stmt.in_transaction or not existing(run, stmt):
        return
    table = (stmt.table or "").lower()
    for earlier in run.same_transaction(stmt):
        if earlier.index >= stmt.index or earlier.kind != "alter_table":
            continue
        if table in (t.rsplit(".", 1)[-1].lower() for t in pg_exclusive_tables(earlier)):
            yield Hit(
                f"the ALTER TABLE at statement {earlier.index + 1} holds an ACCESS EXCLUSIVE lock "
                f"on {stmt.table} until commit, so this index build blocks reads as well as "
                "writes for its whole duration",
                "commit the ALTER TABLE first; build the index concurrently in a later migration",
                f"{strip_semicolon(earlier.sql)};\nCOMMIT;\n\n{_concurrently(stmt.sql)}",
            )
            return


@statement_rule(
    "require-concurrent-reindex",
    family="index",
    dialects=PG,
    severity="error",
    cost="index",
    summary="REINDEX without CONCURRENTLY locks out writes (and reads using the index)",
    anchors={"squawk": "require-concurrent-reindex", "django-migration-linter": "REINDEX"},
    catalogue=("5",),
)
def require_concurrent_reindex(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "reindex" or stmt.shape.has("CONCURRENTLY"):
        return
    if run.ctx.at_least(12) is False:
        yield Hit(
            f"REINDEX {stmt.shape.name} blocks writes to the table while it rebuilds; PostgreSQL "
            "before 12 has no REINDEX CONCURRENTLY",
            "build a new index CONCURRENTLY, drop the old one CONCURRENTLY, rename the new one",
            None,
        )
        return
    yield Hit(
        f"REINDEX {stmt.shape.name} blocks writes to the table, and reads that would use the "
        "index, until the rebuild ends",
        "use REINDEX ... CONCURRENTLY (PostgreSQL 12+), outside a transaction",
        f"{OUTSIDE_TXN}\n"
        + re.sub(
            r"(?i)^(\s*REINDEX\s*(?:\([^)]*\)\s*)?(?:INDEX|TABLE|SCHEMA|DATABASE|SYSTEM))\s+",
            r"\1 CONCURRENTLY ",
            strip_semicolon(stmt.sql),
        )
        + ";",
    )


@statement_rule(
    "ban-concurrent-index-pg14-corruption",
    family="index",
    dialects=PG,
    severity="error",
    summary="CREATE INDEX / REINDEX CONCURRENTLY on PostgreSQL 14.0-14.3 can silently build "
    "a corrupt index",
    anchors={"strong_migrations": "add_index_corruption"},
    catalogue=("6",),
)
def ban_concurrent_index_pg14(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind not in ("create_index", "reindex") or not stmt.shape.has("CONCURRENTLY"):
        return
    version = run.ctx.version
    if version is None or version[0] != 14 or (len(version) > 1 and version[1] >= 4):
        return
    yield Hit(
        f"PostgreSQL {'.'.join(map(str, version))} has a bug (fixed in 14.4) that can leave rows "
        "written during a CONCURRENTLY build out of the index: queries then miss rows silently",
        "upgrade to 14.4 or later before building indexes concurrently, then REINDEX CONCURRENTLY "
        "every index built concurrently on 14.0-14.3 (amcheck finds them)",
        None,
        sized=False,
    )


@statement_rule(
    "ban-index-on-partitioned-table",
    family="index",
    dialects=PG,
    severity="warning",
    cost="index",
    summary="CREATE INDEX on a partitioned parent builds on every partition under lock and "
    "cannot use CONCURRENTLY",
    anchors={"atlas": "PG108"},
    catalogue=("8",),
)
def ban_index_on_partitioned_table(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "create_index" or "ONLY" in stmt.words[:8] or not existing(run, stmt):
        return
    table = stmt.table or ""
    if table.lower() not in {t.rsplit(".", 1)[-1].lower() for t in run.ctx.partitioned_tables}:
        return
    shape = stmt.shape
    name = shape.name or index_name(table, shape.index_columns)
    cols = qcols(shape.index_columns)
    unique = "UNIQUE " if shape.has("UNIQUE") else ""
    yield Hit(
        f"{table} is partitioned: CREATE INDEX builds the index on every partition while "
        "blocking writes to them, and CONCURRENTLY is refused on a partitioned table",
        "create the parent index ON ONLY (instant, invalid), build each partition's index "
        "concurrently, and attach them; the parent index becomes valid with the last attach",
        f"CREATE {unique}INDEX IF NOT EXISTS {q(name)} ON ONLY {q(table)} ({cols});\n"
        f"-- for each partition, outside a transaction:\n"
        f"CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {q(name + '_p1')} "
        f"ON {q(table + '_p1')} ({cols});\n"
        f"ALTER INDEX {q(name)} ATTACH PARTITION {q(name + '_p1')};",
    )
