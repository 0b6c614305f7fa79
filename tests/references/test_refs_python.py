"""Code references in Python: Django (models, querysets, F/Q, serializers, admin, templates,
raw SQL) and SQLAlchemy (declarative, Core, text()), with near misses on every line kind."""

from __future__ import annotations

import pytest
from refs_markers import FIXTURES, lines, markers, score

from migwright.tools.references import Match, Target, find_references
from migwright.tools.repo import RepoFacts

DROP_TOTAL = [Target("orders", "total", "drop")]


@pytest.mark.parametrize(
    ("fixture", "framework", "expected_refs", "expected_nears"),
    [("django_shop", "django", 25, 21), ("sqlalchemy_shop", "alembic", 9, 6)],
)
def test_python_precision_and_recall_are_exact(
    fixture: str, framework: str, expected_refs: int, expected_nears: int
) -> None:
    root = FIXTURES / fixture
    refs_expected, nears = markers(root)
    assert (len(refs_expected), len(nears)) == (expected_refs, expected_nears)
    found = lines(find_references(RepoFacts.load(root), framework, DROP_TOTAL))
    assert found & nears == set(), "a near miss was reported"
    assert score(found, refs_expected) == (1.0, 1.0), (
        sorted(found - refs_expected),
        sorted(refs_expected - found),
    )


def test_django_reports_what_matched_and_how_sure() -> None:
    refs = find_references(RepoFacts.load(FIXTURES / "django_shop"), "django", DROP_TOTAL)
    by_line = {(r.path, r.line): r for r in refs}
    assert by_line[("orders/models.py", 17)].match is Match.FIELD
    assert by_line[("orders/views.py", 15)].match is Match.ATTRIBUTE
    assert by_line[("orders/views.py", 23)].match is Match.QUERY
    assert by_line[("orders/serializers.py", 13)].match is Match.SERIALIZER
    assert by_line[("orders/admin.py", 10)].match is Match.SERIALIZER
    assert by_line[("orders/reports.py", 24)].match is Match.RAW_SQL
    assert by_line[("orders/templates/orders/order_detail.html", 4)].match is Match.TEMPLATE
    assert by_line[("reports/monthly.sql", 2)].match is Match.RAW_SQL
    # typed from `get_object_or_404(Order, ...)`: sure; named `order` in a module that never
    # imports Order: a guess
    assert by_line[("orders/views.py", 15)].confidence == 0.9
    assert by_line[("billing/views.py", 11)].confidence == 0.4
    assert all(r.target == DROP_TOTAL[0] for r in refs)
    assert by_line[("orders/views.py", 15)].text == "total = order.total  # REF"
    assert by_line[("orders/views.py", 15)].column == 19


def test_django_roles_say_filter_and_sort() -> None:
    refs = find_references(RepoFacts.load(FIXTURES / "django_shop"), "django", DROP_TOTAL)
    roles = {(r.path, r.line, r.role) for r in refs if r.role}
    assert ("orders/views.py", 22, "filter") in roles  # filter(total__gte=...)
    assert ("orders/views.py", 22, "sort") in roles  # order_by("-total")
    assert ("orders/views.py", 35, "filter") in roles  # order__total__gt across a relation
    assert ("orders/models.py", 22, "sort") in roles  # Meta.ordering
    assert ("orders/reports.py", 8, "filter") in roles  # WHERE total > %s
    assert ("orders/reports.py", 9, "sort") in roles  # ORDER BY total


def test_django_table_drop_finds_the_model_and_its_uses() -> None:
    refs = find_references(
        RepoFacts.load(FIXTURES / "django_shop"), "django", [Target("orders", None, "drop")]
    )
    found = {(r.path, r.line, str(r.match)) for r in refs}
    assert found == {
        ("billing/models.py", 7, "model"),  # ForeignKey("orders.Order")
        ("orders/admin.py", 5, "model"),  # the import
        ("orders/admin.py", 8, "model"),  # @admin.register(Order)
        ("orders/models.py", 14, "model"),  # class Order
        ("orders/models.py", 34, "model"),  # ForeignKey(Order)
        ("orders/reports.py", 7, "raw sql"),  # FROM orders
        ("orders/reports.py", 24, "raw sql"),
        ("orders/serializers.py", 5, "model"),
        ("orders/views.py", 9, "model"),
        ("orders/views.py", 13, "model"),
        ("orders/views.py", 22, "model"),
        ("orders/views.py", 24, "model"),
        ("orders/views.py", 25, "model"),
        ("orders/views.py", 26, "model"),
        ("reports/monthly.sql", 3, "raw sql"),
    }


def test_rename_target_keeps_its_new_name_and_the_same_places() -> None:
    rename = Target("orders", "total", "rename", "amount")
    refs = find_references(RepoFacts.load(FIXTURES / "django_shop"), "django", [rename])
    assert len(lines(refs)) == 25
    assert refs[0].target.describe() == "orders.total (renamed to amount)"


def test_sqlalchemy_attribute_named_differently_from_its_column() -> None:
    """`amount = mapped_column("total", ...)`: code says Order.amount, the column is total."""
    refs = find_references(RepoFacts.load(FIXTURES / "sqlalchemy_shop"), "alembic", DROP_TOTAL)
    texts = {r.text for r in refs if r.match is Match.ATTRIBUTE}
    assert any("Order.amount > minimum" in t for t in texts)
    assert not any("total" in t and "Order." in t for t in texts)
    core = find_references(
        RepoFacts.load(FIXTURES / "sqlalchemy_shop"), "alembic", [Target("ledger", "total", "drop")]
    )
    assert {(r.path, r.line) for r in core} == {("app/models.py", 36), ("app/queries.py", 33)}


def test_an_unknown_framework_is_refused_with_the_known_ones() -> None:
    from migwright.tools.errors import DetectionError

    with pytest.raises(DetectionError) as err:
        find_references(RepoFacts.load(FIXTURES / "django_shop"), "djangoo", DROP_TOTAL)
    assert "django" in err.value.hint


def test_no_targets_reads_nothing() -> None:
    assert find_references(RepoFacts.load(FIXTURES / "django_shop"), "django", []) == []
