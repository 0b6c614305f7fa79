"""Plain English in the chat: through the model when one is configured, else one line.

With a model, a new sentence is planned by `structured.plan_from_english` (checked, repaired,
never run unchecked); a sentence while a plan is under discussion is sent as a revision of
that plan, so "and also index it by author" keeps what was agreed. Without a model, the person
gets one line: how to configure one, and the structured request the sentence most likely
means (`structured_hint`: "add reading time to posts" -> `--add-column "posts.reading_time
integer"`), or an example on one of the repo's own tables.
"""

from __future__ import annotations

import re
from typing import Any

from ..tools.schema import Schema
from ..tools.spec import ALL_VERBS, Request
from .chat_commands import FOLLOW_UPS, tidy

VERBS = ALL_VERBS

CONFIGURE = "set MIGWRIGHT_MODEL (e.g. openai:gpt-4o-mini with OPENAI_API_KEY; see README)"


def model_for(session: Any) -> Any:
    """The configured model, loaded on first use and kept; None when offline."""
    from .model import Offline, load_model

    if session.model is None:
        session.model = load_model(session.options.path)
    return None if isinstance(session.model, Offline) else session.model


def plan(
    model: Any, text: str, request: Request | None, before: Schema, dialect: str
) -> tuple[Request | None, list[str]]:
    """The model's plan for `text` (a revision of `request` when one is under discussion),
    or the questions it asks back instead."""
    from .structured import plan_from_english

    ask = text if request is None else revision(text, request)
    planned = plan_from_english(model, ask, before, dialect=dialect)
    if planned.questions:
        return None, list(planned.questions)
    raw = text if request is None else f"{request.raw}; {text}"
    return Request(planned.operations, planned.description, raw), []


def revision(text: str, request: Request) -> str:
    """The request the model gets for a follow-up: the change, then the plan it changes."""
    current = "\n".join(f"- {op.describe().strip()}" for op in request.operations)
    return (
        f"{text}\n\nThis changes the plan under discussion, asked as {request.raw!r}:\n"
        f"{current}\nAnswer with the whole revised plan. If the request above is about "
        "something else, plan only that."
    )


def offline_line(text: str, request: Request | None, before: Schema, dialect: str) -> str:
    """What to say to plain English without a model: how to get one, what to type instead."""
    hint = structured_hint(text, before, dialect)
    if request is None or hint is not None:
        example = before.tables[0].name if before.tables else "orders"
        hint = hint or f'--add-column "{example}.new_column text" (/help lists what works)'
        return f"plain English needs a language model: {CONFIGURE}; offline, type: {hint}"
    hint = '--add-column "t.c type" (/help lists what works)'
    return (
        f"not a follow-up migwright knows without a model (it knows: {'; '.join(FOLLOW_UPS)}); "
        f"for anything else {CONFIGURE}, or type a request: {hint}"
    )


_ADD_COLUMN = re.compile(
    r"^add\s+(?:a\s+|an\s+|the\s+)?(?:new\s+)?(?:column\s+)?(?P<col>[\w ]+?)(?:\s+column)?"
    r"(?:\s+(?:of\s+type|as(?:\s+an?)?)\s+(?P<type>\w+(?:\([\d, ]+\))?))?"
    r"\s+(?:to|on|in)\s+(?:the\s+)?(?P<table>\w+)(?:\s+table)?$",
    re.I,
)
_ADD_INDEX = re.compile(
    r"^(?:add|create)\s+(?:an?\s+)?(?P<unique>unique\s+)?index\s+on\s+"
    r"(?:(?P<table>\w+)\s*[.(]\s*(?P<col>\w+)\)?|(?P<col2>\w+)\s+(?:of|in|on)\s+(?P<table2>\w+))$",
    re.I,
)
_DROP_COLUMN = re.compile(
    r"^(?:drop|remove|delete)\s+(?:the\s+)?(?:column\s+)?(?P<col>\w+)(?:\s+column)?\s+from\s+"
    r"(?:the\s+)?(?P<table>\w+)(?:\s+table)?$",
    re.I,
)
_RENAME_COLUMN = re.compile(
    r"^rename\s+(?:the\s+)?(?:column\s+)?(?:(?P<table>\w+)\.(?P<col>\w+)|(?P<col2>\w+)\s+"
    r"(?:in|on|of)\s+(?:the\s+)?(?P<table2>\w+))\s+to\s+(?P<new>\w+)$",
    re.I,
)


def structured_hint(text: str, schema: Schema, dialect: str) -> str | None:
    """The structured request a plain-English sentence most likely means; None if unknown."""
    t = tidy(text)

    def table(name: str | None) -> str | None:
        for candidate in (name, f"{name}s", (name or "")[:-1]):
            if candidate and schema.has_table(candidate):
                return candidate
        return None

    if (m := _ADD_COLUMN.match(t)) and (tab := table(m["table"])):
        col = "_".join(m["col"].lower().split())
        kind = m["type"] or _guess_type(col, dialect)
        return f'--add-column "{tab}.{col} {kind}"'
    if (m := _ADD_INDEX.match(t)) and (tab := table(m["table"] or m["table2"])):
        unique = " unique" if m["unique"] else ""
        return f'--add-index "{tab} ({m["col"] or m["col2"]}){unique}"'
    if (m := _DROP_COLUMN.match(t)) and (tab := table(m["table"])):
        return f'--drop-column "{tab}.{m["col"]}"'
    if (m := _RENAME_COLUMN.match(t)) and (tab := table(m["table"] or m["table2"])):
        return f'--rename-column "{tab}.{m["col"] or m["col2"]} to {m["new"]}"'
    return None


def _guess_type(column: str, dialect: str) -> str:
    """A plausible type from a column's name, for a suggestion the person reviews."""
    if column.endswith("_at"):
        return "timestamptz" if dialect == "postgresql" else "timestamp"
    if column.startswith(("is_", "has_", "can_")):
        return "boolean"
    if column.endswith("_id"):
        return "bigint"
    if column.endswith(("_on", "_date", "date")):
        return "date"
    if re.search(r"(count|minutes|seconds|hours|days|number|quantity|position|rank|age)$", column):
        return "integer"
    if re.search(r"(price|amount|total|cost|balance)$", column):
        return "numeric(12,2)"
    return "text"
