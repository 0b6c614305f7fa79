"""The ten steps as data, and the loop that runs them.

A run is a list of step results (what went in, what came out, findings, duration, tokens) that
`--json` prints and the human view shows live. The steps themselves live in `steps.py`, one
function each; they call tools and the model, never SQL directly. A step that fails stops the
run: later steps would build on something that is not there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..tools.errors import MigwrightError

if TYPE_CHECKING:
    from ..tools.analysis import Analysis
    from ..tools.current import CurrentSchema
    from ..tools.frameworks.render import File, MigrationPlan
    from ..tools.schema import Schema
    from ..tools.spec import Request

Status = Literal["ok", "warning", "failed", "skipped"]


@dataclass(frozen=True)
class Options:
    """What the person asked for, beyond the request itself."""

    path: Path
    args: tuple[str, ...]
    framework: str | None = None
    dialect: str | None = None
    db: str | None = None
    dry_run: bool = False
    validate: bool = True
    #: write the model files with the migration; None: the framework's default (on where the
    #: models are the source of truth: Django, Prisma). Their diff is shown either way.
    update_models: bool | None = None
    rows: int = 1000
    seed: int = 0
    #: the app's test command, run on the migrated database (new code and HEAD); None: the
    #: repo's default (migwright.toml / pyproject.toml), "": none
    app_tests: str | None = None
    app_tests_timeout: float = 600.0
    now: Any = None  #: a datetime for reproducible names in tests; None means the clock
    #: answers to the questions a model asked about a plain-English request (`--answer`)
    answers: tuple[str, ...] = ()
    #: a rename or rewriting type change as expand (default), contract or one-step
    #: (tools/expand_contract.py)
    phase: str = "expand"
    #: render for a live database (tools/zero_downtime.py): CONCURRENTLY, NOT VALID + VALIDATE,
    #: lock_timeout with retries, re-runnable steps; False (`--unsafe`) renders the plain DDL
    safe: bool = True
    #: rows per batch of every backfill (`--batch-size`); None: from the table's size
    batch_size: int | None = None
    #: pause between two batches of a backfill, in milliseconds (`--throttle-ms`)
    throttle_ms: int | None = None


@dataclass
class Context:
    """The state the steps pass along: each step reads what earlier steps put here."""

    options: Options
    analysis: Analysis | None = None
    current: CurrentSchema | None = None
    before: Schema | None = None
    request: Request | None = None
    plan: MigrationPlan | None = None
    files: list[File] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)
    references: list[Any] = field(default_factory=list)
    plan_result: StepResult | None = None
    report: Any = None
    document: str | None = None
    written: list[Path] = field(default_factory=list)
    phased: Any = None  #: the expand/contract PhasedPlan, when the plan is one of its phases


@dataclass
class StepResult:
    number: int
    key: str
    title: str
    status: Status = "skipped"
    summary: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    tokens: int = 0
    error: str | None = None
    #: 1 for the first plan; n + 1 after the n-th repair of a failed validation
    attempt: int = 1
    #: an attempt a repair replaced: shown and reported, but no longer the run's verdict
    superseded: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.number,
            "key": self.key,
            "title": self.title,
            "status": self.status,
            "summary": self.summary,
            "outputs": self.outputs,
            "findings": self.findings,
            "seconds": round(self.seconds, 3),
            "tokens": self.tokens,
            "error": self.error,
            "attempt": self.attempt,
            "superseded": self.superseded,
        }


StepFn = Callable[[Context, StepResult], None]


@dataclass(frozen=True)
class Step:
    number: int
    key: str
    title: str
    fn: StepFn


@dataclass
class Run:
    results: list[StepResult]
    context: Context

    @property
    def ok(self) -> bool:
        return all(r.status in ("ok", "warning", "skipped") for r in self.current)

    @property
    def failed_step(self) -> StepResult | None:
        return next((r for r in self.current if r.status == "failed"), None)

    @property
    def current(self) -> list[StepResult]:
        """The results that make the verdict: all but the attempts a repair replaced."""
        return [r for r in self.results if not r.superseded]


Listener = Callable[[str, StepResult], None]


def run_steps(steps: Sequence[Step], context: Context, listener: Listener | None = None) -> Run:
    """Run the steps in order; a failure (a MigwrightError or a failed status) stops the run."""
    results = [StepResult(s.number, s.key, s.title) for s in steps]
    for step, result in zip(steps, results, strict=True):
        if listener:
            listener("start", result)
        started = time.perf_counter()
        try:
            result.status = "ok"
            step.fn(context, result)
        except MigwrightError as exc:
            result.status = "failed"
            result.error = exc.one_line()
            result.summary = result.summary or result.error
            result.outputs["exit_code"] = exc.exit_code
        except Exception as exc:  # a bug: still one line and a report, never a bare traceback
            result.status = "failed"
            result.error = (
                f"internal error in step {step.number} ({type(exc).__name__}: {exc}); "
                "please report it with the command you ran"
            )
            result.summary = result.error
            result.outputs["exit_code"] = 1
        result.seconds = time.perf_counter() - started
        if listener:
            listener("end", result)
        if result.status == "failed":
            break
    return Run(results, context)
