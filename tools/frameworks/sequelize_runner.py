"""Running a Sequelize history with sequelize-cli against a scratch database.

sequelize-cli reads `.sequelizerc` and the repo's config from its working directory, and the
repo's config points at a developer's database (or `use_env_variable`), so migwright runs the
CLI in a temp folder holding its own `config.js` (one environment, `migwright`, for the
scratch database) and passes `--config`, `--env` and `--migrations-path` explicitly. That
folder gets a `node_modules` of links to sequelize and the driver, because sequelize-cli
resolves `sequelize` from its working directory.

Sequelize's SQLite dialect loads the `sqlite3` package, which needs a native build that
cannot download its binaries here; the config hands it `dialectModule`, a small adapter with
sqlite3's callback API over better-sqlite3 (written next to the config). Sequelize sees the
same SQLite either way.
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
from .node import DRIVERS, bin_script, link_modules, node_path, run_node
from .sequelize import ADAPTER

_DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}
_ENV = "migwright"
_HINT = "fix the migration (sequelize-cli's output above names the failing statement)"

#: sqlite3's callback API over better-sqlite3, as much of it as Sequelize uses.
SQLITE3_SHIM = r"""'use strict';
// Written by migwright: sqlite3's API over better-sqlite3, for Sequelize's dialectModule.
const Database = require('better-sqlite3');

const OPEN_READONLY = 1;
const OPEN_READWRITE = 2;
const OPEN_CREATE = 4;

function plain(value) {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  return value;
}

function bind(params) {
  if (params === undefined || params === null) return [];
  if (Array.isArray(params)) return params.map(plain);
  const out = {};
  for (const [key, value] of Object.entries(params)) out[key.replace(/^[$:@]/, '')] = plain(value);
  return out;
}

class Connection {
  constructor(filename, mode, callback) {
    if (typeof mode === 'function') [callback, mode] = [mode, undefined];
    this.filename = filename;
    let error = null;
    try {
      const readonly = mode !== undefined && !(mode & OPEN_READWRITE);
      this.db = new Database(filename, { readonly });
    } catch (err) {
      error = err;
    }
    if (callback) process.nextTick(() => callback(error));
  }

  serialize(fn) {
    if (fn) fn();
  }

  _query(sql, params, callback, mode) {
    if (typeof params === 'function') [callback, params] = [params, undefined];
    let error = null;
    let rows;
    let context = { lastID: undefined, changes: 0 };
    try {
      const statement = this.db.prepare(sql);
      const args = bind(params);
      if (statement.reader) {
        rows = mode === 'get' ? statement.get(args) : statement.all(args);
      } else {
        const info = statement.run(args);
        context = { lastID: Number(info.lastInsertRowid), changes: info.changes };
        rows = mode === 'get' ? undefined : [];
      }
    } catch (err) {
      error = err;
    }
    if (callback) process.nextTick(() => callback.call(context, error, rows));
    return this;
  }

  run(sql, params, callback) {
    return this._query(sql, params, callback, 'run');
  }

  all(sql, params, callback) {
    return this._query(sql, params, callback, 'all');
  }

  get(sql, params, callback) {
    return this._query(sql, params, callback, 'get');
  }

  exec(sql, callback) {
    let error = null;
    try {
      this.db.exec(sql);
    } catch (err) {
      error = err;
    }
    if (callback) process.nextTick(() => callback(error));
    return this;
  }

  close(callback) {
    let error = null;
    try {
      this.db.close();
    } catch (err) {
      error = err;
    }
    if (callback) process.nextTick(() => callback(error));
  }
}

module.exports = {
  Database: Connection,
  OPEN_READONLY,
  OPEN_READWRITE,
  OPEN_CREATE,
  verbose() {
    return module.exports;
  },
};
"""


def connection(db: ScratchDatabase) -> dict[str, Any]:
    """The `migwright` environment of the generated config (without dialectModule)."""
    url = make_url(db.url)
    block: dict[str, Any] = {"dialect": _DIALECTS[db.dialect], "logging": False}
    if db.dialect == "sqlite":
        block["storage"] = url.database
        return block
    block.update(
        host=url.host or "127.0.0.1",
        port=url.port or (5432 if db.dialect == "postgresql" else 3306),
        username=url.username or "",
        database=url.database or "",
    )
    if url.password:
        block["password"] = str(url.password)
    return block


def write_config(config: FrameworkConfig, db: ScratchDatabase, folder: Path) -> Path:
    """`config.js` (and the SQLite adapter beside it) in `folder`; returns the config path."""
    block = connection(db)
    table = config.settings.get("migrationStorageTableName")
    if table and table != "SequelizeMeta":
        block["migrationStorageTableName"] = table
    body = json.dumps(block, indent=2)
    if db.dialect == "sqlite":
        (folder / "sqlite3-shim.js").write_text(SQLITE3_SHIM, encoding="utf-8")
        body = body[:-2] + ",\n  \"dialectModule\": require('./sqlite3-shim.js')\n}"
    path = folder / "config.js"
    path.write_text(
        "// Written by migwright for one validation run; points sequelize-cli at a scratch"
        f" database.\nmodule.exports = {{ {_ENV}: {body} }};\n",
        encoding="utf-8",
    )
    return path


def _cli(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    commands: list[list[str]],
    error: type[MigwrightError],
) -> list[str]:
    cli = bin_script("sequelize-cli", "sequelize-cli", repo, config.root)
    outputs = []
    with tempfile.TemporaryDirectory(prefix="migwright-sequelize-") as tmp:
        folder = Path(tmp)
        link_modules(folder, ["sequelize", DRIVERS[db.dialect]], repo, config.root)
        path = write_config(config, db, folder)
        migrations = str(repo.path(config.migrations_dir))
        # sequelize loads the driver from its own folder; NODE_PATH finds one it lacks there
        env = {"NODE_PATH": node_path([DRIVERS[db.dialect]], repo, config.root)}
        for args in commands:
            result = run_node(
                cli,
                [*args, "--config", str(path), "--env", _ENV, "--migrations-path", migrations],
                cwd=folder,
                env=env,
                error=error,
                what=f"sequelize-cli {args[0]} on the {db.dialect} scratch database",
                hint=_HINT,
            )
            lines = [ln for ln in result.stdout.splitlines() if ln.startswith("==")]
            outputs.append(lines[-1] if lines else "")
    return outputs


def applied(config: FrameworkConfig, db: ScratchDatabase) -> list[str]:
    """Names sequelize-cli recorded in SequelizeMeta, in name order (its own order)."""
    table = config.settings.get("migrationStorageTableName", "SequelizeMeta")
    engine = db.engine()
    if table not in inspect(engine).get_table_names():
        return []
    quoted = engine.dialect.identifier_preparer.quote(table)
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT name FROM {quoted} ORDER BY name")).all()
    return [str(r[0]) for r in rows]


def _apply(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    upto: str | None,
    error: type[MigwrightError],
) -> tuple[str, list[str]]:
    names = [m.id for m in ADAPTER.history(repo, config).migrations]
    if upto is not None and upto not in names:
        raise error(f"no migration {upto!r} in the Sequelize history", "see `migwright inspect`")
    done = set(applied(config, db))
    wanted = names if upto is None else names[: names.index(upto) + 1]
    pending = [n for n in wanted if n not in done]
    if not pending:
        return "sequelize-cli: nothing to run", []
    args = ["db:migrate"] if upto is None else ["db:migrate", "--to", upto]
    out = _cli(repo, config, db, [args], error)
    how = " ".join(args)
    return f"sequelize-cli {how} on a {db.dialect} scratch database: {out[-1]}", pending


def apply(
    repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, upto: str | None = None
) -> str:
    """Run the pending migrations (up to and including `upto`) with `sequelize-cli db:migrate`."""
    return _apply(repo, config, db, upto, ValidationFailed)[0]


def rollback(repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, steps: int = 1) -> str:
    """Undo the last `steps` migrations with `sequelize-cli db:migrate:undo`, one at a time."""
    ran = applied(config, db)
    if steps > len(ran):
        raise ValidationFailed(
            f"cannot roll back {steps} migrations: only {len(ran)} have run",
            "roll back fewer steps",
        )
    out = _cli(repo, config, db, [["db:migrate:undo"]] * steps, ValidationFailed)
    return f"sequelize-cli db:migrate:undo x{steps} on a {db.dialect} scratch database: {out[-1]}"


def replay(analysis: Analysis, db: ScratchDatabase, upto: str | None = None) -> ReplayResult:
    """The repo's history onto `db` with sequelize-cli (the RUNNERS entry for "sequelize")."""
    history_upto(analysis, upto)
    how, ran = _apply(analysis.repo, analysis.config, db, upto, HistoryError)
    return ReplayResult(how, tuple(ran))
