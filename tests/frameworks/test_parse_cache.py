"""The parse cache serves a second read of a history, and never a stale one."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from migwright.tools.analysis import analyse
from migwright.tools.frameworks import parse_cache
from migwright.tools.frameworks.base import History
from migwright.tools.repo import RepoFacts

REVISION = '''"""{message}"""
revision = {rev!r}
down_revision = {down!r}


def upgrade():
    {body}


def downgrade():
    pass
'''


def _alembic_repo(root: Path, n: int) -> None:
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (root / "migrations" / "env.py").write_text("")
    for i in range(n):
        _write_rev(root, i, f"step {i}")


def _write_rev(root: Path, i: int, message: str, body: str = "pass") -> None:
    down = None if i == 0 else f"{i - 1:04x}"
    text = REVISION.format(message=message, rev=f"{i:04x}", down=down, body=body)
    (root / "migrations" / "versions" / f"{i:04x}_step.py").write_text(text)


def _history(root: Path, framework: str = "alembic") -> History:
    return analyse(root, framework).history


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MIGWRIGHT_CACHE_DIR", str(folder))
    parse_cache._OPEN.clear()
    return folder


def _cache_file(folder: Path, reader: str) -> Path:
    files = list(folder.glob(f"{reader}-*.pickle"))
    assert len(files) == 1, files
    return files[0]


def test_second_read_comes_from_the_cache(tmp_path: Path, cache_dir: Path) -> None:
    _alembic_repo(tmp_path / "repo", 5)
    first = _history(tmp_path / "repo")
    entries = pickle.loads(_cache_file(cache_dir, "alembic").read_bytes())
    assert sorted(rel for rel, _ in entries) == sorted(
        f"migrations/versions/{i:04x}_step.py" for i in range(5)
    )
    parse_cache._OPEN.clear()  # a new process: only the file is left
    cache = parse_cache.for_repo(RepoFacts.load(tmp_path / "repo"), "alembic")
    calls: list[str] = []
    rel = "migrations/versions/0003_step.py"
    revision = cache.get(rel, None, lambda: calls.append(rel))
    assert calls == [] and revision.message == "step 3"
    assert _history(tmp_path / "repo").migrations == first.migrations


def test_an_edited_file_is_read_again(tmp_path: Path, cache_dir: Path) -> None:
    root = tmp_path / "repo"
    _alembic_repo(root, 3)
    _history(root)
    _write_rev(root, 2, "renamed step")  # same size class, same second: only the bytes tell
    parse_cache._OPEN.clear()
    history = _history(root)
    assert history.migrations[-1].name == "renamed step"


def test_a_removed_file_leaves_the_cache(tmp_path: Path, cache_dir: Path) -> None:
    root = tmp_path / "repo"
    _alembic_repo(root, 3)
    _history(root)
    _write_rev(root, 1, "step 1 changed")
    (root / "migrations" / "versions" / "0002_step.py").unlink()
    parse_cache._OPEN.clear()
    history = _history(root)
    assert len(history.migrations) == 2
    entries = pickle.loads(_cache_file(cache_dir, "alembic").read_bytes())
    assert "migrations/versions/0002_step.py" not in {rel for rel, _ in entries}


def test_a_broken_cache_file_is_ignored(tmp_path: Path, cache_dir: Path) -> None:
    root = tmp_path / "repo"
    _alembic_repo(root, 2)
    _history(root)
    _cache_file(cache_dir, "alembic").write_bytes(b"not a pickle")
    parse_cache._OPEN.clear()
    assert len(_history(root).migrations) == 2


def test_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGWRIGHT_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    parse_cache._OPEN.clear()
    _alembic_repo(tmp_path / "repo", 2)
    assert len(_history(tmp_path / "repo").migrations) == 2
    assert not (tmp_path / "xdg").exists()
    assert parse_cache.cache_dir() is None


def test_errors_are_not_cached(tmp_path: Path, cache_dir: Path) -> None:
    from migwright.tools.errors import HistoryError

    root = tmp_path / "repo"
    _alembic_repo(root, 2)
    _write_rev(root, 1, "broken", body="pass(")
    for _ in range(2):
        parse_cache._OPEN.clear()
        with pytest.raises(HistoryError, match=r"0001_step\.py"):
            _history(root)


def test_django_history_through_the_cache(tmp_path: Path, cache_dir: Path) -> None:
    root = tmp_path / "proj"
    (root / "proj").mkdir(parents=True)
    (root / "proj" / "__init__.py").write_text("")
    (root / "proj" / "settings.py").write_text("INSTALLED_APPS = ['shop']\n")
    (root / "manage.py").write_text(
        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
    )
    mig = root / "shop" / "migrations"
    mig.mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "apps.py").write_text(
        "from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    name = 'shop'\n"
    )
    (root / "shop" / "models.py").write_text("from django.db import models\n")
    (mig / "__init__.py").write_text("")
    for i in range(3):
        deps = [] if i == 0 else [("shop", f"{i - 1:04d}_step")]
        (mig / f"{i:04d}_step.py").write_text(
            "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
            f"    dependencies = {deps!r}\n    operations = []\n"
        )
    first = _history(root, "django")
    parse_cache._OPEN.clear()
    second = _history(root, "django")
    assert second.migrations == first.migrations
    assert len(second.migrations) == 3
    assert _cache_file(cache_dir, "django").stat().st_size > 0
