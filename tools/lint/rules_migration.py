"""Whole-migration rules: what the linter cannot read, reversibility and the down, history
order, and SQLite table rebuilds with foreign keys on."""

from __future__ import annotations

from collections.abc import Iterator

from ..ops import reverse_all
from .base import ALL_DIALECTS, SQLITE, Hit, migration_rule, statement_rule
from .cursor import short
from .engine import Run
from .helpers import existing, sqlite_rebuilds
from .shape import DDL_KINDS, DML_KINDS
from .statement import Stmt


@statement_rule(
    "opaque-raw-sql",
    family="migration",
    dialects=ALL_DIALECTS,
    severity="note",
    summary="A DO block, procedure call or statement the linter cannot read goes unchecked",
    anchors={"strong_migrations": "execute"},
    catalogue=("50", "none-4"),
)
def opaque_raw_sql(stmt: Stmt, run: Run) -> Iterator[Hit]:
    kind = stmt.kind
    if kind in ("do", "call"):
        what = "a DO block" if kind == "do" else "a procedure call"
    elif kind == "other" and stmt.tree is None:
        what = "a statement neither migwright nor sqlglot can read"
    else:
        return
    yield Hit(
        f"this is {what}: no rule could look inside it, so its locks and data changes are "
        "unchecked",
        "write the DDL as plain statements, or review it by hand and mark it "
        "`-- migwright: ignore opaque-raw-sql <why it is safe>`",
        None,
        sized=False,
    )


@migration_rule(
    "irreversible-migration",
    family="migration",
    dialects=ALL_DIALECTS,
    severity="warning",
    summary="A migration (or an operation in it) without a down cannot be rolled back",
    anchors={"django-migration-linter": "RUNPYTHON_REVERSIBLE, RUNSQL_REVERSIBLE"},
    catalogue=("51",),
)
def irreversible_migration(run: Run) -> Iterator[Hit]:
    if run.plan is not None:
        plan = reverse_all(run.plan.operations, run.plan.before)
        for op, why in plan.irreversible:
            yield Hit(
                f"{op.describe().strip()} has no reverse: {why.reason}",
                "give the operation a reverse (raw SQL: its reverse_sql), or accept that this "
                "migration cannot be rolled back and say so in its description",
                None,
                sized=False,
            )
        return
    if not run.ctx.expects_down:
        return
    changes = [s for s in run.statements if s.kind in DDL_KINDS or s.kind in DML_KINDS]
    if not changes:
        return
    if run.down is None or not any(s.kind in DDL_KINDS or s.kind in DML_KINDS for s in run.down):
        yield Hit(
            "this migration changes the schema but has no down: a bad deploy cannot be rolled "
            "back with the framework's own command",
            "write the down (the reverse statements, last first), or state in the migration "
            "that it is irreversible",
            None,
            stmt=changes[0],
            sized=False,
        )


@migration_rule(
    "lossy-rollback",
    family="migration",
    dialects=ALL_DIALECTS,
    severity="warning",
    summary="The down restores the structure but not the data the up destroyed",
    anchors={"(none)": "strong_migrations #39, excellent_migrations #9"},
    catalogue=("none-5",),
)
def lossy_rollback(run: Run) -> Iterator[Hit]:
    if run.plan is not None:
        plan = reverse_all(run.plan.operations, run.plan.before)
        for loss in plan.data_loss:
            yield Hit(
                f"rolling back restores the structure but not {loss}",
                "keep a copy of the data before the up (a backup table or an export) if a "
                "rollback must bring it back",
                None,
                sized=False,
            )
        return
    if run.down is None:
        return
    for stmt in run.statements:
        lost = _destroys(run, stmt)
        if lost:
            yield Hit(
                f"the up destroys {lost}; the down can recreate the structure, not the rows",
                "copy the data aside before the up (CREATE TABLE ... AS SELECT) if a rollback "
                "must bring it back",
                None,
                stmt=stmt,
                sized=False,
            )


def _destroys(run: Run, stmt: Stmt) -> str | None:
    if stmt.kind == "drop_table" and existing(run, stmt):
        if stmt.index in sqlite_rebuilds(run):
            return None
        return "every row of " + ", ".join(stmt.shape.tables)
    if stmt.kind == "alter_table" and existing(run, stmt):
        dropped = [a.column for a in stmt.shape.actions_of("drop_column") if a.column]
        if dropped:
            return f"the values of {stmt.table}.{', '.join(dropped)}"
    if stmt.kind == "truncate":
        return "every row of " + ", ".join(stmt.shape.tables)
    return None


@statement_rule(
    "down-drops-unrelated-data",
    family="migration",
    dialects=ALL_DIALECTS,
    severity="error",
    summary="The down drops a table or column that its up did not create",
    anchors={"(none)": "strong_migrations #39, excellent_migrations #9"},
    catalogue=("none-5",),
)
def down_drops_unrelated_data(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if not run.is_down:
        return
    if stmt.kind == "drop_table":
        for table in stmt.shape.tables:
            key = short(table).lower()
            if key in run.up_created or run.is_new_table(table, stmt):
                continue
            if stmt.index in sqlite_rebuilds(run):
                continue
            yield Hit(
                f"the down drops {table}, which its up did not create: rolling back deletes "
                "data that existed before this migration",
                "make the down undo only what the up did",
                None,
                table=table,
                sized=False,
            )
    if stmt.kind == "alter_table":
        table = (stmt.table or "").lower()
        for action in stmt.shape.actions_of("drop_column"):
            column = (action.column or "").lower()
            if table in run.up_created or (table, column) in run.up_columns:
                continue
            yield Hit(
                f"the down drops {stmt.table}.{action.column}, which its up did not add: rolling "
                "back deletes data that existed before this migration",
                "make the down undo only what the up did",
                None,
                sized=False,
            )


@migration_rule(
    "non-linear-history",
    family="migration",
    dialects=ALL_DIALECTS,
    severity="error",
    summary="A migration inserted before already-existing ones, or a history with several "
    "heads, is skipped or conflicts on deploy",
    anchors={"atlas": "non_linear"},
    catalogue=("52",),
)
def non_linear_history(run: Run) -> Iterator[Hit]:
    history = run.ctx.history
    if history is None:
        return
    if len(history.heads) > 1:
        yield Hit(
            f"the history has {len(history.heads)} heads ({', '.join(history.heads)}): the "
            "framework refuses to migrate, or applies the branches in an arbitrary order",
            "merge the branches (Alembic: alembic merge heads; Django: makemigrations --merge) "
            "or rebase the new migration onto the latest one",
            None,
            sized=False,
        )
    migration = run.ctx.migration_id
    ids = [m.id for m in history.migrations]
    if migration and migration in ids and ids.index(migration) < len(ids) - 1:
        later = ids[ids.index(migration) + 1 :]
        yield Hit(
            f"{migration} sorts before {', '.join(later[:3])}{'...' if len(later) > 3 else ''}, "
            "which already exist: databases that applied those skip it (Flyway, golang-migrate) "
            "or apply it out of order",
            "rename or re-parent the new migration so it comes after the latest one",
            None,
            sized=False,
        )


@statement_rule(
    "ban-sqlite-rebuild-with-foreign-keys",
    family="migration",
    dialects=SQLITE,
    severity="error",
    summary="DROP TABLE of a referenced table with foreign_keys=ON deletes or nulls child rows "
    "(or fails)",
    anchors={"(none)": "SQLite's 12-step ALTER TABLE procedure"},
    catalogue=("none-7",),
)
def ban_sqlite_rebuild_with_foreign_keys(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "drop_table" or not existing(run, stmt):
        return
    table = stmt.table or ""
    children = _children(run, table, stmt)
    if not children:
        return
    state = _foreign_keys_state(run, stmt)
    if state is False:
        return
    rebuild = sqlite_rebuilds(run).get(stmt.index)
    new = rebuild[1] if rebuild else f"{table}_new"
    create = f"CREATE TABLE {new} (...);  -- the new definition"
    copy = f"INSERT INTO {new} SELECT ... FROM {table};"
    for earlier in run.earlier(stmt):
        if earlier.kind == "create_table" and (earlier.table or "") == new:
            create = earlier.sql.rstrip(";") + ";"
        if earlier.kind == "insert" and (earlier.table or "") == new:
            copy = earlier.sql.rstrip(";") + ";"
    consequence = (
        f"SQLite runs an implicit DELETE FROM {table} first: child rows in "
        f"{', '.join(children)} are deleted (ON DELETE CASCADE), set to NULL, or the drop fails"
    )
    note = "" if state else " (foreign_keys is not known to be off; most frameworks turn it on)"
    yield Hit(
        f"DROP TABLE {table} with foreign_keys=ON: {consequence}{note}",
        "turn foreign keys off outside the transaction (the pragma does nothing inside one), "
        "rebuild, check, and turn them back on",
        "PRAGMA foreign_keys = OFF;  -- outside any transaction\n"
        "BEGIN;\n"
        f"{create}\n"
        f"{copy}\n"
        f"DROP TABLE {table};\n"
        f"ALTER TABLE {new} RENAME TO {table};\n"
        "PRAGMA foreign_key_check;  -- must return no rows\n"
        "COMMIT;\n"
        "PRAGMA foreign_keys = ON;",
        severity=None if state else "warning",
    )


def _children(run: Run, table: str, stmt: Stmt) -> list[str]:
    key = short(table).lower()
    children: set[str] = set()
    before = run.ctx.before
    if before is not None:
        children |= {t.name for t, fk in before.referencing(key) if t.name.lower() != key}
    for earlier in run.statements:
        if earlier.kind != "create_table" or (earlier.table or "").lower() == key:
            continue
        refs = [c.ref_table for c in earlier.shape.constraints if c.kind == "foreign_key"]
        refs += [c.references for c in earlier.shape.columns if c.references]
        if any(short(r).lower() == key for r in refs if r):
            children.add(earlier.table or "")
    rebuild = sqlite_rebuilds(run).get(stmt.index)
    if rebuild:
        children.discard(rebuild[1])
    return sorted(c for c in children if c)


def _foreign_keys_state(run: Run, stmt: Stmt) -> bool | None:
    """True (on), False (off) or None (unknown) when `stmt` runs. PRAGMA foreign_keys inside a
    transaction is a no-op in SQLite, so only pragmas outside one count."""
    state = run.ctx.sqlite_foreign_keys
    for earlier in run.earlier(stmt):
        if earlier.kind == "pragma" and earlier.shape.name == "foreign_keys":
            if earlier.in_transaction:
                continue
            value = earlier.shape.options.get("VALUE", "")
            state = value in ("on", "1", "true", "yes")
    return state
