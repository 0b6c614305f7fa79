"""Ambiguity: the model asks back instead of guessing, and the person answers.

In batch and IDE mode the answer is a flag on `new` (`--answer "rename"`, repeatable, in the
order of the questions): without one the run stops with one line that lists the questions and
shows the exact flag; with one, the answers go to the model with the request (prompts/plan.txt)
and the plan is made. In the chat the questions are shown and the next line answers them.
Both through the scripted model server and the official SDK, on alembic-blog with SQLite.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fake_llm_server import FakeLLMServer, Reply
from rich.console import Console
from test_e2e_english import MODEL_VARIABLES, cli_env, copy_repo, migwright_new, run_json, tree

from migwright.agent.chat import Session
from migwright.agent.plan import Options

REQUEST = "change display_name in users to full_name"
QUESTION = (
    "Should display_name be renamed to full_name (keeping its values), "
    "or dropped and a new full_name column added?"
)
ASKS: dict[str, Any] = {"description": "unclear", "questions": [QUESTION]}
RENAME: dict[str, Any] = {
    "description": "rename display_name to full_name",
    "operations": [
        {"op": "rename_column", "table": "users", "old": "display_name", "new": "full_name"}
    ],
}
PROSE = "This migration renames users.display_name to full_name and keeps every value."


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


def test_without_an_answer_the_error_lists_the_questions_and_the_flag(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    repo = copy_repo("alembic-blog", tmp_path)
    before = tree(repo)
    server.script(Reply.answer(ASKS))
    done = migwright_new(repo, [REQUEST], cli_env(tmp_path, server), as_json=False)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    (line,) = lines
    assert f"the request is ambiguous: (1) {QUESTION}" in line
    assert '--answer "<answer 1>"' in line
    assert 'e.g. --answer "rename"' in line
    assert "Traceback" not in done.stdout + done.stderr
    assert tree(repo) == before, "nothing is written"
    assert len(server.requests) == 1


def test_with_an_answer_the_plan_is_made_and_validated(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    repo = copy_repo("alembic-blog", tmp_path)
    server.script(Reply.answer(RENAME), Reply.text(PROSE))
    done = migwright_new(repo, [REQUEST, "--answer", "rename"], cli_env(tmp_path, server))
    data = run_json(done)
    assert done.returncode == 0, done.stderr[-3000:]
    plan = next(s for s in data["steps"] if s["key"] == "plan")
    assert plan["outputs"]["model_answer"]["operations"] == RENAME["operations"]
    # (the plan may spell the rename the safe way, expand and contract, when code reads it)
    assert any("full_name" in op for op in plan["outputs"]["operations"])
    assert next(s for s in data["steps"] if s["key"] == "testing")["summary"] == "passed"
    sent = server.requests[0].prompt_text
    assert REQUEST in sent
    assert "Answers the person gave to your earlier questions:\n- rename" in sent
    assert "full_name" in (repo / data["files"][0]["path"]).read_text(encoding="utf-8")


def test_several_answers_keep_their_order(server: FakeLLMServer, tmp_path: Path) -> None:
    repo = copy_repo("alembic-blog", tmp_path)
    server.script(Reply.answer({**ASKS, "questions": [QUESTION, "Which table is 'people'?"]}))
    done = migwright_new(
        repo, [REQUEST, "--answer", "rename", "--dry-run"], cli_env(tmp_path, server), as_json=False
    )
    assert done.returncode == 2
    assert "after the answers 'rename'" in done.stderr
    assert '--answer "<answer 1>" --answer "<answer 2>"' in done.stderr


def test_the_chat_asks_the_person_and_plans_with_the_answer(
    server: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = copy_repo("alembic-blog", tmp_path)
    before = tree(repo)
    for name in MODEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("MIGWRIGHT_MODEL", f"openai-compatible:{server.openai_url}:scripted")
    server.script(Reply.answer(ASKS), Reply.answer(RENAME))
    lines = iter([REQUEST, "rename it, keep the values", "n", "/quit"])
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return next(lines)

    out = io.StringIO()
    console = Console(file=out, width=200, highlight=False, color_system=None)
    options = replace(Options(path=repo, args=(), rows=50))
    assert Session(options, console, ask).run() == 0
    text = out.getvalue()
    assert "the model asks:" in text and f"1. {QUESTION}" in text
    assert "type your answer" in text
    assert "> rename column users.display_name to full_name" in text
    assert "nothing written" in text
    first, second = (r.prompt_text for r in server.requests)
    assert "Answers the person gave to your earlier questions:\n(none)" in first
    assert "Answers the person gave to your earlier questions:\n- rename it, keep the values" in (
        second
    )
    assert REQUEST in second, "the answer goes with the original request"
    assert tree(repo) == before
