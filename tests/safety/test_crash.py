"""Crash consistency of migwright's safe PostgreSQL migrations: kill anywhere, re-run, done.

For each case (add index, add foreign key, add unique, set NOT NULL, add a column with a
volatile default, a type change through expand/contract) the safe plan is rendered the way
`migwright sql` renders it (`safe_operations`, then `sql.render` and `sql.script`) and run by
psql, statement by statement, against a 10,000-row table. A seeded random clock kills the run
at a random moment, half of the time with SIGKILL of the psql process and half with
`pg_terminate_backend` from another connection. Then the whole migration runs again, to the end,
and must:

- finish (exit code 0): every step is safe to repeat after a crash;
- leave the schema the plan says (introspected, compared with `apply_all(plan, before)`);
- leave no INVALID index (`pg_index.indisvalid`) and no NOT VALID constraint
  (`pg_constraint.convalidated`).

A kill of psql alone does not stop the server's backend at once: it runs its statement on
until it notices the client is gone. The run sets `client_connection_check_interval` so that
it notices within 50 ms (what a dead deploy job looks like a moment later), and the re-run
starts only once the killed backend has left `pg_stat_activity`.

A failure is a bug in the safe rendering; it is recorded with the kill point, the statement
that was running and the re-run's error in `CRASH_BUGS` (default
$TMPDIR/migwright_crash_bugs.md) and fails the case.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from conftest import require_server
from sqlalchemy import Engine, create_engine

from migwright.tools import ops as o
from migwright.tools.introspect import introspect
from migwright.tools.schema import Column, ForeignKey, Index, Schema, UniqueConstraint
from migwright.tools.scratch import ScratchDatabase, create_scratch
from migwright.tools.sql import render, script

pytestmark = pytest.mark.postgres

SEED = 20261125
ROWS = 10_000
#: Kill points per case; 7 cases x 29 = 203 (the issue asks for at least 200 in total).
KILLS_PER_CASE = 29
MIN_KILLS = 200
#: Wall-clock stop for the whole module: a case stops early (and the count test says which)
#: past it. About 80 s on an idle 2-core machine; the margin is for a loaded one.
BUDGET_S = 240.0
PSQL = "/usr/bin/psql"
BUGS_FILE = Path(
    os.environ.get("CRASH_BUGS") or Path(tempfile.gettempdir()) / "migwright_crash_bugs.md"
)

SETUP_SQL = f"""
SET synchronous_commit = off;
DROP SCHEMA IF EXISTS public CASCADE;
CREATE SCHEMA public;
CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 2000) g;
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    user_id bigint,
    email text,
    quantity integer,
    amount integer,
    note text
);
INSERT INTO orders
SELECT g, 1 + g % 2000, 'buyer' || g || '@example.com', 1 + g % 7, g % 1000, NULL
FROM generate_series(1, {ROWS}) g;
"""


@dataclass(frozen=True)
class Case:
    """A request as operations; `phase` picks the expand or contract half of a type change."""

    name: str
    ops: tuple[o.Operation, ...]
    phase: str | None = None


AMOUNT_TO_BIGINT = o.AlterColumn("orders", "amount", type="bigint", using="amount::bigint")
CASES = (
    Case("add-index", (o.CreateIndex("orders", Index("orders_user_id_idx", ("user_id",))),)),
    Case(
        "add-foreign-key",
        (
            o.AddForeignKey(
                "orders", ForeignKey("orders_user_id_fkey", ("user_id",), "users", ("id",))
            ),
        ),
    ),
    Case("add-unique", (o.AddUnique("orders", UniqueConstraint("orders_email_key", ("email",))),)),
    Case("set-not-null", (o.AlterColumn("orders", "quantity", nullable=False),)),
    Case(
        "add-column-volatile-default",
        (
            o.AddColumn(
                "orders",
                Column("public_id", "uuid", nullable=False, default="gen_random_uuid()"),
            ),
        ),
    ),
    Case("type-change-expand", (AMOUNT_TO_BIGINT,), phase="expand"),
    Case("type-change-contract", (AMOUNT_TO_BIGINT,), phase="contract"),
)


@dataclass
class Migration:
    """What runs: the setup's extra SQL (an earlier migration), the script, the plan's result."""

    prelude: str
    sql: str
    planned: Schema
    rewritten: list[str]
    statements: list[str] = field(default_factory=list)

    def step_at(self, echoed: str) -> str:
        """Which statement psql had sent last (its -e echo), as `step i/n: first line`."""
        found = [(echoed.rfind(s), i) for i, s in enumerate(self.statements) if s in echoed]
        if not echoed:
            return "nothing: the whole migration had run"
        if not found:
            return "before the first statement"
        _, i = max(found)
        return f"step {i + 1}/{len(self.statements)}: {self.statements[i].splitlines()[0][:100]}"


@dataclass
class Tally:
    """Kill points across the module, and when the budget ran out."""

    started: float | None = None  #: the first case's start, not the module's import
    kills: int = 0
    per_case: dict[str, int] = field(default_factory=dict)
    out_of_budget: list[str] = field(default_factory=list)

    def left(self) -> float:
        if self.started is None:  # collection happens long before a full suite gets here
            self.started = time.monotonic()
        return BUDGET_S - (time.monotonic() - self.started)


TALLY = Tally()


def _safe_operations() -> Callable[..., list[o.Operation]]:
    try:
        from migwright.tools.zero_downtime import safe_operations
    except ImportError as err:  # the rewrite is another module's work; say so plainly
        pytest.fail(f"migwright.tools.zero_downtime.safe_operations missing: {err}")
    return safe_operations


def build(case: Case, before: Schema) -> Migration:
    """The migration migwright renders by default: a type change split into expand and
    contract, then `safe_operations`, then `sql.render` and `sql.script`."""
    safe = _safe_operations()
    ops: list[o.Operation] = list(case.ops)
    prelude = ""
    if case.phase:
        from migwright.tools.expand_contract import contract, expand

        expanded = safe(expand(ops, before, "postgresql") or ops, before, "postgresql")
        if case.phase == "expand":
            ops = expanded
        else:
            prelude = script(render(expanded, before, "postgresql"), "postgresql")
            before = o.apply_all(expanded, before)
            ops = contract(list(case.ops), before, "postgresql")
    safe_ops = ops if case.phase == "expand" else safe(ops, before, "postgresql")
    statements = render(safe_ops, before, "postgresql")
    return Migration(
        prelude,
        script(statements, "postgresql"),
        o.apply_all(safe_ops, before),
        [type(op).__name__ for op in safe_ops],
        [s.sql for s in statements],
    )


# ---------------------------------------------------------------------------------------------
# Database plumbing
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def database() -> Iterator[ScratchDatabase]:
    url = require_server("postgresql")
    if not Path(PSQL).is_file():
        message = f"{PSQL} missing: install postgresql-client (the runner these kills hit)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with create_scratch("postgresql", url) as db:
        yield db
        _ENGINES.pop(db.url).dispose()


#: One SQLAlchemy engine per scratch database for the introspection after every re-run.
_ENGINES: dict[str, Engine] = {}


def _engine(database: ScratchDatabase) -> Engine:
    if database.url not in _ENGINES:
        _ENGINES[database.url] = create_engine(database.url)
    return _ENGINES[database.url]


def _dsn(db: ScratchDatabase) -> str:
    return db.url.replace("postgresql+psycopg://", "postgresql://")


def _reset(dsn: str, prelude: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SETUP_SQL)
    if prelude:
        _run_psql(dsn, prelude, "crash-prelude").check_returncode()


def _run_psql(dsn: str, sql: str, app: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", "-"],
        input=sql,
        env=_psql_env(app),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _psql_env(app: str) -> dict[str, str]:
    return {
        **os.environ,
        "PGAPPNAME": app,
        # synchronous_commit off: no WAL flush wait per commit (the server is never crashed
        # here, only clients and backends), which keeps 200+ kill points within the budget
        "PGOPTIONS": "-c client_connection_check_interval=50 -c synchronous_commit=off",
    }


def _wait_gone(admin: psycopg.Connection, app: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _backends(admin, app):
            return
        time.sleep(0.005)
    raise AssertionError(f"backend {app} still running {timeout} s after its client was killed")


@dataclass(frozen=True)
class Kill:
    """One kill point: when, how, and what was running then (psql echoes each query)."""

    index: int
    mode: str
    at: float
    landed: bool
    echoed: str


def kill_once(
    dsn: str, admin: psycopg.Connection, sql: Path, rng: random.Random, n: int, span: float
) -> Kill:
    """Start the migration in psql and kill it a random time in [0, span) after its backend
    connected (span: how long the backend of an uninterrupted run lived).

    The kill lands only if the backend is still there at that moment; one that finished first
    is a kill after the last statement (before the runner records the migration as done), and
    the re-run after it must pass too, but it does not count as a kill point.
    """
    app = f"crash-{n}"
    mode = rng.choice(("sigkill", "terminate"))
    at = rng.uniform(0, span)
    proc = _start_psql(dsn, sql, app, echo=True)
    landed = False
    if _wait_backend(admin, app, proc) is not None:
        time.sleep(at)
        if mode == "sigkill":
            landed = _backends(admin, app) > 0 and proc.poll() is None
            proc.send_signal(signal.SIGKILL)
        else:
            row = admin.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s",
                (app,),
            ).fetchone()
            landed = bool(row and row[0])
    output, _ = proc.communicate(timeout=120)
    _wait_gone(admin, app)
    return Kill(n, mode, at, landed, output)


def backend_lifetime(dsn: str, admin: psycopg.Connection, sql: Path) -> float:
    """Seconds from the backend's connection to its end, for an uninterrupted run."""
    proc = _start_psql(dsn, sql, "crash-clock", echo=False)
    started = _wait_backend(admin, "crash-clock", proc)
    while _backends(admin, "crash-clock"):
        time.sleep(0.002)
    ended = time.monotonic()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, f"the migration fails even without a kill:\n{err}"
    assert started is not None
    return ended - started


def _start_psql(dsn: str, sql: Path, app: str, *, echo: bool) -> subprocess.Popen[str]:
    flags = ["-e"] if echo else []
    return subprocess.Popen(
        [PSQL, "-X", "-q", *flags, "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(sql)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=_psql_env(app),
        text=True,
    )


def _backends(admin: psycopg.Connection, app: str) -> int:
    row = admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (app,)
    ).fetchone()
    return int(row[0]) if row else 0


def _wait_backend(admin: psycopg.Connection, app: str, proc: subprocess.Popen[str]) -> float | None:
    """When psql's backend showed up (monotonic clock); None if psql ended first."""
    while proc.poll() is None:
        if _backends(admin, app):
            return time.monotonic()
        time.sleep(0.001)
    return None


def leftovers(dsn: str) -> tuple[list[str], list[str]]:
    """INVALID indexes and NOT VALID constraints anywhere in the database."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        invalid = [
            str(r[0])
            for r in conn.execute(
                "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid"
            )
        ]
        not_valid = [
            f"{r[0]}.{r[1]}"
            for r in conn.execute(
                "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE NOT convalidated"
            )
        ]
    return invalid, not_valid


#: (case, first line of the problem) already written this session: one entry each.
_WRITTEN: set[tuple[str, str]] = set()


def record_bug(case: Case, kill: Kill, problem: str, migration: Migration) -> str:
    """Append the bug to BUGS_FILE (once per case and kind of failure); returns its text."""
    lines = problem.strip().splitlines() or ["(no output)"]
    first = next((line for line in lines if "ERROR" in line), lines[0])
    headline = re.sub(r"psql:\S+:\d+: ", "", first)[:160]
    where = (
        f"- kill point {kill.index}: {kill.mode} at {kill.at * 1000:.0f} ms after the backend "
        f"connected (landed mid-run: {kill.landed})\n"
        f"- running when killed: {migration.step_at(kill.echoed)}\n"
        if kill.index >= 0
        else "- kill point: after the last statement (the migration had finished; a crash "
        "before the runner records it as applied)\n"
    )
    text = (
        f"\n## {case.name}: {headline}\n\n{where}"
        f"- after the kill, the full re-run:\n\n```\n{problem.strip()}\n```\n\n"
        f"<details><summary>migration</summary>\n\n```sql\n{migration.sql}```\n</details>\n"
    )
    if (case.name, headline) in _WRITTEN:
        return text
    if not _WRITTEN:
        BUGS_FILE.parent.mkdir(parents=True, exist_ok=True)
        BUGS_FILE.write_text(
            "# Crash-consistency bugs found by tests/safety/test_crash.py\n\n"
            "Each entry: a kill point after which running the whole migration again failed or "
            "left the wrong schema. Rewritten by each test session; one entry per case and "
            "kind of failure.\n",
            encoding="utf-8",
        )
    _WRITTEN.add((case.name, headline))
    with BUGS_FILE.open("a", encoding="utf-8") as out:
        out.write(text)
    return text


# ---------------------------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_rerun_after_kill_finishes_with_the_planned_schema(
    case: Case, database: ScratchDatabase, tmp_path: Path
) -> None:
    dsn = _dsn(database)
    _reset(dsn, "")
    before = introspect(_engine(database))
    migration = build(case, before)
    _reset(dsn, migration.prelude)

    # An uninterrupted run first: it must pass and leave the planned schema; how long its
    # backend lives is the span the kills fall in.
    clean = _run_psql(dsn, migration.sql, "crash-clean")
    assert clean.returncode == 0, f"the migration fails even without a kill:\n{clean.stderr}"
    _assert_done(database, migration)
    script_file = tmp_path / f"{case.name}.sql"
    script_file.write_text(migration.sql, encoding="utf-8")

    rng = random.Random(f"{SEED}-{case.name}")
    bugs: list[str] = []
    kills = attempts = failed_landed = 0
    # The last kill point, every time: after the last statement, before the runner records the
    # migration as applied. The runner then runs the whole migration again.
    again = _run_psql(dsn, migration.sql, "crash-again")
    problem = again.stderr if again.returncode else _problems(database, migration)
    if problem:
        end = Kill(-1, "none", 0.0, False, "")
        bugs.append(record_bug(case, end, problem, migration))
    with psycopg.connect(dsn, autocommit=True) as admin:
        _reset(dsn, migration.prelude)
        span = backend_lifetime(dsn, admin, script_file)
        while kills < KILLS_PER_CASE and attempts < 3 * KILLS_PER_CASE:
            if TALLY.left() <= 0:
                TALLY.out_of_budget.append(case.name)
                break
            _reset(dsn, migration.prelude)
            kill = kill_once(dsn, admin, script_file, rng, attempts, 0.8 * span)
            attempts += 1
            kills += kill.landed
            rerun = _run_psql(dsn, migration.sql, f"crash-rerun-{attempts}")
            problem = rerun.stderr or rerun.stdout if rerun.returncode else ""
            problem = problem or _problems(database, migration)
            if problem:
                bugs.append(record_bug(case, kill, problem, migration))
                failed_landed += kill.landed
    TALLY.kills += kills
    TALLY.per_case[case.name] = kills
    if bugs:
        note_counts(case, len(bugs), failed_landed, attempts + 1, kills)
    assert not bugs, (
        f"{len(bugs)} of {attempts + 1} re-runs after a kill went wrong ({failed_landed} of them "
        f"after one of the {kills} kills that landed mid-run):\n" + "\n".join(bugs[:3])
    )
    assert kills >= KILLS_PER_CASE // 2, (
        f"only {kills} of {attempts} kills landed while the migration ran ({span:.3f} s)"
    )


def note_counts(case: Case, failed: int, failed_landed: int, attempts: int, kills: int) -> None:
    with BUGS_FILE.open("a", encoding="utf-8") as out:
        out.write(
            f"\n**{case.name}**: {failed} of {attempts} re-runs failed; {failed_landed} of them "
            f"after a kill that landed mid-run ({kills} landed), the others after a kill that "
            "came once the last statement had finished (a crash before the runner records the "
            "migration as applied).\n"
        )


def test_at_least_200_kill_points_across_the_cases() -> None:
    if len(TALLY.per_case) < len(CASES):
        pytest.skip("runs after every case (it counts their kill points)")
    assert TALLY.kills >= MIN_KILLS, (
        f"{TALLY.kills} kill points landed ({TALLY.per_case}); out of budget in "
        f"{TALLY.out_of_budget or 'no case'}"
    )


def _assert_done(database: ScratchDatabase, migration: Migration) -> None:
    problem = _problems(database, migration)
    assert not problem, problem


def _problems(database: ScratchDatabase, migration: Migration) -> str:
    """What is wrong with the database after a finished run; "" when nothing."""
    after = introspect(_engine(database))
    lines = []
    if not after.same_as(migration.planned):
        changes = after.diff(migration.planned)
        lines.append(
            "schema differs from the plan; to reach it: "
            + "; ".join(op.describe() for op in changes)
        )
    invalid, not_valid = leftovers(_dsn(database))
    if invalid:
        lines.append(f"INVALID index left: {', '.join(invalid)}")
    if not_valid:
        lines.append(f"NOT VALID constraint left: {', '.join(not_valid)}")
    return "\n".join(lines)
