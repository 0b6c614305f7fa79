"""The model boundary: one `Model` protocol, its providers, and how one is chosen.

A model answers in two ways: `complete_structured` returns an instance of a pydantic model
(a plan of operations, a backfill expression) and `complete_text` returns prose. Nothing a
model returns runs unchecked: structured answers become operations that `agent.structured`
checks against the schema, and the validator has the last word.

Providers: OpenAI (`model_openai.py`: chat completions with a json_schema `response_format`,
falling back to a forced tool call for servers without it), any OpenAI-compatible server by
base URL (Ollama, vLLM, LM Studio: the same code, key optional), Anthropic
(`model_anthropic.py`: a single forced tool whose input schema is the pydantic schema), and
`Offline`, which explains how to configure one. Which one is used comes from, first to last:
`MIGWRIGHT_MODEL`, `migwright.toml` `[model]` in the repo, `~/.config/migwright/config.toml`
`[model]`, then a provider key in the environment (OPENAI_API_KEY, then ANTHROPIC_API_KEY).
The `[model]` table (repo values win over the user's, environment variables over both):

    [model]
    name = "openai-compatible:http://localhost:11434/v1:llama3"   # as MIGWRIGHT_MODEL
    base_url = "https://proxy.example/v1"   # openai / anthropic; else *_BASE_URL or the default
    api_key_env = "MY_KEY"                  # which variable holds the key (never the key itself)
    timeout = 60                            # seconds; MIGWRIGHT_MODEL_TIMEOUT overrides
    tries = 3                               # attempts per call, retries included
    retry_delay = 1.0                       # first backoff in seconds, doubled each retry
    max_tokens = 4096                       # Anthropic's output limit
    structured_output = "auto"              # OpenAI: auto, json_schema or tools

Failures are bounded and named: up to `tries` tries (3) with exponential backoff on 429,
5xx and connection errors, a malformed answer is asked again with what was wrong, and every
give-up is one `ModelError` line with a hint. Error text never carries a key: server messages
pass through `scrub` and the key itself is cut out of them.
"""

from __future__ import annotations

import json
import os
import re
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from ..tools.errors import ConfigError, ModelError
from .budget import scrub

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")

PROVIDERS = ("openai", "anthropic", "openai-compatible")
DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-sonnet-4-6"}
DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
}
KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
BASE_URL_VARIABLES = {"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL"}
#: The key an OpenAI-compatible server gets when it wants one (vLLM --api-key, LM Studio).
COMPATIBLE_KEY_VARIABLE = "MIGWRIGHT_MODEL_API_KEY"

CONFIGURE_HINT = (
    "set MIGWRIGHT_MODEL=openai:gpt-4o-mini (with OPENAI_API_KEY), "
    "anthropic:claude-sonnet-4-6 (with ANTHROPIC_API_KEY) or "
    "openai-compatible:http://localhost:11434/v1:llama3, or a [model] table in migwright.toml; "
    "structured requests (--add-column ...) work without a model"
)


@dataclass(frozen=True)
class Usage:
    """Tokens a call spent, as the provider counted them (retries included)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )


class Model(Protocol):
    """What the agent needs from a language model. `name` is `provider:model` for reports."""

    name: str

    def complete_structured(
        self, system: str, user: str, schema: type[T], *, tool_name: str
    ) -> tuple[T, Usage]: ...

    def complete_text(self, system: str, user: str) -> tuple[str, Usage]: ...


@dataclass(frozen=True)
class ModelSettings:
    """Everything a provider needs, resolved from environment and config files.

    `api_key` is held here and handed to the SDK only; `__repr__` hides it, and no message
    built from settings includes it.
    """

    provider: str
    model: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    key_variable: str | None = None
    timeout: float = 60.0
    tries: int = 3
    retry_delay: float = 1.0
    max_tokens: int = 4096
    structured_output: str = "auto"

    @property
    def name(self) -> str:
        if self.provider == "openai-compatible":
            return f"openai-compatible:{self.base_url}:{self.model}"
        return f"{self.provider}:{self.model}"


class Offline:
    """No model configured: every call says how to configure one, in one line."""

    name = "offline"

    def complete_structured(
        self, system: str, user: str, schema: type[T], *, tool_name: str
    ) -> tuple[T, Usage]:
        raise ModelError("no language model is configured", CONFIGURE_HINT)

    def complete_text(self, system: str, user: str) -> tuple[str, Usage]:
        raise ModelError("no language model is configured", CONFIGURE_HINT)


# ---------------------------------------------------------------------------------------------
# Choosing a model
# ---------------------------------------------------------------------------------------------

_COMPATIBLE = re.compile(
    r"^(?P<url>https?://(?:\[[^\]]+\]|[^/:\s\[\]]+)(?::\d+)?+(?:/[^:\s]*)?):(?P<model>\S+)$"
)


def parse_model_spec(spec: str) -> tuple[str, str | None, str]:
    """`provider:model` or `openai-compatible:URL:model` -> (provider, base_url, model).

    The provider is read from the left. For openai-compatible the URL is `scheme://host[:port]
    [/path]` and the model is everything after it, so Ollama tags with a colon
    (`...:11434/v1:llama3:8b`) keep it; the path must not contain a colon.
    """
    provider, sep, rest = spec.strip().partition(":")
    provider = provider.strip().lower()
    if not sep or provider not in PROVIDERS:
        raise ConfigError(
            f"model {spec!r} does not start with a known provider",
            "write openai:MODEL, anthropic:MODEL or openai-compatible:URL:MODEL",
        )
    if provider != "openai-compatible":
        if not rest.strip():
            raise ConfigError(f"model {spec!r} names no model", f"write {provider}:MODEL")
        return provider, None, rest.strip()
    match = _COMPATIBLE.match(rest.strip())
    if not match:
        raise ConfigError(
            f"model {spec!r}: expected openai-compatible:URL:MODEL",
            "e.g. openai-compatible:http://localhost:11434/v1:llama3",
        )
    return provider, match["url"].rstrip("/"), match["model"]


def load_model(repo_root: str | Path | None = None, env: Mapping[str, str] = os.environ) -> Model:
    """The model the user configured, or `Offline`. See the module docstring for the order.

    A missing key is not an error here but at the first call, so a repo whose config names
    a model still runs structured requests when the key is absent. A malformed config file or
    spec is a ConfigError now.
    """
    settings = resolve_settings(repo_root, env)
    if settings is None:
        return Offline()
    if settings.provider == "anthropic":
        from .model_anthropic import AnthropicModel

        return AnthropicModel(settings)
    from .model_openai import OpenAIModel

    return OpenAIModel(settings)


def resolve_settings(
    repo_root: str | Path | None = None, env: Mapping[str, str] = os.environ
) -> ModelSettings | None:
    """Settings from env and config files; None when nothing names a model or a key."""
    table: dict[str, Any] = {}
    for path in _config_paths(repo_root, env):
        table.update(_read_model_table(path))
    spec = env.get("MIGWRIGHT_MODEL") or table.get("name")
    if not spec:
        spec = next(
            (f"{p}:{DEFAULT_MODELS[p]}" for p, v in KEY_VARIABLES.items() if env.get(v)), ""
        )
    if not spec:
        return None
    provider, base_url, model = parse_model_spec(str(spec))
    if provider != "openai-compatible":
        base_url = (
            env.get(BASE_URL_VARIABLES[provider]) or table.get("base_url")
        ) or DEFAULT_BASE_URLS[provider]
    key_variable = table.get("api_key_env") or (
        KEY_VARIABLES.get(provider) or COMPATIBLE_KEY_VARIABLE
    )
    settings = ModelSettings(
        provider=provider,
        model=model,
        base_url=str(base_url),
        api_key=env.get(str(key_variable)) or None,
        key_variable=str(key_variable),
    )
    numbers = {
        "timeout": env.get("MIGWRIGHT_MODEL_TIMEOUT") or table.get("timeout"),
        "tries": table.get("tries"),
        "retry_delay": table.get("retry_delay"),
        "max_tokens": table.get("max_tokens"),
    }
    changes: dict[str, Any] = {}
    for key, value in numbers.items():
        if value is not None:
            changes[key] = _number(key, value, int if key in ("tries", "max_tokens") else float)
    if "structured_output" in table:
        mode = str(table["structured_output"])
        if mode not in ("auto", "json_schema", "tools"):
            raise ConfigError(
                f"[model] structured_output = {mode!r}", "use auto, json_schema or tools"
            )
        changes["structured_output"] = mode
    return replace(settings, **changes)


def _config_paths(repo_root: str | Path | None, env: Mapping[str, str]) -> list[Path]:
    """User config first, repo config second, so the repo's settings win."""
    paths: list[Path] = []
    base = env.get("XDG_CONFIG_HOME") or (
        str(Path(env["HOME"]) / ".config") if env.get("HOME") else None
    )
    if base:
        paths.append(Path(base) / "migwright" / "config.toml")
    if repo_root is not None:
        paths.append(Path(repo_root) / "migwright.toml")
    return [p for p in paths if p.is_file()]


def _read_model_table(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}", "fix the TOML syntax of that file") from exc
    table = data.get("model", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [model] must be a table", "write [model] then name = ...")
    if "api_key" in table:
        raise ConfigError(
            f"{path}: [model] holds an api_key",
            "keep keys out of config files: export the key and name its variable in api_key_env",
        )
    known = {
        "name",
        "base_url",
        "api_key_env",
        "timeout",
        "tries",
        "retry_delay",
        "max_tokens",
        "structured_output",
    }
    unknown = set(table) - known
    if unknown:
        raise ConfigError(
            f"{path}: [model] has no setting {sorted(unknown)[0]!r}",
            f"settings: {', '.join(sorted(known))}",
        )
    return table


def _number(key: str, value: Any, kind: type[int] | type[float]) -> int | float:
    try:
        number = kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"model setting {key} = {value!r} is not a number", "") from exc
    if number < (1 if key in ("tries", "max_tokens") else 0):
        raise ConfigError(
            f"model setting {key} = {value!r} is out of range", "use a positive value"
        )
    return number


# ---------------------------------------------------------------------------------------------
# Shared by the providers: retries, answers, errors
# ---------------------------------------------------------------------------------------------


class Retry(Exception):
    """A failed try that may succeed if asked again. `error` is raised when tries run out;
    `backoff` is False for a malformed answer (asking again at once is fine), and `note` goes
    back to the model with the next try."""

    def __init__(self, error: ModelError, *, backoff: bool = True, note: str | None = None):
        super().__init__(str(error))
        self.error = error
        self.backoff = backoff
        self.note = note


def with_retries(
    attempt: Callable[[str | None], R],
    settings: ModelSettings,
    sleep: Callable[[float], None] = time.sleep,
) -> R:
    """Run `attempt(note)` up to `settings.tries` times, sleeping `retry_delay * 2**n`
    between tries that hit a rate limit, a server error or a dropped connection."""
    last: Retry | None = None
    for n in range(settings.tries):
        try:
            return attempt(last.note if last else None)
        except Retry as retry:
            last = retry
            if retry.backoff and n + 1 < settings.tries:
                sleep(settings.retry_delay * 2**n)
    assert last is not None
    tries = "1 try" if settings.tries == 1 else f"{settings.tries} tries"
    raise ModelError(f"{last.error} (gave up after {tries})", last.error.hint)


def parse_answer(raw: str | Mapping[str, Any] | None, schema: type[T]) -> T:
    """A structured answer (JSON text or an object) as `schema`, or a Retry saying why not.

    Models behind OpenAI-compatible servers often wrap JSON in a ```json fence; that is
    unwrapped. Anything else that is not valid is a malformed answer.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise malformed("the model returned no structured answer")
    data: Any = raw
    if isinstance(raw, str):
        text = raw.strip()
        fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.DOTALL)
        if fenced:
            text = fenced.group(1)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise malformed(f"the model's answer is not valid JSON ({exc.msg})") from exc
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()[:3]
        )
        raise malformed(f"the model's answer does not match {schema.__name__}: {problems}") from exc


def malformed(message: str) -> Retry:
    return Retry(
        ModelError(f"malformed answer: {message}", "try again, or use a more capable model"),
        backoff=False,
        note=f"Your previous answer was rejected: {message}. Answer again, following the schema.",
    )


def with_note(user: str, note: str | None) -> str:
    return user if note is None else f"{user}\n\n{note}"


def safe_message(text: object, settings: ModelSettings, limit: int = 200) -> str:
    """A server's error text fit for a one-line error: scrubbed, without the key, short."""
    message = " ".join(str(text).split())
    if settings.api_key:
        message = message.replace(settings.api_key, "***")
    message = scrub(message)
    return message if len(message) <= limit else message[: limit - 3] + "..."


def missing_key(settings: ModelSettings) -> ModelError:
    return ModelError(
        f"{settings.key_variable} is not set",
        f"export it, or set MIGWRIGHT_MODEL=openai-compatible:URL:MODEL for a local server; "
        f"{CONFIGURE_HINT.split('; ')[-1]}",
    )


def status_failure(status: int, message: str, settings: ModelSettings) -> ModelError | Retry:
    """An HTTP error status as the error to raise now, or a Retry for 408/409/429/5xx."""
    where = settings.base_url or settings.provider
    if status in (401, 403):
        return ModelError(
            f"the model server at {where} rejected the key (HTTP {status}): {message}",
            f"check {settings.key_variable}",
        )
    if status == 404:
        return ModelError(
            f"the model server at {where} has no model {settings.model!r} (HTTP 404): {message}",
            "check the model name and base URL",
        )
    if status == 429:
        return Retry(
            ModelError(
                f"the model server at {where} is rate limiting (HTTP 429): {message}",
                "wait a minute and try again, or raise your provider's rate limit",
            )
        )
    if status in (408, 409) or status >= 500:
        return Retry(
            ModelError(
                f"the model server at {where} failed (HTTP {status}): {message}",
                "try again later; check the provider's status page or the server's log",
            )
        )
    return ModelError(
        f"the model server at {where} refused the request (HTTP {status}): {message}",
        "check the model name and settings; a local server may not support this request",
    )


def unreachable(settings: ModelSettings) -> Retry:
    return Retry(
        ModelError(
            f"cannot reach the model server at {settings.base_url}",
            "check that it is running and the URL is right (MIGWRIGHT_MODEL, *_BASE_URL)",
        )
    )


def timed_out(settings: ModelSettings) -> ModelError:
    return ModelError(
        f"the model server at {settings.base_url} did not answer within {settings.timeout:g} s",
        "raise [model] timeout in migwright.toml or MIGWRIGHT_MODEL_TIMEOUT, or use a faster model",
    )


def truncated(settings: ModelSettings) -> ModelError:
    """The answer hit the output limit: asking again would hit it again."""
    return ModelError(
        f"the model's answer was cut off at its output limit ({settings.max_tokens} tokens "
        "for Anthropic, the server's default otherwise)",
        "raise [model] max_tokens in migwright.toml, or ask for a smaller change",
    )


def refused(message: str) -> ModelError:
    return ModelError(
        f"the model refused the request: {message}" if message else "the model refused",
        "rephrase the request, or write it as a structured request (--add-column ...)",
    )
