"""Batch evaluation: run `migwright new` over the example repos and score what it did.

Three modules, one noun each: `eval_cases` reads the case files (`evals/cases/<id>.toml`: a
repo, a request, what a correct tool does with it), `eval_score` holds a run against its case,
and this one runs the cases.

Each case runs the real command line (`python -m migwright new --json`) in a subprocess, on
a throw-away copy of the repo, because that is what a person or an IDE assistant runs: the
argv parsing, the exit codes and the JSON document are part of what is scored. Every run
makes its own scratch databases, so cases run side by side (`jobs` threads, each waiting on
its subprocess). Plain-English cases get a scripted model: the fake OpenAI-compatible server
of `tests/fake_llm_server.py`, started here, one per case, serving the case's `model_answer`
(or `model_answers` in turn, to exercise repairs); `live_model=True` uses the configured
model instead, to score a real one on the same expectations.

The repo copy is hashed before and after the run, so a case can tell what was written,
whether the run wrote only what it reported, and whether a refusal left everything alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..tools.errors import ConfigError
from .eval_cases import Case, Expect, load_cases, parse_case
from .eval_score import CaseResult, Check, Evaluation, score

__all__ = [
    "Case", "CaseResult", "Check", "Evaluation", "Expect", "Settings", "command",
    "load_cases", "parse_case", "run_case", "run_cases", "score", "snapshot",
]  # fmt: skip

#: Variables that pick or authorise a model; a scripted run removes them so nothing leaves
#: the machine and the scripted server is the only model a case can reach.
MODEL_VARIABLES = (
    "MIGWRIGHT_MODEL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL", "MIGWRIGHT_MODEL_API_KEY",
)  # fmt: skip
#: Not part of what a run may change: bytecode and dependencies the runners leave behind.
IGNORED_PARTS = frozenset({"__pycache__", "node_modules", ".git"})


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
    order = {case.id: n for n, case in enumerate(cases)}
    results: list[CaseResult] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(run_case, case, settings) for case in cases]
        for future in as_completed(futures):  # progress as cases finish, not in id order
            result = future.result()
            results.append(result)
            if on_done is not None:
                on_done(result)
    results.sort(key=lambda r: order[r.case.id])
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
    stdout, stderr, code = _spawn(command(case, settings, copy), copy, env, settings.timeout)
    if code is None:
        return {}, None, f"timed out after {settings.timeout:g} s"
    try:
        document = json.loads(stdout)
    except ValueError:
        return {}, code, f"crashed: {_crash_line(stderr, code)}"
    if not isinstance(document, dict):
        return {}, code, "crashed: the JSON document is not an object"
    failed = next((s for s in document.get("steps", []) if s.get("status") == "failed"), None)
    error = (failed.get("error") or failed.get("summary")) if failed else None
    return document, code, error


def _spawn(
    argv: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> tuple[str, str, int | None]:
    """Run `argv` in a session of its own, so that on a timeout the runners it started
    (node, ruby, alembic) end with it instead of holding its pipes open; code None then."""
    with subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the group this Popen created
            stdout, stderr = process.communicate()
            return stdout, stderr, None
        return stdout, stderr, process.returncode


def _crash_line(stderr: str, code: int) -> str:
    """The exception and where it was raised (the last traceback frame), on one line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return f"no JSON on stdout (exit {code})"
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
        skipped = IGNORED_PARTS.intersection(rel.parts) or path.suffix == ".pyc"
        if path.is_file() and not skipped:
            files[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files
