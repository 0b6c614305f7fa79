"""golang-migrate generation, proven with migwright's re-implementation of `migrate`.

`migrate` is a Go binary neither Debian nor npm ships, so `sqlfw_runner` re-implements it;
these tests hold it to golang-migrate's behaviour: one `schema_migrations(version, dirty)`
row, a failed file leaving the database dirty (and every later run refusing), a missing down
file moving the version back without running anything, and PostgreSQL's multi-statement
strings running as one transaction (hence the split of CONCURRENTLY into its own migration).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import dialect_params, require_server
from sqlalchemy import text
from sqlfw_roundtrip import check_golden, copy_repo, matrix, mini_repo, render_files, roundtrip

from migwright.tools.analysis import analyse
from migwright.tools.errors import ValidationFailed
from migwright.tools.frameworks import golang_migrate_render, sqlfw_runner
from migwright.tools.introspect import introspect
from migwright.tools.scratch import create_scratch


@pytest.mark.parametrize(("request_text", "dialect"), matrix("golang_migrate"))
def test_roundtrip(tmp_path: Path, request_text: str, dialect: str) -> None:
    repo = mini_repo("golang_migrate", dialect, tmp_path)
    run = roundtrip(repo, dialect, request_text, golang_migrate_render, sqlfw_runner)
    assert run.file().path.startswith("db/migrations/000002_")
    assert run.file().path.endswith(".up.sql")
    assert all("golang-migrate semantics" in note for note in run.notes)


@pytest.mark.parametrize("dialect", dialect_params("mysql"))
def test_events(tmp_path: Path, dialect: str) -> None:
    """golang-migrate-events (MariaDB), whose history has an up file without a down."""
    repo = copy_repo("golang-migrate-events", tmp_path)
    request = (
        '--add-column "tickets.refunded_at datetime" --add-index "tickets (refunded_at)" '
        '--drop-column "check_ins.gate"'
    )
    run = roundtrip(repo, dialect, request, golang_migrate_render, sqlfw_runner)
    up, down = run.files
    assert up.path == (
        "db/migrations/000009_add_refunded_at_to_tickets_add_index_on_tickets_refunded_at"
        "_and_1_more.up.sql"
    )
    assert down.path == up.path.replace(".up.sql", ".down.sql")
    assert "the values of check_ins.gate" in down.content


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_concurrent_index_gets_its_own_migration(tmp_path: Path, dialect: str) -> None:
    repo = mini_repo("golang_migrate", dialect, tmp_path)
    request = '--add-column "books.subtitle text" --add-index "books (subtitle) concurrently"'
    run = roundtrip(repo, dialect, request, golang_migrate_render, sqlfw_runner)
    assert [Path(f.path).name for f in run.files] == [
        "000002_add_subtitle_to_books_and_add_index_on_books_subtitle.up.sql",
        "000002_add_subtitle_to_books_and_add_index_on_books_subtitle.down.sql",
        "000003_add_subtitle_to_books_and_add_index_on_books_subtitle_2.up.sql",
        "000003_add_subtitle_to_books_and_add_index_on_books_subtitle_2.down.sql",
    ]
    assert "CONCURRENTLY" not in run.files[0].content
    assert "CREATE INDEX CONCURRENTLY" in run.files[2].content


def _version(db_engine: object) -> list[tuple[int, bool]]:
    with db_engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(text("SELECT version, dirty FROM schema_migrations")).all()
    return [(int(r[0]), bool(r[1])) for r in rows]


@pytest.mark.parametrize("dialect", dialect_params())
def test_failed_migration_leaves_database_dirty(tmp_path: Path, dialect: str) -> None:
    repo = mini_repo("golang_migrate", dialect, tmp_path)
    folder = repo / "db/migrations"
    (folder / "000002_broken.up.sql").write_text("CREATE TABLE half (id integer);\nSELEC 1;\n")
    (folder / "000002_broken.down.sql").write_text("DROP TABLE half;\n")
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db:
        with pytest.raises(ValidationFailed, match="dirty at version 2"):
            sqlfw_runner.apply(analysis.repo, analysis.config, db)
        assert _version(db.engine()) == [(2, True)]
        # PostgreSQL and SQLite ran the file in one transaction; MySQL kept what it did
        has_half = "half" in introspect(db.engine()).table_names
        assert has_half == (dialect == "mysql")
        for call in (sqlfw_runner.apply, sqlfw_runner.rollback):
            with pytest.raises(ValidationFailed, match=r"Dirty database version 2\. Fix and force"):
                call(analysis.repo, analysis.config, db)


@pytest.mark.parametrize("dialect", dialect_params("sqlite"))
def test_missing_down_file_moves_the_version_only(tmp_path: Path, dialect: str) -> None:
    """As `migrate down`: no down file, nothing runs, the version still goes back."""
    repo = mini_repo("golang_migrate", dialect, tmp_path)
    (repo / "db/migrations/000002_add_note.up.sql").write_text(
        "ALTER TABLE tags ADD COLUMN note TEXT;\n"
    )
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db:
        sqlfw_runner.apply(analysis.repo, analysis.config, db)
        assert _version(db.engine()) == [(2, False)]
        note = sqlfw_runner.rollback(analysis.repo, analysis.config, db)
        assert "no down file for 2" in note
        assert _version(db.engine()) == [(1, False)]
        assert introspect(db.engine()).table("tags").has_column("note")
        sqlfw_runner.rollback(analysis.repo, analysis.config, db)
        assert _version(db.engine()) == []


GOLDEN_CASES = [
    ("add_column_mysql", "mysql", '--add-column "books.subtitle varchar(200)"'),
    (
        "column_then_concurrent_index_pg",
        "postgresql",
        '--add-column "books.subtitle text" --add-index "books (subtitle) concurrently"',
    ),
    ("irreversible_pg", "postgresql", '--create-enum "mood (happy)" --add-enum-value "mood.sad"'),
    (
        "create_table_sqlite",
        "sqlite",
        '--create-table "reviews (id integer generated always as identity primary key, '
        "book_id integer not null references books(id) on delete cascade, "
        'rating smallint not null, check (rating > 0))"',
    ),
]


@pytest.mark.parametrize(("case", "dialect", "request_text"), GOLDEN_CASES)
def test_golden(tmp_path: Path, case: str, dialect: str, request_text: str) -> None:
    repo = mini_repo("golang_migrate", dialect, tmp_path)
    files = render_files(repo, dialect, request_text, golang_migrate_render)
    check_golden("golang_migrate", case, files)
