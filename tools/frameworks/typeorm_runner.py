"""Running TypeORM migrations with TypeORM's own CLI on a scratch database.

`typeorm migration:run` and `migration:revert` need a DataSource. The repo's own one reads
the app's environment and imports its entities, so the runner writes a small data source of
its own in a temp folder: the repo's driver type, the scratch database (its URL passed through
the environment, never written to disk), the migration files of the history in order, and the
repo's `migrationsTableName`. The CLI runs through `ts-node` (`typeorm-ts-node-commonjs`, the
command TypeORM's docs give for TypeScript projects) in the repo's folder, so its tsconfig
applies, in transpile-only mode: type errors are the compiler's business, not a migration
run's. Packages come from the repo's node_modules (see `jsnode.node_modules`).

`migration:run -t each` gives every migration its own transaction unless the class says
`transaction = false`; `migration:revert` ignores that property, so a class that has it is
reverted with `-t none` (it opens its own transactions, see `typeorm_render`).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..errors import HistoryError, ValidationFailed
from ..repo import RepoFacts
from ..scratch import ScratchDatabase
from .base import FrameworkConfig, History, MigrationRef
from .jsproject import migration_module
from .node import DRIVERS, bin_script, node_path, run_node
from .typeorm import ADAPTER

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..runners import ReplayResult

_PACKAGES = ("typeorm", "ts-node", "typescript")
#: TypeORM driver `type` for each dialect (the repo's own type wins when it is of the family).
_TYPES = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "better-sqlite3"}
_FAMILY = {
    "postgres": "postgresql",
    "cockroachdb": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "better-sqlite3": "sqlite",
    "sqlite": "sqlite",
}
TIMEOUT = 180.0


def apply(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    upto: str | None = None,
    *,
    timeout: float = TIMEOUT,
) -> str:
    """`typeorm migration:run` of the history (up to and including `upto`) on `db`."""
    history = ADAPTER.history(repo, config)
    refs = _upto(history, upto)
    with tempfile.TemporaryDirectory(prefix="migwright-typeorm-") as tmp:
        source = _data_source(repo, config, db, refs, Path(tmp))
        _cli(repo, config, db, ["migration:run", "-d", str(source), "-t", "each"], timeout, refs)
    last = f" up to {upto}" if upto else ""
    return (
        f"typeorm migration:run -t each{last} ({len(refs)} migrations, TypeORM's CLI via ts-node)"
    )


def rollback(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    steps: int = 1,
    *,
    timeout: float = TIMEOUT,
) -> str:
    """`typeorm migration:revert`, `steps` times; `-t none` for a `transaction = false` class."""
    history = ADAPTER.history(repo, config)
    refs = list(history.migrations)
    table = config.settings.get("migrationsTableName") or "migrations"
    reverted: list[str] = []
    with tempfile.TemporaryDirectory(prefix="migwright-typeorm-") as tmp:
        source = _data_source(repo, config, db, refs, Path(tmp))
        for _ in range(steps):
            name = _last_applied(db, table)
            if name is None:
                raise HistoryError(
                    f"cannot revert {steps} migrations: only {len(reverted)} were applied",
                    "apply the history first, or revert fewer steps",
                )
            ref = next((r for r in refs if r.id == name), None)
            mode = "none" if ref is not None and _outside_transaction(repo, ref) else "each"
            args = ["migration:revert", "-d", str(source), "-t", mode]
            _cli(repo, config, db, args, timeout, refs, failing=ref)
            reverted.append(f"{name} (-t {mode})")
    return f"typeorm migration:revert of {', '.join(reverted)} (TypeORM's CLI via ts-node)"


def replay(analysis: Analysis, db: ScratchDatabase, upto: str | None = None) -> ReplayResult:
    """The history on `db` through TypeORM's CLI, for `migwright.tools.runners.RUNNERS`."""
    from ..runners import ReplayResult, history_upto

    ids = history_upto(analysis, upto)
    how = apply(analysis.repo, analysis.config, db, upto)
    return ReplayResult(how, tuple(ids))


# ---------------------------------------------------------------------------------------------


def _upto(history: History, upto: str | None) -> list[MigrationRef]:
    refs: list[MigrationRef] = []
    for ref in history.migrations:
        refs.append(ref)
        if ref.id == upto:
            return refs
    if upto is not None:
        raise HistoryError(
            f"no TypeORM migration {upto!r} in the history",
            "name a migration class (with its timestamp) that `migwright inspect` lists",
        )
    return refs


def dialect_type(config: FrameworkConfig, dialect: str) -> str:
    """The TypeORM `type` to run `dialect` with: the repo's own when it is of that family."""
    own = config.settings.get("type", "")
    return own if _FAMILY.get(own) == dialect else _TYPES[dialect]


def _data_source(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    refs: list[MigrationRef],
    folder: Path,
) -> Path:
    """A CommonJS data source for the scratch database and exactly these migration files."""
    paths = list(dict.fromkeys(str(repo.path(ref.path)) for ref in refs))
    options = {
        "type": dialect_type(config, db.dialect),
        "migrations": paths,
        "migrationsTableName": config.settings.get("migrationsTableName") or "migrations",
        "logging": ["error", "migration"],
    }
    where = (
        "database: process.env.MIGWRIGHT_SQLITE_PATH,"
        if db.dialect == "sqlite"
        else "url: process.env.MIGWRIGHT_DATABASE_URL,"
    )
    body = json.dumps(options, indent=4)[1:-2]
    source = folder / "migwright-data-source.js"
    source.write_text(
        "// Written by migwright for one run on a scratch database; deleted afterwards.\n"
        'const { DataSource } = require("typeorm");\n\n'
        f"exports.dataSource = new DataSource({{\n    {where}{body},\n}});\n",
        encoding="utf-8",
    )
    return source


def _cli(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    args: list[str],
    timeout: float,
    refs: list[MigrationRef],
    failing: MigrationRef | None = None,
) -> None:
    """Run TypeORM's CLI; a failure names the migration TypeORM names, when it names one.

    A migration of the history that fails is the history's problem (HistoryError); the newest
    one failing, or its revert, is what validation reports (ValidationFailed).
    """
    packages = (*_PACKAGES, DRIVERS[db.dialect])
    env = {
        "NODE_PATH": node_path(packages, repo, config.root),
        "TS_NODE_TRANSPILE_ONLY": "true",
        # Errors without stack frames, so the last lines of output name the error itself.
        "NODE_OPTIONS": "--stack-trace-limit=0",
    }
    if db.dialect == "sqlite":
        env["MIGWRIGHT_SQLITE_PATH"] = sqlite_path(db)
    else:
        env["MIGWRIGHT_DATABASE_URL"] = driver_url(db)
    script = bin_script("typeorm", "typeorm-ts-node-commonjs", repo, config.root)
    try:
        run_node(
            script,
            args,
            cwd=repo.path(config.root),
            env=env,
            error=ValidationFailed,
            what=f"typeorm {args[0]}",
            hint="fix the migration so that TypeORM's CLI runs it",
            timeout=timeout,
        )
    except ValidationFailed as exc:
        named = _failed_migration(str(exc), refs) or failing
        if named is not None and refs and named.id != refs[-1].id:
            raise HistoryError(
                f"{named.path}: {exc}", "fix that migration of the history; it fails on its own"
            ) from exc
        if named is not None:
            raise ValidationFailed(f"{named.path}: {exc}", exc.hint) from exc
        raise


def driver_url(db: ScratchDatabase) -> str:
    """The scratch database's URL as Node drivers read it (no SQLAlchemy `+driver` part)."""
    url = make_url(db.url)
    scheme = {"postgresql": "postgres", "mysql": "mysql"}[db.dialect]
    return url.set(drivername=scheme).render_as_string(hide_password=False)


def sqlite_path(db: ScratchDatabase) -> str:
    """The file of a SQLite scratch database."""
    return str(Path(make_url(db.url).database or ""))


def _failed_migration(output: str, refs: list[MigrationRef]) -> MigrationRef | None:
    """The migration TypeORM names in `Migration "X" failed` (revert: the last one named)."""
    named = [r for r in refs if f'"{r.id}" failed' in output or f"{r.id} failed" in output]
    return named[-1] if named else None


def _last_applied(db: ScratchDatabase, table: str) -> str | None:
    """The migration `migration:revert` would revert next: the row with the highest id."""
    quoted = f"`{table}`" if db.dialect == "mysql" else f'"{table}"'
    with db.engine().connect() as conn:
        try:
            row = conn.execute(text(f"SELECT name FROM {quoted} ORDER BY id DESC")).first()
        except SQLAlchemyError:  # no table yet: nothing was applied
            return None
    return str(row[0]) if row else None


def _outside_transaction(repo: RepoFacts, ref: MigrationRef) -> bool:
    """True when the migration's class says `transaction = false`.

    Read from the tokens at class-body depth rather than `jssource.classes`, which misses a
    field that follows `name = '...'` without a semicolon (TypeORM's own template).
    """
    try:
        module = migration_module(repo, ref.path, "TypeORM")
    except HistoryError:
        return False
    tokens = module.tokens
    return any(
        tok.kind == "name"
        and tok.text == "transaction"
        and module.depth[k] == 1
        and module.is_at(k + 1, "=")
        and module.text_at(k + 2) == "false"
        for k, tok in enumerate(tokens)
    )
