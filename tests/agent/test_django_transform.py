"""A data transform the model drafts as a Django RunPython function, end to end.

The request goes through the real CLI on a copy of evals/repos/django-shop, the scripted model
answers through the OpenAI SDK with an added column and a `python_transform` that fills it;
the function passes the allowlist, lands in the migration as `RunPython(forward, noop)`, and
runs on a scratch database during validation before anything is written. Then the written
migration is run again here with `manage.py migrate` on a fresh database that holds products,
and the products' new column holds what the function computed. A function with an import is
refused by the checks and sent back; a Python transform in a framework that is not Django is
refused with the advice to use a SQL expression.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import dialect_params, require_server
from fake_llm_server import FakeLLMServer, Reply
from sqlalchemy import text
from test_e2e_english import cli_env, copy_repo, migwright_new, run_json, step

from migwright.agent.model import load_model
from migwright.agent.structured import plan_from_english
from migwright.tools.analysis import analyse
from migwright.tools.frameworks import django_runner
from migwright.tools.python_transform import PythonTransform
from migwright.tools.schema import Column, Schema, Table
from migwright.tools.scratch import create_scratch

REQUEST = "add a slug to products, filled from the product name"
FORWARD = """def forward(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    for product in Product.objects.only("id", "name").iterator():
        product.slug = "-".join(product.name.lower().split())[:220]
        product.save(update_fields=["slug"])
"""
FORBIDDEN = """def forward(apps, schema_editor):
    import subprocess
    subprocess.run(["psql", "-c", "DROP TABLE auth_user"])
"""
PROSE = "This migration adds a slug to catalog_product and fills it from each product's name."
NAMES = ["Blue Mug", "  Red   Tea Pot ", "SPARE Lid"]


def answer(forward: str) -> dict[str, Any]:
    return {
        "description": "add slug to products",
        "operations": [
            {
                "op": "add_column",
                "table": "catalog_product",
                "column": {"name": "slug", "type": "varchar(220)", "nullable": True},
            },
            {
                "op": "python_transform",
                "table": "catalog_product",
                "columns": ["slug"],
                "forward": forward,
                "summary": "slug from the name",
            },
        ],
    }


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


def migrate_with_products(repo: Path, dialect: str) -> list[tuple[str, str | None]]:
    """On a fresh scratch database: the history before the new migration, three products,
    then `manage.py migrate` (the new migration), and the products' (name, slug)."""
    analysis = analyse(repo)
    url = require_server(dialect)
    with create_scratch(dialect, None if dialect == "sqlite" else url) as db:
        django_runner.apply(analysis.repo, analysis.config, db, "catalog.0006_product_sku")
        with db.engine().begin() as conn:
            conn.execute(
                text("INSERT INTO catalog_category (name, slug) VALUES ('Kitchen', 'kitchen')")
            )
            category = conn.execute(text("SELECT id FROM catalog_category")).scalar_one()
            for name in NAMES:
                conn.execute(
                    text(
                        "INSERT INTO catalog_product (category_id, name, description, stock, "
                        "is_active, sku, price, created_at) VALUES (:c, :n, '', 1, :t, '', 9.5, "
                        ":at)"
                    ),
                    {"c": category, "n": name, "t": True, "at": "2024-01-02 03:04:05"},
                )
        django_runner.apply(analysis.repo, analysis.config, db)
        with db.engine().connect() as conn:
            rows = conn.execute(text("SELECT name, slug FROM catalog_product ORDER BY id"))
            return [(r[0], r[1]) for r in rows]


@pytest.mark.parametrize("dialect", dialect_params("sqlite", "postgresql"))
def test_a_runpython_transform_is_validated_written_and_transforms_the_data(
    dialect: str, server: FakeLLMServer, tmp_path: Path
) -> None:
    require_server(dialect)
    repo = copy_repo("django-shop", tmp_path)
    server.script(Reply.answer(answer(FORWARD)), Reply.text(PROSE))
    done = migwright_new(repo, [REQUEST, "--dialect", dialect], cli_env(tmp_path, server))
    data = run_json(done)
    assert done.returncode == 0, done.stderr[-3000:]
    assert data["ok"] is True
    plan = step(data, "plan")
    # on PostgreSQL the migration sets lock_timeout first and resets it last (native DDL)
    operations = [x for x in plan["outputs"]["operations"] if "lock_timeout" not in x]
    assert len(operations) == len(plan["outputs"]["operations"]) - 2 * (dialect == "postgresql")
    added, transform = operations
    assert added.startswith("+ add column catalog_product.slug varchar(220)")
    assert transform == "~ python transform of catalog_product (slug): slug from the name"
    assert step(data, "data")["outputs"]["python_transforms"][0]["forward"] == FORWARD
    testing = step(data, "testing")
    assert testing["summary"] == "passed", testing["findings"]
    assert "manage.py migrate" in str(testing["outputs"]["report"])

    migration = next(f for f in data["files"] if f["kind"] == "migration")
    content = migration["content"]
    assert migration["path"] == "catalog/migrations/0007_add_slug_to_products.py"
    assert "def transform_catalog_product_slug(apps, schema_editor):" in content
    assert "migrations.RunPython(\n            transform_catalog_product_slug,\n" in content
    assert "migrations.RunPython.noop" in content
    assert (repo / migration["path"]).read_text(encoding="utf-8") == content
    assert f"## Purpose\n\n{PROSE}\n" in data["document"]

    rows = migrate_with_products(repo, dialect)
    assert rows == [(name, "-".join(name.lower().split())) for name in NAMES]


def test_a_forbidden_function_goes_back_to_the_model_with_the_node_and_line(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    repo = copy_repo("django-shop", tmp_path)
    server.script(Reply.answer(answer(FORBIDDEN)), Reply.answer(answer(FORWARD)), Reply.text(PROSE))
    done = migwright_new(repo, [REQUEST, "--dry-run"], cli_env(tmp_path, server))
    data = run_json(done)
    assert done.returncode == 0, done.stderr[-3000:]
    repair = server.requests[1].prompt_text
    assert "Errors found by migwright" in repair
    assert "line 2: import is not allowed in a RunPython transform" in repair
    migration = next(f for f in data["files"] if f["kind"] == "migration")
    assert "subprocess" not in migration["content"]
    assert not (repo / migration["path"]).exists(), "dry run"


def test_every_try_forbidden_stops_the_run_and_writes_nothing(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    repo = copy_repo("django-shop", tmp_path)
    server.script(*[Reply.answer(answer(FORBIDDEN))] * 3)
    done = migwright_new(repo, [REQUEST], cli_env(tmp_path, server))
    data = run_json(done)
    assert done.returncode == 2
    plan = step(data, "plan")
    assert plan["status"] == "failed"
    assert "import is not allowed" in (plan["error"] or "")
    assert data["files"] == [] and data["written"] == []
    assert not (repo / "catalog" / "migrations" / "0007_add_slug_to_products.py").exists()


def test_outside_django_the_model_is_told_to_use_a_sql_expression(tmp_path: Path) -> None:
    columns = (Column("id", "bigint", False), Column("title", "text"), Column("slug", "text"))
    schema = Schema(tables=(Table("posts", columns, ("id",)),))
    python = {
        "description": "fill slugs",
        "operations": [
            {
                "op": "python_transform",
                "table": "posts",
                "columns": ["slug"],
                "forward": FORWARD.replace("catalog", "blog").replace("Product", "Post"),
            }
        ],
    }
    sql = {
        "description": "fill slugs",
        "operations": [
            {"op": "backfill", "table": "posts", "column": "slug", "expression": "lower(title)"}
        ],
    }
    with FakeLLMServer() as server:
        server.script(Reply.answer(python), Reply.answer(sql))
        model = load_model(
            tmp_path, {"MIGWRIGHT_MODEL": f"openai-compatible:{server.openai_url}:m"}
        )
        planned = plan_from_english(model, "fill the slugs", schema, framework="alembic")
        assert [op.describe().strip() for op in planned.operations] == [
            "~ backfill posts.slug = lower(title)"
        ]
        repair = server.requests[1].prompt_text
        assert "only Django migrations run Python transforms (this repo uses alembic)" in repair
        assert "use a SQL expression instead" in repair
    assert not any(isinstance(op, PythonTransform) for op in planned.operations)
