"""Sequelize adapter: sequelize-blog against expected.toml, config variants, malformed repos."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from migwright.tools.analysis import analyse
from migwright.tools.errors import ConfigError, DetectionError, HistoryError, MigwrightError
from migwright.tools.frameworks import registry
from migwright.tools.frameworks.base import FrameworkConfig, History
from migwright.tools.frameworks.sequelize import ADAPTER
from migwright.tools.repo import RepoFacts

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
REPO = REPOS / "sequelize-blog"
EXPECTED = tomllib.loads((REPO / "expected.toml").read_text())
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
PACKAGE = json.dumps({"dependencies": {"sequelize": "^6.37.1", "pg": "^8.11.3"},
                      "devDependencies": {"sequelize-cli": "^6.6.2"}})  # fmt: skip
MIGRATION = """'use strict';

module.exports = {{
  async up(queryInterface, Sequelize) {{
    await queryInterface.createTable('{0}', {{ id: {{ type: Sequelize.INTEGER, primaryKey: true }} }});
  }},
  async down(queryInterface) {{
    await queryInterface.dropTable('{0}');
  }},
}};
"""
CONFIG = {"development": {"username": "app", "password": None, "database": "app_dev",
                          "host": "127.0.0.1", "dialect": "postgres"}}  # fmt: skip


def build(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def default_layout(root: Path, config: object = CONFIG) -> Path:
    """sequelize-cli's `init` layout: no .sequelizerc, config/config.json, migrations/."""
    return build(
        root,
        {
            "package.json": PACKAGE,
            "config/config.json": json.dumps(config, indent=2),
            "migrations/20240101000000-create-users.js": MIGRATION.format("users"),
            "migrations/20240102000000-create-posts.js": MIGRATION.format("posts"),
        },
    )


def analysed(root: Path) -> tuple[RepoFacts, FrameworkConfig, History]:
    repo = RepoFacts.load(root)
    evidence = ADAPTER.detect(repo)
    assert evidence, "sequelize should detect the repo"
    config = ADAPTER.config(repo, evidence[0])
    return repo, config, ADAPTER.history(repo, config)


def warnings_text(history: History) -> str:
    return " | ".join(str(w) for w in history.warnings)


# ---------------------------------------------------------------------- the example repo


def test_only_sequelize_detects_the_example() -> None:
    repo = RepoFacts.load(REPO)
    fired = {name for name, adapter in registry().items() if adapter.detect(repo)}
    assert fired == {"sequelize"}


@pytest.mark.parametrize(
    "example", sorted(p.parent.name for p in REPOS.glob("*/expected.toml")), ids=str
)
def test_fires_exactly_on_sequelize_examples(example: str) -> None:
    expected = tomllib.loads((REPOS / example / "expected.toml").read_text())
    found = ADAPTER.detect(RepoFacts.load(REPOS / example))
    assert bool(found) == (expected["framework"] == "sequelize"), found


def test_evidence_and_config_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    [evidence] = ADAPTER.detect(repo)
    lines = {(r.path, r.line) for r in evidence.reasons}
    assert (".sequelizerc", 5) in lines
    assert ("package.json", 23) in lines  # "sequelize-cli" in devDependencies
    config = ADAPTER.config(repo, evidence)
    assert config.dialect == EXPECTED["dialect"]
    assert config.migrations_dir == "db/migrations"
    assert config.config_files == (".sequelizerc", "config/database.json")
    assert config.database_url == "mysql://root@127.0.0.1:3306/blog_development"
    assert config.settings["models-path"] == "src/models"
    assert config.settings["seeders-path"] == "db/seeders"
    assert config.settings["env"] == "development"


def test_history_of_the_example() -> None:
    _, _, history = analysed(REPO)
    assert len(history.migrations) == EXPECTED["count"]
    assert list(history.heads) == EXPECTED["heads"]
    assert history.last is not None and history.last.id == EXPECTED["last"]
    assert [m.id for m in history.migrations] == sorted(m.id for m in history.migrations)
    assert history.migrations[0].name == "create-users"
    text = warnings_text(history)
    for needle in EXPECTED["warnings"]:
        assert needle in text
    assert [m.id for m in history.migrations if not m.has_down] == [
        "20240212170500-backfill-post-slugs.js"
    ]


def test_next_name_of_the_example() -> None:
    repo, config, history = analysed(REPO)
    name = ADAPTER.next_name(repo, config, history, EXPECTED["description"], EXPECTED["now"])
    assert name == EXPECTED["next_name"]


# ---------------------------------------------------------------------- variants


def test_default_layout_without_sequelizerc(tmp_path: Path) -> None:
    _, config, history = analysed(default_layout(tmp_path))
    assert config.migrations_dir == "migrations"
    assert config.config_files == ("config/config.json",)
    assert config.dialect == "postgresql"
    assert config.database_url == "postgres://app@127.0.0.1/app_dev"
    assert [m.id for m in history.migrations] == [
        "20240101000000-create-users.js",
        "20240102000000-create-posts.js",
    ]
    assert history.warnings == ()


def test_password_is_redacted_and_env_variable_named(tmp_path: Path) -> None:
    config = {"development": {**CONFIG["development"], "password": "s3cret"},
              "production": {"use_env_variable": "DATABASE_URL", "dialect": "postgres"}}  # fmt: skip
    _, found, _ = analysed(default_layout(tmp_path / "a", config))
    assert found.database_url == "postgres://app:***@127.0.0.1/app_dev"
    assert "s3cret" not in repr(found)
    build(tmp_path / "b", {".env": "DATABASE_URL=mysql://u:envpass@h/db\n"})
    production = {"development": config["production"]}
    _, found, _ = analysed(default_layout(tmp_path / "b", production))
    assert found.database_url == "${DATABASE_URL}"
    assert found.settings["use_env_variable"] == "DATABASE_URL"
    assert "envpass" not in repr(found)


def test_config_js_is_preferred_and_read_without_running_it(tmp_path: Path) -> None:
    default_layout(tmp_path)
    build(
        tmp_path,
        {
            "config/config.js": "require('dotenv').config();\n\nmodule.exports = {\n"
            "  development: {\n    dialect: 'mysql',\n    host: process.env.DB_HOST,\n"
            "    username: process.env.DB_USER,\n    password: process.env.DB_PASSWORD,\n"
            "    database: `blog_${process.env.NODE_ENV || 'dev'}`,\n  },\n};\n",
        },
    )
    _, config, _ = analysed(tmp_path)
    assert config.config_files == ("config/config.js",)
    assert config.dialect == "mysql"
    assert config.database_url is not None
    assert config.database_url.startswith("mysql://${DB_USER}:***@${DB_HOST}/")


def test_sequelizerc_with_dirname_and_ts_migrations(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "package.json": PACKAGE,
            ".sequelizerc": "const { resolve } = require('path');\nmodule.exports = {\n"
            "  'migrations-path': resolve(__dirname, 'src', 'db', 'migrations'),\n};\n",
            "src/db/migrations/20240101000000-init.ts": "export async function up() {}\n"
            "export async function down() {}\n",
            "src/db/migrations/20240101000000-second.ts": "export const up = async () => {};\n",
            "src/db/migrations/types.d.ts": "export {};\n",
            "src/db/migrations/helpers.ts": "export function up() {}\nexport function down() {}\n",
        },
    )
    repo, config, history = analysed(tmp_path)
    assert config.migrations_dir == "src/db/migrations"
    assert config.dialect == "postgresql"  # from the pg dependency
    assert [m.id for m in history.migrations] == [
        "20240101000000-init.ts",
        "20240101000000-second.ts",
        "helpers.ts",
    ]
    text = warnings_text(history)
    assert "20240101000000-second.ts:1: up without down" in text
    assert "irregular name 'helpers.ts'" in text
    assert "duplicate timestamp 20240101000000" in text
    assert ADAPTER.next_name(repo, config, history, "AddIndexToPosts", NOW) == (
        "src/db/migrations/20260102030405-add-index-to-posts.ts"
    )


def test_next_name_never_goes_back_in_time(tmp_path: Path) -> None:
    default_layout(tmp_path)
    build(tmp_path, {"migrations/20270101000000-future.js": MIGRATION.format("f")})
    repo, config, history = analysed(tmp_path)
    assert ADAPTER.next_name(repo, config, history, "x", NOW) == ("migrations/20270101000001-x.js")


# ---------------------------------------------------------------------- malformed repos


def _fails(root: Path, error: type[MigwrightError]) -> MigwrightError:
    before = snapshot(root)
    with pytest.raises(error) as caught:
        analyse(root)
    assert "\n" not in caught.value.one_line()
    assert caught.value.hint
    assert snapshot(root) == before
    return caught.value


def test_missing_migrations_directory(tmp_path: Path) -> None:
    build(tmp_path, {"package.json": PACKAGE, "config/config.json": json.dumps(CONFIG)})
    err = _fails(tmp_path, HistoryError)
    assert str(err).startswith("migrations:")


def test_migration_with_a_syntax_error_names_the_line(tmp_path: Path) -> None:
    default_layout(tmp_path)
    broken = MIGRATION.format("tags").replace("dropTable('tags');", "dropTable('tags);")
    build(tmp_path, {"migrations/20240103000000-create-tags.js": broken})
    err = _fails(tmp_path, HistoryError)
    assert "migrations/20240103000000-create-tags.js:8" in str(err)


def test_migration_without_up_is_fatal(tmp_path: Path) -> None:
    default_layout(tmp_path)
    build(tmp_path, {"migrations/20240103000000-x.js": "module.exports = { down() {} };\n"})
    err = _fails(tmp_path, HistoryError)
    assert "20240103000000-x.js:1" in str(err) and "up" in str(err)


def test_invalid_config_json_names_the_line(tmp_path: Path) -> None:
    default_layout(tmp_path)
    build(
        tmp_path, {"config/config.json": '{\n  "development": {\n    "dialect": "mysql",\n  }\n}'}
    )
    err = _fails(tmp_path, ConfigError)
    assert "config/config.json:4" in str(err)


def test_environment_that_is_not_an_object(tmp_path: Path) -> None:
    default_layout(tmp_path, {"development": "mysql://localhost/db"})
    err = _fails(tmp_path, ConfigError)
    assert "development" in str(err)


def test_sequelizerc_syntax_error(tmp_path: Path) -> None:
    default_layout(tmp_path)
    build(tmp_path, {".sequelizerc": "module.exports = {\n  'migrations-path': 'db',\n"})
    err = _fails(tmp_path, ConfigError)
    assert ".sequelizerc:1" in str(err)


def test_two_frameworks_present(tmp_path: Path) -> None:
    default_layout(tmp_path)
    build(tmp_path, {"knexfile.js": "module.exports = { client: 'pg' };\n"})
    err = _fails(tmp_path, DetectionError)
    assert "sequelize" in str(err) and "knex" in str(err)
