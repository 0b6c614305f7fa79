"""Running a dbmate history with the real `dbmate` against a scratch database.

The `dbmate` npm package ships dbmate's Go binary (its `@dbmate/<platform>` dependency), so
this is the real runner, found like the other npm runners (`node.py`: the repo's
node_modules, MIGWRIGHT_NODE_MODULES, then the test harness's). It runs in a temp folder with
an environment of its own, so neither the repo's `.env` nor a DATABASE_URL in migwright's
environment reaches it: the scratch database is given with `--url`, the folder with
`--migrations-dir`, and `--no-dump-schema` keeps `db/schema.sql` untouched.

`dbmate migrate` has no target version, so `apply(upto=...)` runs it on a temp folder holding
the files up to that one. `dbmate rollback` undoes one migration per call, and "succeeds" on
an empty down section without changing anything: migwright refuses that instead, since a
down that does nothing would pass for a working one, unless the section says "Nothing to
undo" (what `dbmate_render` writes for a plan whose reverse changes no schema, such as a
backfill kept in place).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from ..analysis import Analysis
from ..errors import HistoryError, MigwrightError, ValidationFailed
from ..repo import RepoFacts
from ..runners import ReplayResult, history_upto
from ..scratch import ScratchDatabase, guard
from .base import FrameworkConfig
from .dbmate import ADAPTER, parse_migration
from .dbmate_render import NOTHING_TO_UNDO
from .node import bin_script, run_node
from .sqlfw_runner import pick

_HINT = "fix the migration (dbmate's output above names the failing statement)"


def dbmate_url(db: ScratchDatabase) -> str:
    """The scratch database as a dbmate URL (`postgres://`, `mysql://`, `sqlite:`)."""
    url = make_url(db.url)
    if db.dialect == "sqlite":
        return f"sqlite:{url.database}"
    scheme = "postgres" if db.dialect == "postgresql" else "mysql"
    auth = quote(url.username or "", safe="")
    if url.password:
        auth += ":" + quote(str(url.password), safe="")
    port = url.port or (5432 if db.dialect == "postgresql" else 3306)
    query = "?sslmode=disable" if db.dialect == "postgresql" else ""
    return f"{scheme}://{auth}@{url.host or '127.0.0.1'}:{port}/{url.database}{query}"


def _table(config: FrameworkConfig) -> str:
    return config.settings.get("migrations_table", "schema_migrations")


def applied(config: FrameworkConfig, db: ScratchDatabase) -> list[str]:
    """Versions dbmate has recorded, oldest first."""
    engine = db.engine()
    table = _table(config)
    if table not in inspect(engine).get_table_names():
        return []
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT version FROM {table} ORDER BY version")).all()
    return [str(r[0]) for r in rows]


def _dbmate(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    folder: Path,
    command: str,
    error: type[MigwrightError],
) -> str:
    """One dbmate command on `folder`; its last line of output."""
    guard(db.url)
    cli = bin_script("dbmate", "dbmate", repo, config.root)
    args = [
        "--url",
        dbmate_url(db),
        "--migrations-dir",
        str(folder),
        "--migrations-table",
        _table(config),
        "--no-dump-schema",
        command,
    ]
    with tempfile.TemporaryDirectory(prefix="migwright-dbmate-") as tmp:
        result = run_node(
            cli,
            args,
            cwd=Path(tmp),
            env={},
            error=error,
            what=f"dbmate {command} on the {db.dialect} scratch database",
            hint=_HINT,
        )
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def _apply(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    upto: str | None,
    error: type[MigwrightError],
) -> tuple[str, list[str]]:
    history = ADAPTER.history(repo, config)
    wanted = pick([ref.id for ref in history.migrations], upto, error)
    done = set(applied(config, db))
    pending = [v for v in wanted if v not in done]
    if not pending:
        return "dbmate: nothing to run", []
    folder = repo.path(config.migrations_dir)
    if upto is None:
        out = _dbmate(repo, config, db, folder, "migrate", error)
    else:
        paths = {ref.id: ref.path for ref in history.migrations}
        with tempfile.TemporaryDirectory(prefix="migwright-dbmate-upto-") as tmp:
            for version in wanted:
                shutil.copy2(repo.path(paths[version]), Path(tmp))
            out = _dbmate(repo, config, db, Path(tmp), "migrate", error)
    return f"dbmate CLI (migrate) on a {db.dialect} scratch database: {out}", pending


def apply(
    repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, upto: str | None = None
) -> str:
    """`dbmate migrate`: the pending migrations (up to and including `upto`)."""
    return _apply(repo, config, db, upto, ValidationFailed)[0]


def rollback(repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, steps: int = 1) -> str:
    """`dbmate rollback`, `steps` times; refuses a migration whose down section is empty."""
    ran = applied(config, db)
    if steps > len(ran):
        raise ValidationFailed(
            f"cannot roll back {steps} migrations: only {len(ran)} have run",
            "roll back fewer steps",
        )
    refs = {ref.id: ref for ref in ADAPTER.history(repo, config).migrations}
    out = ""
    for version in reversed(ran[len(ran) - steps :]):
        ref = refs.get(version)
        if ref is None:
            raise ValidationFailed(
                f"dbmate migration {version} ran but its file is gone", "restore the file"
            )
        parsed = parse_migration(repo.read(ref.path), ref.path)
        if not ref.has_down and NOTHING_TO_UNDO not in (parsed.down or ""):
            why = " ".join(
                line.strip("- ").strip()
                for line in (parsed.down or "").splitlines()[1:]
                if line.strip()
            )
            raise ValidationFailed(
                f"{ref.path} has an empty down section: dbmate rollback would record it as "
                f"undone without changing anything{f' ({why})' if why else ''}",
                "write the down section, or accept that this migration cannot be rolled back",
            )
        out = _dbmate(
            repo, config, db, repo.path(config.migrations_dir), "rollback", ValidationFailed
        )
    return f"dbmate CLI (rollback x{steps}) on a {db.dialect} scratch database: {out}"


def replay(analysis: Analysis, db: ScratchDatabase, upto: str | None = None) -> ReplayResult:
    """The repo's history onto `db` with dbmate (the RUNNERS entry for "dbmate")."""
    history_upto(analysis, upto)
    how, ran = _apply(analysis.repo, analysis.config, db, upto, HistoryError)
    return ReplayResult(how, tuple(ran))
