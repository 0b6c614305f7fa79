"""The parts of the app-test run: failing-test names, config, the command, env, worktree, report.

Runner outputs below are what pytest 9, Django 5.2's `manage.py test`, jest 29, node --test and
RSpec print (trimmed); the commands run for real through the shell.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import require_server

from migwright.tools.apptests import (
    AppTestJob,
    configured_command,
    run_app_tests,
    run_command,
    run_old_code,
    running_code_finding,
)
from migwright.tools.apptests_env import database_env, database_url
from migwright.tools.apptests_parse import count_tests, failed_tests
from migwright.tools.errors import ConfigError
from migwright.tools.frameworks.base import FrameworkConfig
from migwright.tools.scratch import ScratchDatabase, create_scratch
from migwright.tools.validate_report import AppTestRun, Phase, ValidationReport, summary_lines
from migwright.tools.worktree import head_worktree, why_no_worktree

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
PYTEST_OUT = """\
..F.E                                                                    [100%]
=================================== FAILURES ===================================
___________________________________ test_two ___________________________________
=========================== short test summary info ============================
FAILED tests/test_orders.py::test_two - AssertionError: assert 1 == 2
ERROR tests/test_orders.py::test_five - sqlalchemy.exc.ProgrammingError: column
FAILED tests/test_orders.py::TestOrder::test_param[a-b] - KeyError: 'x'
================ 2 failed, 2 passed, 1 error in 0.31s =================
"""
DJANGO_OUT = """\
Found 4 test(s).
Using existing test database for alias 'default'...
.FE.
======================================================================
ERROR: test_items (orders.tests.OrderTests.test_items)
----------------------------------------------------------------------
django.db.utils.OperationalError: no such column: orders_order.shipping_address
======================================================================
FAIL: test_total (orders.tests.OrderTests)
----------------------------------------------------------------------
Ran 4 tests in 0.020s

FAILED (failures=1, errors=1)
Preserving test database for alias 'default'...
"""
JEST_OUT = """\
 FAIL  src/orders.test.ts
  \u25cf orders \u203a keeps the shipping address

    expect(received).toBe(expected)
Tests:       1 failed, 3 passed, 4 total
"""
TAP_OUT = "ok 1 - lists orders\nnot ok 2 - ships an order # time=3.1ms\n"
RSPEC_OUT = "rspec ./spec/models/order_spec.rb:12 # Order keeps its address\n"


def _config(framework: str = "alembic", **settings: str) -> FrameworkConfig:
    return FrameworkConfig(framework, ".", "migrations", settings=dict(settings))


# -- failing tests -------------------------------------------------------------------------


def test_pytest_names_and_counts() -> None:
    assert failed_tests(PYTEST_OUT) == (
        "tests/test_orders.py::test_two",
        "tests/test_orders.py::test_five",
        "tests/test_orders.py::TestOrder::test_param[a-b]",
    )
    assert count_tests(PYTEST_OUT) == {"failed": 2, "passed": 2, "errors": 1}


def test_django_names_and_counts() -> None:
    assert failed_tests(DJANGO_OUT) == (
        "orders.tests.OrderTests.test_items",
        "orders.tests.OrderTests.test_total",  # Python < 3.11 prints the class only
    )
    assert count_tests(DJANGO_OUT) == {"passed": 2, "failed": 1, "errors": 1}


@pytest.mark.parametrize(
    ("output", "name"),
    [
        (JEST_OUT, "orders \u203a keeps the shipping address"),
        (TAP_OUT, "ships an order"),
        (RSPEC_OUT, "./spec/models/order_spec.rb:12"),
    ],
    ids=["jest", "tap", "rspec"],
)
def test_other_runners_name_their_failures(output: str, name: str) -> None:
    assert failed_tests(output) == (name,)


def test_lines_that_only_look_like_failures_are_not_names() -> None:
    noise = "FAILED to connect, retrying\nERROR: could not translate host name\nall good\n"
    assert failed_tests(noise) == ()
    assert count_tests("3 passed\n") == {}  # no `in 0.1s`: not pytest's summary line


# -- configuration -------------------------------------------------------------------------


def test_no_config_means_no_default(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert configured_command(tmp_path) is None


def test_pyproject_default(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.migwright]\napp-tests = "pytest -q"\n')
    assert configured_command(tmp_path) == "pytest -q"


def test_migwright_toml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.migwright]\napp-tests = "pytest -q"\n')
    (tmp_path / "migwright.toml").write_text(
        'app-tests = "python manage.py test"\n\n[model]\nname = "openai:gpt-4o-mini"\n'
    )
    assert configured_command(tmp_path) == "python manage.py test"


@pytest.mark.parametrize(
    ("text", "says"),
    [('app-tests = "unclosed\n', "TOML"), ("app-tests = 3\n", "must be a command")],
    ids=["syntax", "not-a-string"],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "migwright.toml").write_text(text)
    with pytest.raises(ConfigError) as err:
        configured_command(tmp_path)
    assert says in err.value.one_line() and err.value.hint


# -- the command ---------------------------------------------------------------------------


def test_a_timeout_stops_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "still-running"
    started = time.perf_counter()
    finished = run_command(
        f"(sleep 3; touch {marker}) & sleep 30", tmp_path, {"PATH": "/usr/bin:/bin"}, 0.5
    )
    assert finished.timed_out and finished.returncode is None
    assert time.perf_counter() - started < 3
    time.sleep(3.5)
    assert not marker.exists()  # the background child was killed with its group


def test_missing_command_and_timeout_are_one_line_each(
    sqlite_scratch: ScratchDatabase, tmp_path: Path
) -> None:
    job = AppTestJob("no-such-test-runner --all", "alembic", _config())
    missing = run_app_tests(job, sqlite_scratch, tmp_path, state="new")
    assert missing.status == "errored" and not missing.ok
    assert missing.message.startswith("`no-such-test-runner` was not found")
    slow = AppTestJob("sleep 20", "alembic", _config(), timeout=0.3)
    stopped = run_app_tests(slow, sqlite_scratch, tmp_path, state="new")
    assert stopped.status == "errored" and "did not finish within 0s" in stopped.message
    assert "--app-tests-timeout" in stopped.message


def test_exit_without_a_named_failure_is_errored(
    sqlite_scratch: ScratchDatabase, tmp_path: Path
) -> None:
    job = AppTestJob("echo 'ImportError: no module named shop' && exit 4", "alembic", _config())
    run = run_app_tests(job, sqlite_scratch, tmp_path, state="new")
    assert run.status == "errored" and run.exit_code == 4
    assert run.message.endswith("ImportError: no module named shop")


def test_the_command_sees_the_scratch_database(
    sqlite_scratch: ScratchDatabase, tmp_path: Path
) -> None:
    """A real pytest run that reads DATABASE_URL and the named variable, and writes there."""
    (tmp_path / "test_db.py").write_text(
        "import os, sqlalchemy as sa\n"
        "def test_reaches_it():\n"
        "    assert os.environ['BLOG_DATABASE_URL'] == os.environ['DATABASE_URL']\n"
        "    with sa.create_engine(os.environ['DATABASE_URL']).begin() as c:\n"
        "        c.execute(sa.text('create table seen (x int)'))\n"
        "def test_fails():\n"
        "    assert 1 == 2\n"
    )
    job = AppTestJob(
        "python -m pytest -q -p no:cacheprovider", "alembic", _config(url_env="BLOG_DATABASE_URL")
    )
    run = run_app_tests(job, sqlite_scratch, tmp_path, state="new")
    assert run.status == "failed" and run.failed_tests == ("test_db.py::test_fails",)
    assert run.counts == {"failed": 1, "passed": 1}
    assert {"DATABASE_URL", "BLOG_DATABASE_URL", "ALEMBIC_CONFIG"} <= set(run.variables)
    with sqlite_scratch.engine().connect() as conn:
        assert conn.exec_driver_sql("select count(*) from seen").scalar() == 0


# -- the environment -----------------------------------------------------------------------


def test_url_flavours_on_postgresql(tmp_path: Path) -> None:
    require_server("postgresql")
    with create_scratch("postgresql") as db:
        assert database_url(db, "sqlalchemy").startswith("postgresql+psycopg://")
        assert database_url(db, "plain").startswith("postgres://")
        assert database_url(db, "rails").startswith("postgres://")
        tickets = FrameworkConfig(
            "django",
            ".",
            "x",
            database_url="postgresql://${TICKETS_DB_USER}:***@${TICKETS_DB_HOST}:"
            "${TICKETS_DB_PORT}/${TICKETS_DB_NAME}",
            settings={"settings_module": "helpdesk.settings.dev"},
        )
        env = database_env("django", tickets, db, tmp_path, tmp_path)
        assert env["TICKETS_DB_NAME"] == db.name and env["TICKETS_DB_PORT"] == "5432"
        assert env["DJANGO_SETTINGS_MODULE"] == "migwright_scratch_settings"
        settings = (tmp_path / "migwright_scratch_settings.py").read_text()
        assert "from helpdesk.settings.dev import *" in settings
        assert f"DATABASES['default']['TEST'] = {{'NAME': '{db.name}'}}" in settings
        assert "KeepScratchRunner" in settings
        prisma = FrameworkConfig("prisma", ".", "prisma", database_url="${DATABASE_URL}")
        assert database_env("prisma", prisma, db, tmp_path, tmp_path)["DATABASE_URL"].startswith(
            "postgres://"
        )


def test_sqlite_urls_per_framework(sqlite_scratch: ScratchDatabase, tmp_path: Path) -> None:
    path = sqlite_scratch.url.removeprefix("sqlite:///")
    assert database_url(sqlite_scratch, "file") == f"file:{path}"
    assert database_url(sqlite_scratch, "rails") == f"sqlite3:{path}"
    env = database_env("knex", _config("knex"), sqlite_scratch, tmp_path, tmp_path)
    assert env["MIGWRIGHT_SQLITE_PATH"] == path and env["DATABASE_URL"] == f"sqlite:///{path}"


# -- the committed code --------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_not_a_git_repository_is_skipped_with_a_note(
    sqlite_scratch: ScratchDatabase, tmp_path: Path
) -> None:
    assert "not in a git repository" in (why_no_worktree(tmp_path) or "")
    job = AppTestJob("true", "alembic", _config())
    run = run_old_code(job, lambda db: "nothing", "sqlite", tmp_path)
    assert run.status == "skipped" and run.ok and run.message.startswith("not run: ")


def test_a_repository_without_commits_is_skipped(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    assert "no commit yet" in (why_no_worktree(tmp_path) or "")


def test_worktree_is_head_in_a_subfolder_and_removed_after_a_failure(tmp_path: Path) -> None:
    app = tmp_path / "services" / "shop"
    app.mkdir(parents=True)
    (app / "code.py").write_text("committed = True\n")
    (app / "node_modules").mkdir()
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "one")
    (app / "code.py").write_text("committed = False  # the working tree\n")
    seen: list[Path] = []
    with pytest.raises(RuntimeError), head_worktree(app) as tree:
        seen.append(tree.path)
        assert tree.path.name == "shop" and tree.path.parent.name == "services"
        assert (tree.path / "code.py").read_text() == "committed = True\n"
        assert (tree.path / "node_modules").is_symlink()  # untracked, linked from the tree
        raise RuntimeError("the tests crashed")
    assert not seen[0].exists()
    assert len(_git(tmp_path, "worktree", "list").strip().splitlines()) == 1
    assert (app / "code.py").read_text().startswith("committed = False")  # untouched


# -- the report ----------------------------------------------------------------------------


def _report(new: AppTestRun, old: AppTestRun | None) -> ValidationReport:
    phase = Phase("up", "passed", 0.1)
    return ValidationReport(
        "sqlite", "db", 10, 0, phases=(phase,), app_tests=new, old_code_tests=old
    )


def test_a_failing_new_code_run_fails_the_report() -> None:
    new = AppTestRun("pytest", "new", "failed", 1.5, 1, ("tests/test_a.py::test_x",))
    report = _report(new, None)
    assert not report.ok
    assert report.failures() == ["app tests: 1 failed: tests/test_a.py::test_x"]
    assert json.loads(json.dumps(report.to_json()))["app_tests"]["ok"] is False


def test_a_failing_old_code_run_is_a_finding_not_a_failed_validation() -> None:
    new = AppTestRun("pytest", "new", "passed", 1.0, 0, counts={"passed": 3})
    old = AppTestRun(
        "pytest",
        "old",
        "failed",
        1.2,
        1,
        ("tests/test_a.py::test_x",),
        where="git worktree of HEAD (abc1234); your working tree is untouched",
        output_tail=("E   column customers.phone does not exist",),
    )
    report = _report(new, old)
    assert report.ok and report.breaks_running_code and report.failures() == []
    lines = "\n".join(summary_lines(report))
    assert "app tests (new code): ok 1.0s - `pytest`" in lines
    assert "old code vs new schema: FAILED 1.2s" in lines
    assert "not safe for a rolling deploy" in lines
    assert "E   column customers.phone does not exist" in lines
    finding = running_code_finding(report)
    assert finding is not None and finding.rule == "breaks-running-code"
    assert finding.severity == "error" and "tests/test_a.py::test_x" in finding.message
    errored = _report(new, AppTestRun("pytest", "old", "errored", message="timed out"))
    assert (running_code_finding(errored) or finding).severity == "warning"
    skipped = _report(new, AppTestRun("pytest", "old", "skipped", message="not run: no git"))
    assert running_code_finding(skipped) is None


def test_the_interpreter_runs_the_command(sqlite_scratch: ScratchDatabase, tmp_path: Path) -> None:
    """`python` in a command is this environment's interpreter (its folder leads PATH)."""
    job = AppTestJob("python -c 'import sys; print(sys.prefix)'", "alembic", _config())
    run = run_app_tests(job, sqlite_scratch, tmp_path, state="new")
    assert run.status == "passed" and run.output_tail[-1] == sys.prefix


def test_the_repo_default_applies_unless_turned_off(tmp_path: Path) -> None:
    from migwright.agent.validation import _app_test_job
    from migwright.tools.analysis import analyse

    repo = tmp_path / "shop"
    shutil.copytree(REPOS / "django-shop", repo, ignore=shutil.ignore_patterns("__pycache__"))
    analysis = analyse(repo)
    assert _app_test_job(None, 600, analysis) is None
    (repo / "migwright.toml").write_text('app-tests = "python manage.py test"\n')
    job = _app_test_job(None, 30, analysis)
    assert job is not None and job.command == "python manage.py test"
    assert job.framework == "django" and job.timeout == 30
    assert _app_test_job("", 600, analysis) is None  # --app-tests "" turns it off
    chosen = _app_test_job("python -m pytest", 600, analysis)
    assert chosen is not None and chosen.command == "python -m pytest"
