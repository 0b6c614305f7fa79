"""Batch evaluation: run `migwright new` over the example repos and score what it did.

A case (`evals/cases/<id>.toml`) names a repo under `evals/repos/`, a request (the argv of
verbs `migwright new` takes, or plain English with the model's answer scripted) and what a
correct tool does with it:

    repo = "alembic-blog"
    request = ["--add-column", "posts.reading_time integer"]
    [expect]
    framework = "alembic"
    next_name = 're:^alembic/versions/[0-9a-f]{12}_add_reading_time_to_posts\\.py$'
    operations = ["+ posts.reading_time integer"]
    validation = "pass"
    lint = []

Each case runs the real command line (`python -m migwright new --json`) in a subprocess, on
a throw-away copy of the repo, because that is what a person or an IDE assistant runs: the
argv parsing, the exit codes and the JSON document are part of what is scored. Every run
makes its own scratch databases, so cases run side by side (`jobs`). Plain-English cases get
a scripted model: the fake OpenAI-compatible server of `tests/fake_llm_server.py`, started
here, one per case, serving the case's `model_answer` (or `model_answers` in turn, to
exercise repairs); `live_model=True` uses the configured model instead, to score a real one.

Scoring is a list of checks per case, each 0..1: detection, naming, plan (the operations'
describe() lines), generation (files produced, and written when the run passed),
validation (pass / fail / skipped), lint (F1 of expected against actual rule ids; the totals
give micro precision and recall), refusal (exit 2 and the expected words in the one-line
error), unchanged (named paths kept) and writes (nothing changed but the files the run says
it wrote). A case's score is the mean of its checks; the total is the mean over cases.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from types import ModuleType
from typing import Any

from ..tools.errors import ConfigError

CASE_KEYS = frozenset(
    {"about", "repo", "request", "english", "model_answer", "model_answers", "dialect",
     "framework", "rows", "validate", "expect"}
)  # fmt: skip
EXPECT_KEYS = frozenset(
    {"framework", "next_name", "operations", "validation", "lint", "refused", "unchanged"}
)
VALIDATIONS = ("pass", "fail", "skipped")
#: Variables that pick or authorise a model; a scripted run removes them so nothing leaves
#: the machine and the scripted server is the only model a case can reach.
MODEL_VARIABLES = (
    "MIGWRIGHT_MODEL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL", "MIGWRIGHT_MODEL_API_KEY",
)  # fmt: skip
#: How often a single `model_answer` is served: the first try plus plan_from_english's repairs.
ANSWER_REPEATS = 3
#: Not part of what a run may change: bytecode the replayed runners leave behind.
IGNORED_PARTS = frozenset({"__pycache__", "node_modules", ".git"})
CASE_HINT = "see agent/evaluate.py for the case format"


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    framework: str | None = None
    next_name: str | None = None
    operations: tuple[str, ...] | None = None
    validation: str | None = None
    lint: tuple[str, ...] | None = None
    refused: str | None = None
    unchanged: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    file: Path
    repo: str
    request: tuple[str, ...] = ()
    english: str | None = None
    model_answers: tuple[dict[str, Any], ...] = ()
    dialect: str | None = None
    framework: str | None = None
    rows: int | None = None
    validate: bool = True
    about: str = ""
    expect: Expect = field(default_factory=Expect)

    @property
    def kind(self) -> str:
        return "english" if self.english is not None else "structured"


def load_cases(evals_dir: Path, only: Sequence[str] = ()) -> list[Case]:
    """Every case under `evals_dir/cases`, sorted by id; `only` keeps ids that contain, or
    glob-match, one of its patterns. Any problem is a ConfigError naming the file."""
    cases_dir, repos_dir = evals_dir / "cases", evals_dir / "repos"
    for folder in (evals_dir, cases_dir, repos_dir):
        if not folder.is_dir():
            raise ConfigError(
                f"{folder}: no such folder",
                "give the evals folder, the one holding cases/ and repos/ (e.g. `evals/`)",
            )
    files = sorted(cases_dir.glob("*.toml"))
    if not files:
        raise ConfigError(f"{cases_dir}: no *.toml case files", CASE_HINT)
    cases = [parse_case(path, repos_dir) for path in files]
    if only:
        for pattern in only:
            if not any(_selected(c.id, [pattern]) for c in cases):
                raise ConfigError(f"no case matches {pattern!r}", "see the ids in evals/cases/")
        cases = [c for c in cases if _selected(c.id, only)]
    return cases


def _selected(case_id: str, patterns: Sequence[str]) -> bool:
    return any(p in case_id or fnmatchcase(case_id, p) for p in patterns)


def parse_case(path: Path, repos_dir: Path) -> Case:
    """One case file, checked key by key: a typo in a key must not quietly score nothing."""

    def bad(problem: str) -> ConfigError:
        return ConfigError(f"{path}: {problem}", CASE_HINT)

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return _raise(bad(f"not valid TOML: {exc}"))
    unknown = sorted(set(data) - CASE_KEYS)
    if unknown:
        raise bad(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(CASE_KEYS))})")
    repo = _typed(data, "repo", str, bad, required=True)
    if not (repos_dir / repo).is_dir():
        raise bad(f"repo {repo!r} is not a folder under {repos_dir}")
    request = _typed(data, "request", list, bad)
    english = _typed(data, "english", str, bad)
    if (request is None) == (english is None):
        raise bad("give exactly one of `request` (a list of arguments) or `english` (text)")
    if request is not None and (not request or not all(isinstance(a, str) for a in request)):
        raise bad("`request` must be a non-empty list of strings")
    answers = _answers(data, english, bad)
    dialect = _typed(data, "dialect", str, bad)
    if dialect is not None:
        from ..tools.dialects import get as get_dialect
        from ..tools.errors import DialectError

        try:
            dialect = get_dialect(dialect).name
        except DialectError as exc:
            raise bad(exc.one_line()) from None
    rows = _typed(data, "rows", int, bad)
    return Case(
        id=path.stem,
        file=path,
        repo=repo,
        request=tuple(request or ()),
        english=english,
        model_answers=answers,
        dialect=dialect,
        framework=_typed(data, "framework", str, bad),
        rows=rows,
        validate=bool(_typed(data, "validate", bool, bad, default=True)),
        about=_typed(data, "about", str, bad, default=""),
        expect=_expect(data.get("expect"), bad),
    )


def _raise(error: Exception) -> Any:
    raise error


def _typed(
    data: dict[str, Any],
    key: str,
    kind: type,
    bad: Callable[[str], ConfigError],
    *,
    required: bool = False,
    default: Any = None,
) -> Any:
    if key not in data:
        if required:
            raise bad(f"missing `{key}`")
        return default
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise bad(f"`{key}` must be a {kind.__name__}, not {type(value).__name__}")
    return value


def _answers(
    data: dict[str, Any], english: str | None, bad: Callable[[str], ConfigError]
) -> tuple[dict[str, Any], ...]:
    one = _typed(data, "model_answer", dict, bad)
    many = _typed(data, "model_answers", list, bad)
    if english is None:
        if one is not None or many is not None:
            raise bad("`model_answer(s)` belong to an `english` case")
        return ()
    if (one is None) == (many is None):
        raise bad("an `english` case needs `model_answer` (a table) or `model_answers` (a list)")
    if many is not None and (not many or not all(isinstance(a, dict) for a in many)):
        raise bad("`model_answers` must be a non-empty list of tables")
    return (one,) * ANSWER_REPEATS if one is not None else tuple(many or ())


def _expect(raw: Any, bad: Callable[[str], ConfigError]) -> Expect:
    if not isinstance(raw, dict) or not raw:
        raise bad("missing [expect] table (what a correct run does)")
    unknown = sorted(set(raw) - EXPECT_KEYS)
    if unknown:
        raise bad(f"unknown [expect] key(s) {', '.join(unknown)}")

    def strings(key: str) -> tuple[str, ...] | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad(f"[expect] `{key}` must be a list of strings")
        return tuple(value)

    validation = _typed(raw, "validation", str, bad)
    if validation is not None and validation not in VALIDATIONS:
        raise bad(f"[expect] validation must be one of {', '.join(VALIDATIONS)}")
    refused = _typed(raw, "refused", str, bad)
    if refused is not None and validation is not None:
        raise bad("[expect] a refused request is never validated: drop `validation`")
    next_name = _typed(raw, "next_name", str, bad)
    if next_name and next_name.startswith("re:"):
        try:
            re.compile(next_name[3:])
        except re.error as exc:
            raise bad(f"[expect] next_name: bad regular expression: {exc}") from None
    return Expect(
        framework=_typed(raw, "framework", str, bad),
        next_name=next_name,
        operations=strings("operations"),
        validation=validation,
        lint=strings("lint"),
        refused=refused,
        unchanged=strings("unchanged") or (),
    )


# ---------------------------------------------------------------------------------------------
# Results and scores
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    score: float
    detail: str = ""


@dataclass
class CaseResult:
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
        names = ("detection", "naming", "plan", "generation", "validation", "lint", "refusal")
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


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    evals_dir: Path
    rows: int = 200
    timeout: float = 600.0
    live_model: bool = False
    keep: bool = False
    python: str = sys.executable


def run_cases(
    cases: Sequence[Case],
    settings: Settings,
    *,
    jobs: int = 2,
    threshold: float = 0.9,
    on_done: Callable[[CaseResult], None] | None = None,
) -> Evaluation:
    """Run `cases`, `jobs` at a time (each in its own subprocess and databases), in id order."""
    if any(c.english is not None for c in cases) and not settings.live_model:
        fake_server_module(settings.evals_dir)  # fail before anything runs, not per case
    started = time.perf_counter()
    results: list[CaseResult] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for result in pool.map(lambda c: run_case(c, settings), cases):
            results.append(result)
            if on_done is not None:
                on_done(result)
    return Evaluation(results, time.perf_counter() - started, threshold, max(1, jobs))


def run_case(case: Case, settings: Settings) -> CaseResult:
    """Copy the repo, run `migwright new --json` on the copy, score what came back."""
    work = Path(tempfile.mkdtemp(prefix=f"migwright-eval-{case.id}-"))
    result = CaseResult(case, workdir=str(work) if settings.keep else None)
    try:
        copy = work / case.repo
        shutil.copytree(settings.evals_dir / "repos" / case.repo, copy, symlinks=True)
        before = snapshot(copy)
        started = time.perf_counter()
        with _model_env(case, settings) as env:
            document, result.exit_code, result.error = _run_cli(case, settings, copy, env)
        result.seconds = time.perf_counter() - started
        result.tokens = sum(int(s.get("tokens") or 0) for s in document.get("steps", []))
        score(result, document, before, snapshot(copy), copy)
    finally:
        if not settings.keep:
            shutil.rmtree(work, ignore_errors=True)
    return result


def command(case: Case, settings: Settings, copy: Path) -> list[str]:
    """The argv a person would type, with `python -m migwright` for `migwright`."""
    argv = [settings.python, "-m", "migwright", "new", "--json", "-C", str(copy)]
    argv += ["--rows", str(case.rows or settings.rows)]
    if case.dialect:
        argv += ["--dialect", case.dialect]
    if case.framework:
        argv += ["--framework", case.framework]
    if not case.validate:
        argv.append("--no-validate")
    return argv + ([case.english] if case.english is not None else list(case.request))


def _run_cli(
    case: Case, settings: Settings, copy: Path, env: dict[str, str]
) -> tuple[dict[str, Any], int | None, str | None]:
    """(the JSON document, exit code, error line). A crash or a timeout is an error line."""
    try:
        done = subprocess.run(
            command(case, settings, copy),
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=settings.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {}, None, f"timed out after {settings.timeout:g} s"
    try:
        document = json.loads(done.stdout)
    except ValueError:
        return {}, done.returncode, f"crashed: {_crash_line(done)}"
    if not isinstance(document, dict):
        return {}, done.returncode, "crashed: the JSON document is not an object"
    failed = next((s for s in document.get("steps", []) if s.get("status") == "failed"), None)
    error = (failed.get("error") or failed.get("summary")) if failed else None
    return document, done.returncode, error


def _crash_line(done: subprocess.CompletedProcess[str]) -> str:
    """The exception and where it was raised (the last traceback frame), on one line."""
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    if not lines:
        return f"no JSON on stdout (exit {done.returncode})"
    frames = [line for line in lines if line.startswith('File "')]
    return f"{lines[-1]} ({frames[-1]})" if frames else lines[-1]


@contextmanager
def _model_env(case: Case, settings: Settings) -> Iterator[dict[str, str]]:
    """The subprocess environment; for a scripted English case, with its model server up."""
    env = dict(os.environ)
    if settings.live_model:
        yield env
        return
    for name in MODEL_VARIABLES:
        env.pop(name, None)
    if case.english is None:
        yield env
        return
    module = fake_server_module(settings.evals_dir)
    server = module.FakeLLMServer()
    server.start()
    try:
        server.script(*(module.Reply.answer(answer) for answer in case.model_answers))
        env["MIGWRIGHT_MODEL"] = f"openai-compatible:{server.openai_url}:scripted"
        yield env
    finally:
        server.stop()


_FAKE_SERVER: ModuleType | None = None


def fake_server_module(evals_dir: Path) -> ModuleType:
    """tests/fake_llm_server.py of this checkout (beside evals/, or beside the package)."""
    global _FAKE_SERVER
    if _FAKE_SERVER is not None:
        return _FAKE_SERVER
    here = Path(__file__).resolve().parent.parent
    for root in (evals_dir.resolve().parent, here):
        path = root / "tests" / "fake_llm_server.py"
        spec = importlib.util.spec_from_file_location("migwright_eval_fake_llm", path)
        if path.is_file() and spec is not None and spec.loader is not None:
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module  # dataclasses look their module up while building
            spec.loader.exec_module(module)
            _FAKE_SERVER = module
            return module
    raise ConfigError(
        "plain-English cases need the scripted model server tests/fake_llm_server.py, "
        "which is not beside the evals folder",
        "run from a migwright checkout, pick structured cases with --case, or pass "
        "--live-model to use the configured model",
    )


def snapshot(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under `root` (bytecode and vendored deps aside)."""
    files: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not IGNORED_PARTS.intersection(rel.parts):
            if path.suffix != ".pyc":
                files[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------


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
        add(_name_check(expect.next_name, planned.get("name")))
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


def _name_check(want: str, got: str | None) -> Check:
    if got is None:
        return Check("naming", 0.0, "no name (the plan step did not finish)")
    ok = re.search(want[3:], got) is not None if want.startswith("re:") else want == got
    return Check("naming", 1.0 if ok else 0.0, "" if ok else f"expected {want!r}, got {got!r}")


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
