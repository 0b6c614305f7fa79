"""dbmate generation, proven with the real dbmate (the npm package ships its Go binary).

Every operation kind runs on a hand-written "library" history in each dialect; dbmate-library
(SQLite) gets cases of its own, including its last migration, whose down section is empty.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import dialect_params, require_server
from sqlfw_roundtrip import check_golden, copy_repo, matrix, mini_repo, render_files, roundtrip

from migwright.tools.analysis import analyse
from migwright.tools.errors import ValidationFailed
from migwright.tools.frameworks import dbmate_render, dbmate_runner
from migwright.tools.frameworks.node import HARNESS
from migwright.tools.introspect import introspect
from migwright.tools.scratch import create_scratch


@pytest.fixture(autouse=True)
def _dbmate() -> None:
    """Skip (locally) or fail (CI=true) when the dbmate npm package is not installed."""
    if (HARNESS / "dbmate" / "package.json").is_file():
        return
    why = f"dbmate is not installed: run `npm ci` in {HARNESS.parent}"
    if os.environ.get("CI") == "true":
        pytest.fail(why, pytrace=False)
    pytest.skip(why)


@pytest.mark.parametrize(("request_text", "dialect"), matrix("dbmate"))
def test_roundtrip(tmp_path: Path, request_text: str, dialect: str) -> None:
    repo = mini_repo("dbmate", dialect, tmp_path)
    run = roundtrip(repo, dialect, request_text, dbmate_render, dbmate_runner)
    assert run.file().path.startswith("db/migrations/20260102030405_")
    assert run.file().content.startswith(("-- migrate:up", "-- Part of"))
    assert all("dbmate" in note for note in run.notes)


@pytest.mark.parametrize("dialect", dialect_params("sqlite"))
def test_library(tmp_path: Path, dialect: str) -> None:
    repo = copy_repo("dbmate-library", tmp_path)
    request = (
        '--add-column "loans.renewals integer not null default 0" '
        '--add-check "loans renewals <= 3" '
        '--alter-table "members alter column email set not null"'
    )
    run = roundtrip(repo, dialect, request, dbmate_render, dbmate_runner)
    text = run.file().content
    assert "-- migrate:up transaction:false" in text  # SQLite's rebuild: PRAGMA outside
    assert "BEGIN;" in text and "COMMIT;" in text


@pytest.mark.parametrize("dialect", dialect_params("sqlite"))
def test_empty_down_section_is_refused(tmp_path: Path, dialect: str) -> None:
    """dbmate would record create_fines (empty down) as rolled back and change nothing."""
    repo = copy_repo("dbmate-library", tmp_path)
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db:
        dbmate_runner.replay(analysis, db)
        with pytest.raises(ValidationFailed, match="empty down section") as err:
            dbmate_runner.rollback(analysis.repo, analysis.config, db)
        assert "dropping the table would lose payments" in str(err.value)
        assert "fines" in introspect(db.engine()).table_names
        assert dbmate_runner.applied(analysis.config, db)[-1] == "20240301090000"


@pytest.mark.parametrize("dialect", dialect_params("sqlite"))
def test_replay_upto(tmp_path: Path, dialect: str) -> None:
    repo = copy_repo("dbmate-library", tmp_path)
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db:
        result = dbmate_runner.replay(analysis, db, upto="20240120101000")
        assert result.applied[-1] == "20240120101000" and len(result.applied) == 4
        assert introspect(db.engine()).table_names == ("authors", "books", "loans", "members")


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_failure_names_the_error(tmp_path: Path, dialect: str) -> None:
    repo = mini_repo("dbmate", dialect, tmp_path)
    (repo / "db/migrations/20990101000000_broken.sql").write_text(
        "-- migrate:up\nCREATE TABLE nope (;\n\n-- migrate:down\nDROP TABLE nope;\n"
    )
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db, pytest.raises(ValidationFailed) as err:
        dbmate_runner.apply(analysis.repo, analysis.config, db)
    assert "dbmate migrate" in str(err.value) and "syntax error" in str(err.value)


GOLDEN_CASES = [
    ("add_column_sqlite", "sqlite", '--add-column "books.subtitle varchar(200)"'),
    (
        "column_then_concurrent_index_pg",
        "postgresql",
        '--add-column "books.subtitle text" --add-index "books (subtitle) concurrently"',
    ),
    ("alter_type_sqlite", "sqlite", '--alter-table "tags alter column label type varchar(80)"'),
    ("backfill_pg", "postgresql", "--backfill \"authors.bio = 'n/a' where bio is null\""),
    ("irreversible_pg", "postgresql", '--create-enum "mood (happy)" --add-enum-value "mood.sad"'),
]


@pytest.mark.parametrize(("case", "dialect", "request_text"), GOLDEN_CASES)
def test_golden(tmp_path: Path, case: str, dialect: str, request_text: str) -> None:
    repo = mini_repo("dbmate", dialect, tmp_path)
    check_golden("dbmate", case, render_files(repo, dialect, request_text, dbmate_render))
