"""Drizzle adapter: drizzle-notes against expected.toml, config variants, malformed repos."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect

from migwright.tools.analysis import analyse
from migwright.tools.errors import ConfigError, DetectionError, HistoryError, MigwrightError
from migwright.tools.frameworks import registry
from migwright.tools.frameworks.base import FrameworkConfig, History
from migwright.tools.frameworks.drizzle import ADAPTER, journal_entry, split_statements
from migwright.tools.repo import RepoFacts
from migwright.tools.scratch import ScratchDatabase

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
REPO = REPOS / "drizzle-notes"
EXPECTED = tomllib.loads((REPO / "expected.toml").read_text())
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
PACKAGE = json.dumps({"dependencies": {"drizzle-orm": "^0.38.3"},
                      "devDependencies": {"drizzle-kit": "^0.30.1"}}, indent=2)  # fmt: skip
CONFIG = """import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/schema.ts",
  out: "./drizzle",
  dbCredentials: { url: "file:./local.db" },
});
"""
SQL = "CREATE TABLE `{0}` (\n\t`id` integer PRIMARY KEY NOT NULL\n);\n"


def build(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def journal(*tags: str, dialect: str = "sqlite") -> str:
    entries = [{"idx": i, "version": "6", "when": 1700000000000 + i, "tag": tag,
                "breakpoints": True} for i, tag in enumerate(tags)]  # fmt: skip
    return json.dumps({"version": "7", "dialect": dialect, "entries": entries}, indent=2)


def small_repo(root: Path, config: str = CONFIG, out: str = "drizzle") -> Path:
    return build(
        root,
        {
            "package.json": PACKAGE,
            "drizzle.config.ts": config,
            f"{out}/0000_cool_start.sql": SQL.format("users"),
            f"{out}/0001_quiet_posts.sql": SQL.format("posts"),
            f"{out}/meta/_journal.json": journal("0000_cool_start", "0001_quiet_posts"),
        },
    )


def analysed(root: Path) -> tuple[RepoFacts, FrameworkConfig, History]:
    repo = RepoFacts.load(root)
    evidence = ADAPTER.detect(repo)
    assert evidence, "drizzle should detect the repo"
    config = ADAPTER.config(repo, evidence[0])
    return repo, config, ADAPTER.history(repo, config)


def warnings_text(history: History) -> str:
    return " | ".join(str(w) for w in history.warnings)


# ---------------------------------------------------------------------- the example repo


def test_only_drizzle_detects_the_example() -> None:
    repo = RepoFacts.load(REPO)
    fired = {name for name, adapter in registry().items() if adapter.detect(repo)}
    assert fired == {"drizzle"}


@pytest.mark.parametrize(
    "example", sorted(p.parent.name for p in REPOS.glob("*/expected.toml")), ids=str
)
def test_fires_exactly_on_drizzle_examples(example: str) -> None:
    expected = tomllib.loads((REPOS / example / "expected.toml").read_text())
    found = ADAPTER.detect(RepoFacts.load(REPOS / example))
    assert bool(found) == (expected["framework"] == "drizzle"), found


def test_evidence_and_config_of_the_example() -> None:
    repo = RepoFacts.load(REPO)
    [evidence] = ADAPTER.detect(repo)
    lines = {(r.path, r.line) for r in evidence.reasons}
    assert ("drizzle.config.ts", 4) in lines
    assert "drizzle/meta/_journal.json" in {r.path for r in evidence.reasons}
    config = ADAPTER.config(repo, evidence)
    assert config.dialect == EXPECTED["dialect"]
    assert config.migrations_dir == "drizzle"
    assert config.database_url == "${DATABASE_URL}"  # process.env.DATABASE_URL!
    assert config.settings["schema"] == "./src/db/schema.ts"
    assert config.settings["prefix"] == "index"


def test_history_of_the_example() -> None:
    _, _, history = analysed(REPO)
    assert len(history.migrations) == EXPECTED["count"]
    assert list(history.heads) == EXPECTED["heads"]
    assert history.last is not None and history.last.id == EXPECTED["last"]
    assert [m.id[:4] for m in history.migrations] == ["0000", "0001", "0002", "0003", "0004"]
    assert not any(m.has_down for m in history.migrations)
    text = warnings_text(history)
    for needle in EXPECTED["warnings"]:
        assert needle in text
    assert len(history.warnings) == 1


def test_next_name_of_the_example_and_its_journal_entry() -> None:
    repo, config, history = analysed(REPO)
    name = ADAPTER.next_name(repo, config, history, EXPECTED["description"], EXPECTED["now"])
    assert name == EXPECTED["next_name"]
    tag = Path(name).stem
    entry = journal_entry(history, tag, NOW)
    assert entry == {"idx": 5, "version": "7", "when": 1767323045000, "tag": tag,
                     "breakpoints": True}  # fmt: skip


@pytest.mark.postgres
def test_example_replays_on_postgres(pg_scratch: ScratchDatabase) -> None:
    """Only the journal's migrations run; the unlisted seed file would fail on no tables."""
    repo, config, history = analysed(REPO)
    engine = pg_scratch.engine()
    for ref in history.migrations:
        up, down = ADAPTER.migration_sql(repo, config, ref)
        assert down is None and "-->" not in up
        with engine.begin() as conn:
            conn.exec_driver_sql(up)
    assert sorted(inspect(engine).get_table_names()) == EXPECTED["tables"]


def test_statements_split_where_drizzle_splits_them() -> None:
    sql = 'CREATE TABLE "a" (id int);--> statement-breakpoint\nCREATE INDEX "i" ON "a" (id);'
    assert split_statements(sql) == ['CREATE TABLE "a" (id int);', 'CREATE INDEX "i" ON "a" (id);']


# ---------------------------------------------------------------------- variants


def test_sqlite_config_with_a_literal_url(tmp_path: Path) -> None:
    repo, config, history = analysed(small_repo(tmp_path))
    assert (config.dialect, config.database_url) == ("sqlite", "file:./local.db")
    assert [m.id for m in history.migrations] == ["0000_cool_start", "0001_quiet_posts"]
    assert history.warnings == ()
    assert ADAPTER.next_name(repo, config, history, "Add tags", NOW) == "drizzle/0002_add_tags.sql"


def test_older_config_with_driver_and_satisfies(tmp_path: Path) -> None:
    config = (
        'import type { Config } from "drizzle-kit";\n\nexport default {\n'
        '  schema: "./src/schema.ts",\n  out: "./migrations",\n  driver: "mysql2",\n'
        "  dbCredentials: { connectionString: `mysql://app:pw1234@db/${process.env.DB_NAME}` },\n"
        "} satisfies Config;\n"
    )
    small_repo(tmp_path, config, out="migrations")
    (tmp_path / "migrations/meta/_journal.json").write_text(
        journal("0000_cool_start", "0001_quiet_posts", dialect="mysql")
    )
    _, found, history = analysed(tmp_path)
    assert found.dialect == "mysql"
    assert found.migrations_dir == "migrations"
    assert found.database_url == "mysql://app:***@db/${DB_NAME}"
    assert history.warnings == ()


def test_json_config_prefix_modes_and_journal_oddities(tmp_path: Path) -> None:
    small_repo(tmp_path)
    (tmp_path / "drizzle.config.ts").unlink()
    build(
        tmp_path,
        {
            "drizzle.config.json": json.dumps(
                {"dialect": "sqlite", "out": "./drizzle", "migrations": {"prefix": "timestamp"}}
            ),
            "drizzle/meta/_journal.json": journal(
                "0000_cool_start", "0001_quiet_posts", dialect="postgresql"
            ).replace('"idx": 1', '"idx": 7'),
        },
    )
    repo, config, history = analysed(tmp_path)
    text = warnings_text(history)
    assert "journal entry 0001_quiet_posts has idx 7 at position 1" in text
    assert "the journal was written for postgresql but the config says sqlite" in text
    assert ADAPTER.next_name(repo, config, history, "x", NOW) == "drizzle/20260102030405_x.sql"


# ---------------------------------------------------------------------- malformed repos


def _fails(root: Path, error: type[MigwrightError]) -> MigwrightError:
    before = snapshot(root)
    with pytest.raises(error) as caught:
        analyse(root)
    assert "\n" not in caught.value.one_line()
    assert caught.value.hint
    assert snapshot(root) == before
    return caught.value


def test_missing_out_directory(tmp_path: Path) -> None:
    build(tmp_path, {"package.json": PACKAGE, "drizzle.config.ts": CONFIG})
    err = _fails(tmp_path, HistoryError)
    assert str(err).startswith("drizzle:")


def test_missing_journal(tmp_path: Path) -> None:
    small_repo(tmp_path)
    (tmp_path / "drizzle/meta/_journal.json").unlink()
    err = _fails(tmp_path, HistoryError)
    assert "drizzle/meta/_journal.json" in str(err)


def test_unparsable_journal_names_the_line(tmp_path: Path) -> None:
    small_repo(tmp_path)
    (tmp_path / "drizzle/meta/_journal.json").write_text('{\n  "entries": [\n    {"idx": 0,}\n')
    err = _fails(tmp_path, HistoryError)
    assert "drizzle/meta/_journal.json:3" in str(err)


def test_journal_entry_without_its_file(tmp_path: Path) -> None:
    small_repo(tmp_path)
    (tmp_path / "drizzle/0001_quiet_posts.sql").unlink()
    err = _fails(tmp_path, HistoryError)
    assert "drizzle/meta/_journal.json:16" in str(err)  # the entry's tag line
    assert "drizzle/0001_quiet_posts.sql" in str(err)


def test_config_without_dialect(tmp_path: Path) -> None:
    small_repo(tmp_path, CONFIG.replace('  dialect: "sqlite",\n', ""))
    err = _fails(tmp_path, ConfigError)
    assert "drizzle.config.ts:3" in str(err) and "dialect" in err.hint


def test_config_syntax_error(tmp_path: Path) -> None:
    small_repo(tmp_path, CONFIG.replace('out: "./drizzle"', 'out: "./drizzle'))
    err = _fails(tmp_path, ConfigError)
    assert "drizzle.config.ts:6" in str(err)


def test_two_frameworks_present(tmp_path: Path) -> None:
    small_repo(tmp_path)
    build(tmp_path, {"knexfile.js": "module.exports = { client: 'sqlite3' };\n"})
    err = _fails(tmp_path, DetectionError)
    assert "drizzle" in str(err) and "knex" in str(err)
