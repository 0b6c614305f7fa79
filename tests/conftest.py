"""Fixtures every test module may use: dialects and fresh scratch databases.

A test that runs "on every database" takes the `dialect` fixture (or parametrises itself with
`dialect_params()`) and a `scratch` database; a test for one dialect takes `pg_scratch`,
`mysql_scratch` or `sqlite_scratch`. Servers come from `MIGWRIGHT_TEST_PG` /
`MIGWRIGHT_TEST_MYSQL` when set, else the local defaults. An unreachable server skips the test
locally, with the reason, and fails it under `CI=true`: CI must never go green by skipping
every database test.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from migwright.tools.scratch import (
    SUPPORTED,
    ScratchDatabase,
    create_scratch,
    server_reachable,
    server_url,
)

DIALECTS = SUPPORTED

# The parse cache (tools/frameworks/parse_cache.py) of this test session: never the person's
# ~/.cache, and shared by the subprocesses the tests start (they inherit the variable).
os.environ.setdefault("MIGWRIGHT_CACHE_DIR", tempfile.mkdtemp(prefix="migwright-test-cache-"))
_TEST_ENV = {"postgresql": "MIGWRIGHT_TEST_PG", "mysql": "MIGWRIGHT_TEST_MYSQL"}
_SERVER_ENV = {"postgresql": "MIGWRIGHT_PG_URL", "mysql": "MIGWRIGHT_MYSQL_URL"}
_MARKS = {"postgresql": pytest.mark.postgres, "mysql": pytest.mark.mysql}

#: Server URL -> None (reachable) or the reason it is not; checked once per session.
_reachability: dict[str, str | None] = {}


def server_url_for_tests(dialect: str) -> str:
    """The server tests use for `dialect`: MIGWRIGHT_TEST_* first, then the tool's default."""
    env = _TEST_ENV.get(dialect)
    return (os.environ.get(env) if env else None) or server_url(dialect)


def require_server(dialect: str) -> str:
    """Return the test server URL for `dialect`; skip (locally) or fail (CI) when it is down."""
    url = server_url_for_tests(dialect)
    if dialect == "sqlite":
        return url
    if url not in _reachability:
        _reachability[url] = server_reachable(dialect, url)
    reason = _reachability[url]
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"{dialect} server unreachable in CI, database tests must not be skipped: {reason}",
                pytrace=False,
            )
        pytest.skip(f"{dialect} server unreachable: {reason}")
    return url


def dialect_params(*dialects: str) -> list[Any]:
    """`pytest.param`s with ids and markers (postgres, mysql), for tests that parametrise."""
    return [pytest.param(d, id=d, marks=_MARKS.get(d, ())) for d in dialects or DIALECTS]


@pytest.fixture(scope="session", autouse=True)
def _tools_use_test_servers() -> Iterator[None]:
    """Point the tools' own server lookup (MIGWRIGHT_PG_URL, ...) at the test servers."""
    with pytest.MonkeyPatch.context() as patch:
        for dialect, env in _TEST_ENV.items():
            if os.environ.get(env):
                patch.setenv(_SERVER_ENV[dialect], os.environ[env])
        yield


@pytest.fixture(params=dialect_params())
def dialect(request: pytest.FixtureRequest) -> str:
    """Each of sqlite, postgresql and mysql in turn."""
    return str(request.param)


def _scratch_for(dialect: str) -> Iterator[ScratchDatabase]:
    url = require_server(dialect)
    with create_scratch(dialect, None if dialect == "sqlite" else url) as database:
        yield database


@pytest.fixture
def scratch(dialect: str) -> Iterator[ScratchDatabase]:
    """A fresh, empty database of the `dialect` under test, dropped afterwards."""
    yield from _scratch_for(dialect)


@pytest.fixture
def pg_scratch() -> Iterator[ScratchDatabase]:
    yield from _scratch_for("postgresql")


@pytest.fixture
def mysql_scratch() -> Iterator[ScratchDatabase]:
    yield from _scratch_for("mysql")


@pytest.fixture
def sqlite_scratch() -> Iterator[ScratchDatabase]:
    yield from _scratch_for("sqlite")
