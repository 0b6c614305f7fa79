"""What a validation found: phases, statements, verdicts and query plans, as frozen values.

`ValidationReport` is the one thing `validate` returns. The faces render it (a rich table, a
JSON document with `--json`, the feedback a model gets for a repair), so everything here is
plain data plus `to_json()`, which turns it into dicts, lists, strings and numbers only, and
`summary_lines()`, the plain-text rendering used where rich is not (logs, prompts, tests).

A report is failed when any verdict of any phase failed or a phase failed to run; a phase that
was skipped (because an earlier one failed, or because the plan has no down) fails nothing by
itself, but the reason is recorded so a reader knows what was *not* proved. The app's own
tests, when given, are part of the verdict too (`app_tests`); the committed code's run on the
new schema (`old_code_tests`) is reported beside it and fails nothing by itself: it says whether
a rolling deploy is safe, which the migration's own correctness does not decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

from .errors import ValidationFailed
from .schema import Schema

PhaseName = Literal["history", "seed", "up", "down", "re-up"]
Status = Literal["passed", "failed", "skipped"]
#: An app test run: its command passed, a test failed, the command could not run to an
#: answer (timeout, not found, a crash before any test), or it was not run (and why).
AppTestStatus = Literal["passed", "failed", "errored", "skipped"]
#: Which code ran: "new" is the repo with the new migration (and models) written in a copy;
#: "old" is the committed state (a git worktree of HEAD), the code running in production.
CodeState = Literal["new", "old"]

#: Phases in the order they run.
PHASES: tuple[PhaseName, ...] = ("history", "seed", "up", "down", "re-up")


@dataclass(frozen=True)
class Verdict:
    """One claim checked: `name` is a stable id (`schema`, `data`, `row-counts` ...)."""

    name: str
    ok: bool
    reason: str = ""
    #: Supporting lines: each schema difference, sample rows, the rows a check returned.
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatementRun:
    """One statement (or one framework run) as it went on the scratch database.

    `locks` is the strongest lock mode per relation the migration's session held while the
    statement ran (PostgreSQL; inside a transaction this includes locks taken by earlier
    statements, which still block others); `new_locks` are the ones this statement took or
    strengthened. `rewritten` lists tables whose storage was replaced (relfilenode changed).
    `algorithm` is what MySQL/MariaDB could do for an ALTER (INSTANT, NOCOPY, INPLACE, COPY).
    """

    sql: str
    seconds: float
    ok: bool = True
    error: str | None = None
    locks: Mapping[str, str] = field(default_factory=dict)
    new_locks: Mapping[str, str] = field(default_factory=dict)
    rewritten: tuple[str, ...] = ()
    algorithm: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Failure:
    """Why a phase stopped: the database's message, the statement, the rows behind it."""

    message: str
    statement: str | None = None
    #: What the rows are ("12 values of users.name occur more than once; the most frequent:").
    rows_note: str | None = None
    rows: tuple[str, ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class Phase:
    """One phase: how long it ran, what the database held afterwards, what was checked.

    `seconds` is the migration's (or runner's) own time; `check_seconds` what migwright spent
    around it (introspection, checksums, verdicts), so the two can be compared.
    """

    name: PhaseName
    status: Status
    seconds: float = 0.0
    check_seconds: float = 0.0
    method: str | None = None
    #: What the database held after the phase (introspected).
    schema: Schema | None = None
    row_counts: Mapping[str, int] = field(default_factory=dict)
    checksums: Mapping[str, str] = field(default_factory=dict)
    statements: tuple[StatementRun, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    failure: Failure | None = None
    notes: tuple[str, ...] = ()
    #: What it should have held: the plan's before (history), after (up, re-up), or the
    #: schema before the up (down). With `schema`, what a view needs to show a difference.
    expected: Schema | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed" and all(v.ok for v in self.verdicts)


@dataclass(frozen=True)
class ExplainResult:
    """The query a new index is for, planned before and after the up on the seeded data."""

    index: str
    table: str
    query: str
    before: str | None = None
    after: str | None = None
    used_before: bool | None = None
    used_after: bool | None = None
    #: When the planner does not pick the index after the up: can it use it at all (sequential
    #: scans disabled, FORCE INDEX, INDEXED BY)? A tiny table is often cheaper to scan.
    usable_after: bool | None = None
    note: str | None = None


@dataclass(frozen=True)
class AppTestRun:
    """The app's own test command, run against a scratch database after the new migration's up.

    `failed_tests` are the names the runner printed (pytest node ids, unittest/Django dotted
    names, jest titles); `counts` what its summary line said (passed, failed, errors, skipped)
    when it printed one. `message` is the one line for an errored or skipped run. `database`
    says how the database was brought to the migrated state; `variables` which environment
    variables pointed the app at it (names only: values hold URLs).
    """

    command: str
    code: CodeState
    status: AppTestStatus
    seconds: float = 0.0
    exit_code: int | None = None
    failed_tests: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    message: str = ""
    where: str = ""
    database: str = ""
    variables: tuple[str, ...] = ()
    output_tail: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "skipped")


@dataclass(frozen=True)
class ValidationReport:
    dialect: str
    database: str
    rows: int
    seed: int
    description: str = ""
    server_version: str | None = None
    phases: tuple[Phase, ...] = ()
    explains: tuple[ExplainResult, ...] = ()
    notes: tuple[str, ...] = ()
    #: The app's tests with the new code (the copy holding the new migration): a failure fails
    #: the validation.
    app_tests: AppTestRun | None = None
    #: The same tests from the committed code (HEAD) on the migrated database: a failure means
    #: the migration breaks the code that is running now (not safe for a rolling deploy). It is
    #: a finding of its own, not a failed validation: the migration itself worked.
    old_code_tests: AppTestRun | None = None

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.phases) and (self.app_tests is None or self.app_tests.ok)

    @property
    def breaks_running_code(self) -> bool:
        """The committed code's tests failed on the migrated database."""
        return self.old_code_tests is not None and self.old_code_tests.status == "failed"

    def phase(self, name: PhaseName) -> Phase:
        for phase in self.phases:
            if phase.name == name:
                return phase
        return Phase(name, "skipped", notes=("not reached",))

    def failures(self) -> list[str]:
        """Every failed phase and verdict as one line `phase: reason`."""
        out: list[str] = []
        for phase in self.phases:
            if phase.status == "failed" and phase.failure is not None:
                out.append(f"{phase.name}: {phase.failure.message}")
            out += [f"{phase.name}: {v.reason}" for v in phase.verdicts if not v.ok]
        if self.app_tests is not None and not self.app_tests.ok:
            out.append(f"app tests: {app_test_outcome(self.app_tests)}")
        return out

    def raise_for_failure(self) -> None:
        """Raise ValidationFailed naming the first failure (what `migwright new` needs)."""
        failed = self.failures()
        if failed:
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            raise ValidationFailed(
                f"validation on {self.dialect} failed: {failed[0]}{more}",
                "fix the migration (see the validation report), or skip with --no-validate",
            )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _plain(self)
        data["ok"] = self.ok
        for phase, plain in zip(self.phases, data["phases"], strict=True):
            plain["ok"] = phase.ok
        for key in ("app_tests", "old_code_tests"):
            run = getattr(self, key)
            if run is not None:
                data[key]["ok"] = run.ok
        data["breaks_running_code"] = self.breaks_running_code
        return data


def app_test_outcome(run: AppTestRun) -> str:
    """One line: what happened to an app test run (`2 failed: a, b`, `timed out after 600s`)."""
    if run.status == "passed":
        counts = run.counts.get("passed")
        return f"passed ({counts} tests)" if counts else "passed"
    if run.status == "failed" and run.failed_tests:
        shown = ", ".join(run.failed_tests[:5])
        more = f", and {len(run.failed_tests) - 5} more" if len(run.failed_tests) > 5 else ""
        return f"{len(run.failed_tests)} failed: {shown}{more}"
    return run.message or f"`{run.command}` exited with {run.exit_code}"


def _plain(value: Any) -> Any:
    """Dataclasses, mappings and tuples as dicts and lists; a Schema keeps its structure."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# Plain text
# ---------------------------------------------------------------------------------------------

_MAX_SQL = 90


def summary_lines(report: ValidationReport) -> list[str]:
    """The report as plain text lines: one block per phase, failures spelled out."""
    version = f" {report.server_version}" if report.server_version else ""
    head = "PASSED" if report.ok else "FAILED"
    lines = [
        f"validation {head} on {report.dialect}{version} ({report.database}), "
        f"{report.rows} rows per table, seed {report.seed}"
    ]
    if report.description:
        lines.append(f"migration: {report.description}")
    lines += [f"note: {n}" for n in report.notes]
    for phase in report.phases:
        lines += _phase_lines(phase)
    for result in report.explains:
        lines += _explain_lines(result)
    for run in (report.app_tests, report.old_code_tests):
        if run is not None:
            lines += _app_test_lines(run)
    return lines


_TAIL_SHOWN = 12


def _app_test_lines(run: AppTestRun) -> list[str]:
    title = "app tests (new code)" if run.code == "new" else "old code vs new schema"
    state = {"passed": "ok", "failed": "FAILED", "errored": "ERROR", "skipped": "skipped"}
    timing = f" {run.seconds:.1f}s" if run.status != "skipped" else ""
    lines = [f"{title}: {state[run.status]}{timing} - `{run.command}`"]
    if run.where:
        lines.append(f"  code: {run.where}")
    if run.database:
        lines.append(f"  database: {run.database}")
    if run.variables:
        lines.append(f"  pointed there by: {', '.join(run.variables)}")
    lines.append(f"  result: {app_test_outcome(run)}")
    if run.code == "old" and run.status == "failed":
        lines.append(
            "  the code running now breaks on the new schema: not safe for a rolling deploy; "
            "split the change into expand and contract migrations"
        )
    if run.status in ("failed", "errored") and run.output_tail:
        lines.append("  output (last lines):")
        lines += [f"    {line}" for line in run.output_tail[-_TAIL_SHOWN:]]
    return lines


def _phase_lines(phase: Phase) -> list[str]:
    timing = f" {phase.seconds:.3f}s (+{phase.check_seconds:.3f}s checks)"
    state = {"passed": "ok", "failed": "FAILED", "skipped": "skipped"}[phase.status]
    if phase.status == "passed" and not phase.ok:
        state = "FAILED"
    method = f" - {phase.method}" if phase.method else ""
    lines = [f"{phase.name}: {state}{timing if phase.status != 'skipped' else ''}{method}"]
    if phase.row_counts:
        total = sum(phase.row_counts.values())
        lines.append(f"  {len(phase.row_counts)} tables, {total} rows")
    for run in phase.statements:
        lines.append(f"  {_statement_line(run)}")
    if phase.failure is not None:
        lines += _failure_lines(phase.failure)
    for verdict in phase.verdicts:
        mark = "ok  " if verdict.ok else "FAIL"
        lines.append(f"  [{mark}] {verdict.name}: {verdict.reason}")
        lines += [f"         {d}" for d in verdict.details]
    lines += [f"  note: {n}" for n in phase.notes]
    return lines


def _statement_line(run: StatementRun) -> str:
    sql = " ".join(run.sql.split())
    sql = sql if len(sql) <= _MAX_SQL else sql[: _MAX_SQL - 3] + "..."
    facts = [f"{run.seconds * 1000:.1f}ms"]
    if run.algorithm:
        facts.append(f"ALGORITHM={run.algorithm}")
    if run.new_locks:
        facts.append(", ".join(f"{mode} on {rel}" for rel, mode in sorted(run.new_locks.items())))
    held = sorted((rel, mode) for rel, mode in run.locks.items() if rel not in run.new_locks)
    if held:
        facts.append("already held: " + ", ".join(f"{mode} on {rel}" for rel, mode in held))
    if run.rewritten:
        facts.append(f"rewrote {', '.join(run.rewritten)}")
    if run.note:
        facts.append(run.note)
    if not run.ok:
        facts.append(f"ERROR {run.error}")
    return f"{sql}  [{'; '.join(facts)}]"


def _failure_lines(failure: Failure) -> list[str]:
    lines = [f"  error: {failure.message}"]
    if failure.statement:
        lines.append(f"  statement: {' '.join(failure.statement.split())}")
    if failure.rows_note:
        lines.append(f"  rows: {failure.rows_note}")
    lines += [f"    {row}" for row in failure.rows]
    if failure.hint:
        lines.append(f"  hint: {failure.hint}")
    return lines


def _explain_lines(result: ExplainResult) -> list[str]:
    def used(flag: bool | None) -> str:
        return "n/a" if flag is None else ("uses the index" if flag else "does not use it")

    lines = [f"explain {result.index} on {result.table}: {result.query}"]
    if result.before is not None:
        lines.append(f"  before: {result.before} ({used(result.used_before)})")
    if result.after is not None:
        lines.append(f"  after:  {result.after} ({used(result.used_after)})")
    if result.used_after is False and result.usable_after is not None:
        can = "can use the index when told to" if result.usable_after else "cannot use the index"
        lines.append(f"  forced: the planner {can}")
    if result.note:
        lines.append(f"  note: {result.note}")
    return lines
