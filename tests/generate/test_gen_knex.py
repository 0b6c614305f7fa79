"""Knex generation: every operation kind onto knex-inventory, proven with the knex CLI.

Each case renders a request as a Knex migration, writes it next to the repo's history and
runs history + new migration up, down and up with `knex migrate:*` on a scratch database of
each dialect, comparing the introspected schema with the plan at every step. Golden files
pin the text of a few renderings; prettier checks the formatting.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import dialect_params
from js_roundtrip import (
    NOW,
    copy_repo,
    file_of,
    prettier_available,
    prettier_check,
    roundtrip,
)

from migwright.tools.analysis import analyse
from migwright.tools.errors import ValidationFailed
from migwright.tools.frameworks import knex_render, knex_runner
from migwright.tools.frameworks.render import MigrationPlan
from migwright.tools.schema import Schema
from migwright.tools.spec import parse_request

ALL = ("sqlite", "postgresql", "mysql")
PG_LITE = ("sqlite", "postgresql")

#: (case id, request, dialects it runs on)
CASES = [
    ("add_column", '--add-column "products.shipped_at timestamptz"', ALL),
    (
        "add_column_not_null_default",
        '--add-column "products.weight_grams integer not null default 0"',
        ALL,
    ),
    (
        "add_column_default_now",
        '--add-column "suppliers.verified_at timestamp not null default now()"',
        ALL,
    ),
    ("add_column_text_default", "--add-column \"suppliers.notes text default 'none'\"", ALL),
    ("drop_column", '--drop-column "suppliers.phone"', ALL),
    ("rename_column", '--rename-column "suppliers.contact_email to email"', ALL),
    ("alter_type", '--alter-table "suppliers alter column name type varchar(200)"', ALL),
    ("alter_not_null", '--alter-table "warehouses alter column city set not null"', ALL),
    ("alter_default", '--alter-table "suppliers alter column lead_time_days set default 14"', ALL),
    (
        "create_table",
        '--create-table "shipments (id bigint generated always as identity primary key, '
        "warehouse_id integer not null references warehouses(id) on delete cascade, "
        "tracking varchar(40) not null unique, weight numeric(10,2), "
        'shipped_at timestamptz default now(), note text, check (weight > 0))"',
        ALL,
    ),
    ("drop_table", '--drop-table "stock_movements"', ALL),
    ("rename_table", '--rename-table "suppliers to vendors"', ALL),
    ("create_index", '--add-index "products (name, discontinued)"', ALL),
    ("create_unique_index", '--add-index "products (name) unique"', ALL),
    ("partial_index", '--add-index "products (supplier_id) where discontinued = false"', PG_LITE),
    ("expression_index", '--add-index "products (lower(name))"', PG_LITE),
    ("concurrent_index", '--add-index "products (name) concurrently"', ("postgresql",)),
    (
        "drop_index",
        '--drop-index "stock_movements.stock_movements_stock_level_id_created_at_index"',
        PG_LITE,
    ),
    (
        "add_fk",
        '--add-column "stock_movements.warehouse_id integer" '
        '--add-fk "stock_movements.warehouse_id -> warehouses.id on delete set null"',
        ALL,
    ),
    ("add_unique", '--add-unique "suppliers (name)"', ALL),
    ("add_check", '--add-check "products unit_cost_cents >= 0"', ALL),
    (
        "drop_foreign_key",
        '--drop-constraint "products.products_supplier_id_foreign"',
        ("postgresql", "mysql"),
    ),
    (
        "drop_unique",
        '--drop-constraint "warehouses.warehouses_code_unique"',
        ("postgresql", "mysql"),
    ),
    ("drop_unique_index", '--drop-index "warehouses.warehouses_code_unique"', ("sqlite",)),
    ("backfill", "--backfill \"products.description = 'n/a' where description is null\"", ALL),
    (
        "enum_type",
        '--create-enum "movement_kind (manual, automatic)" '
        '--add-column "stock_movements.kind movement_kind"',
        ("postgresql",),
    ),
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
    repo = copy_repo("knex-inventory", tmp_path)
    run = roundtrip(repo, dialect, request_text, knex_render.render, knex_runner)
    migration = file_of(run)
    assert migration.path.startswith("db/migrations/20260102030405_")
    assert "exports.up = async function (knex) {" in migration.content
    assert all("knex CLI" in note for note in run.notes)


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_irreversible_down_throws(tmp_path: Path, dialect: str) -> None:
    repo = copy_repo("knex-inventory", tmp_path)
    request = '--create-enum "movement_kind (manual)" --add-enum-value "movement_kind.automatic"'
    run = roundtrip(repo, dialect, request, knex_render.render, knex_runner)
    text = file_of(run).content
    assert "throw new Error(" in text and "cannot remove the value" in text
    assert "exports.config = { transaction: false };" in text


@pytest.mark.parametrize("dialect", dialect_params("sqlite"))
def test_failure_names_the_error(tmp_path: Path, dialect: str) -> None:
    from conftest import require_server

    from migwright.tools.scratch import create_scratch

    repo = copy_repo("knex-inventory", tmp_path)
    bad = repo / "db/migrations/20990101000000_broken.js"
    bad.write_text(
        "exports.up = (knex) => knex.raw('CREATE TABLE nope (');\n"
        "exports.down = (knex) => knex.raw('SELECT 1');\n"
    )
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db, pytest.raises(ValidationFailed) as err:
        knex_runner.apply(analysis.repo, analysis.config, db)
    assert "migrate:latest" in str(err.value) and "incomplete input" in str(err.value)


@pytest.mark.parametrize("dialect", dialect_params("sqlite"))
def test_sqlite_rebuild_keeps_referencing_rows(tmp_path: Path, dialect: str) -> None:
    """A Knex rebuild of `products` must not fire stock_levels' ON DELETE CASCADE."""
    from sqlalchemy import text

    from migwright.tools.introspect import introspect
    from migwright.tools.scratch import create_scratch

    repo = copy_repo("knex-inventory", tmp_path)
    analysis = analyse(repo)
    with create_scratch(dialect) as db:
        knex_runner.replay(analysis, db)
        with db.engine().begin() as conn:
            conn.execute(text("INSERT INTO warehouses (id, code, name) VALUES (1, 'W1', 'Main')"))
            conn.execute(text("INSERT INTO products (id, sku, name) VALUES (1, 'P1', 'Bolt')"))
            conn.execute(
                text(
                    "INSERT INTO stock_levels (warehouse_id, product_id, quantity) VALUES (1, 1, 5)"
                )
            )
        before = introspect(db.engine())
        req = parse_request('--alter-table "products alter column name type text"', schema=before)
        name = analysis.next_name(req.description, NOW)
        plan = MigrationPlan(req.operations, before, dialect, req.description, name)
        (file,) = knex_render.render(analysis.repo, analysis.config, analysis.history, plan)
        assert "exports.config = { transaction: false };" in file.content
        assert ".alter(" in file.content
        (repo / file.path).write_text(file.content)
        analysis = analyse(repo)
        knex_runner.apply(analysis.repo, analysis.config, db)
        knex_runner.rollback(analysis.repo, analysis.config, db)
        with db.engine().connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM stock_levels")).scalar() == 1
            assert conn.execute(text("SELECT name FROM products")).scalar() == "Bolt"


# ---------------------------------------------------------------------------------------------
# Golden files and formatting (no database)
# ---------------------------------------------------------------------------------------------

GOLDEN = Path(__file__).parent / "golden"

_BEFORE = (
    '--create-table "warehouses (id integer generated always as identity primary key, '
    'code varchar(12) not null unique, city varchar(80))" '
    '--create-table "products (id integer generated always as identity primary key, '
    "name varchar(200) not null, discontinued boolean not null default false, "
    'warehouse_id integer references warehouses(id))"'
)


def _before(dialect: str) -> Schema:
    from migwright.tools.ops import apply_all

    return apply_all(parse_request(_BEFORE, dialect=dialect).operations, Schema())


GOLDEN_CASES = [
    ("knex_add_column_pg", "postgresql", '--add-column "products.shipped_at timestamptz"'),
    (
        "knex_create_table_pg",
        "postgresql",
        '--create-table "shipments (id bigint generated always as identity primary key, '
        "warehouse_id integer not null references warehouses(id) on delete cascade, "
        "tracking varchar(40) not null unique, weight numeric(10,2), "
        'shipped_at timestamptz default now(), check (weight > 0))"',
    ),
    (
        "knex_concurrent_partial_index_pg",
        "postgresql",
        '--add-index "products (warehouse_id) where discontinued = false concurrently"',
    ),
    ("knex_alter_column_sqlite", "sqlite", '--alter-table "products alter column name type text"'),
    (
        "knex_irreversible_pg",
        "postgresql",
        '--create-enum "mood (happy)" --add-enum-value "mood.sad"',
    ),
]


def _render(tmp_path: Path, dialect: str, request: str) -> str:
    repo = copy_repo("knex-inventory", tmp_path)
    analysis = analyse(repo)
    before = _before(dialect)
    req = parse_request(request, dialect=dialect, schema=before)
    name = analysis.next_name(req.description, NOW)
    plan = MigrationPlan(req.operations, before, dialect, req.description, name)
    (file,) = knex_render.render(analysis.repo, analysis.config, analysis.history, plan)
    return file.content


@pytest.mark.parametrize(("golden", "dialect", "request_text"), GOLDEN_CASES)
def test_golden(tmp_path: Path, golden: str, dialect: str, request_text: str) -> None:
    text = _render(tmp_path, dialect, request_text)
    expected = GOLDEN / f"{golden}.js"
    if not expected.exists():  # first run writes the file for review
        expected.write_text(text, encoding="utf-8")
    assert text == expected.read_text(encoding="utf-8")


@pytest.mark.skipif(not prettier_available(), reason="npm ci in tests/js installs prettier")
@pytest.mark.parametrize(("golden", "dialect", "request_text"), GOLDEN_CASES)
def test_prettier_leaves_it_alone(
    tmp_path: Path, golden: str, dialect: str, request_text: str
) -> None:
    text = _render(tmp_path, dialect, request_text)
    path = tmp_path / "out.js"
    path.write_text(text, encoding="utf-8")
    # knex-inventory has no prettier config; its files use single quotes and 80 columns.
    assert prettier_check(path, ["--single-quote"]) == text


def test_typescript_migration(tmp_path: Path) -> None:
    repo = copy_repo("knex-inventory", tmp_path)
    analysis = analyse(repo)
    before = _before("postgresql")
    req = parse_request('--add-column "products.note text"', schema=before)
    plan = MigrationPlan(req.operations, before, "postgresql", req.description, "x/1_note.ts")
    (file,) = knex_render.render(analysis.repo, analysis.config, analysis.history, plan)
    assert "import type { Knex } from 'knex';" in file.content
    assert "export async function up(knex: Knex): Promise<void> {" in file.content
    assert "table.text('note');" in file.content


@pytest.mark.parametrize("dialect", dialect_params("sqlite"))
def test_replay_upto(tmp_path: Path, dialect: str) -> None:
    """replay() stops after the named migration and reports what it ran, like the SQL runners."""
    from migwright.tools.scratch import create_scratch

    repo = copy_repo("knex-inventory", tmp_path)
    analysis = analyse(repo)
    ids = [m.id for m in analysis.history.migrations]
    with create_scratch(dialect) as db:
        first = knex_runner.replay(analysis, db, ids[1])
        assert first.applied == tuple(ids[:2])
        rest = knex_runner.replay(analysis, db)
        assert rest.applied == tuple(ids[2:])
        assert knex_runner.replay(analysis, db).applied == ()


def test_style_follows_the_prettier_config(tmp_path: Path) -> None:
    """A repo's .prettierrc wins over what its files show: double quotes, no semicolons."""
    repo = copy_repo("knex-inventory", tmp_path)
    (repo / ".prettierrc").write_text('{ "semi": false, "printWidth": 100 }\n')
    analysis = analyse(repo)
    before = _before("postgresql")
    req = parse_request('--add-column "products.shipped_at timestamptz"', schema=before)
    name = analysis.next_name(req.description, NOW)
    plan = MigrationPlan(req.operations, before, "postgresql", req.description, name)
    (file,) = knex_render.render(analysis.repo, analysis.config, analysis.history, plan)
    assert 'await knex.schema.alterTable("products", (table) => {' in file.content
    assert 'table.timestamp("shipped_at")\n' in file.content
    if prettier_available():
        path = tmp_path / "out.js"
        path.write_text(file.content)
        assert prettier_check(path, ["--no-semi", "--print-width", "100"]) == file.content
