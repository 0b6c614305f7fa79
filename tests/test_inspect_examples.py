"""`migwright inspect` on every example repo: the real command, against expected.toml.

The current schema is rebuilt by replaying each history on a scratch database of the repo's
dialect with the framework's own runner where one runs here (alembic, knex, sequelize-cli,
typeorm, drizzle's migrator) and migwright's SQL runner for SQL-file histories; the tables must
be exactly those the example's expected.toml lists.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import require_server

REPOS = Path(__file__).resolve().parent.parent / "evals" / "repos"
EXAMPLES = sorted(p for p in REPOS.iterdir() if (p / "expected.toml").exists())


@pytest.mark.parametrize("repo", EXAMPLES, ids=lambda p: p.name)
def test_inspect_rebuilds_the_schema_of_each_example(repo: Path) -> None:
    expected = tomllib.loads((repo / "expected.toml").read_text())
    require_server(expected["dialect"])
    before = {p: p.stat().st_mtime_ns for p in repo.rglob("*") if p.is_file()}
    result = subprocess.run(
        [sys.executable, "-m", "migwright", "inspect", str(repo), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["framework"] == expected["framework"]
    assert data["dialect"] == expected["dialect"]
    assert data["count"] == expected["count"]
    assert sorted(data["heads"]) == sorted(expected["heads"])
    schema = data["schema"]
    assert schema["note"] is None, schema["note"]
    tables = sorted(t["name"] for t in schema["current"]["tables"])
    framework_tables = [t for t in tables if t not in expected["tables"]]
    if expected["framework"] == "django":  # Django's own apps (auth_*, django_*) come along
        framework_tables = [t for t in framework_tables if not t.startswith(("auth_", "django_"))]
    assert [t for t in expected["tables"] if t not in tables] == []
    assert framework_tables == []
    after = {p: p.stat().st_mtime_ns for p in repo.rglob("*") if p.is_file()}
    assert after == before, "inspect must not change the repository"
