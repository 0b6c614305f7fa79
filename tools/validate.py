"""Prove a migration on a scratch database with production-like data: up, down, up.

`validate(mut, plan, dialect=...)` creates a fresh scratch database and walks five phases:

1. history: `mut.prepare` brings the database to the state before the migration (the repo's
   history replayed by its runner, or the plan's `before` schema created by migwright); the
   database must then hold the schema the plan assumes;
2. seed: production-like rows in every table (`seed.py`), then a data snapshot (row counts and
   checksums, `datacheck.py`), a sample of rows, and query plans for the new indexes;
3. up: run, observed statement by statement (locks and rewrites on PostgreSQL, the ALTER
   algorithm on MySQL); afterwards the schema must be the plan's `after`, every data difference
   must be one the plan declares, no rows may vanish unless the plan deletes, backfills must
   have filled what they promised, narrowed strings must fit, custom check queries must return
   nothing;
4. down: the schema must be exactly the one before the up, and the data in every column that
   survives the plan's declared losses must be unchanged;
5. re-up: the up must run again and give the plan's `after` again.

A statement the database refuses ends its phase as failed, with the database's message, the
statement, and the rows behind it (duplicates, NULLs, long values). The scratch database is
dropped on the way out, also on errors and Ctrl-C (`scratch.py`). What runs the migration is a
`MigrationUnderTest`: `SqlMigration` (migwright's own rendered statements), `RawMigration`
(hand-written SQL) or `FrameworkMigration` (a framework runner's apply/rollback), so framework
runners plug in without the validator knowing them.

`validate` only ever touches databases it created. `validate_on(url, ...)` runs on a database
the user names, and refuses unless `explicit=True` (the CLI's `--i-know-this-is-not-production`).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import NoReturn

from .datacheck import DataSnapshot, DeclaredChanges, declared_changes
from .errors import IrreversibleError, MigwrightError
from .frameworks.render import MigrationPlan
from .introspect import introspect
from .schema import Schema
from .scratch import (
    create_scratch,
    guard,
    live_scratch_databases,
    server_version,
)
from .seed import seed as seed_rows
from .validate_checks import (
    TableSample,
    backfill_verdicts,
    custom_check_verdicts,
    data_verdicts,
    focus_tables,
    implicit_default_verdicts,
    length_verdicts,
    out_of_focus,
    parallel_snapshot,
    take_samples,
)
from .validate_culprits import find_culprits
from .validate_explain import PendingExplain, explain_after, explain_before
from .validate_migrations import (
    FrameworkMigration,
    MigrationUnderTest,
    NamedDatabase,
    RawMigration,
    SqlMigration,
    from_history,
    from_schema,
    observer_for,
)
from .validate_observe import Observer, StatementError, Target, timed
from .validate_report import (
    PHASES,
    ExplainResult,
    Failure,
    Phase,
    PhaseName,
    ValidationReport,
    Verdict,
)
from .validate_schema import schema_verdict

__all__ = [
    "FrameworkMigration",
    "MigrationUnderTest",
    "NamedDatabase",
    "RawMigration",
    "SqlMigration",
    "ValidationReport",
    "from_history",
    "from_schema",
    "observer_for",
    "validate",
    "validate_on",
]

# ---------------------------------------------------------------------------------------------
# The entry points
# ---------------------------------------------------------------------------------------------


def validate(
    mut: MigrationUnderTest,
    plan: MigrationPlan,
    *,
    dialect: str,
    rows: int = 1000,
    seed: int = 0,
    checks: Sequence[str] = (),
    server_url: str | None = None,
    poll_interval: float = 0.005,
    exclude: Sequence[str] = (),
    expected: Schema | None = None,
) -> ValidationReport:
    """Validate `mut` (meant to do `plan`) on a fresh scratch database of `dialect`.

    `exclude` names tables to leave out of every schema comparison: a framework's bookkeeping
    table under a name the repo chose (TypeORM's migrationsTableName, Knex's tableName).
    `expected` is the schema after the up when the framework knows better than `plan.after`
    (Rails' rename_table also renames the indexes Rails named); None means `plan.after`.
    """
    with create_scratch(dialect, server_url) as db:
        run = _Validation(
            mut, plan, db, rows, seed, checks, poll_interval, exclude=exclude, expected=expected
        )
        return run.run()


def validate_on(
    url: str,
    mut: MigrationUnderTest,
    plan: MigrationPlan,
    *,
    explicit: bool = False,
    rows: int = 1000,
    seed: int = 0,
    checks: Sequence[str] = (),
    poll_interval: float = 0.005,
) -> ValidationReport:
    """Validate on a database the user names; refuses unless `explicit` or it is a scratch
    database this run created.

    An empty database is prepared and seeded like a scratch one. A database that already holds
    tables (a staging copy) is taken as the state before the migration, with its own data:
    nothing is created or seeded. Either way it is left as the last phase leaves it.
    """
    guard(url, explicit=explicit)
    if not explicit:
        owned = [d for d in live_scratch_databases() if d.url == url]
        if owned:
            return _Validation(mut, plan, owned[0], rows, seed, checks, poll_interval).run()
    named = NamedDatabase(url)
    try:
        existing = bool(introspect(named.engine()).tables)
        run = _Validation(mut, plan, named, rows, seed, checks, poll_interval, existing)
        return run.run()
    finally:
        named.dispose()


class _Stop(Exception):
    """A phase failed; the later ones are skipped."""


class _Validation:
    """One validation run: the phases in order, each appending its Phase."""

    def __init__(
        self,
        mut: MigrationUnderTest,
        plan: MigrationPlan,
        db: Target,
        rows: int,
        seed: int,
        checks: Sequence[str],
        poll_interval: float,
        existing: bool = False,
        exclude: Sequence[str] = (),
        expected: Schema | None = None,
    ) -> None:
        self.mut, self.plan, self.db = mut, plan, db
        self.exclude = tuple(exclude)
        self.expected = plan.after if expected is None else expected
        self.dialect = db.dialect
        self.rows, self.seed, self.checks = rows, seed, list(checks)
        self.poll_interval = poll_interval
        self.existing = existing
        self.explicit = bool(getattr(db, "explicit", False))
        self.engine = db.engine()
        self.phases: list[Phase] = []
        self.notes: list[str] = []
        self.explains: list[ExplainResult] = []
        self.pending: list[PendingExplain] = []
        self.declared: DeclaredChanges = declared_changes(plan.operations, plan.before)
        self.before = Schema()
        self.snap_before = DataSnapshot(self.dialect)
        self.samples: dict[str, TableSample] = {}
        self.focus = (
            focus_tables(plan.operations, plan.before)
            if getattr(mut, "runs_plan_only", False)
            else None
        )

    def run(self) -> ValidationReport:
        if self.plan.dialect and self.plan.dialect != self.dialect:
            self.notes.append(
                f"the plan targets {self.plan.dialect}; validated on {self.dialect}, so "
                f"{self.plan.dialect}-only behaviour (locks, types) is not proved here"
            )
        if self.explicit:
            self.notes.append(
                f"ran on the database you named ({self.db.safe_url}); it is left as the last "
                "phase left it"
            )
        try:
            self._history()
            self._seed()
            self._up()
            self._down()
            self._re_up()
        except _Stop:
            pass
        done = {p.name for p in self.phases}
        for name in PHASES:
            if name not in done:
                self.phases.append(
                    Phase(name, "skipped", notes=("not run: an earlier phase stopped",))
                )
        return ValidationReport(
            dialect=self.dialect,
            database=self.db.name if not self.explicit else self.db.safe_url,
            rows=self.rows,
            seed=self.seed,
            description=self.mut.description or self.plan.description,
            server_version=self._server_version(),
            phases=tuple(self.phases),
            explains=tuple(self.explains),
            notes=tuple(self.notes),
        )

    # -- phases -----------------------------------------------------------------------------------
    def _history(self) -> None:
        started = time.perf_counter()
        if self.existing:
            method = "the database as you named it (its tables are the state before)"
        else:
            try:
                method = self.mut.prepare(self.db)
            except (StatementError, MigwrightError) as exc:
                self._failed("history", time.perf_counter() - started, exc, None)
        seconds = time.perf_counter() - started
        with timed() as check:
            self.before = introspect(self.engine, exclude=self.exclude)
            verdict = schema_verdict("history", self.before, self.plan.before, self.dialect)
        self.phases.append(
            Phase(
                "history",
                "passed",
                seconds,
                check[0],
                method,
                self.before,
                verdicts=(verdict,),
                expected=self.plan.before,
            )
        )

    def _seed(self) -> None:
        started = time.perf_counter()
        notes: list[str] = []
        if self.existing:
            method = "kept the rows the database holds"
        else:
            try:
                report = seed_rows(
                    self.engine,
                    self.before,
                    rows=self.rows,
                    seed=self.seed,
                    dialect=self.dialect,
                    explicit=self.explicit,
                )
            except MigwrightError as exc:
                self._failed("seed", time.perf_counter() - started, exc, None)
            method = f"{self.rows} rows per table, seed {self.seed}"
            notes = [
                f"{t.table}: {d.count} rows not loaded ({d.reason})"
                for t in report.tables
                for d in t.dropped
            ]
        seconds = time.perf_counter() - started
        with timed() as check:
            self.snap_before = parallel_snapshot(
                self.engine, self.before, columns=out_of_focus(self.before, self.focus)
            )
            self.samples = take_samples(self.engine, self.before)
            self.pending = explain_before(
                self.engine, self.dialect, self.plan.operations, self.before
            )
        light = sorted(out_of_focus(self.before, self.focus))
        if light:
            named = ", ".join(light[:5]) + (", ..." if len(light) > 5 else "")
            what = "1 table" if len(light) == 1 else f"{len(light)} tables"
            verb = "is" if len(light) == 1 else "are"
            notes.append(
                f"{what} the plan does not reach ({named}) {verb} checked by row count and key only"
            )
        counts = {name: t.rows for name, t in self.snap_before.tables.items()}
        total = sum(counts.values())
        verdict = Verdict("rows", True, f"{total} rows in {len(counts)} tables")
        self.phases.append(
            Phase(
                "seed",
                "passed",
                seconds,
                check[0],
                method,
                self.before,
                counts,
                _checksums(self.snap_before),
                verdicts=(verdict,),
                notes=tuple(notes),
            )
        )

    def _up(self) -> None:
        observer = observer_for(self.db, poll_interval=self.poll_interval)
        seconds = self._execute("up", observer, self.mut.up)
        with timed() as check:
            after = introspect(self.engine, exclude=self.exclude)
            verdicts = [schema_verdict("up", after, self.expected, self.dialect)]
            snap: DataSnapshot | None = None
            try:
                snap = parallel_snapshot(
                    self.engine, after, columns=out_of_focus(after, self.focus)
                )
                verdicts += data_verdicts(
                    self.engine, self.snap_before, snap, self.declared, self.samples, after
                )
            except MigwrightError as exc:
                verdicts.append(Verdict("data", False, f"the data could not be read: {exc}"))
            verdicts += backfill_verdicts(self.engine, self.dialect, self.plan.operations, after)
            verdicts += length_verdicts(self.engine, self.dialect, self.plan.operations, after)
            if self.dialect == "mysql":
                counts = {n: t.rows for n, t in self.snap_before.tables.items()}
                verdicts += implicit_default_verdicts(
                    self.engine, self.plan.before, self.plan.after, counts
                )
            verdicts += custom_check_verdicts(self.engine, self.checks)
            self.explains = explain_after(self.engine, self.dialect, self.pending, after)
        self.phases.append(
            Phase(
                "up",
                "passed",
                seconds,
                check[0],
                _method(observer),
                after,
                {n: t.rows for n, t in snap.tables.items()} if snap else {},
                _checksums(snap) if snap else {},
                tuple(observer.runs),
                tuple(verdicts),
                notes=tuple(observer.notes),
                expected=self.expected,
            )
        )

    def _down(self) -> None:
        observer = observer_for(self.db, poll_interval=self.poll_interval)
        try:
            seconds = self._execute("down", observer, self.mut.down)
        except IrreversibleError as exc:
            note = f"the migration has no down, so the round trip is not proved: {exc}"
            self.phases.append(Phase("down", "skipped", notes=(note,)))
            self.phases.append(Phase("re-up", "skipped", notes=("not run: there is no down",)))
            raise _Stop from exc
        with timed() as check:
            after = introspect(self.engine, exclude=self.exclude)
            verdicts = [
                schema_verdict("down", after, self.before, self.dialect, reference=self.expected)
            ]
            snap: DataSnapshot | None = None
            tables = [t for t in self.before.table_names if after.has_table(t)]
            try:
                snap = parallel_snapshot(
                    self.engine, after, tables, out_of_focus(after, self.focus)
                )
                verdicts += data_verdicts(
                    self.engine,
                    self.snap_before,
                    snap,
                    _round_trip(self.declared),
                    self.samples,
                    after,
                    stage="the up and the down",
                )
            except MigwrightError as exc:
                verdicts.append(Verdict("data", False, f"the data could not be read: {exc}"))
        self.phases.append(
            Phase(
                "down",
                "passed",
                seconds,
                check[0],
                _method(observer),
                after,
                {n: t.rows for n, t in snap.tables.items()} if snap else {},
                _checksums(snap) if snap else {},
                tuple(observer.runs),
                tuple(verdicts),
                notes=tuple(observer.notes),
                expected=self.before,
            )
        )

    def _re_up(self) -> None:
        observer = observer_for(self.db, poll_interval=self.poll_interval)
        seconds = self._execute("re-up", observer, self.mut.up)
        with timed() as check:
            after = introspect(self.engine, exclude=self.exclude)
            verdicts = [schema_verdict("re-up", after, self.expected, self.dialect)]
            verdicts += custom_check_verdicts(self.engine, self.checks)
        self.phases.append(
            Phase(
                "re-up",
                "passed",
                seconds,
                check[0],
                _method(observer),
                after,
                statements=tuple(observer.runs),
                verdicts=tuple(verdicts),
                notes=tuple(observer.notes),
                expected=self.expected,
            )
        )

    # -- helpers ----------------------------------------------------------------------------------
    def _execute(
        self,
        name: PhaseName,
        observer: Observer,
        step: Callable[[Target, Observer], None],
    ) -> float:
        """Run `step`; on a refusal record the failed phase (with its rows) and stop."""
        started = time.perf_counter()
        try:
            step(self.db, observer)
        except IrreversibleError:
            raise
        except (StatementError, MigwrightError) as exc:
            notes = list(observer.notes)
            done = sum(1 for r in observer.runs if r.ok)
            if self.dialect == "mysql" and done:
                what = "statement" if done == 1 else f"{done} statements"
                notes.append(
                    f"MySQL committed the {what} before the failing one: the database is left "
                    "half-migrated (DDL cannot be rolled back there)"
                )
            self._failed(name, time.perf_counter() - started, exc, observer, tuple(notes))
        return time.perf_counter() - started

    def _failed(
        self,
        name: PhaseName,
        seconds: float,
        exc: BaseException,
        observer: Observer | None,
        notes: tuple[str, ...] = (),
    ) -> NoReturn:
        if isinstance(exc, StatementError):
            culprits = find_culprits(self.engine, self.dialect, exc.run.sql, exc.error, self.before)
            failure = Failure(
                exc.error.message,
                exc.run.sql,
                culprits.note if culprits else None,
                culprits.rows if culprits else (),
                culprits.hint if culprits else "",
            )
        elif isinstance(exc, MigwrightError):
            failure = Failure(str(exc), hint=exc.hint)
        else:
            failure = Failure(str(exc))
        statements = tuple(observer.runs) if observer is not None else ()
        self.phases.append(
            Phase(name, "failed", seconds, statements=statements, failure=failure, notes=notes)
        )
        raise _Stop from exc

    def _server_version(self) -> str | None:
        if self.dialect == "sqlite":
            return sqlite3.sqlite_version
        try:
            return ".".join(str(part) for part in server_version(self.engine))
        except Exception:  # the version is a courtesy in the report
            return None


def _method(observer: Observer) -> str:
    runs = len(observer.runs)
    return f"{runs} statement{'s' if runs != 1 else ''} run and observed one by one"


def _checksums(snap: DataSnapshot) -> dict[str, str]:
    return {name: t.checksum for name, t in snap.tables.items()}


def _round_trip(declared: DeclaredChanges) -> DeclaredChanges:
    """What an up followed by its down may change: a dropped column comes back without its
    values, a dropped table comes back empty; names are back to what they were."""
    return replace(
        declared,
        changed_tables=declared.changed_tables | declared.dropped_tables,
        changed_columns=declared.changed_columns | declared.dropped_columns,
        renamed_tables={},
        renamed_columns={},
    )
