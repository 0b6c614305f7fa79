"""Inline escape hatches: `-- migwright: ignore <rule-id>[, <rule-id>] <reason>`.

A marker in the comments before a statement silences the named rules for that statement only.
Escape hatches must be searchable and explain themselves (strong_migrations' `safety_assured`
asks for a block, Squawk's `-- squawk-ignore` for the rule names), so a marker without a reason
silences nothing and is a finding itself (`ignore-needs-reason`), as is a marker naming a rule
that does not exist (`ignore-unknown-rule`): a typo must not hide a real finding silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .base import ALL_DIALECTS, RULES, Finding, Rule, register
from .statement import Stmt

IGNORE_NEEDS_REASON = register(
    Rule(
        "ignore-needs-reason",
        "meta",
        ALL_DIALECTS,
        "warning",
        "A `migwright: ignore` marker without a reason silences nothing",
        {"squawk": "(squawk-ignore takes no reason)", "strong_migrations": "safety_assured"},
        catalogue=("escape hatch",),
    )
)
IGNORE_UNKNOWN_RULE = register(
    Rule(
        "ignore-unknown-rule",
        "meta",
        ALL_DIALECTS,
        "warning",
        "A `migwright: ignore` marker names a rule that does not exist",
        {},
        catalogue=("escape hatch",),
    )
)


def apply_markers(
    statements: Sequence[Stmt], by_statement: Mapping[int, list[Finding]], active: Iterable[str]
) -> list[Finding]:
    """The statements' findings with markers applied, plus findings about the markers."""
    active_ids = set(active)
    result: list[Finding] = []
    index = {s.index: s for s in statements}
    for stmt in statements:
        silenced: set[str] = set()
        for marker in stmt.markers:
            unknown = [r for r in marker.rules if r not in RULES]
            if not marker.rules or not marker.reason:
                if IGNORE_NEEDS_REASON.id in active_ids:
                    result.append(_meta(IGNORE_NEEDS_REASON, stmt, marker.line, _no_reason(marker)))
                continue
            if unknown and IGNORE_UNKNOWN_RULE.id in active_ids:
                result.append(
                    _meta(
                        IGNORE_UNKNOWN_RULE,
                        stmt,
                        marker.line,
                        (
                            f"the marker names {', '.join(unknown)}, which is no migwright rule: "
                            "it silences nothing",
                            "fix the rule id (see docs/rules/README.md)",
                        ),
                    )
                )
            silenced.update(marker.rules)
        result += [f for f in by_statement.get(stmt.index, []) if f.rule not in silenced]
    for position, findings in by_statement.items():
        if position not in index:
            result += findings
    return result


def _no_reason(marker: object) -> tuple[str, str]:
    rules = getattr(marker, "rules", ())
    if not rules:
        return (
            "this `migwright: ignore` marker names no rule, so it silences nothing",
            "write `-- migwright: ignore <rule-id> <why it is safe here>`",
        )
    return (
        f"the marker ignoring {', '.join(rules)} gives no reason, so it silences nothing",
        f"say why it is safe: `-- migwright: ignore {rules[0]} <reason>`",
    )


def _meta(rule: Rule, stmt: Stmt, line: int, text: tuple[str, str]) -> Finding:
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        message=text[0],
        help=text[1],
        statement_index=stmt.index,
        file=stmt.file,
        line=line if stmt.file is not None else None,
        statement=stmt.excerpt(),
        docs=rule.docs_path,
    )
