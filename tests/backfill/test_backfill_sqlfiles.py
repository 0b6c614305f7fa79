"""SQL-file frameworks on PostgreSQL: a batched backfill is a DO block that commits after each
batch, in a step the runner runs outside a transaction, and it validates with that runner."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require_server

EXAMPLES = Path(__file__).resolve().parents[2] / "evals" / "repos"
REQUEST = [
    "--add-column",
    "customers.tier text",
    "--backfill",
    "customers.tier = 'basic' where tier is null",
    "--batch-size",
    "40",
]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("example", "migration_glob"),
    [
        ("flyway-billing", "sql/V*__Add_tier*.sql"),
        ("prisma-shop", "prisma/migrations/*_add_tier*/migration.sql"),
    ],
)
def test_batched_backfill_in_sql_files(tmp_path: Path, example: str, migration_glob: str) -> None:
    require_server("postgresql")
    repo = tmp_path / example
    shutil.copytree(EXAMPLES / example, repo)
    done = subprocess.run(
        [sys.executable, "-m", "migwright", "new", "--json", "--rows", "200", *REQUEST],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=600,
    )
    data = json.loads(done.stdout)
    assert done.returncode == 0, done.stderr[-2000:]
    testing = next(s for s in data["steps"] if s["step"] == 8)
    assert testing["summary"] == "passed", testing["findings"]
    (migration,) = repo.glob(migration_glob)
    text = migration.read_text()
    assert "COMMIT;" in text and "LIMIT 1 OFFSET 40" in text  # batches of 40, a commit each
    assert "BEGIN;\nUPDATE customers" not in text  # not one UPDATE in a transaction
    if example == "flyway-billing":
        conf = migration.with_name(migration.name + ".conf").read_text()
        assert "executeInTransaction=false" in conf
