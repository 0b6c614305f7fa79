"""Running a Knex history with the knex CLI against a scratch database.

The repo's knexfile usually reads `.env`, points at a developer's database and may pick a
client the machine cannot build (sqlite3 needs a native compile), so migwright writes its own
knexfile in a temp folder: the scratch database's client and connection, and the repo's
migration directories, table name and load extensions taken from the analysed config. The
knex CLI then runs with `--knexfile` pointing there, exactly as `npx knex migrate:latest`
would, using the repo's `node_modules` when present (see `node.py`). SQLite runs through
better-sqlite3 with foreign keys switched on for every connection, as the knexfiles of
SQLite projects do.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from ..analysis import Analysis
from ..errors import HistoryError, MigwrightError, ValidationFailed
from ..repo import RepoFacts
from ..runners import ReplayResult, history_upto
from ..scratch import ScratchDatabase
from .base import FrameworkConfig
from .knex import ADAPTER
from .node import DRIVERS, bin_script, node_path, run_node

_CLIENTS = {"postgresql": "pg", "mysql": "mysql2", "sqlite": "better-sqlite3"}
_HINT = "fix the migration (the knex output above names the failing statement)"


def connection(db: ScratchDatabase) -> dict[str, Any]:
    """Knex's `connection` object for a scratch database (no URL parsing in JS)."""
    url = make_url(db.url)
    if db.dialect == "sqlite":
        return {"filename": url.database}
    conn: dict[str, Any] = {
        "host": url.host or "127.0.0.1",
        "port": url.port or (5432 if db.dialect == "postgresql" else 3306),
        "user": url.username or "",
        "database": url.database or "",
    }
    if url.password:
        conn["password"] = str(url.password)
    return conn


def knexfile(repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, folder: Path) -> Path:
    """Write the knexfile migwright runs with and return its path."""
    settings = config.settings
    dirs = [str(repo.path(d)) for d in settings.get("directory", config.migrations_dir).split(", ")]
    loads = settings.get("loadExtensions", ".js").replace(",", " ").split()
    migrations: dict[str, Any] = {
        "directory": dirs if len(dirs) > 1 else dirs[0],
        "tableName": settings.get("tableName", "knex_migrations"),
        "loadExtensions": loads,
    }
    if settings.get("sortDirsSeparately") == "true":
        migrations["sortDirsSeparately"] = True
    if settings.get("schemaName"):
        migrations["schemaName"] = settings["schemaName"]
    lines = [
        "// Written by migwright for one validation run; points knex at a scratch database.",
        "module.exports = {",
        f"  client: {json.dumps(_CLIENTS[db.dialect])},",
        f"  connection: {json.dumps(connection(db))},",
        f"  migrations: {json.dumps(migrations)},",
    ]
    if db.dialect == "sqlite":
        lines += [
            "  useNullAsDefault: true,",
            "  pool: {",
            "    afterCreate: (conn, done) => {",
            "      conn.pragma('foreign_keys = ON');",
            "      done(null, conn);",
            "    },",
            "  },",
        ]
    lines.append("};")
    path = folder / "knexfile.js"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _packages(config: FrameworkConfig, db: ScratchDatabase) -> list[str]:
    packages = ["knex", DRIVERS[db.dialect]]
    loads = config.settings.get("loadExtensions", "")
    if ".ts" in loads.split() and config.settings.get("default_extension") == "ts":
        packages += ["ts-node", "typescript"]
    return packages


def _cli(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    commands: list[list[str]],
    error: type[MigwrightError],
) -> list[str]:
    """Run knex CLI commands in order with one generated knexfile; their outputs."""
    cli = bin_script("knex", "knex", repo, config.root)
    packages = _packages(config, db)
    env = {"NODE_PATH": node_path(packages, repo, config.root)}
    if "ts-node" in packages:
        env["NODE_OPTIONS"] = "--require ts-node/register/transpile-only"
    outputs = []
    with tempfile.TemporaryDirectory(prefix="migwright-knex-") as tmp:
        path = knexfile(repo, config, db, Path(tmp))
        for args in commands:
            result = run_node(
                cli,
                ["--knexfile", str(path), "--cwd", str(repo.path(config.root)), *args],
                cwd=Path(tmp),
                env=env,
                error=error,
                what=f"knex {args[0]} on the {db.dialect} scratch database",
                hint=_HINT,
            )
            outputs.append(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "")
    return outputs


def applied(config: FrameworkConfig, db: ScratchDatabase) -> list[str]:
    """Names knex has recorded as run, oldest first (empty before the first run)."""
    table = config.settings.get("tableName", "knex_migrations")
    engine = db.engine()
    if table not in inspect(engine).get_table_names():
        return []
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT name FROM {table} ORDER BY id")).all()
    return [str(r[0]) for r in rows]


def _apply(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    upto: str | None,
    error: type[MigwrightError],
) -> tuple[str, list[str]]:
    history = ADAPTER.history(repo, config)
    names = [m.id for m in history.migrations]
    if upto is not None and upto not in names:
        raise error(f"no migration {upto!r} in the Knex history", "see `migwright inspect`")
    done = set(applied(config, db))
    wanted = names if upto is None else names[: names.index(upto) + 1]
    pending = [n for n in wanted if n not in done]
    if not pending:
        return "knex: nothing to run", []
    if upto is None:
        out = _cli(repo, config, db, [["migrate:latest"]], error)
        how = "migrate:latest"
    else:
        out = _cli(repo, config, db, [["migrate:up", name] for name in pending], error)
        how = f"migrate:up x{len(pending)}"
    return f"knex CLI ({how}) on a {db.dialect} scratch database: {out[-1]}", pending


def apply(
    repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, upto: str | None = None
) -> str:
    """Run the pending migrations (up to and including `upto`) with the knex CLI."""
    return _apply(repo, config, db, upto, ValidationFailed)[0]


def rollback(repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, steps: int = 1) -> str:
    """Undo the last `steps` migrations with `knex migrate:down`, one at a time."""
    ran = applied(config, db)
    if steps > len(ran):
        raise ValidationFailed(
            f"cannot roll back {steps} migrations: only {len(ran)} have run",
            "roll back fewer steps",
        )
    out = _cli(repo, config, db, [["migrate:down"]] * steps, ValidationFailed)
    return f"knex CLI (migrate:down x{steps}) on a {db.dialect} scratch database: {out[-1]}"


def replay(analysis: Analysis, db: ScratchDatabase, upto: str | None = None) -> ReplayResult:
    """The repo's history onto `db` with the knex CLI (the RUNNERS entry for "knex")."""
    history_upto(analysis, upto)  # names an unknown `upto` the way every runner does
    how, ran = _apply(analysis.repo, analysis.config, db, upto, HistoryError)
    return ReplayResult(how, tuple(ran))
