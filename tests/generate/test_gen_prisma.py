"""Prisma generation: every operation kind onto prisma-shop, applied as `migrate deploy` would.

prisma-shop's history is PostgreSQL SQL; for SQLite and MySQL the test builds the same schema
as one `init` migration in that provider's SQL (MySQL's `String` as varchar(191), as Prisma
maps it) and switches the provider. Each case renders migration.sql and down.sql, applies the
history and the new migration with migwright's runner (which records `_prisma_migrations` as
Prisma does), rolls back with down.sql and applies again, comparing the introspected schema
with the plan each time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import dialect_params, require_server
from js_roundtrip import NOW, copy_repo, file_of, roundtrip
from prisma_check import format_and_validate, read_database, read_schema, wasm_available
from sqlalchemy import text

from migwright.tools.analysis import analyse
from migwright.tools.frameworks import prisma_render, prisma_runner
from migwright.tools.frameworks.render import MigrationPlan
from migwright.tools.ops import apply_all
from migwright.tools.schema import Schema
from migwright.tools.scratch import create_scratch
from migwright.tools.spec import parse_request

ALL = ("sqlite", "postgresql", "mysql")
PG_LITE = ("sqlite", "postgresql")
PG = ("postgresql",)


def shop_schema(dialect: str) -> Schema:
    """prisma-shop's schema, read offline from its PostgreSQL migrations."""
    state = Schema()
    folder = Path(__file__).resolve().parents[2] / "evals/repos/prisma-shop/prisma/migrations"
    for path in sorted(folder.glob("*/migration.sql")):
        state = apply_all(parse_request(["--sql", str(path)], schema=state).operations, state)
    if dialect == "mysql":  # Prisma's MySQL String is varchar(191)
        tables = tuple(
            replace(
                t,
                columns=tuple(
                    replace(c, type="varchar(191)") if c.type == "text" else c for c in t.columns
                ),
            )
            for t in state.tables
        )
        state = Schema(tables, state.enums)
    return state


def prisma_repo(tmp_path: Path, dialect: str) -> Path:
    repo = copy_repo("prisma-shop", tmp_path)
    if dialect == "postgresql":
        return repo
    migrations = repo / "prisma/migrations"
    for folder in migrations.iterdir():
        if folder.is_dir():
            for f in folder.iterdir():
                f.unlink()
            folder.rmdir()
    init = migrations / "20240101000000_init"
    init.mkdir()
    init_sql = prisma_render.script(Schema().diff(shop_schema(dialect)), Schema(), dialect)
    (init / "migration.sql").write_text(init_sql)
    (migrations / "migration_lock.toml").write_text(f'provider = "{dialect}"\n')
    schema = repo / "prisma/schema.prisma"
    schema.write_text(schema.read_text().replace('"postgresql"', f'"{dialect}"'))
    return repo


#: (case id, request, dialects)
CASES = [
    ("add_column", '--add-column "orders.shipped_at timestamptz"', ALL),
    ("add_column_default", '--add-column "products.weight integer not null default 0"', ALL),
    ("drop_column", '--drop-column "addresses.line2"', ALL),
    ("rename_column", '--rename-column "addresses.line1 to street"', ALL),
    ("alter_type", '--alter-table "addresses alter column city type varchar(120)"', ALL),
    ("alter_nullable", '--alter-table "customers alter column name set not null"', ALL),
    (
        "create_table",
        '--create-table "reviews (id integer generated always as identity primary key, '
        "product_id integer not null references products(id) on delete cascade, "
        'rating smallint not null, body text, created_at timestamp not null default now())"',
        ALL,
    ),
    ("drop_table", '--drop-table "order_items"', ALL),
    ("rename_table", '--rename-table "categories to sections"', ALL),
    ("create_index", '--add-index "products (name)"', ALL),
    ("partial_index", '--add-index "orders (paid_at) where paid_at is not null"', PG_LITE),
    ("concurrent_index", '--add-index "orders (paid_at) concurrently"', PG),
    ("drop_index", '--drop-index "products.products_is_active_category_id_idx"', ALL),
    (
        "add_fk",
        '--add-column "products.replaced_by integer" '
        '--add-fk "products.replaced_by -> products.id on delete set null"',
        ALL,
    ),
    ("add_check", '--add-check "products price_cents >= 0"', ALL),
    ("drop_fk", '--drop-constraint "order_items.order_items_product_id_fkey"', ("postgresql",)),
    ("backfill", "--backfill \"addresses.line2 = '' where line2 is null\"", ALL),
    ("add_enum", '--create-enum "review_state (draft, live)"', PG),
]


def _params() -> list[object]:
    out = []
    for case, request, dialects in CASES:
        for param in dialect_params(*dialects):
            out.append(
                pytest.param(request, *param.values, id=f"{case}-{param.id}", marks=param.marks)
            )
    return out


@pytest.mark.parametrize(("request_text", "dialect"), _params())
def test_roundtrip(tmp_path: Path, request_text: str, dialect: str) -> None:
    repo = prisma_repo(tmp_path, dialect)
    run = roundtrip(repo, dialect, request_text, prisma_render.render, prisma_runner)
    migration = file_of(run)
    assert re.fullmatch(r"prisma/migrations/20260102030405_\w+/migration\.sql", migration.path)
    assert migration.content.startswith("-- ")
    down = file_of(run, "rollback")
    assert down.path == migration.path.replace("migration.sql", "down.sql")
    assert "npx prisma migrate resolve --rolled-back" in down.content


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_bookkeeping_matches_prisma(tmp_path: Path, dialect: str) -> None:
    """Rows in _prisma_migrations as `migrate deploy` writes them, rolled back by resolve."""
    repo = prisma_repo(tmp_path, dialect)
    server = require_server(dialect)
    request = '--add-column "orders.note text"'
    with create_scratch(dialect, server) as db:
        analysis = analyse(repo)
        prisma_runner.replay(analysis, db)
        from migwright.tools.introspect import introspect

        before = introspect(db.engine())
        req = parse_request(request, schema=before)
        name = analysis.next_name(req.description, NOW)
        plan = MigrationPlan(req.operations, before, dialect, req.description, name)
        for f in prisma_render.render(analysis.repo, analysis.config, analysis.history, plan):
            (repo / f.path).parent.mkdir(parents=True, exist_ok=True)
            (repo / f.path).write_text(f.content)
        analysis = analyse(repo)
        prisma_runner.apply(analysis.repo, analysis.config, db)
        prisma_runner.rollback(analysis.repo, analysis.config, db)
        prisma_runner.apply(analysis.repo, analysis.config, db)
        with db.engine().connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT migration_name, checksum, finished_at, rolled_back_at, "
                    "applied_steps_count, logs FROM _prisma_migrations ORDER BY started_at"
                )
            ).all()
    assert len(rows) == 8  # six from the history, the new one twice (rolled back, re-applied)
    new = [r for r in rows if r[0] == name.split("/")[-2]]
    script = (repo / name).read_bytes()
    assert [r[1] for r in new] == [hashlib.sha256(script).hexdigest()] * 2
    assert new[0][3] is not None and new[1][3] is None  # rolled_back_at
    assert all(r[2] is not None and r[4] == 1 and r[5] is None for r in rows)


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_irreversible_has_no_down(tmp_path: Path, dialect: str) -> None:
    repo = prisma_repo(tmp_path, dialect)
    request = "--add-enum-value '\"OrderStatus\".DISPUTED'"
    run = roundtrip(repo, dialect, request, prisma_render.render, prisma_runner)
    assert [f.kind for f in run.files] == ["migration"]
    assert file_of(run).content.startswith("-- irreversible: PostgreSQL cannot remove the value")


GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(
    ("golden", "dialect", "request_text"),
    [
        (
            "prisma_create_table_pg",
            "postgresql",
            '--create-table "reviews (id integer generated always as identity primary key, '
            "product_id integer not null references products(id) on delete cascade, "
            'rating smallint not null, created_at timestamp not null default now())"',
        ),
        ("prisma_drop_column_sqlite", "sqlite", '--drop-column "addresses.line2"'),
    ],
)
def test_golden(tmp_path: Path, golden: str, dialect: str, request_text: str) -> None:
    repo = prisma_repo(tmp_path, dialect)
    analysis = analyse(repo)
    before = shop_schema(dialect)
    req = parse_request(request_text, dialect=dialect, schema=before)
    name = analysis.next_name(req.description, NOW)
    plan = MigrationPlan(req.operations, before, dialect, req.description, name)
    files = prisma_render.render(analysis.repo, analysis.config, analysis.history, plan)
    text_ = "\n".join(f"==> {f.path} ({f.kind})\n{f.content}" for f in files)
    expected = GOLDEN / f"{golden}.txt"
    if not expected.exists():
        expected.write_text(text_, encoding="utf-8")
    assert text_ == expected.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# schema.prisma in step
# ---------------------------------------------------------------------------------------------

MODEL_CASES = [
    ("add_column", '--add-column "orders.shipped_at timestamptz"'),
    ("add_column_default", '--add-column "products.weight integer not null default 0"'),
    ("drop_column", '--drop-column "addresses.line2"'),
    ("rename_column", '--rename-column "addresses.line1 to street"'),
    ("alter_column", '--alter-table "addresses alter column city type varchar(120)"'),
    ("alter_nullable", '--alter-table "customers alter column name set not null"'),
    (
        "create_table",
        '--create-table "reviews (id integer generated always as identity primary key, '
        "product_id integer not null references products(id) on delete cascade, "
        "rating smallint not null, title varchar(80) unique, body text, "
        'created_at timestamp not null default now())" --add-index "reviews (rating)"',
    ),
    ("drop_table", '--drop-table "order_items"'),
    ("rename_table", '--rename-table "categories to sections"'),
    ("create_index", '--add-index "products (name)"'),
    ("create_unique_index", '--add-index "products (name, sku) unique"'),
    ("drop_index", '--drop-index "products.products_is_active_category_id_idx"'),
    (
        "add_fk",
        '--add-column "products.replaced_by_id integer" '
        '--add-fk "products.replaced_by_id -> categories.id on delete set null"',
    ),
    ("add_unique", '--add-unique "categories (name, slug)"'),
    ("drop_fk", '--drop-constraint "order_items.order_items_product_id_fkey"'),
    (
        "enum",
        '--create-enum "review_state (draft, live)" '
        "--add-column \"products.state review_state not null default 'draft'\"",
    ),
]


@pytest.mark.skipif(not wasm_available(), reason="npm ci in tests/js installs prisma-schema-wasm")
@pytest.mark.parametrize(
    ("request_text", "dialect"),
    [
        pytest.param(r, *p.values, id=f"{case}-{p.id}", marks=p.marks)
        for case, r in MODEL_CASES
        for p in dialect_params("postgresql")
    ],
)
def test_schema_prisma_matches_the_database(
    tmp_path: Path, request_text: str, dialect: str
) -> None:
    from migwright.tools.frameworks.prisma_models import update_models
    from migwright.tools.introspect import introspect

    repo = prisma_repo(tmp_path, dialect)
    schema_path = repo / "prisma/schema.prisma"
    server = require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect, server) as db:
        prisma_runner.replay(analysis, db)
        before = introspect(db.engine())
        models_before = read_schema(schema_path.read_text())
        assert models_before == read_database(before, set(models_before))  # the repo agrees
        req = parse_request(request_text, dialect=dialect, schema=before)
        name = analysis.next_name(req.description, NOW)
        plan = MigrationPlan(req.operations, before, dialect, req.description, name)
        files = prisma_render.render(analysis.repo, analysis.config, analysis.history, plan)
        (model,) = update_models(analysis.repo, analysis.config, plan)
        assert model.existing and model.kind == "model"
        from js_roundtrip import write

        write(repo, [*files, model])
        analysis = analyse(repo)
        prisma_runner.apply(analysis.repo, analysis.config, db)
        after = introspect(db.engine())
    models_after = read_schema(model.content)
    assert models_after == read_database(after, set(models_after))
    formatted, error = format_and_validate(schema_path)
    assert error is None, error
    assert formatted == model.content


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_replay_upto(tmp_path: Path, dialect: str) -> None:
    """replay() stops after the named migration and reports what it ran, like the SQL runners."""
    from migwright.tools.scratch import create_scratch

    repo = prisma_repo(tmp_path, dialect)
    analysis = analyse(repo)
    ids = [m.id for m in analysis.history.migrations]
    with create_scratch(dialect, require_server(dialect)) as db:
        first = prisma_runner.replay(analysis, db, ids[1])
        assert first.applied == tuple(ids[:2])
        rest = prisma_runner.replay(analysis, db)
        assert rest.applied == tuple(ids[2:])
        assert prisma_runner.replay(analysis, db).applied == ()
