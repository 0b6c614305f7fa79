"""dbmate adapter: dbmate-library against expected.toml, and malformed repos."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect

from migwright.tools.analysis import analyse
from migwright.tools.errors import ConfigError, DetectionError, HistoryError, MigwrightError
from migwright.tools.frameworks import registry
from migwright.tools.frameworks.base import FrameworkConfig, History
from migwright.tools.frameworks.dbmate import ADAPTER, parse_migration
from migwright.tools.repo import RepoFacts
from migwright.tools.scratch import ScratchDatabase

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
REPO = REPOS / "dbmate-library"
EXPECTED = tomllib.loads((REPO / "expected.toml").read_text())
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
MIGRATION = "-- migrate:up\nCREATE TABLE {0} (id integer);\n\n-- migrate:down\nDROP TABLE {0};\n"


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
    assert evidence, "dbmate should detect the repo"
    config = ADAPTER.config(repo, evidence[0])
    return repo, config, ADAPTER.history(repo, config)


# ---------------------------------------------------------------------- the example repo


def test_only_dbmate_detects_the_example() -> None:
    repo = RepoFacts.load(REPO)
    fired = {name for name, adapter in registry().items() if adapter.detect(repo)}
    assert fired == {"dbmate"}


@pytest.mark.parametrize(
    "example", sorted(p.parent.name for p in REPOS.glob("*/expected.toml")), ids=str
)
def test_fires_exactly_on_dbmate_examples(example: str) -> None:
    expected = tomllib.loads((REPOS / example / "expected.toml").read_text())
    found = ADAPTER.detect(RepoFacts.load(REPOS / example))
    assert bool(found) == (expected["framework"] == "dbmate"), found


def test_config_of_the_example_never_shows_the_env_value() -> None:
    repo = RepoFacts.load(REPO)
    [evidence] = ADAPTER.detect(repo)
    assert evidence.confidence > 0.9
    assert "db/migrations" in {r.path for r in evidence.reasons}
    config = ADAPTER.config(repo, evidence)
    assert config.dialect == EXPECTED["dialect"]
    assert config.migrations_dir == "db/migrations"
    assert config.database_url == "${DATABASE_URL}"
    assert config.config_files == (".env", "db/schema.sql")
    assert "library.sqlite3" not in repr(config)


def test_history_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    history = ADAPTER.history(repo, config)
    assert len(history.migrations) == EXPECTED["count"]
    assert [m.id for m in history.migrations] == EXPECTED["order"]
    assert list(history.heads) == EXPECTED["heads"]
    assert history.last is not None and history.last.id == EXPECTED["last"]
    assert history.last.name == "create_fines" and not history.last.has_down
    text_of_warnings = " | ".join(str(w) for w in history.warnings)
    for needle in EXPECTED["warnings"]:
        assert needle in text_of_warnings
    assert "schema file is behind" not in text_of_warnings


def test_next_name_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    history = ADAPTER.history(repo, config)
    name = ADAPTER.next_name(repo, config, history, EXPECTED["description"], EXPECTED["now"])
    assert name == EXPECTED["next_name"]


def test_example_replays_on_sqlite(sqlite_scratch: ScratchDatabase) -> None:
    """Up sections in order give the tables; the down sections take them away again, except
    the fines table whose down section is deliberately empty."""
    repo = RepoFacts.load(REPO)
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    history = ADAPTER.history(repo, config)
    engine = sqlite_scratch.engine()
    raw = engine.raw_connection()
    try:
        sqlite = raw.driver_connection
        assert sqlite is not None
        for ref in history.migrations:
            up, _ = ADAPTER.migration_sql(repo, config, ref)
            sqlite.executescript(up)
        assert sorted(inspect(engine).get_table_names()) == EXPECTED["tables"]
        for ref in reversed(history.migrations):
            _, down = ADAPTER.migration_sql(repo, config, ref)
            assert (down is not None) == ref.has_down
            if down is not None:
                sqlite.executescript(down)
    finally:
        raw.close()
    assert inspect(engine).get_table_names() == ["fines"]


# ---------------------------------------------------------------------- parsing and variants


def test_markers_options_and_sections() -> None:
    parsed = parse_migration(
        "-- a comment first is fine\n-- migrate:up transaction:false\nCREATE INDEX i ON t (a);\n"
        "-- migrate:down\nDROP INDEX i;\n",
        "x.sql",
    )
    assert parsed.up_options == "transaction:false"
    assert parsed.up.startswith("-- migrate:up") and "CREATE INDEX" in parsed.up
    assert parsed.down is not None and "DROP INDEX i;" in parsed.down
    assert "DROP" not in parsed.up


def test_custom_folder_schema_behind_missing_down_and_irregular_names(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            ".env": "DATABASE_URL=postgres://app:s3cret@localhost/app\n"
            "DBMATE_MIGRATIONS_DIR=./database/changes\n",
            "database/changes/20240101000000_one.sql": MIGRATION.format("one"),
            "database/changes/20240102000000_two.sql": "-- migrate:up\nSELECT 1;\n",
            "database/changes/notes.sql": "-- scratch",
            "db/schema.sql": "SET statement_timeout = 0;\n"
            "INSERT INTO public.schema_migrations (version) VALUES\n    ('20240101000000');\n",
        },
    )
    repo, config, history = analysed(tmp_path)
    assert config.migrations_dir == "database/changes"
    assert config.dialect == "postgresql"
    assert "s3cret" not in repr(config)
    assert [m.id for m in history.migrations] == ["20240101000000", "20240102000000"]
    text_of_warnings = " | ".join(str(w) for w in history.warnings)
    assert "20240102000000_two.sql: missing down section" in text_of_warnings
    assert "notes.sql: irregular name" in text_of_warnings
    assert "schema file is behind" in text_of_warnings
    assert ADAPTER.next_name(repo, config, history, "Add Users", NOW) == (
        "database/changes/20260102030405_add_users.sql"
    )


def test_next_name_never_goes_back_in_time(tmp_path: Path) -> None:
    build(tmp_path, {"db/migrations/20270101000000_future.sql": MIGRATION.format("f")})
    repo, config, history = analysed(tmp_path)
    assert ADAPTER.next_name(repo, config, history, "x", NOW) == (
        "db/migrations/20270101000001_x.sql"
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


def test_file_without_up_marker_is_fatal(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "db/migrations/20240101000000_one.sql": MIGRATION.format("one"),
            "db/migrations/20240102000000_two.sql": "CREATE TABLE two (id int);\n",
        },
    )
    err = _fails(tmp_path, HistoryError)
    assert "db/migrations/20240102000000_two.sql" in str(err) and "migrate:up" in str(err)


def test_statement_before_up_marker_names_the_line(tmp_path: Path) -> None:
    build(
        tmp_path,
        {"db/migrations/20240101000000_one.sql": "-- enum first\nCREATE TYPE s AS ENUM ('a');\n"
         + MIGRATION.format("one")},
    )  # fmt: skip
    err = _fails(tmp_path, HistoryError)
    assert "20240101000000_one.sql:2" in str(err)


def test_down_before_up_is_fatal(tmp_path: Path) -> None:
    build(
        tmp_path,
        {"db/migrations/1_one.sql": "-- migrate:down\nDROP TABLE a;\n-- migrate:up\nSELECT 1;\n"},
    )
    err = _fails(tmp_path, HistoryError)
    assert "1_one.sql:1" in str(err)


def test_duplicate_version_is_fatal(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "db/migrations/20240101000000_one.sql": MIGRATION.format("one"),
            "db/migrations/20240101000000_two.sql": MIGRATION.format("two"),
        },
    )
    err = _fails(tmp_path, HistoryError)
    assert "20240101000000" in str(err)


def test_missing_directory(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "package.json": '{"devDependencies": {"dbmate": "^2.19.0"}}',
            ".env": "DATABASE_URL=sqlite:db/app.sqlite3\nDBMATE_MIGRATIONS_DIR=sql/migrations\n",
        },
    )
    err = _fails(tmp_path, HistoryError)
    assert "sql/migrations" in str(err)


def test_malformed_env_names_the_line(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            ".env": "DATABASE_URL=sqlite:db/app.sqlite3\nthis is not an assignment\n",
            "db/migrations/20240101000000_one.sql": MIGRATION.format("one"),
        },
    )
    err = _fails(tmp_path, ConfigError)
    assert ".env:2" in str(err)
    assert "sqlite:db/app.sqlite3" not in err.one_line()


def test_two_frameworks_present(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "db/migrations/20240101000000_one.sql": MIGRATION.format("one"),
            "db/migrate/20240101000000_create_users.rb": (
                "class CreateUsers < ActiveRecord::Migration[7.1]\n  def change\n  end\nend\n"
            ),
        },
    )
    err = _fails(tmp_path, DetectionError)
    assert "dbmate" in str(err) and "rails" in str(err)
