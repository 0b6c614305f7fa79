"""SQL text in code: statements, fragments, files; the table decides, comments never match."""

from __future__ import annotations

from pathlib import Path

import pytest

from migwright.tools.references import find_references
from migwright.tools.references_sql import fragment_hits, looks_like_sql, sql_hits
from migwright.tools.references_types import Target
from migwright.tools.repo import RepoFacts

TOTAL = Target("orders", "total", "drop")
TABLE = Target("orders", None, "drop")


def _words(sql: str, target: Target = TOTAL) -> list[tuple[str, str | None, float]]:
    """(text at each hit, role, confidence)."""
    word = target.column or target.table
    return [
        (sql[h.offset : h.offset + len(word)], h.role, h.confidence)
        for h in sql_hits(sql, [target])
    ]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT total FROM orders", [("total", None, 1.0)]),
        ("SELECT total FROM invoices", []),
        (
            "SELECT o.total FROM orders o WHERE o.total > 5",
            [("total", None, 1.0), ("total", "filter", 1.0)],
        ),
        ("SELECT i.total FROM orders o JOIN invoices i ON i.order_id = o.id", []),
        ("SELECT total FROM orders o JOIN invoices i ON i.order_id = o.id", [("total", None, 0.7)]),
        (
            "UPDATE orders SET total = 0 WHERE total < 0",
            [("total", None, 1.0), ("total", "filter", 1.0)],
        ),
        ("INSERT INTO orders (status, total) VALUES (?, ?)", [("total", None, 1.0)]),
        ("SELECT status FROM orders ORDER BY total DESC", [("total", "sort", 1.0)]),
        ("SELECT status FROM orders GROUP BY total", [("total", "sort", 1.0)]),
        ("SELECT id FROM orders -- total is gone\nWHERE id = 1", []),
        ("SELECT id FROM orders WHERE id IN (SELECT order_id FROM items WHERE total > 0)", []),
    ],
)
def test_sql_statements(sql: str, expected: list[tuple[str, str | None, float]]) -> None:
    assert _words(sql) == expected


def test_table_targets_and_unparseable_sql() -> None:
    assert _words("SELECT * FROM orders JOIN items ON true", TABLE) == [("orders", None, 1.0)]
    assert _words("DELETE FROM invoices", TABLE) == []
    # a template hole where a keyword goes: sqlglot's tokenizer still finds the table
    assert _words("SELECT total FROM orders ?? WHERE total > 1") == [
        ("total", None, 0.6),
        ("total", "filter", 0.6),
    ]


def test_fragments_are_parsed_inside_a_query_on_their_table() -> None:
    hits = fragment_hits("o.total > :min AND status = 'x'", "orders", [TOTAL], "where", "o")
    assert [(h.offset, h.role) for h in hits] == [(2, "filter")]
    assert [h.role for h in fragment_hits("total DESC", "orders", [TOTAL], "order")] == ["sort"]
    assert fragment_hits("total > 0", "invoices", [TOTAL], "where") == []
    joined = fragment_hits("invoices.x <= orders.total", "invoices", [TOTAL], "where")
    assert [(h.offset, h.confidence) for h in joined] == [(21, 0.7)]


@pytest.mark.parametrize(
    ("text", "is_sql"),
    [
        ("SELECT total FROM orders", True),
        ("  select 1 from dual", True),
        ("UPDATE orders SET total = 0", True),
        ("Update your profile", False),
        ("Select a colour", False),
        ("delete the draft", False),
        ("WITH x AS (SELECT 1) SELECT * FROM x", True),
    ],
)
def test_looks_like_sql(text: str, is_sql: bool) -> None:
    assert looks_like_sql(text) is is_sql


def test_sql_files_outside_the_history_only(tmp_path: Path) -> None:
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "report.sql").write_text(
        "-- total per status\nSELECT status, sum(total)\nFROM orders GROUP BY status;\n"
    )
    (tmp_path / "db" / "migration").mkdir(parents=True)
    (tmp_path / "db" / "migration" / "V1__init.sql").write_text("CREATE TABLE orders (total int);")
    refs = find_references(RepoFacts.load(tmp_path), "flyway", [TOTAL])
    assert [(r.path, r.line, r.column) for r in refs] == [("queries/report.sql", 2, 20)]
