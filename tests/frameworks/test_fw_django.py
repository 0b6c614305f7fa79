"""Django adapter: the django-* examples against expected.toml and against Django itself,
and malformed projects built per test."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db.migrations import Migration
from django.db.migrations.exceptions import CircularDependencyError, NodeNotFoundError
from django.db.migrations.loader import MigrationLoader
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from migwright.tools.analysis import analyse
from migwright.tools.errors import ConfigError, DetectionError, HistoryError, MigwrightError
from migwright.tools.frameworks import registry
from migwright.tools.frameworks.base import FrameworkConfig, History
from migwright.tools.frameworks.django import ADAPTER, django_slug, parse_number
from migwright.tools.frameworks.django_graph import Dependency, DjangoMigration, build_graph
from migwright.tools.repo import RepoFacts
from migwright.tools.scratch import ScratchDatabase

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
EXAMPLES = sorted(p.name for p in REPOS.glob("django-*") if (p / "expected.toml").exists())
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


def migration(*deps: str, operations: str = "", extra: str = "") -> str:
    """A migration module; deps are written verbatim into the dependencies list."""
    return (
        "from django.conf import settings\nfrom django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"{extra}"
        f"    dependencies = [{', '.join(deps)}]\n"
        f"    operations = [{operations}]\n"
    )


SETTINGS = (
    "import os\nfrom pathlib import Path\nBASE_DIR = Path(__file__).resolve().parent.parent\n"
    "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', {apps}]\n"
    "DATABASES = {{'default': {{'ENGINE': 'django.db.backends.sqlite3', "
    "'NAME': BASE_DIR / 'db.sqlite3'}}}}\n"
)
MANAGE = (
    "import os\nimport sys\n\nif __name__ == '__main__':\n"
    "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
    "    from django.core.management import execute_from_command_line\n"
    "    execute_from_command_line(sys.argv)\n"
)


def django_project(root: Path, apps: dict[str, dict[str, str]], settings_extra: str = "") -> Path:
    """manage.py, proj/settings.py and one folder per app with its migrations."""
    files = {
        "manage.py": MANAGE,
        "proj/__init__.py": "",
        "proj/settings.py": SETTINGS.format(apps=", ".join(repr(a) for a in apps)) + settings_extra,
    }
    for app, migrations in apps.items():
        files[f"{app}/__init__.py"] = ""
        files[f"{app}/models.py"] = "from django.db import models\n"
        files[f"{app}/migrations/__init__.py"] = ""
        files.update({f"{app}/migrations/{name}.py": text for name, text in migrations.items()})
    return build(root, files)


# ---------------------------------------------------------------------- the example repos


@pytest.mark.parametrize("example", EXAMPLES)
def test_only_django_detects_the_example(example: str) -> None:
    repo = RepoFacts.load(REPOS / example)
    fired = {name for name, adapter in registry().items() if adapter.detect(repo)}
    assert fired == {"django"}
    [evidence] = ADAPTER.detect(repo)
    assert evidence.confidence >= 0.9
    assert evidence.reasons[0].path == "manage.py" and evidence.reasons[0].line == 9


@pytest.mark.parametrize("example", sorted(p.parent.name for p in REPOS.glob("*/expected.toml")))
def test_fires_exactly_on_django_examples(example: str) -> None:
    found = ADAPTER.detect(RepoFacts.load(REPOS / example))
    assert bool(found) == (expected(example)["framework"] == "django"), found


def test_config_of_the_shop() -> None:
    repo = RepoFacts.load(REPOS / "django-shop")
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    assert config.dialect == "sqlite"
    assert config.database_url == "sqlite:///BASE_DIR/db.sqlite3"
    assert config.migrations_dir == "."
    assert config.config_files == ("manage.py", "shopsite/settings.py")
    assert config.settings["apps"] == "catalog=catalog/migrations, orders=orders/migrations"
    assert config.settings["settings_module"] == "shopsite.settings"
    assert config.settings["external_dependencies"] == "auth.__first__ (settings.AUTH_USER_MODEL)"
    assert "catalog" in config.settings["installed_apps"].split(", ")


def test_config_of_the_tickets_follows_split_settings_and_hides_secrets() -> None:
    repo = RepoFacts.load(REPOS / "django-tickets")
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    assert config.dialect == "postgresql"
    assert config.database_url == (
        "postgresql://${TICKETS_DB_USER}:***@${TICKETS_DB_HOST}:${TICKETS_DB_PORT}/${TICKETS_DB_NAME}"
    )
    assert config.migrations_dir == "apps/tickets/migrations"
    assert config.settings["settings_module"] == "helpdesk.settings.dev"
    assert (
        config.settings["settings_files"] == "helpdesk/settings/dev.py, helpdesk/settings/base.py"
    )
    assert config.settings["apps"] == "tickets=apps/tickets/migrations"  # label from apps.py
    for from_dotenv in ("hunter2-from-dotenv", "dev-secret-from-dotenv", "db.internal"):
        assert from_dotenv in (REPOS / "django-tickets/.env").read_text()
        assert from_dotenv not in repr(config)


@pytest.mark.parametrize("example", EXAMPLES)
def test_history_of_the_example(example: str) -> None:
    want = expected(example)
    _, _, history = analysed(REPOS / example)
    assert len(history.migrations) == want["count"]
    assert list(history.heads) == want["heads"]
    assert history.last is not None and history.last.id == want["last"]
    ids = [m.id for m in history.migrations]
    for m in history.migrations:
        assert all(ids.index(p) < ids.index(m.id) for p in m.parents)
    texts = [str(w) for w in history.warnings]
    for fragment in want["warnings"]:  # type: ignore[attr-defined]
        assert any(fragment in t for t in texts), (fragment, texts)
    if not want["warnings"]:
        assert texts == []


def test_shop_squash_replaces_the_originals() -> None:
    _, _, history = analysed(REPOS / "django-shop")
    by_id = {m.id: m for m in history.migrations}
    squash = by_id["catalog.0001_squashed_0003_product_stock"]
    assert squash.kind == "squashed"
    assert squash.replaces == (
        "catalog.0001_initial",
        "catalog.0002_product_description",
        "catalog.0003_product_stock",
    )
    assert "catalog.0001_initial" not in by_id
    # orders.0001 was written against catalog.0002; on a fresh database it follows the squash
    assert by_id["orders.0001_initial"].parents == ("catalog.0001_squashed_0003_product_stock",)
    assert by_id["orders.0004_backfill_unit_price"].app == "orders"


@pytest.mark.parametrize("example", EXAMPLES)
def test_next_name_of_the_example(example: str) -> None:
    want = expected(example)
    repo, config, history = analysed(REPOS / example)
    name = ADAPTER.next_name(repo, config, history, str(want["description"]), NOW)
    assert name == want["next_name"]
    assert not (REPOS / example / name).exists()


def _manage(copy: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=copy,
        env={**os.environ, **env, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _check_against_django(copy: Path, env: dict[str, str]) -> None:
    """Plan, migrate and `makemigrations --check` with the real Django."""
    _, config, history = analysed(copy)
    apps = {pair.split("=")[0] for pair in config.settings["apps"].split(", ")}
    planned = [
        line.strip()
        for line in _manage(copy, env, "migrate", "--plan").splitlines()
        if re.fullmatch(r"\w+\.\w+", line.strip()) and line.split(".")[0] in apps
    ]
    assert [m.id for m in history.migrations] == planned
    _manage(copy, env, "migrate", "--noinput")
    _manage(copy, env, "makemigrations", "--check", "--dry-run")


def test_shop_runs_on_django_with_sqlite(tmp_path: Path) -> None:
    copy = Path(shutil.copytree(REPOS / "django-shop", tmp_path / "shop"))
    _check_against_django(copy, {})
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{copy / 'db.sqlite3'}")
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert (
        sorted(t for t in tables if t.split("_")[0] in {"catalog", "orders"})
        == (expected("django-shop")["tables"])
    )


@pytest.mark.postgres
def test_tickets_runs_on_django_with_postgres(pg_scratch: ScratchDatabase, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(REPOS / "django-tickets", tmp_path / "tickets"))
    url = make_url(pg_scratch.url)
    env = {
        "TICKETS_DB_NAME": url.database or "",
        "TICKETS_DB_USER": url.username or "",
        "TICKETS_DB_PASSWORD": url.password or "",
        "TICKETS_DB_HOST": url.host or "127.0.0.1",
        "TICKETS_DB_PORT": str(url.port or 5432),
    }
    _check_against_django(copy, env)
    tables = set(inspect(pg_scratch.engine()).get_table_names())
    assert (
        sorted(t for t in tables if t.startswith("tickets_"))
        == (expected("django-tickets")["tables"])
    )


# ------------------------------------------------------------------ names and numbers


@pytest.mark.parametrize(
    ("description", "slug"),
    [
        ("add shipped_at to orders", "add_shipped_at_to_orders"),
        ("Add 'Closed At' -> Tickets!", "add_closed_at_tickets"),
        ("x" * 60, "x" * 52),
        (
            "add a rather long description of the change to the ticket table",
            "add_a_rather_long_description_of_the_change_to_the",
        ),
        ("!!!", "auto"),
    ],
)
def test_slug(description: str, slug: str) -> None:
    assert django_slug(description) == slug
    assert len(django_slug(description)) <= 52


def test_parse_number_like_django() -> None:
    from django.db.migrations.autodetector import MigrationAutodetector

    for name in ("0001_initial", "0001_squashed_0004_x", "0012_auto_20240101_1200", "initial"):
        assert parse_number(name) == MigrationAutodetector.parse_number(name)


def test_next_name_after_a_squash_leaf_and_for_another_app(tmp_path: Path) -> None:
    root = django_project(
        tmp_path,
        {
            "blog": {
                "0001_squashed_0004_everything": migration(
                    extra="    replaces = [('blog', '0001_initial'), ('blog', '0004_x')]\n"
                ),
            },
            "shop": {"0001_initial": migration()},
        },
    )
    repo, config, history = analysed(root)
    assert history.last is not None and history.last.id == "shop.0001_initial"
    assert ADAPTER.next_name(repo, config, history, "more", NOW) == "shop/migrations/0002_more.py"
    assert ADAPTER.next_name(repo, config, history, "more", NOW, app="blog") == (
        "blog/migrations/0005_more.py"
    )


# ------------------------------------------------------------------ graph rules


def test_two_leaves_in_one_app_warn_with_the_fix(tmp_path: Path) -> None:
    root = django_project(
        tmp_path,
        {
            "shop": {
                "0001_initial": migration(),
                "0002_a": migration("('shop', '0001_initial')"),
                "0002_b": migration("('shop', '0001_initial')"),
            }
        },
    )
    _, _, history = analysed(root)
    assert history.heads == ("shop.0002_a", "shop.0002_b")
    [warning] = [str(w) for w in history.warnings]
    assert "2 leaf migrations: 0002_a, 0002_b" in warning
    assert "makemigrations --merge shop" in warning


def test_irreversible_operations_warn_with_file_and_line(tmp_path: Path) -> None:
    root = django_project(
        tmp_path,
        {
            "shop": {
                "0001_initial": migration(operations="migrations.RunPython(lambda a, s: None)"),
                "0002_sql": migration(
                    "('shop', '0001_initial')",
                    operations="migrations.RunSQL('SELECT 1', 'SELECT 2')",
                ),
                "0003_sql": migration(
                    "('shop', '0002_sql')", operations="migrations.RunSQL(sql='SELECT 1')"
                ),
            }
        },
    )
    _, _, history = analysed(root)
    assert [m.has_down for m in history.migrations] == [False, True, False]
    texts = [str(w) for w in history.warnings]
    assert texts[0] == (
        "shop/migrations/0001_initial.py:7: RunPython without reverse_code: "
        "shop.0001_initial cannot be unapplied"
    )
    assert "RunSQL without reverse_sql" in texts[1]


def test_in_repo_custom_user_model_is_an_edge_not_external(tmp_path: Path) -> None:
    root = django_project(
        tmp_path,
        {
            "accounts": {"0001_initial": migration()},
            "shop": {
                "0001_initial": migration(
                    "migrations.swappable_dependency(settings.AUTH_USER_MODEL)"
                )
            },
        },
        settings_extra="AUTH_USER_MODEL = 'accounts.User'\n",
    )
    _, config, history = analysed(root)
    assert "external_dependencies" not in config.settings
    by_id = {m.id: m for m in history.migrations}
    assert by_id["shop.0001_initial"].parents == ("accounts.0001_initial",)


def test_apps_not_installed_are_ignored_with_a_warning(tmp_path: Path) -> None:
    root = django_project(tmp_path, {"shop": {"0001_initial": migration()}})
    build(
        root,
        {
            "legacy/__init__.py": "",
            "legacy/models.py": "from django.db import models\n",
            "legacy/migrations/__init__.py": "",
            "legacy/migrations/0001_initial.py": migration(),
        },
    )
    _, config, history = analysed(root)
    assert config.settings["apps"] == "shop=shop/migrations"
    assert any(
        "legacy has migrations but is not in INSTALLED_APPS" in str(w) for w in history.warnings
    )


def test_database_url_settings_are_references(tmp_path: Path) -> None:
    root = django_project(tmp_path, {"shop": {"0001_initial": migration()}})
    settings_py = root / "proj/settings.py"
    settings_py.write_text(
        settings_py.read_text() + "import dj_database_url\n"
        "DATABASES = {'default': dj_database_url.config(default='mysql://app:pw@db/app')}\n"
    )
    _, config, _ = analysed(root)
    assert config.dialect == "mysql"
    assert config.database_url == "${DATABASE_URL}"


def test_migration_modules_setting_moves_the_package(tmp_path: Path) -> None:
    root = django_project(
        tmp_path,
        {"shop": {}},
        settings_extra="MIGRATION_MODULES = {'shop': 'db.shop_migrations'}\n",
    )
    shutil.rmtree(root / "shop/migrations")
    build(
        root,
        {
            "db/__init__.py": "",
            "db/shop_migrations/__init__.py": "",
            "db/shop_migrations/0001_initial.py": migration(),
        },
    )
    _, config, history = analysed(root)
    assert config.settings["apps"] == "shop=db/shop_migrations"
    assert [m.path for m in history.migrations] == ["db/shop_migrations/0001_initial.py"]


class _Loader(MigrationLoader):
    """Django's own loader fed with migrations we built, instead of importing modules."""

    def __init__(self, migrations: dict[tuple[str, str], Migration]) -> None:
        self._given = migrations
        super().__init__(None, load=False, replace_migrations=True)

    def load_disk(self) -> None:
        self.disk_migrations = self._given
        self.unmigrated_apps: set[str] = set()
        self.migrated_apps = {key[0] for key in self._given}


def _django_plan(ours: list[DjangoMigration]) -> list[str]:
    given: dict[tuple[str, str], Migration] = {}
    for m in ours:
        real = Migration(m.name, m.app)
        real.dependencies = [(d.app, d.name) for d in m.dependencies]
        real.run_before = [(d.app, d.name) for d in m.run_before]
        real.replaces = list(m.replaces)
        given[m.key] = real
    loader = _Loader(given)
    loader.build_graph()
    plan: list[tuple[str, str]] = []
    for leaf in loader.graph.leaf_nodes():
        plan += [k for k in loader.graph.forwards_plan(leaf) if k not in plan]
    return [f"{a}.{n}" for a, n in plan]


@st.composite
def django_graphs(draw: st.DrawFn) -> list[DjangoMigration]:
    """Random migration sets over three apps, with __first__, run_before and squashes (a
    run_before or a squash can close a cycle: then both sides must refuse)."""
    count = draw(st.integers(min_value=1, max_value=10))
    apps = ["alpha", "beta", "gamma"]
    out: list[DjangoMigration] = []
    numbers: dict[str, int] = {}
    for _ in range(count):
        app = draw(st.sampled_from(apps))
        numbers[app] = numbers.get(app, 0) + 1
        name = f"{numbers[app]:04d}_m"
        earlier = list(out)
        deps: list[Dependency] = []
        same = [m for m in earlier if m.app == app]
        if same:
            deps.append(Dependency(app, same[-1].name, 1))
        picked: list[DjangoMigration] = []
        if earlier:
            picked = draw(st.lists(st.sampled_from(earlier), max_size=2))
        for other in picked:
            if other.app != app:
                deps.append(Dependency(other.app, other.name, 1))
        first_of: bool = bool(earlier) and draw(st.booleans())
        if first_of:
            target = draw(st.sampled_from(earlier))
            if target.app != app:
                deps.append(Dependency(target.app, "__first__", 1))
        replaces: tuple[tuple[str, str], ...] = ()
        if len(same) >= 2 and draw(st.integers(0, 4)) == 0:
            # a squash of the app's first migrations, written next to them
            squashed = same[:2]
            replaces = tuple(m.key for m in squashed)
            name = f"{squashed[0].name[:4]}_squashed_{squashed[-1].name[:4]}_x{len(out)}"
            deps = [d for d in deps if d.app != app]
        run_before: list[Dependency] = []
        others = [m for m in earlier if m.app != app]
        if others and draw(st.integers(0, 5)) == 0:
            target = draw(st.sampled_from(others))
            run_before.append(Dependency(target.app, target.name, 1))
        out.append(
            DjangoMigration(
                app,
                name,
                f"{app}/migrations/{name}.py",
                1,
                tuple(deps),
                tuple(run_before),
                replaces,
                False,
                (),
            )
        )
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(django_graphs())
def test_random_graphs_plan_like_django(migrations: list[DjangoMigration]) -> None:
    try:
        theirs = _django_plan(migrations)
    except (CircularDependencyError, NodeNotFoundError):
        with pytest.raises(HistoryError):
            build_graph(migrations)
        return
    assert [m.id for m in build_graph(migrations).ordered] == theirs


# ---------------------------------------------------------------------- malformed repos


def _fails(root: Path, error: type[MigwrightError]) -> MigwrightError:
    before = snapshot(root)
    with pytest.raises(error) as caught:
        analyse(root)
    assert "\n" not in caught.value.one_line()
    assert caught.value.hint
    assert snapshot(root) == before
    return caught.value


def test_missing_migrations_package(tmp_path: Path) -> None:
    django_project(tmp_path, {"shop": {}})
    shutil.rmtree(tmp_path / "shop/migrations")
    err = _fails(tmp_path, HistoryError)
    assert "no installed app has a migrations package" in str(err)
    assert "makemigrations" in err.hint


def test_unparsable_migration_names_file_and_line(tmp_path: Path) -> None:
    django_project(
        tmp_path, {"shop": {"0001_initial": migration(), "0002_bad": "class Migration(:\n"}}
    )
    err = _fails(tmp_path, HistoryError)
    assert str(err).startswith("shop/migrations/0002_bad.py:1: Python syntax error")


def test_module_without_migration_class(tmp_path: Path) -> None:
    django_project(tmp_path, {"shop": {"0001_initial": migration(), "helpers": "X = 1\n"}})
    err = _fails(tmp_path, HistoryError)
    assert str(err).startswith("shop/migrations/helpers.py:1: no Migration class")


def test_dependency_cycle(tmp_path: Path) -> None:
    django_project(
        tmp_path,
        {
            "a": {"0001_initial": migration("('b', '0001_initial')")},
            "b": {"0001_initial": migration("('a', '0001_initial')")},
        },
    )
    err = _fails(tmp_path, HistoryError)
    assert "circular dependency" in str(err)


def test_dangling_dependency_names_file_and_line(tmp_path: Path) -> None:
    django_project(
        tmp_path,
        {"shop": {"0001_initial": migration(), "0002_x": migration("('shop', '0001_initia')")}},
    )
    err = _fails(tmp_path, HistoryError)
    assert str(err).startswith(
        "shop/migrations/0002_x.py:6: shop.0002_x depends on shop.0001_initia"
    )


def test_settings_module_that_does_not_exist(tmp_path: Path) -> None:
    django_project(tmp_path, {"shop": {"0001_initial": migration()}})
    (tmp_path / "proj/settings.py").unlink()
    err = _fails(tmp_path, ConfigError)
    assert str(err).startswith("manage.py:5: DJANGO_SETTINGS_MODULE 'proj.settings'")


def test_settings_syntax_error_names_the_line(tmp_path: Path) -> None:
    django_project(tmp_path, {"shop": {"0001_initial": migration()}})
    (tmp_path / "proj/settings.py").write_text("DEBUG = True\nDATABASES = {\n")
    err = _fails(tmp_path, ConfigError)
    assert str(err).startswith("proj/settings.py:2: Python syntax error")


def test_two_frameworks_present(tmp_path: Path) -> None:
    django_project(tmp_path, {"shop": {"0001_initial": migration()}})
    build(
        tmp_path,
        {
            "alembic.ini": "[alembic]\nscript_location = alembic\n",
            "alembic/env.py": "",
            "alembic/versions/a.py": "revision = 'a'\ndown_revision = None\n",
        },
    )
    err = _fails(tmp_path, DetectionError)
    assert "alembic" in str(err) and "django" in str(err)


def test_project_in_a_subfolder(tmp_path: Path) -> None:
    django_project(tmp_path / "backend", {"shop": {"0001_initial": migration()}})
    build(tmp_path, {"requirements.txt": "Django==5.0\n", "frontend/package.json": "{}"})
    repo, config, history = analysed(tmp_path)
    assert config.root == "backend"
    assert config.settings["settings_files"] == "backend/proj/settings.py"
    assert config.migrations_dir == "backend/shop/migrations"
    assert [m.id for m in history.migrations] == ["shop.0001_initial"]
    reasons = {r.path for r in ADAPTER.detect(repo)[0].reasons}
    assert reasons == {"backend/manage.py", "backend/shop/migrations", "requirements.txt"}
    assert ADAPTER.next_name(repo, config, history, "x", NOW) == "backend/shop/migrations/0002_x.py"
