"""Targets from a plan, and index evidence: queries that would use a new index."""

from __future__ import annotations

import json

from refs_markers import FIXTURES

from migwright.tools import ops as o
from migwright.tools.references import (
    Target,
    find_references,
    queries_for_index,
    targets_for,
    unused_index_note,
)
from migwright.tools.repo import RepoFacts
from migwright.tools.schema import Column


def test_targets_are_drops_renames_and_type_changes_only() -> None:
    plan = [
        o.AddColumn("orders", Column("note", "text")),
        o.DropColumn("orders", "total"),
        o.RenameColumn("orders", "status", "state"),
        o.AlterColumn("orders", "created_at", nullable=False),  # no type change: no target
        o.AlterColumn("orders", "state", type="varchar(40)"),
        o.DropTable("legacy_orders"),
    ]
    assert targets_for(plan) == [
        Target("orders", "total", "drop"),
        Target("orders", "status", "rename", "state"),
        Target("orders", "status", "type"),  # the code still says status
        Target("legacy_orders", None, "drop"),
    ]


def test_targets_use_the_names_the_code_knows_through_renames() -> None:
    plan = [
        o.RenameTable("orders", "purchases"),
        o.DropColumn("purchases", "total"),
        o.RawSQL(
            "ALTER TABLE purchases DROP COLUMN note", effects=(o.DropColumn("purchases", "note"),)
        ),
    ]
    assert targets_for(plan) == [
        Target("orders", None, "rename", "purchases"),
        Target("orders", "total", "drop"),
        Target("orders", "note", "drop"),
    ]


def test_references_serialise_for_reports() -> None:
    refs = find_references(
        RepoFacts.load(FIXTURES / "knex_app"), "knex", [Target("orders", "total", "drop")]
    )
    data = json.loads(json.dumps([r.to_dict() for r in refs]))
    assert data[0] == {
        "path": "src/orders.js",
        "line": 5,
        "column": 19,
        "text": '.select("id", "total") // REF',
        "match": "query",
        "confidence": 1.0,
        "role": None,
        "target": {"table": "orders", "column": "total", "kind": "drop", "new_name": None},
    }
    assert refs[0].describe() == 'src/orders.js:5: query (1.0): .select("id", "total") // REF'


def test_index_evidence_lists_filters_and_sorts_on_the_leading_column() -> None:
    repo = RepoFacts.load(FIXTURES / "django_shop")
    refs = queries_for_index(repo, "orders", ["total", "status"], "django")
    assert {(r.path, r.line, r.role) for r in refs} == {
        ("orders/models.py", 22, "sort"),  # Meta.ordering: every default query sorts by it
        ("orders/reports.py", 8, "filter"),
        ("orders/reports.py", 9, "sort"),
        ("orders/reports.py", 24, "filter"),
        ("orders/views.py", 22, "filter"),
        ("orders/views.py", 22, "sort"),
        ("orders/views.py", 26, "filter"),
        ("orders/views.py", 35, "filter"),
    }
    assert all(r.target.kind == "index" for r in refs)
    assert unused_index_note("orders", ["total", "status"], refs) is None


def test_index_on_a_column_no_query_uses_gets_a_note() -> None:
    repo = RepoFacts.load(FIXTURES / "django_shop")
    assert queries_for_index(repo, "orders", ["status", "total"], "django") == [
        r for r in queries_for_index(repo, "orders", ["status"], "django")
    ]
    refs = queries_for_index(repo, "orders", ["created_at"], "django")
    assert refs == []
    note = unused_index_note("orders", ["created_at"], refs)
    assert note is not None and "orders(created_at)" in note and "unused" in note


def test_expression_index_counts_queries_on_its_column() -> None:
    repo = RepoFacts.load(FIXTURES / "rails_app")
    refs = queries_for_index(repo, "orders", ["lower(total)"], "rails")
    assert {(r.path, r.line) for r in refs} == {
        ("app/controllers/orders_controller.rb", 3),
        ("app/controllers/orders_controller.rb", 23),
        ("app/controllers/orders_controller.rb", 29),
        ("app/models/order.rb", 6),
    }
    knex = queries_for_index(RepoFacts.load(FIXTURES / "knex_app"), "orders", ["status"], "knex")
    assert [(r.line, r.role) for r in knex] == [(12, "filter")]
