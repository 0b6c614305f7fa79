"""The current schema of a repository: its history replayed on a scratch database.

A repo's schema is what its migrations build, not what a models file claims, so `inspect`
replays the history on a throwaway database of the repo's dialect, reads it back and drops the
database. With `--db URL` the person's own database is read too (read-only), and the two are
compared: that is drift, what the database has that the history does not, and the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass

from .analysis import Analysis
from .dialects import get as get_dialect
from .diff import diff_schemas
from .introspect import introspect
from .ops import Operation
from .runners import replay, runner_for
from .schema import Schema
from .scratch import create_scratch, dialect_of, server_reachable

#: Settings keys under which adapters report a renamed bookkeeping table (TypeORM's
#: migrationsTableName, Knex's tableName, Sequelize's migrationStorageTableName, Drizzle's
#: table, Alembic's version_table, Flyway's table).
BOOKKEEPING_KEYS = (
    "migrationsTableName",
    "tableName",
    "migrationStorageTableName",
    "table",
    "version_table",
)


def bookkeeping_tables(analysis: Analysis) -> tuple[str, ...]:
    """Tables the framework keeps for itself under a name the repo chose."""
    settings = analysis.config.settings
    return tuple(settings[k] for k in BOOKKEEPING_KEYS if settings.get(k))


@dataclass(frozen=True)
class CurrentSchema:
    schema: Schema | None
    dialect: str
    method: str | None  #: how the history was replayed, or None when it was not
    note: str | None  #: why the schema could not be rebuilt, when it could not
    database: Schema | None = None  #: what --db holds, when given
    drift: tuple[Operation, ...] = ()  #: operations turning the history's schema into --db's


def rebuild(
    analysis: Analysis, dialect: str | None = None, db_url: str | None = None
) -> CurrentSchema:
    """Replay the history on a scratch database of `dialect` (default: the repo's own)."""
    target = dialect or analysis.config.dialect or "sqlite"
    schema: Schema | None = None
    method: str | None = None
    note: str | None = None
    if runner_for(analysis.framework.name) is None:
        note = f"replaying {analysis.framework.title} histories is not supported yet"
    elif (reason := server_reachable(target)) is not None:
        note = f"{target} server unreachable, schema not rebuilt: {reason}"
    else:
        with create_scratch(target) as db:
            result = replay(analysis, db)
            schema = introspect(db.engine(), exclude=bookkeeping_tables(analysis))
            method = result.method
    database = introspect(db_url) if db_url else None
    drift: tuple[Operation, ...] = ()
    if schema is not None and database is not None and db_url is not None:
        if dialect_of(db_url) == target:
            fold = get_dialect(target).comparable
            drift = tuple(diff_schemas(fold(schema).normalized(), fold(database).normalized()))
        else:
            note = (
                f"drift not compared: the history was replayed on {target} and --db is "
                f"{dialect_of(db_url)}; pass --dialect {dialect_of(db_url)}"
            )
    return CurrentSchema(schema, target, method, note, database, drift)
