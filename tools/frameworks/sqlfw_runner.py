"""Running SQL-file histories on a scratch database: the shared core, plain SQL, golang-migrate.

Flyway needs Java and a download, and golang-migrate's `migrate` is a Go binary that neither
Debian nor npm ships, so neither real runner can run here. Their behaviour is re-implemented
in Python instead, closely enough that what passes here passes with the real tool: the same
bookkeeping table and rows, the same transaction boundaries and the same refusals. Flyway's
lives in `flyway_runner.py`; golang-migrate's is below, with the plain numbered SQL runner.

- golang-migrate keeps one row in `schema_migrations(version, dirty)`. Before a file runs the
  row says (version, dirty=true); after it, dirty=false. A failure leaves the database dirty,
  and every later command refuses with "Dirty database version N. Fix and force version."
  A file is sent as one string: on PostgreSQL a multi-statement string is one implicit
  transaction (so it is run inside one here), MySQL runs the statements one after another,
  and the SQLite driver wraps the file in a transaction. A missing down file moves the version
  back without running anything, as `migrate down` does.
- Plain numbered SQL has no runner of its own: migwright applies the files in order, each
  statement on its own (as `tools/runners/sqlfiles.py` replays them), and remembers what ran
  in `_migwright_sql_migrations`, a table introspection leaves out. The down is the
  `.down.sql` file or the commented block `sqlfiles_render` writes into the up file.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from ..analysis import Analysis
from ..errors import HistoryError, MigwrightError, ValidationFailed
from ..repo import RepoFacts
from ..runners import ReplayResult, history_upto
from ..scratch import ScratchDatabase, guard
from ..sqlscript import split_sql
from .base import FrameworkConfig, MigrationRef
from .golang_migrate import ADAPTER as GOLANG_MIGRATE
from .sqlfiles import ADAPTER as SQLFILES
from .sqlfiles_render import commented_down

_HINT = "fix the migration; the statement and the database's message are above"


# ---------------------------------------------------------------------------------------------
# Shared core: statements on one autocommit connection, transactions opened explicitly
# ---------------------------------------------------------------------------------------------


@dataclass
class StatementFailed(Exception):
    """A statement of a migration file was refused by the database."""

    path: str
    line: int
    statement: str
    reason: str

    def __str__(self) -> str:
        first = " ".join(self.statement.split())[:160]
        return f"{self.path}:{self.line}: {self.reason} (in: {first})"


@contextmanager
def autocommit(db: ScratchDatabase) -> Iterator[Connection]:
    """A connection to the scratch database on which nothing is implicit: statements commit
    one by one unless BEGIN/COMMIT are sent (pysqlite would otherwise run DDL outside the
    transaction it claims to have opened)."""
    guard(db.url)
    with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


def run(conn: Connection, sql: str, dialect: str, params: dict[str, object] | None = None) -> None:
    """One statement. Migration SQL goes to the driver as written (`%` doubled for the drivers
    with pyformat parameters); bookkeeping statements bind `params` through SQLAlchemy."""
    if params is not None:
        conn.execute(text(sql), params)
        return
    conn.exec_driver_sql(sql if dialect == "sqlite" else sql.replace("%", "%%"))


def execute(conn: Connection, dialect: str, script: str, path: str, *, transaction: bool) -> int:
    """Run every statement of `script` in order, inside one transaction when asked.

    Returns how many statements ran; raises StatementFailed (after ROLLBACK) on the first
    refusal. Statements are split the way a database client splits a script (sqlscript).
    """
    statements = split_sql(script)
    if transaction:
        run(conn, "BEGIN", dialect)
    try:
        for statement in statements:
            try:
                run(conn, statement.sql, dialect)
            except DBAPIError as exc:
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                raise StatementFailed(path, statement.line, statement.sql, reason) from exc
    except StatementFailed:
        if transaction:
            # SQLite ends the transaction itself on some errors; the statement's error is
            # the one to report either way
            with suppress(DBAPIError):
                run(conn, "ROLLBACK", dialect)
        raise
    if transaction:
        run(conn, "COMMIT", dialect)
    return len(statements)


def has_table(conn: Connection, name: str) -> bool:
    return name in inspect(conn).get_table_names()


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def pick(ids: Sequence[str], upto: str | None, error: type[MigwrightError]) -> list[str]:
    """Ids up to and including `upto` (all when None); `error` names an unknown one."""
    if upto is None:
        return list(ids)
    if upto not in ids:
        raise error(f"no migration {upto!r} in the history", "see `migwright inspect`")
    return list(ids[: list(ids).index(upto) + 1])


# ---------------------------------------------------------------------------------------------
# Plain numbered SQL files
# ---------------------------------------------------------------------------------------------

SQLFILES_TABLE = "_migwright_sql_migrations"


def _sqlfiles_applied(conn: Connection) -> list[str]:
    if not has_table(conn, SQLFILES_TABLE):
        return []
    rows = conn.exec_driver_sql(f"SELECT id FROM {SQLFILES_TABLE} ORDER BY seq").all()
    return [str(r[0]) for r in rows]


def _sqlfiles_apply(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    upto: str | None,
    error: type[MigwrightError],
) -> list[str]:
    history = SQLFILES.history(repo, config)
    refs = {ref.id: ref for ref in history.migrations}
    wanted = pick([ref.id for ref in history.migrations], upto, error)
    ran: list[str] = []
    with autocommit(db) as conn:
        if not has_table(conn, SQLFILES_TABLE):
            run(
                conn,
                f"CREATE TABLE {SQLFILES_TABLE} (id VARCHAR(255) NOT NULL PRIMARY KEY, "
                "seq INTEGER NOT NULL, applied_at VARCHAR(32) NOT NULL)",
                db.dialect,
            )
        applied = _sqlfiles_applied(conn)
        done = set(applied)
        for ref_id in wanted:
            if ref_id in done:
                continue
            ref = refs[ref_id]
            up, _ = SQLFILES.migration_sql(repo, config, ref)
            try:
                execute(conn, db.dialect, up, ref.path, transaction=False)
            except StatementFailed as exc:
                raise error(f"applying {ref.path} failed: {exc}", _HINT) from exc
            run(
                conn,
                f"INSERT INTO {SQLFILES_TABLE} (id, seq, applied_at) VALUES (:id, :seq, :at)",
                db.dialect,
                {"id": ref_id, "seq": len(applied) + len(ran) + 1, "at": now_text()},
            )
            ran.append(ref_id)
    return ran


def _sqlfiles_rollback(
    repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, steps: int
) -> list[str]:
    history = SQLFILES.history(repo, config)
    refs = {ref.id: ref for ref in history.migrations}
    undone: list[str] = []
    with autocommit(db) as conn:
        applied = _sqlfiles_applied(conn)
        if steps > len(applied):
            raise ValidationFailed(
                f"cannot roll back {steps} migrations: only {len(applied)} have run",
                "roll back fewer steps",
            )
        for ref_id in reversed(applied[len(applied) - steps :]):
            ref = refs.get(ref_id)
            if ref is None:
                raise ValidationFailed(
                    f"migration {ref_id} ran but its file is gone", "restore the file first"
                )
            down = _sqlfiles_down(repo, config, ref)
            try:
                execute(conn, db.dialect, down, ref.path, transaction=False)
            except StatementFailed as exc:
                raise ValidationFailed(f"rolling back {ref.path} failed: {exc}", _HINT) from exc
            run(conn, f"DELETE FROM {SQLFILES_TABLE} WHERE id = :id", db.dialect, {"id": ref_id})
            undone.append(ref_id)
    return undone


def _sqlfiles_down(repo: RepoFacts, config: FrameworkConfig, ref: MigrationRef) -> str:
    up, down = SQLFILES.migration_sql(repo, config, ref)
    if down is None:
        down = commented_down(up)
    if down is None:
        raise ValidationFailed(
            f"{ref.path} has no down (no .down.sql file and no commented down block)",
            "write the statements that revert it, or accept that it cannot be rolled back",
        )
    return down


# ---------------------------------------------------------------------------------------------
# golang-migrate
# ---------------------------------------------------------------------------------------------

MIGRATE_TABLE = "schema_migrations"
_MIGRATE_DDL = {
    "postgresql": [
        f"CREATE TABLE IF NOT EXISTS {MIGRATE_TABLE} "
        "(version bigint not null primary key, dirty boolean not null)"
    ],
    "mysql": [
        f"CREATE TABLE IF NOT EXISTS {MIGRATE_TABLE} "
        "(version bigint not null primary key, dirty boolean not null) Engine=InnoDB"
    ],
    "sqlite": [
        f"CREATE TABLE IF NOT EXISTS {MIGRATE_TABLE} (version uint64,dirty bool)",
        f"CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON {MIGRATE_TABLE} (version)",
    ],
}


def migrate_version(conn: Connection) -> tuple[int, bool] | None:
    """golang-migrate's (version, dirty), or None before the first migration."""
    if not has_table(conn, MIGRATE_TABLE):
        return None
    row = conn.exec_driver_sql(f"SELECT version, dirty FROM {MIGRATE_TABLE} LIMIT 1").first()
    return None if row is None else (int(row[0]), bool(row[1]))


def _set_version(conn: Connection, dialect: str, version: int, dirty: bool) -> None:
    """golang-migrate's SetVersion: empty the table and write the one row, in a transaction.
    Version -1 (no migration) leaves the table empty unless it is dirty."""
    run(conn, "BEGIN", dialect)
    run(conn, f"DELETE FROM {MIGRATE_TABLE}", dialect)
    if version >= 0 or dirty:
        run(
            conn,
            f"INSERT INTO {MIGRATE_TABLE} (version, dirty) VALUES (:v, :d)",
            dialect,
            {"v": version, "d": dirty},
        )
    run(conn, "COMMIT", dialect)


def _migrate_body(conn: Connection, dialect: str, script: str, path: str) -> None:
    """Send a file the way golang-migrate's driver does (see the module docstring)."""
    several = len(split_sql(script)) > 1
    transaction = dialect == "sqlite" or (dialect == "postgresql" and several)
    execute(conn, dialect, script, path, transaction=transaction)


def _migrate_checked(conn: Connection, dialect: str, error: type[MigwrightError]) -> int:
    """Create the version table when missing; the current version; refuse a dirty one."""
    for statement in _MIGRATE_DDL[dialect]:
        run(conn, statement, dialect)
    state = migrate_version(conn)
    if state is not None and state[1]:
        raise error(
            f"Dirty database version {state[0]}. Fix and force version.",
            f"a migration failed half-way: repair the database, then `migrate force {state[0]}`"
            " (or the version before it) and run again",
        )
    return -1 if state is None else state[0]


def _migrate_up(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    upto: str | None,
    error: type[MigwrightError],
) -> list[str]:
    history = GOLANG_MIGRATE.history(repo, config)
    refs = history.migrations
    wanted = pick([ref.id for ref in refs], upto, error)
    ran: list[str] = []
    with autocommit(db) as conn:
        current = _migrate_checked(conn, db.dialect, error)
        for ref in refs:
            version = int(ref.id)
            if ref.id not in wanted or version <= current:
                continue
            up, _ = GOLANG_MIGRATE.migration_sql(repo, config, ref)
            _set_version(conn, db.dialect, version, True)
            try:
                if up.strip():
                    _migrate_body(conn, db.dialect, up, ref.path)
            except StatementFailed as exc:
                raise error(
                    f"migration failed: {exc}; the database is now dirty at version {version}",
                    _HINT,
                ) from exc
            _set_version(conn, db.dialect, version, False)
            ran.append(ref.id)
    return ran


def _migrate_down(
    repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, steps: int
) -> tuple[list[str], list[str]]:
    """Run `steps` down files; returns the versions undone and those without a down file."""
    history = GOLANG_MIGRATE.history(repo, config)
    versions = [int(ref.id) for ref in history.migrations]
    by_version = {int(ref.id): ref for ref in history.migrations}
    undone: list[str] = []
    empty: list[str] = []
    with autocommit(db) as conn:
        current = _migrate_checked(conn, db.dialect, ValidationFailed)
        for _ in range(steps):
            if current < 0:
                raise ValidationFailed(
                    f"cannot roll back {steps} migrations: only {len(undone)} had run",
                    "roll back fewer steps",
                )
            ref = by_version.get(current)
            if ref is None:
                raise ValidationFailed(
                    f"no migration found for version {current}", "restore its files first"
                )
            earlier = [v for v in versions if v < current]
            target = earlier[-1] if earlier else -1
            _, down = GOLANG_MIGRATE.migration_sql(repo, config, ref)
            _set_version(conn, db.dialect, target, True)
            if down is None:
                empty.append(ref.id)
            else:
                try:
                    _migrate_body(conn, db.dialect, down, ref.path.replace(".up.", ".down."))
                except StatementFailed as exc:
                    raise ValidationFailed(
                        f"migration failed: {exc}; the database is now dirty at version {target}",
                        _HINT,
                    ) from exc
            _set_version(conn, db.dialect, target, False)
            undone.append(ref.id)
            current = target
    return undone, empty


# ---------------------------------------------------------------------------------------------
# The runner interface: apply / rollback / replay, dispatched on the framework
# ---------------------------------------------------------------------------------------------


def apply(
    repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, upto: str | None = None
) -> str:
    """Apply the pending migrations (up to and including `upto`)."""
    start = time.monotonic()
    if config.framework == "golang_migrate":
        ran = _migrate_up(repo, config, db, upto, ValidationFailed)
        how = "golang-migrate semantics re-implemented by migwright (migrate up)"
    else:
        ran = _sqlfiles_apply(repo, config, db, upto, ValidationFailed)
        how = "SQL files applied in order by migwright"
    took = time.monotonic() - start
    return f"{how} on a {db.dialect} scratch database: {len(ran)} applied in {took:.2f}s"


def rollback(repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, steps: int = 1) -> str:
    """Undo the last `steps` migrations with their down SQL."""
    if config.framework == "golang_migrate":
        undone, empty = _migrate_down(repo, config, db, steps)
        note = (
            f"; no down file for {', '.join(empty)}: version moved back without running anything"
            if empty
            else ""
        )
        return (
            f"golang-migrate semantics re-implemented by migwright (migrate down {steps}) on a "
            f"{db.dialect} scratch database: {len(undone)} rolled back{note}"
        )
    undone = _sqlfiles_rollback(repo, config, db, steps)
    return (
        f"down SQL run by migwright on a {db.dialect} scratch database: {len(undone)} rolled back"
    )


def replay(analysis: Analysis, db: ScratchDatabase, upto: str | None = None) -> ReplayResult:
    """The repo's history onto `db` (the RUNNERS entry for golang_migrate and sqlfiles)."""
    history_upto(analysis, upto)
    if analysis.config.framework == "golang_migrate":
        ran = _migrate_up(analysis.repo, analysis.config, db, upto, HistoryError)
        return ReplayResult("golang-migrate semantics re-implemented by migwright", tuple(ran))
    ran = _sqlfiles_apply(analysis.repo, analysis.config, db, upto, HistoryError)
    return ReplayResult("SQL files applied in order by migwright", tuple(ran))
