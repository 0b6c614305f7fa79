"""Batched backfills written by each framework's renderer and run by its real runner.

For every framework that runs code (Alembic, Django, Knex, Sequelize, TypeORM, Rails) and each
dialect: an example repo's history is replayed on a scratch database, `mw_items` gets ROWS
rows (bf_harness), and a migration holding only `Backfill(batch_size=100)` is rendered and
run twice: first with batch 11 made to fail (the runner reports the failure; the batches
before it are committed, as whole batches), then again: the rows are all right and no row was
updated twice, so the re-run redid only the batch that failed. Then down and up again, through
the reverse backfill the renderer wrote.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bf_harness import (
    EXPRESSION,
    PREFIX,
    WHERE,
    assert_complete,
    assert_partial,
    interrupt,
    prepare,
    wrong_rows,
)
from conftest import dialect_params, require_server
from sqlalchemy import text

from migwright.tools import ops as o
from migwright.tools.analysis import analyse
from migwright.tools.errors import DialectError, MigwrightError
from migwright.tools.frameworks import generation
from migwright.tools.frameworks.render import File, MigrationPlan
from migwright.tools.introspect import introspect
from migwright.tools.scratch import create_scratch

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

#: framework -> example repo it is run in, and the dialects its history is written for
FRAMEWORKS = {
    "alembic": ("alembic-blog", ()),
    "django": ("django-shop", ()),
    "knex": ("knex-inventory", ()),
    "sequelize": ("sequelize-blog", ()),
    "typeorm": ("typeorm-crm", ("postgresql",)),
    "rails": ("rails-store", ("postgresql",)),
}


def _params() -> list[object]:
    return [
        pytest.param(fw, *p.values, id=f"{fw}-{p.id}", marks=p.marks)
        for fw, (_, dialects) in FRAMEWORKS.items()
        for p in dialect_params(*dialects)
    ]


def _write(root: Path, files: list[File]) -> None:
    for f in files:
        path = root / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.content, encoding="utf-8")


@pytest.mark.parametrize(("framework", "dialect"), _params())
def test_interrupted_backfill_resumes(framework: str, dialect: str, tmp_path: Path) -> None:
    if framework == "rails" and shutil.which("ruby") is None:
        pytest.skip("Ruby is not installed")
    repo = FRAMEWORKS[framework][0]
    root = tmp_path / repo
    shutil.copytree(REPOS / repo, root, ignore=shutil.ignore_patterns("node_modules"))
    runner = generation.runner(framework)
    render = generation.renderer(framework)
    assert runner is not None and render is not None
    analysis = analyse(root)
    server = None if dialect == "sqlite" else require_server(dialect)
    with create_scratch(dialect, server) as db:
        engine = db.engine()
        runner.apply(analysis.repo, analysis.config, db)
        prepare(engine)
        before = introspect(engine)
        # Knex cannot send a literal `?` to SQLite with bindings (see the test below)
        prefix = "item$-" if (framework, dialect) == ("knex", "sqlite") else PREFIX
        expression = f"'{prefix}' || n::text"
        op = o.Backfill(
            "mw_items", "label", expression, WHERE, reverse_expression="NULL", batch_size=100
        )
        description = "backfill mw items label"
        plan = MigrationPlan(
            (op,), before, dialect, description, analysis.next_name(description, NOW)
        )
        files = render(analysis.repo, analysis.config, analysis.history, plan)
        _write(root, files)
        analysis = analyse(root)

        interrupt(engine, on=True)
        with pytest.raises(MigwrightError) as failed:  # Sequelize: "Validation error" (SQLite)
            runner.apply(analysis.repo, analysis.config, db)
        assert_partial(engine, str(failed.value))

        interrupt(engine, on=False)
        runner.apply(analysis.repo, analysis.config, db)
        assert_complete(engine, prefix=prefix)

        runner.rollback(analysis.repo, analysis.config, db, 1)  # the reverse: label = NULL
        with engine.connect() as conn:
            labelled = conn.execute(text("SELECT COUNT(label) FROM mw_items")).scalar_one()
        assert labelled == 0
        runner.apply(analysis.repo, analysis.config, db)
        assert wrong_rows(engine, prefix=prefix) == []


def test_knex_refuses_a_literal_question_mark_on_sqlite(tmp_path: Path) -> None:
    """Knex leaves `\\?` escaped for SQLite's driver, and a bare `?` would take a binding."""
    root = tmp_path / "knex-inventory"
    shutil.copytree(REPOS / "knex-inventory", root, ignore=shutil.ignore_patterns("node_modules"))
    analysis = analyse(root)
    render = generation.renderer("knex")
    assert render is not None
    with create_scratch("sqlite") as db:
        prepare(db.engine())
        before = introspect(db.engine())
    op = o.Backfill("mw_items", "label", EXPRESSION, WHERE, batch_size=100)
    plan = MigrationPlan((op,), before, "sqlite", "backfill", analysis.next_name("backfill", NOW))
    with pytest.raises(DialectError, match="literal `\\?`") as err:
        render(analysis.repo, analysis.config, analysis.history, plan)
    assert "char(63)" in err.value.hint
