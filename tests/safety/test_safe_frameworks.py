"""Safe plans through the framework renderers and their real runners on PostgreSQL.

The generation tests' own round-trip helpers (tests/generate/) replay a repo's history,
render a request, write the files and run up, down and up with the framework's runner,
comparing the schema at each step. Here the request they parse is rewritten by
`safe_operations` first, so the files hold the zero-downtime steps: the DO blocks, NOT VALID
+ VALIDATE, CONCURRENTLY. Non-transactional steps must come out non-transactional in each
framework's own way, or PostgreSQL refuses them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generate"))

import js_roundtrip
import sqlfw_roundtrip
import test_gen_alembic
import test_gen_django

from migwright.tools.frameworks import (
    golang_migrate_render,
    knex_render,
    knex_runner,
    sqlfw_runner,
)
from migwright.tools.zero_downtime import safe_operations

pytestmark = pytest.mark.postgres
PG = "postgresql"


def _safe(parse: Callable[..., Any]) -> Callable[..., Any]:
    """`parse_request` whose operations come out rewritten for a live database."""

    def parse_safe(request: Any, *args: Any, **kwargs: Any) -> Any:
        parsed = parse(request, *args, **kwargs)
        schema, dialect = kwargs["schema"], kwargs["dialect"]
        safe = tuple(safe_operations(parsed.operations, schema, dialect))
        assert safe != tuple(parsed.operations), "the request should touch an existing table"
        return replace(parsed, operations=safe)

    return parse_safe


ALEMBIC = (
    '--add-index "posts (title)" --add-unique "users (email)" '
    '--add-check "comments length(body) > 0" --add-column "posts.editor_id integer" '
    '--add-fk "posts.editor_id -> users.id on delete set null" '
    '--drop-index "posts.ix_posts_published_at" '
    '--add-column "posts.token uuid not null default gen_random_uuid()" '
    '--rename-column "users.display_name to nickname"'
)


def test_alembic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(test_gen_alembic, "parse_request", _safe(test_gen_alembic.parse_request))
    repo = test_gen_alembic.copy_repo("alembic-blog", tmp_path)
    files = test_gen_alembic.roundtrip(repo, PG, ALEMBIC)
    text = files[0].content
    assert "with op.get_context().autocommit_block():" in text
    assert "VALIDATE CONSTRAINT" in text and "NOT VALID" in text
    assert "lock_not_available" in text


DJANGO = (
    '--add-column "orders_order.coupon varchar(20)" '
    '--add-index "orders_order (status, created_at) name orders_status_created" '
    '--add-unique "orders_order (coupon) name uq_orders_coupon" '
    '--add-column "orders_order.priority integer not null default 3" '
    '--alter-table "orders_order alter column shipping_address drop not null"'
)


def test_django(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Django's state follows the guarded SQL (state_operations from its effects):
    `makemigrations --check` finds nothing to do afterwards (inside the helper)."""
    monkeypatch.setattr(test_gen_django, "parse_request", _safe(test_gen_django.parse_request))
    files = test_gen_django.roundtrip(
        test_gen_django.copy_repo("django-shop", tmp_path), PG, DJANGO
    )
    migration = files[0].content
    assert "atomic = False" in migration
    assert "AddIndexConcurrently" in migration
    assert "state_operations=[" in migration
    assert "USING INDEX" in migration


KNEX = (
    '--add-index "products (name, discontinued)" '
    '--alter-table "warehouses alter column city set not null" '
    '--add-column "suppliers.verified_at timestamp not null default now()" '
    '--drop-column "suppliers.phone"'
)


def test_knex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(js_roundtrip, "parse_request", _safe(js_roundtrip.parse_request))
    repo = js_roundtrip.copy_repo("knex-inventory", tmp_path)
    run = js_roundtrip.roundtrip(repo, PG, KNEX, knex_render.render, knex_runner)
    text = js_roundtrip.file_of(run).content
    assert "transaction: false" in text
    assert "VALIDATE CONSTRAINT" in text


GOLANG = (
    '--add-index "books (title, price)" --add-check "books price < 1000 name ck_books_cap" '
    '--alter-table "books alter column isbn set not null" '
    '--add-column "books.ref uuid default gen_random_uuid()" '
    '--drop-constraint "books.uq_books_isbn"'
)


def test_golang_migrate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlfw_roundtrip, "parse_request", _safe(sqlfw_roundtrip.parse_request))
    repo = sqlfw_roundtrip.mini_repo("golang_migrate", PG, tmp_path)
    run = sqlfw_roundtrip.roundtrip(repo, PG, GOLANG, golang_migrate_render, sqlfw_runner)
    text = "\n".join(f.content for f in run.files)
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS" in text
    assert "VALIDATE CONSTRAINT ck_books_cap" in text
