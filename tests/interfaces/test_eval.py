"""`migwright eval` as its user meets it: the command line over evals/, its scorecard (table
and JSON), its exit codes, and the case files it refuses.

The subset runs a few fast SQLite cases (one refused, one in plain English through the
scripted model server) on every test run; the full `migwright eval evals/` runs under CI
(`CI=true`) or when MIGWRIGHT_EVAL_FULL is set, since it takes minutes.
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

from migwright.agent.evaluate import (
    CaseResult,
    Evaluation,
    Settings,
    load_cases,
    parse_case,
    score,
)
from migwright.tools.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
EVALS = ROOT / "evals"
SUBSET = [
    "alembic-blog-add-column",
    "alembic-blog-refuse-drop-referenced",
    "alembic-blog-english-add-column",
    "sqlfiles-legacy-add-column",
]
#: Until cli.py mounts `eval`, the same function on a one-command app (same exit codes).
SHIM = (
    "import typer\n"
    "from migwright.agent.cmd_eval import eval_command\n"
    "app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)\n"
    "app.command('eval')(eval_command)\n"
    "app.callback()(lambda: None)\n"
    "app(prog_name='migwright')\n"
)


def eval_argv() -> list[str]:
    from migwright.agent.cli import app

    if any(c.name == "eval" for c in app.registered_commands):
        return [sys.executable, "-m", "migwright", "eval"]
    return [sys.executable, "-c", SHIM, "eval"]


def run_eval(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*eval_argv(), *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout
    )


def case_args(ids: list[str]) -> list[str]:
    return [arg for case_id in ids for arg in ("--case", case_id)]


# ---------------------------------------------------------------------------------------------
# The command on real cases
# ---------------------------------------------------------------------------------------------


def test_subset_scorecard_json() -> None:
    done = run_eval(str(EVALS), "-j", "2", "--json", *case_args(SUBSET))
    assert done.returncode == 0, done.stderr + done.stdout[-3000:]
    report = json.loads(done.stdout)
    cases = {c["id"]: c for c in report["cases"]}
    assert sorted(cases) == sorted(SUBSET)
    assert report["passed"] is True and report["score"] == 1.0
    failed = {i: c["checks"] for i, c in cases.items() if not c["ok"]}
    assert not failed, failed

    added = cases["alembic-blog-add-column"]
    assert set(added["checks"]) == {
        "detection", "naming", "plan", "generation", "validation", "lint", "unchanged", "writes",
    }  # fmt: skip
    assert added["actual"]["framework"] == "alembic"
    assert added["actual"]["validation"] == "pass"
    written = [p for p in added["actual"]["changed"] if p.endswith(".py")]
    assert len(written) == 1 and written[0].endswith("_add_reading_time_to_posts.py")
    assert added["tokens"] == 0 and added["exit_code"] == 0

    refused = cases["alembic-blog-refuse-drop-referenced"]
    assert refused["exit_code"] == 2
    assert "posts.author_id references it" in refused["error"]
    assert refused["actual"]["changed"] == []
    assert "generation" not in refused["checks"]

    english = cases["alembic-blog-english-add-column"]
    assert english["kind"] == "english"
    assert english["tokens"] > 0  # the scripted server counts them as a provider would
    assert english["actual"]["operations"] == [
        "+ add column posts.view_count integer not null default 0"
    ]

    totals = report["totals"]
    assert totals["cases"] == 4 and totals["cases_ok"] == 4
    assert totals["detection"] == {"rate": 1.0, "cases": 4}
    assert totals["refusal"] == {"rate": 1.0, "cases": 1}
    assert totals["lint_precision"] == 1.0 and totals["lint_recall"] == 1.0
    assert totals["tokens"] == english["tokens"]
    assert 0 < totals["wall_seconds"] <= totals["case_seconds"] + 5


def test_scorecard_table_and_progress() -> None:
    done = run_eval(str(EVALS), "-k", "sqlfiles-legacy-refuse")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "ok   sqlfiles-legacy-refuse-duplicate-column" in done.stderr
    for heading in ("case", "detect", "name", "plan", "files", "valid.", "lint P/R", "tokens"):
        assert heading in done.stdout
    assert "1/1 cases ok" in done.stdout
    assert "score 1.000 (threshold 0.9): passed" in done.stdout


def copy_evals(tmp_path: Path, repo: str) -> Path:
    evals = tmp_path / "evals"
    (evals / "cases").mkdir(parents=True)
    shutil.copytree(EVALS / "repos" / repo, evals / "repos" / repo)
    return evals


def test_wrong_expectations_score_below_threshold(tmp_path: Path) -> None:
    """A case whose expectations the tool does not meet: the checks say what differed, the
    total is below the threshold, the exit code is 1."""
    evals = copy_evals(tmp_path, "sqlfiles-legacy")
    (evals / "cases" / "wrong.toml").write_text(
        'repo = "sqlfiles-legacy"\n'
        'request = ["--add-column", "projects.budget integer"]\n'
        "[expect]\n"
        'framework = "flyway"\n'
        'next_name = "migrations/010_add_budget_to_projects.sql"\n'
        'operations = ["+ add column projects.budget integer"]\n'
        'validation = "fail"\n'
        'lint = ["ban-drop-column"]\n'
        'unchanged = ["migrations"]\n',
        encoding="utf-8",
    )
    done = run_eval(str(evals), "--json", "--threshold", "0.8")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["passed"] is False and report["threshold"] == 0.8
    checks = report["cases"][0]["checks"]
    assert checks["detection"]["score"] == 0.0
    assert checks["detection"]["detail"] == "expected 'flyway', got 'sqlfiles'"
    assert checks["naming"]["score"] == 0.0
    assert "009_add_budget_to_projects" in checks["naming"]["detail"]
    assert checks["plan"]["score"] == 1.0
    assert checks["validation"]["score"] == 0.0  # it passed; the case said it would fail
    assert checks["lint"] == {"score": 0.0, "detail": "missing ['ban-drop-column']"}
    assert checks["unchanged"]["score"] == 0.0  # the migration was written into migrations/
    assert checks["writes"]["score"] == 1.0  # ...and reported as written
    assert report["totals"]["lint_recall"] == 0.0
    assert report["score"] < 0.8


def test_english_case_with_a_repair(tmp_path: Path) -> None:
    """`model_answers` are served in turn: the first names a column that does not exist, the
    error goes back to the model, the second answer is accepted; both calls' tokens count,
    so the case costs more than the same request answered right the first time."""
    evals = copy_evals(tmp_path, "sqlfiles-legacy")
    good = (
        'description = "Index open tasks by assignee"\n'
        'operations = [{op = "create_index", table = "tasks", columns = ["assignee_id"],'
        ' where = "done_at is null"}]\n'
    )
    bad = (
        'description = "Index tasks by assignee"\n'
        'operations = [{op = "create_index", table = "tasks", columns = ["assigned_to"]}]\n'
    )
    expect = (
        "[expect]\n"
        'framework = "sqlfiles"\n'
        'next_name = "migrations/009_index_open_tasks_by_assignee.sql"\n'
        "operations = ['+ create index ix_tasks_assignee_id on tasks (assignee_id)"
        " where done_at is null']\n"
        'validation = "pass"\n'
        "lint = []\n"
    )
    head = 'repo = "sqlfiles-legacy"\nenglish = "find open tasks by assignee quickly"\n'
    (evals / "cases" / "first-time.toml").write_text(
        f"{head}[model_answer]\n{good}{expect}", encoding="utf-8"
    )
    (evals / "cases" / "repaired.toml").write_text(
        f"{head}[[model_answers]]\n{bad}[[model_answers]]\n{good}{expect}", encoding="utf-8"
    )
    done = run_eval(str(evals), "--json", "-j", "2")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    cases = {c["id"]: c for c in json.loads(done.stdout)["cases"]}
    assert all(c["ok"] for c in cases.values()), cases
    assert cases["repaired"]["actual"]["changed"] == [
        "migrations/009_index_open_tasks_by_assignee.md",
        "migrations/009_index_open_tasks_by_assignee.sql",
    ]
    assert cases["repaired"]["tokens"] > 1.5 * cases["first-time"]["tokens"] > 0


def test_a_case_that_hangs_times_out(tmp_path: Path) -> None:
    done = run_eval(str(EVALS), "--json", "--timeout", "0.2", "-k", "sqlfiles-legacy-add-column")
    assert done.returncode == 1
    case = json.loads(done.stdout)["cases"][0]
    assert case["error"] == "timed out after 0.2 s" and case["exit_code"] is None
    assert case["checks"]["generation"]["score"] == 0.0


# ---------------------------------------------------------------------------------------------
# Bad input: exit 2, one line naming the file and the problem
# ---------------------------------------------------------------------------------------------


def test_missing_folder_exits_2(tmp_path: Path) -> None:
    done = run_eval(str(tmp_path / "nowhere"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "nowhere: no such folder" in lines[0]
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('repo = "sqlfiles-legacy"\nrequest = [\n', "not valid TOML"),
        ('repo = "sqlfiles-legacy"\nrequets = ["--x"]\n[expect]\nlint = []\n', "unknown key"),
        ('repo = "nope"\nrequest = ["--x"]\n[expect]\nlint = []\n', "repo 'nope' is not"),
        ('repo = "sqlfiles-legacy"\n[expect]\nlint = []\n', "exactly one of `request`"),
        (
            'repo = "sqlfiles-legacy"\nenglish = "add a thing"\n[expect]\nlint = []\n',
            "model_answer",
        ),
        ('repo = "sqlfiles-legacy"\nrequest = ["--x"]\n', "missing the expect table"),
        (
            'repo = "sqlfiles-legacy"\nrequest = ["--x"]\n[expect]\nvalidation = "maybe"\n',
            "validation must be one of pass, fail, skipped",
        ),
        (
            'repo = "sqlfiles-legacy"\nrequest = ["--x"]\n[expect]\nnext_name = "re:(["\n',
            "bad regular expression",
        ),
        (
            'repo = "sqlfiles-legacy"\nrequest = ["--x"]\n[expect]\n'
            'refused = "no"\nvalidation = "pass"\n',
            "never validated",
        ),
        ('repo = "sqlfiles-legacy"\nrequest = "--x"\n[expect]\nlint = []\n', "must be a list"),
    ],
)
def test_malformed_case_is_one_line(tmp_path: Path, text: str, problem: str) -> None:
    evals = copy_evals(tmp_path, "sqlfiles-legacy")
    path = evals / "cases" / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        parse_case(path, evals / "repos")
    assert str(path) in str(caught.value) and problem in str(caught.value)


def test_malformed_case_through_the_cli(tmp_path: Path) -> None:
    evals = copy_evals(tmp_path, "sqlfiles-legacy")
    (evals / "cases" / "typo.toml").write_text(
        'repo = "sqlfiles-legacy"\nrequest = ["--drop-table", "users"]\n[expect]\nrefuse = "x"\n',
        encoding="utf-8",
    )
    done = run_eval(str(evals))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "typo.toml" in lines[0] and "unknown key(s) in the expect table: refuse" in lines[0]


def test_unknown_case_filter_exits_2() -> None:
    done = run_eval(str(EVALS), "--case", "no-such-case-anywhere")
    assert done.returncode == 2
    assert "no case matches 'no-such-case-anywhere'" in done.stderr


# ---------------------------------------------------------------------------------------------
# The library: cases and scoring
# ---------------------------------------------------------------------------------------------


def test_every_case_file_loads_and_covers_every_repo() -> None:
    cases = load_cases(EVALS)
    assert len(cases) >= 40
    repos = {p.name for p in (EVALS / "repos").iterdir() if p.is_dir()}
    assert {c.repo for c in cases} == repos
    assert sum(c.expect.refused is not None for c in cases) >= 6
    assert sum(c.kind == "english" for c in cases) >= 4
    assert {c.expect.validation for c in cases} >= {"pass", "fail", "skipped"}
    assert [c.id for c in load_cases(EVALS, ["knex-*"])] == sorted(
        c.id for c in cases if c.repo == "knex-inventory"
    )


def _document(framework: str, rules: list[str], testing: str = "ok") -> dict[str, Any]:
    """A `migwright new --json` document as the CLI prints it (the fields scoring reads)."""
    return {
        "ok": testing == "ok",
        "steps": [
            {"key": "analyse", "status": "ok", "outputs": {"framework": framework}},
            {
                "key": "plan",
                "status": "ok",
                "outputs": {"name": "m/002_x.sql", "operations": ["+ add column t.c int"]},
            },
            {"key": "practices", "status": "warning" if rules else "ok",
             "outputs": {"findings": [{"rule": r} for r in rules]}},
            {"key": "testing", "status": testing, "summary": "passed", "outputs": {}},
        ],
        "files": [{"path": "m/002_x.sql", "kind": "migration"}],
        "written": [],
    }  # fmt: skip


def test_lint_precision_recall_is_micro_averaged(tmp_path: Path) -> None:
    """Two cases: {a, b} expected, {a, c} found; {} expected, {d} found. Precision 1/3,
    recall 1/2 over both (micro), and each case's lint check is its own F1."""
    evals = copy_evals(tmp_path, "sqlfiles-legacy")
    results = []
    for name, want, got in (("one", ["a", "b"], ["a", "c"]), ("two", [], ["d"])):
        path = evals / "cases" / f"{name}.toml"
        path.write_text(
            f'repo = "sqlfiles-legacy"\nrequest = ["--x"]\n[expect]\nlint = {json.dumps(want)}\n'
            'validation = "pass"\n',
            encoding="utf-8",
        )
        result = CaseResult(parse_case(path, evals / "repos"), exit_code=0)
        score(result, _document("sqlfiles", got), {}, {}, tmp_path)
        results.append(result)
    evaluation = Evaluation(results, 1.0, 0.9, 1)
    precision, recall = evaluation.lint_precision_recall()
    assert precision == pytest.approx(1 / 3) and recall == pytest.approx(1 / 2)
    first = results[0].check("lint")
    assert first is not None and first.score == pytest.approx(0.5)
    assert first.detail == "missing ['b']; extra ['c']"
    second = results[1].check("lint")
    assert second is not None and second.score == 0.0
    # generation: produced but not reported written, although validation passed
    generation = results[0].check("generation")
    assert generation is not None and generation.score == 0.0
    assert "not written" in generation.detail


def test_stray_writes_are_caught(tmp_path: Path) -> None:
    """A file that changed in the repo copy but is not among the written files fails `writes`."""
    evals = copy_evals(tmp_path, "sqlfiles-legacy")
    path = evals / "cases" / "c.toml"
    path.write_text(
        'repo = "sqlfiles-legacy"\nrequest = ["--x"]\n[expect]\nrefused = "x"\n', encoding="utf-8"
    )
    result = CaseResult(parse_case(path, evals / "repos"), exit_code=2, error="x: no")
    score(result, {"steps": []}, {"a.sql": "1"}, {"a.sql": "2", "b.sql": "3"}, tmp_path)
    writes = result.check("writes")
    assert writes is not None and writes.score == 0.0
    assert "a.sql" in writes.detail and "b.sql" in writes.detail
    refusal = result.check("refusal")
    assert refusal is not None and refusal.score == 1.0


def test_settings_default_to_this_python() -> None:
    assert Settings(EVALS).python == sys.executable


# ---------------------------------------------------------------------------------------------
# The whole suite (CI)
# ---------------------------------------------------------------------------------------------


@pytest.mark.skipif(
    os.environ.get("CI") != "true" and not os.environ.get("MIGWRIGHT_EVAL_FULL"),
    reason="the full evaluation takes minutes: runs under CI=true or MIGWRIGHT_EVAL_FULL=1",
)
def test_full_evaluation() -> None:
    done = run_eval(str(EVALS), "-j", "2", timeout=1800)
    sys.stdout.write(done.stdout)  # the scorecard, in the CI log (-rA or on failure)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "score " in done.stdout and "passed" in done.stdout
