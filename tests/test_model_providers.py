"""Every provider through its official SDK against the scripted local server.

Each test runs for OpenAI, an OpenAI-compatible server (no key) and Anthropic, configured the
way a user would (MIGWRIGHT_MODEL, *_BASE_URL, a migwright.toml with short delays), and
checks both what comes back and what was sent.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fake_llm_server import FakeLLMServer, Reply, closed_port

from migwright.agent.model import Model, load_model
from migwright.agent.model_openai import OpenAIModel
from migwright.agent.structured import plan_from_english
from migwright.tools import ops as o
from migwright.tools.errors import ModelError
from migwright.tools.schema import Column, Schema, Table

PROVIDERS = ["openai", "openai-compatible", "anthropic"]
KEY = "sk-test-key-0123456789abcdef"

SCHEMA = Schema(
    tables=(
        Table(
            "users",
            (Column("id", "bigint", False, identity=True), Column("email", "text", False)),
            ("id",),
        ),
        Table(
            "orders",
            (
                Column("id", "bigint", False, identity=True),
                Column("user_id", "bigint", False),
                Column("total", "numeric(12,2)"),
            ),
            ("id",),
        ),
    )
)
REQUEST = "add a nullable nickname to users, indexed"

GOOD: dict[str, Any] = {
    "description": "Add users.nickname with an index",
    "operations": [
        {"op": "add_column", "table": "users", "column": {"name": "nickname", "type": "text"}},
        {"op": "create_index", "table": "users", "columns": ["nickname"]},
    ],
}
UNKNOWN_COLUMN: dict[str, Any] = {
    "description": "Add users.nickname with an index",
    "operations": [
        {"op": "add_column", "table": "users", "column": {"name": "nickname", "type": "text"}},
        {"op": "create_index", "table": "users", "columns": ["nick_name"]},
    ],
}


@pytest.fixture
def server() -> Any:
    with FakeLLMServer() as fake:
        yield fake


def make_model(
    provider: str,
    tmp_path: Path,
    base: str,
    *,
    timeout: float = 10.0,
    key: str | None = KEY,
    extra: str = "",
) -> Model:
    """A model configured as a user would: env variables plus a repo migwright.toml."""
    (tmp_path / "migwright.toml").write_text(
        f"[model]\ntimeout = {timeout}\nretry_delay = 0.001\ntries = 3\n{extra}"
    )
    env: dict[str, str] = {}
    if provider == "openai":
        env = {"MIGWRIGHT_MODEL": "openai:gpt-4o-mini", "OPENAI_BASE_URL": f"{base}/v1"}
    elif provider == "anthropic":
        env = {"MIGWRIGHT_MODEL": "anthropic:claude-sonnet-4-6", "ANTHROPIC_BASE_URL": base}
    else:
        env = {"MIGWRIGHT_MODEL": f"openai-compatible:{base}/v1:llama3:8b"}
    if key and provider != "openai-compatible":
        env["OPENAI_API_KEY" if provider == "openai" else "ANTHROPIC_API_KEY"] = key
    return load_model(tmp_path, env)


def base_url(server: FakeLLMServer) -> str:
    return server.anthropic_url  # http://127.0.0.1:PORT; OpenAI clients add /v1


@pytest.fixture(params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def model(provider: str, server: FakeLLMServer, tmp_path: Path) -> Model:
    return make_model(provider, tmp_path, base_url(server))


def test_good_answer(provider: str, model: Model, server: FakeLLMServer) -> None:
    server.script(Reply.answer(GOOD))
    planned = plan_from_english(model, REQUEST, SCHEMA)
    assert [type(op) for op in planned.operations] == [o.AddColumn, o.CreateIndex]
    index = planned.operations[1]
    assert isinstance(index, o.CreateIndex) and index.index.name == "ix_users_nickname"
    assert planned.attempts == 1 and planned.usage.total_tokens > 0
    (sent,) = server.requests
    assert REQUEST in sent.prompt_text and "email text not null" in sent.prompt_text
    if provider == "anthropic":
        assert sent.path == "/v1/messages"
        # the SDK sends the key as x-api-key or, since 2.x, as a bearer token
        assert KEY in (sent.headers.get("x-api-key"), sent.headers.get("authorization", "")[7:])
        assert sent.body["tool_choice"] == {"type": "tool", "name": "submit_plan"}
        assert sent.body["tools"][0]["input_schema"]["type"] == "object"
    else:
        assert sent.path == "/v1/chat/completions"
        assert sent.body["response_format"]["type"] == "json_schema"
        assert "operations" in sent.body["response_format"]["json_schema"]["schema"]["properties"]
        expected = KEY if provider == "openai" else "not-needed"
        assert sent.headers["authorization"] == f"Bearer {expected}"
        assert sent.body["model"] == ("gpt-4o-mini" if provider == "openai" else "llama3:8b")


def test_malformed_json_is_asked_again(model: Model, server: FakeLLMServer) -> None:
    server.script(Reply.raw('{"description": "x", "operations": [}'), Reply.answer(GOOD))
    planned = plan_from_english(model, REQUEST, SCHEMA)
    assert len(planned.operations) == 2
    assert len(server.requests) == 2
    assert "previous answer was rejected" in server.requests[1].prompt_text


def test_malformed_json_every_time_gives_up(model: Model, server: FakeLLMServer) -> None:
    server.script(*[Reply.raw("not json at all")] * 3)
    with pytest.raises(ModelError) as caught:
        plan_from_english(model, REQUEST, SCHEMA)
    assert "malformed answer" in str(caught.value)
    assert "gave up after 3 tries" in str(caught.value)
    assert len(server.requests) == 3


def test_wrong_shape_counts_as_malformed(model: Model, server: FakeLLMServer) -> None:
    bad = {"description": "x", "operations": [{"op": "teleport_table", "table": "users"}]}
    server.script(Reply.answer(bad), Reply.answer(GOOD))
    planned = plan_from_english(model, REQUEST, SCHEMA)
    assert len(planned.operations) == 2
    assert "does not match PlanAnswer" in server.requests[1].prompt_text


def test_unknown_column_is_repaired(model: Model, server: FakeLLMServer) -> None:
    server.script(Reply.answer(UNKNOWN_COLUMN), Reply.answer(GOOD))
    planned = plan_from_english(model, REQUEST, SCHEMA)
    assert planned.attempts == 2
    repair = server.requests[1].prompt_text
    assert "Errors found by migwright" in repair
    assert "no column nick_name" in repair
    assert '"nick_name"' in repair  # the previous plan is shown back


def test_repair_loop_ends_after_two_repairs(model: Model, server: FakeLLMServer) -> None:
    server.script(*[Reply.answer(UNKNOWN_COLUMN)] * 4)
    with pytest.raises(ModelError) as caught:
        plan_from_english(model, REQUEST, SCHEMA)
    assert "after 2 repairs" in str(caught.value)
    assert "nick_name" in str(caught.value)
    assert len(server.requests) == 3
    assert len(server.replies) == 1  # the fourth answer was never asked for


def test_refusal(model: Model, server: FakeLLMServer) -> None:
    server.script(Reply.refusal("I won't change production databases."))
    with pytest.raises(ModelError) as caught:
        plan_from_english(model, REQUEST, SCHEMA)
    assert str(caught.value).startswith("the model refused")
    assert "won't change production" in str(caught.value)
    assert "structured request" in caught.value.hint
    assert len(server.requests) == 1


def test_an_answer_cut_off_by_the_output_limit(model: Model, server: FakeLLMServer) -> None:
    server.script(Reply.cut_off())
    with pytest.raises(ModelError) as caught:
        plan_from_english(model, REQUEST, SCHEMA)
    assert "cut off at its output limit" in str(caught.value)
    assert "max_tokens" in caught.value.hint
    assert len(server.requests) == 1  # the same request would be cut again


def test_429_then_success(model: Model, server: FakeLLMServer) -> None:
    server.script(Reply.error(429, "slow down"), Reply.answer(GOOD))
    planned = plan_from_english(model, REQUEST, SCHEMA)
    assert len(planned.operations) == 2
    assert len(server.requests) == 2


def test_500_every_time_gives_up(model: Model, server: FakeLLMServer) -> None:
    server.script(*[Reply.error(500, "upstream exploded")] * 3)
    with pytest.raises(ModelError) as caught:
        plan_from_english(model, REQUEST, SCHEMA)
    message = str(caught.value)
    assert "HTTP 500" in message and "upstream exploded" in message
    assert "gave up after 3 tries" in message
    assert len(server.requests) == 3


def test_client_error_is_not_retried(model: Model, server: FakeLLMServer) -> None:
    server.script(Reply.error(401, f"invalid key {KEY}"))
    with pytest.raises(ModelError) as caught:
        model.complete_text("system", "user")
    assert "rejected the key (HTTP 401)" in str(caught.value)
    assert KEY not in caught.value.one_line()  # a server echoing the key does not leak it
    assert len(server.requests) == 1


def test_timeout(provider: str, server: FakeLLMServer, tmp_path: Path) -> None:
    model = make_model(provider, tmp_path, base_url(server), timeout=0.3)
    server.script(Reply.slow(5, Reply.answer(GOOD)))
    started = time.monotonic()
    with pytest.raises(ModelError) as caught:
        plan_from_english(model, REQUEST, SCHEMA)
    assert "did not answer within 0.3 s" in str(caught.value)
    assert "timeout" in caught.value.hint
    assert time.monotonic() - started < 3
    assert len(server.requests) == 1  # a timeout is not retried: that would triple the wait


def test_missing_key(provider: str, server: FakeLLMServer, tmp_path: Path) -> None:
    model = make_model(provider, tmp_path, base_url(server), key=None)
    if provider == "openai-compatible":  # a local server needs no key
        server.script(Reply.text("fine"))
        assert model.complete_text("s", "u")[0] == "fine"
        return
    variable = "OPENAI_API_KEY" if provider == "openai" else "ANTHROPIC_API_KEY"
    with pytest.raises(ModelError) as caught:
        plan_from_english(model, REQUEST, SCHEMA)
    assert str(caught.value) == f"{variable} is not set"
    assert caught.value.hint.startswith("export it, or set MIGWRIGHT_MODEL=openai-compatible:")
    assert server.requests == []


def test_unreachable_server(provider: str, tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    model = make_model(provider, tmp_path, base)
    with pytest.raises(ModelError) as caught:
        plan_from_english(model, REQUEST, SCHEMA)
    assert str(caught.value).startswith(f"cannot reach the model server at {base}")
    assert "gave up after 3 tries" in str(caught.value)


def test_complete_text(model: Model, server: FakeLLMServer) -> None:
    server.script(Reply.text("  Adds a nickname.\n"))
    text, usage = model.complete_text("system words", "user words")
    assert text == "Adds a nickname."
    assert usage.prompt_tokens > 0
    assert "user words" in server.requests[0].prompt_text
    assert "system words" in server.requests[0].prompt_text


def test_fenced_json_is_accepted(model: Model, server: FakeLLMServer) -> None:
    import json

    server.script(Reply.raw("```json\n" + json.dumps(GOOD) + "\n```"))
    planned = plan_from_english(model, REQUEST, SCHEMA)
    assert len(planned.operations) == 2


# -- OpenAI-specific: servers without json_schema ------------------------------------------


def test_falls_back_to_a_tool_call_without_response_format(tmp_path: Path) -> None:
    with FakeLLMServer(reject_response_format=True) as server:
        model = make_model("openai-compatible", tmp_path, base_url(server))
        server.script(Reply.answer(GOOD), Reply.answer(GOOD))
        assert len(plan_from_english(model, REQUEST, SCHEMA).operations) == 2
        assert len(plan_from_english(model, REQUEST, SCHEMA).operations) == 2
        first, fallback, second = server.requests
    assert "response_format" in first.body and "tools" not in first.body
    assert fallback.body["tool_choice"]["function"]["name"] == "submit_plan"
    assert "response_format" not in fallback.body
    assert "response_format" not in second.body  # remembered: no second rejected request


def test_tools_mode_from_config(server: FakeLLMServer, tmp_path: Path) -> None:
    model = make_model("openai", tmp_path, base_url(server), extra='structured_output = "tools"\n')
    assert isinstance(model, OpenAIModel)
    server.script(Reply.answer(GOOD))
    plan_from_english(model, REQUEST, SCHEMA)
    (sent,) = server.requests
    assert sent.body["tools"][0]["function"]["parameters"]["type"] == "object"
    assert "response_format" not in sent.body
