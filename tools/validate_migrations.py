"""What the validator runs: migrations under test, and how the state before them is made.

A `MigrationUnderTest` prepares the database (the state before the migration), runs its up and
its down through an `Observer`, and says what it is. Three kinds exist:

- `SqlMigration(plan)`: migwright renders the plan's operations for the database and executes
  them itself, statement by statement, so each can be observed;
- `RawMigration(plan, up, down)`: hand-written SQL (a SQL migration file, or a deliberately
  broken migration in a test) checked against what its plan says it does;
- `FrameworkMigration(apply, rollback)`: a framework's own runner (Alembic, Django, Knex ...),
  one step each for the observer, so runners plug in without the validator knowing them.

The state before comes from a `Preparer`: `from_history` replays the repo's history with its
runner, `from_schema` creates the plan's `before` schema with migwright's DDL when there is no
repo. `NamedDatabase` stands for a database the user named explicitly (never created or
dropped by migwright).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

from .diff import diff_schemas
from .errors import IrreversibleError
from .frameworks.render import MigrationPlan
from .repo import redact
from .schema import Schema
from .scratch import dialect_of
from .sql import Statement, render, reverse_statements
from .sqlscript import split_sql
from .validate_locks import PostgresObserver
from .validate_mysql import MySQLObserver
from .validate_observe import Observer, SQLiteObserver, Target

#: Brings a database to the state before the migration; returns how, in a few words.
Preparer = Callable[[Target], str]


class MigrationUnderTest(Protocol):
    """What the validator runs. `up`/`down` execute through the observer so it can watch."""

    description: str

    def prepare(self, db: Target) -> str: ...

    def up(self, db: Target, observer: Observer) -> None: ...

    def down(self, db: Target, observer: Observer) -> None: ...


def observer_for(db: Target, *, poll_interval: float = 0.005) -> Observer:
    """The observer that watches what `db`'s kind of database can tell."""
    explicit = bool(getattr(db, "explicit", False))
    kinds: dict[str, type[Observer]] = {
        "postgresql": PostgresObserver,
        "mysql": MySQLObserver,
        "sqlite": SQLiteObserver,
    }
    return kinds.get(db.dialect, Observer)(db, explicit=explicit, poll_interval=poll_interval)


# ---------------------------------------------------------------------------------------------
# Preparing the state before the migration
# ---------------------------------------------------------------------------------------------


def from_schema(schema: Schema) -> Preparer:
    """Create `schema` from nothing with migwright's own DDL (when there is no repo history)."""

    def prepare(db: Target) -> str:
        operations = diff_schemas(Schema(), schema)
        statements = render(operations, Schema(), db.dialect)
        observer_for(db).run_statements(statements)
        return f"migwright created the plan's before schema ({len(schema.tables)} tables)"

    return prepare


def from_history(analysis: Any, upto: str | None = None) -> Preparer:
    """Replay the repo's history (up to `upto`) with its framework's runner."""
    from .runners import replay

    def prepare(db: Target) -> str:
        result = replay(analysis, cast(Any, db), upto)
        return f"{result.method} ({len(result.applied)} migrations)"

    return prepare


# ---------------------------------------------------------------------------------------------
# Migrations under test
# ---------------------------------------------------------------------------------------------


class SqlMigration:
    """The plan's operations rendered by migwright, executed one statement at a time."""

    #: Runs exactly the plan's statements: tables the plan does not name (nor reach through
    #: foreign keys) cannot change, so the validator checks them by row count and key only.
    runs_plan_only = True

    def __init__(self, plan: MigrationPlan, *, prepare: Preparer | None = None) -> None:
        self.plan = plan
        self.description = plan.description
        self._prepare = prepare or from_schema(plan.before)

    def prepare(self, db: Target) -> str:
        return self._prepare(db)

    def up_statements(self, dialect: str) -> Sequence[Statement | str]:
        return render(self.plan.operations, self.plan.before, dialect)

    def down_statements(self, dialect: str) -> Sequence[Statement | str]:
        """Raises IrreversibleError when the plan has no down."""
        return reverse_statements(self.plan.operations, self.plan.before, dialect)

    def up(self, db: Target, observer: Observer) -> None:
        observer.run_statements(self.up_statements(db.dialect))

    def down(self, db: Target, observer: Observer) -> None:
        observer.run_statements(self.down_statements(db.dialect))


class RawMigration(SqlMigration):
    """Hand-written SQL for the up and the down (a SQL migration file, or a test's broken one).

    `plan` still says what the migration is meant to do: the verdicts compare against it.
    A script is split into statements the way a database client would (`sqlscript`).
    """

    runs_plan_only = False  # hand-written SQL may touch anything: every table is checked

    def __init__(
        self,
        plan: MigrationPlan,
        up: str | Sequence[str],
        down: str | Sequence[str] | None,
        *,
        prepare: Preparer | None = None,
    ) -> None:
        super().__init__(plan, prepare=prepare)
        self._up = _statements(up)
        self._down = None if down is None else _statements(down)

    def up_statements(self, dialect: str) -> Sequence[Statement | str]:
        return self._up

    def down_statements(self, dialect: str) -> Sequence[Statement | str]:
        if self._down is None:
            raise IrreversibleError("the migration has no down", "write one to validate it")
        return self._down


def _statements(sql: str | Sequence[str]) -> list[str]:
    if isinstance(sql, str):
        return [s.sql for s in split_sql(sql)]
    return [s for s in sql if s.strip()]


class FrameworkMigration:
    """A framework's own runner: `apply(db)` and `rollback(db)` run it on the database.

    The runner is one step for the observer (its statements are its own business); on
    PostgreSQL the locks every session on the database takes while it runs are still recorded.
    """

    def __init__(
        self,
        apply: Callable[[Target], str | None],
        rollback: Callable[[Target], str | None],
        *,
        prepare: Preparer,
        description: str = "",
        label: str = "framework runner",
    ) -> None:
        self._apply = apply
        self._rollback = rollback
        self._prepare = prepare
        self.description = description
        self.label = label

    def prepare(self, db: Target) -> str:
        return self._prepare(db)

    def up(self, db: Target, observer: Observer) -> None:
        observer.run_external(f"{self.label}: up", lambda: self._apply(db))

    def down(self, db: Target, observer: Observer) -> None:
        observer.run_external(f"{self.label}: down", lambda: self._rollback(db))


# ---------------------------------------------------------------------------------------------
# Databases the user names
# ---------------------------------------------------------------------------------------------


class NamedDatabase:
    """A database the user named with `--db URL --i-know-this-is-not-production`.

    migwright neither creates nor drops it; `explicit` lets the guards through.
    """

    explicit = True

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = dialect_of(url)
        self.name = make_url(url).database or ""
        self._engine: Engine | None = None

    @property
    def safe_url(self) -> str:
        return redact(self.url)

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine(self.url)
            if self.dialect == "sqlite":

                @event.listens_for(self._engine, "connect")
                def _foreign_keys_on(dbapi_connection: Any, _record: Any) -> None:
                    cursor = dbapi_connection.cursor()
                    cursor.execute("PRAGMA foreign_keys=ON")
                    cursor.close()

        return self._engine

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
