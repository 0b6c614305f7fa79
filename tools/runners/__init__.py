"""Replaying a repository's history onto a scratch database.

The current schema of a repo is what its history builds, so `inspect` and the validator replay it
on a throwaway database and introspect the result. Each framework has a runner module here; where
the framework keeps its migrations as SQL files (Prisma, Drizzle, Flyway, golang-migrate,
dbmate, numbered SQL) the adapter's `migration_sql` is enough and `sqlfiles.py` runs it.
The result says which way was used, so a report can tell "the framework's own runner" from
"migwright applied the SQL files".
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from ..analysis import Analysis
from ..errors import DetectionError
from ..scratch import ScratchDatabase


@dataclass(frozen=True)
class ReplayResult:
    method: str  #: e.g. "alembic Operations on a MigrationContext", "SQL files in order"
    applied: tuple[str, ...]
    note: str | None = None


Runner = Callable[[Analysis, ScratchDatabase, "str | None"], ReplayResult]

#: Frameworks whose history is SQL files that migwright can apply itself when the framework's
#: own runner (a `<framework>_runner` module with `replay`) is not there.
SQL_HISTORIES = {"prisma", "drizzle", "flyway", "golang_migrate", "dbmate", "sqlfiles"}


def runner_for(framework: str) -> Runner | None:
    """The framework's own runner's replay when there is one, else the SQL-file replay."""
    from ..frameworks.generation import runner

    module = runner(framework)
    if module is not None and hasattr(module, "replay"):
        own: Runner = module.replay
        return own
    if framework in SQL_HISTORIES:
        sql_module = importlib.import_module(f"{__name__}.sqlfiles")
        fallback: Runner = sql_module.replay
        return fallback
    return None


def replay(analysis: Analysis, db: ScratchDatabase, upto: str | None = None) -> ReplayResult:
    """Apply the history (up to and including `upto`) to `db`, a scratch database."""
    runner = runner_for(analysis.framework.name)
    if runner is None:
        raise DetectionError(
            f"replaying a {analysis.framework.title} history is not supported yet",
            "give the current schema with --db URL instead",
        )
    return runner(analysis, db, upto)


def history_upto(analysis: Analysis, upto: str | None) -> list[str]:
    """Ids of the migrations to apply, in order, stopping after `upto` when given."""
    ids: list[str] = []
    for ref in analysis.history.migrations:
        ids.append(ref.id)
        if upto is not None and ref.id == upto:
            return ids
    if upto is not None:
        raise DetectionError(f"no migration {upto!r} in the history", "see `migwright inspect`")
    return ids
