"""Choosing a model: MIGWRIGHT_MODEL, config files, provider keys, and Offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from migwright.agent.model import (
    CONFIGURE_HINT,
    ModelSettings,
    Offline,
    Usage,
    load_model,
    parse_model_spec,
    resolve_settings,
)
from migwright.agent.model_anthropic import AnthropicModel
from migwright.agent.model_openai import OpenAIModel
from migwright.agent.structured_ops import PlanAnswer
from migwright.tools.errors import ConfigError, ModelError


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("openai:gpt-4o-mini", ("openai", None, "gpt-4o-mini")),
        ("anthropic:claude-sonnet-4-6", ("anthropic", None, "claude-sonnet-4-6")),
        (
            "openai-compatible:http://localhost:11434/v1:llama3",
            ("openai-compatible", "http://localhost:11434/v1", "llama3"),
        ),
        (
            "openai-compatible:http://localhost:11434/v1:llama3:8b",
            ("openai-compatible", "http://localhost:11434/v1", "llama3:8b"),
        ),
        (
            "openai-compatible:http://localhost:11434:qwen2.5-coder:7b",
            ("openai-compatible", "http://localhost:11434", "qwen2.5-coder:7b"),
        ),
        (
            "openai-compatible:https://vllm.internal/v1/:meta-llama/Llama-3-8B",
            ("openai-compatible", "https://vllm.internal/v1", "meta-llama/Llama-3-8B"),
        ),
        (
            "openai-compatible:http://[::1]:8000/v1:phi3",
            ("openai-compatible", "http://[::1]:8000/v1", "phi3"),
        ),
        (" OpenAI:gpt-4o ", ("openai", None, "gpt-4o")),
    ],
)
def test_parse_model_spec(spec: str, expected: tuple[str, str | None, str]) -> None:
    assert parse_model_spec(spec) == expected


@pytest.mark.parametrize(
    "spec",
    [
        "gpt-4o",
        "mistral:large",
        "openai:",
        "openai-compatible:llama3",
        "openai-compatible:http://localhost:11434/v1",
        "openai-compatible:ftp://host/v1:m",
    ],
)
def test_parse_model_spec_rejects(spec: str) -> None:
    with pytest.raises(ConfigError):
        parse_model_spec(spec)


def test_nothing_configured_is_offline_with_a_one_line_hint() -> None:
    model = load_model(env={})
    assert isinstance(model, Offline)
    with pytest.raises(ModelError) as caught:
        model.complete_structured("s", "u", PlanAnswer, tool_name="submit_plan")
    line = caught.value.one_line()
    assert "\n" not in line
    assert "MIGWRIGHT_MODEL=openai:gpt-4o-mini" in line
    assert "work without a model" in line
    with pytest.raises(ModelError, match="no language model"):
        model.complete_text("s", "u")


def test_env_spec_chooses_the_provider() -> None:
    env = {"MIGWRIGHT_MODEL": "anthropic:claude-sonnet-4-6", "ANTHROPIC_API_KEY": "k"}
    model = load_model(env=env)
    assert isinstance(model, AnthropicModel)
    assert model.name == "anthropic:claude-sonnet-4-6"
    assert model.settings.base_url == "https://api.anthropic.com"
    compatible = load_model(env={"MIGWRIGHT_MODEL": "openai-compatible:http://h:1/v1:m"})
    assert isinstance(compatible, OpenAIModel)
    assert compatible.settings.api_key is None
    assert compatible.settings.key_variable == "MIGWRIGHT_MODEL_API_KEY"


def test_a_provider_key_alone_picks_its_default_model() -> None:
    settings = resolve_settings(env={"ANTHROPIC_API_KEY": "k"})
    assert settings is not None
    assert (settings.provider, settings.model) == ("anthropic", "claude-sonnet-4-6")
    both = resolve_settings(env={"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "o"})
    assert both is not None and both.name == "openai:gpt-4o-mini"


def test_base_url_variables_are_honoured() -> None:
    env = {
        "MIGWRIGHT_MODEL": "openai:gpt-4o",
        "OPENAI_API_KEY": "k",
        "OPENAI_BASE_URL": "http://proxy:8080/v1",
    }
    settings = resolve_settings(env=env)
    assert settings is not None and settings.base_url == "http://proxy:8080/v1"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_repo_config_beats_user_config_and_env_beats_both(tmp_path: Path) -> None:
    home = tmp_path / "home"
    repo = tmp_path / "repo"
    _write(
        home / ".config/migwright/config.toml",
        '[model]\nname = "anthropic:claude-user"\ntimeout = 30\ntries = 5\n',
    )
    _write(repo / "migwright.toml", '[model]\nname = "openai:gpt-repo"\nretry_delay = 0.5\n')
    env = {"HOME": str(home), "OPENAI_API_KEY": "k"}
    settings = resolve_settings(repo, env)
    assert settings is not None
    assert (settings.name, settings.timeout, settings.tries, settings.retry_delay) == (
        "openai:gpt-repo",
        30.0,
        5,
        0.5,
    )
    assert resolve_settings(tmp_path / "elsewhere", env).name == "anthropic:claude-user"  # type: ignore[union-attr]
    env["MIGWRIGHT_MODEL"] = "openai:gpt-env"
    env["MIGWRIGHT_MODEL_TIMEOUT"] = "7.5"
    settings = resolve_settings(repo, env)
    assert settings is not None and (settings.model, settings.timeout) == ("gpt-env", 7.5)


def test_xdg_config_home_is_used(tmp_path: Path) -> None:
    _write(tmp_path / "xdg/migwright/config.toml", '[model]\nname = "openai:gpt-xdg"\n')
    settings = resolve_settings(env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert settings is not None and settings.model == "gpt-xdg"


def test_api_key_env_names_the_key_variable(tmp_path: Path) -> None:
    _write(
        tmp_path / "migwright.toml",
        '[model]\nname = "openai-compatible:http://gpu:8000/v1:qwen"\napi_key_env = "VLLM_KEY"\n'
        'structured_output = "tools"\n',
    )
    settings = resolve_settings(tmp_path, {"VLLM_KEY": "vk"})
    assert settings is not None
    assert (settings.api_key, settings.structured_output) == ("vk", "tools")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('[model]\nname = "openai:x"\napi_key = "sk-oops"\n', "holds an api_key"),
        ('[model]\nname = "openai:x"\ncolour = 1\n', "no setting 'colour'"),
        ("[model\nname=", "fix the TOML|Expected"),
        ('model = "openai:x"\n', "must be a table"),
        ('[model]\nname = "openai:x"\ntimeout = "soon"\n', "not a number"),
        ('[model]\nname = "openai:x"\ntries = 0\n', "out of range"),
        ('[model]\nname = "openai:x"\nstructured_output = "xml"\n', "structured_output"),
        ('[model]\nname = "llama"\n', "known provider"),
    ],
)
def test_bad_config_is_a_config_error(tmp_path: Path, text: str, match: str) -> None:
    _write(tmp_path / "migwright.toml", text)
    with pytest.raises(ConfigError, match=match):
        load_model(tmp_path, env={"OPENAI_API_KEY": "k"})


def test_settings_never_show_the_key() -> None:
    settings = ModelSettings("openai", "gpt", api_key="sk-very-secret-value")
    assert "sk-very-secret-value" not in repr(settings)


def test_missing_key_is_reported_at_first_use_not_at_load() -> None:
    model = load_model(env={"MIGWRIGHT_MODEL": "openai:gpt-4o-mini"})
    assert isinstance(model, OpenAIModel)
    with pytest.raises(ModelError) as caught:
        model.complete_text("s", "u")
    assert str(caught.value) == "OPENAI_API_KEY is not set"
    assert "openai-compatible" in caught.value.hint


def test_usage_adds_up() -> None:
    total = Usage(10, 2) + Usage(5, 1)
    assert (total.prompt_tokens, total.completion_tokens, total.total_tokens) == (15, 3, 18)


def test_configure_hint_names_every_provider() -> None:
    for word in ("openai:", "anthropic:", "openai-compatible:"):
        assert word in CONFIGURE_HINT
