"""The shipped pre-commit hook, run by the real pre-commit.

The working tree (tracked and new files, without tests/evals/benchmarks/docs) is copied into a
temporary git repository and committed there, as a user's `rev:` would pin it; a second
temporary repository plays the user's project with migrations in `db/migrations/` and a
`.pre-commit-config.yaml` that points at the clone's commit, the way users configure the hook.
`pre-commit run --files ...` builds the hook's Python environment from the clone once (pip, from
PyPI or its cache: 15-30 s) and runs `migwright lint` on the files the hook's `files` pattern
selects. (`pre-commit try-repo` does the same but rebuilds the environment on every call.) Also
checks the `.pre-commit-hooks.yaml` fields pre-commit users rely on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "lint" / "corpus" / "require-concurrent-index-creation"
LEFT_OUT = ("tests/", "evals/", "benchmarks/", "docs/")


def _pre_commit() -> str:
    found = Path(sys.executable).parent / "pre-commit"
    if found.is_file():
        return str(found)
    if os.environ.get("CI") == "true":
        pytest.fail("pre-commit is not installed in CI: pip install -e '.[dev]'", pytrace=False)
    pytest.skip("pre-commit not installed (pip install pre-commit)")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@dataclass(frozen=True)
class Setup:
    binary: str
    hook_repo: Path
    project: Path
    home: Path

    def run(self, *files: str) -> subprocess.CompletedProcess[str]:
        """`pre-commit run migwright-lint --files ...` in the user's project."""
        env = {**os.environ, "PRE_COMMIT_HOME": str(self.home), "NO_COLOR": "1"}
        return subprocess.run(
            [self.binary, "run", "migwright-lint", "--color", "never", "--files", *files],
            cwd=self.project,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    binary = _pre_commit()
    base = tmp_path_factory.mktemp("precommit")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    hook_repo = base / "hook"
    for name in filter(None, listed):
        source = ROOT / name
        if name.startswith(LEFT_OUT) or not source.is_file():
            continue
        target = hook_repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    _git(hook_repo.parent, "init", "-q", str(hook_repo))
    _git(hook_repo, "add", "-A")
    _git(hook_repo, "commit", "-qm", "hook under test")
    project = base / "project"
    migrations = project / "db" / "migrations"
    migrations.mkdir(parents=True)
    shutil.copy(CORPUS / "bad.sql", migrations / "0001_bad.sql")
    shutil.copy(CORPUS / "good.sql", migrations / "0002_good.sql")
    (project / "reports").mkdir()
    shutil.copy(CORPUS / "bad.sql", project / "reports" / "adhoc.sql")
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    config = {"repos": [{"repo": str(hook_repo), "rev": rev, "hooks": [{"id": "migwright-lint"}]}]}
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    _git(project.parent, "init", "-q", str(project))
    _git(project, "add", "-A")
    yield Setup(binary, hook_repo, project, base / "pre-commit-home")


def test_hook_definition_is_what_pre_commit_needs() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "migwright-lint"
    assert hook["entry"] == "migwright lint"
    assert hook["language"] == "python"
    assert hook.get("pass_filenames", True) is True


def test_hook_fails_a_bad_migration_and_names_the_rule(setup: Setup) -> None:
    result = setup.run("db/migrations/0001_bad.sql", "db/migrations/0002_good.sql")
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "migwright lint" in out and "Failed" in out
    assert "require-concurrent-index-creation" in out
    assert "db/migrations/0001_bad.sql:1" in out


def test_hook_passes_a_good_migration_and_skips_sql_outside_migration_folders(
    setup: Setup,
) -> None:
    # reports/adhoc.sql is the same bad SQL: the run passes only because `files` leaves it out
    result = setup.run("db/migrations/0002_good.sql", "reports/adhoc.sql")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "Passed" in out
    assert "adhoc.sql" not in out
