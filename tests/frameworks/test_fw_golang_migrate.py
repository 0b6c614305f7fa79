"""golang-migrate adapter: golang-migrate-events against expected.toml, and malformed repos."""

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
from migwright.tools.frameworks.golang_migrate import ADAPTER
from migwright.tools.repo import RepoFacts
from migwright.tools.scratch import ScratchDatabase

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
REPO = REPOS / "golang-migrate-events"
EXPECTED = tomllib.loads((REPO / "expected.toml").read_text())
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
GO_MOD = "module x\n\nrequire github.com/golang-migrate/migrate/v4 v4.17.1\n"


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
    assert evidence, "golang-migrate should detect the repo"
    config = ADAPTER.config(repo, evidence[0])
    return repo, config, ADAPTER.history(repo, config)


def split_statements(sql: str) -> list[str]:
    """Statements of a script, split at semicolons outside quotes and comments (MySQL
    connections run one statement per call unless multi-statements are switched on)."""
    out, current, quote, i = [], [], "", 0
    while i < len(sql):
        ch = sql[i]
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
            current.append(ch)
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = len(sql) if end == -1 else end
            continue
        elif ch == ";":
            out.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    out.append("".join(current).strip())
    return [s for s in out if s]


# ---------------------------------------------------------------------- the example repo


def test_only_golang_migrate_detects_the_example() -> None:
    repo = RepoFacts.load(REPO)
    fired = {name for name, adapter in registry().items() if adapter.detect(repo)}
    assert fired == {"golang_migrate"}


@pytest.mark.parametrize(
    "example", sorted(p.parent.name for p in REPOS.glob("*/expected.toml")), ids=str
)
def test_fires_exactly_on_golang_migrate_examples(example: str) -> None:
    expected = tomllib.loads((REPOS / example / "expected.toml").read_text())
    found = ADAPTER.detect(RepoFacts.load(REPOS / example))
    assert bool(found) == (expected["framework"] == "golang_migrate"), found


def test_config_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    [evidence] = ADAPTER.detect(repo)
    assert evidence.confidence > 0.9
    assert {"go.mod", "Makefile", "db/migrations"} <= {r.path for r in evidence.reasons}
    config = ADAPTER.config(repo, evidence)
    assert config.dialect == EXPECTED["dialect"]
    assert config.migrations_dir == "db/migrations"
    assert config.database_url == "${DB_URL}"
    assert "Makefile" in config.config_files and "go.mod" in config.config_files


def test_history_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    history = ADAPTER.history(repo, config)
    assert len(history.migrations) == EXPECTED["count"]
    assert [m.id for m in history.migrations] == EXPECTED["order"]
    assert list(history.heads) == EXPECTED["heads"]
    assert history.last is not None and history.last.id == EXPECTED["last"]
    assert [m.id for m in history.migrations if not m.has_down] == ["5"]
    assert history.migrations[4].path == "db/migrations/000005_add_capacity_to_venues.up.sql"
    text_of_warnings = " | ".join(str(w) for w in history.warnings)
    for needle in EXPECTED["warnings"]:
        assert needle in text_of_warnings
    assert "000005_add_capacity_to_venues.up.sql" in text_of_warnings


def test_next_name_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    history = ADAPTER.history(repo, config)
    name = ADAPTER.next_name(repo, config, history, EXPECTED["description"], EXPECTED["now"])
    assert name == EXPECTED["next_name"]


@pytest.mark.mysql
def test_example_replays_on_mysql(mysql_scratch: ScratchDatabase) -> None:
    """Up in version order gives the expected tables; the downs of 8..6 undo them."""
    repo = RepoFacts.load(REPO)
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    history = ADAPTER.history(repo, config)
    engine = mysql_scratch.engine()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for ref in history.migrations:
            up, _ = ADAPTER.migration_sql(repo, config, ref)
            for statement in split_statements(up):
                cursor.execute(statement)
        raw.commit()
        assert sorted(inspect(engine).get_table_names()) == EXPECTED["tables"]
        for ref in reversed(history.migrations[5:]):
            _, down = ADAPTER.migration_sql(repo, config, ref)
            assert down is not None
            for statement in split_statements(down):
                cursor.execute(statement)
        raw.commit()
    finally:
        raw.close()
    inspector = inspect(engine)
    assert sorted(inspector.get_table_names()) == ["attendees", "events", "tickets", "venues"]
    assert "ticket_type_id" not in {c["name"] for c in inspector.get_columns("tickets")}


# ---------------------------------------------------------------------- variants


@pytest.mark.parametrize(
    ("versions", "expected"),
    [
        (["1", "2"], "3"),
        (["0009", "0010"], "0011"),
        (["20240101120000", "20240301090000"], "20260102030405"),
        (["1704067200", "1709280000"], str(int(NOW.timestamp()))),
    ],
)
def test_next_name_keeps_the_numbering_scheme(
    tmp_path: Path, versions: list[str], expected: str
) -> None:
    files = {"go.mod": GO_MOD}
    for n, version in enumerate(versions):
        files[f"migrations/{version}_step_{n}.up.sql"] = "SELECT 1;"
        files[f"migrations/{version}_step_{n}.down.sql"] = "SELECT 1;"
    repo, config, history = analysed(build(tmp_path, files))
    assert ADAPTER.next_name(repo, config, history, "Add Users", NOW) == (
        f"migrations/{expected}_add_users.up.sql"
    )


def test_orphans_gaps_and_irregular_names_are_warnings(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "go.mod": GO_MOD,
            "migrations/1_a.up.sql": "SELECT 1;",
            "migrations/1_a.down.sql": "SELECT 1;",
            "migrations/3_c.down.sql": "SELECT 1;",
            "migrations/4_d.up.sql": "SELECT 1;",
            "migrations/README.md": "notes",
            "migrations/seed.sql": "SELECT 1;",
        },
    )
    _, _, history = analysed(tmp_path)
    assert [m.id for m in history.migrations] == ["1", "3", "4"]
    text_of_warnings = " | ".join(str(w) for w in history.warnings)
    assert "3_c.down.sql: down without up" in text_of_warnings
    assert "4_d.up.sql: up without down" in text_of_warnings
    assert "gap in numbering: 2 missing" in text_of_warnings
    assert "seed.sql: irregular name" in text_of_warnings
    assert "README" not in text_of_warnings


def test_compose_command_gives_folder_and_dialect(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n  migrate:\n    image: migrate/migrate:v4.17.0\n"
                "    volumes:\n      - ./schema:/migrations\n"
                '    command: ["-path", "/migrations", "-database",'
                ' "postgres://app:s3cret@db:5432/app?sslmode=disable", "up"]\n'
            ),
            "schema/000001_init.up.sql": "CREATE TABLE a (id int);",
        },
    )
    _, config, history = analysed(tmp_path)
    assert config.migrations_dir == "schema"
    assert config.dialect == "postgresql"
    assert config.database_url is not None and "s3cret" not in config.database_url
    assert [m.id for m in history.migrations] == ["1"]


def test_dialect_from_env_example_and_from_go_mod_driver(tmp_path: Path) -> None:
    build(
        tmp_path / "a",
        {
            "go.mod": GO_MOD,
            "Makefile": "up:\n\tmigrate -path db/migrations -database $$DATABASE_URL up\n",
            ".env.example": "DATABASE_URL=sqlite3://data/app.db\n",
            "db/migrations/1_init.up.sql": "SELECT 1;",
        },
    )
    build(
        tmp_path / "b",
        {
            "go.mod": GO_MOD + "require github.com/jackc/pgx/v5 v5.5.0\n",
            "migrations/1_init.up.sql": "SELECT 1;",
            "migrations/1_init.down.sql": "SELECT 1;",
        },
    )
    _, config_a, _ = analysed(tmp_path / "a")
    _, config_b, _ = analysed(tmp_path / "b")
    assert config_a.dialect == "sqlite"
    assert config_a.database_url == "${DATABASE_URL}"
    assert config_b.dialect == "postgresql"


def test_lone_up_files_without_go_are_left_to_plain_sql(tmp_path: Path) -> None:
    build(tmp_path, {"migrations/001_init.up.sql": "SELECT 1;"})
    assert ADAPTER.detect(RepoFacts.load(tmp_path)) == []


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
    build(tmp_path, {"go.mod": GO_MOD, "Makefile": "up:\n\tmigrate -path db/migrations up\n"})
    err = _fails(tmp_path, HistoryError)
    assert "db/migrations" in str(err)


def test_duplicate_version_is_fatal(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "go.mod": GO_MOD,
            "migrations/1_a.up.sql": "SELECT 1;",
            "migrations/01_b.up.sql": "SELECT 1;",
        },
    )
    err = _fails(tmp_path, HistoryError)
    assert "duplicate migration version 1" in str(err)


def test_two_frameworks_present(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "go.mod": GO_MOD,
            "db/migrations/1_a.up.sql": "SELECT 1;",
            "db/migrations/1_a.down.sql": "SELECT 1;",
            "sql/V1__init.sql": "SELECT 1;",
        },
    )
    err = _fails(tmp_path, DetectionError)
    assert "golang_migrate" in str(err) and "flyway" in str(err)


def test_one_go_module_with_two_histories(tmp_path: Path) -> None:
    files = {"go.mod": GO_MOD + "require github.com/lib/pq v1.10.9\n"}
    for db in ("main", "analytics"):
        files[f"db/{db}/000001_init.up.sql"] = "SELECT 1;"
        files[f"db/{db}/000001_init.down.sql"] = "SELECT 1;"
    repo = RepoFacts.load(build(tmp_path, files))
    found = ADAPTER.detect(repo)
    assert sorted(e.root for e in found) == ["db/analytics", "db/main"]
    for evidence in found:
        config = ADAPTER.config(repo, evidence)
        assert config.migrations_dir == evidence.root
        assert config.dialect == "postgresql"
        assert "go.mod" in config.config_files
    err = _fails(tmp_path, DetectionError)
    assert "golang_migrate@db/main" in str(err)
