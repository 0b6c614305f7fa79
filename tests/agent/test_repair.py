"""Repair after a failed validation (agent/repair.py), through the real CLI and SDK.

The example is alembic-blog on SQLite: `posts` holds seeded rows, so a model that adds a
NOT NULL column without a default passes every check (the schema accepts it) and fails on the
scratch database, which is exactly the failure only validation can find. The failures go back
to the scripted model; its repaired plan is checked, rendered and validated again; after two
failed repairs the run stops with the last report and writes nothing. Structured requests never
reach a model, whatever fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_llm_server import FakeLLMServer, Reply
from test_e2e_english import cli_env, copy_repo, migwright_new, run_json, tree

REQUEST = "add a required word count to posts"


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


def add_word_count(**column: Any) -> dict[str, Any]:
    spec = {"name": "word_count", "type": "integer", **column}
    return {
        "description": "add word_count to posts",
        "operations": [{"op": "add_column", "table": "posts", "column": spec}],
    }


#: Passes the checks, fails on the seeded rows: SQLite cannot add NOT NULL without a default.
FAILS = add_word_count(nullable=False)
#: The repair a good model makes from the report.
PASSES = add_word_count(nullable=False, default="0")
#: A repair that names a column that does not exist: rejected by the checks, not validated.
UNKNOWN = {
    "description": "add word_count to posts",
    "operations": [
        {"op": "add_column", "table": "posts", "column": {"name": "word_count", "type": "integer"}},
        {"op": "create_index", "table": "posts", "columns": ["words"]},
    ],
}
PROSE = "This migration adds word_count to posts with a default, so existing rows get 0."


def steps_of(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [s for s in data["steps"] if s["key"] == key]


def test_a_failed_validation_is_repaired_and_the_repair_is_validated_and_written(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    repo = copy_repo("alembic-blog", tmp_path)
    server.script(Reply.answer(FAILS), Reply.answer(PASSES), Reply.text(PROSE))

    done = migwright_new(repo, [REQUEST], cli_env(tmp_path, server))
    data = run_json(done)
    assert done.returncode == 0, done.stderr[-3000:]
    assert data["ok"] is True

    # The first attempt is kept, failed and superseded; the repair and the second attempt follow.
    first, second = steps_of(data, "testing")
    assert first["status"] == "failed" and first["superseded"] is True and first["attempt"] == 1
    assert any("NOT NULL" in f for f in first["findings"])
    assert second["status"] == "ok" and second["superseded"] is False and second["attempt"] == 2
    (repair,) = steps_of(data, "repair")
    assert repair["status"] == "ok" and repair["attempt"] == 2
    assert repair["tokens"] > 0, "the repair's tokens are shown on its own step"
    assert repair["outputs"]["sent_failures"] == first["findings"]
    assert repair["outputs"]["operations"] == [
        "+ add column posts.word_count integer not null default 0"
    ]
    plans = steps_of(data, "plan")
    assert [p["attempt"] for p in plans] == [1, 2]
    assert plans[1]["title"].endswith("(repair 1)")
    order = [(s["key"], s["attempt"]) for s in data["steps"]]
    assert order.index(("testing", 1)) < order.index(("repair", 2)) < order.index(("plan", 2))
    assert order[-2:] == [("performance", 2), ("docs", 2)]

    # What the model was sent: the request, its plan, and the report's failure.
    _plan_call, repair_call, _prose = server.requests
    assert REQUEST in repair_call.prompt_text
    assert "Validation failures reported by migwright" in repair_call.prompt_text
    assert "Cannot add a NOT NULL column" in repair_call.prompt_text
    assert '"nullable": false' in repair_call.prompt_text, "its previous plan, as it answered"

    # The repaired migration is the one written.
    migration = next(f for f in data["files"] if f["kind"] == "migration")
    assert (
        'sa.Column("word_count", sa.Integer(), server_default="0", nullable=False)'
        in (migration["content"])
    )
    assert (repo / migration["path"]).read_text(encoding="utf-8") == migration["content"]


def test_a_repair_the_checks_reject_counts_and_its_errors_go_to_the_next(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    repo = copy_repo("alembic-blog", tmp_path)
    server.script(
        Reply.answer(FAILS), Reply.answer(UNKNOWN), Reply.answer(PASSES), Reply.text(PROSE)
    )

    done = migwright_new(repo, [REQUEST], cli_env(tmp_path, server))
    data = run_json(done)
    assert done.returncode == 0, done.stderr[-3000:]
    first_repair, second_repair = steps_of(data, "repair")
    assert first_repair["status"] == "failed" and first_repair["superseded"] is True
    assert any("words" in e for e in first_repair["outputs"]["errors"])
    assert second_repair["status"] == "ok" and second_repair["attempt"] == 3
    # the rejected repair was never rendered nor validated: two validations in all
    assert [s["attempt"] for s in steps_of(data, "testing")] == [1, 3]
    third_call = server.requests[2].prompt_text
    assert "no column words" in third_call, "the checks' errors are what the next repair is sent"


def test_after_two_failed_repairs_the_run_stops_with_the_last_report(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    repo = copy_repo("alembic-blog", tmp_path)
    before = tree(repo)
    server.script(*[Reply.answer(FAILS)] * 3)

    done = migwright_new(repo, [REQUEST], cli_env(tmp_path, server))
    data = run_json(done)
    assert done.returncode == 1, "a validation failure: exit 1"
    assert data["ok"] is False
    assert len(server.requests) == 3, "the plan and two repairs; no prose for a failed run"
    testing = steps_of(data, "testing")
    assert [(t["attempt"], t["status"], t["superseded"]) for t in testing] == [
        (1, "failed", True),
        (2, "failed", True),
        (3, "failed", False),
    ]
    assert "NOT NULL" in (testing[-1]["error"] or "")
    assert testing[-1]["outputs"]["report"]["ok"] is False, "the last report is in the output"
    assert [s["status"] for s in data["steps"][-2:]] == ["skipped", "skipped"]
    assert data["written"] == []
    assert tree(repo) == before, "nothing is written"


def test_a_structured_request_is_never_sent_to_a_model(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    repo = copy_repo("alembic-blog", tmp_path)
    before = tree(repo)
    done = migwright_new(
        repo, ["--add-column", "posts.word_count integer not null"], cli_env(tmp_path, server)
    )
    data = run_json(done)
    assert done.returncode == 1
    assert steps_of(data, "testing")[0]["status"] == "failed"
    assert steps_of(data, "repair") == []
    assert server.requests == [], "a model is configured, and still nothing was sent"
    assert tree(repo) == before


def test_the_live_view_shows_each_attempt(server: FakeLLMServer, tmp_path: Path) -> None:
    repo = copy_repo("alembic-blog", tmp_path)
    server.script(Reply.answer(FAILS), Reply.answer(PASSES), Reply.text(PROSE))
    done = migwright_new(
        repo, [REQUEST, "--dry-run", "--no-show"], cli_env(tmp_path, server), as_json=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    marks = [line.split(". ", 1)[0].split() for line in lines if ". " in line and "(" in line]
    assert ["FAIL", "8"] in marks
    assert any("Repair: the validation failures go back to the model" in line for line in lines)
    assert any("Testing: up, down, up on a scratch database (repair 1)" in line for line in lines)
    assert "dry run: nothing written" in done.stdout
