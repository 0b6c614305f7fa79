"""Running a migration's statements one by one, recording each: the Observer.

An `Observer` is what `validate` hands a `MigrationUnderTest`: it executes statements (or a
framework runner as one step) on the scratch database and records each as a `StatementRun`.
The statements run the way a careful runner would run them: on PostgreSQL and SQLite each
stretch of transactional statements inside one BEGIN/COMMIT (DDL is transactional there, and
Alembic, Django and Knex do the same), statements that refuse a transaction (CREATE INDEX
CONCURRENTLY, SQLite's PRAGMA foreign_keys) between the stretches; on MySQL each statement
alone, because every DDL statement commits by itself anyway.

Subclasses watch what their database can show: PostgreSQL's locks and rewrites
(`validate_locks`), MySQL's ALTER algorithm (`validate_mysql`). SQLite has nothing to watch:
every write transaction locks the whole database, which the report says once.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.engine import Connection, Engine

from .dialects.base import Statement
from .errors import MigwrightError
from .scratch import guard
from .validate_report import StatementRun

SQLITE_NOTE = "SQLite locks the whole database for each write transaction"


class Target(Protocol):
    """A database a validation runs on: a ScratchDatabase, or one the user named explicitly."""

    dialect: str
    name: str
    url: str

    @property
    def safe_url(self) -> str: ...

    def engine(self) -> Engine: ...


@dataclass(frozen=True)
class DbError:
    """A database's refusal, in its own words, with what it says about where it happened."""

    message: str
    code: str | None = None
    table: str | None = None
    column: str | None = None
    constraint: str | None = None


class StatementError(Exception):
    """A statement (or framework run) failed; carries its record and the database's error.

    Internal to the validator: `validate` turns it into a failed phase with the rows involved.
    """

    def __init__(self, run: StatementRun, error: DbError) -> None:
        super().__init__(error.message)
        self.run = run
        self.error = error


def db_error(exc: BaseException) -> DbError:
    """The driver's error as a DbError (psycopg diagnostics, PyMySQL codes, sqlite3 names)."""
    diag = getattr(exc, "diag", None)
    if diag is not None:  # psycopg
        message = diag.message_primary or str(exc).splitlines()[0]
        if diag.message_detail:
            message += f" ({diag.message_detail})"
        return DbError(
            message,
            getattr(exc, "sqlstate", None),
            diag.table_name,
            diag.column_name,
            diag.constraint_name,
        )
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    if len(args) == 2 and isinstance(args[0], int):  # PyMySQL: (code, message)
        return DbError(str(args[1]), str(args[0]))
    name = getattr(exc, "sqlite_errorname", None)
    text = str(exc).strip().splitlines()
    return DbError(text[0] if text else type(exc).__name__, name)


def as_statement(sql: str) -> Statement:
    """A hand-written statement, outside a transaction where the database insists on that."""
    upper = " ".join(sql.upper().split())
    outside = (
        "CONCURRENTLY" in upper
        or upper.startswith(("PRAGMA FOREIGN_KEYS", "VACUUM"))
        or (upper.startswith("ALTER TYPE") and " ADD VALUE" in upper)
    )
    return Statement(sql.strip().rstrip(";").strip(), transactional=not outside)


@dataclass
class Outcome:
    """What executing one statement returned, besides its rows."""

    rows: list[Any] = field(default_factory=list)
    algorithm: str | None = None
    note: str | None = None


@dataclass
class Watch:
    """What an observer found out about one statement."""

    locks: dict[str, str] = field(default_factory=dict)
    new_locks: dict[str, str] = field(default_factory=dict)
    rewritten: tuple[str, ...] = ()


class Observer:
    """Runs statements on `db` and records each; subclasses watch what their database shows."""

    #: Run transactional statements in BEGIN/COMMIT stretches (False: each on its own).
    group_transactions = True

    def __init__(self, db: Target, *, explicit: bool = False, poll_interval: float = 0.005):
        self.db = db
        self.explicit = explicit
        self.poll_interval = poll_interval
        self.runs: list[StatementRun] = []
        self.notes: list[str] = []

    # -- what a MigrationUnderTest calls ----------------------------------------------------------
    def run_statements(self, statements: Sequence[Statement | str]) -> None:
        """Execute `statements` in order; raises StatementError at the first refusal."""
        items = [s if isinstance(s, Statement) else as_statement(s) for s in statements]
        guard(self.db.url, explicit=self.explicit)
        with self.db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            raw: Any = conn.connection.dbapi_connection
            dbapi_error: type[BaseException] = conn.dialect.loaded_dbapi.Error
            self.start(conn)
            open_tx = False
            try:
                for statement in items:
                    if self.group_transactions and statement.transactional != open_tx:
                        self._plain(raw, dbapi_error, "BEGIN" if not open_tx else "COMMIT")
                        open_tx = not open_tx
                    self._run_one(raw, dbapi_error, statement)
                if open_tx:
                    open_tx = False
                    self._plain(raw, dbapi_error, "COMMIT")
            except BaseException:
                if open_tx:
                    with contextlib.suppress(Exception):
                        raw.cursor().execute("ROLLBACK")
                raise
            finally:
                self.finish(raw)

    def run_external(self, label: str, action: Callable[[], str | None]) -> str | None:
        """Run a framework runner as one step; its MigwrightError becomes a StatementError."""
        guard(self.db.url, explicit=self.explicit)
        token = self.before_external()
        started = time.perf_counter()
        error: DbError | None = None
        result: str | None = None
        try:
            result = action()
        except MigwrightError as exc:
            error = DbError(exc.one_line())
        except BaseException:  # Ctrl-C or a bug: stop watching before the stack unwinds
            self.finish(None)
            raise
        seconds = time.perf_counter() - started
        watch = self.after_external(token)
        run = StatementRun(
            label,
            seconds,
            ok=error is None,
            error=error.message if error else None,
            locks=watch.locks,
            new_locks=watch.new_locks,
            rewritten=watch.rewritten,
            note=result,
        )
        self.runs.append(run)
        if error is not None:
            raise StatementError(run, error)
        return result

    # -- hooks for subclasses ---------------------------------------------------------------------
    def start(self, conn: Connection) -> None:
        """Called once per run_statements with the migration's connection."""

    def finish(self, raw: Any) -> None:
        """Called when run_statements ends, also after a failure."""

    def before(self, raw: Any, sql: str) -> Any:
        """Called right before a statement; returns what `after` needs."""
        return None

    def after(self, raw: Any, token: Any, failed: bool) -> Watch:
        return Watch()

    def before_external(self) -> Any:
        return None

    def after_external(self, token: Any) -> Watch:
        return Watch()

    def execute(self, raw: Any, dbapi_error: type[BaseException], sql: str) -> Outcome:
        cursor = raw.cursor()
        try:
            cursor.execute(sql)
            return Outcome(list(cursor.fetchall()) if cursor.description else [])
        finally:
            cursor.close()

    # -- internals --------------------------------------------------------------------------------
    def _plain(self, raw: Any, dbapi_error: type[BaseException], sql: str) -> None:
        """BEGIN/COMMIT: recorded only when they fail (a deferred constraint at COMMIT)."""
        started = time.perf_counter()
        try:
            raw.cursor().execute(sql)
        except dbapi_error as exc:
            error = db_error(exc)
            run = StatementRun(sql, time.perf_counter() - started, False, error.message)
            self.runs.append(run)
            raise StatementError(run, error) from exc

    def _run_one(self, raw: Any, dbapi_error: type[BaseException], statement: Statement) -> None:
        token = self.before(raw, statement.sql)
        started = time.perf_counter()
        error: DbError | None = None
        outcome = Outcome()
        try:
            outcome = self.execute(raw, dbapi_error, statement.sql)
        except dbapi_error as exc:
            error = db_error(exc)
        seconds = time.perf_counter() - started
        watch = self.after(raw, token, error is not None)
        if error is None and outcome.rows and _is_fk_check(statement.sql):
            shown = "; ".join(str(tuple(r)) for r in outcome.rows[:5])
            error = DbError(f"the change broke {len(outcome.rows)} foreign key references: {shown}")
        run = StatementRun(
            statement.sql,
            seconds,
            ok=error is None,
            error=error.message if error else None,
            locks=watch.locks,
            new_locks=watch.new_locks,
            rewritten=watch.rewritten,
            algorithm=outcome.algorithm,
            note=outcome.note or statement.note,
        )
        self.runs.append(run)
        if error is not None:
            raise StatementError(run, error)


def _is_fk_check(sql: str) -> bool:
    return " ".join(sql.upper().split()).startswith("PRAGMA FOREIGN_KEY_CHECK")


class SQLiteObserver(Observer):
    def start(self, conn: Connection) -> None:
        if SQLITE_NOTE not in self.notes:
            self.notes.append(SQLITE_NOTE)

    def finish(self, raw: Any) -> None:
        # A rebuild that failed between its two PRAGMAs would leave foreign keys off on a
        # pooled connection; every later check must see them enforced.
        with contextlib.suppress(Exception):
            raw.cursor().execute("PRAGMA foreign_keys=ON")


def plain_connection(engine: Engine) -> Connection:
    """A connection whose parameterless statements reach the driver untouched: a `%` in a
    LIKE pattern or a user's check query is not taken for a placeholder."""
    return engine.connect().execution_options(no_parameters=True)


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """`with timed() as t:` ... `t[0]` holds the seconds the block took."""
    box = [0.0]
    started = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - started
