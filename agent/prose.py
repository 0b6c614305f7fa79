"""The model's one job in step 10: the Purpose paragraph of the migration document.

Everything else in the document (the tables of changes, data safety, locks, validation, the
checklist and its commands) is built by `tools/docs.py` from facts and never taken from a
model. With a model configured, `improve_purpose` asks `structured.prose_and_usage` for the
paragraph and keeps it only after three filters:

- secrets are redacted (`tools/repo.redact`), in case the model echoes something it was not
  shown;
- a sentence that contains SQL (a statement, or code with `;`) is dropped: SQL in a document
  reads as what runs, and only the rendered migration says that;
- a sentence that names a table, column, index or constraint absent from the plan is dropped:
  invented names are the typical failure, and a reviewer trusts names in a document.

If nothing survives, or the model cannot be reached, the deterministic paragraph stays and the
step says why. Offline, nothing here runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..tools.errors import MigwrightError
from ..tools.repo import redact

if TYPE_CHECKING:
    from ..tools.frameworks.render import MigrationPlan
    from .plan import Context

#: SQL statements as they appear in prose that quotes them (case-insensitive).
_SQL = re.compile(
    r"(?i)\b(alter\s+table|create\s+(unique\s+)?index|create\s+table|drop\s+(table|index|"
    r"constraint)\s+\w|insert\s+into|delete\s+from|update\s+\w+\s+set|select\s+.+\s+from|"
    r"truncate\s+table)\b|;"
)
#: Names in prose: `backticked`, dotted (table.column) or snake_case words.
_NAMES = re.compile(r"`([^`]+)`|\b([A-Za-z_][\w]*\.[A-Za-z_]\w*)\b|\b(\w*_\w*)\b")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(])")


@dataclass(frozen=True)
class Prose:
    """What the model's paragraph became: the text kept (None: use the deterministic one)."""

    text: str | None
    tokens: int = 0
    dropped: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


def improve_purpose(ctx: Context) -> Prose | None:
    """The model's Purpose paragraph for ctx.plan, filtered; None when no model is set."""
    from .model import Offline, load_model
    from .structured import prose_and_usage

    model = load_model(ctx.options.path)
    if isinstance(model, Offline):
        return None
    assert ctx.plan is not None
    try:
        text, usage = prose_and_usage(model, _facts(ctx))
    except MigwrightError as exc:
        return Prose(None, notes=[f"prose kept deterministic: {exc.one_line()}"])
    kept, dropped = checked_prose(text, ctx.plan)
    notes = [f"prose: dropped a sentence ({why}): {sentence}" for sentence, why in dropped]
    if not kept:
        notes.append("prose kept deterministic: no sentence of the model's text passed the checks")
    return Prose(kept or None, usage.total_tokens, tuple(s for s, _ in dropped), notes)


def checked_prose(text: str, plan: MigrationPlan) -> tuple[str, list[tuple[str, str]]]:
    """The sentences of `text` that pass the filters (see the module doc), and the dropped
    ones with the reason."""
    allowed = plan_names(plan)
    kept: list[str] = []
    dropped: list[tuple[str, str]] = []
    lines: list[str] = []
    fenced = False
    for line in (raw.strip() for raw in redact(text).splitlines()):
        if line.startswith("```"):
            fenced = not fenced
        elif fenced:
            dropped.append((line, "code block"))
        elif line and not line.startswith("#"):  # headings: the document has its own
            lines.append(line.lstrip("*->").strip())
    flat = " ".join(lines)
    for sentence in (s.strip() for s in _SENTENCE.split(flat) if s.strip()):
        if _SQL.search(sentence):
            dropped.append((sentence, "SQL"))
            continue
        unknown = [n for n in _names(sentence) if n.lower() not in allowed]
        if unknown:
            dropped.append((sentence, f"names {unknown[0]}, which the plan does not"))
            continue
        kept.append(sentence)
    return " ".join(kept), dropped


def plan_names(plan: MigrationPlan) -> set[str]:
    """Every name the plan may be described with, lower-cased: its tables, their columns,
    indexes and constraints before and after, and the words of the migration's name."""
    tables = {t for op in plan.operations for t in op.tables}
    names: set[str] = set(tables)
    for schema in (plan.before, plan.after):
        for name in tables:
            if schema.has_table(name):
                table = schema.table(name)
                names |= {c.name for c in table.columns}
                names |= {i.name for i in table.indexes}
                names |= set(table.constraint_names())
    names |= {f"{t}.{c}" for t in tables for c in list(names)}
    names |= set(re.findall(r"[A-Za-z0-9]+", plan.name)) | set(re.findall(r"\w+", plan.name))
    names.add(plan.name)
    return {n.lower() for n in names if n}


def _names(sentence: str) -> Iterable[str]:
    for quoted, dotted, snake in _NAMES.findall(sentence):
        if quoted:
            yield quoted.strip()
        elif dotted:
            yield dotted
        elif snake and snake.strip("_"):
            yield snake


def _facts(ctx: Context) -> dict[str, Any]:
    """The facts the paragraph may use: the plan and the verdicts, no SQL and no config."""
    assert ctx.plan is not None and ctx.analysis is not None
    plan = ctx.plan
    report = ctx.report.to_json() if ctx.report is not None else None
    facts: dict[str, Any] = {
        "request": " ".join(ctx.options.args),
        "description": plan.description,
        "framework": ctx.analysis.framework.title,
        "dialect": plan.dialect,
        "operations": [op.describe().strip() for op in plan.operations],
        "reversibility": plan.reverse.reversibility().value,
        "the down cannot restore": list(plan.reverse.data_loss) or "nothing",
        "validation": "not run" if report is None else ("passed" if report.get("ok") else "failed"),
        "lint findings": [f"{f.severity} {f.rule}: {f.message}" for f in ctx.findings] or "none",
    }
    if ctx.references:
        facts["code that uses what changes"] = [r.describe() for r in ctx.references[:10]]
    return facts
