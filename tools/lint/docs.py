"""The rule docs pages, generated from each rule and its corpus pair so they cannot drift.

`docs/rules/<id>.md` shows the problem (the finding's message for `bad.sql`), the example,
what to do (the help), the safe alternative the linter proposes for that example, the passing
example and the mapping to other linters. `docs/rules/README.md` keeps hand-written policy
prose; only the table between its `<!-- rules -->` markers is generated.

Regenerate with: python -m migwright.tools.lint.docs [docs/rules] [tests/lint/corpus]
"""

from __future__ import annotations

import sys
from pathlib import Path

from .base import RULES, Rule
from .corpus import read_example
from .engine import lint_sql

DIALECT_LABELS = {"postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB", "sqlite": "SQLite"}
LINTER_LABELS = {
    "squawk": "Squawk",
    "strong_migrations": "strong_migrations",
    "atlas": "Atlas",
    "django-migration-linter": "django-migration-linter",
    "django-pg-zero-downtime-migrations": "django-pg-zero-downtime-migrations",
    "bytebase": "Bytebase SQL review",
    "(none)": "(no linter checks this)",
}
COST_LABELS = {
    "rewrite": "rewrites the table",
    "scan": "scans the table",
    "index": "builds an index",
    "update": "updates rows",
}
TABLE_START, TABLE_END = "<!-- rules -->", "<!-- /rules -->"

#: Policy notes for rules whose behaviour depends on the server version or a choice we made.
NOTES: dict[str, str] = {
    "adding-field-with-default": "PostgreSQL 11+ stores a non-volatile default in the catalog: "
    "no rewrite, no finding. Volatile functions (random(), clock_timestamp(), "
    "gen_random_uuid(), nextval(), unknown functions) always rewrite. Without a version, 11+ is "
    "assumed (10 left support in 2022).",
    "adding-field-with-expression-default": "Literal defaults and CURRENT_TIMESTAMP are instant "
    "on MySQL 8.0.12+ and MariaDB 10.3.2+; on older servers (give the version) any default "
    "rebuilds.",
    "adding-not-nullable-field": "The CHECK ... NOT VALID / VALIDATE / SET NOT NULL sequence "
    "needs PostgreSQL 12 to skip the scan; with an older version the rule says to keep the "
    "validated CHECK instead. A CHECK (column IS NOT NULL) validated earlier in the migration, or "
    "present in the before schema, silences the rule.",
    "ban-concurrent-index-pg14-corruption": "Only fires when the server version is given "
    "(14.0 to 14.3).",
    "ban-column-reorder": "ADD COLUMN ... AFTER is instant from MySQL 8.0.29 and MariaDB 10.4: "
    "give the version to silence it there. MODIFY ... AFTER always rebuilds.",
    "ban-inline-references": "MySQL 8 ignores inline REFERENCES; newer servers (MySQL 9, MariaDB "
    "10.5+) create the key, so with such a version the finding is a warning about portability.",
    "changing-column-type": "Where the anchors disagree (Squawk flags every type change, "
    "strong_migrations/Atlas allow binary-compatible ones), migwright stays quiet when it knows "
    "the old type (before schema or an earlier statement) and the change is binary-compatible: "
    "longer varchar, varchar to text, more numeric precision at the same scale, cidr to inet; "
    "MySQL: longer VARCHAR within the same length-prefix size. Unknown old type: flagged.",
    "adding-foreign-key-constraint": "A foreign key on a table created in the same migration "
    "is not flagged (nothing to validate); the referenced table is still locked briefly, which "
    "require-lock-timeout covers. MySQL: silenced by SET foreign_key_checks = 0 earlier in the "
    "file.",
    "ban-drop-table": "Tables created earlier in the same migration, SQLite rebuilds (DROP then "
    "RENAME of the copy) and drops followed by a re-CREATE (see ban-create-table-force) are not "
    "flagged here. In a down, down-drops-unrelated-data judges drops instead.",
    "require-index-for-foreign-key": "MySQL/InnoDB creates the index itself, so the rule is for "
    "PostgreSQL and SQLite. Indexes from the before schema, primary keys, unique constraints and "
    "CREATE INDEX anywhere in the migration count when their leading columns are the key's.",
    "ban-sqlite-rebuild-with-foreign-keys": "PRAGMA foreign_keys is a no-op inside a "
    "transaction, so only a pragma outside one turns the rule off. With the state unknown "
    "(sqlite_foreign_keys not given) the finding is a warning.",
    "require-statement-timeout": "PostgreSQL only: MySQL's max_execution_time applies to "
    "SELECT statements only, so it cannot bound a migration's DDL.",
    "opaque-raw-sql": "Raw SQL inside ORM migrations (Alembic op.execute, Django RunSQL, Rails "
    "execute) is linted like any SQL once extracted: lint the output of `alembic upgrade "
    "--sql`, `manage.py sqlmigrate`, or migwright's own rendered plans, and only statements "
    "nobody can read (DO blocks, procedure calls) end up here.",
    "non-linear-history": "Needs the framework's history (LintContext.history) and, for the "
    "order check, the id of the migration being linted.",
    "require-online-ddl-options": "An explicit ALGORITHM=COPY or LOCK=SHARED/EXCLUSIVE is "
    "flagged with size-based severity; a statement stating neither is a note.",
    "ban-large-table-ddl": "Needs table sizes (LintContext.stats or `table_stats(engine)`); "
    "ALGORITHM=INSTANT statements are exempt.",
    "ban-index-on-partitioned-table": "Needs to know the table is partitioned "
    "(LintContext.partitioned_tables, filled by `partitioned_tables(engine)`). CREATE INDEX ... "
    "ON ONLY is the first step of the safe way and is not flagged.",
    "require-schema-qualified-name": "Off by default; select it with rules=[...] to use it.",
}


def rule_page(rule: Rule, corpus: Path) -> str:
    """The markdown page of one rule, from its definition and its corpus pair."""
    bad = read_example(corpus / rule.id / "bad.sql")
    good = read_example(corpus / rule.id / "good.sql")
    result = lint_sql(bad.sql, bad.ctx, file="bad.sql", down=bad.down, rules=[rule.id])
    finding = next(f for f in result.findings if f.rule == rule.id)
    dialects = ", ".join(DIALECT_LABELS[d] for d in sorted(rule.dialects))
    severity: str = rule.severity
    if rule.cost:
        severity += (
            f" (it {COST_LABELS[rule.cost]}: with table sizes, a note under 10,000 rows, an "
            "error over 1,000,000 rows or 1 GiB, a warning between)"
        )
    lines = [
        f"# {rule.id}",
        "",
        f"{rule.summary}.",
        "",
        "| | |",
        "|---|---|",
        f"| Dialects | {dialects} |",
        f"| Default severity | {severity} |",
        f"| Family | {rule.family} |",
        f"| Enabled by default | {'yes' if rule.enabled_by_default else 'no'} |",
        f"| Catalogue row | {', '.join(rule.catalogue)} |",
        "",
        "## Problem",
        "",
        _sentence(finding.message),
        "",
        "```sql",
        bad.body.rstrip(),
        "```",
    ]
    if bad.down is not None:
        lines += ["", "with this down:", "", "```sql", bad.down.strip(), "```"]
    lines += ["", "## What to do", "", _sentence(finding.help)]
    if finding.safe_alternative:
        lines += ["", "## Safe alternative", "", "```sql", finding.safe_alternative, "```"]
    lines += ["", "## Passes", "", "```sql", good.body.rstrip(), "```"]
    if rule.id in NOTES:
        lines += ["", "## Notes", "", NOTES[rule.id]]
    lines += ["", "## Other linters", "", "| linter | rule |", "|---|---|"]
    lines += [f"| {LINTER_LABELS.get(k, k)} | {v} |" for k, v in rule.anchors.items()]
    if not rule.anchors:
        lines.append("| (none) | migwright's own |")
    lines += [
        "",
        "## Silencing it",
        "",
        "For one statement, with a reason (a marker without one silences nothing):",
        "",
        "```sql",
        f"-- migwright: ignore {rule.id} <why it is safe here>",
        "```",
        "",
    ]
    return "\n".join(lines)


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def rules_table() -> str:
    lines = [
        TABLE_START,
        "| id | dialects | severity | catalogue | anchors |",
        "|---|---|---|---|---|",
    ]
    for rule in RULES.values():
        dialects = ", ".join(DIALECT_LABELS[d] for d in sorted(rule.dialects))
        anchors = "; ".join(f"{LINTER_LABELS.get(k, k)}: {v}" for k, v in rule.anchors.items())
        severity = rule.severity + (" (sized)" if rule.cost else "")
        lines.append(
            f"| [{rule.id}]({rule.id}.md) | {dialects} | {severity} | "
            f"{', '.join(rule.catalogue)} | {anchors or '-'} |"
        )
    lines.append(TABLE_END)
    return "\n".join(lines)


def write_docs(docs: Path, corpus: Path) -> list[Path]:
    """Write every rule page and refresh the README's table; returns the files written."""
    from . import rules_load  # noqa: F401

    written = []
    docs.mkdir(parents=True, exist_ok=True)
    for rule in RULES.values():
        path = docs / f"{rule.id}.md"
        path.write_text(rule_page(rule, corpus), encoding="utf-8")
        written.append(path)
    readme = docs / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        start, end = text.find(TABLE_START), text.find(TABLE_END)
        if start >= 0 and end > start:
            text = text[:start] + rules_table() + text[end + len(TABLE_END) :]
            readme.write_text(text, encoding="utf-8")
            written.append(readme)
    return written


if __name__ == "__main__":  # pragma: no cover - a maintenance command, silent like every tool
    write_docs(
        Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules"),
        Path(sys.argv[2] if len(sys.argv) > 2 else "tests/lint/corpus"),
    )
