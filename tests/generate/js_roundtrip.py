"""The round trip every JS-framework generation test runs (Knex, Sequelize, Prisma).

Copy an example repo, replay its history with the framework's runner on a scratch database,
introspect that as the plan's `before`, render the request as the framework's files, write
them, then run up, down and up again with the real runner, comparing the introspected schema
with `plan.after` / `plan.before` each time (Alembic's AlterColRoundTripFixture rhythm).
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from conftest import require_server

from migwright.tools.analysis import Analysis, analyse
from migwright.tools.dialects import get
from migwright.tools.frameworks.node import HARNESS
from migwright.tools.frameworks.render import File, MigrationPlan
from migwright.tools.introspect import introspect
from migwright.tools.schema import Index, Schema
from migwright.tools.scratch import ScratchDatabase, create_scratch
from migwright.tools.spec import parse_request

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def copy_repo(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(REPOS / name, target, ignore=shutil.ignore_patterns("node_modules"))
    return target


def comparable(schema: Schema, dialect: str) -> Schema:
    folded = get(dialect).comparable(schema).normalized()
    return sqlite_keys(folded) if dialect == "sqlite" else folded


def sqlite_keys(schema: Schema) -> Schema:
    """What SQLite keeps of keys, on top of `SQLiteDialect.comparable` (reported to the lead).

    A UNIQUE constraint is a unique index there (Knex and Sequelize create the index with
    CREATE UNIQUE INDEX), and a foreign key's name has no use (no ALTER TABLE can name it; any
    change rebuilds the table) and is not read back when the DDL quotes it with backticks, as
    Knex and Sequelize do. MySQL's `comparable` folds uniques the same way.
    """
    tables = []
    for t in schema.tables:
        indexes = [*t.indexes]
        names = {i.name for i in indexes}
        for u in t.uniques:
            name = u.name or "unique_" + "_".join(u.columns)
            if name not in names:
                indexes.append(Index(name, u.columns, unique=True))
        fks = tuple(replace(fk, name=None) for fk in t.foreign_keys)
        tables.append(replace(t, uniques=(), indexes=tuple(indexes), foreign_keys=fks))
    return Schema(tuple(tables), schema.enums).normalized()


def assert_schema(db: ScratchDatabase, expected: Schema, when: str) -> None:
    got = comparable(introspect(db.engine()), db.dialect)
    want = comparable(expected, db.dialect)
    if got != want:
        diff = difflib.unified_diff(
            want.describe().splitlines(), got.describe().splitlines(), "expected", "database"
        )
        raise AssertionError(f"{when}:\n" + "\n".join(diff))


def write(repo: Path, files: list[File]) -> None:
    for f in files:
        path = repo / f.path
        assert f.existing or not path.exists(), f"{f.path} would overwrite a migration"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.content, encoding="utf-8")


@dataclass
class Run:
    plan: MigrationPlan
    files: list[File]
    analysis: Analysis
    notes: list[str]


Render = Callable[..., list[File]]


def roundtrip(
    repo: Path,
    dialect: str,
    request: str,
    render: Render,
    runner: ModuleType,
    prepare: Callable[[Path], None] | None = None,
) -> Run:
    """Render `request` onto `repo` and prove it up / down / up on a `dialect` scratch db."""
    if prepare is not None:
        prepare(repo)
    server = require_server(dialect)
    analysis = analyse(repo)
    notes: list[str] = []
    with create_scratch(dialect, None if dialect == "sqlite" else server) as db:
        notes.append(runner.replay(analysis, db).method)
        before = introspect(db.engine())
        req = parse_request(request, dialect=dialect, schema=before)
        name = analysis.next_name(req.description, NOW)
        plan = MigrationPlan(req.operations, before, dialect, req.description, name)
        files = render(analysis.repo, analysis.config, analysis.history, plan)
        write(repo, files)
        analysis = analyse(repo)
        notes.append(runner.apply(analysis.repo, analysis.config, db))
        assert_schema(db, plan.after, "after up")
        if plan.reverse.irreversible:
            return Run(plan, files, analysis, notes)
        notes.append(runner.rollback(analysis.repo, analysis.config, db, 1))
        assert_schema(db, plan.before, "after down")
        notes.append(runner.apply(analysis.repo, analysis.config, db))
        assert_schema(db, plan.after, "after up again")
    return Run(plan, files, analysis, notes)


def prettier_check(path: Path, options: list[str]) -> str:
    """What prettier prints for `path` with `options` (from tests/js/node_modules)."""
    cli = HARNESS / "prettier" / "bin" / "prettier.cjs"
    proc = subprocess.run(
        ["node", str(cli), *options, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def prettier_available() -> bool:
    return (HARNESS / "prettier" / "bin" / "prettier.cjs").is_file()


def file_of(run: Run, kind: str = "migration") -> File:
    return next(f for f in run.files if f.kind == kind)
