"""`migwright new --phase expand`, the app deploy, then `--phase contract`, end to end.

Each run is the real CLI on a copy of an example repo, with the real runner and the real
validation (up, down, up on a scratch database): the Alembic shop on PostgreSQL and the plain
SQL files of sqlfiles-legacy on SQLite. After both phases the repo's whole history (expand and
contract included) is replayed and read back, and must equal the one-step rename's schema.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import require_server

from migwright.tools import ops as o
from migwright.tools.analysis import analyse
from migwright.tools.current import rebuild

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
MIGWRIGHT = str(Path(sys.executable).parent / "migwright")


def copy_repo(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(REPOS / name, target)
    return target


def new(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [MIGWRIGHT, "new", "-C", str(repo), *args, "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return done.returncode, json.loads(done.stdout)


def step(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in data["steps"] if s["key"] == key)


def schema_of(repo: Path, dialect: str) -> Any:
    current = rebuild(analyse(repo), dialect)
    assert current.schema is not None, current.note
    return current.schema


CASES = [
    pytest.param(
        "alembic-shop",
        "postgresql",
        "customers.full_name to display_name",
        ("customers", "full_name", "display_name"),
        id="alembic-postgresql",
        marks=pytest.mark.postgres,
    ),
    pytest.param(
        "sqlfiles-legacy",
        "sqlite",
        "tasks.title to name",
        ("tasks", "title", "name"),
        id="sqlfiles-sqlite",
    ),
]


@pytest.mark.parametrize(("name", "dialect", "rename", "parts"), CASES)
def test_expand_then_contract(
    tmp_path: Path, name: str, dialect: str, rename: str, parts: tuple[str, str, str]
) -> None:
    require_server(dialect)
    table, old, new_name = parts
    repo = copy_repo(name, tmp_path)
    before = schema_of(repo, dialect)

    # models are written with each phase, as the app deploy in between would have them
    code, data = new(repo, "--rename-column", rename, "--update-models")
    assert code == 0, data
    plan = step(data, "plan")["outputs"]
    assert plan["phase"]["phase"] == "expand"
    command = f"migwright new -C {repo} --rename-column '{rename}' --phase contract"
    assert plan["phase"]["next"].endswith(f"`{command}`")
    assert step(data, "testing")["summary"] == "passed"
    expand_file = next(f for f in data["written"] if "expand_rename" in f and f.endswith(".md"))
    document = Path(expand_file).read_text()
    steps = document.split("Deploy:")[1]
    assert (
        steps.index("1. [ ] Deploy this migration (expand)")
        < steps.index("2. [ ] Deploy the application")
        < steps.index("3. [ ] When no running code uses the old name any more")
    )
    assert f"`{command}`" in document

    middle = schema_of(repo, dialect).table(table)
    assert middle.has_column(old) and middle.has_column(new_name)

    code, data = new(repo, "--rename-column", rename, "--phase", "contract", "--update-models")
    assert code == 0, data
    assert step(data, "plan")["outputs"]["phase"]["phase"] == "contract"
    assert step(data, "testing")["summary"] == "passed"
    assert any("contract_rename" in f for f in data["written"])

    after = schema_of(repo, dialect)
    one_step = o.apply_all([o.RenameColumn(table, old, new_name)], before)
    assert after.normalized() == one_step.normalized()


def test_contract_before_expand_says_what_is_missing(tmp_path: Path) -> None:
    repo = copy_repo("sqlfiles-legacy", tmp_path)
    code, data = new(repo, "--rename-column", "tasks.title to name", "--phase", "contract")
    assert code == 2
    error = step(data, "plan")["error"]
    assert error == (
        "tasks has no column name: the expand migration is not in the history (run the expand "
        "first: the same command with --phase expand, deployed)"
    )
    assert not list((repo / "migrations").glob("009_*"))


def test_contract_without_sync_triggers_is_refused(tmp_path: Path) -> None:
    """Both columns exist, but no migration created the triggers: the contract would drop a
    column whose values were never copied."""
    repo = copy_repo("sqlfiles-legacy", tmp_path)
    code, data = new(repo, "--add-column", "tasks.name text")
    assert code == 0, data
    code, data = new(repo, "--rename-column", "tasks.title to name", "--phase", "contract")
    assert code == 2
    assert step(data, "plan")["error"].startswith(
        "no migration creates the expand's sync objects mw_tasks_title_name_io, "
    )


def test_one_step_keeps_the_single_rename(tmp_path: Path) -> None:
    repo = copy_repo("sqlfiles-legacy", tmp_path)
    code, data = new(repo, "--rename-column", "tasks.title to name", "--phase", "one-step")
    assert code == 0, data
    plan = step(data, "plan")["outputs"]
    assert plan["operations"] == ["> rename column tasks.title to name"]
    assert "phase" not in plan
    (written,) = [f for f in data["written"] if f.endswith(".sql")]
    assert "RENAME COLUMN title TO name" in Path(written).read_text()
