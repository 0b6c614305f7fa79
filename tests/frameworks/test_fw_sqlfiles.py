"""Plain numbered SQL files: sqlfiles-legacy against expected.toml, yielding to frameworks."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect

from migwright.tools.analysis import analyse
from migwright.tools.errors import DetectionError, HistoryError, MigwrightError
from migwright.tools.frameworks import registry
from migwright.tools.frameworks.base import FrameworkConfig, History
from migwright.tools.frameworks.sqlfiles import ADAPTER
from migwright.tools.frameworks.sqlnaming import (
    VersionScheme,
    dialect_from_url,
    display_url,
    infer_style,
    next_version,
    numbering_warnings,
    parse_env_file,
    slugify,
    words,
)
from migwright.tools.repo import RepoFacts
from migwright.tools.scratch import ScratchDatabase

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
REPO = REPOS / "sqlfiles-legacy"
EXPECTED = tomllib.loads((REPO / "expected.toml").read_text())
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


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
    assert evidence, "sqlfiles should detect the repo"
    config = ADAPTER.config(repo, evidence[0])
    return repo, config, ADAPTER.history(repo, config)


# ---------------------------------------------------------------------- the example repo


def test_only_sqlfiles_detects_the_example() -> None:
    repo = RepoFacts.load(REPO)
    fired = {name for name, adapter in registry().items() if adapter.detect(repo)}
    assert fired == {"sqlfiles"}


@pytest.mark.parametrize(
    "example", sorted(p.parent.name for p in REPOS.glob("*/expected.toml")), ids=str
)
def test_fires_exactly_on_plain_sql_examples(example: str) -> None:
    """In particular it stays quiet on Flyway, golang-migrate, dbmate, Prisma and Drizzle."""
    expected = tomllib.loads((REPOS / example / "expected.toml").read_text())
    found = ADAPTER.detect(RepoFacts.load(REPOS / example))
    assert bool(found) == (expected["framework"] == "sqlfiles"), found


def test_config_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    [evidence] = ADAPTER.detect(repo)
    assert evidence.confidence < 0.5  # a fallback never outranks a real framework
    assert evidence.root == "migrations"
    assert "scripts/migrate.sh" in {r.path for r in evidence.reasons}
    config = ADAPTER.config(repo, evidence)
    assert config.dialect == EXPECTED["dialect"]
    assert config.settings["dialect_from"] == "scripts/migrate.sh"
    assert config.migrations_dir == "migrations"


def test_history_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    history = ADAPTER.history(repo, config)
    assert len(history.migrations) == EXPECTED["count"]
    assert [m.id for m in history.migrations] == EXPECTED["order"]
    assert list(history.heads) == EXPECTED["heads"]
    assert history.last is not None and history.last.id == EXPECTED["last"]
    assert history.migrations[3].parents == ("003_create_tasks",)
    text_of_warnings = " | ".join(str(w) for w in history.warnings)
    for needle in EXPECTED["warnings"]:
        assert needle in text_of_warnings
    assert "up without down" not in text_of_warnings  # no file has a down: nothing to flag


def test_next_name_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    history = ADAPTER.history(repo, config)
    name = ADAPTER.next_name(repo, config, history, EXPECTED["description"], EXPECTED["now"])
    assert name == EXPECTED["next_name"]


def test_example_replays_on_sqlite(sqlite_scratch: ScratchDatabase) -> None:
    repo = RepoFacts.load(REPO)
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    history = ADAPTER.history(repo, config)
    engine = sqlite_scratch.engine()
    raw = engine.raw_connection()
    try:
        sqlite = raw.driver_connection
        assert sqlite is not None
        for ref in history.migrations:
            up, down = ADAPTER.migration_sql(repo, config, ref)
            assert down is None
            sqlite.executescript(up)
    finally:
        raw.close()
    inspector = inspect(engine)
    assert sorted(inspector.get_table_names()) == EXPECTED["tables"]
    assert {"priority", "due_on"} <= {c["name"] for c in inspector.get_columns("tasks")}


# ---------------------------------------------------------------------- variants


def test_kebab_names_and_duplicates(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "sql/01-init.sql": "CREATE TABLE a (id int);",
            "sql/02-add-users.sql": "CREATE TABLE users (id int);",
            "sql/02-add-posts.sql": "CREATE TABLE posts (id int);",
        },
    )
    repo, config, history = analysed(tmp_path)
    assert [m.id for m in history.migrations] == ["01-init", "02-add-posts", "02-add-users"]
    assert any("duplicate migration number 2" in str(w) for w in history.warnings)
    assert ADAPTER.next_name(repo, config, history, "add shipped_at to orders", NOW) == (
        "sql/03-add-shipped-at-to-orders.sql"
    )


def test_up_files_with_some_downs(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "migrations/0001_init.up.sql": "CREATE TABLE a (id int);",
            "migrations/0002_users.up.sql": "CREATE TABLE users (id int);",
            "migrations/0003_drop_a.down.sql": "CREATE TABLE a (id int);",
        },
    )
    repo, config, history = analysed(tmp_path)
    assert [m.id for m in history.migrations] == ["0001_init", "0002_users"]
    text_of_warnings = " | ".join(str(w) for w in history.warnings)
    assert "0003_drop_a.down.sql: down file without an up file" in text_of_warnings
    assert "up without down: 2 files" in text_of_warnings
    assert ADAPTER.next_name(repo, config, history, "Add Orders", NOW) == (
        "migrations/0003_add_orders.up.sql"
    )


@pytest.mark.parametrize(
    ("files", "dialect"),
    [
        ({"docker-compose.yml": "services:\n  db:\n    image: postgres:16\n"}, "postgresql"),
        ({".env.example": "DATABASE_URL=mysql://app@localhost/app\n"}, "mysql"),
        ({"requirements.txt": "psycopg[binary]==3.1\n"}, "postgresql"),
        ({}, "mysql"),  # AUTO_INCREMENT in the SQL itself
    ],
)
def test_dialect_sources(tmp_path: Path, files: dict[str, str], dialect: str) -> None:
    files = {**files, "db/001_init.sql": "CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY);"}
    _, config, _ = analysed(build(tmp_path, files))
    assert config.dialect == dialect


@pytest.mark.parametrize(
    "files",
    [
        {"migrations/V1__init.sql": "SELECT 1;", "migrations/002_x.sql": "SELECT 1;"},
        {"migrations/001_a.up.sql": "SELECT 1;", "migrations/001_a.down.sql": "SELECT 1;"},
        {"db/migrations/20240101000000_a.sql": "-- migrate:up\nSELECT 1;\n-- migrate:down\n"},
        {"migrations/001_a.sql": "-- +goose Up\nSELECT 1;\n-- +goose Down\n"},
        {"prisma/migrations/migration_lock.toml": "provider = \"postgresql\"\n",
         "prisma/migrations/0001_init.sql": "SELECT 1;"},
        {"migrations/0000_init.sql": "SELECT 1;", "migrations/meta/_journal.json": "{}"},
    ],
    ids=["flyway", "golang-migrate", "dbmate", "goose", "prisma", "drizzle"],
)  # fmt: skip
def test_yields_to_real_frameworks(tmp_path: Path, files: dict[str, str]) -> None:
    assert ADAPTER.detect(RepoFacts.load(build(tmp_path, files))) == []


def test_ignores_folders_with_other_names(tmp_path: Path) -> None:
    build(tmp_path, {"docs/001_intro.sql": "SELECT 1;", "fixtures/001_users.sql": "SELECT 1;"})
    assert ADAPTER.detect(RepoFacts.load(tmp_path)) == []


def test_a_real_framework_wins_over_the_fallback(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "flyway.conf": "flyway.locations=filesystem:db/migration\n",
            "db/migration/V1__init.sql": "CREATE TABLE a (id int);",
            "legacy/sql/001_old.sql": "CREATE TABLE old (id int);",
        },
    )
    before = snapshot(tmp_path)
    analysis = analyse(tmp_path)
    assert analysis.framework.name == "flyway"
    assert [d.label for d in analysis.others] == ["sqlfiles@legacy/sql"]
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------- malformed repos


def _fails(root: Path, error: type[MigwrightError], framework: str | None = None) -> MigwrightError:
    before = snapshot(root)
    with pytest.raises(error) as caught:
        analyse(root, framework)
    assert "\n" not in caught.value.one_line()
    assert caught.value.hint
    assert snapshot(root) == before
    return caught.value


def test_missing_directory(tmp_path: Path) -> None:
    repo = RepoFacts.load(tmp_path)
    config = FrameworkConfig(framework="sqlfiles", root="migrations", migrations_dir="migrations")
    with pytest.raises(HistoryError) as caught:
        ADAPTER.history(repo, config)
    assert "\n" not in caught.value.one_line() and "migrations" in str(caught.value)


def test_two_plain_histories_must_be_chosen_between(tmp_path: Path) -> None:
    build(tmp_path, {"migrations/001_a.sql": "SELECT 1;", "sql/001_b.sql": "SELECT 1;"})
    err = _fails(tmp_path, DetectionError)
    assert "sqlfiles@migrations" in str(err) and "sqlfiles@sql" in str(err)
    analysis = analyse(tmp_path, "sqlfiles@sql")
    assert [m.id for m in analysis.history.migrations] == ["001_b"]


# ---------------------------------------------------------------------- shared naming helpers


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["create_users", "add_email"], "add_shipped_at_to_orders"),
        (["create-users", "add-email"], "add-shipped-at-to-orders"),
        (["CreateUsers", "AddEmail"], "AddShippedAtToOrders"),
        (["Create_users", "Add_email"], "Add_shipped_at_to_orders"),
        (["create-users", "add_email", "add_name"], "add_shipped_at_to_orders"),
        (["init"], "add_shipped_at_to_orders"),
    ],
)
def test_slug_style_follows_the_latest_names(names: list[str], expected: str) -> None:
    style = infer_style(names)
    assert slugify("Add shippedAt to  orders!", style) == expected


def test_words_fold_accents_and_never_come_back_empty() -> None:
    assert words("Ajouter la clé étrangère") == ["ajouter", "la", "cle", "etrangere"]
    assert words("!!!") == ["migration"]


@pytest.mark.parametrize(
    ("versions", "expected"),
    [
        ([], "001"),
        (["7"], "8"),
        (["009"], "010"),
        (["20240101120000"], "20260102030405"),
        (["202401011200"], "202601020304"),
        (["20990101000000"], "20990101000001"),
        (["1700000000"], "1767323045"),
    ],
)
def test_next_version(versions: list[str], expected: str) -> None:
    assert next_version(versions, NOW, VersionScheme("sequential", 3)) == expected


def test_numbering_warnings_name_gaps_and_duplicates() -> None:
    found = [str(w) for w in numbering_warnings([(1, "a"), (2, "b"), (2, "c"), (6, "d")])]
    assert "b: duplicate migration number 2: b, c" in found
    assert "d: gap in numbering: 3..5 missing between c and d" in found


@pytest.mark.parametrize(
    ("url", "dialect"),
    [
        ("jdbc:postgresql://db/app", "postgresql"),
        ("postgres://u:p@db/app", "postgresql"),
        ("postgresql+psycopg://db/app", "postgresql"),
        ("mysql2://db/app", "mysql"),
        ("jdbc:mariadb://db/app", "mysql"),
        ("sqlite3:///data/app.db", "sqlite"),
        ("sqlite:db/app.sqlite3", "sqlite"),
        ("${DATABASE_URL}", None),
        ("redis://cache", None),
    ],
)
def test_dialect_from_url(url: str, dialect: str | None) -> None:
    assert dialect_from_url(url) == dialect


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("${env.FLYWAY_URL}", "${FLYWAY_URL}"),
        ("$(DB_URL)", "${DB_URL}"),
        ("$$DATABASE_URL", "${DATABASE_URL}"),
        ("${DATABASE_URL:-postgres://localhost/app}", "${DATABASE_URL}"),
        ("<%= ENV['DATABASE_URL'] %>", "${DATABASE_URL}"),
        ("postgres://app:hunter2@db/app", "postgres://app:***@db/app"),
    ],
)
def test_display_url_shows_references_and_hides_passwords(value: str, shown: str) -> None:
    assert display_url(value) == shown


def test_parse_env_file() -> None:
    values = parse_env_file(
        '# comment\nexport A=1\nB="two words" \nC=three # trailing\n\nD=\n', ".env"
    )
    assert {k: (v.value, v.line) for k, v in values.items()} == {
        "A": ("1", 2),
        "B": ("two words", 3),
        "C": ("three", 4),
        "D": ("", 6),
    }
