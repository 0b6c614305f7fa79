"""Every rule against its corpus pair, and every rule documented (sqlite-utils' test_docs idea).

`tests/lint/corpus/<rule-id>/bad.sql` must trigger the rule and `good.sql` must not; the
docs pages in docs/rules/ are generated from the same pairs and must be up to date.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from migwright.tools.lint import RULES, lint_sql
from migwright.tools.lint.corpus import read_example
from migwright.tools.lint.docs import TABLE_END, TABLE_START, rule_page, rules_table

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "lint" / "corpus"
DOCS = ROOT / "docs" / "rules"
RULE_IDS = sorted(RULES)


def _lint(rule_id: str, kind: str) -> list[str]:
    example = read_example(CORPUS / rule_id / f"{kind}.sql")
    result = lint_sql(
        example.sql, example.ctx, file=f"{kind}.sql", down=example.down, rules=[rule_id]
    )
    return [f.rule for f in result.findings]


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_bad_example_triggers_the_rule(rule_id: str) -> None:
    assert rule_id in _lint(rule_id, "bad")


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_good_example_does_not_trigger_the_rule(rule_id: str) -> None:
    assert rule_id not in _lint(rule_id, "good")


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_has_corpus_pair_and_current_docs_page(rule_id: str) -> None:
    assert (CORPUS / rule_id / "bad.sql").is_file()
    assert (CORPUS / rule_id / "good.sql").is_file()
    page = DOCS / f"{rule_id}.md"
    assert page.is_file(), f"run: python -m migwright.tools.lint.docs to write {page}"
    expected = rule_page(RULES[rule_id], CORPUS)
    assert page.read_text(encoding="utf-8") == expected, (
        f"{page} is stale: run python -m migwright.tools.lint.docs"
    )


def test_corpus_has_no_pair_without_a_rule() -> None:
    orphans = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and p.name not in RULES)
    assert orphans == []


def test_readme_lists_every_rule_and_its_table_is_current() -> None:
    readme = (DOCS / "README.md").read_text(encoding="utf-8")
    start, end = readme.index(TABLE_START), readme.index(TABLE_END) + len(TABLE_END)
    assert readme[start:end] == rules_table()
    for rule_id in RULES:
        assert f"[{rule_id}]({rule_id}.md)" in readme


def test_rule_metadata_is_complete() -> None:
    families = ("ban-", "prefer-", "require-", "adding-", "changing-", "renaming-")
    for rule in RULES.values():
        assert rule.id == rule.id.lower() and " " not in rule.id
        assert rule.family and rule.dialects and rule.summary and rule.catalogue
        assert rule.severity in ("error", "warning", "note")
        if rule.family != "meta" and rule.id not in {
            "constraint-missing-not-valid", "disallowed-unique-constraint", "identifier-too-long",
            "transaction-nesting", "opaque-raw-sql", "irreversible-migration", "lossy-rollback",
            "down-drops-unrelated-data", "non-linear-history",
        }:  # fmt: skip
            assert rule.id.startswith(families), rule.id


def test_catalogue_rows_are_all_covered() -> None:
    """All 55 rows of LINT_CATALOGUE.md that apply to our dialects, and the 8 items no linter
    checks (none-1, size-based severity, is the engine itself: see test_lint_engine)."""
    covered = {row for rule in RULES.values() for row in rule.catalogue}
    rows = {str(n) for n in range(1, 56)} - {"25"}
    assert rows - covered == set()
    assert "25" in covered  # orm-only default: require-database-default
    assert {f"none-{n}" for n in (2, 3, 4, 5, 6, 7, 8)} <= covered


def test_every_safe_alternative_of_a_bad_example_names_the_example_table() -> None:
    """Safe alternatives are complete migrations with the user's names filled in."""
    for rule_id in RULE_IDS:
        example = read_example(CORPUS / rule_id / "bad.sql")
        result = lint_sql(example.sql, example.ctx, down=example.down, rules=[rule_id])
        for finding in result.findings:
            if finding.safe_alternative and finding.table:
                assert finding.table in finding.safe_alternative, rule_id
