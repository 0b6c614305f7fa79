"""PostgreSQL: which locks each statement takes, and whether it rewrites a table.

A second connection polls `pg_locks` for the migration session's pid while the statement runs
(every `poll_interval` seconds), and once more right after it, before the next statement
starts. Inside a transaction locks stay held until COMMIT, so that last poll sees every lock a
transactional statement took; the polling catches the ones CREATE INDEX CONCURRENTLY takes and
releases on its own. PostgreSQL lists each mode a session holds on a relation separately, so a
statement's own locks are the (relation, mode) pairs that were not held before it.
`pg_class.relfilenode` of every table, read before and after the statement on the migration's
own connection (which sees its uncommitted catalog), tells whether the table was rewritten.
A framework runner (one step, its own sessions) is watched the same way, for every session on
the database but the poller's.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from .validate_observe import Observer, Target, Watch

#: PostgreSQL's table lock modes, weakest first (the order in which they conflict more).
LOCK_MODES: tuple[str, ...] = (
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
)
_RANK = {mode: rank for rank, mode in enumerate(LOCK_MODES)}

_LOCKS = (
    "SELECT l.relation::bigint, l.mode FROM pg_locks l "
    "WHERE l.locktype = 'relation' AND l.granted AND l.relation IS NOT NULL "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
)
_LOCKS_OF_PID = _LOCKS + "AND l.pid = %s"
_LOCKS_OF_OTHERS = (
    _LOCKS + "AND l.pid IN (SELECT pid FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid())"
)
#: User relations (tables, indexes, sequences, views) with their storage file number.
_RELATIONS = (
    "SELECT c.oid::bigint, c.relname, c.relfilenode::bigint, c.relkind FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' "
    "AND c.relkind IN ('r', 'p', 'i', 'I', 'm', 'S', 'v')"
)
_TABLE_KINDS = ("r", "p", "m")


@dataclass(frozen=True)
class _Relation:
    name: str
    filenode: int
    kind: str


def _relations(raw: Any) -> dict[int, _Relation]:
    cursor = raw.cursor()
    try:
        cursor.execute(_RELATIONS)
        return {int(oid): _Relation(name, int(node), kind) for oid, name, node, kind in cursor}
    finally:
        cursor.close()


def strongest(a: str | None, b: str) -> str:
    if a is None:
        return b
    return a if _RANK.get(a, -1) >= _RANK.get(b, -1) else b


Lock = tuple[int, str]  # (relation oid, mode): PostgreSQL lists each mode held separately


class _LockPoller:
    """Polls pg_locks on its own connection in a thread until stopped."""

    def __init__(self, raw: Any, pid: int | None, interval: float) -> None:
        self.raw = raw
        self.pid = pid
        self.interval = interval
        self.seen: set[Lock] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def poll(self) -> set[Lock]:
        if self.raw is None:  # no second connection could be had: nothing to watch with
            return set()
        cursor = self.raw.cursor()
        try:
            if self.pid is None:
                cursor.execute(_LOCKS_OF_OTHERS)
            else:
                cursor.execute(_LOCKS_OF_PID, (self.pid,))
            found = {(int(oid), str(mode)) for oid, mode in cursor}
        finally:
            cursor.close()
        self.seen |= found
        return found

    def start(self) -> set[Lock]:
        """Poll once (what is held before the statement), then keep polling in a thread."""
        held = self.poll()
        self.seen = set()
        if self.raw is None:
            return held
        self._thread = threading.Thread(target=self._loop, name="migwright-lock-poller")
        self._thread.daemon = True
        self._thread.start()
        return held

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception as exc:  # the connection broke: stop quietly, report what we have
                self._error = exc
                return

    def cancel(self) -> None:
        """Stop polling without a last poll (the run was interrupted)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def stop(self) -> set[Lock]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._error is None:
            self.poll()  # locks a transactional statement still holds
        return self.seen


@dataclass
class _PgToken:
    relations: dict[int, _Relation]
    held: set[Lock]
    poller: _LockPoller


class PostgresObserver(Observer):
    """Locks per statement (pg_locks on a second connection) and rewrites (relfilenode).

    Relations the migration itself created in this run are left out of the lock lists: no
    other session can be waiting for a table nobody else has seen yet.
    """

    def __init__(self, db: Target, *, explicit: bool = False, poll_interval: float = 0.005):
        super().__init__(db, explicit=explicit, poll_interval=poll_interval)
        self._pid: int | None = None
        self._poll_conn: Connection | None = None
        self._created: set[int] = set()
        self._poller: _LockPoller | None = None

    def start(self, conn: Connection) -> None:
        self._pid = int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        self._poll_conn = self._open_poll_connection()

    def finish(self, raw: Any) -> None:
        if self._poller is not None:  # interrupted mid-statement: the thread must not outlive us
            self._poller.cancel()
            self._poller = None
        if self._poll_conn is not None:
            self._poll_conn.close()
            self._poll_conn = None

    def _open_poll_connection(self) -> Connection | None:
        """The second connection; None (with a note) when the server refuses one more."""
        try:
            return self.db.engine().connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()
            note = f"locks were not observed: no second connection ({reason[0] if reason else exc})"
            if note not in self.notes:
                self.notes.append(note)
            return None

    def _raw_poll(self) -> Any:
        return self._poll_conn.connection.dbapi_connection if self._poll_conn else None

    def before(self, raw: Any, sql: str) -> _PgToken:
        relations = _relations(raw)
        poller = _LockPoller(self._raw_poll(), self._pid, self.poll_interval)
        held = poller.start()
        self._poller = poller
        return _PgToken(relations, held, poller)

    def after(self, raw: Any, token: _PgToken, failed: bool) -> Watch:
        seen = token.poller.stop()
        self._poller = None
        after = token.relations if failed else _relations(raw)
        self._created |= set(after) - set(token.relations)
        return _watch(token.relations, after, token.held, seen, self._created)

    def before_external(self) -> _PgToken:
        self._poll_conn = self._open_poll_connection()
        raw_poll = self._raw_poll()
        relations = _relations(raw_poll) if raw_poll is not None else {}
        poller = _LockPoller(raw_poll, None, self.poll_interval)
        held = poller.start()
        self._poller = poller
        return _PgToken(relations, held, poller)

    def after_external(self, token: _PgToken) -> Watch:
        seen = token.poller.stop()
        self._poller = None
        raw_poll = self._raw_poll()
        after = _relations(raw_poll) if raw_poll is not None else {}
        self.finish(None)
        created = set(after) - set(token.relations)
        return _watch(token.relations, after, token.held, seen, created)


def _watch(
    before: Mapping[int, _Relation],
    after: Mapping[int, _Relation],
    held: set[Lock],
    seen: set[Lock],
    created: set[int],
) -> Watch:
    """Strongest mode per relation held while the statement ran, and among the modes it took.

    A relation created by this run is left out, and so is one that is not a user relation
    (catalogs, TOAST) or that came and went within the statement.
    """
    names = {oid: r.name for oid, r in before.items()}
    names.update({oid: r.name for oid, r in after.items()})
    locks: dict[str, str] = {}
    new_locks: dict[str, str] = {}
    for oid, mode in sorted(seen):
        name = names.get(oid)
        if name is None or oid in created:
            continue
        locks[name] = strongest(locks.get(name), mode)
        if (oid, mode) not in held:
            new_locks[name] = strongest(new_locks.get(name), mode)
    rewritten = tuple(
        sorted(
            after[oid].name
            for oid, rel in before.items()
            if rel.kind in _TABLE_KINDS and oid in after and after[oid].filenode != rel.filenode
        )
    )
    return Watch(locks, new_locks, rewritten)
