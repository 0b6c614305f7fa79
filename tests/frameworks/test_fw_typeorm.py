"""TypeORM adapter: typeorm-crm against expected.toml, data source variants, malformed repos."""

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
from migwright.tools.frameworks.typeorm import ADAPTER, glob_dir, glob_regex
from migwright.tools.repo import RepoFacts

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
REPO = REPOS / "typeorm-crm"
EXPECTED = tomllib.loads((REPO / "expected.toml").read_text())
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
PACKAGE = json.dumps({"dependencies": {"typeorm": "^0.3.20", "pg": "^8.11.3"}}, indent=2)
DATA_SOURCE = """import {{ DataSource }} from "typeorm";

export const AppDataSource = new DataSource({{
    type: "{kind}",
    url: process.env.DATABASE_URL,
    migrations: [{migrations}],
}});
"""
MIGRATION = """import {{ MigrationInterface, QueryRunner }} from "typeorm";

export class {0}{1} implements MigrationInterface {{
    name = '{0}{1}'

    public async up(queryRunner: QueryRunner): Promise<void> {{
        await queryRunner.query(`CREATE TABLE "{0}" ("id" SERIAL NOT NULL)`);
    }}

    public async down(queryRunner: QueryRunner): Promise<void> {{
        await queryRunner.query(`DROP TABLE "{0}"`);
    }}
}}
"""


def build(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def small_repo(root: Path, migrations: str = '"src/migrations/*.ts"') -> Path:
    return build(
        root,
        {
            "package.json": PACKAGE,
            "src/data-source.ts": DATA_SOURCE.format(kind="postgres", migrations=migrations),
            "src/migrations/1700000000000-Users.ts": MIGRATION.format("Users", 1700000000000),
            "src/migrations/1700000100000-Posts.ts": MIGRATION.format("Posts", 1700000100000),
        },
    )


def analysed(root: Path) -> tuple[RepoFacts, FrameworkConfig, History]:
    repo = RepoFacts.load(root)
    evidence = ADAPTER.detect(repo)
    assert evidence, "typeorm should detect the repo"
    config = ADAPTER.config(repo, evidence[0])
    return repo, config, ADAPTER.history(repo, config)


def warnings_text(history: History) -> str:
    return " | ".join(str(w) for w in history.warnings)


# ---------------------------------------------------------------------- the example repo


def test_only_typeorm_detects_the_example() -> None:
    repo = RepoFacts.load(REPO)
    fired = {name for name, adapter in registry().items() if adapter.detect(repo)}
    assert fired == {"typeorm"}


@pytest.mark.parametrize(
    "example", sorted(p.parent.name for p in REPOS.glob("*/expected.toml")), ids=str
)
def test_fires_exactly_on_typeorm_examples(example: str) -> None:
    expected = tomllib.loads((REPOS / example / "expected.toml").read_text())
    found = ADAPTER.detect(RepoFacts.load(REPOS / example))
    assert bool(found) == (expected["framework"] == "typeorm"), found


def test_evidence_and_config_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    [evidence] = ADAPTER.detect(repo)
    lines = {(r.path, r.line) for r in evidence.reasons}
    assert ("src/data-source.ts", 10) in lines
    assert ("package.json", 20) in lines  # the dependency, not the "typeorm" script
    config = ADAPTER.config(repo, evidence)
    assert config.dialect == EXPECTED["dialect"]
    assert config.migrations_dir == "src/migrations"
    assert config.database_url == "${DATABASE_URL}"
    assert config.settings["migrations"] == "src/migrations/*.{ts,js}"  # from __dirname + "..."
    assert config.settings["migrationsTableName"] == "typeorm_migrations"
    assert config.settings["entities"] == "User, Company, Contact, Deal, Activity"


def test_history_of_the_example_follows_class_timestamps() -> None:
    _, _, history = analysed(REPO)
    assert len(history.migrations) == EXPECTED["count"]
    assert [m.id for m in history.migrations] == EXPECTED["order"]
    assert list(history.heads) == EXPECTED["heads"]
    assert history.last is not None and history.last.id == EXPECTED["last"]
    assert history.migrations[4].path == "src/migrations/1706100000000-AddSearchIndexes.ts"
    assert history.migrations[4].parents == ("CreateActivities1706200000000",)
    text = warnings_text(history)
    for needle in EXPECTED["warnings"]:
        assert needle in text
    assert "1706100000000-AddSearchIndexes.ts:5" in text


def test_next_name_of_the_example() -> None:
    repo, config, history = analysed(REPO)
    name = ADAPTER.next_name(repo, config, history, EXPECTED["description"], EXPECTED["now"])
    assert name == EXPECTED["next_name"]


# ---------------------------------------------------------------------- variants


def test_globs() -> None:
    assert glob_dir("src/migrations/**/*.ts") == "src/migrations"
    assert glob_dir("*.ts") == "."
    regex = glob_regex("src/migration/**/*{.ts,.js}")
    assert regex.match("src/migration/1-A.ts") and regex.match("src/migration/a/b/1-A.js")
    assert not regex.match("src/migration/1-A.tsx")


def test_ormconfig_json_with_literal_credentials(tmp_path: Path) -> None:
    ormconfig = [{"name": "reporting", "type": "postgres"},
                 {"type": "mysql", "host": "db", "port": 3306, "username": "crm",
                  "password": "opensesame", "database": "crm",
                  "migrations": ["db/migrations/*.js"]}]  # fmt: skip
    build(
        tmp_path,
        {
            "package.json": PACKAGE,
            "ormconfig.json": json.dumps(ormconfig, indent=2),
            "db/migrations/1600000000000-Init.js": MIGRATION.format("Init", 1600000000000)
            .replace(": QueryRunner", "")
            .replace(": Promise<void>", ""),
        },
    )
    _, config, history = analysed(tmp_path)
    assert config.dialect == "mysql"
    assert config.database_url == "mysql://crm:***@db:3306/crm"
    assert "opensesame" not in repr(config)
    assert [m.id for m in history.migrations] == ["Init1600000000000"]


def test_migration_classes_listed_by_import(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "package.json": PACKAGE,
            "src/db.ts": 'import { DataSource } from "typeorm";\n'
            'import { Users1700000000000 } from "./db/migrations/1700000000000-Users";\n'
            "const options = {\n"
            '    type: "better-sqlite3" as const,\n    database: "data/crm.sqlite",\n'
            "    migrations: [Users1700000000000],\n};\n"
            "export default new DataSource(options);\n",
            "src/db/migrations/1700000000000-Users.ts": MIGRATION.format("Users", 1700000000000),
        },
    )
    _, config, history = analysed(tmp_path)
    assert config.dialect == "sqlite"
    assert config.database_url == "sqlite:data/crm.sqlite"
    assert config.migrations_dir == "src/db/migrations"
    assert [m.id for m in history.migrations] == ["Users1700000000000"]


def test_built_glob_reads_the_sources_and_a_test_data_source_is_not_a_second_project(
    tmp_path: Path,
) -> None:
    small_repo(tmp_path, migrations='"dist/migrations/*.js"')
    build(tmp_path, {"src/test-data-source.ts": DATA_SOURCE.format(kind="postgres",
                                                                   migrations="")})  # fmt: skip
    (tmp_path / "src" / "test-data-source.ts").write_text(
        'import { DataSource } from "typeorm";\n'
        'export const TestDataSource = new DataSource({ type: "postgres", synchronize: true });\n'
    )
    repo = RepoFacts.load(tmp_path)
    [evidence] = ADAPTER.detect(repo)
    config = ADAPTER.config(repo, evidence)
    assert config.config_files == ("src/data-source.ts",)
    assert config.migrations_dir == "src/migrations"
    assert "build output" in config.settings["note"]
    history = ADAPTER.history(repo, config)
    assert [m.id for m in history.migrations] == ["Users1700000000000", "Posts1700000100000"]


def test_odd_files_warn(tmp_path: Path) -> None:
    small_repo(tmp_path)
    one_way = MIGRATION.format("Seed", 1700000100000)
    one_way = one_way[: one_way.index("    public async down")] + "}\n"
    build(
        tmp_path,
        {
            "src/migrations/helpers.ts": "export const sql = (s: string) => s.trim();\n",
            "src/migrations/seed.ts": one_way,
        },
    )
    repo, config, history = analysed(tmp_path)
    text = warnings_text(history)
    assert "helpers.ts: exports no migration class" in text
    assert "irregular name 'seed.ts'" in text
    assert "seed.ts:3: up without down" in text
    assert "duplicate timestamp 1700000100000" in text
    assert ADAPTER.next_name(repo, config, history, "add index", NOW) == (
        "src/migrations/1767323045000-AddIndex.ts"
    )


def test_next_name_never_goes_back_in_time(tmp_path: Path) -> None:
    small_repo(tmp_path)
    future = MIGRATION.format("Future", 1900000000000)
    build(tmp_path, {"src/migrations/1900000000000-Future.ts": future})
    repo, config, history = analysed(tmp_path)
    assert ADAPTER.next_name(repo, config, history, "x", NOW) == (
        "src/migrations/1900000000001-X.ts"
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


def test_missing_migrations_directory(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "package.json": PACKAGE,
            "src/data-source.ts": DATA_SOURCE.format(kind="postgres", migrations='"db/m/*.ts"'),
        },
    )
    err = _fails(tmp_path, HistoryError)
    assert str(err).startswith("db/m:")


def test_class_without_timestamp_is_fatal(tmp_path: Path) -> None:
    small_repo(tmp_path)
    build(tmp_path, {"src/migrations/1700000200000-Tags.ts": MIGRATION.format("Tags", "")})
    err = _fails(tmp_path, HistoryError)
    assert "src/migrations/1700000200000-Tags.ts:3" in str(err)


def test_class_without_up_is_fatal(tmp_path: Path) -> None:
    small_repo(tmp_path)
    build(
        tmp_path,
        {"src/migrations/1700000200000-Tags.ts": "export class Tags1700000200000 {\n"
         "    async down() {}\n}\n"},
    )  # fmt: skip
    err = _fails(tmp_path, HistoryError)
    assert "1700000200000-Tags.ts:1" in str(err) and "up" in str(err)


def test_migration_with_a_syntax_error_names_the_line(tmp_path: Path) -> None:
    small_repo(tmp_path)
    broken = MIGRATION.format("Tags", 1700000200000).replace('"Tags"`);\n    }', '"Tags");\n')
    build(tmp_path, {"src/migrations/1700000200000-Tags.ts": broken})
    err = _fails(tmp_path, HistoryError)
    assert "1700000200000-Tags.ts:" in str(err)


def test_duplicate_migration_names_are_fatal(tmp_path: Path) -> None:
    small_repo(tmp_path)
    build(
        tmp_path,
        {"src/migrations/1700000100001-Posts.ts": MIGRATION.format("Posts", 1700000100000)},
    )
    err = _fails(tmp_path, HistoryError)
    assert "duplicate migration Posts1700000100000" in str(err)


def test_options_built_elsewhere_fall_back_to_the_migration_classes(tmp_path: Path) -> None:
    """A NestJS app (`TypeOrmModule.forRootAsync`) or options imported from another module:
    no literal to read, so the classes' folder is used and the settings say why."""
    small_repo(tmp_path)
    build(
        tmp_path,
        {"src/data-source.ts": 'import { DataSource } from "typeorm";\n'
         'import { options } from "./options";\n'
         "export default new DataSource(options);\n"},
    )  # fmt: skip
    _, config, history = analysed(tmp_path)
    assert config.config_files == ("src/data-source.ts",)
    assert config.migrations_dir == "src/migrations"
    assert config.dialect == "postgresql"  # from the pg dependency
    assert (
        "src/data-source.ts:3: DataSource options are not an object literal"
        in (config.settings["note"])
    )
    assert len(history.migrations) == 2
    (tmp_path / "src/data-source.ts").unlink()
    _, config, history = analysed(tmp_path)
    assert config.config_files == ()
    assert "no DataSource was found" in config.settings["note"]
    assert len(history.migrations) == 2


def test_options_built_elsewhere_without_migrations_are_an_error(tmp_path: Path) -> None:
    build(
        tmp_path,
        {"package.json": PACKAGE,
         "src/data-source.ts": 'import { DataSource } from "typeorm";\n'
         'import { options } from "./options";\n'
         "export default new DataSource(options);\n"},
    )  # fmt: skip
    err = _fails(tmp_path, ConfigError)
    assert "src/data-source.ts:3" in str(err)


def test_data_source_without_migrations(tmp_path: Path) -> None:
    small_repo(tmp_path)
    build(tmp_path, {"src/data-source.ts": DATA_SOURCE.format(kind="postgres", migrations="")})
    err = _fails(tmp_path, ConfigError)
    assert "src/data-source.ts" in str(err) and "migrations" in err.hint


def test_invalid_ormconfig_names_the_line(tmp_path: Path) -> None:
    build(
        tmp_path,
        {"package.json": PACKAGE, "ormconfig.json": '{\n  "type": "postgres"\n  "x": 1\n}'},
    )
    err = _fails(tmp_path, ConfigError)
    assert "ormconfig.json:3" in str(err)


def test_two_frameworks_present(tmp_path: Path) -> None:
    small_repo(tmp_path)
    build(tmp_path, {".sequelizerc": "module.exports = {};\n"})
    err = _fails(tmp_path, DetectionError)
    assert "typeorm" in str(err) and "sequelize" in str(err)
