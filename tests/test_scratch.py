"""Scratch databases really appear and really go, and nothing else is ever dropped.

Existence is checked behind the module's back (pg_database, information_schema.SCHEMATA, the
file on disk), so a drop that only forgot its own bookkeeping would fail here.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import dialect_params, require_server
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from migwright.tools.errors import ScratchDatabaseError
from migwright.tools.scratch import (
    PREFIX,
    ScratchDatabase,
    create_scratch,
    drop_leftovers,
    guard,
    list_leftovers,
    live_scratch_databases,
    server_reachable,
    server_url,
    server_version,
)

SERVERS = dialect_params("postgresql", "mysql")
UNREACHABLE = {
    "postgresql": "postgresql+psycopg://postgres:{pw}@127.0.0.1:1/postgres",
    "mysql": "mysql+pymysql://root:{pw}@127.0.0.1:1/",
}


# --- looking behind the module's back --------------------------------------------------------


def _sqlite_file(name: str) -> Path:
    return Path(tempfile.gettempdir()) / name / "db.sqlite3"


def _exists(dialect: str, name: str) -> bool:
    if dialect == "sqlite":
        return _sqlite_file(name).exists()
    query = {
        "postgresql": "SELECT count(*) FROM pg_database WHERE datname = :n",
        "mysql": "SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :n",
    }[dialect]
    engine = create_engine(require_server(dialect), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text(query), {"n": name}).scalar_one())
    finally:
        engine.dispose()


def _by_hand(dialect: str, name: str, *, create: bool) -> str:
    """Create or drop a database without the module; returns its URL."""
    if dialect == "sqlite":
        path = _sqlite_file(name)
        if create:
            path.parent.mkdir()
            path.write_bytes(b"")
        else:
            path.unlink(missing_ok=True)
            path.parent.rmdir()
        return f"sqlite:///{path}"
    server = require_server(dialect)
    quoted = f'"{name}"' if dialect == "postgresql" else f"`{name}`"
    engine = create_engine(server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f"{'CREATE' if create else 'DROP'} DATABASE {quoted}"))
    finally:
        engine.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _hand_made(dialect: str, name: str) -> ScratchDatabase:
    url = _by_hand(dialect, name, create=True)
    server = None if dialect == "sqlite" else require_server(dialect)
    return ScratchDatabase(dialect, name, url, server_url=server)


# --- create and drop ---------------------------------------------------------------------------


def test_create_then_drop_really_creates_and_removes(dialect: str) -> None:
    url = require_server(dialect)
    database = create_scratch(dialect, None if dialect == "sqlite" else url)
    try:
        assert re.fullmatch(rf"{PREFIX}[0-9a-f]{{12}}", database.name)
        assert _exists(dialect, database.name)
        assert database in live_scratch_databases()
        with database.engine().begin() as conn:
            conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, label VARCHAR(20))"))
            conn.execute(text("INSERT INTO t VALUES (1, 'één')"))
        with database.engine().connect() as conn:
            assert conn.execute(text("SELECT label FROM t")).scalar_one() == "één"
    finally:
        database.drop()
    assert not _exists(dialect, database.name)
    assert database.dropped
    assert database not in live_scratch_databases()
    database.drop()  # idempotent
    with pytest.raises(ScratchDatabaseError, match="already dropped"):
        database.engine()


def test_url_names_the_scratch_database(scratch: ScratchDatabase) -> None:
    parsed = make_url(scratch.url)
    if scratch.dialect == "sqlite":
        assert parsed.database == str(_sqlite_file(scratch.name))
        assert scratch.directory == _sqlite_file(scratch.name).parent
    else:
        assert parsed.database == scratch.name
        assert scratch.directory is None
    guard(scratch.url)  # created here: allowed


def test_server_version_is_a_tuple_of_ints(scratch: ScratchDatabase) -> None:
    version = server_version(scratch.engine())
    assert len(version) >= 2
    assert all(isinstance(part, int) for part in version)
    assert version[0] >= 3


def test_sqlite_connections_enforce_foreign_keys(sqlite_scratch: ScratchDatabase) -> None:
    engine = sqlite_scratch.engine()
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        conn.execute(
            text("CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent)")
        )
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), engine.begin() as conn:
        conn.execute(text("INSERT INTO child VALUES (1, 42)"))


def test_database_mysql_uses_utf8mb4(mysql_scratch: ScratchDatabase) -> None:
    with mysql_scratch.engine().connect() as conn:
        charset, collation = conn.execute(
            text(
                "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
                "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :n"
            ),
            {"n": mysql_scratch.name},
        ).one()
    assert (charset, collation) == ("utf8mb4", "utf8mb4_unicode_ci")


def test_database_postgres_is_utf8(pg_scratch: ScratchDatabase) -> None:
    with pg_scratch.engine().connect() as conn:
        assert conn.execute(text("SHOW server_encoding")).scalar_one() == "UTF8"


def test_with_block_drops_on_exception(dialect: str) -> None:
    url = require_server(dialect)
    with (
        pytest.raises(RuntimeError, match="boom"),
        create_scratch(dialect, None if dialect == "sqlite" else url) as database,
    ):
        with database.engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        assert _exists(dialect, database.name)
        raise RuntimeError("boom")
    assert not _exists(dialect, database.name)


def test_drop_disconnects_open_sessions(dialect: str) -> None:
    """A connection left open (a runner that forgot to close) must not block the drop."""
    url = require_server(dialect)
    database = create_scratch(dialect, None if dialect == "sqlite" else url)
    other = create_engine(database.url, poolclass=NullPool)
    conn = other.connect()
    conn.execute(text("CREATE TABLE held (id INTEGER PRIMARY KEY)"))  # open transaction
    try:
        database.drop()
        assert not _exists(dialect, database.name)
    finally:
        with contextlib.suppress(Exception):  # the server already closed it
            conn.close()
        other.dispose()


@pytest.mark.parametrize("how", ["sigterm", "sigint", "exception"])
def test_interrupted_process_drops_its_databases(dialect: str, how: str) -> None:
    url = require_server(dialect)
    script = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from migwright.tools.scratch import create_scratch\n"
        "db = create_scratch(sys.argv[1], sys.argv[2] or None)\n"
        "held = db.engine().connect()\n"
        "print(db.name, flush=True)\n"
        "if sys.argv[3] == 'exception':\n"
        "    raise RuntimeError('boom')\n"
        "time.sleep(60)\n"
    )
    server = "" if dialect == "sqlite" else url
    child = subprocess.Popen(
        [sys.executable, "-c", script, dialect, server, how],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        name = child.stdout.readline().strip()
        assert name.startswith(PREFIX), child.stderr.read() if child.stderr else ""
        if how != "exception":
            assert _exists(dialect, name)
            child.send_signal(signal.SIGTERM if how == "sigterm" else signal.SIGINT)
        returncode = child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    # SIGTERM becomes SystemExit(143); an uncaught KeyboardInterrupt re-kills with SIGINT.
    assert returncode in {"sigterm": (143,), "sigint": (-2, 130), "exception": (1,)}[how]
    assert not _exists(dialect, name)


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        f"{PREFIX}manual_{secrets.token_hex(3)}",  # has the prefix, but was made by hand
        f"{PREFIX}{secrets.token_hex(6)}",  # looks generated, made by hand (another run's)
        f"mw_not_scratch_{secrets.token_hex(3)}",  # no prefix at all
    ],
    ids=["prefixed", "generated-looking", "unprefixed"],
)
def test_refuses_databases_it_did_not_create(dialect: str, name: str) -> None:
    require_server(dialect)
    stranger = _hand_made(dialect, name)
    try:
        with pytest.raises(ScratchDatabaseError, match="refusing to change") as refused:
            stranger.drop()
        assert "--i-know-this-is-not-production" in refused.value.hint
        with pytest.raises(ScratchDatabaseError, match="refusing"):
            stranger.engine()
        with pytest.raises(ScratchDatabaseError, match="refusing"):
            guard(stranger.url)
        with pytest.raises(ScratchDatabaseError, match="refusing"), stranger:
            pass  # leaving the block tries to drop, and is refused the same way
        guard(stranger.url, explicit=True)  # the user's own, explicit decision
        assert _exists(dialect, name)
    finally:
        _by_hand(dialect, name, create=False)
    assert not _exists(dialect, name)


def test_refuses_the_servers_own_database(dialect: str) -> None:
    url = require_server(dialect)
    if dialect == "sqlite":
        url = f"sqlite:///{tempfile.gettempdir()}/app.sqlite3"
    elif dialect == "mysql":
        url = make_url(url).set(database="mysql").render_as_string(hide_password=False)
    with pytest.raises(ScratchDatabaseError, match="not a scratch database"):
        guard(url)


def test_guard_refuses_a_dropped_scratch_database(scratch: ScratchDatabase) -> None:
    guard(scratch.url)
    scratch.drop()
    with pytest.raises(ScratchDatabaseError, match="refusing"):
        guard(scratch.url)


def test_leftovers_are_listed_and_dropped_only_on_request(dialect: str) -> None:
    url = require_server(dialect)
    server = None if dialect == "sqlite" else url
    leftover = f"{PREFIX}{secrets.token_hex(6)}"
    _hand_made(dialect, leftover)
    manual = f"{PREFIX}manual_{secrets.token_hex(3)}"
    _hand_made(dialect, manual)
    try:
        with create_scratch(dialect, server) as mine:
            found = list_leftovers(dialect, server)
            assert leftover in found
            assert mine.name not in found  # live in this process: not a leftover
            assert manual not in found  # not of the generated shape
            for refused in (mine.name, manual):
                with pytest.raises(ScratchDatabaseError, match="not a leftover"):
                    drop_leftovers(dialect, [refused], server)
            assert _exists(dialect, mine.name)
            assert drop_leftovers(dialect, [leftover], server) == [leftover]
        assert not _exists(dialect, leftover)
        assert _exists(dialect, manual)
    finally:
        if _exists(dialect, leftover):
            _by_hand(dialect, leftover, create=False)
        _by_hand(dialect, manual, create=False)


# --- unreachable servers and secrets -------------------------------------------------------------


@pytest.mark.parametrize("dialect", SERVERS)
def test_unreachable_server_is_one_line_with_a_hint(dialect: str) -> None:
    url = UNREACHABLE[dialect].format(pw="s3cret-pw")
    with pytest.raises(ScratchDatabaseError) as raised:
        create_scratch(dialect, url)
    error = raised.value
    label, env = {
        "postgresql": ("PostgreSQL", "MIGWRIGHT_PG_URL"),
        "mysql": ("MySQL", "MIGWRIGHT_MYSQL_URL"),
    }[dialect]
    assert str(error).startswith(f"cannot reach {label} at 127.0.0.1:1: ")
    assert "refused" in str(error).lower()
    assert "\n" not in str(error)
    assert error.hint == f"start the server or set {env}"
    assert "s3cret-pw" not in error.one_line()
    reason = server_reachable(dialect, url, timeout=2)
    assert reason is not None and reason.startswith(f"cannot reach {label}")
    assert "s3cret-pw" not in reason
    assert not any(db.url == url for db in live_scratch_databases())


@pytest.mark.parametrize("dialect", SERVERS)
def test_password_is_redacted_where_the_url_is_shown(dialect: str) -> None:
    wrong = UNREACHABLE["mysql" if dialect == "postgresql" else "postgresql"]
    with pytest.raises(ScratchDatabaseError, match=r":\*\*\*@") as raised:
        create_scratch(dialect, wrong.format(pw="s3cret-pw"))
    assert "s3cret-pw" not in raised.value.one_line()
    stranger = ScratchDatabase(dialect, "x", UNREACHABLE[dialect].format(pw="s3cret-pw"))
    assert "s3cret-pw" not in repr(stranger)
    assert "s3cret-pw" not in stranger.safe_url
    with pytest.raises(ScratchDatabaseError) as refused:
        stranger.drop()
    assert "s3cret-pw" not in refused.value.one_line()


def test_reachable_servers_report_none(dialect: str) -> None:
    assert server_reachable(dialect, require_server(dialect)) is None


def test_unknown_dialect_and_bad_url_are_refused() -> None:
    with pytest.raises(ScratchDatabaseError, match="oracle"):
        create_scratch("oracle")
    with pytest.raises(ScratchDatabaseError, match="not a database URL"):
        guard("not a url")


def test_server_url_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIGWRIGHT_PG_URL", raising=False)
    monkeypatch.delenv("MIGWRIGHT_MYSQL_URL", raising=False)
    assert server_url("postgresql") == "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    assert server_url("mysql") == "mysql+pymysql://root@127.0.0.1:3306/"
    monkeypatch.setenv("MIGWRIGHT_PG_URL", "postgresql+psycopg://u@db.example:6543/ops")
    assert server_url("postgresql") == "postgresql+psycopg://u@db.example:6543/ops"
