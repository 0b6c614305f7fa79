"""Migration safety lint: rules over SQL text, SQL files and migwright's own plans.

    from migwright.tools.lint import LintContext, lint_sql
    result = lint_sql("CREATE INDEX i ON orders (user_id);", LintContext("postgresql"))
    result.findings[0].rule  # 'require-concurrent-index-creation'

Every rule has an id, a docs page (docs/rules/<id>.md) and a corpus pair
(tests/lint/corpus/<id>/{bad,good}.sql). Importing this package registers every rule.
"""

from __future__ import annotations

from . import rules_load  # noqa: F401  (registers the rules)
from .base import RULES, SEVERITIES, Finding, LintContext, Rule, TableStats, parse_version
from .engine import LintResult, failed, lint_file, lint_plan, lint_sql, select_rules
from .output import lint_result_to_json, to_sarif

__all__ = [
    "RULES",
    "SEVERITIES",
    "Finding",
    "LintContext",
    "LintResult",
    "Rule",
    "TableStats",
    "failed",
    "lint_file",
    "lint_plan",
    "lint_result_to_json",
    "lint_sql",
    "parse_version",
    "select_rules",
    "to_sarif",
]
