"""Alembic adapter: the alembic-* examples against expected.toml and against Alembic itself,
and malformed repositories built per test."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect

from migwright.tools.analysis import analyse
from migwright.tools.errors import ConfigError, DetectionError, HistoryError, MigwrightError
from migwright.tools.frameworks import registry
from migwright.tools.frameworks.alembic import ADAPTER, alembic_slug
from migwright.tools.frameworks.base import FrameworkConfig, History
from migwright.tools.repo import RepoFacts
from migwright.tools.scratch import ScratchDatabase

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
EXAMPLES = sorted(p.name for p in REPOS.glob("alembic-*") if (p / "expected.toml").exists())
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def expected(example: str) -> dict[str, object]:
    return tomllib.loads((REPOS / example / "expected.toml").read_text())


def build(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def analysed(root: Path) -> tuple[RepoFacts, FrameworkConfig, History]:
    repo = RepoFacts.load(root)
    [evidence] = ADAPTER.detect(repo)
    config = ADAPTER.config(repo, evidence)
    return repo, config, ADAPTER.history(repo, config)


def revision(rev: str, down: object, body: str = "op.execute('SELECT 1')", **extra: str) -> str:
    """A revision file in the shape `alembic revision` writes."""
    lines = [f'"""{rev}"""', "from alembic import op", "", f"revision = {rev!r}"]
    lines.append(f"down_revision = {down!r}")
    lines += [f"{key} = {value}" for key, value in extra.items()]
    lines += ["", "", "def upgrade():", f"    {body}", "", "", "def downgrade():", f"    {body}"]
    return "\n".join(lines) + "\n"


INI = "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite:///app.db\n"


def alembic_repo(root: Path, revisions: dict[str, str], ini: str = INI) -> Path:
    files = {"alembic.ini": ini, "migrations/env.py": "from alembic import context\n"}
    files.update({f"migrations/versions/{name}": text for name, text in revisions.items()})
    return build(root, files)


def real_script(root: Path) -> ScriptDirectory:
    """Alembic's own view of the repo (this imports the revision files: tests only)."""
    ini = root / "alembic.ini"
    toml = root / "pyproject.toml"
    config = Config(
        str(ini) if ini.exists() else None, toml_file=str(toml) if toml.exists() else None
    )
    return ScriptDirectory.from_config(config)


def real_upgrade_order(root: Path) -> list[str]:
    """The order `alembic upgrade heads` runs the revisions in."""
    script = real_script(root)
    return [s.revision for s in reversed(list(script.walk_revisions("base", "heads")))]


# ---------------------------------------------------------------------- the example repos


@pytest.mark.parametrize("example", EXAMPLES)
def test_only_alembic_detects_the_example(example: str) -> None:
    repo = RepoFacts.load(REPOS / example)
    fired = {name for name, adapter in registry().items() if adapter.detect(repo)}
    assert fired == {"alembic"}
    [evidence] = ADAPTER.detect(repo)
    assert evidence.confidence >= 0.9
    assert evidence.root == "."
    assert any(r.path == "alembic.ini" and r.line for r in evidence.reasons)


@pytest.mark.parametrize("example", sorted(p.parent.name for p in REPOS.glob("*/expected.toml")))
def test_fires_exactly_on_alembic_examples(example: str) -> None:
    found = ADAPTER.detect(RepoFacts.load(REPOS / example))
    assert bool(found) == (expected(example)["framework"] == "alembic"), found


def test_config_of_the_shop() -> None:
    repo = RepoFacts.load(REPOS / "alembic-shop")
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    assert config.dialect == "postgresql"
    assert config.database_url == "postgresql+psycopg://shop:***@localhost:5432/shop"
    assert config.migrations_dir == "migrations/versions"
    assert config.config_files == ("alembic.ini", "migrations/env.py")
    assert config.settings["file_template"] == (
        "%(year)d_%(month).2d_%(day).2d_%(hour).2d%(minute).2d-%(rev)s_%(slug)s"
    )
    assert config.settings["script_location_at"] == "alembic.ini:5"
    assert config.settings["url_env"] == "DATABASE_URL"
    assert config.settings["models_module"] == "app.models"
    assert "shop_dev_pw" not in repr(config)


def test_config_of_the_blog_comes_from_pyproject() -> None:
    repo = RepoFacts.load(REPOS / "alembic-blog")
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    assert config.dialect == "sqlite"
    assert config.database_url == "sqlite:///blog.db"
    assert config.migrations_dir == "alembic/versions"
    assert config.config_files == ("alembic.ini", "pyproject.toml", "alembic/env.py")
    assert config.settings["script_location_at"] == "pyproject.toml:15"
    assert config.settings["file_template"] == "%(rev)s_%(slug)s"
    assert config.settings["render_as_batch"] == "true"
    assert config.settings["url_env"] == "BLOG_DATABASE_URL"


@pytest.mark.parametrize("example", EXAMPLES)
def test_history_of_the_example(example: str) -> None:
    want = expected(example)
    _, _, history = analysed(REPOS / example)
    assert len(history.migrations) == want["count"]
    assert list(history.heads) == want["heads"]
    assert history.last is not None and history.last.id == want["last"]
    ids = [m.id for m in history.migrations]
    for m in history.migrations:  # parents always come first
        assert all(ids.index(p) < ids.index(m.id) for p in m.parents)
    texts = [str(w) for w in history.warnings]
    for fragment in want["warnings"]:  # type: ignore[attr-defined]
        assert any(fragment in t for t in texts), (fragment, texts)
    if not want["warnings"]:
        assert texts == []


# alembic-shop's ini predates path_separator, as many real ones do; Alembic says so.
@pytest.mark.filterwarnings("ignore:No path_separator found:DeprecationWarning")
@pytest.mark.parametrize("example", EXAMPLES)
def test_order_is_alembics_own(example: str, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(REPOS / example, tmp_path / example))
    _, _, history = analysed(copy)
    assert [m.id for m in history.migrations] == real_upgrade_order(copy)


def test_shop_merge_and_branch_shape() -> None:
    _, _, history = analysed(REPOS / "alembic-shop")
    by_id = {m.id: m for m in history.migrations}
    merge = by_id["9e2b7f4c1d8a"]
    assert merge.kind == "merge"
    assert merge.parents == ("b5e9d7c1a2f3", "0c4f8e2d9a1b")
    assert merge.has_down  # an empty merge downgrade is not a missing downgrade
    assert not by_id["d4a6c8e0f2b1"].has_down
    # file order puts the pre-template files last; revision order puts them first
    assert [m.id for m in history.migrations[:3]] == [
        "e3b0c44298fc",
        "7d865e959b24",
        "c2a1f3b4d5e6",
    ]


@pytest.mark.parametrize("example", EXAMPLES)
def test_next_name_of_the_example(example: str) -> None:
    want = expected(example)
    repo, config, history = analysed(REPOS / example)
    name = ADAPTER.next_name(repo, config, history, str(want["description"]), NOW)
    pattern = re.escape(str(want["next_name"])).replace(re.escape("<...>"), "[0-9a-f]{12}")
    assert re.fullmatch(pattern, name), name
    fixed = ADAPTER.next_name(
        repo, config, history, str(want["description"]), NOW, rev_id="abcdef012345"
    )
    assert fixed == str(want["next_name"]).replace("<...>", "abcdef012345")
    assert not (REPOS / example / fixed).exists()


def _run_alembic(copy: Path, env_name: str, url: str, *args: str) -> None:
    env = {**os.environ, env_name: url, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.postgres
def test_shop_replays_on_postgres_through_the_env_var_env_py_reads(
    pg_scratch: ScratchDatabase, tmp_path: Path
) -> None:
    copy = Path(shutil.copytree(REPOS / "alembic-shop", tmp_path / "shop"))
    _, config, _ = analysed(copy)
    _run_alembic(copy, config.settings["url_env"], pg_scratch.url, "upgrade", "heads")
    tables = set(inspect(pg_scratch.engine()).get_table_names()) - {"alembic_version"}
    assert sorted(tables) == expected("alembic-shop")["tables"]
    _run_alembic(copy, config.settings["url_env"], pg_scratch.url, "downgrade", "base")
    pg_scratch.engine().dispose()
    assert set(inspect(pg_scratch.engine()).get_table_names()) <= {"alembic_version"}


def test_blog_replays_on_sqlite(sqlite_scratch: ScratchDatabase, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(REPOS / "alembic-blog", tmp_path / "blog"))
    _, config, _ = analysed(copy)
    _run_alembic(copy, config.settings["url_env"], sqlite_scratch.url, "upgrade", "heads")
    tables = set(inspect(sqlite_scratch.engine()).get_table_names()) - {"alembic_version"}
    assert sorted(tables) == expected("alembic-blog")["tables"]


# ------------------------------------------------------------------ naming like Alembic


@pytest.mark.parametrize(
    "message",
    [
        "add shipped_at to orders",
        "Add a very long description that goes well beyond forty characters easily",
        "rename: users.email -> users.login (case-insensitive!)",
        "",
        "ünïcode wörds ok",
        "exactly_forty_characters_long_slug_abcde",
    ],
)
@pytest.mark.parametrize("truncate", [40, 12])
def test_slug_matches_alembic(message: str, truncate: int, tmp_path: Path) -> None:
    script = ScriptDirectory(str(tmp_path), truncate_slug_length=truncate)
    path = script._rev_path(str(tmp_path), "ab12", message, NOW)
    assert Path(path).name == f"ab12_{alembic_slug(message, truncate)}.py"


@pytest.mark.parametrize(
    "template",
    [
        "%%(rev)s_%%(slug)s",
        "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s",
        "%%(epoch)s_%%(rev)s",
        "%%(year)d%%(month).2d%%(day).2d%%(hour).2d%%(minute).2d%%(second).2d_%%(slug)s",
    ],
)
def test_next_name_matches_alembics_file_template(template: str, tmp_path: Path) -> None:
    root = alembic_repo(
        tmp_path / "repo",
        {"a1_first.py": revision("a1", None)},
        ini=INI + f"file_template = {template}\ntruncate_slug_length = 20\n",
    )
    repo, config, history = analysed(root)
    ours = ADAPTER.next_name(
        repo, config, history, "Add shipped_at to orders!", NOW, rev_id="c0ffee"
    )
    script = ScriptDirectory(
        str(root / "migrations"),
        file_template=template.replace("%%", "%"),
        truncate_slug_length=20,
    )
    theirs = script._rev_path(
        str(root / "migrations/versions"), "c0ffee", "Add shipped_at to orders!", NOW
    )
    assert ours == Path(theirs).relative_to(root).as_posix()


def test_rev_id_generator_and_collisions(tmp_path: Path) -> None:
    root = alembic_repo(tmp_path, {"a1_first.py": revision("a1b2c3d4e5f6", None)})
    repo, config, history = analysed(root)
    ids = iter(["a1b2c3d4e5f6", "0123456789ab"])  # the first is taken: drawn again
    name = ADAPTER.next_name(repo, config, history, "x", NOW, rev_id=lambda: next(ids))
    assert name == "migrations/versions/0123456789ab_x.py"
    with pytest.raises(ConfigError):
        ADAPTER.next_name(repo, config, history, "x", NOW, rev_id="a1b2c3d4e5f6")
    drawn = ADAPTER.next_name(repo, config, history, "x", NOW)
    assert re.fullmatch(r"migrations/versions/[0-9a-f]{12}_x\.py", drawn)


def test_timezone_option_shifts_the_date_prefix(tmp_path: Path) -> None:
    ini = INI + "file_template = %%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d-%%(slug)s\n"
    root = alembic_repo(
        tmp_path, {"a.py": revision("a1", None)}, ini=ini + "timezone = Asia/Tokyo\n"
    )
    repo, config, history = analysed(root)
    assert (
        ADAPTER.next_name(repo, config, history, "x", NOW)
        == "migrations/versions/2026_01_02_12-x.py"
    )


# ------------------------------------------------------------------ graph shapes


def test_two_heads_warn_with_the_fix(tmp_path: Path) -> None:
    root = alembic_repo(
        tmp_path,
        {
            "a.py": revision("aaa", None),
            "b.py": revision("bbb", "aaa"),
            "c.py": revision("ccc", "aaa"),
        },
    )
    _, _, history = analysed(root)
    assert history.heads == ("bbb", "ccc")
    [warning] = [str(w) for w in history.warnings if "heads" in str(w)]
    assert "2 heads: bbb, ccc" in warning and "alembic merge heads" in warning


def test_annotated_identifiers_branch_labels_and_depends_on(tmp_path: Path) -> None:
    annotated = (
        '"""x"""\nfrom typing import Sequence, Union\nfrom alembic import op\n'
        "revision: str = 'ccc'\n"
        "down_revision: Union[str, Sequence[str], None] = 'bbb'\n"
        "branch_labels: Union[str, Sequence[str], None] = None\n"
        "depends_on: Union[str, Sequence[str], None] = 'other'\n"
        "def upgrade() -> None:\n    op.execute('SELECT 1')\n"
        "def downgrade() -> None:\n    op.execute('SELECT 1')\n"
    )
    root = alembic_repo(
        tmp_path,
        {
            "a.py": revision("aaa", None),
            "b.py": revision("bbb", "aaa"),
            "c.py": annotated,
            "o.py": revision("ooo", None, branch_labels="('other',)"),
        },
    )
    _, _, history = analysed(root)
    by_id = {m.id: m for m in history.migrations}
    assert by_id["ccc"].parents == ("bbb", "ooo")
    # ooo is only depended upon, not a down_revision: Alembic still counts it as a head
    assert history.heads == ("ccc", "ooo") == tuple(real_script(root).get_heads())
    assert [m.id for m in history.migrations] == real_upgrade_order(root)


def test_flask_migrate_layout(tmp_path: Path) -> None:
    root = build(
        tmp_path,
        {
            "migrations/alembic.ini": "[alembic]\n# template used to generate migration files\n",
            "migrations/env.py": "from flask import current_app\n",
            "migrations/script.py.mako": "",
            "migrations/versions/a.py": revision("aaa", None),
            "requirements.txt": "Flask-Migrate==4.0\npsycopg2-binary\n",
        },
    )
    _, config, history = analysed(root)
    assert config.root == "migrations"
    assert config.migrations_dir == "migrations/versions"
    assert config.dialect == "postgresql"  # from the driver in requirements.txt
    assert [m.id for m in history.migrations] == ["aaa"]


def test_env_url_is_shown_as_a_reference_and_dotenv_never_read(tmp_path: Path) -> None:
    root = alembic_repo(
        tmp_path,
        {"a.py": revision("aaa", None)},
        ini="[alembic]\nscript_location = migrations\n",
    )
    (root / "migrations/env.py").write_text(
        "import os\nfrom alembic import context\nfrom myapp import models\n"
        "config = context.config\n"
        "config.set_main_option('sqlalchemy.url', os.environ['APP_DB_URL'])\n"
        "target_metadata = models.Base.metadata\n"
    )
    (root / ".env").write_text("APP_DB_URL=postgresql://app:topsecret@db/app\n")
    _, config, _ = analysed(root)
    assert config.database_url == "${APP_DB_URL}"
    assert config.settings["models_module"] == "myapp.models"
    assert "topsecret" not in repr(config)


def test_version_locations_and_recursive_folders(tmp_path: Path) -> None:
    ini = (
        "[alembic]\nscript_location = %(here)s/db\npath_separator = os\n"
        "version_locations = %(here)s/db/versions:%(here)s/plugins/billing\n"
        "recursive_version_locations = true\n"
        "file_template = %%(year)d/%%(month).2d/%%(rev)s_%%(slug)s\n"
    )
    root = build(
        tmp_path,
        {
            "alembic.ini": ini,
            "db/env.py": "",
            "db/versions/2024/01/aaa_base.py": revision("aaa", None),
            "db/versions/2024/02/bbb_next.py": revision("bbb", "aaa"),
            "plugins/billing/ccc_billing.py": revision("ccc", "bbb"),
            "db/versions/2024/02/__pycache__/junk.py": "garbage(",
        },
    )
    repo, config, history = analysed(root)
    assert config.settings["version_locations"] == "db/versions, plugins/billing"
    assert [m.id for m in history.migrations] == ["aaa", "bbb", "ccc"]
    assert [m.id for m in history.migrations] == real_upgrade_order(root)
    # the head lives in plugins/billing, so `alembic revision` would write there
    assert ADAPTER.next_name(repo, config, history, "more", NOW, rev_id="ddd") == (
        "plugins/billing/2026/01/ddd_more.py"
    )


def test_package_resource_script_location(tmp_path: Path) -> None:
    root = build(
        tmp_path,
        {
            "alembic.ini": "[alembic]\nscript_location = myapp.db:migrations\n",
            "src/myapp/__init__.py": "",
            "src/myapp/db/__init__.py": "",
            "src/myapp/db/migrations/env.py": "",
            "src/myapp/db/migrations/versions/a.py": revision("aaa", None),
        },
    )
    _, config, history = analysed(root)
    assert config.settings["script_location"] == "src/myapp/db/migrations"
    assert history.heads == ("aaa",)


def test_duplicate_revision_id_warns(tmp_path: Path) -> None:
    root = alembic_repo(tmp_path, {"a.py": revision("aaa", None), "b.py": revision("aaa", None)})
    _, _, history = analysed(root)
    assert any("present more than once" in str(w) for w in history.warnings)


# Random revision graphs: our order must be the one Alembic computes.
@st.composite
def graphs(draw: st.DrawFn) -> list[tuple[str, tuple[str, ...], str | None]]:
    count = draw(st.integers(min_value=1, max_value=9))
    ids = [f"{i:x}{draw(st.sampled_from('abcdef'))}{i:02d}" for i in range(count)]
    nodes: list[tuple[str, tuple[str, ...], str | None]] = []
    for i, rid in enumerate(ids):
        earlier = ids[:i]
        parents = (
            tuple(draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)))
            if earlier
            else ()
        )
        dep = draw(st.one_of(st.none(), st.sampled_from(earlier))) if earlier else None
        if dep in parents:
            dep = None
        nodes.append((rid, parents, dep))
    order = draw(st.permutations(range(count)))
    return [nodes[i] for i in order]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_random_graphs_order_like_alembic(
    nodes: list[tuple[str, tuple[str, ...], str | None]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for position, (rid, parents, dep) in enumerate(nodes):
            down: object = None if not parents else parents[0] if len(parents) == 1 else parents
            extra = {"depends_on": repr(dep)} if dep else {}
            files[f"f{position:02d}_{rid}.py"] = revision(rid, down, **extra)
        root = alembic_repo(Path(tmp), files)
        _, _, history = analysed(root)
        assert [m.id for m in history.migrations] == real_upgrade_order(root)


# ---------------------------------------------------------------------- malformed repos


def _fails(root: Path, error: type[MigwrightError]) -> MigwrightError:
    before = snapshot(root)
    with pytest.raises(error) as caught:
        analyse(root)
    assert "\n" not in caught.value.one_line()
    assert caught.value.hint
    assert snapshot(root) == before
    return caught.value


def test_missing_versions_directory(tmp_path: Path) -> None:
    build(tmp_path, {"alembic.ini": INI, "migrations/env.py": ""})
    err = _fails(tmp_path, HistoryError)
    assert "no versions folder" in str(err)


def test_missing_script_location(tmp_path: Path) -> None:
    build(tmp_path, {"alembic.ini": INI})
    err = _fails(tmp_path, HistoryError)
    assert str(err).startswith("alembic.ini:2: script_location 'migrations' does not exist")


def test_unparsable_revision_names_file_and_line(tmp_path: Path) -> None:
    alembic_repo(
        tmp_path, {"a.py": revision("aaa", None), "b.py": "revision = 'bbb'\ndef upgrade(:\n"}
    )
    err = _fails(tmp_path, HistoryError)
    assert str(err).startswith("migrations/versions/b.py:2: Python syntax error")


def test_file_without_revision_variable(tmp_path: Path) -> None:
    alembic_repo(tmp_path, {"a.py": revision("aaa", None), "helpers.py": "X = 1\n"})
    err = _fails(tmp_path, HistoryError)
    assert "migrations/versions/helpers.py:1" in str(err)


def test_revision_cycle(tmp_path: Path) -> None:
    alembic_repo(
        tmp_path,
        {
            "a.py": revision("aaa", None),
            "b.py": revision("bbb", "ddd"),
            "c.py": revision("ccc", "bbb"),
            "d.py": revision("ddd", "ccc"),
        },
    )
    err = _fails(tmp_path, HistoryError)
    assert "revision cycle" in str(err)
    assert re.search(r"migrations/versions/[bcd]\.py:5", str(err))


def test_dangling_down_revision(tmp_path: Path) -> None:
    alembic_repo(tmp_path, {"a.py": revision("aaa", None), "b.py": revision("bbb", "zzz")})
    err = _fails(tmp_path, HistoryError)
    assert str(err).startswith("migrations/versions/b.py:5: down_revision 'zzz' of bbb")


def test_unknown_depends_on(tmp_path: Path) -> None:
    alembic_repo(tmp_path, {"a.py": revision("aaa", None, depends_on="'nowhere'")})
    err = _fails(tmp_path, HistoryError)
    assert "depends_on 'nowhere'" in str(err)


def test_non_literal_down_revision(tmp_path: Path) -> None:
    alembic_repo(tmp_path, {"a.py": "import x\nrevision = 'aaa'\ndown_revision = x.prev\n"})
    err = _fails(tmp_path, HistoryError)
    assert str(err).startswith("migrations/versions/a.py:3: down_revision must be")


def test_malformed_ini_names_the_line(tmp_path: Path) -> None:
    alembic_repo(
        tmp_path,
        {"a.py": revision("aaa", None)},
        ini="[alembic]\nscript_location = migrations\nthis line is not an option\n",
    )
    err = _fails(tmp_path, ConfigError)
    assert str(err).startswith("alembic.ini:3:")


def test_ini_without_script_location(tmp_path: Path) -> None:
    alembic_repo(tmp_path, {"a.py": revision("aaa", None)}, ini="[alembic]\nsqlalchemy.url = x\n")
    (tmp_path / "migrations/env.py").unlink()
    err = _fails(tmp_path, ConfigError)
    assert "no script_location" in str(err)


def test_malformed_pyproject_names_the_line(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "pyproject.toml": '[tool.alembic]\nscript_location = "%(here)s/migrations"\nx = [\n',
            "migrations/env.py": "",
            "migrations/versions/a.py": revision("aaa", None),
        },
    )
    err = _fails(tmp_path, ConfigError)
    assert str(err).startswith("pyproject.toml:")


def test_two_frameworks_present(tmp_path: Path) -> None:
    alembic_repo(tmp_path, {"a.py": revision("aaa", None)})
    build(
        tmp_path,
        {
            "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 's.settings')\n",
            "s/__init__.py": "",
            "s/settings.py": "INSTALLED_APPS = ['shop']\n",
            "shop/__init__.py": "",
            "shop/models.py": "from django.db import models\n",
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": "from django.db import migrations\n"
            "class Migration(migrations.Migration):\n    dependencies = []\n",
        },
    )
    err = _fails(tmp_path, DetectionError)
    assert "alembic" in str(err) and "django" in str(err)


def test_monorepo_with_two_alembic_histories(tmp_path: Path) -> None:
    for service in ("billing", "users"):
        alembic_repo(tmp_path / "services" / service, {"a.py": revision(f"{service[:3]}1", None)})
    build(tmp_path, {"requirements.txt": "alembic==1.13.1\n"})
    repo = RepoFacts.load(tmp_path)
    evidence = ADAPTER.detect(repo)
    assert [e.root for e in evidence] == ["services/billing", "services/users"]
    config = ADAPTER.config(repo, evidence[1])
    assert config.migrations_dir == "services/users/migrations/versions"
    history = ADAPTER.history(repo, config)
    assert [m.path for m in history.migrations] == ["services/users/migrations/versions/a.py"]
    with pytest.raises(DetectionError) as caught:
        analyse(tmp_path)
    assert "alembic@services/billing" in caught.value.one_line()
    assert analyse(tmp_path, "alembic@services/users").history.heads == ("use1",)
