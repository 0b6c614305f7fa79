"""Flyway adapter: the flyway-billing example against expected.toml, and malformed repos."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from migwright.tools.analysis import analyse
from migwright.tools.errors import ConfigError, DetectionError, HistoryError, MigwrightError
from migwright.tools.frameworks import registry
from migwright.tools.frameworks.base import FrameworkConfig, History
from migwright.tools.frameworks.flyway import ADAPTER
from migwright.tools.repo import RepoFacts
from migwright.tools.scratch import ScratchDatabase

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
REPO = REPOS / "flyway-billing"
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
    assert evidence, "flyway should detect the repo"
    config = ADAPTER.config(repo, evidence[0])
    return repo, config, ADAPTER.history(repo, config)


# ---------------------------------------------------------------------- the example repo


def test_only_flyway_detects_the_example() -> None:
    repo = RepoFacts.load(REPO)
    fired = {name for name, adapter in registry().items() if adapter.detect(repo)}
    assert fired == {"flyway"}


@pytest.mark.parametrize(
    "example", sorted(p.parent.name for p in REPOS.glob("*/expected.toml")), ids=str
)
def test_fires_exactly_on_flyway_examples(example: str) -> None:
    expected = tomllib.loads((REPOS / example / "expected.toml").read_text())
    found = ADAPTER.detect(RepoFacts.load(REPOS / example))
    assert bool(found) == (expected["framework"] == "flyway"), found


def test_config_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    [evidence] = ADAPTER.detect(repo)
    assert evidence.confidence > 0.9
    assert {r.path for r in evidence.reasons} >= {"flyway.conf", "sql"}
    config = ADAPTER.config(repo, evidence)
    assert config.dialect == EXPECTED["dialect"]
    assert config.migrations_dir == "sql"
    assert config.config_files == ("flyway.conf",)
    assert config.database_url == "jdbc:postgresql://localhost:5432/billing"


def test_history_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    history = ADAPTER.history(repo, config)
    assert len(history.migrations) == EXPECTED["count"]
    assert [m.id for m in history.migrations] == EXPECTED["order"]
    assert list(history.heads) == EXPECTED["heads"]
    assert history.last is not None and history.last.id == EXPECTED["last"]
    assert history.last.kind == "repeatable" and not history.last.has_down
    by_id = {m.id: m for m in history.migrations}
    assert by_id["1.10"].parents == ("1.9",)
    assert by_id["1.10"].has_down and not by_id["1.8"].has_down
    text_of_warnings = " | ".join(str(w) for w in history.warnings)
    for needle in EXPECTED["warnings"]:
        assert needle in text_of_warnings


def test_next_name_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    history = ADAPTER.history(repo, config)
    now = EXPECTED["now"]
    assert (
        ADAPTER.next_name(repo, config, history, EXPECTED["description"], now)
        == (EXPECTED["next_name"])
    )


@pytest.mark.postgres
def test_example_replays_on_postgres(pg_scratch: ScratchDatabase) -> None:
    """Every migration's SQL runs in Flyway's order; the last undo really undoes 1.11."""
    repo = RepoFacts.load(REPO)
    config = ADAPTER.config(repo, ADAPTER.detect(repo)[0])
    history = ADAPTER.history(repo, config)
    raw = pg_scratch.engine().raw_connection()
    try:
        cursor = raw.cursor()
        for ref in history.migrations:
            up, _ = ADAPTER.migration_sql(repo, config, ref)
            cursor.execute(up)
        raw.commit()
        _, undo = ADAPTER.migration_sql(repo, config, history.migrations[-2])
        assert undo is not None
        cursor.execute(undo)
        raw.commit()
    finally:
        raw.close()
    inspector = inspect(pg_scratch.engine())
    assert sorted(inspector.get_table_names()) == EXPECTED["tables"]
    assert "invoice_totals" in inspector.get_view_names()
    assert "currency" not in {c["name"] for c in inspector.get_columns("plans")}
    with pg_scratch.engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM plans")).scalar_one() == 3


# ---------------------------------------------------------------------- ordering and naming


def test_versions_order_numerically_and_repeatables_come_last(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "db/migration/V1_9__nine.sql": "SELECT 1;",
            "db/migration/V1_10__ten.sql": "SELECT 1;",
            "db/migration/V2__two.sql": "SELECT 1;",
            "db/migration/nested/V1_2_1__patch.sql": "SELECT 1;",
            "db/migration/R__b_view.sql": "SELECT 1;",
            "db/migration/R__a_view.sql": "SELECT 1;",
            "db/migration/notes.sql": "-- scratch",
        },
    )
    _, _, history = analysed(tmp_path)
    assert [m.id for m in history.migrations] == [
        "1.2.1", "1.9", "1.10", "2", "R__a_view", "R__b_view",
    ]  # fmt: skip
    assert any("irregular name" in str(w) and "notes.sql" in str(w) for w in history.warnings)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["V001__init.sql", "V002__add_users.sql"], "V003__add_shipped_at_to_orders.sql"),
        (["V1_8__init.sql", "V1_9__Add_users.sql"], "V1_10__Add_shipped_at_to_orders.sql"),
        (["V2.3.09__init.sql"], "V2.3.10__add_shipped_at_to_orders.sql"),
        (["V20240101120000__init.sql"], "V20260102030405__add_shipped_at_to_orders.sql"),
        (["V1__Init.sql", "V2__AddUsers.sql"], "V3__AddShippedAtToOrders.sql"),
    ],
)
def test_next_name_follows_the_scheme_in_use(
    tmp_path: Path, files: list[str], expected: str
) -> None:
    build(tmp_path, {f"db/migration/{name}": "SELECT 1;" for name in files})
    repo, config, history = analysed(tmp_path)
    name = ADAPTER.next_name(repo, config, history, "add shipped_at to orders", NOW)
    assert name == f"db/migration/{expected}"


def test_empty_history_starts_at_version_one(tmp_path: Path) -> None:
    build(tmp_path, {"flyway.conf": "flyway.locations=filesystem:sql\n", "sql/.keep": ""})
    repo, config, history = analysed(tmp_path)
    assert history.migrations == ()
    assert ADAPTER.next_name(repo, config, history, "init", NOW) == "sql/V1__init.sql"


# ---------------------------------------------------------------------- configuration


def test_flyway_toml_environment_url_is_shown_as_a_reference(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "flyway.toml": (
                '[environments.default]\nurl = "${env.FLYWAY_URL}"\n\n'
                '[flyway]\nenvironment = "default"\nlocations = ["filesystem:migrations"]\n'
            ),
            "migrations/V1__init.sql": "CREATE TABLE t (id int);",
        },
    )
    _, config, history = analysed(tmp_path)
    assert config.database_url == "${FLYWAY_URL}"
    assert config.migrations_dir == "migrations"
    assert [m.id for m in history.migrations] == ["1"]


def test_spring_boot_classpath_location_and_password_redacted(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "pom.xml": "<dependency><groupId>org.flywaydb</groupId></dependency>\n",
            "src/main/resources/application.properties": (
                "spring.datasource.url=jdbc:mysql://db:3306/app?user=app&password=hunter2\n"
                "spring.flyway.locations=classpath:db/migration\n"
            ),
            "src/main/resources/db/migration/V1__init.sql": "CREATE TABLE t (id int);",
        },
    )
    repo = RepoFacts.load(tmp_path)
    [evidence] = ADAPTER.detect(repo)
    config = ADAPTER.config(repo, evidence)
    assert config.migrations_dir == "src/main/resources/db/migration"
    assert config.dialect == "mysql"
    assert config.database_url is not None and "hunter2" not in config.database_url


def test_placeholders_are_substituted_for_replay(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "flyway.conf": "flyway.locations=filesystem:sql\nflyway.placeholders.owner=billing\n",
            "sql/V1__init.sql": "ALTER TABLE t OWNER TO ${owner}; -- ${flyway:filename}",
        },
    )
    repo, config, history = analysed(tmp_path)
    up, down = ADAPTER.migration_sql(repo, config, history.migrations[0])
    assert up == "ALTER TABLE t OWNER TO billing; -- V1__init.sql"
    assert down is None


# ---------------------------------------------------------------------- malformed repos


def _fails(root: Path, error: type[MigwrightError]) -> MigwrightError:
    before = snapshot(root)
    with pytest.raises(error) as caught:
        analyse(root)
    assert "\n" not in caught.value.one_line()
    assert caught.value.hint
    assert snapshot(root) == before
    return caught.value


def test_missing_location_directory(tmp_path: Path) -> None:
    build(tmp_path, {"flyway.conf": "flyway.locations=filesystem:sql\nflyway.url=jdbc:h2:mem\n"})
    err = _fails(tmp_path, HistoryError)
    assert "sql" in str(err) and "not found" in str(err)


def test_invalid_version_is_fatal(tmp_path: Path) -> None:
    build(tmp_path, {"sql/V1__init.sql": "SELECT 1;", "sql/V1.a__broken.sql": "SELECT 1;"})
    err = _fails(tmp_path, HistoryError)
    assert "sql/V1.a__broken.sql" in str(err)


def test_duplicate_versions_are_fatal(tmp_path: Path) -> None:
    build(tmp_path, {"sql/V1__init.sql": "SELECT 1;", "sql/V1.0__again.sql": "SELECT 1;"})
    err = _fails(tmp_path, HistoryError)
    assert "V1.0__again.sql" in str(err) and "V1__init.sql" in str(err)


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    build(
        tmp_path,
        {"flyway.toml": '[flyway]\nlocations = ["filesystem:sql"\n', "sql/V1__a.sql": "SELECT 1;"},
    )
    err = _fails(tmp_path, ConfigError)
    assert re.search(r"flyway\.toml:\d+", str(err))


def test_malformed_conf_line_names_the_line(tmp_path: Path) -> None:
    build(
        tmp_path,
        {"flyway.conf": "# billing\nflyway.locations=filesystem:sql\nflyway.url\n",
         "sql/V1__a.sql": "SELECT 1;"},
    )  # fmt: skip
    err = _fails(tmp_path, ConfigError)
    assert "flyway.conf:3" in str(err)


def test_two_frameworks_present(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "flyway.conf": "flyway.locations=filesystem:sql\n",
            "sql/V1__init.sql": "CREATE TABLE a (id int);",
            "db/migrations/20240101000000_init.sql": "-- migrate:up\nSELECT 1;\n-- migrate:down\n",
        },
    )
    err = _fails(tmp_path, DetectionError)
    assert "flyway" in str(err) and "dbmate" in str(err)
