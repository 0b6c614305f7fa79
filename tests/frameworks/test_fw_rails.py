"""Rails adapter: rails-store against expected.toml, database.yml reading, malformed repos."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from migwright.tools.analysis import analyse
from migwright.tools.errors import ConfigError, DetectionError, HistoryError, MigwrightError
from migwright.tools.frameworks import registry
from migwright.tools.frameworks.base import FrameworkConfig, History
from migwright.tools.frameworks.rails import ADAPTER, camelize, read_yaml
from migwright.tools.repo import RepoFacts

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
REPO = REPOS / "rails-store"
EXPECTED = tomllib.loads((REPO / "expected.toml").read_text())
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
GEMFILE = 'source "https://rubygems.org"\ngem "rails", "~> 7.1"\n'


def migration(class_name: str, body: str = "  def change\n  end\n", base: str = "[7.1]") -> str:
    return f"class {class_name} < ActiveRecord::Migration{base}\n{body}end\n"


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
    evidence = ADAPTER.detect(repo)
    assert evidence, "rails should detect the repo"
    config = ADAPTER.config(repo, evidence[0])
    return repo, config, ADAPTER.history(repo, config)


# ---------------------------------------------------------------------- the example repo


def test_only_rails_detects_the_example() -> None:
    repo = RepoFacts.load(REPO)
    fired = {name for name, adapter in registry().items() if adapter.detect(repo)}
    assert fired == {"rails"}


@pytest.mark.parametrize(
    "example", sorted(p.parent.name for p in REPOS.glob("*/expected.toml")), ids=str
)
def test_fires_exactly_on_rails_examples(example: str) -> None:
    expected = tomllib.loads((REPOS / example / "expected.toml").read_text())
    found = ADAPTER.detect(RepoFacts.load(REPOS / example))
    assert bool(found) == (expected["framework"] == "rails"), found


def test_config_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    [evidence] = ADAPTER.detect(repo)
    assert evidence.confidence > 0.9
    assert {"db/migrate", "Gemfile", "config/database.yml"} <= {r.path for r in evidence.reasons}
    config = ADAPTER.config(repo, evidence)
    assert config.dialect == EXPECTED["dialect"]
    assert config.migrations_dir == "db/migrate"
    assert config.database_url == "${DATABASE_URL}"
    assert config.settings["environment"] == "development"
    assert config.config_files == ("config/database.yml", "db/schema.rb", "Gemfile")


def test_history_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    history = ADAPTER.history(repo, config)
    assert len(history.migrations) == EXPECTED["count"]
    assert [m.id for m in history.migrations] == EXPECTED["order"]
    assert list(history.heads) == EXPECTED["heads"]
    assert history.last is not None and history.last.id == EXPECTED["last"]
    irreversible = [m.name for m in history.migrations if not m.has_down]
    assert irreversible == ["backfill_order_totals"]
    text_of_warnings = " | ".join(str(w) for w in history.warnings)
    for needle in EXPECTED["warnings"]:
        assert needle in text_of_warnings


def test_next_name_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    history = ADAPTER.history(repo, config)
    name = ADAPTER.next_name(repo, config, history, EXPECTED["description"], EXPECTED["now"])
    assert name == EXPECTED["next_name"]
    assert camelize("add_shipped_at_to_orders") == "AddShippedAtToOrders"


# ---------------------------------------------------------------------- database.yml


def test_yaml_anchors_merges_and_erb() -> None:
    data = read_yaml(
        "default: &default\n  adapter: mysql2\n  pool: <%= ENV.fetch('MAX') { 5 } %>\n"
        "  host: localhost # the dev box\n\n"
        'development:\n  <<: *default\n  host: db\n  database: "app_dev"\n'
        "  schema_search_path:\n    - public\n    - shared\n",
        "config/database.yml",
    )
    assert data["development"] == {
        "adapter": "mysql2",
        "pool": "<%= ENV.fetch('MAX') { 5 } %>",
        "host": "db",
        "database": "app_dev",
        "schema_search_path": ["public", "shared"],
    }


@pytest.mark.parametrize(
    ("adapter", "dialect"),
    [
        ("mysql2", "mysql"),
        ("trilogy", "mysql"),
        ("sqlite3", "sqlite"),
        ("postgis", "postgresql"),
        ("<%= ENV.fetch('DB_ADAPTER', 'sqlite3') %>", "sqlite"),
    ],
)
def test_adapter_gives_the_dialect(tmp_path: Path, adapter: str, dialect: str) -> None:
    build(
        tmp_path,
        {
            "Gemfile": GEMFILE,
            "config/database.yml": f'development:\n  adapter: "{adapter}"\n  database: app\n'
            if "<%" in adapter
            else f"development:\n  adapter: {adapter}\n  database: app\n",
            "db/migrate/20240101000000_create_users.rb": migration("CreateUsers"),
        },
    )
    _, config, _ = analysed(tmp_path)
    assert config.dialect == dialect


def test_multiple_databases_use_the_primary(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "Gemfile": GEMFILE,
            "config/database.yml": (
                "development:\n  primary:\n    adapter: postgresql\n    database: app\n"
                "    migrations_paths: db/primary_migrate\n"
                "  animals:\n    adapter: sqlite3\n    database: db/animals.sqlite3\n"
                "    migrations_paths: db/animals_migrate\n"
            ),
            "db/primary_migrate/20240101000000_create_users.rb": migration("CreateUsers"),
            "db/migrate/.keep": "",
        },
    )
    repo = RepoFacts.load(tmp_path)
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    assert config.settings["database"] == "primary"
    assert config.migrations_dir == "db/primary_migrate"
    assert config.dialect == "postgresql"
    assert [m.id for m in ADAPTER.history(repo, config).migrations] == ["20240101000000"]


# ---------------------------------------------------------------------- history variants


def test_class_name_mismatch_and_unversioned_base_are_warnings(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "Gemfile": GEMFILE,
            "db/migrate/20240101000000_create_users.rb": migration("CreateUser"),
            "db/migrate/20240102000000_add_email_to_users.rb": "# legacy\n"
            + migration("AddEmailToUsers", base=""),
            "db/migrate/helpers.rb": "module Helpers; end\n",
        },
    )
    _, _, history = analysed(tmp_path)
    text_of_warnings = " | ".join(str(w) for w in history.warnings)
    assert "20240101000000_create_users.rb:1: class CreateUser does not match" in text_of_warnings
    assert "CreateUsers" in text_of_warnings
    assert "20240102000000_add_email_to_users.rb:2: inherits ActiveRecord::Migration" in (
        text_of_warnings
    )
    assert "helpers.rb: not a migration file name" in text_of_warnings


def test_up_without_down_and_schema_ahead(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "Gemfile": GEMFILE,
            "db/migrate/20240101000000_seed_roles.rb": migration(
                "SeedRoles", '  def up\n    execute "INSERT INTO roles VALUES (1)"\n  end\n'
            ),
            "db/schema.rb": "ActiveRecord::Schema[7.1].define(version: 2024_02_01_000000) do\nend\n",
        },
    )
    _, _, history = analysed(tmp_path)
    assert not history.migrations[0].has_down
    assert any("schema.rb is ahead" in str(w) for w in history.warnings)


def test_sequential_numbering_is_kept(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "Gemfile": GEMFILE,
            "db/migrate/001_create_users.rb": migration("CreateUsers"),
            "db/migrate/002_create_posts.rb": migration("CreatePosts"),
        },
    )
    repo, config, history = analysed(tmp_path)
    assert ADAPTER.next_name(repo, config, history, "Add Title to Posts", NOW) == (
        "db/migrate/003_add_title_to_posts.rb"
    )


# ---------------------------------------------------------------------- malformed repos


def _fails(root: Path, error: type[MigwrightError]) -> MigwrightError:
    before = snapshot(root)
    with pytest.raises(error) as caught:
        analyse(root)
    assert "\n" not in caught.value.one_line()
    assert caught.value.hint
    assert snapshot(root) == before
    return caught.value


def test_missing_directory(tmp_path: Path) -> None:
    build(
        tmp_path,
        {"Gemfile": GEMFILE, "config/database.yml": "development:\n  adapter: sqlite3\n"},
    )
    err = _fails(tmp_path, HistoryError)
    assert "db/migrate" in str(err)


def test_illegal_file_name_is_fatal(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "Gemfile": GEMFILE,
            "db/migrate/20240101000000_create_users.rb": migration("CreateUsers"),
            "db/migrate/20240102000000_AddEmail.rb": migration("AddEmail"),
        },
    )
    err = _fails(tmp_path, HistoryError)
    assert "db/migrate/20240102000000_AddEmail.rb" in str(err)


def test_file_without_migration_class_is_fatal(tmp_path: Path) -> None:
    build(
        tmp_path,
        {"Gemfile": GEMFILE, "db/migrate/20240101000000_create_users.rb": "puts 'hello'\n"},
    )
    err = _fails(tmp_path, HistoryError)
    assert "20240101000000_create_users.rb:1" in str(err)


@pytest.mark.parametrize(
    ("second", "needle"),
    [
        ("db/migrate/20240101000000_create_posts.rb", "version 20240101000000"),
        ("db/migrate/20240202000000_create_users.rb", "name create_users"),
    ],
)
def test_duplicate_version_or_name_is_fatal(tmp_path: Path, second: str, needle: str) -> None:
    build(
        tmp_path,
        {
            "Gemfile": GEMFILE,
            "db/migrate/20240101000000_create_users.rb": migration("CreateUsers"),
            second: migration(camelize(second.rsplit("/", 1)[1][15:-3])),
        },
    )
    err = _fails(tmp_path, HistoryError)
    assert needle in str(err)


@pytest.mark.parametrize(
    ("yml", "line"),
    [
        ("development:\n\tadapter: sqlite3\n", 2),
        ("development:\n  adapter: sqlite3\n   database: x\n", 3),
        ("development:\n  <<: *default\n", 2),
        ("development:\n  adapter sqlite3\n", 2),
    ],
)
def test_malformed_database_yml_names_the_line(tmp_path: Path, yml: str, line: int) -> None:
    build(
        tmp_path,
        {
            "Gemfile": GEMFILE,
            "config/database.yml": yml,
            "db/migrate/20240101000000_create_users.rb": migration("CreateUsers"),
        },
    )
    err = _fails(tmp_path, ConfigError)
    assert f"config/database.yml:{line}" in str(err)


def test_two_frameworks_present(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "Gemfile": GEMFILE,
            "db/migrate/20240101000000_create_users.rb": migration("CreateUsers"),
            "src/main/resources/db/migration/V1__init.sql": "SELECT 1;",
        },
    )
    err = _fails(tmp_path, DetectionError)
    assert "rails" in str(err) and "flyway" in str(err)
