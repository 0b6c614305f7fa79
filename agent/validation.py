"""Step 8's wiring: which runner proves the migration, on what copy of the repo.

With a framework runner, the real runner runs on a throwaway copy of the repository: the
history first (on the copy as it is), then the rendered files are written into the copy and the
runner goes up, down and up again. The person's working tree is never touched. Without a
runner (a framework migwright reads but cannot run here), migwright's own SQL for the plan is
executed after the history was replayed, and the report says so.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..tools.current import bookkeeping_tables
from ..tools.frameworks.generation import expected_after
from ..tools.frameworks.generation import runner as runner_module
from ..tools.repo import IGNORED_DIRS, RepoFacts
from ..tools.validate import (
    FrameworkMigration,
    MigrationUnderTest,
    SqlMigration,
    ValidationReport,
    from_history,
    validate,
)
from ..tools.writer import write_files
from .plan import Context

if TYPE_CHECKING:
    from ..tools.apptests import AppTestJob

#: Folders a copy links to instead of copying: installed packages the runner needs, large.
_LINKED = ("node_modules", ".venv", "venv")


def validate_run(ctx: Context) -> ValidationReport:
    assert ctx.analysis is not None and ctx.plan is not None and ctx.current is not None
    with tempfile.TemporaryDirectory(prefix="migwright-copy-") as tmp:
        mut = _migration_under_test(ctx, Path(tmp) / "repo")
        report = validate(
            mut,
            ctx.plan,
            dialect=ctx.current.dialect,
            rows=ctx.options.rows,
            seed=ctx.options.seed,
            exclude=bookkeeping_tables(ctx.analysis),
            expected=_expected(ctx),
        )
        return _run_app_tests(ctx, report, mut, Path(tmp) / "repo")


def _run_app_tests(
    ctx: Context, report: ValidationReport, mut: MigrationUnderTest, copy: Path
) -> ValidationReport:
    """The app's own tests on the migrated database: the copy's code, then HEAD's."""
    from ..tools.apptests import through, with_app_tests

    assert ctx.analysis is not None
    analysis = ctx.analysis
    job = _app_test_job(ctx.options.app_tests, ctx.options.app_tests_timeout, analysis)
    if job is None:
        return report
    module = runner_module(analysis.framework.name)
    if module is None and report.ok:  # no runner made a copy: the repo plus the new files
        _copy_repo(analysis.repo.root, copy)
        write_files(copy, list(ctx.files))
    if module is None:
        migrate = through(mut)
    else:  # the copy holds the new migration: its runner migrates to the new head

        def migrate(db: Any) -> str:
            return str(module.apply(RepoFacts.load(copy), analysis.config, db))

    return with_app_tests(report, job, migrate, copy, analysis.repo.root)


def _app_test_job(command: str | None, timeout: float, analysis: Any) -> AppTestJob | None:
    """The test command asked for (`--app-tests`; "" turns the repo's default off), else the
    repo's default from migwright.toml / pyproject.toml; None when there is none."""
    from ..tools.apptests import AppTestJob, configured_command

    chosen = command if command is not None else configured_command(analysis.repo.root)
    if not chosen or not chosen.strip():
        return None
    return AppTestJob(chosen.strip(), analysis.framework.name, analysis.config, timeout)


def _expected(ctx: Context) -> Any:
    """What the framework's runner leaves (Rails renames its indexes); migwright's own SQL,
    used where no runner is, does what the plan says."""
    assert ctx.analysis is not None and ctx.plan is not None
    name = ctx.analysis.framework.name
    return None if runner_module(name) is None else expected_after(name, ctx.plan)


def _migration_under_test(ctx: Context, copy: Path) -> MigrationUnderTest:
    assert ctx.analysis is not None and ctx.plan is not None
    analysis = ctx.analysis
    module = runner_module(analysis.framework.name)
    if module is None:
        return SqlMigration(ctx.plan, prepare=from_history(analysis))
    _copy_repo(analysis.repo.root, copy)
    config = analysis.config
    files = list(ctx.files)
    state: dict[str, RepoFacts] = {}

    def repo() -> RepoFacts:
        if "repo" not in state:
            state["repo"] = RepoFacts.load(copy)
        return state["repo"]

    def prepare(db: Any) -> str:
        how = module.apply(repo(), config, db)
        write_files(copy, files)
        state.pop("repo", None)  # the copy now holds the new files
        return f"{how} (history); then the new migration was written into a copy of the repo"

    return FrameworkMigration(
        lambda db: module.apply(repo(), config, db),
        lambda db: module.rollback(repo(), config, db, 1),
        prepare=prepare,
        description=ctx.plan.description,
        label=f"{analysis.framework.title} runner",
    )


def _copy_repo(source: Path, target: Path) -> None:
    """Copy the repository without VCS and caches; link installed-package folders."""
    skipped = (IGNORED_DIRS - {"build", "dist"}) | set(_LINKED)

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in skipped}

    shutil.copytree(source, target, ignore=ignore, symlinks=True)
    for folder, dirs, _files in os.walk(source):
        for name in [d for d in dirs if d in _LINKED]:
            found = Path(folder) / name
            link = target / found.relative_to(source)
            if link.parent.exists() and not link.exists():
                os.symlink(found, link)
        dirs[:] = [d for d in dirs if d not in skipped]


def validate_existing(
    path: Path,
    *,
    framework: str | None = None,
    migration: str | None = None,
    dialect: str | None = None,
    db_url: str | None = None,
    explicit: bool = False,
    rows: int = 1000,
    seed: int = 0,
    app_tests: str | None = None,
    app_tests_timeout: float = 600.0,
) -> ValidationReport:
    """Validate a migration that is already in the repo (the last one by default).

    Its expected schemas come from replaying the history on scratch databases: before = up to
    the migration before it, after = up to it. The validator then proves that its down restores
    the before schema exactly, keeps the data, and that it can run again. With `app_tests`
    (or the repo's default command), the app's tests then run on a database migrated up to it,
    from a copy of the repo and from HEAD (tools/apptests.py).
    """
    from ..tools.analysis import analyse
    from ..tools.errors import HistoryError
    from ..tools.frameworks.render import MigrationPlan
    from ..tools.scratch import dialect_of
    from ..tools.validate import RawMigration, validate_on

    analysis = analyse(path, framework)
    refs = analysis.history.migrations
    if not refs:
        raise HistoryError("the history has no migrations to validate", "write one first")
    ids = [r.id for r in refs]
    versioned = [r.id for r in refs if r.kind != "repeatable"]  # Flyway's R files have no down
    target = migration or (versioned or ids)[-1]
    if target not in ids:
        matches = [i for i in ids if target in i]
        if len(matches) != 1:
            raise HistoryError(
                f"no single migration matches {target!r}",
                f"use one of the ids `migwright inspect` lists, e.g. {ids[-1]}",
            )
        target = matches[0]
    index = ids.index(target)
    previous = ids[index - 1] if index else None
    where = dialect or (dialect_of(db_url) if db_url else None) or analysis.config.dialect
    where = where or "sqlite"
    before = _schema_upto(analysis, previous, where)
    after = _schema_upto(analysis, target, where)
    from ..tools.diff import diff_schemas

    plan = MigrationPlan(
        tuple(diff_schemas(before, after)), before, where, f"migration {target}", refs[index].path
    )
    exclude = bookkeeping_tables(analysis)
    module = runner_module(analysis.framework.name)
    mut: MigrationUnderTest
    if module is not None:
        mut = FrameworkMigration(
            lambda db: module.apply(analysis.repo, analysis.config, db, target),
            lambda db: module.rollback(analysis.repo, analysis.config, db, 1),
            prepare=_prepare_upto(module, analysis, previous),
            description=plan.description,
            label=f"{analysis.framework.title} runner",
        )
    else:
        adapter: Any = analysis.framework
        up, down = adapter.migration_sql(analysis.repo, analysis.config, refs[index])
        mut = RawMigration(plan, up, down, prepare=from_history(analysis, previous))
    if db_url:
        report = validate_on(db_url, mut, plan, explicit=explicit, rows=rows, seed=seed)
    else:
        report = validate(mut, plan, dialect=where, rows=rows, seed=seed, exclude=exclude)
    job = _app_test_job(app_tests, app_tests_timeout, analysis)
    if job is None:
        return report
    from ..tools.apptests import through, with_app_tests

    def migrate(db: Any) -> str:  # up to the migration under test, as the validation went
        if module is None:
            return through(mut)(db)
        return str(module.apply(analysis.repo, analysis.config, db, target))

    with tempfile.TemporaryDirectory(prefix="migwright-copy-") as tmp:
        _copy_repo(analysis.repo.root, Path(tmp) / "repo")
        return with_app_tests(report, job, migrate, Path(tmp) / "repo", analysis.repo.root)


def _schema_upto(analysis: Any, upto: str | None, dialect: str) -> Any:
    from ..tools.introspect import introspect
    from ..tools.runners import replay
    from ..tools.schema import Schema
    from ..tools.scratch import create_scratch

    if upto is None:
        return Schema()
    with create_scratch(dialect) as db:
        replay(analysis, db, upto)
        return introspect(db.engine(), exclude=bookkeeping_tables(analysis))


def _prepare_upto(module: Any, analysis: Any, upto: str | None) -> Any:
    def prepare(db: Any) -> str:
        if upto is None:
            return "nothing before the first migration"
        return str(module.apply(analysis.repo, analysis.config, db, upto))

    return prepare
