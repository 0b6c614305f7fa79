"""MySQL/MariaDB online DDL: say ALGORITHM and LOCK so the server fails instead of copying the
table, and keep plain DDL off big tables."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .base import MYSQL, Hit, statement_rule
from .cost import LARGE_BYTES, LARGE_ROWS
from .engine import Run
from .helpers import existing, strip_semicolon
from .statement import Stmt


def _options(stmt: Stmt) -> dict[str, str]:
    options = {a.kind.upper(): (a.value or "").upper() for a in stmt.shape.actions
               if a.kind in ("algorithm", "lock")}  # fmt: skip
    options.update(
        {k: v.upper() for k, v in stmt.shape.options.items() if k in ("ALGORITHM", "LOCK")}
    )
    return options


def _online(stmt: Stmt) -> str:
    sql = strip_semicolon(stmt.sql)
    sql = re.sub(r"(?i),?\s*(ALGORITHM|LOCK)\s*=?\s*\w+", "", sql)
    separator = " " if stmt.kind in ("create_index", "drop_index") else ", "
    return f"{sql}{separator}ALGORITHM=INPLACE{separator}LOCK=NONE;"


@statement_rule(
    "require-online-ddl-options",
    family="mysql",
    dialects=MYSQL,
    severity="warning",
    cost="rewrite",
    summary="ALGORITHM=COPY or LOCK=SHARED/EXCLUSIVE block writes; without ALGORITHM/LOCK MySQL "
    "silently picks a copy when it must",
    anchors={
        "strong_migrations": "copy_algorithm, lock_option",
        "bytebase": "statement.require-algorithm-option",
    },
    catalogue=("44",),
)
def require_online_ddl_options(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind not in ("alter_table", "create_index", "drop_index"):
        return
    if not existing(run, stmt) or (stmt.kind == "drop_index" and not stmt.table):
        return
    options = _options(stmt)
    algorithm, lock = options.get("ALGORITHM"), options.get("LOCK")
    if algorithm == "COPY" or lock in ("SHARED", "EXCLUSIVE"):
        what = "ALGORITHM=COPY" if algorithm == "COPY" else f"LOCK={lock}"
        yield Hit(
            f"{what} on {stmt.table}: writes{' and reads' if lock == 'EXCLUSIVE' else ''} wait "
            "for the whole operation",
            "ask for ALGORITHM=INPLACE (or INSTANT) with LOCK=NONE; if MySQL refuses, use an "
            "online schema change tool (gh-ost, pt-online-schema-change)",
            _online(stmt),
        )
        return
    if algorithm is None and lock is None:
        yield Hit(
            f"this DDL on {stmt.table} states neither ALGORITHM nor LOCK: when the change cannot "
            "be done in place, MySQL copies the table and blocks writes without saying so",
            "state ALGORITHM=INSTANT or INPLACE and LOCK=NONE, so MySQL fails fast instead of "
            "copying",
            _online(stmt),
            severity="note",
            sized=False,
        )


@statement_rule(
    "ban-large-table-ddl",
    family="mysql",
    dialects=MYSQL,
    severity="error",
    cost="rewrite",
    summary="Plain DDL on a table over 1M rows or 1 GiB (needs table sizes)",
    anchors={"bytebase": "table.limit-size"},
    catalogue=("55",),
)
def ban_large_table_ddl(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind not in ("alter_table", "create_index", "drop_index", "truncate"):
        return
    stats = run.ctx.table_stats(stmt.table)
    if stats is None or (stats.rows <= LARGE_ROWS and stats.bytes <= LARGE_BYTES):
        return
    if _options(stmt).get("ALGORITHM") == "INSTANT":
        return
    yield Hit(
        f"{stmt.table} is large: even an in-place change holds a metadata lock at start and end "
        "and replays concurrent writes, and a copy blocks writes for its whole run",
        "run big-table changes with an online schema change tool (gh-ost, "
        "pt-online-schema-change), or make them ALGORITHM=INSTANT",
        None,
    )
