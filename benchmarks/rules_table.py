"""The complete lint rules table for the README: id, dialects, severity, what it catches.

Generated from the rule registry (`migwright.tools.lint.RULES`), so the README part cannot list
a rule that does not exist or miss one that does. `docs/rules/README.md` keeps the longer table
with anchors to other linters (`migwright.tools.lint.docs.rules_table`); this one is the short
form a README reader scans.

    .venv/bin/python benchmarks/rules_table.py > table.md
"""

from __future__ import annotations

from migwright.tools.lint import RULES
from migwright.tools.lint.docs import DIALECT_LABELS


def rules_markdown() -> str:
    """One row per rule in registration order (grouped by family), linked to its docs page."""
    lines = [
        "| id | dialects | severity | what it catches |",
        "|---|---|---|---|",
    ]
    for rule in RULES.values():
        dialects = ", ".join(DIALECT_LABELS[d] for d in sorted(rule.dialects))
        severity = rule.severity + (" (by table size)" if rule.cost else "")
        if not rule.enabled_by_default:
            severity += ", opt-in"
        lines.append(
            f"| [`{rule.id}`](docs/rules/{rule.id}.md) | {dialects} | {severity} "
            f"| {rule.summary.replace('|', '/')} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(rules_markdown(), end="")
