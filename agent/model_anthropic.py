"""Anthropic through the official SDK: a single tool, forced, whose input schema is the answer.

The Messages API has no JSON response format; the documented way to get structured output is
one tool whose `input_schema` is the pydantic JSON schema and `tool_choice` naming it, so the
answer arrives as the `input` of a `tool_use` block. A `stop_reason` of `refusal` is a
refusal. The SDK's own retries are off: `model.with_retries` is the single retry loop.
"""

from __future__ import annotations

from typing import Any

import anthropic

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


class AnthropicModel:
    """The `Model` protocol over `anthropic.Anthropic(...).messages`."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        self.name = settings.name
        self._client: anthropic.Anthropic | None = None

    def complete_structured(
        self, system: str, user: str, schema: type[T], *, tool_name: str
    ) -> tuple[T, Usage]:
        description = (schema.__doc__ or tool_name).strip().splitlines()[0]
        tool = {
            "name": tool_name,
            "description": description,
            "input_schema": schema.model_json_schema(),
        }
        spent = [Usage()]

        def attempt(note: str | None) -> T:
            response = self._create(
                system,
                with_note(user, note),
                tools=[tool],
                tool_choice={"type": "tool", "name": tool_name},
            )
            spent[0] += _usage(response)
            for block in response.content:
                if block.type == "tool_use" and block.name == tool_name:
                    return parse_answer(block.input, schema)
            text = _text(response)
            if text:  # some proxies answer in text; accept it if it is the JSON asked for
                return parse_answer(text, schema)
            raise malformed(f"the model did not call the tool {tool_name}")

        answer = with_retries(attempt, self.settings)
        return answer, spent[0]

    def complete_text(self, system: str, user: str) -> tuple[str, Usage]:
        spent = [Usage()]

        def attempt(note: str | None) -> str:
            response = self._create(system, with_note(user, note))
            spent[0] += _usage(response)
            text = _text(response)
            if not text:
                raise malformed("the model returned no text")
            return text

        return with_retries(attempt, self.settings), spent[0]

    def _create(self, system: str, user: str, **extra: Any) -> Any:
        """One messages.create; SDK errors become ModelError or Retry here."""
        settings = self.settings
        try:
            response = self._sdk().messages.create(
                model=settings.model,
                max_tokens=settings.max_tokens,
                system=system,
                messages=[{"role": "user", "content": user}],
                **extra,
            )
        except anthropic.APITimeoutError as exc:
            raise timed_out(settings) from exc
        except anthropic.APIConnectionError as exc:
            raise unreachable(settings) from exc
        except anthropic.APIStatusError as exc:
            raise status_failure(
                exc.status_code, safe_message(_error_text(exc), settings), settings
            ) from exc
        if response.stop_reason == "refusal":
            raise refused(safe_message(_text(response), settings))
        if response.stop_reason == "max_tokens":
            raise truncated(settings)
        return response

    def _sdk(self) -> anthropic.Anthropic:
        if self._client is None:
            if not self.settings.api_key:
                raise missing_key(self.settings)
            self._client = anthropic.Anthropic(
                api_key=self.settings.api_key,
                base_url=self.settings.base_url,
                timeout=self.settings.timeout,
                max_retries=0,
            )
        return self._client


def _text(response: Any) -> str:
    return "".join(b.text for b in response.content if b.type == "text").strip()


def _usage(response: Any) -> Usage:
    usage = getattr(response, "usage", None)
    if usage is None:
        return Usage()
    return Usage(usage.input_tokens or 0, usage.output_tokens or 0)


def _error_text(exc: anthropic.APIStatusError) -> str:
    """The server's own message (`{"type": "error", "error": {"message": ...}}`)."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return exc.message
