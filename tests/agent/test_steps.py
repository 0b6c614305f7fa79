"""The ten steps as data: their order, the runner's rules, and what `--json` shows of a run.

The order is issue 8's: analyse, plan, generate, schema updates, data migration, rollback,
best practices, testing, performance, documentation. The runner's rules are checked twice:
in process, with step functions that record that they ran (so "later steps are not run" is
observed, not inferred from a status), and through the real CLI on a copy of an example repo,
where a request naming a table that does not exist fails step 2 and `--no-validate` skips
step 8 while everything around it still runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from migwright.agent.plan import Context, Options, Run, Step, StepResult, run_steps
from migwright.agent.steps import STEPS
from migwright.tools.errors import SpecError

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
REPO = "alembic-blog"  # SQLite, Alembic's own runner: needs no database server

ISSUE_ORDER = (
    "analyse",
    "plan",
    "generate",
    "schema",
    "data",
    "rollback",
    "practices",
    "testing",
    "performance",
    "docs",
)
STEP_FIELDS = {
    "step",
    "key",
    "title",
    "status",
    "summary",
    "outputs",
    "findings",
    "seconds",
    "tokens",
    "error",
    "attempt",  # 1, or n + 1 after the n-th repair of a failed validation (agent/repair.py)
    "superseded",  # an attempt a repair replaced
}


# ---------------------------------------------------------------------------------------------
# The steps as data
# ---------------------------------------------------------------------------------------------


def test_there_are_ten_steps_in_the_order_of_the_issue() -> None:
    assert [s.number for s in STEPS] == list(range(1, 11))
    assert tuple(s.key for s in STEPS) == ISSUE_ORDER
    for step in STEPS:
        assert step.title and step.title[0].isupper(), step
        assert callable(step.fn)
        assert step.fn.__name__.startswith(step.key[:4]), "each key names its function"


# ---------------------------------------------------------------------------------------------
# The runner, in process
# ---------------------------------------------------------------------------------------------


def _recording_steps(ran: list[int], fail_at: int, *, raise_error: bool) -> list[Step]:
    """Ten steps named as the real ones that record their number; step `fail_at` fails,
    by raising a SpecError or by setting its status."""

    def make(number: int) -> Any:
        def fn(context: Context, result: StepResult) -> None:
            ran.append(number)
            result.summary = f"step {number} ran"
            result.tokens = number
            if number == fail_at:
                if raise_error:
                    raise SpecError("no table named invoices", "create it first")
                result.status = "failed"

        return fn

    return [Step(s.number, s.key, s.title, make(s.number)) for s in STEPS]


def _run(steps: list[Step], events: list[tuple[str, int]]) -> Run:
    context = Context(Options(path=Path("."), args=("--add-column", "invoices.paid_at date")))
    return run_steps(steps, context, lambda kind, r: events.append((kind, r.number)))


@pytest.mark.parametrize("raise_error", [True, False], ids=["raises", "status"])
def test_a_failure_in_step_2_stops_the_run(raise_error: bool) -> None:
    ran: list[int] = []
    events: list[tuple[str, int]] = []
    run = _run(_recording_steps(ran, 2, raise_error=raise_error), events)

    assert ran == [1, 2], "steps after the failed one never run"
    assert events == [("start", 1), ("end", 1), ("start", 2), ("end", 2)]
    assert not run.ok
    assert run.failed_step is run.results[1]
    assert [r.status for r in run.results] == ["ok", "failed"] + ["skipped"] * 8
    if raise_error:  # the error's one line (with its fix) and exit code reach the result
        failed = run.results[1]
        assert failed.error == "no table named invoices (create it first)"
        assert failed.summary == "step 2 ran"
        assert failed.outputs["exit_code"] == 2
    for later in run.results[2:]:
        assert (later.summary, later.outputs, later.seconds, later.tokens) == ("", {}, 0.0, 0)


def test_a_clean_run_runs_every_step_and_times_it() -> None:
    ran: list[int] = []
    events: list[tuple[str, int]] = []
    run = _run(_recording_steps(ran, 0, raise_error=True), events)
    assert ran == list(range(1, 11))
    assert run.ok and run.failed_step is None
    assert [r.tokens for r in run.results] == list(range(1, 11))
    assert all(r.seconds >= 0.0 and r.status == "ok" for r in run.results)
    assert len(events) == 20


def test_step_results_serialise_with_every_field() -> None:
    result = StepResult(8, "testing", "Testing", "ok", "passed", {"report": {"ok": True}})
    result.seconds = 1.23456
    data = result.to_json()
    assert set(data) == STEP_FIELDS
    assert data["seconds"] == 1.235
    assert json.loads(json.dumps(data)) == data


# ---------------------------------------------------------------------------------------------
# Through the CLI
# ---------------------------------------------------------------------------------------------


def _offline_env(tmp_path: Path) -> dict[str, str]:
    """No model configured: these runs use structured requests only."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MIGWRIGHT_MODEL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY")
    }
    (tmp_path / "xdg").mkdir(exist_ok=True)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    return env


def _new(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], Path]:
    repo = tmp_path / REPO
    shutil.copytree(REPOS / REPO, repo, ignore=shutil.ignore_patterns("__pycache__"))
    command = [sys.executable, "-m", "migwright", "new", "-C", str(repo), "--rows", "50"]
    done = subprocess.run(
        [*command, "--json", *args],
        env=_offline_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.stdout.strip(), done.stderr[-3000:]
    return done.returncode, json.loads(done.stdout), repo


def _files(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_json_has_one_entry_per_step_and_no_validate_skips_step_8(tmp_path: Path) -> None:
    code, data, repo = _new(
        tmp_path, "--no-validate", "--add-column", "posts.archived_at timestamp"
    )
    assert code == 0, data
    assert data["ok"] is True
    steps = data["steps"]
    assert [s["step"] for s in steps] == list(range(1, 11))
    assert tuple(s["key"] for s in steps) == ISSUE_ORDER
    for s in steps:
        assert set(s) == STEP_FIELDS
        assert isinstance(s["summary"], str) and s["summary"], s
        assert isinstance(s["outputs"], dict)
        assert isinstance(s["seconds"], float) and s["seconds"] >= 0
        assert s["tokens"] == 0, "a structured request spends no model tokens"

    by_key = {s["key"]: s for s in steps}
    assert by_key["testing"]["status"] == "skipped"
    assert "--no-validate" in by_key["testing"]["summary"]
    assert by_key["testing"]["outputs"] == {}
    assert all(s["status"] in ("ok", "warning") for s in steps if s["key"] != "testing")
    assert by_key["performance"]["outputs"]["rewritten"] == []
    assert "Not validated (`--no-validate`)" in data["document"]

    # Without validation the files are still written: the person asked for that.
    migration = by_key["generate"]["outputs"]["files"][0]
    assert "archived_at" in migration["content"]
    written = {Path(p).resolve().relative_to(repo.resolve()).as_posix() for p in data["written"]}
    assert migration["path"] in written
    assert written <= _files(repo)


def test_a_failed_step_2_leaves_later_steps_unrun_and_the_repo_untouched(
    tmp_path: Path,
) -> None:
    before = _files(REPOS / REPO)
    code, data, repo = _new(tmp_path, "--add-column", "invoices.paid_at timestamp")
    assert code == 2
    assert data["ok"] is False
    steps = data["steps"]
    assert len(steps) == 10
    assert steps[0]["status"] == "ok"
    assert steps[1]["status"] == "failed"
    assert "no table named invoices" in steps[1]["error"]
    assert "posts" in steps[1]["error"], "the error names the tables there are"
    for later in steps[2:]:
        assert later["status"] == "skipped"
        assert (later["summary"], later["outputs"], later["seconds"]) == ("", {}, 0.0)
    assert data["files"] == [] and data["written"] == [] and data["document"] is None
    assert _files(repo) == before
