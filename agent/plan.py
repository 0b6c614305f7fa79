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
    rows: int = 1000
    seed: int = 0
    now: Any = None  #: a datetime for reproducible names in tests; None means the clock


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
        return all(r.status in ("ok", "warning", "skipped") for r in self.results)

    @property
    def failed_step(self) -> StepResult | None:
        return next((r for r in self.results if r.status == "failed"), None)


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
