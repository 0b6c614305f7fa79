"""Scoring of `migwright eval`: what one run did, held against what its case expects.

Each check scores 0..1: detection, naming, plan (the operations' describe() lines),
generation (files produced, and written when the run passed), validation (pass / fail /
skipped), lint (F1 of the expected against the actual rule ids; the totals give micro
precision and recall), refusal (exit 2 and the expected words in the one-line error),
unchanged (named paths kept) and writes (nothing changed but what the run says it wrote).
A case's score is the mean of its checks; the evaluation's is the mean over cases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .eval_cases import Case


@dataclass(frozen=True)
class Check:
    """One comparison of a case: 1.0 when the run did what was expected, with what differed
    otherwise (the scorecard prints the detail, so it names both sides)."""

    name: str
    score: float
    detail: str = ""


@dataclass
class CaseResult:
    """One case's run: its checks, and what the run did (`actual`), so a failing check can be
    read without running the case again."""

    case: Case
    checks: list[Check] = field(default_factory=list)
    exit_code: int | None = None
    seconds: float = 0.0
    tokens: int = 0
    error: str | None = None
    actual: dict[str, Any] = field(default_factory=dict)
    lint_counts: tuple[int, int, int] | None = None  #: true pos., actual, expected
    workdir: str | None = None

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks) / len(self.checks) if self.checks else 0.0

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.score >= 1.0 for c in self.checks)

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.case.id,
            "repo": self.case.repo,
            "kind": self.case.kind,
            "ok": self.ok,
            "score": round(self.score, 4),
            "checks": {
                c.name: {"score": round(c.score, 4), "detail": c.detail} for c in self.checks
            },
            "exit_code": self.exit_code,
            "error": self.error,
            "tokens": self.tokens,
            "seconds": round(self.seconds, 2),
            "actual": self.actual,
            **({"workdir": self.workdir} if self.workdir else {}),
        }


@dataclass
class Evaluation:
    """Every case's result, in id order, and the totals the threshold is held against."""

    results: list[CaseResult]
    seconds: float
    threshold: float
    jobs: int

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def passed(self) -> bool:
        return bool(self.results) and self.score >= self.threshold

    def rate(self, name: str) -> tuple[float | None, int]:
        """Mean score of check `name` over the cases that have it, and how many do."""
        scores = [c.score for r in self.results if (c := r.check(name)) is not None]
        return (sum(scores) / len(scores) if scores else None), len(scores)

    def lint_precision_recall(self) -> tuple[float | None, float | None]:
        """Micro-averaged over the cases that state their expected findings."""
        counts = [r.lint_counts for r in self.results if r.lint_counts is not None]
        hits, actual, wanted = (sum(c[i] for c in counts) for i in range(3))
        precision = hits / actual if actual else (1.0 if counts else None)
        recall = hits / wanted if wanted else (1.0 if counts else None)
        return precision, recall

    def totals(self) -> dict[str, Any]:
        names = (
            "detection", "naming", "plan", "generation", "validation", "lint", "refusal",
            "unchanged", "writes",
        )  # fmt: skip
        precision, recall = self.lint_precision_recall()
        return {
            **{name: _rate_json(*self.rate(name)) for name in names},
            "lint_precision": _round(precision),
            "lint_recall": _round(recall),
            "cases": len(self.results),
            "cases_ok": sum(r.ok for r in self.results),
            "tokens": sum(r.tokens for r in self.results),
            "case_seconds": round(sum(r.seconds for r in self.results), 2),
            "wall_seconds": round(self.seconds, 2),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "threshold": self.threshold,
            "passed": self.passed,
            "jobs": self.jobs,
            "totals": self.totals(),
            "cases": [r.to_json() for r in self.results],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _rate_json(rate: float | None, count: int) -> dict[str, Any]:
    return {"rate": _round(rate), "cases": count}


def score(
    result: CaseResult,
    document: dict[str, Any],
    before: dict[str, str],
    after: dict[str, str],
    copy: Path,
) -> None:
    """Fill `result.checks` and `result.actual` from the run's JSON and the repo's files."""
    expect = result.case.expect
    steps = {s.get("key"): s for s in document.get("steps", []) if isinstance(s, dict)}
    analysed = _outputs(steps, "analyse")
    planned = _outputs(steps, "plan")
    lint_rules = sorted(
        {str(f.get("rule")) for f in _outputs(steps, "practices").get("findings", [])}
    )
    validation = _validation(steps.get("testing"))
    files = [f for f in document.get("files", []) if f.get("kind") not in ("doc", "model")]
    written = sorted(_relative(str(p), copy) for p in document.get("written", []))
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    result.actual = {
        "framework": analysed.get("framework"),
        "next_name": planned.get("name"),
        "operations": planned.get("operations"),
        "validation": validation,
        "lint": lint_rules,
        "files": [f.get("path") for f in document.get("files", [])],
        "changed": changed,
    }
    add = result.checks.append
    if expect.framework is not None:
        got = analysed.get("framework")
        add(_equal("detection", expect.framework, got))
    if expect.next_name is not None:
        add(_name_check(expect.next_name, planned.get("name"), [f.get("path") for f in files]))
    if expect.operations is not None:
        add(_operations_check(expect.operations, planned.get("operations")))
    if expect.refused is not None:
        add(_refusal_check(expect.refused, result.exit_code, result.error))
    else:
        add(_generation_check(files, written, expect.validation, result.error))
    if expect.validation is not None:
        detail = "" if validation == expect.validation else (result.error or "")
        add(_equal("validation", expect.validation, validation, detail))
    if expect.lint is not None:
        add(_lint_check(result, set(expect.lint), set(lint_rules), "practices" in steps))
    if expect.unchanged:
        add(_unchanged_check(expect.unchanged, before, after))
    stray = [p for p in changed if p not in written]
    add(
        Check(
            "writes", 0.0 if stray else 1.0, f"changed but not reported: {stray}" if stray else ""
        )
    )


def _outputs(steps: dict[Any, Any], key: str) -> dict[str, Any]:
    step = steps.get(key) or {}
    outputs = step.get("outputs") if step.get("status") != "failed" else None
    return outputs if isinstance(outputs, dict) else {}


def _validation(step: dict[str, Any] | None) -> str:
    status = (step or {}).get("status")
    if status == "ok" or status == "warning":
        return "pass"
    if status == "failed":
        return "fail"
    if status == "skipped" and step and step.get("summary"):
        return "skipped"
    return "not run"


def _relative(path: str, copy: Path) -> str:
    """A written path relative to the repo copy (the JSON gives absolute paths)."""
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.resolve().relative_to(copy.resolve()).as_posix()
    except ValueError:
        return p.as_posix()  # outside the copy: reported as written, flagged as stray


def _equal(name: str, want: Any, got: Any, detail: str = "") -> Check:
    if want == got:
        return Check(name, 1.0)
    return Check(name, 0.0, f"expected {want!r}, got {got!r}" + (f": {detail}" if detail else ""))


def _name_check(want: str, got: str | None, paths: Sequence[Any]) -> Check:
    """The name the plan announces, and the file the renderer wrote under it: a plan that says
    one name while the migration lands under another misleads whoever reads the plan."""
    if got is None:
        return Check("naming", 0.0, "no name (the plan step did not finish)")
    ok = re.search(want[3:], got) is not None if want.startswith("re:") else want == got
    if not ok:
        return Check("naming", 0.0, f"expected {want!r}, got {got!r}")
    if paths and got not in paths:
        return Check("naming", 0.0, f"the plan says {got!r}, but the files are {list(paths)}")
    return Check("naming", 1.0)


def _operations_check(want: Sequence[str], got: Any) -> Check:
    if not isinstance(got, list):
        return Check("plan", 0.0, "no plan (the plan step did not finish)")
    norm = [" ".join(str(line).split()) for line in got]
    wanted = [" ".join(line.split()) for line in want]
    if norm == wanted:
        return Check("plan", 1.0)
    return Check("plan", 0.0, f"expected {wanted}, got {norm}")


def _refusal_check(words: str, exit_code: int | None, error: str | None) -> Check:
    if exit_code != 2 or not error:
        return Check("refusal", 0.0, f"expected a refusal (exit 2), got exit {exit_code}")
    if words.lower() not in error.lower():
        return Check("refusal", 0.0, f"refused, but the error lacks {words!r}: {error}")
    return Check("refusal", 1.0)


def _generation_check(
    files: list[dict[str, Any]], written: list[str], validation: str | None, error: str | None
) -> Check:
    if not files:
        return Check("generation", 0.0, f"no migration file produced: {error or 'no files'}")
    if validation in (None, "pass", "skipped"):
        missing = [f["path"] for f in files if f.get("path") not in written]
        if missing:
            why = f": {error}" if error else ""
            return Check("generation", 0.0, f"produced but not written: {missing}{why}")
    elif written:
        return Check("generation", 0.0, f"written although validation failed: {written}")
    return Check("generation", 1.0)


def _lint_check(result: CaseResult, want: set[str], got: set[str], reached: bool) -> Check:
    if not reached:
        result.lint_counts = (0, 0, len(want))
        return Check("lint", 0.0 if want else 1.0, "" if not want else "lint step not reached")
    hits = len(want & got)
    result.lint_counts = (hits, len(got), len(want))
    precision = hits / len(got) if got else 1.0
    recall = hits / len(want) if want else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    missing, extra = sorted(want - got), sorted(got - want)
    detail = "; ".join(
        part
        for part in (f"missing {missing}" if missing else "", f"extra {extra}" if extra else "")
        if part
    )
    return Check("lint", f1, detail)


def _unchanged_check(paths: Sequence[str], before: dict[str, str], after: dict[str, str]) -> Check:
    moved: list[str] = []
    for path in paths:
        prefix = path.rstrip("/") + "/"
        keys = {k for k in set(before) | set(after) if k == path or k.startswith(prefix)}
        if not keys and path not in (".", ""):
            moved.append(f"{path} (no such file)")
        if path in (".", ""):
            keys = set(before) | set(after)
        moved += sorted(k for k in keys if before.get(k) != after.get(k))
    return Check("unchanged", 0.0 if moved else 1.0, f"changed: {moved}" if moved else "")
