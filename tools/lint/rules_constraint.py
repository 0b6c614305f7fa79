"""Constraint rules: adding keys and checks without long locks or scans, dropping them, and the
index a foreign key needs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .base import ALL_DIALECTS, PG, PG_MYSQL, Hit, migration_rule, statement_rule
from .cursor import short
from .engine import Run
from .helpers import check_name, existing, index_created_here, index_name, q, qcols
from .shape import Action
from .shape_parts import Constraint
from .statement import Stmt


def not_null_steps(table: str, column: str, family: str = "postgresql") -> str:
    """SET NOT NULL without the long scan under ACCESS EXCLUSIVE (PostgreSQL 12+)."""
    name = check_name(table, column)
    t, c = q(table, family), q(column, family)
    return (
        f"ALTER TABLE {t} ADD CONSTRAINT {q(name)} CHECK ({c} IS NOT NULL) NOT VALID;\n"
        f"-- next migration (own transaction): scans without blocking writes\n"
        f"ALTER TABLE {t} VALIDATE CONSTRAINT {q(name)};\n"
        f"-- next migration: PostgreSQL 12+ sees the valid check and skips the scan\n"
        f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL;\n"
        f"ALTER TABLE {t} DROP CONSTRAINT {q(name)};"
    )


def _added(stmt: Stmt, kind: str) -> Iterator[tuple[Action, Constraint]]:
    for action in stmt.shape.actions:
        con = action.constraint
        if action.kind == "add_constraint" and con is not None and con.kind == kind:
            yield action, con


def _named(action: Action, con: Constraint, name: str) -> str:
    """The action's text with a constraint name when the user gave none."""
    text = " ".join(action.text.split())
    if con.name:
        return text
    return re.sub(r"(?i)^ADD\s+", f"ADD CONSTRAINT {q(name)} ", text, count=1)


# ---------------------------------------------------------------------------------------------
# Foreign keys
# ---------------------------------------------------------------------------------------------


@statement_rule(
    "adding-foreign-key-constraint",
    family="constraint",
    dialects=PG_MYSQL,
    severity="error",
    cost="scan",
    summary="ADD FOREIGN KEY validates every row while both tables are locked against writes",
    anchors={
        "squawk": "adding-foreign-key-constraint",
        "strong_migrations": "add_foreign_key, add_reference",
        "atlas": "PG306",
    },
    catalogue=("10",),
)
def adding_foreign_key(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_table" or not existing(run, stmt):
        return
    table = stmt.table or ""
    for action, con in _added(stmt, "foreign_key"):
        name = con.name or index_name(table, con.columns, "fkey")
        ref = con.ref_table or "?"
        if run.family == "mysql":
            if _fk_checks_off(run, stmt):
                continue
            cols, refcols = con.columns, con.ref_columns or ("id",)
            join = " AND ".join(
                f"p.{q(r, 'mysql')} = c.{q(c, 'mysql')}"
                for c, r in zip(cols, refcols, strict=False)
            )
            yield Hit(
                f"with foreign_key_checks=1 MySQL adds the foreign key {name} with "
                f"ALGORITHM=COPY: {table} is copied and writes to it wait until the copy ends",
                "check for orphans yourself, then add the key with foreign_key_checks=0 so it "
                "is added in place (ALGORITHM=INPLACE, LOCK=NONE)",
                f"-- must return 0 before you go on:\n"
                f"SELECT COUNT(*) FROM {q(table, 'mysql')} c LEFT JOIN {q(ref, 'mysql')} p ON "
                f"{join}\nWHERE c.{q(cols[0], 'mysql') if cols else '?'} IS NOT NULL AND "
                f"p.{q(refcols[0], 'mysql')} IS NULL;\n"
                f"SET foreign_key_checks = 0;\n"
                f"ALTER TABLE {q(table, 'mysql')} {_named(action, con, name)}, "
                "ALGORITHM=INPLACE, LOCK=NONE;\n"
                f"SET foreign_key_checks = 1;",
            )
            continue
        if con.not_valid:
            continue
        yield Hit(
            f"ADD FOREIGN KEY {name} scans all of {table} to validate it while holding SHARE ROW "
            f"EXCLUSIVE locks on {table} and {ref}: writes to both tables wait for the scan",
            "add the key NOT VALID (instant; new rows are checked), then VALIDATE CONSTRAINT in a "
            "separate transaction, which does not block writes",
            f"ALTER TABLE {q(table)} {_named(action, con, name)} NOT VALID;\n"
            f"-- next migration (own transaction):\n"
            f"ALTER TABLE {q(table)} VALIDATE CONSTRAINT {q(name)};",
        )


def _fk_checks_off(run: Run, stmt: Stmt) -> bool:
    state = True
    for earlier in run.earlier(stmt):
        if earlier.kind == "set" and earlier.shape.name == "foreign_key_checks":
            state = earlier.shape.options.get("VALUE", "1").strip().lower() not in ("0", "off")
    return not state


@statement_rule(
    "require-index-for-foreign-key",
    family="constraint",
    dialects=frozenset({"postgresql", "sqlite"}),
    severity="warning",
    summary="A foreign key without an index on its columns makes every delete on the parent "
    "scan the child table",
    anchors={"(none)": "users ask for it: squawk #197"},
    catalogue=("none-2",),
)
def require_index_for_foreign_key(stmt: Stmt, run: Run) -> Iterator[Hit]:
    table = stmt.table or ""
    keys: list[Constraint] = []
    if stmt.kind == "alter_table":
        keys = [con for _, con in _added(stmt, "foreign_key")]
    elif stmt.kind == "create_table":
        keys = [c for c in stmt.shape.constraints if c.kind == "foreign_key"]
        keys += [
            Constraint("foreign_key", None, (col.name,), ref_table=col.references)
            for col in stmt.shape.columns
            if col.references and not col.primary_key and not col.unique
        ]
    for con in keys:
        if not con.columns or _covered(run, table, con.columns):
            continue
        name = index_name(table, con.columns)
        concurrently = "CONCURRENTLY " if run.family == "postgresql" and existing(run, stmt) else ""
        prefix = "-- outside a transaction:\n" if concurrently else ""
        yield Hit(
            f"nothing indexes {table}({', '.join(con.columns)}): every DELETE from "
            f"{con.ref_table} or change of its key scans {table} to check the foreign key, "
            "and ON DELETE CASCADE / SET NULL locks what it finds that way",
            f"index the referencing columns of {table}",
            f"{prefix}CREATE INDEX {concurrently}IF NOT EXISTS {q(name)} ON {q(table)} "
            f"({qcols(con.columns)});",
            sized=False,
        )


def _covered(run: Run, table: str, columns: tuple[str, ...]) -> bool:
    """An index (in the before schema or anywhere in the migration) leads with `columns`.
    A SQLite rebuild's copy counts under its final name too."""
    names = {short(table).lower()}
    for s in run.statements:
        for old, new in s.shape.renames:
            if short(old).lower() in names:
                names.add(short(new).lower())
    return any(_covered_as(run, name, columns) for name in names)


def _covered_as(run: Run, table: str, columns: tuple[str, ...]) -> bool:
    want = {c.lower() for c in columns}
    key = short(table).lower()

    def leads(cols: tuple[str, ...]) -> bool:
        return {c.lower() for c in cols[: len(want)]} == want

    schema_table = run.schema_table(table)
    if schema_table is not None:
        candidates = [schema_table.primary_key, *(u.columns for u in schema_table.uniques)]
        candidates += [i.columns for i in schema_table.indexes]
        if any(leads(tuple(c)) for c in candidates if c):
            return True
    for s in run.statements:
        if (s.table or "").lower() != key:
            continue
        if s.kind == "create_index" and leads(s.shape.index_columns):
            return True
        cons = list(s.shape.constraints) + [a.constraint for a in s.shape.actions if a.constraint]
        for con in cons:
            if con.kind in ("primary_key", "unique", "index") and leads(con.columns):
                return True
        for col in s.shape.columns:
            if (col.primary_key or col.unique) and want == {col.name.lower()}:
                return True
    return False


# ---------------------------------------------------------------------------------------------
# Checks, unique and primary keys, exclusion
# ---------------------------------------------------------------------------------------------


@statement_rule(
    "constraint-missing-not-valid",
    family="constraint",
    dialects=PG_MYSQL,
    severity="error",
    cost="scan",
    summary="ADD CHECK validates every row under a lock that blocks reads and writes",
    anchors={
        "squawk": "constraint-missing-not-valid",
        "strong_migrations": "add_check_constraint",
        "atlas": "PG305",
        "bytebase": "statement.add-check-not-valid",
    },
    catalogue=("11",),
)
def constraint_missing_not_valid(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_table" or not existing(run, stmt):
        return
    table = stmt.table or ""
    for action, con in _added(stmt, "check"):
        if con.not_valid or con.not_enforced:
            continue
        name = con.name or index_name(table, ["check"], "check")
        if run.family == "mysql":
            yield Hit(
                f"MySQL adds the CHECK {name} by copying {table} (ALGORITHM=COPY): writes wait "
                "for the whole copy",
                "run it with an online schema change tool (gh-ost, pt-online-schema-change), or "
                "enforce the rule in the application until a maintenance window",
                None,
                table=table,
            )
            continue
        yield Hit(
            f"ADD CHECK {name} scans all of {table} under an ACCESS EXCLUSIVE lock: reads and "
            "writes wait for the scan",
            "add the check NOT VALID (instant; new rows are checked), then VALIDATE CONSTRAINT in "
            "a separate transaction, which does not block reads or writes",
            f"ALTER TABLE {q(table)} {_named(action, con, name)} NOT VALID;\n"
            f"-- next migration (own transaction):\n"
            f"ALTER TABLE {q(table)} VALIDATE CONSTRAINT {q(name)};",
        )


@statement_rule(
    "ban-validate-in-same-transaction",
    family="constraint",
    dialects=PG,
    severity="error",
    cost="scan",
    summary="VALIDATE CONSTRAINT in the transaction that added it NOT VALID keeps the ADD's "
    "lock for the whole scan",
    anchors={
        "squawk": "constraint-missing-not-valid",
        "strong_migrations": "validate_check_constraint, validate_foreign_key",
    },
    catalogue=("12",),
)
def ban_validate_in_same_transaction(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_table" or not stmt.in_transaction:
        return
    for action in stmt.shape.actions_of("validate_constraint"):
        name = (action.value or "").lower()
        for earlier in run.same_transaction(stmt):
            if earlier.index >= stmt.index:
                continue
            for added in earlier.shape.actions:
                con = added.constraint
                if con is None or not con.not_valid or (con.name or "").lower() != name:
                    continue
                lock = "SHARE ROW EXCLUSIVE" if con.kind == "foreign_key" else "ACCESS EXCLUSIVE"
                yield Hit(
                    f"{action.value} was added NOT VALID earlier in this transaction, whose "
                    f"{lock} lock on {earlier.table} is held until commit: the validation scan "
                    "runs under it, as if NOT VALID had not been used",
                    "commit between the ADD ... NOT VALID and the VALIDATE (two migrations)",
                    f"{earlier.sql.rstrip(';')};\n-- next migration (own transaction):\n"
                    f"{stmt.sql.rstrip(';')};",
                )


@statement_rule(
    "disallowed-unique-constraint",
    family="constraint",
    dialects=PG,
    severity="error",
    cost="index",
    summary="ADD UNIQUE builds its index under an ACCESS EXCLUSIVE lock",
    anchors={
        "squawk": "disallowed-unique-constraint",
        "strong_migrations": "add_unique_constraint",
        "atlas": "PG105, MF101, MF102",
        "django-migration-linter": "ADD_UNIQUE",
    },
    catalogue=("13",),
)
def disallowed_unique_constraint(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_table" or not existing(run, stmt):
        return
    table = stmt.table or ""
    for _, con in _added(stmt, "unique"):
        if con.using_index:
            continue
        name = con.name or index_name(table, con.columns, "key")
        yield Hit(
            f"ADD UNIQUE {name} builds a unique index on {table} under an ACCESS EXCLUSIVE lock: "
            "reads and writes wait for the build, and it fails if duplicates exist",
            "build the unique index CONCURRENTLY first, then attach it as the constraint "
            "(USING INDEX is instant)",
            f"-- outside a transaction:\n"
            f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {q(name)} ON {q(table)} "
            f"({qcols(con.columns)});\n"
            f"-- next migration:\n"
            f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} UNIQUE USING INDEX {q(name)};",
        )


@statement_rule(
    "adding-primary-key-constraint",
    family="constraint",
    dialects=PG,
    severity="error",
    cost="index",
    summary="ADD PRIMARY KEY builds its index under an ACCESS EXCLUSIVE lock",
    anchors={"squawk": "adding-serial-primary-key-field", "atlas": "PG104"},
    catalogue=("14",),
)
def adding_primary_key(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_table" or not existing(run, stmt):
        return
    table = stmt.table or ""
    for _, con in _added(stmt, "primary_key"):
        if con.using_index:
            continue
        name = con.name or f"{short(table)}_pkey"
        yield Hit(
            f"ADD PRIMARY KEY builds a unique index on {table} under an ACCESS EXCLUSIVE lock: "
            "reads and writes wait for the build",
            "build a unique index CONCURRENTLY, then promote it with PRIMARY KEY USING INDEX "
            "(the columns must already be NOT NULL, see ban-primary-key-on-nullable-columns)",
            f"-- outside a transaction:\n"
            f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {q(name)} ON {q(table)} "
            f"({qcols(con.columns)});\n"
            f"-- next migration:\n"
            f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} PRIMARY KEY USING INDEX {q(name)};",
        )


@statement_rule(
    "ban-primary-key-on-nullable-columns",
    family="constraint",
    dialects=PG,
    severity="error",
    cost="scan",
    summary="A primary key over nullable columns sets NOT NULL implicitly: a full scan under "
    "ACCESS EXCLUSIVE",
    anchors={"atlas": "PG304"},
    catalogue=("15",),
)
def ban_pk_on_nullable(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_table" or not existing(run, stmt):
        return
    table = stmt.table or ""
    for _, con in _added(stmt, "primary_key"):
        columns = con.columns or _index_columns(run, con.using_index, stmt)
        nullable = []
        for column in columns:
            col = run.column_def(table, column, stmt)
            if col is not None and not col.not_null and not col.primary_key and not col.identity:
                nullable.append(column)
        if not nullable:
            continue
        steps = "\n\n".join(not_null_steps(table, c) for c in nullable)
        yield Hit(
            f"{', '.join(nullable)} on {table} allow NULL: the primary key makes PostgreSQL set "
            "NOT NULL first, scanning the whole table under an ACCESS EXCLUSIVE lock",
            "make the columns NOT NULL the safe way first (validated CHECK, PostgreSQL 12+), "
            "then add the primary key",
            steps,
        )


def _index_columns(run: Run, name: str | None, stmt: Stmt) -> tuple[str, ...]:
    for earlier in run.earlier(stmt):
        if earlier.kind == "create_index" and (earlier.shape.name or "") == (name or ""):
            return earlier.shape.index_columns
    return ()


@statement_rule(
    "ban-exclusion-constraint",
    family="constraint",
    dialects=PG,
    severity="error",
    cost="index",
    summary="ADD EXCLUDE builds its index and checks every row under an ACCESS EXCLUSIVE lock",
    anchors={"strong_migrations": "add_exclusion_constraint"},
    catalogue=("16",),
)
def ban_exclusion_constraint(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_table" or not existing(run, stmt):
        return
    for _, con in _added(stmt, "exclude"):
        yield Hit(
            f"ADD EXCLUDE {con.name or ''} on {stmt.table} builds its index and checks every row "
            "under an ACCESS EXCLUSIVE lock; it cannot be added NOT VALID or concurrently",
            "add exclusion constraints when a table is created; for an existing table create a "
            "new one with the constraint, copy rows in batches, and swap names in one short "
            "transaction",
            None,
        )


@migration_rule(
    "ban-drop-constraint",
    family="constraint",
    dialects=ALL_DIALECTS,
    severity="warning",
    summary="Dropping a foreign key, check or primary key lets rows that break it in",
    anchors={"atlas": "CD101"},
    catalogue=("20",),
)
def ban_drop_constraint(run: Run) -> Iterator[Hit]:
    added_here: set[str] = set()
    for stmt in run.statements:
        for action in stmt.shape.actions:
            if action.constraint is not None and action.constraint.name:
                added_here.add(action.constraint.name.lower())
        if stmt.kind == "create_index" and stmt.shape.name:
            added_here.add(stmt.shape.name.lower())
        if stmt.kind != "alter_table" or not existing(run, stmt):
            continue
        for action in stmt.shape.actions_of("drop_constraint", "drop_primary_key"):
            name = action.value or "PRIMARY KEY"
            if name.lower() in added_here or (run.is_down and name.lower() in run.up_objects):
                continue
            if index_created_here(run, name, stmt):
                continue
            yield Hit(
                f"dropping {name} on {stmt.table} removes a guarantee the data had: rows that "
                "break it can be written from now on, and adding it back later needs a scan "
                "that fails on them",
                "make sure no code relies on it; to change a constraint, add the new one first "
                "(NOT VALID, then VALIDATE) and drop the old one after",
                None,
                stmt=stmt,
                sized=False,
            )
