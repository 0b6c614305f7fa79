"""Running Active Record migrations with the real Active Record against a scratch database.

No Rails application is booted: `rails_driver.rb` (beside this module) connects Active Record
to the scratch database and runs `ActiveRecord::MigrationContext#up` / `#rollback` on a copy of
the repo's `db/migrate`, which is what `bin/rails db:migrate` / `db:rollback` do underneath. The
Active Record found on the machine is used (Debian's `ruby-activerecord` is 6.1, with
`ruby-pg`, `ruby-mysql2`, `ruby-sqlite3`); a migration written for a newer Rails declares
`ActiveRecord::Migration[7.1]`, which 6.1 refuses, so the copy's version brackets are
rewritten to the installed version. The migrations' methods are the same in both; the
compatibility layers of the two versions differ in small defaults only (noted in reports).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from ..analysis import Analysis
from ..errors import ConfigError, HistoryError, MigwrightError, ValidationFailed
from ..repo import RepoFacts, redact
from ..runners import ReplayResult, history_upto
from ..scratch import ScratchDatabase, guard
from .base import FrameworkConfig
from .rails import ADAPTER

DRIVER = Path(__file__).with_name("rails_driver.rb")
#: The Debian packages that give Active Record and its three database drivers.
APT_PACKAGES = "ruby ruby-activerecord ruby-pg ruby-mysql2 ruby-sqlite3"
#: Seconds one driver run may take before it is stopped.
TIMEOUT = 180.0
_ADAPTERS = {"postgresql": "postgresql", "mysql": "mysql2", "sqlite": "sqlite3"}
_VERSION_BRACKET = re.compile(r"(ActiveRecord::Migration)\[\s*\d+\.\d+\s*\]")
_HINT = "fix the migration (Active Record's message above names the failing statement)"


def ruby() -> str:
    found = shutil.which("ruby")
    if found is None:
        raise ConfigError(
            "ruby is not installed: Rails migrations need Ruby and Active Record to run",
            f"install them: apt-get install -y {APT_PACKAGES}",
        )
    return found


@cache
def active_record_version() -> str:
    """`major.minor` of the Active Record Ruby loads (e.g. "6.1")."""
    proc = subprocess.run(
        [ruby(), "-e", 'require "active_record"; print ActiveRecord::VERSION::STRING'],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        raise ConfigError(
            f"Active Record cannot be loaded: {proc.stderr.strip().splitlines()[-1:]}",
            f"install it: apt-get install -y {APT_PACKAGES}",
        )
    major, minor = proc.stdout.strip().split(".")[:2]
    return f"{major}.{minor}"


def connection(db: ScratchDatabase) -> dict[str, Any]:
    """Active Record's connection hash for a scratch database."""
    url = make_url(db.url)
    if db.dialect == "sqlite":
        return {"adapter": "sqlite3", "database": url.database}
    conn: dict[str, Any] = {
        "adapter": _ADAPTERS[db.dialect],
        "host": url.host or "127.0.0.1",
        "port": url.port or (5432 if db.dialect == "postgresql" else 3306),
        "username": url.username or "",
        "database": url.database,
    }
    if url.password:
        conn["password"] = str(url.password)
    return conn


def copy_migrations(repo: RepoFacts, config: FrameworkConfig, target: Path) -> Path:
    """The repo's migrations folder copied to `target`, version brackets set to the installed
    Active Record's (see the module docstring)."""
    version = active_record_version()
    folder = target / "migrate"
    prefix = config.migrations_dir.rstrip("/") + "/"
    for path in repo.under(config.migrations_dir):
        if not path.endswith(".rb"):
            continue
        out = folder / path[len(prefix) :]
        out.parent.mkdir(parents=True, exist_ok=True)
        text = _VERSION_BRACKET.sub(rf"\1[{version}]", repo.read(path))
        out.write_text(text, encoding="utf-8")
    return folder


def _drive(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    request: dict[str, Any],
    error: type[MigwrightError],
) -> tuple[list[int], list[int], str]:
    """Run the driver; (versions before, versions after, the migration log's last line)."""
    guard(db.url)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ")}
    with tempfile.TemporaryDirectory(prefix="migwright-rails-") as tmp:
        folder = copy_migrations(repo, config, Path(tmp))
        payload = {"connection": connection(db), "paths": [str(folder)], **request}
        what = f"Active Record {request['command']} on the {db.dialect} scratch database"
        try:
            proc = subprocess.run(
                [ruby(), str(DRIVER)],
                input=json.dumps(payload),
                capture_output=True,
                text=True,
                cwd=tmp,
                env={**env, "RAILS_ENV": "development"},
                timeout=TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise error(f"{what} did not finish within {TIMEOUT:.0f}s", _HINT) from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr.strip() or proc.stdout.strip()).splitlines()[-12:])
        raise error(f"{what} failed:\n{redact(tail)}", _HINT)
    lines = proc.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    log = [line for line in lines[:-1] if line.startswith("==")]
    return result["before"], result["after"], log[-1].strip("= ") if log else ""


def _apply(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    upto: str | None,
    error: type[MigwrightError],
) -> tuple[str, list[str]]:
    ids = [ref.id for ref in ADAPTER.history(repo, config).migrations]
    if upto is not None and upto not in ids:
        raise error(f"no migration {upto!r} in the Rails history", "see `migwright inspect`")
    target = int(upto) if upto is not None else None
    before, after, last = _drive(repo, config, db, {"command": "up", "target": target}, error)
    ran = [str(v) for v in after if v not in before]
    how = f"Active Record {active_record_version()} (MigrationContext#up)"
    return f"{how} on a {db.dialect} scratch database: {len(ran)} applied; {last}", ran


def apply(
    repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, upto: str | None = None
) -> str:
    """`bin/rails db:migrate` (VERSION=upto): the pending migrations, with Active Record."""
    return _apply(repo, config, db, upto, ValidationFailed)[0]


def rollback(repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, steps: int = 1) -> str:
    """`bin/rails db:rollback STEP=steps`, with Active Record."""
    before, after, last = _drive(
        repo, config, db, {"command": "rollback", "steps": steps}, ValidationFailed
    )
    undone = [v for v in before if v not in after]
    if len(undone) < steps:
        raise ValidationFailed(
            f"rolled back {len(undone)} of {steps} migrations: only {len(before)} had run",
            "roll back fewer steps",
        )
    how = f"Active Record {active_record_version()} (MigrationContext#rollback)"
    return f"{how} on a {db.dialect} scratch database: {len(undone)} rolled back; {last}"


def replay(analysis: Analysis, db: ScratchDatabase, upto: str | None = None) -> ReplayResult:
    """The repo's history onto `db` with Active Record (the RUNNERS entry for "rails")."""
    history_upto(analysis, upto)
    how, ran = _apply(analysis.repo, analysis.config, db, upto, HistoryError)
    return ReplayResult(how, tuple(ran))
