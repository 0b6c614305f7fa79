"""Code references in JavaScript/TypeScript: TypeORM, Sequelize, Knex, Prisma and Drizzle,
read with tree-sitter; every fixture has near misses (comments, another table's column of
the same name, a local variable, the migration history)."""

from __future__ import annotations

import pytest
from refs_markers import FIXTURES, lines, markers, score

from migwright.tools.references import Match, Target, find_references
from migwright.tools.repo import RepoFacts

DROP_TOTAL = [Target("orders", "total", "drop")]


@pytest.mark.parametrize(
    ("fixture", "framework", "expected_refs", "expected_nears"),
    [
        ("typeorm_app", "typeorm", 9, 6),
        ("sequelize_app", "sequelize", 7, 3),
        ("knex_app", "knex", 8, 3),
        ("prisma_app", "prisma", 8, 3),
        ("drizzle_app", "drizzle", 5, 3),
    ],
)
def test_js_precision_and_recall_are_exact(
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


def _by_line(fixture: str, framework: str, targets: list[Target] = DROP_TOTAL) -> dict:
    refs = find_references(RepoFacts.load(FIXTURES / fixture), framework, targets)
    return {(r.path, r.line): r for r in refs}


def test_typeorm_kinds() -> None:
    refs = _by_line("typeorm_app", "typeorm")
    assert refs[("src/entity/Order.ts", 11)].match is Match.FIELD  # @Column() total
    assert refs[("src/services/orders.ts", 12)].match is Match.QUERY  # where: { total }
    assert refs[("src/services/orders.ts", 26)].role == "filter"  # .where("o.total > :min")
    assert refs[("src/services/orders.ts", 33)].match is Match.ATTRIBUTE  # o.total in map()
    assert refs[("src/services/orders.ts", 37)].match is Match.RAW_SQL


def test_knex_roles_and_joined_tables() -> None:
    refs = _by_line("knex_app", "knex")
    assert refs[("src/orders.js", 6)].role == "filter"  # .where("total", ">", min)
    assert refs[("src/orders.js", 7)].role == "sort"  # .orderBy("total", "desc")
    invoices = _by_line("knex_app", "knex", [Target("invoices", "total", "drop")])
    # `.select("orders.total", "invoices.total as invoiced")` names both tables' columns
    assert set(invoices) == {("src/orders.js", 17), ("src/orders.js", 18), ("src/orders.js", 29)}


def test_prisma_schema_and_client() -> None:
    refs = _by_line("prisma_app", "prisma")
    assert refs[("prisma/schema.prisma", 9)].match is Match.FIELD
    assert refs[("prisma/schema.prisma", 13)].match is Match.FIELD  # @@index([total])
    assert refs[("src/orders.ts", 7)].role == "filter"
    assert refs[("src/orders.ts", 9)].role == "sort"
    table = _by_line("prisma_app", "prisma", [Target("orders", None, "drop")])
    assert ("prisma/schema.prisma", 6) in table  # model Order (@@map("orders"))
    assert ("src/orders.ts", 6) in table  # prisma.order
    assert ("src/orders.ts", 15) not in table  # prisma.customer


def test_prisma_other_model_is_followed_through_relations() -> None:
    """The near misses for orders.total are the hits for customers.total."""
    refs = _by_line("prisma_app", "prisma", [Target("customers", "total", "drop")])
    assert set(refs) == {
        ("prisma/schema.prisma", 19),
        ("src/orders.ts", 15),
        ("src/orders.ts", 19),  # where: { customer: { total: ... } } through the relation
    }


def test_prisma_relation_fields_name_the_foreign_key() -> None:
    refs = _by_line("prisma_app", "prisma", [Target("orders", "customerId", "drop")])
    assert set(refs) == {("prisma/schema.prisma", 10), ("prisma/schema.prisma", 11)}


def test_drizzle_table_object_columns() -> None:
    refs = _by_line("drizzle_app", "drizzle")
    assert refs[("src/schema.ts", 10)].match is Match.ATTRIBUTE  # (t) => index().on(t.total)
    assert refs[("src/queries.ts", 9)].role == "filter"
    assert refs[("src/queries.ts", 10)].role == "sort"
