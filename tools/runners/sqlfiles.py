"""Replay for frameworks whose migrations are SQL files: statements in order, on one connection.

Each statement runs on its own in autocommit mode, so statements that refuse a transaction
(CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE on old servers) work as they do in the
frameworks' own clients, and a failure names the file and line of the statement that failed.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.exc import DBAPIError

from ..analysis import Analysis
from ..errors import HistoryError
from ..scratch import ScratchDatabase
from ..sqlscript import split_sql
from . import ReplayResult, history_upto


def replay(analysis: Analysis, db: ScratchDatabase, upto: str | None = None) -> ReplayResult:
    adapter = cast(Any, analysis.framework)
    wanted = set(history_upto(analysis, upto))
    applied: list[str] = []
    with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for ref in analysis.history.migrations:
            if ref.id not in wanted:
                continue
            up, _down = adapter.migration_sql(analysis.repo, analysis.config, ref)
            for statement in split_sql(up):
                try:
                    conn.exec_driver_sql(_escape_percent(statement.sql, db.dialect))
                except DBAPIError as exc:
                    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                    raise HistoryError(
                        f"{ref.path}:{statement.line}: the database refused it: {reason}",
                        "fix the migration, or check that --dialect matches the SQL",
                    ) from exc
            applied.append(ref.id)
    return ReplayResult("SQL files applied in order by migwright", tuple(applied))


def _escape_percent(sql: str, dialect: str) -> str:
    """Drivers with pyformat parameters read `%` as a placeholder; a literal one is `%%`."""
    return sql if dialect == "sqlite" else sql.replace("%", "%%")
