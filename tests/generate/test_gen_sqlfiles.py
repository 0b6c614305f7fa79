"""Plain numbered SQL generation, proven with migwright's SQL runner (`sqlfw_runner`).

Every operation kind runs on a hand-written "library" history in each dialect (a repo with
`.down.sql` files, so the down is a file); sqlfiles-legacy (SQLite, no down files) shows the
other shape, the down as a commented block at the end of the up file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import dialect_params, require_server
from sqlfw_roundtrip import (
    check_golden,
    copy_repo,
    library,
    matrix,
    mini_repo,
    render_files,
    roundtrip,
)

from migwright.tools.analysis import analyse
from migwright.tools.errors import ValidationFailed
from migwright.tools.frameworks import sqlfiles_render, sqlfw_runner
from migwright.tools.introspect import introspect
from migwright.tools.scratch import create_scratch


@pytest.mark.parametrize(("request_text", "dialect"), matrix("sqlfiles"))
def test_roundtrip(tmp_path: Path, request_text: str, dialect: str) -> None:
    repo = mini_repo("sqlfiles", dialect, tmp_path)
    run = roundtrip(repo, dialect, request_text, sqlfiles_render, sqlfw_runner)
    assert run.file().path.startswith("migrations/002_")
    if not run.plan.reverse.irreversible:
        assert run.file("down").path == sqlfiles_render.down_name(run.file().path)
    assert all("by migwright" in note for note in run.notes)


@pytest.mark.parametrize("dialect", dialect_params("sqlite"))
def test_legacy_commented_down(tmp_path: Path, dialect: str) -> None:
    repo = copy_repo("sqlfiles-legacy", tmp_path)
    request = (
        '--add-column "tasks.estimate integer not null default 0" '
        '--add-index "tasks (estimate) where done_at is null"'
    )
    run = roundtrip(repo, dialect, request, sqlfiles_render, sqlfw_runner)
    (migration,) = run.files
    assert (
        migration.path == "migrations/009_add_estimate_to_tasks_and_add_index_on_tasks_estimate.sql"
    )
    assert sqlfiles_render.DOWN_MARKER in migration.content
    assert sqlfiles_render.commented_down(migration.content) == (
        "DROP INDEX ix_tasks_estimate;\n\nALTER TABLE tasks DROP COLUMN estimate;\n"
    )


@pytest.mark.parametrize("dialect", dialect_params("sqlite"))
def test_legacy_irreversible(tmp_path: Path, dialect: str) -> None:
    """No down: the block says why, and migwright refuses to roll the file back."""
    repo = copy_repo("sqlfiles-legacy", tmp_path)
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db:
        sqlfw_runner.replay(analysis, db)
        before = introspect(db.engine())
    request = '--sql "CREATE VIEW open_tasks AS SELECT id, title FROM tasks WHERE done_at IS NULL"'
    (migration,) = render_files(repo, dialect, request, sqlfiles_render, before)
    assert sqlfiles_render.IRREVERSIBLE_MARKER in migration.content
    assert sqlfiles_render.commented_down(migration.content) is None
    (repo / migration.path).write_text(migration.content)
    analysis = analyse(repo)
    with create_scratch(dialect) as db:
        sqlfw_runner.replay(analysis, db)
        with pytest.raises(ValidationFailed, match="has no down"):
            sqlfw_runner.rollback(analysis.repo, analysis.config, db)


def test_commented_down_round_trip() -> None:
    """The block `render` writes reads back as the down SQL, notes and blank lines kept."""
    text = (
        "ALTER TABLE t ADD COLUMN c integer;\n\n"
        f"{sqlfiles_render.DOWN_MARKER}\n"
        "-- Not run by this migration: the statements that revert it, commented out. Run them\n"
        "-- without the leading '-- ' to revert by hand, or let migwright roll it back.\n"
        "-- -- a note\n"
        "-- ALTER TABLE t DROP COLUMN c;\n"
        "--\n"
        "-- DROP INDEX x;\n"
    )
    assert sqlfiles_render.commented_down(text) == (
        "-- a note\nALTER TABLE t DROP COLUMN c;\n\nDROP INDEX x;\n"
    )
    assert sqlfiles_render.commented_down("SELECT 1;\n") is None


GOLDEN_CASES = [
    ("add_column_pg", "postgresql", '--add-column "books.subtitle varchar(200)"'),
    ("drop_column_mysql", "mysql", '--drop-column "authors.bio"'),
    ("concurrent_index_pg", "postgresql", '--add-index "books (isbn, title) concurrently"'),
]


@pytest.mark.parametrize(("case", "dialect", "request_text"), GOLDEN_CASES)
def test_golden(tmp_path: Path, case: str, dialect: str, request_text: str) -> None:
    repo = mini_repo("sqlfiles", dialect, tmp_path)
    check_golden("sqlfiles", case, render_files(repo, dialect, request_text, sqlfiles_render))


def test_golden_commented_down(tmp_path: Path) -> None:
    repo = copy_repo("sqlfiles-legacy", tmp_path)
    before = library("sqlite")
    files = render_files(repo, "sqlite", '--drop-column "authors.bio"', sqlfiles_render, before)
    check_golden("sqlfiles", "legacy_drop_column_sqlite", files)
