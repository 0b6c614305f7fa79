"""Applying Prisma migrations the way `prisma migrate deploy` records them, without its engines.

The Prisma CLI downloads its schema engine on first use, which cannot work offline, so
migwright applies each pending `migration.sql` itself, statement by statement, and keeps the
books in `_prisma_migrations` exactly as the schema engine does: the table with its columns
per provider, a row inserted (random UUID, sha256 of the file as `checksum`, `started_at`)
before the script runs, then `finished_at` and `applied_steps_count = 1` after it succeeded,
or `logs` holding the error when it failed. A later `prisma migrate deploy` against the same
database therefore sees the migrations as applied and its checksums as unchanged.

Rollback runs the migration's `down.sql` and sets `rolled_back_at`, as `prisma migrate
resolve --rolled-back` marks a migration that was undone by hand; a rolled-back row no longer
counts as applied, so the next deploy applies the migration again.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from ..analysis import Analysis
from ..errors import HistoryError, MigwrightError, ValidationFailed
from ..repo import RepoFacts
from ..runners import ReplayResult, history_upto
from ..scratch import ScratchDatabase
from ..sqlscript import split_sql
from .base import FrameworkConfig, MigrationRef
from .jsproject import folder_of
from .prisma import ADAPTER

TABLE = "_prisma_migrations"

#: The bookkeeping table as the schema engine creates it, per provider.
DDL = {
    "postgresql": """CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)""",
    "mysql": """CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             DATETIME(3),
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          DATETIME(3),
    started_at              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    applied_steps_count     INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci""",
    "sqlite": """CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)""",
}


def checksum(script: str) -> str:
    """sha256 of the script, hex: what the schema engine stores and compares on deploy."""
    return hashlib.sha256(script.encode("utf-8")).hexdigest()


def _stamp(db: ScratchDatabase) -> Any:
    """The current time as each driver takes it (SQLite and MySQL store it without a zone)."""
    now = datetime.now(UTC)
    return now if db.dialect == "postgresql" else now.replace(tzinfo=None)


def applied(db: ScratchDatabase) -> list[str]:
    """Migration names applied and not rolled back, in the order they were applied."""
    engine = db.engine()
    if TABLE not in inspect(engine).get_table_names():
        return []
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT migration_name FROM {TABLE} WHERE finished_at IS NOT NULL "
                "AND rolled_back_at IS NULL ORDER BY started_at, migration_name"
            )
        ).all()
    return [str(r[0]) for r in rows]


def _run_script(conn: Connection, script: str, db: ScratchDatabase, where: str) -> None:
    for statement in split_sql(script):
        sql = statement.sql if db.dialect == "sqlite" else statement.sql.replace("%", "%%")
        try:
            conn.exec_driver_sql(sql)
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise _Failed(f"{where}:{statement.line}: {reason}") from exc


class _Failed(Exception):
    """A statement failed; the message is `path:line: reason`."""


def _apply(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    upto: str | None,
    error: type[MigwrightError],
) -> list[str]:
    history = ADAPTER.history(repo, config)
    names = [m.id for m in history.migrations]
    if upto is not None and upto not in names:
        raise error(f"no migration {upto!r} in the Prisma history", "see `migwright inspect`")
    wanted = history.migrations if upto is None else history.migrations[: names.index(upto) + 1]
    done = set(applied(db))
    ran: list[str] = []
    with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(DDL[db.dialect])
        for ref in wanted:
            if ref.id in done:
                continue
            _apply_one(conn, repo, ref, db, error)
            ran.append(ref.id)
    return ran


def _apply_one(
    conn: Connection,
    repo: RepoFacts,
    ref: MigrationRef,
    db: ScratchDatabase,
    error: type[MigwrightError],
) -> None:
    script = repo.read(ref.path)
    row_id = str(uuid.uuid4())
    conn.execute(
        text(
            f"INSERT INTO {TABLE} (id, checksum, migration_name, started_at, applied_steps_count)"
            " VALUES (:id, :checksum, :name, :started, 0)"
        ),
        {"id": row_id, "checksum": checksum(script), "name": ref.id, "started": _stamp(db)},
    )
    try:
        _run_script(conn, script, db, ref.path)
    except _Failed as failed:
        conn.execute(
            text(f"UPDATE {TABLE} SET logs = :logs WHERE id = :id"),
            {"logs": str(failed), "id": row_id},
        )
        raise error(
            f"{failed} (recorded as a failed migration in {TABLE})",
            "fix the migration; on a real database `prisma migrate resolve` clears the failure",
        ) from failed
    conn.execute(
        text(f"UPDATE {TABLE} SET finished_at = :done, applied_steps_count = 1 WHERE id = :id"),
        {"done": _stamp(db), "id": row_id},
    )


def apply(
    repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, upto: str | None = None
) -> str:
    """Apply pending `migration.sql` files and record them as `prisma migrate deploy` does."""
    ran = _apply(repo, config, db, upto, ValidationFailed)
    if not ran:
        return "prisma: nothing to apply"
    return (
        f"{len(ran)} migration.sql applied by migwright on a {db.dialect} scratch database and "
        f"recorded in {TABLE} as `prisma migrate deploy` does (the Prisma CLI needs its engines)"
    )


def rollback(repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, steps: int = 1) -> str:
    """Run `down.sql` of the last `steps` applied migrations and mark them rolled back."""
    done = applied(db)
    if steps > len(done):
        raise ValidationFailed(
            f"cannot roll back {steps} migrations: only {len(done)} are applied",
            "roll back fewer steps",
        )
    refs = {m.id: m for m in ADAPTER.history(repo, config).migrations}
    undone = []
    with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in reversed(done[-steps:]):
            ref = refs.get(name)
            down = f"{folder_of(ref.path)}/down.sql" if ref else None
            if ref is None or down is None or down not in repo.files:
                raise ValidationFailed(
                    f"{name}: no down.sql to roll back with",
                    "write the reverse SQL as down.sql beside migration.sql",
                )
            try:
                _run_script(conn, repo.read(down), db, down)
            except _Failed as failed:
                raise ValidationFailed(str(failed), f"fix {down}") from failed
            conn.execute(
                text(
                    f"UPDATE {TABLE} SET rolled_back_at = :now WHERE migration_name = :name "
                    "AND rolled_back_at IS NULL"
                ),
                {"now": _stamp(db), "name": name},
            )
            undone.append(name)
    return f"down.sql of {', '.join(undone)} run by migwright and marked rolled back in {TABLE}"


def replay(analysis: Analysis, db: ScratchDatabase, upto: str | None = None) -> ReplayResult:
    """The history onto `db`, recorded in `_prisma_migrations` (the RUNNERS entry "prisma")."""
    history_upto(analysis, upto)
    ran = _apply(analysis.repo, analysis.config, db, upto, HistoryError)
    return ReplayResult(
        "migration.sql files applied by migwright and recorded as prisma migrate deploy does",
        tuple(ran),
    )
