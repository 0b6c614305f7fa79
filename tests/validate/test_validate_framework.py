"""Framework runners plug in as FrameworkMigration: the validator runs them as one step each.

One test drives Alembic itself (the alembic-blog example plus a new revision) through
`alembic_runner.apply` / `rollback`; the others use small stand-in runners on their own
connections, which is what a framework runner looks like from the database's side.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any, cast

import pytest
from conftest import require_server
from sqlalchemy import create_engine, text
from validate_helpers import BEFORE, ROWS, plan

from migwright.tools import ops as o
from migwright.tools.errors import ValidationFailed
from migwright.tools.frameworks import alembic_runner
from migwright.tools.frameworks.alembic import ADAPTER
from migwright.tools.frameworks.render import MigrationPlan
from migwright.tools.introspect import introspect
from migwright.tools.repo import RepoFacts
from migwright.tools.schema import Column, Index
from migwright.tools.scratch import create_scratch
from migwright.tools.validate import FrameworkMigration, from_schema, validate
from migwright.tools.validate_observe import Target
from migwright.tools.validate_report import summary_lines

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"

REVISION = '''"""add reading time to posts

Revision ID: d5f7a9b1c3e5
Revises: c4e6a8b0d2f4
"""
from alembic import op
import sqlalchemy as sa

revision = "d5f7a9b1c3e5"
down_revision = "c4e6a8b0d2f4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch_op:
        batch_op.add_column(sa.Column("reading_time", sa.Integer(), nullable=True))
    op.create_index("ix_posts_reading_time", "posts", ["reading_time"])


def downgrade() -> None:
    op.drop_index("ix_posts_reading_time", table_name="posts")
    with op.batch_alter_table("posts") as batch_op:
        batch_op.drop_column("reading_time")
'''


def test_alembic_revision_validated_through_alembic_itself(tmp_path: Path) -> None:
    copy = Path(shutil.copytree(REPOS / "alembic-blog", tmp_path / "blog"))
    (copy / "alembic" / "versions" / "d5f7a9b1c3e5_add_reading_time_to_posts.py").write_text(
        REVISION
    )
    repo = RepoFacts.load(copy)
    [evidence] = ADAPTER.detect(repo)
    config = ADAPTER.config(repo, evidence)

    def prepare(db: Target) -> str:
        return alembic_runner.apply(repo, config, cast(Any, db), "c4e6a8b0d2f4")

    # what the history builds is the plan's before schema
    with create_scratch("sqlite") as first:
        prepare(first)
        before = introspect(first.engine())
    p = MigrationPlan(
        (
            o.AddColumn("posts", Column("reading_time", "integer")),
            o.CreateIndex("posts", Index("ix_posts_reading_time", ("reading_time",))),
        ),
        before,
        "sqlite",
        "add reading time to posts",
        "alembic/versions/d5f7a9b1c3e5_add_reading_time_to_posts.py",
    )
    mut = FrameworkMigration(
        lambda db: alembic_runner.apply(repo, config, cast(Any, db), "d5f7a9b1c3e5"),
        lambda db: alembic_runner.rollback(repo, config, cast(Any, db), 1),
        prepare=prepare,
        description=p.description,
        label="alembic",
    )
    report = validate(mut, p, dialect="sqlite", rows=30)
    assert report.ok, "\n".join(summary_lines(report))
    up = report.phase("up")
    assert [r.sql for r in up.statements] == ["alembic: up"]
    assert up.statements[0].note is not None and "alembic upgrade" in up.statements[0].note
    assert report.phase("history").method is not None
    assert "alembic upgrade c4e6a8b0d2f4" in report.phase("history").method
    # the new column is empty after the up, so there is nothing to plan a query for
    assert report.explains[0].note == "posts.reading_time holds no values to query for"


def _slow_runner(url: str, statements: list[str], hold: float) -> None:
    """A runner on its own connection that keeps its transaction open for `hold` seconds."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
            threading.Event().wait(hold)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_locks_of_a_framework_runner_are_seen_from_outside() -> None:
    url = require_server("postgresql")
    p = plan(o.AlterColumn("orders", "quantity", type="bigint"))
    up = ["ALTER TABLE orders ALTER COLUMN quantity TYPE bigint"]
    down = ["ALTER TABLE orders ALTER COLUMN quantity TYPE integer"]

    def apply(db: Target) -> str:
        _slow_runner(db.url, up, 0.1)
        return "stand-in runner: up"

    def rollback(db: Target) -> str:
        _slow_runner(db.url, down, 0.0)
        return "stand-in runner: down"

    mut = FrameworkMigration(apply, rollback, prepare=from_schema(BEFORE), label="stand-in")
    report = validate(mut, p, dialect="postgresql", rows=ROWS, server_url=url)
    assert report.ok, "\n".join(summary_lines(report))
    (run,) = report.phase("up").statements
    assert run.sql == "stand-in: up" and run.note == "stand-in runner: up"
    assert run.locks["orders"] == "AccessExclusiveLock"
    assert run.rewritten == ("orders",)


def test_a_failing_runner_fails_the_phase_with_its_message() -> None:
    p = plan(o.AddColumn("orders", Column("note", "text")))

    def apply(db: Target) -> str:
        raise ValidationFailed("alembic upgrade failed: boom", "run it yourself")

    mut = FrameworkMigration(apply, apply, prepare=from_schema(BEFORE), label="alembic")
    report = validate(mut, p, dialect="sqlite", rows=10)
    up = report.phase("up")
    assert up.status == "failed"
    assert up.failure is not None and "alembic upgrade failed: boom" in up.failure.message
    assert report.phase("down").status == "skipped"
    assert not report.ok
    assert report.failures()[0].startswith("up: alembic upgrade failed: boom")
    with pytest.raises(ValidationFailed, match="boom"):
        report.raise_for_failure()
