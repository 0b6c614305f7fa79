"""Django generation: migrations run by the real `manage.py migrate`, up, down and up again.

Each round trip copies an example project, replays its history with `manage.py migrate` on a
scratch database (Django's own apps included: their tables are in `before` and `after` alike),
renders the request as migration(s) plus the updated models.py, writes them, and runs
migrate / migrate back / migrate, comparing the introspected schema with plan.after,
plan.before and plan.after again. Afterwards `makemigrations --check --dry-run` must report no
changes (the models say what the migrations do), and every migration must pass
`ruff format --check` and `ruff check`.

django-shop is plain Django and runs on every database; django-tickets has a PostgreSQL-only
migration (CREATE INDEX CONCURRENTLY in RunSQL) and runs on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from conftest import dialect_params, require_server

from migwright.tools.analysis import Analysis, analyse
from migwright.tools.dialects import get as get_dialect
from migwright.tools.diff import diff_schemas
from migwright.tools.errors import ConfigError, HistoryError, MigwrightError
from migwright.tools.frameworks import django_models, django_render, django_runner
from migwright.tools.frameworks.render import File, MigrationPlan
from migwright.tools.introspect import introspect
from migwright.tools.schema import Schema
from migwright.tools.scratch import ScratchDatabase, create_scratch
from migwright.tools.spec import parse_request

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
GOLDEN = Path(__file__).parent / "golden" / "django"
NOW = datetime(2026, 1, 2, 3, 4, 5)
RUFF = [sys.executable, "-m", "ruff"]
LINT = "F,E4,E7,E9,I"

SHOP_CASES = {
    "columns": (
        '--add-column "orders_order.note text" '
        '--add-column "orders_order.priority integer not null default 3" '
        '--add-column "orders_order.tracking varchar(64)" '
        '--rename-column "orders_order.shipping_address to delivery_address" '
        '--alter-table "orders_order alter column status type varchar(40)" '
        '--alter-table "orders_order alter column delivery_address drop not null" '
        '--drop-column "orders_order.tracking"'
    ),
    "tables": (
        '--create-table "orders_shipment (id bigint generated always as identity primary key, '
        "carrier varchar(40) not null, tracking varchar(64), "
        'order_id bigint not null references orders_order(id) on delete cascade)" '
        '--add-index "orders_shipment (carrier)" '
        '--add-unique "orders_shipment (tracking)" '
        "--add-check \"orders_shipment carrier in ('dhl', 'ups')\" "
        '--rename-table "orders_orderitem to orders_line"'
    ),
    "keys": (
        '--add-column "orders_order.coupon varchar(20)" '
        '--add-index "orders_order (status, created_at) name orders_status_created" '
        '--add-unique "orders_order (coupon) name uq_orders_coupon" '
        '--add-check "orders_order priority_ok >= 0 name ck_orders_priority"'
    ),
    "data": (
        "--backfill \"orders_order.status = 'paid' where status = 'pending'\" "
        "--backfill \"orders_order.shipping_address = 'unknown' where shipping_address = '' "
        'batch 100" '
        '--sql "UPDATE orders_orderitem SET quantity = 1 WHERE quantity = 0"'
    ),
    "sql_fallbacks": (
        '--add-column "orders_order.discount numeric(8,2) not null default 0" '
        '--add-column "orders_order.product_id bigint references catalog_product(id) '
        'on delete set null" '
        '--add-check "orders_order discount >= 0 name ck_orders_discount" '
        '--rename-table "orders_order to orders_purchase"'
    ),
}
#: The priority column "keys" checks exists only after "columns"; give it its own column.
SHOP_CASES["keys"] = SHOP_CASES["keys"].replace(
    '--add-check "orders_order priority_ok',
    '--add-column "orders_order.priority_ok integer" --add-check "orders_order priority_ok',
)

TICKETS_CASES = {
    "postgres": (
        '--add-column "tickets_ticket.closed_at timestamptz" '
        '--add-index "tickets_ticket (closed_at) where closed_at is not null concurrently '
        'name tickets_closed_idx" '
        '--drop-index "tickets_ticket.tickets_status_prio_idx" '
        '--add-column "tickets_comment.parent_id bigint references tickets_comment(id) '
        'on delete cascade" '
        '--add-fk "tickets_ticket.assignee_id -> auth_user.id on delete set null '
        'name fk_ticket_assignee" '
        '--create-enum "severity (low, high)" '
        '--add-column "tickets_label.severity severity"'
    ),
}


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def copy_repo(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(REPOS / name, target)
    return target


def plan_for(analysis: Analysis, before: Schema, dialect: str, request: str) -> MigrationPlan:
    parsed = parse_request(request, dialect=dialect, schema=before)
    name = analysis.next_name(parsed.description, NOW)
    return MigrationPlan(parsed.operations, before, dialect, parsed.description, name)


def render_all(analysis: Analysis, plan: MigrationPlan) -> list[File]:
    args = (analysis.repo, analysis.config, analysis.history, plan)
    return [*django_render.render(*args, now=NOW), *django_models.update_models(*args)]


def write(root: Path, files: list[File]) -> None:
    for file in files:
        path = root / file.path
        assert file.existing == path.exists(), f"{file.path}: existing={file.existing}"
        path.write_text(file.content, encoding="utf-8")


def assert_schema(db: ScratchDatabase, expected: Schema, step: str) -> None:
    dialect = get_dialect(db.dialect)
    got = dialect.comparable(introspect(db.engine())).normalized()
    want = dialect.comparable(expected).normalized()
    if got != want:
        try:
            changes = [op.describe() for op in diff_schemas(want, got)]
        except MigwrightError:  # the diff needs names the schemas do not all have
            changes = [
                f"{t.name}: planned {t} / found {got.table(t.name) if got.has_table(t.name) else None}"
                for t in want.tables
                if t not in got.tables
            ]
        pytest.fail(f"after {step} the database differs from the plan: {changes}")


def assert_clean_python(root: Path, path: str) -> None:
    for args in (["format", "--check", "--diff"], ["check", "--select", LINT]):
        done = subprocess.run(
            [*RUFF, *args, "--no-cache", path], cwd=root, capture_output=True, text=True
        )
        assert done.returncode == 0, f"ruff {args[0]} {path}:\n{done.stdout}{done.stderr}"


def assert_no_changes(root: Path, db: ScratchDatabase) -> None:
    """`makemigrations --check --dry-run` with the scratch settings: the models match."""
    settings = root.parent / "settings_for_check"
    settings.mkdir(exist_ok=True)
    (settings / f"{django_runner.SETTINGS_MODULE}.py").write_text(
        django_runner.settings_source(analyse(root).config, db)
    )
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(settings), str(root)]),
        DJANGO_SETTINGS_MODULE=django_runner.SETTINGS_MODULE,
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No changes detected" in done.stdout


def roundtrip(root: Path, dialect: str, request: str) -> list[File]:
    analysis = analyse(root)
    with create_scratch(dialect, None if dialect == "sqlite" else require_server(dialect)) as db:
        how = django_runner.apply(analysis.repo, analysis.config, db)
        assert "manage.py migrate" in how
        before = introspect(db.engine())
        plan = plan_for(analysis, before, dialect, request)
        files = render_all(analysis, plan)
        write(root, files)
        migrations = [f for f in files if f.kind == "migration"]
        fresh = analyse(root)
        django_runner.apply(fresh.repo, fresh.config, db)
        assert_schema(db, plan.after, "migrate")
        django_runner.rollback(fresh.repo, fresh.config, db, steps=len(migrations))
        assert_schema(db, plan.before, "migrate back")
        django_runner.apply(fresh.repo, fresh.config, db)
        assert_schema(db, plan.after, "migrate again")
        assert_no_changes(root, db)
    for file in migrations:
        assert_clean_python(root, file.path)
    return files


# ---------------------------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", dialect_params())
@pytest.mark.parametrize("case", sorted(SHOP_CASES))
def test_shop_roundtrip(case: str, dialect: str, tmp_path: Path) -> None:
    request = SHOP_CASES[case]
    if case == "keys" and dialect != "mysql":
        request += ' --add-index "orders_order (coupon) where coupon is not null name ord_coupon_p"'
    files = roundtrip(copy_repo("django-shop", tmp_path), dialect, request)
    migration = files[0]
    assert migration.path.startswith("orders/migrations/0006_")
    assert '("orders", "0005_order_shipping_address")' in migration.content
    models = [f.path for f in files if f.kind == "model"]
    assert models == ([] if case == "data" else ["orders/models.py"])
    if case == "sql_fallbacks":
        assert "migrations.RunSQL(" in migration.content
        assert "state_operations=[" in migration.content
    if case == "data":
        assert "migrations.RunPython(" in migration.content
        assert "apps.get_model(" in migration.content


@pytest.mark.postgres
def test_tickets_roundtrip(tmp_path: Path) -> None:
    files = roundtrip(
        copy_repo("django-tickets", tmp_path), "postgresql", TICKETS_CASES["postgres"]
    )
    text = files[0].content
    assert (
        files[0].path
        == "apps/tickets/migrations/0006_add_closed_at_to_tickets_ticket_add_index_on.py"
    )
    assert "atomic = False" in text
    assert "AddIndexConcurrently(" in text
    assert "migrations.swappable_dependency(settings.AUTH_USER_MODEL)" not in text or (
        "from django.conf import settings" in text
    )


def test_shop_two_apps_become_two_migrations(tmp_path: Path) -> None:
    request = (
        '--add-column "catalog_product.weight integer" '
        '--add-column "orders_order.weight_total integer"'
    )
    files = roundtrip(copy_repo("django-shop", tmp_path), "sqlite", request)
    migrations = [f.path for f in files if f.kind == "migration"]
    assert migrations == [
        "catalog/migrations/0007_add_weight_to_catalog_product_and_add_weight_total.py",
        "orders/migrations/0006_add_weight_to_catalog_product_and_add_weight_total.py",
    ]
    assert (
        '("catalog", "0007_add_weight_to_catalog_product_and_add_weight_total")' in files[1].content
    )


def test_drop_model_created_earlier(tmp_path: Path) -> None:
    """DeleteModel and RemoveIndex/RemoveConstraint on a model a first migration created."""
    root = copy_repo("django-shop", tmp_path)
    roundtrip(root, "sqlite", SHOP_CASES["tables"].split(" --rename-table")[0])
    roundtrip(
        root,
        "sqlite",
        '--drop-index "orders_shipment.ix_orders_shipment_carrier" '
        '--drop-constraint "orders_shipment.uq_orders_shipment_tracking"',
    )
    roundtrip(root, "sqlite", '--drop-table "orders_shipment"')
    assert "class Shipment" not in (root / "orders" / "models.py").read_text()


def test_dropping_a_model_the_admin_uses_is_refused(tmp_path: Path) -> None:
    root = copy_repo("django-shop", tmp_path)
    analysis = analyse(root)
    with create_scratch("sqlite") as db:
        django_runner.apply(analysis.repo, analysis.config, db)
        before = introspect(db.engine())
    plan = plan_for(analysis, before, "sqlite", '--drop-table "orders_orderitem"')
    with pytest.raises(ConfigError, match=r"orders/admin\.py") as info:
        django_models.update_models(analysis.repo, analysis.config, analysis.history, plan)
    assert "remove those uses" in info.value.hint


def test_two_leaves_are_refused(tmp_path: Path) -> None:
    root = copy_repo("django-shop", tmp_path)
    leaf = root / "orders" / "migrations" / "0006_side.py"
    leaf.write_text(
        "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
        "    dependencies = [('orders', '0005_order_shipping_address')]\n    operations = []\n"
    )
    (root / "orders" / "migrations" / "0006_other.py").write_text(leaf.read_text())
    analysis = analyse(root)
    plan = MigrationPlan((), Schema(), "sqlite", "x", "orders/migrations/0007_x.py")
    with pytest.raises(HistoryError, match="leaf") as info:
        django_render.render(analysis.repo, analysis.config, analysis.history, plan)
    assert "makemigrations --merge orders" in info.value.hint


def test_replay_upto(tmp_path: Path) -> None:
    analysis = analyse(copy_repo("django-shop", tmp_path))
    with create_scratch("sqlite") as db:
        result = django_runner.replay(analysis, db, "orders.0002_order_status")
        assert result.applied[-1] == "orders.0002_order_status"
        order = introspect(db.engine()).table("orders_order")
        assert order.has_column("status") and not order.has_column("shipping_address")


def test_settings_point_only_at_the_scratch_database(tmp_path: Path) -> None:
    analysis = analyse(copy_repo("django-tickets", tmp_path))
    with create_scratch("sqlite") as db:
        text = django_runner.settings_source(analysis.config, db)
    assert text.startswith('"""Generated by migwright')
    assert "from helpdesk.settings.dev import *" in text
    assert "DATABASE_ROUTERS = []" in text
    assert db.name in text and "tickets" not in text.split("DATABASES", 1)[1].split("\n")[0]


# ---------------------------------------------------------------------------------------------
# Golden files
# ---------------------------------------------------------------------------------------------

GOLDEN_CASES = {
    "shop_add_field_sqlite": ('--add-column "orders_order.note text"'),
    "shop_create_model_sqlite": SHOP_CASES["tables"].split(" --rename-table")[0],
    "shop_backfill_sqlite": SHOP_CASES["data"],
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden(name: str, tmp_path: Path) -> None:
    root = copy_repo("django-shop", tmp_path)
    analysis = analyse(root)
    with create_scratch("sqlite") as db:
        django_runner.apply(analysis.repo, analysis.config, db)
        before = introspect(db.engine())
    plan = plan_for(analysis, before, "sqlite", GOLDEN_CASES[name])
    (file,) = django_render.render(analysis.repo, analysis.config, analysis.history, plan, now=NOW)
    golden = GOLDEN / f"{name}.py.txt"  # not .py: the repo's own ruff rules are not the example's
    if os.environ.get("MIGWRIGHT_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(file.content, encoding="utf-8")
    assert file.content == golden.read_text(encoding="utf-8")
