"""Running Alembic against a scratch database: the real CLI first, the scripts directly second.

`apply` runs `alembic upgrade` and `rollback` runs `alembic downgrade -1`, as subprocesses of
the current interpreter (the user's environment), with the repo's configuration and env.py.
The scratch database reaches env.py two ways at once: the environment variable env.py reads
(the adapter found it, e.g. DATABASE_URL) and `sqlalchemy.url` in a temporary copy of
alembic.ini, in which `%(here)s` points back at the repo. The copy matters for safety as much
as for convenience: whichever of the two env.py uses, it is the scratch database, never the
development database the committed alembic.ini names.

When env.py cannot even be imported (the app's dependencies are not installed here), the
revision scripts are run directly: each module is loaded and its upgrade()/downgrade() called
with `op` bound to Alembic's Operations on a MigrationContext on the scratch connection, and
alembic_version is kept as Alembic keeps it. The returned description says which way ran.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import HistoryError, ValidationFailed
from ..repo import RepoFacts, redact
from ..scratch import ScratchDatabase, guard
from .base import FrameworkConfig, History

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..runners import ReplayResult

TIMEOUT = 300.0
_LOGGING = """
[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %%(levelname)-5.5s [%%(name)s] %%(message)s
"""


@dataclass(frozen=True)
class Outcome:
    """How a run went: the command, its output, and the fallback reason when there was one."""

    description: str
    output: str


def apply(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    upto: str | None = None,
    timeout: float = TIMEOUT,
) -> str:
    """`alembic upgrade <upto or heads>` on the scratch database; one line saying how it ran."""
    return _run(repo, config, db, ["upgrade", upto or "heads"], timeout).description


def rollback(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    steps: int = 1,
    timeout: float = TIMEOUT,
) -> str:
    """`alembic downgrade -<steps>` on the scratch database."""
    return _run(repo, config, db, ["downgrade", f"-{steps}"], timeout).description


def replay(analysis: Analysis, db: ScratchDatabase, upto: str | None = None) -> ReplayResult:
    """The history up to `upto` (default: every head) on `db`, for inspect and validation."""
    from ..runners import ReplayResult, history_upto

    ids = history_upto(analysis, upto)
    try:
        how = apply(analysis.repo, analysis.config, db, upto)
    except ValidationFailed as exc:
        raise HistoryError(str(exc), exc.hint) from exc
    return ReplayResult(how, tuple(ids))


# ---------------------------------------------------------------------------------------------
# The real CLI
# ---------------------------------------------------------------------------------------------


def _run(
    repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, args: list[str], timeout: float
) -> Outcome:
    guard(db.url)
    root = repo.path(config.root)
    settings = config.settings
    env = dict(os.environ)
    url_env = settings.get("url_env")
    if url_env:
        env[url_env] = db.url
    with tempfile.TemporaryDirectory(prefix="migwright_alembic_") as tmp:
        command = [sys.executable, "-m", "alembic", *_config_args(repo, config, db, Path(tmp))]
        if settings.get("ini_section"):
            command += ["-n", settings["ini_section"]]
        done = _subprocess([*command, *args], root, env, timeout)
    where = f"URL from {url_env} and sqlalchemy.url" if url_env else "sqlalchemy.url"
    shown = f"alembic {' '.join(args)}"
    if done.returncode == 0:
        return Outcome(f"{shown} with the repo's env.py ({where} set to the scratch database)", "")
    output = done.stderr + done.stdout
    if _env_cannot_import(output):
        reason = _last_error(output)
        how = _direct(repo, config, db, args, timeout)
        return Outcome(f"{how} (env.py could not be imported: {reason})", output)
    raise ValidationFailed(
        f"{shown} failed on the scratch database: {_last_error(output)}",
        f"run `{shown}` yourself to see the whole error; the last lines were:\n"
        + "\n".join(output.strip().splitlines()[-8:]),
    )


def _config_args(
    repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, tmp: Path
) -> list[str]:
    """`-c` options: a copy of alembic.ini pointing at the scratch database, pyproject.toml."""
    ini = next((f for f in config.config_files if f.endswith(".ini")), None)
    parser = configparser.RawConfigParser()
    section = config.settings.get("ini_section", "alembic")
    if ini is not None:
        here = str(repo.path(ini).parent).replace("%", "%%")
        parser.read_string(repo.read(ini).replace("%(here)s", here), source=ini)
    else:
        parser.read_string(_LOGGING)
    if not parser.has_section(section):
        parser.add_section(section)
    parser.set(section, "sqlalchemy.url", db.url.replace("%", "%%"))
    copy = tmp / "alembic.ini"
    with copy.open("w", encoding="utf-8") as handle:
        parser.write(handle)
    args = ["-c", str(copy)]
    toml = next((f for f in config.config_files if f.endswith("pyproject.toml")), None)
    if toml is not None:
        args += ["-c", str(repo.path(toml))]
    return args


def _subprocess(
    command: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ValidationFailed(
            f"{' '.join(command[2:4])} did not finish within {timeout:.0f}s",
            "look for a lock wait or a long data migration; run it by hand to see where",
        ) from exc
    except OSError as exc:
        raise ValidationFailed(
            f"cannot start {command[0]}: {exc.strerror}", "check the Python environment"
        ) from exc


def _env_cannot_import(output: str) -> bool:
    """env.py (or the app it imports) failed before any revision ran."""
    return bool(re.search(r"\b(ModuleNotFoundError|ImportError)\b", output)) and (
        "Running upgrade" not in output and "Running downgrade" not in output
    )


def _last_error(output: str) -> str:
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b", line)]
    chosen = errors[-1] if errors else (lines[-1] if lines else "no output")
    return redact(chosen)


# ---------------------------------------------------------------------------------------------
# The revision scripts, run directly
# ---------------------------------------------------------------------------------------------


def _direct(
    repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, args: list[str], timeout: float
) -> str:
    """Run the revision scripts through Operations on a MigrationContext, in a subprocess."""
    from .alembic import ADAPTER

    history: History = ADAPTER.history(repo, config)
    job = {
        "url": db.url,
        "action": args[0],
        "target": args[1],
        "revisions": [
            {"id": m.id, "path": str(repo.path(m.path)), "parents": list(m.parents)}
            for m in history.migrations
        ],
    }
    code = "from migwright.tools.frameworks.alembic_runner import direct_main; direct_main()"
    env = dict(os.environ)
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(job),
        cwd=repo.path(config.root),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        output = done.stderr + done.stdout
        raise ValidationFailed(
            f"alembic {' '.join(args)} (revision scripts run directly) failed: "
            f"{_last_error(output)}",
            "the last lines were:\n" + "\n".join(output.strip().splitlines()[-8:]),
        )
    return f"alembic revision scripts run by migwright ({' '.join(args)}) on a MigrationContext"


def direct_main() -> None:
    """Entry point of the direct run (a subprocess): a JSON job on stdin, see `_direct`."""
    import importlib.util

    import sqlalchemy as sa
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.pool import NullPool

    job = json.load(sys.stdin)
    revisions = {r["id"]: r for r in job["revisions"]}
    order = [r["id"] for r in job["revisions"]]
    version = sa.Table(
        "alembic_version",
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )

    def ancestors(ids: set[str]) -> set[str]:
        seen, todo = set(ids), list(ids)
        while todo:
            for parent in revisions[todo.pop()]["parents"]:
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    def load(rid: str) -> Any:
        spec = importlib.util.spec_from_file_location(
            f"_migwright_rev_{rid}", revisions[rid]["path"]
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    engine = sa.create_engine(job["url"], poolclass=NullPool)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn)
        with Operations.context(ctx), ctx.begin_transaction():
            version.create(conn, checkfirst=True)
            if job["action"] == "upgrade":
                _direct_upgrade(conn, version, job["target"], order, revisions, load, ancestors)
            else:
                steps = int(job["target"].lstrip("-"))
                _direct_downgrade(conn, version, steps, order, revisions, load, ancestors)
        if conn.in_transaction():  # SQLite's DDL is not "transactional" to Alembic: commit
            conn.commit()


def _direct_upgrade(
    conn: Any,
    version: Any,
    target: str,
    order: list[str],
    revisions: dict[str, Any],
    load: Callable[[str], Any],
    ancestors: Callable[[set[str]], set[str]],
) -> None:
    import sqlalchemy as sa

    heads = set(conn.execute(sa.select(version.c.version_num)).scalars())
    todo = order if target == "heads" else order[: order.index(target) + 1]
    applied = ancestors(heads)
    for rid in todo:
        if rid in applied:
            continue
        load(rid).upgrade()
        parents = revisions[rid]["parents"]
        conn.execute(version.delete().where(version.c.version_num.in_(parents)))
        conn.execute(version.insert().values(version_num=rid))
        applied.add(rid)


def _direct_downgrade(
    conn: Any,
    version: Any,
    steps: int,
    order: list[str],
    revisions: dict[str, Any],
    load: Callable[[str], Any],
    ancestors: Callable[[set[str]], set[str]],
) -> None:
    import sqlalchemy as sa

    for _ in range(steps):
        heads = set(conn.execute(sa.select(version.c.version_num)).scalars())
        if not heads:
            return
        rid = max(heads, key=order.index)
        load(rid).downgrade()
        conn.execute(version.delete().where(version.c.version_num == rid))
        others = heads - {rid}
        parents = set(revisions[rid]["parents"])
        for parent in parents:
            if parent not in ancestors(others | (parents - {parent})):
                conn.execute(version.insert().values(version_num=parent))
