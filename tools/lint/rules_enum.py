"""User-defined types: PostgreSQL enums and domains, MySQL ENUM/SET columns."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .base import MYSQL, PG, Hit, statement_rule
from .cursor import short
from .engine import Run
from .helpers import existing, q, strip_semicolon
from .statement import Stmt


def _enum_values(run: Run, name: str | None, stmt: Stmt) -> tuple[str, ...] | None:
    """The enum's values before `stmt`: from CREATE TYPE in this migration or the schema."""
    if not name:
        return None
    key = short(name).lower()
    for earlier in reversed(run.earlier(stmt)):
        if earlier.kind == "create_type" and short(earlier.shape.name).lower() == key:
            return earlier.shape.index_columns
    before = run.ctx.before
    enum = before.enum(key) if before is not None else None
    return enum.values if enum is not None else None


@statement_rule(
    "require-enum-value-ordering",
    family="enum",
    dialects=PG,
    severity="warning",
    summary="ALTER TYPE ... ADD VALUE without BEFORE/AFTER puts the value last, which decides "
    "ORDER BY and comparisons",
    anchors={"squawk": "require-enum-value-ordering"},
    catalogue=("35",),
)
def require_enum_value_ordering(stmt: Stmt, run: Run) -> Iterator[Hit]:
    options = stmt.shape.options
    if stmt.kind != "alter_type" or options.get("ACTION") != "ADD VALUE":
        return
    if "BEFORE" in options or "AFTER" in options:
        return
    values = _enum_values(run, stmt.shape.name, stmt)
    anchor = values[-1] if values else "<existing value>"
    yield Hit(
        f"'{options.get('VALUE')}' goes after every existing value of {stmt.shape.name}: enums "
        "sort and compare by declaration order, so ORDER BY and < > on the column depend on "
        "where it lands",
        "say where the value belongs with BEFORE or AFTER",
        f"ALTER TYPE {q(stmt.shape.name)} ADD VALUE IF NOT EXISTS '{options.get('VALUE')}' "
        f"AFTER '{anchor}';",
        sized=False,
    )


@statement_rule(
    "ban-rename-enum-value",
    family="enum",
    dialects=PG,
    severity="error",
    summary="Renaming an enum value breaks running code that reads or writes the old value",
    anchors={"strong_migrations": "rename_enum_value"},
    catalogue=("36",),
)
def ban_rename_enum_value(stmt: Stmt, run: Run) -> Iterator[Hit]:
    options = stmt.shape.options
    if stmt.kind != "alter_type" or options.get("ACTION") != "RENAME VALUE":
        return
    old, new = options.get("VALUE"), options.get("TO")
    name = stmt.shape.name
    yield Hit(
        f"renaming '{old}' to '{new}' in {name} makes every INSERT or WHERE of the running code "
        f"that says '{old}' fail (invalid input value for enum)",
        "add the new value, make the code accept both, backfill, then stop writing the old one",
        f"ALTER TYPE {q(name)} ADD VALUE IF NOT EXISTS '{new}' AFTER '{old}';\n"
        f"-- next migration, once the code handles both values:\n"
        f"-- UPDATE <table> SET <column> = '{new}' WHERE <column> = '{old}';  (in batches)",
        sized=False,
    )


@statement_rule(
    "ban-alter-type-add-value-in-transaction",
    family="enum",
    dialects=PG,
    severity="error",
    summary="ALTER TYPE ... ADD VALUE in a transaction fails before PostgreSQL 12, and the value "
    "is unusable until commit after",
    anchors={"(none)": "sql-migrate #26, graphile/migrate #147"},
    catalogue=("none-6",),
)
def ban_add_value_in_transaction(stmt: Stmt, run: Run) -> Iterator[Hit]:
    options = stmt.shape.options
    if stmt.kind != "alter_type" or options.get("ACTION") != "ADD VALUE":
        return
    if not stmt.in_transaction:
        return
    value = options.get("VALUE", "")
    alternative = f"-- its own migration, outside a transaction:\n{strip_semicolon(stmt.sql)};"
    if run.ctx.at_least(12) is False:
        yield Hit(
            "PostgreSQL before 12 refuses ALTER TYPE ... ADD VALUE inside a transaction block: "
            "the migration fails",
            "run it in its own migration outside a transaction",
            alternative,
            sized=False,
        )
        return
    uses = [
        s
        for s in run.same_transaction(stmt)
        if s.index > stmt.index and any(t.kind == "string" and t.value == value for t in s.tokens)
    ]
    if uses:
        yield Hit(
            f"'{value}' is used at statement {uses[0].index + 1} of the transaction that adds it: "
            "PostgreSQL refuses a new enum value until the transaction that added it commits "
            "(unsafe use of new value)",
            "add the value in its own migration and use it in a later one",
            alternative,
            sized=False,
        )
        return
    yield Hit(
        f"'{value}' cannot be used until this transaction commits, and before PostgreSQL 12 the "
        "statement fails inside a transaction at all",
        "add enum values in their own migration, outside a transaction",
        alternative,
        severity="warning",
        sized=False,
    )


@statement_rule(
    "ban-create-domain-with-constraint",
    family="enum",
    dialects=PG,
    severity="warning",
    summary="A CHECK on a domain is hard to change later: every change rechecks every column "
    "of that type",
    anchors={"squawk": "ban-create-domain-with-constraint"},
    catalogue=("21",),
)
def ban_create_domain_with_constraint(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "create_domain" or not stmt.shape.has("CHECK"):
        return
    base = re.sub(r"(?is)\s+(CONSTRAINT\s+\S+\s+)?CHECK\s*\(.*$", "", strip_semicolon(stmt.sql))
    yield Hit(
        f"the CHECK on domain {stmt.shape.name} binds every column of that type: changing it "
        "later (ALTER DOMAIN ADD CONSTRAINT) scans every such table under lock",
        "create the domain without the CHECK and put CHECK constraints on the columns, where "
        "they can be added NOT VALID and validated online",
        f"{base};\n-- and on each column: ALTER TABLE <table> ADD CONSTRAINT <name> "
        "CHECK (<condition on the column>) NOT VALID;",
        sized=False,
    )


@statement_rule(
    "ban-alter-domain-with-add-constraint",
    family="enum",
    dialects=PG,
    severity="error",
    summary="ALTER DOMAIN ... ADD CONSTRAINT checks every column of the domain under lock",
    anchors={"squawk": "ban-alter-domain-with-add-constraint"},
    catalogue=("21",),
)
def ban_alter_domain_add_constraint(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_domain" or not stmt.shape.has("ADD_CONSTRAINT"):
        return
    if stmt.shape.has("NOT_VALID"):
        return
    name = stmt.shape.name
    match = re.search(r"(?i)ADD\s+CONSTRAINT\s+(\S+)", stmt.sql)
    constraint = match.group(1) if match else "<constraint>"
    yield Hit(
        f"ALTER DOMAIN {name} ADD CONSTRAINT checks every row of every table with a {name} "
        "column while blocking writes to them",
        "add it NOT VALID, then VALIDATE CONSTRAINT in a separate transaction",
        f"{strip_semicolon(stmt.sql)} NOT VALID;\n-- next migration:\n"
        f"ALTER DOMAIN {q(name)} VALIDATE CONSTRAINT {constraint};",
        sized=False,
    )


@statement_rule(
    "ban-enum-set-rewrite",
    family="enum",
    dialects=MYSQL,
    severity="error",
    cost="rewrite",
    summary="Changing ENUM/SET values other than appending (or crossing a storage size) copies "
    "the table",
    anchors={"atlas": "MY110-MY113, MY120-MY123"},
    catalogue=("34",),
)
def ban_enum_set_rewrite(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if stmt.kind != "alter_table" or not existing(run, stmt):
        return
    table = stmt.table or ""
    for action in stmt.shape.actions_of("modify_column"):
        new = action.column_def
        old = run.column_def(table, action.column, stmt)
        if new is None or new.enum_values is None or old is None or old.enum_values is None:
            continue
        kind = new.type.strip().split("(")[0].upper()
        reason = _enum_change_problem(kind, old.enum_values, new.enum_values)
        if reason is None:
            continue
        appended = [*old.enum_values, *[v for v in new.enum_values if v not in old.enum_values]]
        listed = ", ".join("'" + v.replace("'", "''") + "'" for v in appended)
        yield Hit(
            f"changing {table}.{action.column} from {old.type} to {new.type} copies {table}: "
            f"{reason}",
            "only append new values at the end, and keep within the same storage size",
            f"ALTER TABLE {q(table, 'mysql')} MODIFY COLUMN {q(new.name, 'mysql')} "
            f"{kind}({listed}), ALGORITHM=INSTANT;",
        )


def _enum_change_problem(kind: str, old: tuple[str, ...], new: tuple[str, ...]) -> str | None:
    if tuple(new[: len(old)]) != tuple(old):
        return "existing values are removed, renamed or reordered (only appending is instant)"
    if kind == "ENUM" and (len(old) <= 255) != (len(new) <= 255):
        return "the ENUM grows past 255 members, so each value needs 2 bytes instead of 1"
    if kind == "SET" and _set_bytes(len(old)) != _set_bytes(len(new)):
        return "the SET crosses a storage size (1, 2, 3, 4 or 8 bytes)"
    return None


def _set_bytes(members: int) -> int:
    size = (members + 7) // 8
    return 8 if size > 4 else size
