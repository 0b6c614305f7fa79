"""`migwright new --update-models / --no-update-models`: the model change is always shown as a
diff; it is written by default only where the models are the source of truth (Django, Prisma).

Each test runs the real CLI on a copy of an example repo, with validation on a scratch database,
then asks the framework itself whether models and migrations agree: Django's
`makemigrations --check --dry-run`, Alembic's `alembic check` (on PostgreSQL: alembic-shop's
history uses PostgreSQL enums).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require_server
from models_cli import copy_repo, new_json, run_new, step, written
from test_gen_django import assert_no_changes

from migwright.tools.analysis import analyse
from migwright.tools.frameworks import alembic_runner
from migwright.tools.scratch import create_scratch

DJANGO_REQUEST = ("--add-column", "orders_order.note text")
ALEMBIC_REQUEST = ("--add-column", "orders.gift_note varchar(200)")


def _makemigrations_check(root: Path) -> subprocess.CompletedProcess[str]:
    """`makemigrations --check --dry-run` on the repo as written; returns the process."""
    with create_scratch("sqlite") as db:
        try:
            assert_no_changes(root, db)
        except AssertionError as exc:
            return subprocess.CompletedProcess([], 1, str(exc), "")
    return subprocess.CompletedProcess([], 0, "No changes detected", "")


def _alembic_check(root: Path) -> subprocess.CompletedProcess[str]:
    """`alembic upgrade heads` then `alembic check` on a PostgreSQL scratch database."""
    with create_scratch("postgresql", require_server("postgresql")) as db:
        analysis = analyse(root)
        alembic_runner.apply(analysis.repo, analysis.config, db)
        return subprocess.run(
            [sys.executable, "-m", "alembic", "check"],
            cwd=root,
            env=dict(os.environ, DATABASE_URL=db.url),
            capture_output=True,
            text=True,
            check=False,
        )


def test_django_writes_models_by_default(tmp_path: Path) -> None:
    repo = copy_repo("django-shop", tmp_path)
    data = new_json(repo, tmp_path, *DJANGO_REQUEST)
    generate = step(data, "generate")
    assert generate["outputs"]["update_models"] is True
    [diff] = generate["outputs"]["model_diffs"]
    assert diff["path"] == "orders/models.py"
    assert "+    note = models.TextField(null=True)" in diff["diff"].splitlines()
    assert "orders/models.py" in written(data, repo)
    assert _makemigrations_check(repo).returncode == 0


def test_django_no_update_models_shows_the_diff_and_leaves_models(tmp_path: Path) -> None:
    repo = copy_repo("django-shop", tmp_path)
    models = (repo / "orders" / "models.py").read_text()
    data = new_json(repo, tmp_path, "--no-update-models", *DJANGO_REQUEST)
    generate = step(data, "generate")
    assert generate["outputs"]["update_models"] is False
    assert "diff only; --update-models writes them" in generate["summary"]
    [diff] = generate["outputs"]["model_diffs"]
    assert diff["diff"].startswith("--- a/orders/models.py\n+++ b/orders/models.py\n")
    assert (repo / "orders" / "models.py").read_text() == models
    assert "orders/models.py" not in written(data, repo)
    assert all(f["kind"] != "model" for f in data["files"])
    # which is why the default is on for Django: the models now lag behind the migration
    check = _makemigrations_check(repo)
    assert check.returncode == 1 and "Remove field note from order" in check.stdout


def test_django_update_models_explicit(tmp_path: Path) -> None:
    repo = copy_repo("django-shop", tmp_path)
    data = new_json(repo, tmp_path, "--update-models", *DJANGO_REQUEST)
    assert step(data, "generate")["outputs"]["update_models"] is True
    assert "orders/models.py" in written(data, repo)
    assert "note = models.TextField(null=True)" in (repo / "orders" / "models.py").read_text()


def test_human_view_prints_the_model_diff(tmp_path: Path) -> None:
    repo = copy_repo("django-shop", tmp_path)
    done = run_new(repo, tmp_path, "--no-update-models", *DJANGO_REQUEST, as_json=False)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "orders/models.py (model diff, not written)" in out
    assert "+    note = models.TextField(null=True)" in out.splitlines()
    assert "pass --update-models to write them" in out


@pytest.mark.postgres
def test_alembic_shows_models_without_writing_by_default(tmp_path: Path) -> None:
    repo = copy_repo("alembic-shop", tmp_path)
    models = (repo / "app" / "models.py").read_text()
    data = new_json(repo, tmp_path, *ALEMBIC_REQUEST)
    generate = step(data, "generate")
    assert generate["outputs"]["update_models"] is False
    [diff] = generate["outputs"]["model_diffs"]
    assert diff["path"] == "app/models.py"
    assert "+    gift_note: Mapped[str | None] = mapped_column(String(200))" in diff["diff"]
    assert (repo / "app" / "models.py").read_text() == models
    check = _alembic_check(repo)
    assert check.returncode != 0, "alembic check should see the column the models lack"
    assert "gift_note" in check.stdout + check.stderr


@pytest.mark.postgres
def test_alembic_update_models_then_alembic_check_is_clean(tmp_path: Path) -> None:
    repo = copy_repo("alembic-shop", tmp_path)
    data = new_json(repo, tmp_path, "--update-models", *ALEMBIC_REQUEST)
    assert step(data, "generate")["outputs"]["update_models"] is True
    assert "app/models.py" in written(data, repo)
    check = _alembic_check(repo)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr


@pytest.mark.postgres
def test_alembic_no_update_models_explicit(tmp_path: Path) -> None:
    repo = copy_repo("alembic-shop", tmp_path)
    data = new_json(repo, tmp_path, "--no-update-models", *ALEMBIC_REQUEST)
    assert step(data, "generate")["outputs"]["update_models"] is False
    assert "app/models.py" not in written(data, repo)
