"""Knex adapter: knex-inventory against expected.toml, knexfile variants, malformed repos."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from migwright.tools.analysis import analyse
from migwright.tools.errors import ConfigError, DetectionError, HistoryError, MigwrightError
from migwright.tools.frameworks import registry
from migwright.tools.frameworks.base import FrameworkConfig, History
from migwright.tools.frameworks.knex import ADAPTER
from migwright.tools.repo import RepoFacts

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
REPO = REPOS / "knex-inventory"
EXPECTED = tomllib.loads((REPO / "expected.toml").read_text())
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
PACKAGE = '{\n  "dependencies": {\n    "knex": "^3.1.0",\n    "pg": "^8.11.3"\n  }\n}\n'
JS = """exports.up = function (knex) {{
  return knex.schema.createTable('{0}', (t) => {{ t.increments(); }});
}};

exports.down = (knex) => knex.schema.dropTable('{0}');
"""
TS = """import type {{ Knex }} from "knex";

export async function up(knex: Knex): Promise<void> {{
  await knex.schema.createTable("{0}", (t) => t.increments());
}}

export async function down(knex: Knex): Promise<void> {{
  await knex.schema.dropTable("{0}");
}}
"""
FLAT = """module.exports = {
  client: 'pg',
  connection: process.env.DATABASE_URL,
  migrations: { directory: './migrations' },
};
"""


def build(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def flat_repo(root: Path) -> Path:
    return build(
        root,
        {
            "package.json": PACKAGE,
            "knexfile.js": FLAT,
            "migrations/20240101000000_create_users.js": JS.format("users"),
            "migrations/20240102000000_create_posts.js": JS.format("posts"),
        },
    )


def analysed(root: Path) -> tuple[RepoFacts, FrameworkConfig, History]:
    repo = RepoFacts.load(root)
    evidence = ADAPTER.detect(repo)
    assert evidence, "knex should detect the repo"
    config = ADAPTER.config(repo, evidence[0])
    return repo, config, ADAPTER.history(repo, config)


def warnings_text(history: History) -> str:
    return " | ".join(str(w) for w in history.warnings)


# ---------------------------------------------------------------------- the example repo


def test_only_knex_detects_the_example() -> None:
    repo = RepoFacts.load(REPO)
    fired = {name for name, adapter in registry().items() if adapter.detect(repo)}
    assert fired == {"knex"}


@pytest.mark.parametrize(
    "example", sorted(p.parent.name for p in REPOS.glob("*/expected.toml")), ids=str
)
def test_fires_exactly_on_knex_examples(example: str) -> None:
    expected = tomllib.loads((REPOS / example / "expected.toml").read_text())
    found = ADAPTER.detect(RepoFacts.load(REPOS / example))
    assert bool(found) == (expected["framework"] == "knex"), found


def test_evidence_and_config_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    [evidence] = ADAPTER.detect(repo)
    assert evidence.confidence > 0.9
    assert ("knexfile.js", 5) in {(r.path, r.line) for r in evidence.reasons}
    config = ADAPTER.config(repo, evidence)
    assert config.dialect == EXPECTED["dialect"]
    assert config.migrations_dir == "db/migrations"
    assert config.database_url == "sqlite:data/inventory.sqlite3"
    assert config.config_files == ("knexfile.js",)
    assert config.settings["env"] == "development"
    assert config.settings["client"] == "sqlite3"
    assert config.settings["tableName"] == "knex_migrations"


def test_history_of_the_example() -> None:
    _, _, history = analysed(REPO)
    assert len(history.migrations) == EXPECTED["count"]
    assert list(history.heads) == EXPECTED["heads"]
    assert history.last is not None and history.last.id == EXPECTED["last"]
    ids = [m.id for m in history.migrations]
    assert ids == sorted(ids)  # knex's own order: file names, as JavaScript sorts them
    assert ids.index("20240207_add_reorder_level.js") == 5
    text = warnings_text(history)
    for needle in EXPECTED["warnings"]:
        assert needle in text
    assert len(history.warnings) == 1
    assert all(m.has_down for m in history.migrations)


def test_next_name_of_the_example() -> None:
    repo, config, history = analysed(REPO)
    name = ADAPTER.next_name(repo, config, history, EXPECTED["description"], EXPECTED["now"])
    assert name == EXPECTED["next_name"]


# ---------------------------------------------------------------------- variants


def test_flat_config_with_env_connection(tmp_path: Path) -> None:
    flat_repo(tmp_path)
    build(tmp_path, {".env": "DATABASE_URL=postgres://app:topsecret@db/app\n"})
    _, config, history = analysed(tmp_path)
    assert config.dialect == "postgresql"
    assert config.database_url == "${DATABASE_URL}"
    assert config.settings["env"] == "(flat config)"
    assert "topsecret" not in repr(config)
    assert [m.name for m in history.migrations] == ["create_users", "create_posts"]


def test_typescript_knexfile_and_migrations(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "package.json": PACKAGE,
            "knexfile.ts": 'import type { Knex } from "knex";\n\n'
            "const config: { [key: string]: Knex.Config } = {\n"
            '  staging: {\n    client: "postgresql",\n'
            '    connection: { host: "db", user: "app", password: "hunter2", database: "app" },\n'
            '    migrations: { tableName: "schema_history", directory: "src/db/migrations" },\n'
            "  },\n};\n\nexport default config;\n",
            "src/db/migrations/20240101000000_init.ts": TS.format("users"),
            "src/db/migrations/README.md": "Run `npx knex migrate:latest`.\n",
        },
    )
    repo, config, history = analysed(tmp_path)
    assert config.settings["env"] == "staging"  # no development block: the first one
    assert config.migrations_dir == "src/db/migrations"
    assert config.database_url == "postgresql://app:***@db/app"
    assert config.settings["tableName"] == "schema_history"
    assert [m.id for m in history.migrations] == ["20240101000000_init.ts"]
    assert ADAPTER.next_name(repo, config, history, "Add e-mail to users", NOW) == (
        "src/db/migrations/20260102030405_add_e_mail_to_users.ts"
    )


def test_several_directories_and_load_extensions(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "services/api/package.json": PACKAGE,
            "services/api/knexfile.js": "const path = require('path');\nmodule.exports = {\n"
            "  development: {\n    client: 'mysql2',\n    migrations: {\n"
            "      directory: [path.join(__dirname, 'migrations'), './migrations_extra'],\n"
            "      loadExtensions: ['.js'],\n      extension: 'js',\n    },\n  },\n};\n",
            "services/api/migrations/20240101000000_a.js": JS.format("a"),
            "services/api/migrations/20240103000000_c.js": JS.format("c"),
            "services/api/migrations_extra/20240102000000_b.js": JS.format("b"),
            "services/api/migrations_extra/20240104000000_d.ts": TS.format("d"),
        },
    )
    repo, config, history = analysed(tmp_path)
    assert config.root == "services/api"
    assert config.dialect == "mysql"
    assert config.migrations_dir == "services/api/migrations"
    assert [m.path for m in history.migrations] == [
        "services/api/migrations/20240101000000_a.js",
        "services/api/migrations_extra/20240102000000_b.js",
        "services/api/migrations/20240103000000_c.js",
    ]
    assert ADAPTER.next_name(repo, config, history, "d", NOW) == (
        "services/api/migrations/20260102030405_d.js"
    )


def test_duplicates_and_time_going_back(tmp_path: Path) -> None:
    flat_repo(tmp_path)
    build(
        tmp_path,
        {
            "migrations/20240102000000_also_posts.js": JS.format("also"),
            "migrations/20270101000000_future.js": JS.format("future"),
        },
    )
    repo, config, history = analysed(tmp_path)
    assert "duplicate timestamp 20240102000000" in warnings_text(history)
    assert ADAPTER.next_name(repo, config, history, "x", NOW) == ("migrations/20270101000001_x.js")


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
    build(tmp_path, {"package.json": PACKAGE, "knexfile.js": FLAT})
    err = _fails(tmp_path, HistoryError)
    assert str(err).startswith("migrations:")


def test_migration_with_a_syntax_error_names_the_line(tmp_path: Path) -> None:
    flat_repo(tmp_path)
    build(tmp_path, {"migrations/20240103000000_broken.js": "exports.up = (knex) => {\n"})
    err = _fails(tmp_path, HistoryError)
    assert "migrations/20240103000000_broken.js:1" in str(err)


def test_migration_without_down_is_fatal_for_knex(tmp_path: Path) -> None:
    flat_repo(tmp_path)
    build(tmp_path, {"migrations/20240103000000_oneway.js": "exports.up = () => null;\n"})
    err = _fails(tmp_path, HistoryError)
    assert "20240103000000_oneway.js:1" in str(err) and "down" in str(err)


def test_knexfile_syntax_error_names_the_line(tmp_path: Path) -> None:
    flat_repo(tmp_path)
    build(tmp_path, {"knexfile.js": "module.exports = {\n  client: 'pg',\n  connection: `x\n};\n"})
    err = _fails(tmp_path, ConfigError)
    assert "knexfile.js:3" in str(err)


def test_knexfile_exporting_a_string(tmp_path: Path) -> None:
    flat_repo(tmp_path)
    build(tmp_path, {"knexfile.js": "module.exports = 'pg';\n"})
    err = _fails(tmp_path, ConfigError)
    assert "knexfile.js:1" in str(err)


def test_migrations_option_that_is_not_an_object(tmp_path: Path) -> None:
    flat_repo(tmp_path)
    build(tmp_path, {"knexfile.js": "module.exports = { client: 'pg', migrations: 'db' };\n"})
    err = _fails(tmp_path, ConfigError)
    assert "migrations" in str(err)


def test_two_frameworks_present(tmp_path: Path) -> None:
    flat_repo(tmp_path)
    build(tmp_path, {"prisma/schema.prisma": 'datasource db {\n  provider = "sqlite"\n}\n'})
    err = _fails(tmp_path, DetectionError)
    assert "knex" in str(err) and "prisma" in str(err)
