"""Transactions and timeouts: lock and statement timeouts, BEGIN/COMMIT misuse, retry-safe
statements, DML next to DDL, unbatched updates and deadlock-prone lock order."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from .base import ALL_DIALECTS, PG, PG_MYSQL, Hit, migration_rule, statement_rule
from .cost import size_class
from .cursor import short
from .engine import Run
from .helpers import (
    bookkeeping,
    existing,
    locks_existing_table,
    pg_exclusive_tables,
    strip_semicolon,
)
from .shape import DDL_KINDS, DML_KINDS
from .statement import Stmt

_TIMEOUT_NAMES = {
    "lock": {"postgresql": "lock_timeout", "mysql": "lock_wait_timeout"},
    "statement": {"postgresql": "statement_timeout", "mysql": "max_execution_time"},
}


def _locking(run: Run, stmt: Stmt) -> bool:
    if run.family == "postgresql":
        return locks_existing_table(run, stmt)
    return stmt.kind in ("alter_table", "create_index", "drop_index", "drop_table",
                         "rename_table", "truncate") and existing(run, stmt)  # fmt: skip


def _timeout_set(run: Run, stmt: Stmt, setting: str) -> bool:
    if setting in run.ctx.settings:
        return True
    value = None
    for earlier in run.earlier(stmt):
        if earlier.kind == "set" and (earlier.shape.name or "").endswith(setting):
            value = earlier.shape.options.get("VALUE", "")
    return value is not None and value.strip().strip("'\"") not in ("0", "", "DEFAULT")


def _timeout_rule(run: Run, kind: str, example: str, why: str, severity: str) -> Iterator[Hit]:
    setting = _TIMEOUT_NAMES[kind][run.family]
    for stmt in run.statements:
        if not _locking(run, stmt):
            continue
        if _timeout_set(run, stmt, setting):
            return
        yield Hit(
            f"no {setting} is set before this statement locks {stmt.table or 'a table'}: {why}",
            f"set {setting} at the start of the migration (and retry the migration when it "
            "times out)",
            f"{example}\n{strip_semicolon(stmt.sql)};",
            stmt=stmt,
            sized=False,
        )
        return


@migration_rule(
    "require-lock-timeout",
    family="transaction",
    dialects=PG_MYSQL,
    severity="warning",
    summary="DDL without lock_timeout (lock_wait_timeout) queues behind long queries while "
    "blocking all traffic behind it",
    anchors={"squawk": "require-timeout-settings (lock_timeout)"},
    catalogue=("46",),
)
def require_lock_timeout(run: Run) -> Iterator[Hit]:
    example = (
        "SET lock_timeout = '5s';"
        if run.family == "postgresql"
        else "SET SESSION lock_wait_timeout = 5;"
    )
    why = (
        "while it waits for a long-running query to release the table, every other query on "
        "the table queues behind it, and the app stalls"
        if run.family == "postgresql"
        else "MySQL waits up to a year for the metadata lock by default, while every query on "
        "the table queues behind it"
    )
    yield from _timeout_rule(run, "lock", example, why, "warning")


@migration_rule(
    "require-statement-timeout",
    family="transaction",
    dialects=PG,
    severity="note",
    summary="DDL without statement_timeout can run (and hold its locks) far longer than planned",
    anchors={"squawk": "require-timeout-settings (statement_timeout)"},
    catalogue=("47",),
)
def require_statement_timeout(run: Run) -> Iterator[Hit]:
    yield from _timeout_rule(
        run,
        "statement",
        "SET statement_timeout = '15min';  -- longer than the slowest step should take",
        "a step that turns out slower than planned (a rewrite, a scan) keeps its locks until it "
        "ends",
        "note",
    )


@statement_rule(
    "transaction-nesting",
    family="transaction",
    dialects=ALL_DIALECTS,
    severity="error",
    summary="BEGIN inside a transaction, or COMMIT inside the framework's transaction, leaves "
    "part of the migration outside the rollback",
    anchors={"squawk": "transaction-nesting"},
    catalogue=("48",),
)
def transaction_nesting(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind == "begin":
        inner = stmt.managed or any(
            s.txn == stmt.txn for s in run.earlier(stmt) if stmt.txn is not None
        )
        if not inner:
            return
        where = "the framework's transaction" if stmt.managed else "an open transaction"
        yield Hit(
            f"BEGIN inside {where}: PostgreSQL ignores it with a warning, MySQL commits the "
            "open transaction first; either way the matching COMMIT ends the outer transaction "
            "early, and a later failure no longer rolls everything back",
            "remove the BEGIN/COMMIT: the framework already runs the migration in a transaction"
            if stmt.managed
            else "remove the inner BEGIN",
            None,
            sized=False,
        )
    elif stmt.kind in ("commit", "rollback") and stmt.managed:
        yield Hit(
            f"{stmt.kind.upper()} inside the framework's transaction ends it early: the "
            "statements after it run outside any transaction, and the framework's own commit "
            "or rollback no longer covers the migration",
            "remove it; to run a step outside a transaction, give it a migration of its own "
            "marked non-transactional",
            None,
            sized=False,
        )


@migration_rule(
    "ban-uncommitted-transaction",
    family="transaction",
    dialects=ALL_DIALECTS,
    severity="error",
    summary="A BEGIN without COMMIT leaves the migration's changes uncommitted",
    anchors={"squawk": "ban-uncommitted-transaction"},
    catalogue=("48",),
)
def ban_uncommitted_transaction(run: Run) -> Iterator[Hit]:
    closed = {s.txn for s in run.statements if s.kind in ("commit", "rollback")}
    for stmt in run.statements:
        if stmt.kind == "begin" and not stmt.managed and stmt.txn not in closed:
            yield Hit(
                "this BEGIN has no COMMIT: the changes stay uncommitted and are rolled back when "
                "the connection closes (or the next migration runs inside this transaction)",
                "add a COMMIT at the end of the migration",
                f"{strip_semicolon(stmt.sql)};\n-- ... the migration ...\nCOMMIT;",
                stmt=stmt,
                sized=False,
            )
            return


_GUARDS = {
    "create_table": ("IF_NOT_EXISTS", r"(?i)\bTABLE\s+", "TABLE IF NOT EXISTS "),
    "create_index": (
        "IF_NOT_EXISTS",
        r"(?i)\bINDEX\s+(CONCURRENTLY\s+)?",
        "INDEX \\1IF NOT EXISTS ",
    ),
    "drop_table": ("IF_EXISTS", r"(?i)\bTABLE\s+", "TABLE IF EXISTS "),
    "drop_index": ("IF_EXISTS", r"(?i)\bINDEX\s+(CONCURRENTLY\s+)?", "INDEX \\1IF EXISTS "),
}


@statement_rule(
    "prefer-robust-stmts",
    family="transaction",
    dialects=PG,
    severity="warning",
    summary="Outside a transaction, CREATE/DROP without IF [NOT] EXISTS make a retried migration "
    "fail where the first attempt stopped",
    anchors={"squawk": "prefer-robust-stmts"},
    catalogue=("49",),
)
def prefer_robust_stmts(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.in_transaction:
        return
    guard = _GUARDS.get(stmt.kind)
    fixed: str | None = None
    if guard is not None and not stmt.shape.has(guard[0]):
        fixed = re.sub(guard[1], guard[2], strip_semicolon(stmt.sql), count=1)
    elif stmt.kind == "alter_table":
        risky = [a for a in stmt.shape.actions if a.kind in ("add_column", "drop_column")
                 and not a.if_exists]  # fmt: skip
        if risky:
            fixed = strip_semicolon(stmt.sql)
            fixed = re.sub(r"(?i)\bADD\s+(COLUMN\s+)?(?!IF\b)", "ADD COLUMN IF NOT EXISTS ", fixed)
            fixed = re.sub(r"(?i)\bDROP\s+(COLUMN\s+)?(?!IF\b|CONSTRAINT\b|DEFAULT\b|NOT\b)",
                           "DROP COLUMN IF EXISTS ", fixed)  # fmt: skip
    if fixed is None:
        return
    yield Hit(
        "this statement runs outside a transaction: if the migration fails after it, running "
        "the migration again fails here because the change is already there",
        "guard it with IF [NOT] EXISTS, or run the migration in a transaction",
        fixed + ";",
        sized=False,
    )


@migration_rule(
    "ban-dml-with-ddl",
    family="transaction",
    dialects=frozenset({"postgresql", "sqlite"}),
    severity="warning",
    cost="update",
    summary="UPDATE/DELETE/INSERT in the transaction of a locking DDL statement holds the DDL's "
    "lock for the whole data change",
    anchors={"(none)": "strong_migrations #228"},
    catalogue=("none-3",),
)
def ban_dml_with_ddl(run: Run) -> Iterator[Hit]:
    blocks: dict[int, list[Stmt]] = {}
    for stmt in run.statements:
        if stmt.txn is not None:
            blocks.setdefault(stmt.txn, []).append(stmt)
    for statements in blocks.values():
        ddl = [s for s in statements if s.kind in DDL_KINDS and _ddl_locks(run, s)]
        dml = [
            s
            for s in statements
            if s.kind in DML_KINDS and existing(run, s) and not bookkeeping(s.table)
        ]
        if not ddl or not dml:
            continue
        first = dml[0]
        yield Hit(
            f"this {first.kind.upper()} on {first.table} shares a transaction with "
            f"{ddl[0].kind.replace('_', ' ').upper()} on {ddl[0].table} (statement "
            f"{ddl[0].index + 1}): the DDL's lock is held, and the touched rows stay locked, "
            "until the data change commits",
            "move data changes to their own migration (or run them after the schema change, "
            "outside its transaction), in batches",
            None,
            stmt=first,
            table=first.table,
        )


def _ddl_locks(run: Run, stmt: Stmt) -> bool:
    if run.family == "sqlite":
        return existing(run, stmt) and stmt.kind not in ("create_index",)
    return locks_existing_table(run, stmt)


def _batched(stmt: Stmt) -> bool:
    words = stmt.words
    if "LIMIT" in words or "BETWEEN" in words:
        return True
    text = stmt.sql
    return bool(re.search(r"[<]=?", text) and re.search(r"[>]=?", text))


@statement_rule(
    "require-batched-dml",
    family="transaction",
    dialects=ALL_DIALECTS,
    severity="warning",
    cost="update",
    summary="An UPDATE or DELETE of a whole (big) table in one statement locks every row it "
    "touches until it commits",
    anchors={"(none)": "strong_migrations #228 (dangerous backfills are not detected)"},
    catalogue=("none-3",),
)
def require_batched_dml(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind not in ("update", "delete") or not existing(run, stmt):
        return
    if bookkeeping(stmt.table):
        return
    tree = stmt.tree
    has_where = (
        bool(tree.args.get("where"))
        if isinstance(tree, exp.Update | exp.Delete)
        else ("WHERE" in stmt.words)
    )
    stats = run.ctx.table_stats(stmt.table)
    if has_where and (_batched(stmt) or stats is None or size_class(stats) == "small"):
        return
    from .helpers import batched_update, primary_key_of, q

    key = q(primary_key_of(run, stmt.table), run.family)
    if stmt.kind == "update":
        match = re.search(r"(?is)\bSET\s+(.*?)(?:\bWHERE\b|$)", stmt.sql)
        assignment = match.group(1).strip() if match else "<assignment>"
        alternative = batched_update(run, stmt.table or "", assignment, _pending(stmt, run))
    else:
        where = re.search(r"(?is)\bWHERE\s+(.*)$", strip_semicolon(stmt.sql))
        condition = where.group(1) if where else "<condition>"
        t = q(stmt.table, run.family)
        alternative = (
            f"DELETE FROM {t} WHERE {condition} LIMIT 10000;  -- repeat until 0 rows"
            if run.family == "mysql"
            else f"DELETE FROM {t} WHERE {key} IN (SELECT {key} FROM {t} WHERE {condition} "
            "LIMIT 10000);  -- repeat until 0 rows"
        )
    scope = "every row of" if not has_where else "a large part of"
    yield Hit(
        f"this {stmt.kind.upper()} changes {scope} {stmt.table} in one statement: each touched "
        "row stays locked (and replication lags) until it commits",
        "change rows in batches of a few thousand, each committed on its own, outside the "
        "migration's transaction",
        "-- outside a transaction, from a script or a non-transactional migration:\n" + alternative,
    )


def _pending(stmt: Stmt, run: Run) -> str:
    """A condition selecting the rows an UPDATE has not yet changed (for a batching loop)."""
    tree = stmt.tree
    if not isinstance(tree, exp.Update) or len(tree.expressions) != 1:
        return "<rows not yet done>"
    assignment = tree.expressions[0]
    if not isinstance(assignment, exp.EQ):
        return "<rows not yet done>"
    dialect = {"postgresql": "postgres"}.get(run.family, run.family)
    column = assignment.this.sql(dialect=dialect)
    value = assignment.expression.sql(dialect=dialect)
    where = tree.args.get("where")
    extra = f" AND ({where.this.sql(dialect=dialect)})" if where is not None else ""
    if run.family == "mysql":
        return f"NOT ({column} <=> {value}){extra}"
    if run.family == "sqlite":
        return f"{column} IS NOT {value}{extra}"
    return f"{column} IS DISTINCT FROM {value}{extra}"


@migration_rule(
    "ban-multi-table-exclusive-locks",
    family="transaction",
    dialects=PG,
    severity="warning",
    summary="One transaction taking exclusive locks on several existing tables risks deadlocks "
    "with application transactions",
    anchors={"(none)": "lock ordering across tables: no linter checks it"},
    catalogue=("none-8",),
)
def ban_multi_table_exclusive_locks(run: Run) -> Iterator[Hit]:
    blocks: dict[int, list[Stmt]] = {}
    for stmt in run.statements:
        if stmt.txn is not None:
            blocks.setdefault(stmt.txn, []).append(stmt)
    for statements in blocks.values():
        locked: list[str] = []
        upfront: set[str] = set()
        for stmt in statements:
            if stmt.kind == "lock_table":
                upfront |= {short(t).lower() for t in stmt.shape.tables}
                continue
            for table in pg_exclusive_tables(stmt):
                key = short(table).lower()
                if key in (t.lower() for t in locked) or not existing(run, stmt, table):
                    continue
                locked.append(short(table))
                if len(locked) == 2 and not {t.lower() for t in locked} <= upfront:
                    yield Hit(
                        f"this transaction locks {locked[0]} and then {locked[1]}: application "
                        "transactions that touch them in the other order deadlock with it, "
                        "and each lock request waits behind the other table's queue",
                        "change one table per transaction, or take every lock up front in one "
                        "fixed order with a lock_timeout",
                        f"SET lock_timeout = '5s';\nLOCK TABLE {', '.join(locked)} IN ACCESS "
                        "EXCLUSIVE MODE;\n-- ... the statements ...",
                        stmt=stmt,
                        table=locked[1],
                        sized=False,
                    )
