"""The linter never crashes on text it cannot understand: it reports, or stays quiet."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from migwright.tools.lint import LintContext, lint_sql

_WORDS = st.sampled_from(
    [
        "CREATE", "ALTER", "DROP", "TABLE", "INDEX", "CONCURRENTLY", "ADD", "COLUMN", "TYPE",
        "CONSTRAINT", "FOREIGN", "KEY", "REFERENCES", "NOT", "NULL", "DEFAULT", "BEGIN",
        "COMMIT", "SET", "UPDATE", "WHERE", "t", "c", "(", ")", ",", ";", "'x'", "$$", "--",
        "/*", "*/", "ON", "ONLY", "USING", "CHECK", "VALID", "RENAME", "TO", "AFTER", "`b`",
        '"q"', "int", "varchar(10)", "PRAGMA", "DELIMITER", "END", "TRIGGER", "\n",
    ]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(_WORDS, max_size=40),
    dialect=st.sampled_from(["postgresql", "mysql", "sqlite"]),
    in_transaction=st.booleans(),
)
def test_lint_survives_arbitrary_statements(
    words: list[str], dialect: str, in_transaction: bool
) -> None:
    sql = " ".join(words)
    result = lint_sql(sql, LintContext(dialect, in_transaction=in_transaction), down=sql)
    for finding in result.findings:
        assert finding.message and finding.help
        assert finding.severity in ("error", "warning", "note")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_lint_survives_arbitrary_text(sql: str) -> None:
    lint_sql(sql, LintContext("postgresql"))
