"""`migwright chat` as its user meets it: a terminal, typed lines, files that appear and go.

The sessions run in a pseudo-terminal (pexpect) on a copy of evals/repos/alembic-blog (SQLite,
so no server is needed): a request, its plan, "n" (nothing written), a follow-up, "y" (files
written after validation), /undo (files gone). Plain English goes to a scripted model server
(tests/fake_llm_server.py) through the real OpenAI SDK. The follow-up editing, the offline
advice and the undo records are also tested directly, without a terminal.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest
from conftest import require_server
from fake_llm_server import FakeLLMServer, Reply
from rich.console import Console

from migwright.agent.chat_commands import follow_up
from migwright.agent.chat_english import offline_line, structured_hint
from migwright.agent.chat_files import Snapshot, show_file, undo
from migwright.tools.errors import SpecError
from migwright.tools.frameworks.render import File
from migwright.tools.schema import Column, Schema, Table
from migwright.tools.spec import Request, parse_request

EXAMPLE = Path(__file__).resolve().parents[2] / "evals" / "repos" / "alembic-blog"
PROMPT = "migwright> "
CONFIRM = "write these files? validation runs first [y/N] "


# -- through a pseudo-terminal -----------------------------------------------------------------


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    repo = tmp_path / "blog"
    shutil.copytree(EXAMPLE, repo)
    return repo


def chat_argv(repo: Path, *extra: str) -> list[str]:
    """`python -m migwright chat` once the command is registered, the module's main() before."""
    from migwright.agent.cli import app

    if any(c.name == "chat" for c in app.registered_commands):
        return ["-m", "migwright", "chat", str(repo), *extra]
    return ["-c", "from migwright.agent.chat import main; main()", str(repo), *extra]


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """No model unless the test scripts one; history and temp files under the test's folder."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MIGWRIGHT_MODEL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL")
    }
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_STATE_HOME=str(home / "state"),
        TMPDIR=str(home / "tmp"),
        NO_COLOR="1",
        TERM="xterm",
        **extra,
    )
    return env


Spawn = Callable[..., Any]  #: (repo, *options, **environment) -> a pexpect child at the prompt


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    children: list[pexpect.spawn] = []

    def start(repo: Path, *extra: str, **env: str) -> pexpect.spawn:
        child = pexpect.spawn(
            sys.executable,
            chat_argv(repo, "--rows", "50", *extra),
            env=child_env(tmp_path / "home", **env),
            encoding="utf-8",
            timeout=90,
            dimensions=(60, 200),
        )
        children.append(child)
        child.expect_exact(PROMPT)
        return child

    yield start
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def migrations(repo: Path) -> list[str]:
    return sorted(p.name for p in (repo / "alembic" / "versions").iterdir() if p.is_file())


def test_request_no_follow_up_yes_undo(blog: Path, spawn: Spawn, tmp_path: Path) -> None:
    """The session of the brief: nothing is written on "n"; "y" writes; /undo takes it back."""
    before = migrations(blog)
    child = spawn(blog)
    child.sendline('--add-column "posts.reading_time integer"')
    child.expect_exact("plan: add reading_time to posts (sqlite)")
    child.expect_exact("+ add column posts.reading_time integer")
    child.expect_exact("ALTER TABLE posts ADD COLUMN reading_time INTEGER;")
    child.expect_exact("- drop column posts.reading_time")
    child.expect_exact(CONFIRM)
    child.sendline("n")
    child.expect_exact("nothing written")
    child.expect_exact(PROMPT)
    assert migrations(blog) == before

    child.sendline("call it reading_minutes")
    child.expect_exact("posts.reading_time is now posts.reading_minutes")
    child.expect_exact('sa.Column("reading_minutes", sa.Integer(), nullable=True)')
    child.expect_exact("plan: add reading_minutes to posts")
    child.expect_exact(CONFIRM)
    child.sendline("y")
    child.expect_exact("8. Testing")
    child.expect_exact("passed")
    child.expect_exact("wrote 2 file(s):")
    child.expect_exact(PROMPT)
    new = sorted(set(migrations(blog)) - set(before))
    assert [Path(n).suffix for n in new] == [".md", ".py"]
    assert all(n.endswith("_add_reading_minutes_to_posts" + Path(n).suffix) for n in new)
    script = (blog / "alembic" / "versions" / new[1]).read_text()
    assert 'down_revision: Union[str, Sequence[str], None] = "c4e6a8b0d2f4"' in script
    assert "reading_time" not in script

    child.sendline("/undo")
    child.expect_exact(f"removed alembic/versions/{new[1]}")
    child.expect_exact("the request is back under discussion")
    child.expect_exact(PROMPT)
    assert migrations(blog) == before

    child.sendline("/undo")
    child.expect_exact("nothing to undo")
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    history = (tmp_path / "home" / "state" / "migwright" / "chat_history").read_text()
    assert "call it reading_minutes" in history.splitlines()
    assert "y" not in history.splitlines() and "n" not in history.splitlines()


def test_offline_english_commands_and_errors(blog: Path, spawn: Spawn) -> None:
    child = spawn(blog)
    for line, answer in [
        ("/plan", "no plan yet"),
        ("/validate", "nothing to validate"),
        ("/frobnicate", "unknown command /frobnicate"),
        ("/help", "call it NAME"),
        (
            "add reading minutes to posts",
            "plain English needs a language model: set MIGWRIGHT_MODEL",
        ),
    ]:
        child.sendline(line)
        child.expect_exact(answer)
        child.expect_exact(PROMPT)
    child.sendline("add reading minutes to posts")
    child.expect_exact('offline, type: --add-column "posts.reading_minutes integer"')
    child.sendline('--add-column "nosuch.x integer"')
    child.expect_exact("error:")
    child.expect_exact("no table named nosuch")
    child.expect_exact(PROMPT)
    child.sendline("make it nullable")  # no plan yet, so not a follow-up
    child.expect_exact("plain English needs a language model")
    child.expect_exact(PROMPT)
    child.sendeof()  # Ctrl-D leaves
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_batched_backfill_follow_ups_and_validate(blog: Path, spawn: Spawn) -> None:
    before = migrations(blog)
    child = spawn(blog)
    child.sendline('--add-column "posts.words integer not null default 0"')
    child.expect_exact(CONFIRM)
    child.sendline("n")
    child.expect_exact(PROMPT)
    child.sendline("use a batched backfill")
    child.expect_exact("filled with 0 in batches of 1000 rows and set NOT NULL")
    child.expect_exact("~ backfill posts.words = 0 where words IS NULL")
    child.expect_exact("~ alter column posts.words set not null")
    child.expect_exact("posts.words = 0 in batches of 1000")
    child.expect_exact(CONFIRM)
    child.sendline("n")
    child.expect_exact(PROMPT)
    child.sendline("batch size 200 and call it word_count")
    child.expect_exact("batches of 200 rows; posts.words is now posts.word_count")
    child.expect_exact("posts.word_count = 0 in batches of 200")
    child.expect_exact(CONFIRM)
    child.sendline("n")
    child.expect_exact(PROMPT)
    child.sendline("/validate")
    child.expect_exact("8. Testing")
    child.expect_exact("passed")
    child.expect_exact(CONFIRM)  # validated: asked again, and "n" still writes nothing
    child.sendline("n")
    child.expect_exact(PROMPT)
    assert migrations(blog) == before
    child.sendintr()  # Ctrl-C at the prompt leaves cleanly
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_ctrl_c_during_validation_writes_nothing(blog: Path, spawn: Spawn, tmp_path: Path) -> None:
    before = migrations(blog)
    child = spawn(blog)
    child.sendline('--add-column "posts.reading_time integer"')
    child.expect_exact(CONFIRM)
    child.sendline("y")
    child.expect_exact("8. Testing")
    child.sendintr()
    child.expect_exact("interrupted: nothing more was written")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert migrations(blog) == before
    left = [p.name for p in (tmp_path / "home" / "tmp").iterdir() if "migwright" in p.name]
    assert left == []  # scratch database and repo copy removed


@pytest.mark.postgres
def test_a_changed_file_is_shown_as_a_diff(spawn: Spawn, tmp_path: Path) -> None:
    """Drizzle's journal exists and changes: the chat shows a unified diff, not the file."""
    require_server("postgresql")
    if shutil.which("node") is None:
        pytest.skip("drizzle's migrator needs node")
    repo = tmp_path / "notes"
    shutil.copytree(EXAMPLE.parent / "drizzle-notes", repo)
    journal = (repo / "drizzle" / "meta" / "_journal.json").read_text()
    child = spawn(repo)
    child.sendline('--add-column "note_tags.weight integer"')
    child.expect_exact("_add_weight_to_note_tags.sql (new migration)")
    child.expect_exact("drizzle/meta/_journal.json (changed journal)")
    child.expect_exact("--- a/drizzle/meta/_journal.json")
    child.expect_exact("+++ b/drizzle/meta/_journal.json")
    child.expect_exact("@@ ")
    child.expect_exact('_add_weight_to_note_tags"')
    child.expect_exact(CONFIRM)
    child.sendline("n")
    child.expect_exact(PROMPT)
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    assert (repo / "drizzle" / "meta" / "_journal.json").read_text() == journal


def test_plain_english_and_a_follow_up_through_the_model(blog: Path, spawn: Spawn) -> None:
    with FakeLLMServer() as server:
        column = {"name": "reading_minutes", "type": "integer"}
        server.script(
            Reply.answer(
                {
                    "description": "add reading_minutes to posts",
                    "operations": [{"op": "add_column", "table": "posts", "column": column}],
                }
            ),
            Reply.answer(
                {
                    "description": "add reading_minutes to posts with an index",
                    "operations": [
                        {"op": "add_column", "table": "posts", "column": column},
                        {"op": "create_index", "table": "posts", "columns": ["reading_minutes"]},
                    ],
                }
            ),
        )
        child = spawn(
            blog,
            MIGWRIGHT_MODEL="openai:gpt-4o-mini",
            OPENAI_API_KEY="sk-test",
            OPENAI_BASE_URL=server.openai_url,
        )
        child.sendline("store how many minutes a post takes to read")
        child.expect_exact("+ add column posts.reading_minutes integer")
        child.expect_exact(CONFIRM)
        child.sendline("n")
        child.expect_exact(PROMPT)
        child.sendline("lookups by reading time should be fast")
        child.expect_exact("+ create index")
        child.expect_exact("on posts (reading_minutes)")
        child.expect_exact(CONFIRM)
        child.sendline("n")
        child.expect_exact(PROMPT)
        child.sendline("/quit")
        child.expect(pexpect.EOF)
        assert len(server.requests) == 2
        first, second = (r.prompt_text for r in server.requests)
        assert "store how many minutes a post takes to read" in first
        assert "This changes the plan under discussion" in second
        assert "+ add column posts.reading_minutes integer" in second


# -- follow-ups, without a terminal ------------------------------------------------------------

POSTS = Table(
    "posts",
    (
        Column("id", "integer", nullable=False, identity=True),
        Column("title", "text", nullable=False),
        Column("body", "text"),
    ),
    primary_key=("id",),
)
SCHEMA = Schema(tables=(POSTS,))


def request(*argv: str, dialect: str = "sqlite") -> Request:
    return parse_request(list(argv), dialect=dialect, schema=SCHEMA)


def described(req: Request) -> list[str]:
    return [op.describe().strip() for op in req.operations]


def edit(req: Request, text: str, dialect: str = "sqlite") -> Request:
    edited = follow_up(text, req, SCHEMA, dialect)
    assert edited is not None, f"{text!r} was not recognised"
    return edited.request


ADD = ("--add-column", "posts.reading_time integer")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call it reading_minutes", ["+ add column posts.reading_minutes integer"]),
        ("Please rename it to reading_minutes.", ["+ add column posts.reading_minutes integer"]),
        ("make it not null", ["+ add column posts.reading_time integer not null"]),
        ("make it nullable", ["+ add column posts.reading_time integer"]),
        ("default 0", ["+ add column posts.reading_time integer default 0"]),
        ("give it a default of 5", ["+ add column posts.reading_time integer default 5"]),
        (
            "make it not null with default 0",
            ["+ add column posts.reading_time integer not null default 0"],
        ),
        ("make it a bigint", ["+ add column posts.reading_time bigint"]),
        ("change the type to numeric(6,1)", ["+ add column posts.reading_time numeric(6,1)"]),
        (
            "add an index on it",
            [
                "+ add column posts.reading_time integer",
                "+ create index ix_posts_reading_time on posts (reading_time)",
            ],
        ),
        (
            "add a unique index on title",
            [
                "+ add column posts.reading_time integer",
                "+ create unique index ix_posts_title on posts (title)",
            ],
        ),
        (
            "backfill it with length(body) / 200",
            [
                "+ add column posts.reading_time integer",
                "~ backfill posts.reading_time = length(body) / 200",
            ],
        ),
    ],
)
def test_follow_ups_edit_the_plan(text: str, expected: list[str]) -> None:
    assert described(edit(request(*ADD), text)) == expected


def test_rename_follows_the_column_everywhere() -> None:
    req = request(
        "--add-column",
        "posts.reading_time integer not null default 0 check (reading_time >= 0)",
        "--add-index",
        "posts (reading_time) where reading_time > 0",
        "--backfill",
        "posts.reading_time = length(body) / 200 where reading_time = 0",
    )
    renamed = edit(req, "call it reading_minutes")
    text = "\n".join(described(renamed))
    assert "reading_time" not in text
    assert "ix_posts_reading_minutes" in text
    assert "where reading_minutes > 0" in text.lower()
    assert (
        renamed.description
        == "add reading_minutes to posts, add index on posts reading_minutes and 1 more"
    )


def test_rename_keeps_names_the_person_gave_and_folds_case_on_postgres() -> None:
    req = request(*ADD, "--add-index", "posts (reading_time) name ix_custom", dialect="postgresql")
    renamed = edit(req, "call it ReadingMinutes", dialect="postgresql")
    assert described(renamed)[1] == "+ create index ix_custom on posts (readingminutes)"
    quoted = edit(req, 'call it "ReadingMinutes"', dialect="postgresql")
    assert described(quoted)[0] == "+ add column posts.ReadingMinutes integer"


def test_rename_a_new_table() -> None:
    req = request("--create-table", "tags (id integer primary key, name text not null unique)")
    renamed = edit(req, "call it labels")
    op = renamed.operations[0]
    assert op.table.name == "labels"  # type: ignore[attr-defined]
    assert op.table.uniques[0].name == "uq_labels_name"  # type: ignore[attr-defined]
    assert renamed.description == "create labels"
    nullable = edit(renamed, "make name nullable")
    assert nullable.operations[0].table.column("name").nullable  # type: ignore[attr-defined]


def test_batched_backfill_from_a_default_and_back() -> None:
    req = request("--add-column", "posts.words integer not null default 0")
    batched = edit(req, "use a batched backfill")
    assert described(batched) == [
        "+ add column posts.words integer",
        "~ alter column posts.words default 0",
        "~ backfill posts.words = 0 where words IS NULL",
        "~ alter column posts.words set not null",
    ]
    fill = batched.operations[2]
    assert fill.batch_size == 1000  # type: ignore[attr-defined]
    smaller = edit(batched, "in batches of 250 rows")
    assert smaller.operations[2].batch_size == 250  # type: ignore[attr-defined]
    assert edit(smaller, "in one statement").operations[2].batch_size is None  # type: ignore[attr-defined]
    nullable = edit(batched, "make it nullable")
    assert "set not null" not in "\n".join(described(nullable))
    again = edit(nullable, "make it not null")
    assert described(again)[-1] == "~ alter column posts.words set not null"


def test_not_null_after_a_backfill_goes_after_it() -> None:
    req = edit(request(*ADD), "backfill it with 1")
    required = edit(req, "make it not null")
    assert described(required) == [
        "+ add column posts.reading_time integer",
        "~ backfill posts.reading_time = 1",
        "~ alter column posts.reading_time set not null",
    ]


def test_a_not_null_column_without_a_value_is_pointed_out() -> None:
    empty = follow_up("make it not null", request(*ADD), SCHEMA, "sqlite")
    assert empty is not None
    assert "existing rows need a value for posts.reading_time" in empty.message
    valued = follow_up("make it not null with default 0", request(*ADD), SCHEMA, "sqlite")
    assert valued is not None and "need a value" not in valued.message


def test_removing_an_index_and_a_default() -> None:
    req = request("--add-column", "posts.n integer default 1", "--add-index", "posts (n)")
    plain = edit(edit(req, "no index"), "no default")
    assert described(plain) == ["+ add column posts.n integer"]
    assert plain.description == "add n to posts"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("call it title", "already exists"),
        ("call it reading_time", "already called reading_time"),
        ("call it two words", None),  # not a follow-up: goes to the model or gets advice
        ("use a batched backfill", "no backfill to batch"),
        ("no index", "creates no index"),
        ("make body nullable", "not a column this plan adds or changes"),
        ("add an index on it concurrently", "PostgreSQL only"),
        ("default 1; drop table posts", "cannot read 'integer default 1; drop table posts'"),
    ],
)
def test_follow_ups_that_do_not_fit_say_why(text: str, problem: str | None) -> None:
    if problem is None:
        assert follow_up(text, request(*ADD), SCHEMA, "sqlite") is None
        return
    with pytest.raises(SpecError, match=problem):
        follow_up(text, request(*ADD), SCHEMA, "sqlite")


def test_unknown_phrases_are_not_guessed() -> None:
    for text in ("make it pizza", "what does this do?", "also store the author"):
        assert follow_up(text, request(*ADD), SCHEMA, "sqlite") is None


# -- offline advice ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("add reading minutes to posts", '--add-column "posts.reading_minutes integer"'),
        (
            "Add a published_at column to the post table",
            '--add-column "posts.published_at timestamp"',
        ),
        ("add an index on posts.title", '--add-index "posts (title)"'),
        ("remove column body from posts", '--drop-column "posts.body"'),
        ("rename title in posts to headline", '--rename-column "posts.title to headline"'),
        ("make everything faster", None),
        ("add a column to nowhere", None),
    ],
)
def test_structured_hint(text: str, hint: str | None) -> None:
    assert structured_hint(text, SCHEMA, "sqlite") == hint


def test_offline_line_is_one_line_with_the_structured_form() -> None:
    line = offline_line("add reading minutes to posts", None, SCHEMA, "sqlite")
    assert "\n" not in line
    assert "MIGWRIGHT_MODEL" in line and '--add-column "posts.reading_minutes integer"' in line
    follow = offline_line("make it snappier", request(*ADD), SCHEMA, "sqlite")
    assert "not a follow-up migwright knows" in follow and "call it NAME" in follow


# -- files: diffs and undo ---------------------------------------------------------------------


def test_diff_of_a_changed_file_and_full_text_of_a_new_one(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "models.py").write_text("class Post:\n    title = 1\n")
    console = Console(record=True, width=120, color_system=None)
    show_file(console, tmp_path, File("app/models.py", "class Post:\n    title = 1\n    n = 2\n",
                                      kind="model", existing=True))  # fmt: skip
    show_file(console, tmp_path, File("db/0002.sql", "ALTER TABLE posts ADD n int;\n"))
    text = console.export_text()
    assert "app/models.py (changed model)" in text
    assert "--- a/app/models.py" in text and "+++ b/app/models.py" in text
    assert "+    n = 2" in text and "-    title = 1" not in text
    assert "db/0002.sql (new migration)" in text and "ALTER TABLE posts ADD n int;" in text


def test_undo_removes_created_restores_updated_and_keeps_edited(tmp_path: Path) -> None:
    from migwright.tools.writer import write_files

    model = tmp_path / "app" / "models.py"
    model.parent.mkdir()
    model.write_text("original\n")
    model.chmod(0o640)
    files = [
        File("app/models.py", "changed\n", kind="model", existing=True),
        File("db/migrations/0001_x.sql", "SELECT 1;\n"),
    ]
    snapshot = Snapshot.take(tmp_path, files)
    record = snapshot.record(request(*ADD), write_files(tmp_path, files))
    assert [p.name for p, _ in record.created] == ["0001_x.sql"]
    assert record.folders == [tmp_path / "db" / "migrations", tmp_path / "db"]
    lines = [text for text, _ in undo(record)]
    assert lines == ["  removed db/migrations/0001_x.sql", "  restored app/models.py"]
    assert model.read_text() == "original\n" and oct(model.stat().st_mode & 0o777) == "0o640"
    assert not (tmp_path / "db").exists()

    record = snapshot.record(request(*ADD), write_files(tmp_path, files))
    (tmp_path / "db" / "migrations" / "0001_x.sql").write_text("SELECT 2; -- mine now\n")
    lines = [text for text, _ in undo(record)]
    assert lines[0] == "  kept db/migrations/0001_x.sql: it changed since migwright wrote it"
    assert (tmp_path / "db" / "migrations" / "0001_x.sql").exists()
    assert model.read_text() == "original\n"
