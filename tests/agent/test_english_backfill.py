"""A plain-English request that needs a data transform gets a SQL expression, checked twice.

The model answers with a `backfill` operation: its expression is parsed by sqlglot and its
columns looked up (`structured.expression_problems`) before anything is rendered, and an
expression that names a column that does not exist, or calls a function with side effects,
goes back to the model. The accepted expression is rendered into the framework's migration
and the validator checks, on the seeded rows, that the backfill set every row it promised to.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_llm_server import FakeLLMServer, Reply
from test_e2e_english import cli_env, copy_repo, migwright_new, run_json, step

REQUEST = "store the length of each post's title, filled for the existing posts"


def answer(expression: str) -> dict[str, Any]:
    return {
        "description": "add title_length to posts",
        "operations": [
            {
                "op": "add_column",
                "table": "posts",
                "column": {"name": "title_length", "type": "integer"},
            },
            {
                "op": "backfill",
                "table": "posts",
                "column": "title_length",
                "expression": expression,
            },
        ],
    }


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


def test_the_backfill_expression_is_checked_repaired_rendered_and_validated(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    repo = copy_repo("alembic-blog", tmp_path)
    server.script(
        Reply.answer(answer("length(headline)")),  # no such column
        Reply.answer(answer("pg_sleep(1) + length(title)")),  # a side effect
        Reply.answer(answer("length(title)")),
        Reply.text("This migration adds title_length to posts and fills it from the title."),
    )
    done = migwright_new(repo, [REQUEST], cli_env(tmp_path, server))
    data = run_json(done)
    assert done.returncode == 0, done.stderr[-3000:]

    second, third = server.requests[1].prompt_text, server.requests[2].prompt_text
    assert "table posts has no column headline" in second
    assert "calls pg_sleep(), which has side effects" in third

    assert step(data, "plan")["outputs"]["operations"] == [
        "+ add column posts.title_length integer",
        "~ backfill posts.title_length = length(title)",
    ]
    (backfill,) = step(data, "data")["outputs"]["backfills"]
    assert backfill["expression"] == "length(title)"
    migration = next(f for f in data["files"] if f["kind"] == "migration")
    content = migration["content"]
    assert "UPDATE posts SET title_length = LENGTH(title)" in content, "rendered through sqlglot"
    assert "headline" not in content and "pg_sleep" not in content

    report = step(data, "testing")["outputs"]["report"]
    assert report["ok"] is True
    verdicts = [v for phase in report["phases"] for v in phase.get("verdicts", [])]
    backfilled = [v for v in verdicts if v["name"] == "backfill"]
    assert backfilled and all(v["ok"] for v in backfilled)
    assert any(
        "posts.title_length is set wherever the backfill promised" in v["reason"]
        for v in backfilled
    )
