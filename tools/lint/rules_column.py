"""Adding columns: defaults that rewrite, NOT NULL without a default, generated and
auto-numbered columns, json, and MySQL's ignored inline REFERENCES."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .base import ALL_DIALECTS, MYSQL, PG, PG_MYSQL, Hit, migration_rule, statement_rule
from .engine import Run
from .helpers import batched_update, existing, index_name, q, strip_semicolon
from .rules_constraint import not_null_steps
from .shape import Action
from .shape_parts import ColumnDef
from .statement import Stmt, volatile_functions


def _added_columns(stmt: Stmt) -> Iterator[tuple[Action, ColumnDef]]:
    if stmt.kind != "alter_table":
        return
    for action in stmt.shape.actions_of("add_column"):
        if action.column_def is not None:
            yield action, action.column_def


def _all_column_defs(stmt: Stmt) -> list[ColumnDef]:
    """Columns a statement defines: CREATE TABLE columns, ADD COLUMN, MODIFY/CHANGE."""
    cols = list(stmt.shape.columns)
    cols += [a.column_def for a in stmt.shape.actions if a.column_def is not None]
    return cols


@statement_rule(
    "adding-field-with-default",
    family="add-column",
    dialects=PG,
    severity="error",
    cost="rewrite",
    summary="ADD COLUMN with a volatile DEFAULT (any DEFAULT before PostgreSQL 11) rewrites the "
    "table under an ACCESS EXCLUSIVE lock",
    anchors={
        "squawk": "adding-field-with-default",
        "strong_migrations": "add_column_default",
        "atlas": "PG302",
    },
    catalogue=("22",),
)
def adding_field_with_default(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if not existing(run, stmt):
        return
    table = stmt.table or ""
    for _, col in _added_columns(stmt):
        if col.default is None or col.identity or col.generated:
            continue
        volatile = volatile_functions(col.default, run.family)
        old = run.ctx.at_least(11) is False
        if not volatile and not old:
            continue
        why = (
            f"the default calls {', '.join(sorted(set(volatile)))}, which PostgreSQL must "
            "evaluate for every existing row"
            if volatile
            else "before PostgreSQL 11 any DEFAULT on a new column is written into every row"
        )
        steps = [
            f"ALTER TABLE {q(table)} ADD COLUMN {q(col.name)} {col.type};",
            f"ALTER TABLE {q(table)} ALTER COLUMN {q(col.name)} SET DEFAULT {col.default};",
            "-- backfill existing rows in batches, outside the migration's transaction:",
            batched_update(run, table, f"{q(col.name)} = {col.default}", f"{q(col.name)} IS NULL"),
        ]
        if col.not_null:
            steps.append(not_null_steps(table, col.name))
        yield Hit(
            f"ADD COLUMN {col.name} rewrites all of {table} under an ACCESS EXCLUSIVE lock: {why}",
            "add the column without a default, set the default for new rows, then backfill "
            "existing rows in batches",
            "\n".join(steps),
        )


_MYSQL_LITERAL_DEFAULT = re.compile(
    r"(?is)^\s*(?:NULL|TRUE|FALSE|[-+]?\d+(?:\.\d+)?|'(?:[^']|'')*'|[bx]'[0-9a-f]*'|"
    r"CURRENT_TIMESTAMP(?:\s*\(\s*\d*\s*\))?|NOW\s*\(\s*\d*\s*\)|LOCALTIMESTAMP(?:\s*\(\s*\))?)\s*$"
)


@statement_rule(
    "adding-field-with-expression-default",
    family="add-column",
    dialects=MYSQL,
    severity="error",
    cost="rewrite",
    summary="ADD COLUMN with an expression DEFAULT (any DEFAULT on MySQL < 8.0.12 / MariaDB < "
    "10.3.2) copies the table",
    anchors={"strong_migrations": "add_column_default_callable"},
    catalogue=("23",),
)
def adding_field_with_expression_default(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if not existing(run, stmt):
        return
    table = stmt.table or ""
    ctx = run.ctx
    no_instant = ctx.at_least(10, 3, 2) is False if ctx.mariadb else ctx.at_least(8, 0, 12) is False
    for _, col in _added_columns(stmt):
        if col.default is None or col.generated:
            continue
        expression = not _MYSQL_LITERAL_DEFAULT.match(col.default)
        if not expression and not no_instant:
            continue
        why = (
            f"the default {col.default} is an expression, which ALGORITHM=INSTANT cannot store"
            if expression
            else "this server version cannot add a column with a default instantly"
        )
        t, c = q(table, "mysql"), q(col.name, "mysql")
        yield Hit(
            f"ADD COLUMN {col.name} rebuilds {table}: {why}",
            "add the column without a default (instant), set the default for new rows, then "
            "backfill existing rows in batches",
            f"ALTER TABLE {t} ADD COLUMN {c} {col.type} NULL, ALGORITHM=INSTANT;\n"
            f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT "
            f"{col.default if col.default.startswith('(') else f'({col.default})'};\n"
            f"UPDATE {t} SET {c} = {col.default} WHERE {c} IS NULL LIMIT 10000;"
            "  -- repeat until 0 rows",
        )


@statement_rule(
    "adding-required-field",
    family="add-column",
    dialects=ALL_DIALECTS,
    severity="error",
    summary="ADD COLUMN NOT NULL without a default fails on a non-empty table and breaks "
    "INSERTs from code that does not know the column",
    anchors={
        "squawk": "adding-required-field",
        "atlas": "MF103, MY101",
        "django-migration-linter": "NOT_NULL",
    },
    catalogue=("24",),
)
def adding_required_field(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if not existing(run, stmt):
        return
    table = stmt.table or ""
    fam = run.family
    for _, col in _added_columns(stmt):
        if not col.not_null or col.default is not None or col.identity or col.generated:
            continue
        if col.primary_key:
            continue
        consequence = {
            "postgresql": "PostgreSQL refuses it on a table with rows (column contains null "
            "values)",
            "mysql": "MySQL fills existing rows with the type's zero value ('' or 0) without a "
            "word",
            "sqlite": "SQLite refuses it (Cannot add a NOT NULL column with default value NULL)",
        }[fam]
        t, c = q(table, fam), q(col.name, fam)
        if fam == "postgresql":
            alternative = (
                f"ALTER TABLE {t} ADD COLUMN {c} {col.type};\n"
                f"-- backfill in batches, then make it NOT NULL without a long lock:\n"
                + batched_update(run, table, f"{c} = <value>", f"{c} IS NULL")
                + "\n"
                + not_null_steps(table, col.name)
            )
        else:
            alternative = f"ALTER TABLE {t} ADD COLUMN {c} {col.type} NOT NULL DEFAULT <value>;"
        yield Hit(
            f"{col.name} is NOT NULL without a default: {consequence}; and INSERTs from code "
            "deployed before this migration, which do not name the column, fail",
            "add it nullable and backfill, or give it a constant DEFAULT",
            alternative,
            sized=False,
        )


@migration_rule(
    "require-database-default",
    family="add-column",
    dialects=ALL_DIALECTS,
    severity="warning",
    summary="A NOT NULL column whose DEFAULT is dropped right after ADD COLUMN breaks INSERTs "
    "from the code still running",
    anchors={"django-pg-zero-downtime-migrations": "KEEP_DEFAULT"},
    catalogue=("25",),
)
def require_database_default(run: Run) -> Iterator[Hit]:
    added: dict[tuple[str, str], Stmt] = {}
    for stmt in run.statements:
        for _, col in _added_columns(stmt):
            if col.not_null and col.default is not None:
                added[((stmt.table or "").lower(), col.name.lower())] = stmt
        if stmt.kind != "alter_table":
            continue
        for action in stmt.shape.actions_of("drop_default"):
            key = ((stmt.table or "").lower(), (action.column or "").lower())
            if key in added:
                yield Hit(
                    f"{stmt.table}.{action.column} is NOT NULL and its DEFAULT is dropped in the "
                    "same migration (what Django's AddField does): INSERTs from the code still "
                    "running during the deploy do not name the column and now fail",
                    "keep the database default (Django 5: db_default=...; or remove this DROP "
                    "DEFAULT) until all running code sets the column",
                    f"-- remove this statement:\n-- {strip_semicolon(stmt.sql)};",
                    stmt=stmt,
                    sized=False,
                )


@statement_rule(
    "adding-stored-generated-column",
    family="add-column",
    dialects=PG_MYSQL,
    severity="error",
    cost="rewrite",
    summary="ADD COLUMN ... GENERATED ... STORED computes and writes every row under lock",
    anchors={"strong_migrations": "add_column_generated_stored"},
    catalogue=("26",),
)
def adding_stored_generated_column(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if not existing(run, stmt):
        return
    table = stmt.table or ""
    fam = run.family
    for _, col in _added_columns(stmt):
        if col.generated != "stored":
            continue
        expr = col.generated_expr or "<expression>"
        t, c = q(table, fam), q(col.name, fam)
        if fam == "mysql":
            alternative = (
                f"ALTER TABLE {t} ADD COLUMN {c} {col.type} AS ({expr}) VIRTUAL, ALGORITHM=INSTANT;"
            )
            helping = "add it VIRTUAL (instant; index it if it must be fast to read)"
        else:
            fn = index_name(table, [col.name], "fill")
            alternative = (
                f"ALTER TABLE {t} ADD COLUMN {c} {col.type};\n"
                f"CREATE FUNCTION {q(fn)}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN NEW.{c} := {_new_row(expr)}; RETURN NEW; END $$;\n"
                f"CREATE TRIGGER {q(fn)} BEFORE INSERT OR UPDATE ON {t}\n"
                f"  FOR EACH ROW EXECUTE FUNCTION {q(fn)}();\n"
                "-- backfill existing rows in batches:\n"
                + batched_update(run, table, f"{c} = {expr}", f"{c} IS NULL")
            )
            helping = (
                "add a plain nullable column kept up to date by a trigger, and backfill it in "
                "batches"
            )
        yield Hit(
            f"adding the stored generated column {col.name} computes and writes it for every "
            f"row of {table} while the table is locked",
            helping,
            alternative,
        )


def _new_row(expression: str) -> str:
    """Column names in a generated expression, prefixed with NEW. for the trigger body."""
    return re.sub(r"\b([a-z_][a-z0-9_]*)\b(?!\s*\()", r"NEW.\1", expression)


@statement_rule(
    "adding-auto-increment-column",
    family="add-column",
    dialects=ALL_DIALECTS,
    severity="error",
    cost="rewrite",
    summary="Adding a serial / identity / AUTO_INCREMENT column numbers every row under lock",
    anchors={"strong_migrations": "add_column_auto_incrementing"},
    catalogue=("27",),
)
def adding_auto_increment_column(stmt: Stmt, run: Run) -> Iterator[Hit]:
    if not existing(run, stmt):
        return
    table = stmt.table or ""
    for _, col in _added_columns(stmt):
        if not col.identity:
            continue
        if run.family == "sqlite":
            yield Hit(
                f"SQLite cannot add the auto-numbered column {col.name} to {table} (it refuses "
                "PRIMARY KEY and AUTOINCREMENT in ADD COLUMN)",
                "rebuild the table with the new column (see ban-sqlite-rebuild-with-foreign-keys "
                "for doing that safely)",
                None,
                sized=False,
            )
            continue
        if run.family == "mysql":
            yield Hit(
                f"adding the AUTO_INCREMENT column {col.name} copies {table} to number every row; "
                "writes wait for the copy",
                "use an online schema change tool (gh-ost, pt-online-schema-change)",
                None,
            )
            continue
        seq = index_name(table, [col.name], "seq")
        t, c = q(table), q(col.name)
        yield Hit(
            f"adding the auto-numbered column {col.name} rewrites all of {table} under an ACCESS "
            "EXCLUSIVE lock to give every row a number",
            "add a plain bigint column with its own sequence as default, number existing rows in "
            "batches, then make it NOT NULL and unique the safe way",
            f"ALTER TABLE {t} ADD COLUMN {c} bigint;\n"
            f"CREATE SEQUENCE IF NOT EXISTS {q(seq)} OWNED BY {t}.{c};\n"
            f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT nextval('{seq}');\n"
            "-- number existing rows in batches:\n"
            + batched_update(run, table, f"{c} = nextval('{seq}')", f"{c} IS NULL")
            + "\n"
            + not_null_steps(table, col.name),
        )


@statement_rule(
    "prefer-jsonb",
    family="add-column",
    dialects=PG,
    severity="warning",
    summary="A json column has no equality operator: DISTINCT, GROUP BY and UNION fail on it",
    anchors={"strong_migrations": "add_column_json"},
    catalogue=("33",),
)
def prefer_jsonb(stmt: Stmt, run: Run) -> Iterator[Hit]:
    cols = [c.name for c in _all_column_defs(stmt) if c.type.strip().lower() == "json"]
    cols += [
        a.column or "?"
        for a in stmt.shape.actions_of("alter_type")
        if (a.type or "").strip().lower() == "json"
    ]
    for name in cols:
        yield Hit(
            f"{name} is json: PostgreSQL has no equality operator for json, so SELECT DISTINCT, "
            "GROUP BY, UNION and some ORMs' change tracking fail on it; it is also re-parsed on "
            "every read",
            "use jsonb",
            re.sub(r"(?i)\bjson\b(?!b)", "jsonb", strip_semicolon(stmt.sql)) + ";",
            sized=False,
        )


@statement_rule(
    "ban-inline-references",
    family="add-column",
    dialects=MYSQL,
    severity="error",
    summary="MySQL parses a column-level REFERENCES and creates no foreign key",
    anchors={"atlas": "MY102"},
    catalogue=("45",),
)
def ban_inline_references(stmt: Stmt, run: Run) -> Iterator[Hit]:
    ctx = run.ctx
    newer = ctx.at_least(10, 5) if ctx.mariadb else ctx.at_least(9)
    table = stmt.table or ""
    for col in _all_column_defs(stmt):
        if not col.references:
            continue
        name = index_name(table, [col.name], "fkey")
        refcols = ", ".join(q(c, "mysql") for c in col.ref_columns) or "id"
        fk = (
            f"CONSTRAINT {q(name, 'mysql')} FOREIGN KEY ({q(col.name, 'mysql')}) "
            f"REFERENCES {q(col.references, 'mysql')} ({refcols})"
        )
        alternative = (
            f"-- in the CREATE TABLE, instead of the inline REFERENCES:\n  {fk}"
            if stmt.kind == "create_table"
            else f"ALTER TABLE {q(table, 'mysql')} ADD {fk};"
        )
        yield Hit(
            f"the inline REFERENCES on {table}.{col.name} creates no foreign key on MySQL 8 "
            "and older MariaDB: they parse it and ignore it, so nothing checks the values",
            "declare it as a table-level FOREIGN KEY, which every MySQL and MariaDB version "
            "creates",
            alternative,
            severity="warning" if newer else None,
            sized=False,
        )
