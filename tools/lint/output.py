"""Lint results as plain data: one JSON document, and SARIF 2.1.0 for code-scanning tools.

Nothing here prints or uses rich; the CLI renders. SARIF follows the OASIS 2.1.0 schema
(`sarif-schema-2.1.0.json`): one run, the rules that ran as `tool.driver.rules` (with their
help and docs), each finding a result with `ruleId`, `level`, `message.text` and, when it
comes from a file, a physical location with the line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .base import RULES, Finding
from .engine import LintResult

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SARIF_VERSION = "2.1.0"
TOOL_URI = "https://github.com/migwright/migwright"
#: SARIF levels for our severities (they match one to one).
LEVELS = {"error": "error", "warning": "warning", "note": "note"}


def lint_result_to_json(result: LintResult) -> dict[str, Any]:
    """The result as one JSON-serialisable document (what `migwright lint --json` prints)."""
    return {
        "dialect": result.dialect,
        "files": list(result.files),
        "statements": result.statements,
        "rules": list(result.rules),
        "summary": {
            "error": result.count("error"),
            "warning": result.count("warning"),
            "note": result.count("note"),
        },
        "findings": [f.to_dict() for f in result.findings],
    }


def to_sarif(
    findings: Iterable[Finding],
    files: Sequence[str] = (),
    *,
    rules: Iterable[str] | None = None,
    version: str | None = None,
) -> dict[str, Any]:
    """A SARIF 2.1.0 log of `findings`. `files` are the linted files (artifacts); `rules` the
    ids that ran (default: those with findings plus every rule if none given)."""
    items = list(findings)
    rule_ids = list(rules) if rules is not None else sorted({f.rule for f in items})
    for f in items:
        if f.rule not in rule_ids:
            rule_ids.append(f.rule)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    artifacts = list(dict.fromkeys([*files, *(f.file for f in items if f.file)]))
    driver: dict[str, Any] = {
        "name": "migwright",
        "informationUri": TOOL_URI,
        "rules": [_descriptor(rule_id) for rule_id in rule_ids],
    }
    if version:
        driver["version"] = version
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "artifacts": [{"location": {"uri": _uri(path)}} for path in artifacts],
        "results": [_result(f, index, artifacts) for f in items],
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _descriptor(rule_id: str) -> dict[str, Any]:
    rule = RULES.get(rule_id)
    if rule is None:
        return {"id": rule_id}
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": f"{rule.summary}. See {rule.docs_path}."},
        "defaultConfiguration": {
            "level": LEVELS[rule.severity],
            "enabled": rule.enabled_by_default,
        },
        "properties": {
            "family": rule.family,
            "dialects": sorted(rule.dialects),
            "anchors": dict(rule.anchors),
            "docs": rule.docs_path,
        },
    }


def _result(finding: Finding, index: dict[str, int], artifacts: list[str]) -> dict[str, Any]:
    text = finding.message.rstrip(".") + ". " + finding.help[:1].upper() + finding.help[1:] + "."
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index[finding.rule],
        "level": LEVELS[finding.severity],
        "message": {"text": text},
    }
    if finding.file:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": _uri(finding.file), "index": artifacts.index(finding.file)}
        }
        if finding.line:
            physical["region"] = {"startLine": finding.line}
        result["locations"] = [{"physicalLocation": physical}]
    properties: dict[str, Any] = {}
    if finding.table:
        properties["table"] = finding.table
    if finding.estimated_seconds is not None:
        properties["estimatedSeconds"] = finding.estimated_seconds
    if finding.statement_index is not None:
        properties["statementIndex"] = finding.statement_index
    if finding.safe_alternative:
        properties["safeAlternative"] = finding.safe_alternative
    if properties:
        result["properties"] = properties
    return result


def _uri(path: str) -> str:
    """A relative URI reference as SARIF wants it (forward slashes, spaces escaped)."""
    from urllib.parse import quote

    return quote(path.replace("\\", "/"), safe="/:._-~")
