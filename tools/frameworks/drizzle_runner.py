"""Running Drizzle migrations with drizzle-orm's migrator on a scratch database.

Deploys run drizzle's migrations with `migrate(db, { migrationsFolder })` from drizzle-orm
(what `drizzle-kit migrate` calls too), so the runner does the same in a small CommonJS
script with the driver of the dialect (pg, mysql2, better-sqlite3), the repo's bookkeeping
table, and a copy of the migrations folder whose journal stops at `upto`. The database URL
reaches the script through the environment, never a file.

Drizzle has no down migrations: `rollback` runs the rollback script migwright wrote beside the
migration (`<out>/rollback/<tag>.sql`) with migwright's own SQL runner and makes sure the
migration's row is gone from `__drizzle_migrations`, so the migrator runs it again next time.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ..errors import HistoryError, ValidationFailed
from ..repo import RepoFacts
from ..scratch import ScratchDatabase
from ..sqlscript import split_sql
from .base import FrameworkConfig
from .drizzle_render import (
    DEFAULT_SCHEMA,
    DEFAULT_TABLE,
    bookkeeping_table,
    journal_path,
    rollback_path,
)
from .node import DRIVERS, node_path, run_node
from .typeorm_runner import driver_url, sqlite_path

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..runners import ReplayResult

TIMEOUT = 180.0

#: The migrator script per dialect: (drizzle module, client set-up, call, clean-up).
_SCRIPTS = {
    "postgresql": (
        "node-postgres",
        'const pg = require("pg");\n'
        "const client = new pg.Pool({ connectionString: process.env.MIGWRIGHT_DATABASE_URL });",
        "await migrate(drizzle(client), options);",
        "await client.end();",
    ),
    "mysql": (
        "mysql2",
        'const mysql = require("mysql2/promise");\n'
        "const client = await mysql.createConnection(process.env.MIGWRIGHT_DATABASE_URL);",
        "await migrate(drizzle(client), options);",
        "await client.end();",
    ),
    "sqlite": (
        "better-sqlite3",
        'const Database = require("better-sqlite3");\n'
        "const client = new Database(process.env.MIGWRIGHT_SQLITE_PATH);",
        "migrate(drizzle(client), options);",
        "client.close();",
    ),
}


def apply(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    upto: str | None = None,
    *,
    timeout: float = TIMEOUT,
) -> str:
    """drizzle-orm's `migrate()` of the journal (up to and including `upto`) on `db`."""
    entries = _entries(repo, config)
    tags = _upto([str(e["tag"]) for e in entries], upto)
    with tempfile.TemporaryDirectory(prefix="migwright-drizzle-") as tmp:
        folder = Path(tmp) / "migrations"
        _copy_folder(repo, config, entries[: len(tags)], folder)
        runner = Path(tmp) / "migrate.cjs"
        runner.write_text(_script(config, db.dialect), encoding="utf-8")
        packages = ("drizzle-orm", DRIVERS[db.dialect])
        env = {"NODE_PATH": node_path(packages, repo, config.root)}
        if db.dialect == "sqlite":
            env["MIGWRIGHT_SQLITE_PATH"] = sqlite_path(db)
        else:
            env["MIGWRIGHT_DATABASE_URL"] = driver_url(db)
        try:
            run_node(
                runner,
                [str(folder)],
                cwd=repo.path(config.root),
                env=env,
                error=ValidationFailed,
                what="drizzle migrate",
                hint="fix the migration so that drizzle's migrator runs it",
                timeout=timeout,
            )
        except ValidationFailed as exc:
            # The migrator runs all pending files in one transaction and does not say which
            # one failed; the newest is the one under validation.
            raise ValidationFailed(f"{config.migrations_dir}: {exc}", exc.hint) from exc
    last = f" up to {upto}" if upto else ""
    return f"drizzle-orm migrate(){last}: {len(tags)} migrations in the journal"


def rollback(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    steps: int = 1,
    *,
    timeout: float = TIMEOUT,
) -> str:
    """Run the rollback scripts of the last `steps` applied migrations, newest first."""
    del timeout  # migwright's own SQL runner: no subprocess
    entries = _entries(repo, config)
    by_when = {int(e["when"]): str(e["tag"]) for e in entries if isinstance(e.get("when"), int)}
    table = bookkeeping_table(config, db.dialect)
    done: list[str] = []
    with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for _ in range(steps):
            when = _last_applied(conn, table)
            if when is None:
                raise HistoryError(
                    f"cannot roll back {steps} drizzle migrations: only {len(done)} were applied",
                    "apply the journal first, or roll back fewer steps",
                )
            tag = by_when.get(when)
            if tag is None:
                raise HistoryError(
                    f"{journal_path(config)}: the database's last migration (created_at "
                    f"{when}) is not in the journal",
                    "roll it back by hand; migwright only knows the journal's migrations",
                )
            _run_rollback(repo, config, conn, tag, db.dialect)
            conn.execute(text(f"DELETE FROM {table} WHERE created_at = {when}"))
            done.append(tag)
    return f"rollback scripts of {', '.join(done)} run by migwright (drizzle has no down)"


def replay(analysis: Analysis, db: ScratchDatabase, upto: str | None = None) -> ReplayResult:
    """The journal on `db` through drizzle's migrator, for `migwright.tools.runners.RUNNERS`."""
    from ..runners import ReplayResult, history_upto

    ids = history_upto(analysis, upto)
    return ReplayResult(apply(analysis.repo, analysis.config, db, upto), tuple(ids))


# ---------------------------------------------------------------------------------------------


def _entries(repo: RepoFacts, config: FrameworkConfig) -> list[dict[str, Any]]:
    path = journal_path(config)
    try:
        data = json.loads(repo.read(path))
    except (OSError, ValueError) as exc:
        raise HistoryError(f"{path}: cannot read the journal ({exc})", "restore it") from exc
    entries = data.get("entries") if isinstance(data, dict) else None
    return [e for e in entries or [] if isinstance(e, dict) and isinstance(e.get("tag"), str)]


def _upto(tags: list[str], upto: str | None) -> list[str]:
    if upto is None:
        return tags
    if upto not in tags:
        raise HistoryError(
            f"no drizzle migration {upto!r} in the journal", "name a tag from meta/_journal.json"
        )
    return tags[: tags.index(upto) + 1]


def _copy_folder(
    repo: RepoFacts, config: FrameworkConfig, entries: list[dict[str, Any]], folder: Path
) -> None:
    """The journal's files, and a journal that ends where the run should stop."""
    (folder / "meta").mkdir(parents=True)
    journal = json.loads(repo.read(journal_path(config)))
    journal["entries"] = entries
    (folder / "meta" / "_journal.json").write_text(json.dumps(journal), encoding="utf-8")
    for entry in entries:
        source = repo.path(f"{config.migrations_dir}/{entry['tag']}.sql")
        if not source.is_file():
            raise HistoryError(
                f"{journal_path(config)}: entry {entry['tag']} has no SQL file",
                "restore the file, or remove the entry",
            )
        shutil.copyfile(source, folder / f"{entry['tag']}.sql")


def _script(config: FrameworkConfig, dialect: str) -> str:
    module, setup, call, cleanup = _SCRIPTS[dialect]
    options: dict[str, str] = {
        "migrationsTable": config.settings.get("table") or DEFAULT_TABLE,
    }
    if dialect == "postgresql":
        options["migrationsSchema"] = config.settings.get("migrations_schema") or DEFAULT_SCHEMA
    return (
        "// Written by migwright for one run on a scratch database; deleted afterwards.\n"
        f'const {{ drizzle }} = require("drizzle-orm/{module}");\n'
        f'const {{ migrate }} = require("drizzle-orm/{module}/migrator");\n\n'
        "(async () => {\n"
        f"  {setup.replace(chr(10), chr(10) + '  ')}\n"
        "  const options = {\n"
        "    migrationsFolder: process.argv[2],\n"
        + "".join(f"    {key}: {json.dumps(value)},\n" for key, value in options.items())
        + "  };\n"
        "  try {\n"
        f"    {call}\n"
        "  } finally {\n"
        f"    {cleanup}\n"
        "  }\n"
        "})().catch((error) => {\n"
        "  console.error(error);\n"
        "  process.exit(1);\n"
        "});\n"
    )


def _last_applied(conn: Connection, table: str) -> int | None:
    try:
        row = conn.execute(text(f"SELECT created_at FROM {table} ORDER BY created_at DESC")).first()
    except SQLAlchemyError:
        return None
    return int(row[0]) if row else None


def _run_rollback(
    repo: RepoFacts, config: FrameworkConfig, conn: Connection, tag: str, dialect: str
) -> None:
    path = rollback_path(config, tag)
    if not repo.path(path).is_file():
        raise HistoryError(
            f"{config.migrations_dir}/{tag}.sql has no rollback script ({path})",
            "drizzle has no down migrations; write the reverse SQL there to roll it back",
        )
    for statement in split_sql(repo.path(path).read_text(encoding="utf-8")):
        sql = statement.sql if dialect == "sqlite" else statement.sql.replace("%", "%%")
        try:
            result = conn.exec_driver_sql(sql)
            broken = _is_fk_check(sql) and result.first() is not None
        except DBAPIError as exc:
            _abort(conn, dialect)
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise ValidationFailed(
                f"{path}:{statement.line}: the database refused it: {reason}",
                "fix the rollback script",
            ) from exc
        if broken:
            _abort(conn, dialect)
            raise ValidationFailed(
                f"{path}:{statement.line}: the rollback broke foreign keys "
                "(PRAGMA foreign_key_check returned rows)",
                "fix the rollback script; it was rolled back",
            )


def _is_fk_check(sql: str) -> bool:
    return " ".join(sql.split()).upper() == "PRAGMA FOREIGN_KEY_CHECK"


def _abort(conn: Connection, dialect: str) -> None:
    """Roll back the script's own BEGIN (MySQL has committed each DDL statement anyway)."""
    if dialect != "mysql":
        with contextlib.suppress(DBAPIError):
            conn.exec_driver_sql("ROLLBACK")
