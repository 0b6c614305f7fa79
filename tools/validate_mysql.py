"""MySQL/MariaDB: which ALTER algorithm the server chose for each statement.

MySQL does not lock by table lock modes the way PostgreSQL reports them; what decides whether
an ALTER blocks writes is the algorithm: INSTANT (metadata only), NOCOPY (MariaDB: no table
copy), INPLACE (rebuilt in place, concurrent DML allowed) or COPY (a row-by-row copy, writes
wait). The server picks the cheapest it can, but does not say which. Asking for one explicitly
does: `ALGORITHM=INSTANT` is refused with error 1845/1846 ("not supported. Reason: ...") when
the server cannot, and nothing changes. So each ALTER is run with the algorithms in order of
cost appended, and the first one accepted is the one the server can do; the refusals' reasons
go into the report. This changes how the statement is sent, never what it does, and it only
happens on scratch databases (a database the user named runs the statements as written).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.engine import Connection

from .validate_observe import Observer, Outcome

#: Statements the server runs through its ALTER TABLE machinery.
_ALTERS = re.compile(
    r"^\s*(ALTER\s+TABLE|CREATE\s+(UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX|DROP\s+INDEX)\b",
    re.IGNORECASE,
)
_HAS_ALGORITHM = re.compile(r"\bALGORITHM\s*=\s*(\w+)", re.IGNORECASE)
_REASON = re.compile(r"Reason:\s*(.*?)\.?\s*(Try\b.*)?$", re.IGNORECASE | re.DOTALL)

#: ER_ALTER_OPERATION_NOT_SUPPORTED and ER_ALTER_OPERATION_NOT_SUPPORTED_REASON.
NOT_SUPPORTED = frozenset({1845, 1846})
SYNTAX_ERROR = 1064

MYSQL_ALGORITHMS = ("INSTANT", "INPLACE", "COPY")
MARIADB_ALGORITHMS = ("INSTANT", "NOCOPY", "INPLACE", "COPY")

ALGORITHM_NOTES = {
    "INSTANT": "metadata only",
    "NOCOPY": "no table copy; concurrent writes allowed",
    "INPLACE": "rebuilt in place; concurrent writes allowed",
    "COPY": "the table is copied row by row; writes wait until it finishes",
}


def probe_able(sql: str) -> bool:
    """An ALTER-like statement that does not choose its algorithm itself."""
    return bool(_ALTERS.match(sql)) and not _HAS_ALGORITHM.search(sql)


_DROP_INDEX = re.compile(r"^\s*DROP\s+INDEX\s+(\S+)\s+ON\s+(\S+)\s*$", re.IGNORECASE)


def with_algorithm(sql: str, algorithm: str) -> str:
    """`sql` asking for `algorithm`: a clause after ALTER TABLE's list, an option after CREATE
    INDEX. MariaDB's DROP INDEX takes no options, so it is sent as the ALTER TABLE it means."""
    body = sql.strip().rstrip(";").rstrip()
    drop = _DROP_INDEX.match(body)
    if drop:
        body = f"ALTER TABLE {drop.group(2)} DROP INDEX {drop.group(1)}"
    if re.match(r"^\s*ALTER\s+TABLE\b", body, re.IGNORECASE):
        return f"{body}, ALGORITHM={algorithm}"
    return f"{body} ALGORITHM={algorithm}"


def refusal_reason(message: str) -> str:
    match = _REASON.search(message)
    return match.group(1).strip() if match else message.strip()


class MySQLObserver(Observer):
    """Runs each statement alone (MySQL commits DDL by itself) and records its algorithm."""

    group_transactions = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.algorithms: tuple[str, ...] = MYSQL_ALGORITHMS

    def start(self, conn: Connection) -> None:
        version = str(conn.exec_driver_sql("SELECT VERSION()").scalar_one())
        self.algorithms = MARIADB_ALGORITHMS if "mariadb" in version.lower() else MYSQL_ALGORITHMS

    def execute(self, raw: Any, dbapi_error: type[BaseException], sql: str) -> Outcome:
        if self.explicit or not probe_able(sql):
            stated = _HAS_ALGORITHM.search(sql)
            outcome = super().execute(raw, dbapi_error, sql)
            if stated:
                outcome.algorithm = stated.group(1).upper()
            return outcome
        refusals: list[str] = []
        for algorithm in self.algorithms:
            try:
                outcome = super().execute(raw, dbapi_error, with_algorithm(sql, algorithm))
            except dbapi_error as exc:
                code = exc.args[0] if exc.args else None
                if code in NOT_SUPPORTED:
                    refusals.append(f"{algorithm}: {refusal_reason(str(exc.args[-1]))}")
                    continue
                if code == SYNTAX_ERROR and not refusals:
                    break  # the statement does not take the clause: run it as written
                raise
            outcome.algorithm = algorithm
            outcome.note = ALGORITHM_NOTES[algorithm]
            if refusals:
                outcome.note += f" (refused: {'; '.join(refusals)})"
            return outcome
        outcome = super().execute(raw, dbapi_error, sql)
        outcome.note = "the server did not say which algorithm it used"
        return outcome
