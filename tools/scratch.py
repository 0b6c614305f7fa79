"""Scratch databases: created for one validation, dropped afterwards, nothing else touched.

Validation runs a migration up, down and up again on a real server, so the code that creates
and drops databases sits next to a user's real ones. Two locks keep it away from them: a
database may be changed or dropped only when its name carries `PREFIX` *and* this very process
created it (a registry keyed by name and process id, so a forked child or a second run cannot
drop a database another run still uses). `guard(url)` is the same check for any URL a caller
wants to change; the CLI's explicit `--db URL --i-know-this-is-not-production` path is the
only way past it.

Cleanup is owed even when a run is interrupted: `__exit__` drops, an `atexit` hook drops what
is left, and SIGTERM/SIGHUP (whose default action would skip both) are turned into
`SystemExit` so the stack unwinds through them; Ctrl-C already raises KeyboardInterrupt.
What a killed process (SIGKILL, power loss) leaves behind, `list_leftovers` finds and
`drop_leftovers` removes on an explicit call, as CI does when it starts.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import secrets
import shutil
import signal
import sqlite3
import tempfile
import threading
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Final

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from .errors import ScratchDatabaseError
from .repo import redact

#: Dialects a scratch database can be made for; "mysql" covers MySQL and MariaDB.
SUPPORTED: Final = ("sqlite", "postgresql", "mysql")

#: Every scratch database name starts with this; nothing without it is ever dropped.
PREFIX: Final = "migwright_scratch_"

#: Names this module generates; only these count as leftovers of a crashed run.
_GENERATED = re.compile(rf"{PREFIX}[0-9a-f]{{12}}")

_LABELS: Final = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL"}
_ENV: Final = {"postgresql": "MIGWRIGHT_PG_URL", "mysql": "MIGWRIGHT_MYSQL_URL"}
_DEFAULT_URLS: Final = {
    "sqlite": "sqlite://",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306/",
}
_DEFAULT_PORTS: Final = {"postgresql": 5432, "mysql": 3306}

#: Scratch databases this process created and has not dropped: name -> (pid, database).
_LIVE: dict[str, tuple[int, ScratchDatabase]] = {}
_cleanup_lock = threading.Lock()
_cleanup_installed: set[str] = set()  # "atexit", "signals"


def server_url(dialect: str) -> str:
    """The server scratch databases are made on: `MIGWRIGHT_PG_URL` / `MIGWRIGHT_MYSQL_URL`.

    SQLite has no server; its scratch databases are files in the system temp folder, and its
    "server URL" is the bare `sqlite://`.
    """
    dialect = _check_dialect(dialect)
    env = _ENV.get(dialect)
    return (os.environ.get(env) if env else None) or _DEFAULT_URLS[dialect]


def dialect_of(url: str | URL) -> str:
    """The SUPPORTED dialect a SQLAlchemy URL speaks (`mariadb+pymysql://` is "mysql")."""
    parsed = _parse(url)
    family = {"mariadb": "mysql"}.get(parsed.get_backend_name(), parsed.get_backend_name())
    if family not in SUPPORTED:
        raise ScratchDatabaseError(
            f"{redact(str(url))}: {parsed.get_backend_name()} is not a supported database",
            hint=f"use a URL for one of {', '.join(SUPPORTED)}",
        )
    return family


class ScratchDatabase:
    """One throwaway database; a context manager that drops it on the way out.

    `url` is the full SQLAlchemy URL (with the password, for the engine and for framework
    runners); show `safe_url` instead. Constructing one for an existing database is allowed,
    but `engine()` and `drop()` refuse unless `create_scratch` made it in this process.
    """

    def __init__(self, dialect: str, name: str, url: str, server_url: str | None = None) -> None:
        self.dialect = _check_dialect(dialect)
        self.name = name
        self.url = url
        #: Where the database was created from and is dropped from (None for SQLite).
        self.server_url = server_url
        self._engine: Engine | None = None
        self._dropped = False

    @property
    def safe_url(self) -> str:
        """`url` without its password, for output, reports and prompts."""
        return redact(self.url)

    @property
    def dropped(self) -> bool:
        return self._dropped

    @property
    def directory(self) -> Path | None:
        """The temp folder holding a SQLite scratch database (None on a server)."""
        if self.dialect != "sqlite":
            return None
        return Path(_parse(self.url).database or "").parent

    def engine(self) -> Engine:
        """A cached engine on this database; SQLite connections enforce foreign keys."""
        if self._dropped:
            raise ScratchDatabaseError(
                f"scratch database {self.name} was already dropped",
                hint="create a new one with create_scratch()",
            )
        _require_owned(self)
        if self._engine is None:
            self._engine = _engine_for(self.dialect, self.url)
        return self._engine

    def drop(self) -> None:
        """Drop the database; a second call does nothing. Refuses a database not made here."""
        if self._dropped:
            return
        _require_owned(self)
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self.dialect == "sqlite":
            directory = self.directory
            if directory is not None:
                shutil.rmtree(directory, ignore_errors=True)
        else:
            _drop_on_server(self.dialect, self.server_url or server_url(self.dialect), self.name)
        self._dropped = True
        _LIVE.pop(self.name, None)

    def __enter__(self) -> ScratchDatabase:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.drop()
            return
        # Do not let a failed drop hide the error that is already on its way out; the
        # database stays registered, so the atexit hook tries again.
        with contextlib.suppress(ScratchDatabaseError):
            self.drop()

    def __repr__(self) -> str:
        return f"ScratchDatabase({self.dialect!r}, {self.name!r}, {self.safe_url!r})"


def create_scratch(
    dialect: str, server_url: str | None = None, *, timeout: float = 5
) -> ScratchDatabase:
    """Create an empty database named `PREFIX` + 12 random hex characters.

    PostgreSQL copies template0 in UTF8 (template1 may carry a user's extensions, and another
    session connected to it would make CREATE DATABASE fail); MySQL uses utf8mb4 with the
    unicode collation, so the server's own defaults do not change what a migration does.
    """
    dialect = _check_dialect(dialect)
    name = PREFIX + secrets.token_hex(6)
    if dialect == "sqlite":
        directory = Path(tempfile.gettempdir()) / name
        database = ScratchDatabase(dialect, name, f"sqlite:///{directory / 'db.sqlite3'}")
        _register(database)
        try:
            directory.mkdir(mode=0o700)
            sqlite3.connect(directory / "db.sqlite3").close()
        except (OSError, sqlite3.Error) as exc:
            _LIVE.pop(name, None)
            shutil.rmtree(directory, ignore_errors=True)
            raise ScratchDatabaseError(
                f"cannot create a SQLite scratch database in {directory.parent}: {exc}",
                hint="free disk space or point TMPDIR at a writable folder",
            ) from exc
        return database

    admin = _parse(server_url if server_url is not None else _env_url(dialect))
    _expect_dialect(admin, dialect)
    url = admin.set(database=name).render_as_string(hide_password=False)
    database = ScratchDatabase(
        dialect, name, url, server_url=admin.render_as_string(hide_password=False)
    )
    if dialect == "postgresql":
        ddl = f"CREATE DATABASE {_quote(dialect, name)} TEMPLATE template0 ENCODING 'UTF8'"
    else:
        ddl = (
            f"CREATE DATABASE {_quote(dialect, name)} "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    engine = _admin_engine(admin, timeout)
    try:
        with engine.connect() as conn:
            # Registered before CREATE: an interrupt between the two must still drop it.
            _register(database)
            conn.execute(text(ddl))
    except SQLAlchemyError as exc:
        _LIVE.pop(name, None)
        raise _server_error(dialect, admin, "create a scratch database on", exc) from exc
    finally:
        engine.dispose()
    return database


def guard(url: str | URL, *, explicit: bool = False) -> None:
    """Raise unless `url` names a scratch database this process created.

    Every tool that changes a database calls this first. `explicit=True` is the user's own
    decision to run against a database they name (`--db URL --i-know-this-is-not-production`).
    """
    if explicit:
        return
    parsed = _parse(url)
    dialect = dialect_of(parsed)
    name = parsed.database or ""
    if dialect == "sqlite":
        name = Path(name).parent.name if name and name != ":memory:" else ""
    entry = _LIVE.get(name)
    if entry is None or not _owned(entry[1]) or _identity(entry[1].url) != _identity(parsed):
        raise _refusal(parsed.render_as_string(hide_password=False))


def live_scratch_databases() -> list[ScratchDatabase]:
    """Scratch databases this process created and has not dropped yet."""
    pid = os.getpid()
    return [database for owner, database in list(_LIVE.values()) if owner == pid]


def server_reachable(dialect: str, url: str | None = None, timeout: float = 3) -> str | None:
    """None when the server answers a query, else the reason it does not (one line)."""
    dialect = _check_dialect(dialect)
    if dialect == "sqlite":
        return None
    try:
        parsed = _parse(url if url is not None else _env_url(dialect))
        _expect_dialect(parsed, dialect)
        engine = _admin_engine(parsed, timeout)
    except ScratchDatabaseError as exc:
        return exc.one_line()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"cannot reach {_LABELS[dialect]} at {_where(parsed, dialect)}: {_reason(exc)}"
    finally:
        engine.dispose()
    return None


def server_version(engine: Engine) -> tuple[int, ...]:
    """The server's version as integers, e.g. (15, 19) or MariaDB's (10, 11, 19)."""
    with engine.connect() as conn:
        info = conn.dialect.server_version_info or ()
    return tuple(part for part in info if isinstance(part, int))


def list_leftovers(dialect: str, server_url: str | None = None) -> list[str]:
    """Scratch databases left by other (crashed or killed) runs, oldest naming aside.

    Only names of the generated shape count, and databases live in this process are left out.
    """
    dialect = _check_dialect(dialect)
    live = set(_LIVE)
    if dialect == "sqlite":
        root = Path(tempfile.gettempdir())
        found = [p.name for p in root.iterdir() if p.is_dir() and _GENERATED.fullmatch(p.name)]
    else:
        admin = _parse(server_url if server_url is not None else _env_url(dialect))
        _expect_dialect(admin, dialect)
        query = (
            "SELECT datname FROM pg_database WHERE datname LIKE :prefix"
            if dialect == "postgresql"
            else "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
            "WHERE SCHEMA_NAME LIKE :prefix"
        )
        engine = _admin_engine(admin, 5)
        try:
            with engine.connect() as conn:
                rows = conn.execute(text(query), {"prefix": "migwright%"}).scalars().all()
        except SQLAlchemyError as exc:
            raise _server_error(dialect, admin, "list scratch databases on", exc) from exc
        finally:
            engine.dispose()
        found = [str(name) for name in rows if _GENERATED.fullmatch(str(name))]
    return sorted(name for name in found if name not in live)


def drop_leftovers(
    dialect: str, names: list[str] | None = None, server_url: str | None = None
) -> list[str]:
    """Drop leftovers of other runs (all of them, or the given ones); returns what was dropped.

    This is the one place that drops databases this process did not create, so it runs only
    when called explicitly (CI at its start, when no other run can be using one) and only on
    names `list_leftovers` reports.
    """
    dialect = _check_dialect(dialect)
    leftovers = list_leftovers(dialect, server_url)
    chosen = leftovers if names is None else list(names)
    for name in chosen:
        if name not in leftovers:
            raise ScratchDatabaseError(
                f"refusing to drop {name}: it is not a leftover migwright scratch database",
                hint="pass only names that list_leftovers() reports",
            )
    for name in chosen:
        if dialect == "sqlite":
            shutil.rmtree(Path(tempfile.gettempdir()) / name, ignore_errors=True)
        else:
            _drop_on_server(dialect, server_url or _env_url(dialect), name)
    return chosen


# --- internals -------------------------------------------------------------------------------


def _check_dialect(dialect: str) -> str:
    if dialect not in SUPPORTED:
        raise ScratchDatabaseError(
            f"no scratch databases for dialect {dialect!r}",
            hint=f"use one of {', '.join(SUPPORTED)}",
        )
    return dialect


def _env_url(dialect: str) -> str:
    # For functions whose `server_url` parameter hides the public function.
    return server_url(dialect)


def _parse(url: str | URL) -> URL:
    if isinstance(url, URL):
        return url
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise ScratchDatabaseError(
            f"not a database URL: {redact(url)}",
            hint="give a SQLAlchemy URL such as postgresql+psycopg://user@host:5432/postgres",
        ) from exc


def _expect_dialect(url: URL, dialect: str) -> None:
    if dialect_of(url) != dialect:
        raise ScratchDatabaseError(
            f"{redact(url.render_as_string(hide_password=False))} is not a {_LABELS[dialect]} URL",
            hint=f"set {_ENV.get(dialect, 'the server URL')} to a {_LABELS[dialect]} server",
        )


def _where(url: URL, dialect: str) -> str:
    return f"{url.host or 'localhost'}:{url.port or _DEFAULT_PORTS.get(dialect, '')}"


def _reason(exc: BaseException) -> str:
    """The driver's own first line, without SQLAlchemy's statement echo and link."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return redact(" ".join(lines[0].split())) if lines else type(original).__name__


def _server_error(
    dialect: str, url: URL, action: str, exc: SQLAlchemyError
) -> ScratchDatabaseError:
    label, where, env = _LABELS[dialect], _where(url, dialect), _ENV[dialect]
    reason = _reason(exc)
    # A failed connect surfaces as OperationalError before any statement ran.
    if isinstance(exc, OperationalError) and exc.statement is None:
        return ScratchDatabaseError(
            f"cannot reach {label} at {where}: {reason}",
            hint=f"start the server or set {env}",
        )
    return ScratchDatabaseError(
        f"cannot {action} {label} at {where}: {reason}",
        hint=f"connect as a user allowed to create and drop databases, or set {env}",
    )


def _admin_engine(url: URL, timeout: float) -> Engine:
    """A pool-less autocommit engine on the server (CREATE/DROP DATABASE refuse transactions)."""
    try:
        return create_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": max(1, int(timeout))},
        )
    except (ArgumentError, ImportError) as exc:
        raise ScratchDatabaseError(
            f"cannot use {redact(url.render_as_string(hide_password=False))}: {exc}",
            hint="install the driver the URL names (psycopg, PyMySQL) or change the URL",
        ) from exc


def _engine_for(dialect: str, url: str) -> Engine:
    if dialect != "sqlite":
        return create_engine(url, connect_args={"connect_timeout": 10})
    engine = create_engine(url)

    # SQLite ignores foreign keys unless each connection asks; validation must see them.
    @event.listens_for(engine, "connect")
    def _foreign_keys_on(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _quote(dialect: str, name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ScratchDatabaseError(
            f"refusing to quote database name {name!r}", hint="scratch names are [a-z0-9_]"
        )
    return f'"{name}"' if dialect == "postgresql" else f"`{name}`"


def _drop_on_server(dialect: str, admin_url: str, name: str) -> None:
    """Disconnect everyone still using `name`, then drop it (IF EXISTS: drops are idempotent)."""
    admin = _parse(admin_url)
    engine = _admin_engine(admin, 5)
    try:
        with engine.connect() as conn:
            if dialect == "postgresql":
                _drop_postgres(conn, name)
            else:
                _drop_mysql(conn, name)
    except SQLAlchemyError as exc:
        error = _server_error(dialect, admin, f"drop {name} on", exc)
        error.hint = f"drop it by hand (DROP DATABASE {name}) once the server answers"
        raise error from exc
    finally:
        engine.dispose()


def _drop_postgres(conn: Connection, name: str) -> None:
    conn.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"
        ),
        {"name": name},
    )
    major = (conn.dialect.server_version_info or (0,))[0]
    force = " WITH (FORCE)" if isinstance(major, int) and major >= 13 else ""
    conn.execute(text(f"DROP DATABASE IF EXISTS {_quote('postgresql', name)}{force}"))


def _drop_mysql(conn: Connection, name: str) -> None:
    # An open transaction elsewhere holds metadata locks that would make DROP wait forever.
    ids = conn.execute(
        text(
            "SELECT ID FROM information_schema.PROCESSLIST "
            "WHERE DB = :name AND ID <> CONNECTION_ID()"
        ),
        {"name": name},
    ).scalars()
    for connection_id in list(ids):
        with contextlib.suppress(SQLAlchemyError):  # it may have ended in the meantime
            conn.execute(text(f"KILL CONNECTION {int(connection_id)}"))
    conn.execute(text(f"DROP DATABASE IF EXISTS {_quote('mysql', name)}"))


def _identity(url: str | URL) -> tuple[str, str, object, str]:
    parsed = _parse(url)
    dialect = dialect_of(parsed)
    if dialect == "sqlite":
        return (dialect, "", None, str(Path(parsed.database or "").resolve()))
    host = (parsed.host or "localhost").lower()
    return (dialect, host, parsed.port or _DEFAULT_PORTS[dialect], parsed.database or "")


def _owned(database: ScratchDatabase) -> bool:
    """Made by create_scratch in this process (not a look-alike built by hand), prefix and all."""
    entry = _LIVE.get(database.name)
    if entry != (os.getpid(), database) or not database.name.startswith(PREFIX):
        return False
    directory = database.directory
    return directory is None or directory.name == database.name


def _require_owned(database: ScratchDatabase) -> None:
    if not _owned(database):
        raise _refusal(database.url)


def _refusal(url: str) -> ScratchDatabaseError:
    return ScratchDatabaseError(
        f"refusing to change {redact(url)}: it is not a scratch database created by this run",
        hint="let migwright create a scratch database, or name it yourself with "
        "--db URL --i-know-this-is-not-production",
    )


def _register(database: ScratchDatabase) -> None:
    _install_cleanup()
    _LIVE[database.name] = (os.getpid(), database)


def _install_cleanup() -> None:
    with _cleanup_lock:
        if "atexit" not in _cleanup_installed:
            _cleanup_installed.add("atexit")
            atexit.register(_drop_all)
        # signal.signal works only in the main thread; a later call from there installs them.
        if (
            "signals" in _cleanup_installed
            or threading.current_thread() is not threading.main_thread()
        ):
            return
        _cleanup_installed.add("signals")
    # Only signals still at their default (fatal, no cleanup) action; an application's own
    # handlers are left alone. SIGINT's Python default already raises KeyboardInterrupt.
    for name in ("SIGTERM", "SIGHUP", "SIGINT"):
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _exit_on_signal)


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    """Unwind the stack (running every `with` block's drop), then atexit drops the rest."""
    raise SystemExit(128 + signum)


def _drop_all() -> None:
    """atexit: drop whatever this process still owns; errors are left for list_leftovers."""
    for database in live_scratch_databases():
        with contextlib.suppress(Exception):
            database.drop()
