"""Type changes: rewrites unless binary-compatible, and the constraints that make PostgreSQL
recheck every row."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..ops import expression_columns
from ..schema import canonical_type
from .base import ALL_DIALECTS, PG, Hit, statement_rule
from .cursor import short
from .engine import Run
from .helpers import batched_update, existing, q, sqlite_affinity, sqlite_rebuild
from .rules_constraint import not_null_steps
from .shape_parts import ColumnDef
from .statement import Stmt

# ---------------------------------------------------------------------------------------------
# Type changes
# ---------------------------------------------------------------------------------------------


def _length(text: str) -> int | None:
    match = re.search(r"\((\d+)\)", text)
    return int(match.group(1)) if match else None


def pg_binary_compatible(old: str, new: str) -> bool:
    """Type changes PostgreSQL makes without rewriting the table or rebuilding indexes."""
    a, b = canonical_type(old), canonical_type(new)
    if a == b:
        return True
    if a.startswith("varchar") and (b == "text" or b == "varchar"):
        return True
    if a.startswith("varchar(") and b.startswith("varchar("):
        return (_length(b) or 0) >= (_length(a) or 0)
    if a in ("text", "varchar") and b in ("text", "varchar"):
        return True
    if a.startswith("numeric(") and (b == "numeric" or b.startswith("numeric(")):
        if b == "numeric":
            return True
        (p1, s1), (p2, s2) = _numeric(a), _numeric(b)
        return s1 == s2 and p2 >= p1
    if a.startswith("varbit(") and b.startswith("varbit("):
        return (_length(b) or 0) >= (_length(a) or 0)
    return a == "cidr" and b == "inet"


def _numeric(text: str) -> tuple[int, int]:
    precision, _, scale = text[text.index("(") + 1 : -1].partition(",")
    return int(precision), int(scale or 0)


def mysql_in_place(old: str, new: str) -> bool:
    """VARCHAR lengthening MySQL does in place: the length prefix stays 1 byte (up to 255
    bytes, i.e. 63 utf8mb4 characters) or stays 2 bytes."""
    a, b = canonical_type(old), canonical_type(new)
    if a == b:
        return True
    if a.startswith("varchar(") and b.startswith("varchar("):
        la, lb = _length(a) or 0, _length(b) or 0
        return lb >= la and ((la * 4 <= 255) == (lb * 4 <= 255))
    return False


@statement_rule(
    "changing-column-type",
    family="column",
    dialects=ALL_DIALECTS,
    severity="error",
    cost="rewrite",
    summary="Changing a column's type rewrites the table under lock (unless the change is "
    "binary-compatible) and breaks code that reads the old type",
    anchors={
        "squawk": "changing-column-type",
        "strong_migrations": "change_column",
        "atlas": "PG301",
        "django-migration-linter": "ALTER_COLUMN",
    },
    catalogue=("28",),
)
def changing_column_type(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if not existing(run, stmt):
        return
    table = stmt.table or ""
    fam = run.family
    if fam == "sqlite":
        yield from _sqlite_rebuild_changes(stmt, run)
        return
    kinds = ("alter_type",) if fam == "postgresql" else ("modify_column", "alter_type")
    for action in stmt.shape.actions_of(*kinds):
        column = action.column or "?"
        new_type = action.type or ""
        old = run.column_def(table, column, stmt)
        compatible = old is not None and pg_binary_compatible(old.type, new_type)
        if fam == "postgresql" and action.using is None and compatible:
            continue
        if old is not None and fam == "mysql":
            if old.enum_values is not None and canonical_type(new_type)[:4] in ("enum", "set("):
                continue  # ban-enum-set-rewrite judges ENUM/SET changes
            if mysql_in_place(old.type, new_type):
                continue
        was = f" from {old.type}" if old is not None else ""
        lock = "an ACCESS EXCLUSIVE lock" if fam == "postgresql" else "a copy that blocks writes"
        yield Hit(
            f"changing {table}.{column}{was} to {new_type} rewrites {table} (and its indexes) "
            f"under {lock}; code reading the old type may break",
            "add a new column of the new type, keep it in step (trigger or dual writes), "
            "backfill in batches, switch readers, then drop the old column"
            + (
                "; binary-compatible changes (longer varchar, varchar to text, more numeric "
                "precision at the same scale) do not rewrite"
                if fam == "postgresql"
                else ""
            ),
            _expand_contract(run, table, column, new_type, old),
        )


def _expand_contract(
    run: Run, table: str, column: str, new_type: str, old: ColumnDef | None
) -> str:
    fam = run.family
    new = f"{column}_new"
    t, c, n = q(table, fam), q(column, fam), q(new, fam)
    cast = f"CAST({c} AS {new_type})"
    lines = [f"ALTER TABLE {t} ADD COLUMN {n} {new_type};"]
    if fam == "postgresql":
        fn = f"{short(table)}_{column}_sync"
        lines += [
            f"CREATE FUNCTION {q(fn)}() RETURNS trigger LANGUAGE plpgsql AS $$",
            f"BEGIN NEW.{n} := CAST(NEW.{c} AS {new_type}); RETURN NEW; END $$;",
            f"CREATE TRIGGER {q(fn)} BEFORE INSERT OR UPDATE ON {t}",
            f"  FOR EACH ROW EXECUTE FUNCTION {q(fn)}();",
        ]
    lines += [
        "-- backfill in batches:",
        batched_update(run, table, f"{n} = {cast}", f"{n} IS NULL AND {c} IS NOT NULL"),
        "-- after every reader uses the new column, in a later migration:",
        f"ALTER TABLE {t} DROP COLUMN {c};",
        f"ALTER TABLE {t} RENAME COLUMN {n} TO {c};",
    ]
    del old
    return "\n".join(lines)


def _sqlite_rebuild_changes(stmt: Stmt, run: Run) -> Iterator[Hit]:
    """SQLite has no ALTER COLUMN: type changes arrive as a rebuild; compare the new table."""
    found = sqlite_rebuild(run, stmt)
    if found is None:
        return
    table, columns, old_table = found
    old_types = {c.name.lower(): c.type for c in old_table.columns}
    changed = [
        c.name
        for c in columns
        if c.name.lower() in old_types
        and sqlite_affinity(old_types[c.name.lower()]) != sqlite_affinity(c.type)
    ]
    if changed:
        yield Hit(
            f"the rebuild of {table} changes the type affinity of {', '.join(changed)}: SQLite "
            "copies every row, converting values, while holding the database's write lock",
            "run it when writers can wait, after checking that every value converts; with "
            "foreign keys on, follow the rebuild steps in ban-sqlite-rebuild-with-foreign-keys",
            None,
        )


@statement_rule(
    "ban-type-change-on-constrained-column",
    family="column",
    dialects=PG,
    severity="error",
    cost="scan",
    summary="A type change on a column with CHECKs (or with SET NOT NULL in the same statement) "
    "rechecks every row under lock",
    anchors={
        "strong_migrations": "change_column_constraint, change_column_with_not_null",
    },
    catalogue=("29",),
)
def ban_type_change_on_constrained_column(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_table" or not existing(run, stmt):
        return
    table = stmt.table or ""
    not_null = {(a.column or "").lower() for a in stmt.shape.actions_of("set_not_null")}
    for action in stmt.shape.actions_of("alter_type"):
        column = (action.column or "").lower()
        checks = _checks_on(run, stmt, table, column)
        if column in not_null:
            yield Hit(
                f"the type change of {table}.{action.column} comes with SET NOT NULL in the same "
                "statement: every row is checked for NULL under the ACCESS EXCLUSIVE lock",
                "change the type alone; make the column NOT NULL the safe way afterwards",
                not_null_steps(table, action.column or "?"),
            )
        elif checks:
            yield Hit(
                f"{table}.{action.column} is used by the CHECK {', '.join(checks)}: after the "
                "type change PostgreSQL rechecks every row under the ACCESS EXCLUSIVE lock",
                "drop the checks, change the type, re-add them NOT VALID and VALIDATE them in a "
                "separate transaction",
                None,
            )


def _checks_on(run: Run, stmt: Stmt, table: str, column: str) -> list[str]:
    found: list[str] = []
    schema_table = run.schema_table(table)
    if schema_table is not None:
        for check in schema_table.checks:
            if column in {c.lower() for c in expression_columns(check.expression)}:
                found.append(check.name or check.expression)
    for earlier in run.earlier(stmt):
        if (earlier.table or "").lower() != short(table).lower():
            continue
        for action in earlier.shape.actions:
            con = action.constraint
            if con is None or con.kind != "check" or not con.expression:
                continue
            if column in {c.lower() for c in expression_columns(con.expression)}:
                found.append(con.name or con.expression)
    return found
