"""Flyway's `migrate` and `undo`, re-implemented in Python on a scratch database.

Flyway itself needs Java and a download, which migwright cannot count on, so its behaviour is
rebuilt here from its documentation and source, closely enough that the schema history a run
leaves is the one Flyway would leave and would accept:

- `flyway_schema_history` (or the configured `table`) with Flyway's columns; one row per
  applied script: installed_rank, version, description (underscores as spaces), type `SQL`,
  script (path inside its location), checksum (Flyway's CRC-32, below), installed_by (the
  database user), installed_on, execution_time (ms), success.
- versioned migrations in version order, then repeatable ones (by description) whose checksum
  changed since they last ran; before migrating, applied checksums are validated against the
  files, failed migrations and pending versions below the current one are refused.
- each migration in its own transaction, unless its script configuration
  (`V1__x.sql.conf`) says `executeInTransaction=false`, or every statement of it refuses a
  transaction; a mix of both is refused as Flyway refuses it (`mixed` is false by default).
  A failure in a transaction rolls back and leaves no row; a failure outside one (MySQL DDL)
  leaves a row with success = false, which later runs refuse until it is repaired.
- undo (Flyway Teams): the `U<version>__` file of the newest applied version runs the same
  way and adds a row of type `UNDO_SQL`; the version then counts as pending again.
"""

from __future__ import annotations

import posixpath
import re
import time
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy.engine import Connection, make_url

from ..analysis import Analysis
from ..errors import HistoryError, MigwrightError, ValidationFailed
from ..repo import RepoFacts
from ..runners import ReplayResult, history_upto
from ..scratch import ScratchDatabase
from ..sqlscript import split_sql
from .base import FrameworkConfig, MigrationRef
from .flyway import ADAPTER, FlywayFile
from .sqlfw_runner import StatementFailed, autocommit, execute, has_table, pick, run

_HINT = "fix the migration; the statement and the database's message are above"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LEADING_COMMENTS = re.compile(r"\A(?:\s*(?:--[^\n]*(?:\n|\Z)|/\*.*?\*/))*", re.DOTALL)

#: Statements Flyway's parsers run outside a transaction (PostgreSQL, SQLite).
_NON_TRANSACTIONAL = re.compile(
    r"^\s*(?:CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY|DROP\s+INDEX\s+CONCURRENTLY"
    r"|REINDEX\b.*\bCONCURRENTLY|VACUUM\b|ALTER\s+TYPE\b.*\bADD\s+VALUE"
    r"|ALTER\s+SYSTEM\b|CREATE\s+DATABASE\b|PRAGMA\s+foreign_keys\b)",
    re.IGNORECASE | re.DOTALL,
)


def checksum(text: str) -> int:
    """Flyway's checksum of a script: CRC-32 over its lines without line breaks (so LF and
    CRLF agree), a byte order mark dropped, UTF-8 encoded, as a signed 32-bit integer."""
    crc = 0
    for number, line in enumerate(_LINE_BREAK.split(text)):
        if number == 0:
            line = line.removeprefix("\ufeff")
        crc = zlib.crc32(line.encode("utf-8"), crc)
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def _ddl(table: str, dialect: str) -> list[str]:
    """CREATE TABLE for the schema history, with Flyway's columns and index per database."""
    columns = (
        "installed_rank INT NOT NULL{pk}, version VARCHAR(50), description VARCHAR(200) NOT NULL, "
        "type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INT, "
        "installed_by VARCHAR(100) NOT NULL, installed_on {ts} NOT NULL DEFAULT {now}, "
        "execution_time INT NOT NULL, success BOOLEAN NOT NULL"
    )
    if dialect == "sqlite":
        body = columns.format(
            pk=" PRIMARY KEY", ts="TEXT", now="(strftime('%Y-%m-%d %H:%M:%f','now'))"
        )
        return [
            f'CREATE TABLE "{table}" ({body})',
            f'CREATE INDEX "{table}_s_idx" ON "{table}" (success)',
        ]
    now = "now()" if dialect == "postgresql" else "CURRENT_TIMESTAMP"
    body = columns.format(pk="", ts="TIMESTAMP", now=now)
    q = '"' if dialect == "postgresql" else "`"
    engine = " ENGINE=InnoDB" if dialect == "mysql" else ""
    return [
        f"CREATE TABLE {q}{table}{q} ({body}, CONSTRAINT {q}{table}_pk{q} "
        f"PRIMARY KEY (installed_rank)){engine}",
        f"CREATE INDEX {q}{table}_s_idx{q} ON {q}{table}{q} (success)",
    ]


@dataclass(frozen=True)
class Row:
    rank: int
    version: str | None
    description: str
    type: str
    script: str
    checksum: int | None
    success: bool


@dataclass(frozen=True)
class Script:
    """One file Flyway would run: its history identity and its text."""

    ref: MigrationRef
    path: str
    script: str  # path inside its location, as the history records it
    raw: str  # the file as written (the checksum's input)
    sql: str  # with placeholders replaced (what runs)
    in_transaction: bool


class _History:
    """The schema history table of one scratch database."""

    def __init__(self, conn: Connection, config: FrameworkConfig, db: ScratchDatabase) -> None:
        self.conn = conn
        self.dialect = db.dialect
        self.table = config.settings.get("table", "flyway_schema_history")
        self.user = make_url(db.url).username or ""
        if not has_table(conn, self.table):
            for statement in _ddl(self.table, self.dialect):
                run(conn, statement, self.dialect)

    def rows(self) -> list[Row]:
        q = self._q()
        result = self.conn.exec_driver_sql(
            f"SELECT installed_rank, version, description, type, script, checksum, success "
            f"FROM {q} ORDER BY installed_rank"
        ).all()
        return [Row(int(r[0]), r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in result]

    def add(self, script: Script, kind: str, millis: int, success: bool) -> None:
        ref = script.ref
        run(
            self.conn,
            f"INSERT INTO {self._q()} (installed_rank, version, description, type, script, "
            "checksum, installed_by, execution_time, success) VALUES "
            "(:rank, :version, :description, :type, :script, :checksum, :by, :ms, :ok)",
            self.dialect,
            {
                "rank": max((r.rank for r in self.rows()), default=0) + 1,
                "version": None if ref.kind == "repeatable" else ref.id,
                "description": ref.name,
                "type": kind,
                "script": script.script,
                "checksum": checksum(script.raw),
                "by": self.user,
                "ms": millis,
                "ok": success,
            },
        )

    def applied(self) -> dict[str, Row]:
        """Version -> its latest successful `SQL` row, for versions not undone since."""
        state: dict[str, Row] = {}
        for row in self.rows():
            if row.version is None or not row.success:
                continue
            if row.type == "UNDO_SQL":
                state.pop(row.version, None)
            else:
                state[row.version] = row
        return state

    def _q(self) -> str:
        q = "`" if self.dialect == "mysql" else '"'
        return f"{q}{self.table}{q}"


def _script(repo: RepoFacts, config: FrameworkConfig, ref: MigrationRef, path: str) -> Script:
    up, undo = ADAPTER.migration_sql(repo, config, ref)
    text = up if path == ref.path else undo or ""
    return Script(ref, path, _in_location(path, config), repo.read(path), text, _conf(repo, path))


def _in_location(path: str, config: FrameworkConfig) -> str:
    for location in config.settings.get("locations", config.migrations_dir).split(","):
        if location and path.startswith(location.rstrip("/") + "/"):
            return path[len(location.rstrip("/")) + 1 :]
    return posixpath.basename(path)


def _conf(repo: RepoFacts, path: str) -> bool:
    """executeInTransaction from the script configuration file beside `path` (default true)."""
    conf = path + ".conf"
    if not repo.exists(conf):
        return True
    for line in repo.read(conf).splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "executeInTransaction":
            return value.strip().lower() != "false"
    return True


def _undo_path(repo: RepoFacts, config: FrameworkConfig, ref: MigrationRef) -> str | None:
    prefix = config.settings.get("undoSqlMigrationPrefix", "U")
    separator = config.settings.get("sqlMigrationSeparator", "__")
    key = FlywayFile(ref.path, "V", ref.id, "").key
    folder = posixpath.dirname(ref.path)
    for path in repo.under(folder):
        name = PurePosixPath(path).name
        head = name.partition(separator)[0]
        if name.endswith(".sql") and head.startswith(prefix) and head[len(prefix) :]:
            version = head[len(prefix) :]
            if re.fullmatch(r"\d+(?:[._]\d+)*", version) and (
                FlywayFile(path, "U", version, "").key == key
            ):
                return path
    return None


def _run(history: _History, script: Script, kind: str, error: type[MigwrightError]) -> None:
    """Execute one script with Flyway's transaction rules and record it."""
    statements = split_sql(script.sql)
    refusing = [s for s in statements if _NON_TRANSACTIONAL.match(_LEADING_COMMENTS.sub("", s.sql))]
    in_transaction = script.in_transaction and not (refusing and len(refusing) == len(statements))
    if in_transaction and refusing:
        first = refusing[0]
        raise error(
            f"{script.path}:{first.line}: Detected both transactional and non-transactional "
            "statements within the same migration (even though mixed is false). Offending "
            f"statement: {' '.join(first.sql.split())[:120]}",
            f"add {script.path}.conf with executeInTransaction=false, or move the statement "
            "to a migration of its own",
        )
    start = time.monotonic()
    try:
        execute(history.conn, history.dialect, script.sql, script.path, transaction=in_transaction)
    except StatementFailed as exc:
        rolled_back = in_transaction and history.dialect != "mysql"
        if not rolled_back:
            history.add(script, kind, int((time.monotonic() - start) * 1000), success=False)
        state = "changes rolled back" if rolled_back else "recorded as failed; run repair"
        raise error(f"Flyway migration failed ({state}): {exc}", _HINT) from exc
    history.add(script, kind, int((time.monotonic() - start) * 1000), success=True)


def _validate(history: _History, scripts: dict[str, Script], error: type[MigwrightError]) -> None:
    """What `flyway validate` (run by migrate) refuses: failed rows and changed scripts."""
    for row in history.rows():
        if not row.success and row.type in ("SQL", "UNDO_SQL"):
            raise error(
                f"Validate failed: Detected failed migration to version {row.version} "
                f"({row.description})",
                "remove the half-applied changes, then delete the failed row (flyway repair)",
            )
    for version, row in history.applied().items():
        script = scripts.get(version)
        if script is not None and row.checksum != checksum(script.raw):
            raise error(
                f"Validate failed: Migration checksum mismatch for migration version {version}: "
                f"applied to database {row.checksum}, resolved locally {checksum(script.raw)}",
                f"{script.path} changed after it ran: restore it, or write a new migration",
            )


def _migrate(
    repo: RepoFacts,
    config: FrameworkConfig,
    db: ScratchDatabase,
    upto: str | None,
    error: type[MigwrightError],
) -> list[str]:
    refs = ADAPTER.history(repo, config).migrations
    wanted = set(pick([ref.id for ref in refs], upto, error))
    ran: list[str] = []
    with autocommit(db) as conn:
        history = _History(conn, config, db)
        versioned = {r.id: _script(repo, config, r, r.path) for r in refs if r.kind != "repeatable"}
        _validate(history, versioned, error)
        applied = history.applied()
        newest = max((_key(v) for v in applied), default=())
        for ref in refs:
            if ref.id not in wanted:
                continue
            if ref.kind == "repeatable":
                script = _script(repo, config, ref, ref.path)
                last = [r for r in history.rows() if r.version is None and r.success]
                done = [r for r in last if r.description == ref.name]
                if done and done[-1].checksum == checksum(script.raw):
                    continue
                _run(history, script, "SQL", error)
                ran.append(ref.id)
                continue
            if ref.id in applied:
                continue
            if _key(ref.id) < newest:
                raise error(
                    f"Validate failed: Detected resolved migration not applied to database: "
                    f"{ref.id}",
                    "give the migration a version above the newest applied one, or run with "
                    "outOfOrder=true",
                )
            _run(history, versioned[ref.id], "SQL", error)
            ran.append(ref.id)
    return ran


def _undo(repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, steps: int) -> list[str]:
    refs = {ref.id: ref for ref in ADAPTER.history(repo, config).migrations}
    undone: list[str] = []
    with autocommit(db) as conn:
        history = _History(conn, config, db)
        for _ in range(steps):
            applied = history.applied()
            if not applied:
                raise ValidationFailed(
                    f"cannot undo {steps} migrations: only {len(undone)} were applied",
                    "undo fewer steps",
                )
            version = max(applied, key=_key)
            ref = refs.get(version)
            path = _undo_path(repo, config, ref) if ref else None
            if ref is None or path is None:
                raise ValidationFailed(
                    f"Unable to undo migration to version {version}: no undo migration "
                    "(U file) is available",
                    "write the U file with the statements that revert it",
                )
            _run(history, _script(repo, config, ref, path), "UNDO_SQL", ValidationFailed)
            undone.append(version)
    return undone


def _key(version: str) -> tuple[int, ...]:
    return FlywayFile("", "V", version, "").key


def apply(
    repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, upto: str | None = None
) -> str:
    """`flyway migrate` (with `-target=upto`), re-implemented by migwright. Repeatable
    migrations come after every versioned one, so a target version leaves them out."""
    start = time.monotonic()
    ran = _migrate(repo, config, db, upto, ValidationFailed)
    return (
        f"Flyway semantics re-implemented by migwright (migrate) on a {db.dialect} scratch "
        f"database: {len(ran)} applied in {time.monotonic() - start:.2f}s"
    )


def rollback(repo: RepoFacts, config: FrameworkConfig, db: ScratchDatabase, steps: int = 1) -> str:
    """`flyway undo`, `steps` times: the U files of the newest applied versions."""
    undone = _undo(repo, config, db, steps)
    return (
        f"Flyway semantics re-implemented by migwright (undo) on a {db.dialect} scratch "
        f"database: {', '.join(undone)} undone"
    )


def replay(analysis: Analysis, db: ScratchDatabase, upto: str | None = None) -> ReplayResult:
    """The repo's history onto `db`, recorded as Flyway records it (RUNNERS entry "flyway")."""
    history_upto(analysis, upto)
    ran = _migrate(analysis.repo, analysis.config, db, upto, HistoryError)
    return ReplayResult("Flyway semantics re-implemented by migwright", tuple(ran))
