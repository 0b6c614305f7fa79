"""OpenAI and OpenAI-compatible servers (Ollama, vLLM, LM Studio) through the official SDK.

Structured answers use chat completions with `response_format` = json_schema (not strict:
strict mode wants every field required and no defaults, which a discriminated union of
operations with optional fields cannot meet). A server that rejects `response_format` with
400/422 is asked again at once with a forced tool call instead, and this model remembers that
for its later calls; `[model] structured_output = "tools"` skips the first try. The SDK's own
retries are off (`max_retries=0`): `model.with_retries` is the single, bounded retry loop.
"""

from __future__ import annotations

from typing import Any

import openai
from pydantic import BaseModel

from .model import (
    ModelSettings,
    T,
    Usage,
    malformed,
    missing_key,
    parse_answer,
    refused,
    safe_message,
    status_failure,
    timed_out,
    truncated,
    unreachable,
    with_note,
    with_retries,
)

#: What an OpenAI-compatible server gets as a key when none is configured (most ignore it).
NO_KEY = "not-needed"


class OpenAIModel:
    """The `Model` protocol over `openai.OpenAI(...).chat.completions`."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        self.name = settings.name
        self._client: openai.OpenAI | None = None
        self._use_tools = settings.structured_output == "tools"

    def complete_structured(
        self, system: str, user: str, schema: type[T], *, tool_name: str
    ) -> tuple[T, Usage]:
        json_schema = schema.model_json_schema()
        spent = [Usage()]

        def attempt(note: str | None) -> T:
            messages = _messages(system, with_note(user, note))
            response = self._structured(messages, json_schema, tool_name, schema)
            spent[0] += _usage(response)
            message = _first_message(response)
            calls = getattr(message, "tool_calls", None) or []
            raw = calls[0].function.arguments if calls else message.content
            return parse_answer(raw, schema)

        answer = with_retries(attempt, self.settings)
        return answer, spent[0]

    def complete_text(self, system: str, user: str) -> tuple[str, Usage]:
        spent = [Usage()]

        def attempt(note: str | None) -> str:
            response = self._create(_messages(system, with_note(user, note)))
            spent[0] += _usage(response)
            content = _first_message(response).content
            if not content or not content.strip():
                raise malformed("the model returned no text")
            return str(content).strip()

        return with_retries(attempt, self.settings), spent[0]

    # -- requests -------------------------------------------------------------------------------
    def _structured(
        self,
        messages: list[Any],
        json_schema: dict[str, Any],
        tool_name: str,
        schema: type[BaseModel],
    ) -> Any:
        description = (schema.__doc__ or tool_name).strip().splitlines()[0]
        tool_request: dict[str, Any] = {
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": tool_name,
                        "description": description,
                        "parameters": json_schema,
                    },
                }
            ],
            "tool_choice": {"type": "function", "function": {"name": tool_name}},
        }
        if self._use_tools:
            return self._create(messages, **tool_request)
        response_format: dict[str, Any] = {
            "type": "json_schema",
            "json_schema": {"name": tool_name, "schema": json_schema, "strict": False},
        }
        try:
            return self._create(messages, fallback_ok=True, response_format=response_format)
        except _NoResponseFormat:
            self._use_tools = True
            return self._create(messages, **tool_request)

    def _create(self, messages: list[Any], *, fallback_ok: bool = False, **extra: Any) -> Any:
        """One chat completion; SDK errors become ModelError or Retry here."""
        settings = self.settings
        try:
            response = self._sdk().chat.completions.create(
                model=settings.model, messages=messages, **extra
            )
        except openai.APITimeoutError as exc:
            raise timed_out(settings) from exc
        except openai.APIConnectionError as exc:
            raise unreachable(settings) from exc
        except openai.APIStatusError as exc:
            if (
                fallback_ok
                and settings.structured_output == "auto"
                and exc.status_code in (400, 422)
            ):
                raise _NoResponseFormat() from exc
            raise status_failure(
                exc.status_code, safe_message(_error_text(exc), settings), settings
            ) from exc
        choice = response.choices[0] if response.choices else None
        if choice is None:
            raise malformed("the server returned no choices")
        refusal = getattr(choice.message, "refusal", None)
        if refusal:
            raise refused(safe_message(refusal, settings))
        if choice.finish_reason == "content_filter":
            raise refused("the provider's content filter stopped the answer")
        if choice.finish_reason == "length":
            raise truncated(settings)
        return response

    def _sdk(self) -> openai.OpenAI:
        if self._client is None:
            key = self.settings.api_key
            if not key and self.settings.provider == "openai":
                raise missing_key(self.settings)
            self._client = openai.OpenAI(
                api_key=key or NO_KEY,
                base_url=self.settings.base_url,
                timeout=self.settings.timeout,
                max_retries=0,
            )
        return self._client


class _NoResponseFormat(Exception):
    """The server rejected `response_format`: ask again with a tool call."""


def _messages(system: str, user: str) -> list[Any]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _first_message(response: Any) -> Any:
    return response.choices[0].message


def _usage(response: Any) -> Usage:
    usage = getattr(response, "usage", None)
    if usage is None:
        return Usage()
    return Usage(usage.prompt_tokens or 0, usage.completion_tokens or 0)


def _error_text(exc: openai.APIStatusError) -> str:
    """The server's own message (`{"error": {"message": ...}}`), else the SDK's summary."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return exc.message
