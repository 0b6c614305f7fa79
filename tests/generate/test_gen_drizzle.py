"""Drizzle generation: every operation kind onto drizzle-notes, proven with drizzle's migrator.

Each case renders a request as a drizzle SQL file plus its `_journal.json` entry and rollback
script, writes them and runs journal + new migration up (drizzle-orm's `migrate()`), down (the
rollback script through migwright's SQL runner, and the journal row removed) and up again on
a scratch database, comparing the introspected schema with the plan at every step.
drizzle-notes is a PostgreSQL project; for SQLite and MySQL the copy is retargeted first: its
drizzle.config says the other dialect and its journal is replaced by one migration rendered
for that dialect (the same six tables). Golden files pin the rendered text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import dialect_params, require_server
from js_roundtrip import NOW, copy_repo, file_of, roundtrip, write

from migwright.tools.analysis import analyse
from migwright.tools.errors import DialectError, HistoryError
from migwright.tools.frameworks import drizzle_render, drizzle_runner
from migwright.tools.frameworks.drizzle import split_statements
from migwright.tools.frameworks.render import File, MigrationPlan
from migwright.tools.ops import apply_all
from migwright.tools.schema import Schema
from migwright.tools.scratch import create_scratch
from migwright.tools.spec import parse_request

REPO = "drizzle-notes"
ALL = ("sqlite", "postgresql", "mysql")

#: drizzle-notes' tables for dialects other than PostgreSQL (permission is an enum there).
BASE = (
    '--create-table "users (id integer generated always as identity primary key, '
    "email varchar(255) not null unique, display_name varchar(80) not null, "
    'created_at timestamp not null default now())" '
    '--create-table "notebooks (id integer generated always as identity primary key, '
    "user_id integer not null references users(id) on delete cascade, "
    'name varchar(120) not null)" '
    '--create-table "notes (id integer generated always as identity primary key, '
    "user_id integer not null references users(id) on delete cascade, "
    "notebook_id integer references notebooks(id) on delete set null, "
    "title varchar(200) not null, body text, pinned boolean not null default false, "
    'archived_at timestamp, updated_at timestamp)" '
    '--create-table "tags (id integer generated always as identity primary key, '
    "user_id integer not null references users(id) on delete cascade, "
    'name varchar(50) not null, unique (user_id, name))" '
    '--create-table "note_tags (note_id integer not null references notes(id) on delete '
    "cascade, tag_id integer not null references tags(id) on delete cascade, "
    'primary key (note_id, tag_id))" '
    '--create-table "shares (id integer generated always as identity primary key, '
    "note_id integer not null references notes(id) on delete cascade, "
    "user_id integer not null references users(id) on delete cascade, "
    "permission varchar(10) not null default 'read', "
    "created_at timestamp not null default now(), unique (note_id, user_id), "
    'check (note_id > 0))" '
    '--add-index "notes (title)"'
)


def _per_dialect(postgresql: str, sqlite: str, mysql: str | None = None) -> dict[str, str]:
    return {"postgresql": postgresql, "sqlite": sqlite, "mysql": mysql or sqlite}


#: (case id, request (or per-dialect requests), dialects it runs on)
CASES: list[tuple[str, str | dict[str, str], tuple[str, ...]]] = [
    (
        "columns",
        '--add-column "notes.shipped_at timestamptz" '
        '--add-column "notes.priority integer not null default 3" '
        '--drop-column "notes.archived_at" --rename-column "notebooks.name to title"',
        ALL,
    ),
    (
        "alter_columns",
        _per_dialect(
            '--alter-table "notes alter column title type varchar(300), '
            'alter column archived_at set default now()"',
            '--alter-table "shares alter column permission type varchar(20), '
            'alter column created_at drop not null"',
        ),
        ALL,
    ),
    (
        "tables",
        '--create-table "attachments (id integer generated always as identity primary key, '
        "note_id integer not null references notes(id) on delete cascade, "
        'url varchar(300) not null unique, size_bytes bigint, check (size_bytes >= 0))" '
        '--rename-table "note_tags to note_labels" --drop-table "shares"',
        ALL,
    ),
    (
        "indexes",
        _per_dialect(
            '--add-index "notes (notebook_id, pinned)" --add-index "tags (name) unique" '
            '--add-index "notes (title) where pinned" '
            '--drop-index "notes.notes_user_id_updated_at_idx"',
            '--add-index "notes (notebook_id, pinned)" --add-index "tags (name) unique" '
            '--add-index "notes (body) where pinned" --drop-index "notes.ix_notes_title"',
            '--add-index "notes (notebook_id, pinned)" --add-index "tags (name) unique" '
            '--drop-index "notes.ix_notes_title"',
        ),
        ALL,
    ),
    (
        "constraints",
        {
            dialect: '--add-column "shares.notebook_id integer" '
            '--add-fk "shares.notebook_id -> notebooks.id on delete set null" '
            '--add-unique "shares (notebook_id, user_id)" --add-check "shares user_id > 0" '
            f'--drop-constraint "shares.{dropped}"'
            for dialect, dropped in (
                ("postgresql", "shares_note_id_user_id_unique"),
                ("sqlite", "ck_shares_note_id"),
                ("mysql", "ck_shares_note_id"),
            )
        },
        ALL,
    ),
    ("backfill", "--backfill \"notes.title = 'untitled' where title = ''\"", ALL),
    (
        "enum_type",
        '--create-enum "priority (low, high)" '
        "--add-column \"notes.priority priority not null default 'low'\"",
        ("postgresql",),
    ),
    ("drop_enum", '--drop-table "shares" --sql "DROP TYPE share_permission"', ("postgresql",)),
]


def _params() -> list[object]:
    out = []
    for case, request, dialects in CASES:
        for param in dialect_params(*dialects):
            (dialect,) = param.values
            text = request if isinstance(request, str) else request[str(dialect)]
            out.append(pytest.param(text, dialect, id=f"{case}-{param.id}", marks=param.marks))
    return out


def render(*args: object) -> list[File]:
    """drizzle_render.render at the tests' fixed clock (journal `when`s are reproducible)."""
    return drizzle_render.render(*args, now=NOW)  # type: ignore[arg-type]


def retarget(dialect: str) -> Callable[[Path], None]:
    """For SQLite and MySQL: the config's dialect, and a journal for that dialect."""

    def prepare(repo: Path) -> None:
        if dialect == "postgresql":
            return
        config = repo / "drizzle.config.ts"
        config.write_text(
            config.read_text().replace('dialect: "postgresql"', f'dialect: "{dialect}"')
        )
        out = repo / "drizzle"
        for old in [*out.glob("*.sql"), *(out / "meta").iterdir()]:
            old.unlink()
        journal = {"version": "7", "dialect": dialect, "entries": []}
        (out / "meta" / "_journal.json").write_text(json.dumps(journal, indent=2))
        analysis = analyse(repo)
        req = parse_request(BASE, dialect=dialect, schema=Schema())
        name = analysis.next_name("initial schema", NOW)
        plan = MigrationPlan(req.operations, Schema(), dialect, "initial schema", name)
        write(
            repo,
            drizzle_render.render(
                analysis.repo, analysis.config, analysis.history, plan, NOW.replace(year=2024)
            ),
        )

    return prepare


@pytest.mark.parametrize(("request_text", "dialect"), _params())
def test_roundtrip(tmp_path: Path, request_text: str, dialect: str) -> None:
    repo = copy_repo(REPO, tmp_path)
    run = roundtrip(repo, dialect, request_text, render, drizzle_runner, retarget(dialect))
    migration = file_of(run)
    assert migration.path.startswith("drizzle/0")
    assert split_statements(migration.content)  # the migrator finds statements in it
    journal = json.loads(file_of(run, "journal").content)
    assert journal["entries"][-1]["tag"] == migration.path[len("drizzle/") : -len(".sql")]
    assert file_of(run, "rollback").path.startswith("drizzle/rollback/")
    assert "drizzle-orm migrate()" in run.notes[0]
    assert "rollback scripts of" in run.notes[2]


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_irreversible_has_no_rollback_script(tmp_path: Path, dialect: str) -> None:
    repo = copy_repo(REPO, tmp_path)
    run = roundtrip(
        repo, dialect, '--add-enum-value "share_permission.owner"', render, drizzle_runner
    )
    assert [f.kind for f in run.files] == ["migration", "journal"]
    text = file_of(run).content
    assert "-- Irreversible, so there is no rollback script: add value 'owner'" in text
    assert "PostgreSQL 12 and later allow that" in text
    with create_scratch(dialect, require_server(dialect)) as db:
        drizzle_runner.apply(run.analysis.repo, run.analysis.config, db)
        with pytest.raises(HistoryError, match="has no rollback script"):
            drizzle_runner.rollback(run.analysis.repo, run.analysis.config, db)


@pytest.mark.parametrize("dialect", dialect_params("sqlite"))
def test_rollback_counts_what_was_applied(tmp_path: Path, dialect: str) -> None:
    repo = copy_repo(REPO, tmp_path)
    retarget(dialect)(repo)
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db:
        drizzle_runner.apply(analysis.repo, analysis.config, db)
        note = drizzle_runner.rollback(analysis.repo, analysis.config, db)
        assert note.startswith("rollback scripts of 0000_initial_schema")
        with pytest.raises(HistoryError, match="only 0 were applied"):
            drizzle_runner.rollback(analysis.repo, analysis.config, db)
        drizzle_runner.apply(analysis.repo, analysis.config, db)  # runs again after rollback


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_upto_stops_the_journal(tmp_path: Path, dialect: str) -> None:
    repo = copy_repo(REPO, tmp_path)
    analysis = analyse(repo)
    with create_scratch(dialect, require_server(dialect)) as db:
        note = drizzle_runner.apply(analysis.repo, analysis.config, db, "0001_cuddly_ogun")
        assert "up to 0001_cuddly_ogun: 2 migrations" in note
        with db.engine().connect() as conn:
            from migwright.tools.introspect import introspect

            assert [t.name for t in introspect(conn).tables] == ["notebooks", "notes", "users"]


# ---------------------------------------------------------------------------------------------
# Refusals, golden files (no database)
# ---------------------------------------------------------------------------------------------

GOLDEN = Path(__file__).parent / "golden"

_TABLES = (
    '--create-table "users (id integer generated always as identity primary key, '
    'email varchar(255) not null unique)" '
    '--create-table "notes (id integer generated always as identity primary key, '
    "user_id integer not null references users(id) on delete cascade, "
    'title varchar(200) not null)"'
)


def _plan(tmp_path: Path, dialect: str, request: str) -> tuple[MigrationPlan, object]:
    repo = copy_repo(REPO, tmp_path)
    analysis = analyse(repo)
    before = apply_all(parse_request(_TABLES, dialect=dialect).operations, Schema())
    req = parse_request(request, dialect=dialect, schema=before)
    name = analysis.next_name(req.description, NOW)
    return MigrationPlan(req.operations, before, dialect, req.description, name), analysis


def _render(tmp_path: Path, dialect: str, request: str) -> list[File]:
    plan, analysis = _plan(tmp_path, dialect, request)
    return render(analysis.repo, analysis.config, analysis.history, plan)  # type: ignore[attr-defined]


def test_concurrently_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DialectError, match="one transaction") as err:
        _render(tmp_path, "postgresql", '--add-index "notes (title) concurrently"')
    assert "drop the concurrently option" in err.value.hint


def test_sqlite_rebuild_of_a_referenced_table_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DialectError, match="would cascade to notes"):
        _render(tmp_path, "sqlite", '--add-check "users length(email) > 3"')
    files = _render(tmp_path / "ok", "sqlite", '--add-check "notes length(title) > 0"')
    assert "PRAGMA foreign_keys=OFF;" in file_of_kind(files, "migration").content


def file_of_kind(files: list[File], kind: str) -> File:
    return next(f for f in files if f.kind == kind)


GOLDEN_CASES = [
    ("drizzle_add_column_pg", "postgresql", '--add-column "notes.shipped_at timestamptz"'),
    (
        "drizzle_create_table_mysql",
        "mysql",
        '--create-table "attachments (id integer generated always as identity primary key, '
        "note_id integer not null references notes(id) on delete cascade, "
        'url varchar(300) not null unique, check (char_length(url) > 0))" '
        '--add-index "attachments (note_id, url)"',
    ),
    ("drizzle_backfill_sqlite", "sqlite", "--backfill \"notes.title = 'x' where title = ''\""),
]


@pytest.mark.parametrize(("golden", "dialect", "request_text"), GOLDEN_CASES)
def test_golden(tmp_path: Path, golden: str, dialect: str, request_text: str) -> None:
    files = _render(tmp_path, dialect, request_text)
    journal = json.loads(file_of_kind(files, "journal").content)
    assert journal["entries"][-1] == {
        "idx": 5,
        "version": "7",
        "when": 1767323045000,
        "tag": file_of_kind(files, "migration").path[len("drizzle/") : -len(".sql")],
        "breakpoints": True,
    }
    original = json.loads((tmp_path / REPO / "drizzle/meta/_journal.json").read_text())
    assert journal["entries"][:-1] == original["entries"]
    for kind, suffix in (("migration", ".sql"), ("rollback", ".rollback.sql")):
        text = file_of_kind(files, kind).content
        expected = GOLDEN / f"{golden}{suffix}"
        if not expected.exists():  # first run writes the file for review
            expected.write_text(text, encoding="utf-8")
        assert text == expected.read_text(encoding="utf-8")
