"""Step 10's prose: the model writes the Purpose paragraph, and only what passes stays.

The filters are tested on their own (SQL, names the plan does not have, secrets), then the
step's helper through the scripted server: offline it does nothing, a good answer is kept
with its bad sentences dropped, and a model that fails leaves the deterministic paragraph.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_llm_server import FakeLLMServer, Reply
from test_e2e_english import MODEL_VARIABLES, copy_repo

from migwright.agent.plan import Context, Options, run_steps
from migwright.agent.prose import checked_prose, improve_purpose, plan_names
from migwright.agent.steps import STEPS
from migwright.tools import ops as o
from migwright.tools.docs import DocFacts, document
from migwright.tools.frameworks.render import MigrationPlan
from migwright.tools.schema import Column, Schema, Table

POSTS = Table("posts", (Column("id", "bigint", False), Column("title", "text")), ("id",))
USERS = Table("users", (Column("id", "bigint", False), Column("email", "text")), ("id",))
PLAN = MigrationPlan(
    (o.AddColumn("posts", Column("word_count", "integer")),),
    Schema(tables=(POSTS, USERS)),
    "sqlite",
    "add word_count to posts",
    "alembic/versions/abc123_add_word_count_to_posts.py",
)


@pytest.mark.parametrize(
    ("sentence", "kept"),
    [
        ("This migration adds word_count to posts.", True),
        ("It adds `posts.word_count`, nullable, so existing rows stay valid.", True),
        ("Reviewers should check the title and id columns are untouched.", True),
        ("Run ALTER TABLE posts ADD COLUMN word_count INTEGER before deploying.", False),
        ("Then UPDATE posts SET word_count = 0 for old rows.", False),
        ("The `users.email_verified` flag is not affected.", False),  # a column it invents
        ("It also touches `users`.", False),  # a table outside the plan
        ("The audit_log table records the change.", False),  # a snake_case name it invents
        ("Make sure `select 1;` works.", False),
    ],
)
def test_each_sentence_is_judged(sentence: str, kept: bool) -> None:
    text, dropped = checked_prose(sentence, PLAN)
    assert (text == sentence) is kept, dropped
    assert bool(dropped) is not kept


def test_markdown_is_flattened_and_secrets_redacted() -> None:
    text, dropped = checked_prose(
        "## Purpose\n\n- Adds word_count to posts.\n- Deploy with "
        "postgres://app:hunter2@db/prod as usual.\n```sql\nDROP TABLE posts;\n```",
        PLAN,
    )
    assert text.startswith("Adds word_count to posts. Deploy with postgres://app:***@db/prod")
    assert "hunter2" not in text
    assert dropped == [("DROP TABLE posts;", "code block")]


def test_the_names_a_plan_may_be_described_with() -> None:
    names = plan_names(PLAN)
    assert {"posts", "word_count", "title", "posts.word_count", "abc123"} <= names
    assert "users" not in names and "email" not in names


# -- the step's helper, through the scripted server --------------------------------------------


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    """Steps 1 and 2 of a structured request on alembic-blog, offline, as step 10 gets them."""
    for name in MODEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    repo = copy_repo("alembic-blog", tmp_path)
    (repo / "migwright.toml").write_text("[model]\nretry_delay = 0.001\n")
    context = Context(Options(path=repo, args=("--add-column", "posts.word_count integer")))
    assert run_steps(STEPS[:2], context).ok
    yield context


def test_offline_nothing_is_asked(ctx: Context) -> None:
    assert improve_purpose(ctx) is None


def test_the_model_paragraph_is_kept_without_its_bad_sentences(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeLLMServer() as server:
        monkeypatch.setenv("MIGWRIGHT_MODEL", f"openai-compatible:{server.openai_url}:m")
        server.script(
            Reply.text(
                "This migration adds word_count to posts as a nullable integer. "
                "Run `ALTER TABLE posts ADD word_count int;` by hand first. "
                "The comments_archive table is rebuilt too."
            )
        )
        prose = improve_purpose(ctx)
        (sent,) = server.requests
    assert prose is not None
    assert prose.text == "This migration adds word_count to posts as a nullable integer."
    assert prose.tokens > 0
    assert len(prose.dropped) == 2 and len(prose.notes) == 2
    assert "Purpose paragraph" in sent.prompt_text
    assert "+ add column posts.word_count integer" in sent.prompt_text
    assert "ALTER TABLE" not in sent.prompt_text, "the facts carry no SQL for it to echo"
    assert ctx.plan is not None
    doc = document(DocFacts(plan=ctx.plan, framework="alembic", migration_id="x", prose=prose.text))
    assert f"## Purpose\n\n{prose.text}\n\n## Schema changes" in doc


def test_a_model_that_fails_leaves_the_deterministic_text(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeLLMServer() as server:
        monkeypatch.setenv("MIGWRIGHT_MODEL", f"openai-compatible:{server.openai_url}:m")
        server.script(*[Reply.error(500)] * 5)
        prose = improve_purpose(ctx)
    assert prose is not None and prose.text is None
    (note,) = prose.notes
    assert note.startswith("prose kept deterministic:") and "500" in note


def test_nothing_that_passes_leaves_the_deterministic_text(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeLLMServer() as server:
        monkeypatch.setenv("MIGWRIGHT_MODEL", f"openai-compatible:{server.openai_url}:m")
        server.script(Reply.text("DELETE FROM posts; then add the column."))
        prose = improve_purpose(ctx)
    assert prose is not None and prose.text is None
    assert prose.notes[-1].endswith("no sentence of the model's text passed the checks")
