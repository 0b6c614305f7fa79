"""Run the app's own tests on a migrated scratch database: the new code, and the old code.

A migration that goes up, down and up cleanly can still break the application: a renamed
column the ORM still selects, a NOT NULL column the code does not fill. The app's test suite
knows; so after the validation, its test command runs with the database settings pointed at a
scratch database that the repository's runner migrated, new migration included
(`apptests_env` says which variables and settings), twice:

1. **new code**: in the copy of the repository that holds the new migration (and models), as
   it would be deployed. A failure fails the validation.
2. **old code against the new schema**: from the committed state (a `git worktree` of HEAD,
   `worktree.py`), the code that is running while the migration is applied. A failure means
   the migration is not backward compatible for a rolling deploy; it is reported on its own.

Each run gets a fresh database (history replayed, the new migration's up, no seeded rows), the
database a test suite expects: its fixtures make their own rows, and nothing the other run or
the validation's seeding left changes the result. The command runs through the shell, in the
user's environment (this interpreter's folder first on PATH), with a timeout after which its
whole process group is killed.

Configuration: `--app-tests "<command>"`, or a per-repo default, `app-tests = "..."` at the top
of `migwright.toml` or under `[tool.migwright]` in `pyproject.toml` (migwright.toml wins).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .apptests_env import database_env, interpreter_path
from .apptests_parse import count_tests, failed_tests
from .errors import ConfigError, MigwrightError
from .frameworks.base import FrameworkConfig
from .lint.base import Finding, Severity
from .repo import redact
from .scratch import ScratchDatabase, create_scratch
from .validate_migrations import MigrationUnderTest, observer_for
from .validate_observe import StatementError
from .validate_report import AppTestRun, CodeState, ValidationReport
from .worktree import head_worktree, why_no_worktree

#: Seconds a test command may run before it is stopped (`--app-tests-timeout`).
DEFAULT_TIMEOUT = 600.0
#: Output lines kept in the report.
_TAIL = 40
#: Exit codes of a POSIX shell: 127 the command was not found, 126 it could not be executed.
_NOT_FOUND, _NOT_EXECUTABLE = 127, 126
_KEY = "app-tests"


@dataclass(frozen=True)
class AppTestJob:
    """What to run and how the framework reaches its database."""

    command: str
    framework: str
    config: FrameworkConfig
    timeout: float = DEFAULT_TIMEOUT


def configured_command(root: Path) -> str | None:
    """The repo's default test command: `migwright.toml` `app-tests`, else `pyproject.toml`
    `[tool.migwright] app-tests`; None when neither says."""
    for name, path in (("migwright.toml", ()), ("pyproject.toml", ("tool", "migwright"))):
        file = root / name
        if not file.is_file():
            continue
        try:
            data: Any = tomllib.loads(file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{file}: {exc}", "fix the TOML syntax of that file") from exc
        for key in path:
            data = data.get(key, {}) if isinstance(data, dict) else {}
        value = data.get(_KEY) if isinstance(data, dict) else None
        if value is None:
            continue
        where = f"{name} [{'.'.join(path)}]" if path else name
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                f"{where}: {_KEY} must be a command in a string",
                f'write {_KEY} = "python -m pytest -q"',
            )
        return value.strip()
    return None


# ---------------------------------------------------------------------------------------------
# The two runs
# ---------------------------------------------------------------------------------------------


#: Brings a fresh scratch database to the state after the new migration; says how.
Migrate = Callable[[ScratchDatabase], str]


def through(mut: MigrationUnderTest) -> Migrate:
    """The migrated state made the way the validation made it: `mut`'s history, then its up."""

    def migrate(db: ScratchDatabase) -> str:
        how = mut.prepare(db)
        mut.up(db, observer_for(db))
        return f"{how}; then the new migration's up"

    return migrate


def run_new_code(job: AppTestJob, migrate: Migrate, dialect: str, code: Path) -> AppTestRun:
    """The tests of `code` (the copy holding the new migration) on a freshly migrated database."""
    where = "a copy of the repo with the new migration written in it"
    return run_on_migrated(job, migrate, dialect, code, state="new", where=where)


def run_old_code(job: AppTestJob, migrate: Migrate, dialect: str, root: Path) -> AppTestRun:
    """The tests of HEAD (a git worktree of `root`'s repository) on the migrated database.

    A repository without git, or without a commit, is skipped with the reason.
    """
    problem = why_no_worktree(root)
    if problem is not None:
        return AppTestRun(job.command, "old", "skipped", message=f"not run: {problem}")
    with head_worktree(root) as tree:
        where = f"git worktree of HEAD ({tree.commit}); your working tree is untouched"
        return run_on_migrated(job, migrate, dialect, tree.path, state="old", where=where)


def run_on_migrated(
    job: AppTestJob,
    migrate: Migrate,
    dialect: str,
    code: Path,
    *,
    state: CodeState,
    where: str,
) -> AppTestRun:
    """A fresh scratch database brought to the migrated state, then the command in `code`."""
    started = time.perf_counter()
    with create_scratch(dialect) as db:
        try:
            how = migrate(db)
        except (MigwrightError, StatementError) as exc:
            return AppTestRun(
                job.command,
                state,
                "errored",
                time.perf_counter() - started,
                message=f"the migrated database could not be made: {_one_line(exc)}",
                where=where,
            )
        database = f"{db.dialect} scratch database {db.name} ({how})"
        return run_app_tests(job, db, code, state=state, where=where, database=database)


def run_app_tests(
    job: AppTestJob,
    db: ScratchDatabase,
    code: Path,
    *,
    state: CodeState,
    where: str = "",
    database: str = "",
) -> AppTestRun:
    """Run the command in `code` with the app pointed at `db`; read which tests failed."""
    with tempfile.TemporaryDirectory(prefix="migwright-apptests-") as tmp:
        variables = database_env(job.framework, job.config, db, code, Path(tmp))
        env = {**os.environ, "PATH": interpreter_path(), **variables}
        finished = run_command(job.command, code, env, job.timeout)
    output = redact(finished.output)
    tail = tuple(line.rstrip() for line in output.strip().splitlines()[-_TAIL:])
    failed = failed_tests(output)
    common: dict[str, Any] = {
        "seconds": finished.seconds,
        "exit_code": finished.returncode,
        "failed_tests": failed,
        "counts": count_tests(output),
        "where": where,
        "database": database,
        "variables": tuple(sorted(variables)),
        "output_tail": tail,
    }
    if finished.timed_out:
        message = (
            f"`{job.command}` did not finish within {job.timeout:.0f}s and was stopped "
            "(raise --app-tests-timeout, or run fewer tests)"
        )
        return AppTestRun(job.command, state, "errored", message=message, **common)
    if finished.returncode == 0:
        return AppTestRun(job.command, state, "passed", **common)
    if finished.returncode in (_NOT_FOUND, _NOT_EXECUTABLE) and not failed:
        first = job.command.split()[0] if job.command.split() else job.command
        message = (
            f"`{first}` was not found or cannot run in {code} (check the command and that "
            "its environment is active)"
        )
        return AppTestRun(job.command, state, "errored", message=message, **common)
    if failed:
        return AppTestRun(job.command, state, "failed", **common)
    message = (
        f"`{job.command}` exited with {finished.returncode} before naming a failing test: "
        f"{_last_line(tail)}"
    )
    return AppTestRun(job.command, state, "errored", message=message, **common)


# ---------------------------------------------------------------------------------------------
# Running a command
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    """A command's combined output, exit code and wall time."""

    output: str
    returncode: int | None
    seconds: float
    timed_out: bool = False


def run_command(command: str, cwd: Path, env: dict[str, str], timeout: float) -> Finished:
    """Run `command` through the shell in its own process group; kill the group on timeout."""
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            command,
            shell=True,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        return Finished(f"cannot start the shell: {exc}", _NOT_FOUND, 0.0)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        output, _ = process.communicate()
        return Finished(output or "", None, time.perf_counter() - started, timed_out=True)
    except BaseException:  # Ctrl-C: no test process outlives migwright
        _kill_group(process)
        process.wait()
        raise
    return Finished(output or "", process.returncode, time.perf_counter() - started)


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
        os.killpg(process.pid, signal.SIGKILL)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, MigwrightError):
        return exc.one_line()
    return " ".join(str(exc).split())


def _last_line(lines: tuple[str, ...]) -> str:
    shown = [line.strip() for line in lines if line.strip()]
    return shown[-1] if shown else "no output"


def with_app_tests(
    report: ValidationReport,
    job: AppTestJob,
    migrate: Migrate,
    code: Path,
    root: Path,
) -> ValidationReport:
    """`report` with the app's tests added: the new code in `code`, the old code from `root`'s
    HEAD. After a failed validation neither runs (the migrated state was not proved)."""
    if not report.ok:
        why = "not run: the validation failed before the app's tests"
        skipped = AppTestRun(job.command, "new", "skipped", message=why)
        return replace(report, app_tests=skipped)
    new = run_new_code(job, migrate, report.dialect, code)
    old = run_old_code(job, migrate, report.dialect, root)
    return replace(report, app_tests=new, old_code_tests=old)


#: The rule id of the finding an old-code failure becomes.
BREAKS_RUNNING_CODE = "breaks-running-code"


def running_code_finding(report: ValidationReport) -> Finding | None:
    """The lint-style finding for the committed code's tests on the new schema: an error when
    tests failed (the migration breaks the code running during a rolling deploy), a warning
    when they could not run to an answer; None when they passed or did not run."""
    run = report.old_code_tests
    if run is None or run.status in ("passed", "skipped"):
        return None
    where = run.where.split(";")[0] if run.where else "the committed code"
    if run.status == "failed":
        names = ", ".join(run.failed_tests[:5]) + (", ..." if len(run.failed_tests) > 5 else "")
        message = (
            f"the code committed at HEAD fails {len(run.failed_tests)} of its own tests on the "
            f"migrated schema ({names}); during a rolling deploy that code runs against this "
            "migration and breaks"
        )
        severity: Severity = "error"
    else:
        message = (
            f"the committed code's tests could not run on the migrated schema ({where}): "
            f"{run.message}; whether the running code survives the migration is not proved"
        )
        severity = "warning"
    return Finding(
        BREAKS_RUNNING_CODE,
        severity,
        message,
        "split it into expand and contract: run the same request with `--phase expand` (add "
        "the new shape, keep both in sync, backfill: the old code keeps working), deploy code "
        "that uses the new shape, then `--phase contract` removes the old one",
    )
