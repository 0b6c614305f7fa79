"""Alembic generation: revision files run by the real `alembic` CLI, up, down and up again.

Each round trip copies an example repo, replays its history with `alembic upgrade heads` on a
scratch database, introspects that as the plan's `before`, renders the request as a revision
(and the models, for alembic-shop), writes it, and runs upgrade / downgrade -1 / upgrade,
comparing the introspected schema with plan.after, plan.before and plan.after again. Every
rendered file must pass `ruff format --check` and `ruff check` (pyflakes, pycodestyle errors,
isort); with models, `alembic check` must find nothing to autogenerate.

alembic-blog is plain SQL and runs on every database; alembic-shop uses PostgreSQL's enum type
and `::` casts in its history, so it runs on PostgreSQL.
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
from migwright.tools.errors import HistoryError, MigwrightError
from migwright.tools.frameworks import alembic_models, alembic_render, alembic_runner
from migwright.tools.frameworks.render import File, MigrationPlan
from migwright.tools.introspect import introspect
from migwright.tools.schema import Schema
from migwright.tools.scratch import ScratchDatabase, create_scratch
from migwright.tools.spec import parse_request

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
GOLDEN = Path(__file__).parent / "golden" / "alembic"
NOW = datetime(2026, 1, 2, 3, 4, 5)
RUFF = [sys.executable, "-m", "ruff"]
LINT = "F,E4,E7,E9,I"  # pyflakes, pycodestyle errors, isort: ruff's classic defaults + isort

# ---------------------------------------------------------------------------------------------
# Requests: every operation kind, grouped so that each round trip exercises several
# ---------------------------------------------------------------------------------------------

BLOG_CASES = {
    "columns": (
        '--add-column "posts.reading_time integer not null default 0" '
        '--add-column "posts.summary varchar(280)" '
        '--rename-column "users.display_name to nickname" '
        '--alter-table "users alter column email type varchar(320)" '
        '--alter-table "posts alter column body drop not null" '
        '--drop-column "comments.author_name"'
    ),
    "tables": (
        '--create-table "series (id integer primary key, name varchar(100) not null, '
        "post_id integer references posts(id) on delete cascade, "
        'position integer not null default 1, check (position > 0), unique (name))" '
        '--add-index "series (post_id)" '
        '--rename-table "tags to labels" '
        '--drop-table "post_tags"'
    ),
    "keys": (
        '--add-index "posts (title)" '
        '--add-unique "users (email)" '
        '--add-check "comments length(body) > 0" '
        '--add-column "posts.editor_id integer" '
        '--add-fk "posts.editor_id -> users.id on delete set null" '
        '--drop-index "posts.ix_posts_published_at"'
    ),
    "data": (
        '--add-column "posts.status varchar(20)" '
        "--backfill \"posts.status = 'draft' where published_at is null\" "
        "--backfill \"posts.status = 'live' where published_at is not null\" "
        "--sql \"UPDATE users SET display_name = username WHERE display_name = ''\""
    ),
}

#: Partial indexes exist on PostgreSQL and SQLite only.
PARTIAL = '--add-index "comments (post_id, created_at) where approved = true name ix_comments_open"'

SHOP_CASES = {
    "columns": (
        '--add-column "orders.shipped_at timestamptz" '
        '--add-column "orders.note text" '
        '--rename-column "customers.phone to phone_number" '
        '--alter-table "products alter column name type varchar(300)" '
        '--drop-column "products.description"'
    ),
    "tables": (
        '--create-table "shipments (id bigint generated always as identity primary key, '
        "order_id integer not null references orders(id) on delete cascade, "
        "carrier varchar(40) not null default 'dhl', shipped_at timestamptz default now(), "
        "check (carrier <> ''))\" "
        '--add-index "shipments (order_id)" '
        '--rename-table "stock_levels to inventory" '
        '--drop-table "reviews"'
    ),
    "keys": (
        '--add-index "orders (created_at) where coupon_id is not null concurrently '
        'name ix_orders_couponed" '
        '--add-index "customers (lower(email)) name ix_customers_email_lower" '
        '--add-unique "coupons (code, percent_off)" '
        '--add-check "products price >= 0" '
        '--drop-constraint "products.uq_products_sku" '
        '--drop-constraint "orders.fk_orders_coupon_id_coupons" '
        '--drop-index "orders.ix_orders_created_at"'
    ),
    "data": (
        '--create-enum "mood (happy, sad)" '
        '--add-column "reviews.mood mood" '
        "--backfill \"reviews.mood = 'happy' where rating >= 4\" "
        "--backfill \"orders.status = 'paid' where status = 'pending' batch 500\""
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
    name = analysis.framework.next_name(  # type: ignore[call-arg]
        analysis.repo,
        analysis.config,
        analysis.history,
        parsed.description,
        NOW,
        rev_id="f00dfeed1234",
    )
    return MigrationPlan(parsed.operations, before, dialect, parsed.description, name)


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
    """ruff format --check and ruff check, with the repo's own configuration (none here)."""
    for args in (["format", "--check", "--diff"], ["check", "--select", LINT]):
        done = subprocess.run(
            [*RUFF, *args, "--no-cache", path], cwd=root, capture_output=True, text=True
        )
        assert done.returncode == 0, f"ruff {args[0]} {path}:\n{done.stdout}{done.stderr}"


def roundtrip(root: Path, dialect: str, request: str, models: bool = False) -> list[File]:
    """Replay, render, write, then upgrade / downgrade / upgrade with schema checks."""
    analysis = analyse(root)
    with create_scratch(dialect, None if dialect == "sqlite" else require_server(dialect)) as db:
        how = alembic_runner.apply(analysis.repo, analysis.config, db)
        assert "alembic upgrade heads" in how
        before = introspect(db.engine())
        plan = plan_for(analysis, before, dialect, request)
        files = alembic_render.render(
            analysis.repo, analysis.config, analysis.history, plan, now=NOW
        )
        if models:
            files += alembic_models.update_models(analysis.repo, analysis.config, plan)
        write(root, files)
        fresh = analyse(root)
        assert fresh.history.heads == ("f00dfeed1234",)
        alembic_runner.apply(fresh.repo, fresh.config, db)
        assert_schema(db, plan.after, "upgrade")
        alembic_runner.rollback(fresh.repo, fresh.config, db)
        assert_schema(db, plan.before, "downgrade -1")
        alembic_runner.apply(fresh.repo, fresh.config, db)
        assert_schema(db, plan.after, "upgrade again")
        if models:
            env = dict(os.environ, DATABASE_URL=db.url)
            check = subprocess.run(
                [sys.executable, "-m", "alembic", "check"],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
            )
            assert check.returncode == 0, check.stdout + check.stderr
            assert "No new upgrade operations detected" in check.stdout + check.stderr
    for file in files:
        if file.kind == "migration":
            assert_clean_python(root, file.path)
    return files


# ---------------------------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", dialect_params())
@pytest.mark.parametrize("case", sorted(BLOG_CASES))
def test_blog_roundtrip(case: str, dialect: str, tmp_path: Path) -> None:
    request = BLOG_CASES[case]
    if case == "keys" and dialect != "mysql":
        request += " " + PARTIAL
    files = roundtrip(copy_repo("alembic-blog", tmp_path), dialect, request)
    text = files[0].content
    assert 'down_revision: Union[str, Sequence[str], None] = "c4e6a8b0d2f4"' in text
    assert "with op.batch_alter_table(" in text  # env.py has render_as_batch=True
    assert "op.f(" not in text  # target_metadata is None: no naming convention


@pytest.mark.postgres
@pytest.mark.parametrize("case", sorted(SHOP_CASES))
def test_shop_roundtrip_with_models(case: str, tmp_path: Path) -> None:
    files = roundtrip(copy_repo("alembic-shop", tmp_path), "postgresql", SHOP_CASES[case], True)
    migration, *models = files
    assert migration.path.startswith("migrations/versions/2026_01_02_0304-f00dfeed1234_")
    assert 'down_revision = "8b0d2f4a6c9e"' in migration.content
    assert [m.path for m in models] == ["app/models.py"]
    assert models[0].kind == "model" and models[0].existing
    if case == "keys":
        assert "with op.get_context().autocommit_block():" in migration.content
        assert "postgresql_concurrently=True" in migration.content


@pytest.mark.postgres
def test_enum_value_is_irreversible(tmp_path: Path) -> None:
    """ALTER TYPE ... ADD VALUE has no reverse: the downgrade raises with the reason."""
    root = copy_repo("alembic-shop", tmp_path)
    analysis = analyse(root)
    with create_scratch("postgresql", require_server("postgresql")) as db:
        alembic_runner.apply(analysis.repo, analysis.config, db)
        before = introspect(db.engine())
        plan = plan_for(analysis, before, "postgresql", '--add-enum-value "order_status.refunded"')
        (file,) = alembic_render.render(
            analysis.repo, analysis.config, analysis.history, plan, now=NOW
        )
        write(root, [file])
        assert "with op.get_context().autocommit_block():" in file.content
        assert "raise NotImplementedError(" in file.content
        fresh = analyse(root)
        alembic_runner.apply(fresh.repo, fresh.config, db)
        assert_schema(db, plan.after, "upgrade")
        with pytest.raises(Exception, match="NotImplementedError"):
            alembic_runner.rollback(fresh.repo, fresh.config, db)
    assert_clean_python(root, file.path)


def test_direct_fallback_when_env_cannot_import(tmp_path: Path) -> None:
    """With the app's dependencies missing, the revision scripts run through Operations."""
    root = copy_repo("alembic-blog", tmp_path)
    env_py = root / "alembic" / "env.py"
    env_py.write_text("import a_module_nobody_installed  # noqa: F401\n" + env_py.read_text())
    analysis = analyse(root)
    with create_scratch("sqlite") as db:
        how = alembic_runner.apply(analysis.repo, analysis.config, db)
        assert "revision scripts run by migwright" in how
        assert "a_module_nobody_installed" in how
        assert {"users", "posts", "comments", "tags", "post_tags"} <= set(
            introspect(db.engine()).table_names
        )
        before = introspect(db.engine())
        plan = plan_for(analysis, before, "sqlite", '--add-column "posts.note text"')
        write(root, alembic_render.render(analysis.repo, analysis.config, analysis.history, plan))
        fresh = analyse(root)
        alembic_runner.apply(fresh.repo, fresh.config, db)
        assert_schema(db, plan.after, "direct upgrade")
        how = alembic_runner.rollback(fresh.repo, fresh.config, db)
        assert "downgrade -1" in how
        assert_schema(db, plan.before, "direct downgrade")


def test_replay_for_inspect(tmp_path: Path) -> None:
    root = copy_repo("alembic-blog", tmp_path)
    analysis = analyse(root)
    with create_scratch("sqlite") as db:
        result = alembic_runner.replay(analysis, db, "5a7c9e1b3d4f")
        assert result.applied[-1] == "5a7c9e1b3d4f"
        assert set(introspect(db.engine()).table_names) == {"users", "posts", "comments"}


def test_several_heads_are_refused(tmp_path: Path) -> None:
    root = copy_repo("alembic-blog", tmp_path)
    branch = root / "alembic" / "versions" / "0a1b2c3d4e5f_side_branch.py"
    branch.write_text(
        '"""side branch"""\n\nrevision = "0a1b2c3d4e5f"\ndown_revision = "7b9d1f3a5c7e"\n'
        "branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    pass\n\n\n"
        "def downgrade():\n    pass\n"
    )
    analysis = analyse(root)
    plan = MigrationPlan((), Schema(), "sqlite", "x", "alembic/versions/abc_x.py")
    with pytest.raises(HistoryError, match="heads") as info:
        alembic_render.render(analysis.repo, analysis.config, analysis.history, plan)
    assert "alembic merge heads" in info.value.hint


def test_revision_id_from_file_template() -> None:
    template = "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"
    name = "migrations/versions/2026_01_02_0304-f00dfeed1234_add_note.py"
    assert alembic_render.revision_id(name, template.replace("%%", "%")) == "f00dfeed1234"
    assert alembic_render.revision_id("v/ab12_x_y.py", None) == "ab12"


# ---------------------------------------------------------------------------------------------
# Golden files: the rendered text, beside the test
# ---------------------------------------------------------------------------------------------

GOLDEN_CASES = {
    "blog_add_column_sqlite": ("alembic-blog", "sqlite", '--add-column "posts.note text"'),
    "blog_create_table_sqlite": ("alembic-blog", "sqlite", BLOG_CASES["tables"]),
    "blog_partial_index_sqlite": ("alembic-blog", "sqlite", PARTIAL),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden(name: str, tmp_path: Path) -> None:
    repo, dialect, request = GOLDEN_CASES[name]
    root = copy_repo(repo, tmp_path)
    analysis = analyse(root)
    with create_scratch(dialect) as db:
        alembic_runner.apply(analysis.repo, analysis.config, db)
        before = introspect(db.engine())
    plan = plan_for(analysis, before, dialect, request)
    (file,) = alembic_render.render(analysis.repo, analysis.config, analysis.history, plan, now=NOW)
    golden = GOLDEN / f"{name}.py.txt"  # not .py: the repo's own ruff rules are not the example's
    if os.environ.get("MIGWRIGHT_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(file.content, encoding="utf-8")
    assert file.content == golden.read_text(encoding="utf-8")
