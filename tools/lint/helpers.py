"""What several rule families share: quoting, names for the safe alternatives, lock facts.

The safe alternatives are complete migrations with the user's names filled in, so they need
the same quoting and constraint naming everywhere; and several families ask the same
questions (does this statement take an ACCESS EXCLUSIVE lock? is this a SQLite rebuild?).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from ..schema import MAX_IDENTIFIER, Table
from .cursor import short
from .engine import Run
from .shape import Action
from .shape_parts import ColumnDef
from .statement import Stmt

_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")
#: Rows per batch in the backfill loops the alternatives suggest.
BATCH = 10_000


def q(name: str | None, family: str = "postgresql") -> str:
    """A name as it must be written: plain lower-case words bare, the rest quoted."""
    if not name:
        return "?"
    parts = name.split(".")
    quote = "`" if family == "mysql" else '"'
    return ".".join(p if _PLAIN.match(p) else f"{quote}{p}{quote}" for p in parts)


def qcols(columns: Iterable[str], family: str = "postgresql") -> str:
    return ", ".join(q(c, family) if _PLAIN.match(c) or '"' not in c else c for c in columns)


def index_name(table: str, columns: Iterable[str], suffix: str = "idx") -> str:
    """PostgreSQL's own convention (`orders_user_id_idx`), shortened to 63 bytes with a hash."""
    cols = [c for c in columns if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", c)] or ["expr"]
    body = "_".join([short(table), *cols, suffix]).lower()
    if len(body) <= MAX_IDENTIFIER:
        return body
    digest = hashlib.sha1(body.encode()).hexdigest()[:8]
    return f"{body[: MAX_IDENTIFIER - 9]}_{digest}"


def check_name(table: str, column: str, suffix: str = "not_null") -> str:
    return index_name(table, [column], suffix)


def primary_key_of(run: Run, table: str | None) -> str:
    """The table's single-column primary key for batching loops (`id` when unknown)."""
    schema_table = run.schema_table(table)
    if schema_table is not None and len(schema_table.primary_key) == 1:
        return schema_table.primary_key[0]
    for stmt in run.statements:
        if stmt.kind == "create_table" and (stmt.table or "").lower() == short(table).lower():
            for col in stmt.shape.columns:
                if col.primary_key:
                    return col.name
            for con in stmt.shape.constraints:
                if con.kind == "primary_key" and len(con.columns) == 1:
                    return con.columns[0]
    return "id"


def batched_update(
    run: Run, table: str, assignment: str, pending: str, family: str | None = None
) -> str:
    """A batched backfill statement to repeat until it touches no row."""
    fam = family or run.family
    key = q(primary_key_of(run, table), fam)
    t = q(table, fam)
    if fam == "mysql":
        return f"UPDATE {t} SET {assignment} WHERE {pending} LIMIT {BATCH};  -- repeat until 0 rows"
    return (
        f"UPDATE {t} SET {assignment}\n"
        f"WHERE {key} IN (SELECT {key} FROM {t} WHERE {pending} LIMIT {BATCH});"
        "  -- repeat until 0 rows"
    )


#: Tables frameworks keep their own bookkeeping in: the UPDATE of alembic_version in the
#: migration's transaction is how the framework works, not a backfill.
BOOKKEEPING_TABLES = frozenset(
    {
        "alembic_version", "django_migrations", "schema_migrations", "ar_internal_metadata",
        "flyway_schema_history", "knex_migrations", "knex_migrations_lock", "_prisma_migrations",
        "sequelizemeta", "migrations", "typeorm_metadata", "__drizzle_migrations",
        "goose_db_version", "schema_version",
    }
)  # fmt: skip


def bookkeeping(table: str | None) -> bool:
    return short(table).lower() in BOOKKEEPING_TABLES


def existing(run: Run, stmt: Stmt, table: str | None = None) -> bool:
    """The statement's table (or `table`) existed before this migration."""
    name = table if table is not None else stmt.table
    return bool(name) and not run.is_new_table(name, stmt)


#: ALTER TABLE actions that PostgreSQL runs under a weaker lock than ACCESS EXCLUSIVE.
_WEAK_ACTIONS = {"validate_constraint", "algorithm", "lock", "detach_partition"}


def pg_exclusive_tables(stmt: Stmt) -> list[str]:
    """Tables this statement locks ACCESS EXCLUSIVE (or SHARE ROW EXCLUSIVE, which also blocks
    writes) on PostgreSQL; empty for statements that lock nothing that matters."""
    kind = stmt.kind
    shape = stmt.shape
    if kind == "alter_table" and shape.table:
        tables = []
        if any(a.kind not in _WEAK_ACTIONS for a in shape.actions):
            tables.append(shape.table)
        for action in shape.actions:
            con = action.constraint
            is_fk = action.kind == "add_constraint" and con and con.kind == "foreign_key"
            if is_fk and con is not None and con.ref_table:
                tables.append(con.ref_table)
            if action.kind == "detach_partition" and not action.concurrently:
                tables.append(shape.table)
        return _unique(tables)
    if kind in ("drop_table", "truncate", "lock_table"):
        return list(shape.tables)
    if kind == "create_trigger" and shape.table:
        return [shape.table]
    if kind in ("cluster", "vacuum") and shape.table and (kind == "cluster" or shape.has("FULL")):
        return [shape.table]
    if kind == "create_index" and shape.table and not shape.has("CONCURRENTLY"):
        return [shape.table]
    if kind == "reindex" and shape.table and not shape.has("CONCURRENTLY"):
        return [shape.table]
    if kind == "rename_table":
        return list(shape.tables)
    return []


def _unique(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item.lower() not in (s.lower() for s in seen):
            seen.append(item)
    return seen


def locks_existing_table(run: Run, stmt: Stmt) -> bool:
    """Whether the statement takes a lock that blocks traffic on a table that already exists."""
    tables = pg_exclusive_tables(stmt)
    if stmt.kind == "drop_index" and not stmt.shape.has("CONCURRENTLY"):
        return not _index_created_here(run, stmt.shape.name, stmt)
    return any(existing(run, stmt, t) for t in tables)


def _index_created_here(run: Run, name: str | None, stmt: Stmt) -> bool:
    return any(
        s.kind == "create_index" and (s.shape.name or "").lower() == (name or "").lower()
        for s in run.earlier(stmt)
    )


def index_created_here(run: Run, name: str | None, stmt: Stmt) -> bool:
    return _index_created_here(run, name, stmt)


def sqlite_rebuilds(run: Run) -> dict[int, tuple[str, str]]:
    """SQLite table rebuilds: {index of the DROP TABLE: (table, new table's temporary name)}.

    A rebuild is CREATE TABLE new ...; INSERT INTO new SELECT ... FROM old; DROP TABLE old;
    ALTER TABLE new RENAME TO old; the DROP is not data loss, but it has its own hazards.
    """
    found: dict[int, tuple[str, str]] = {}
    for stmt in run.statements:
        if stmt.kind != "drop_table" or not stmt.table:
            continue
        old = stmt.table.lower()
        for later in run.later(stmt):
            for new, target in later.shape.renames:
                if short(target).lower() == old and new:
                    found[stmt.index] = (stmt.table, short(new))
    return found


def is_replaced_later(run: Run, stmt: Stmt, table: str) -> bool:
    """A table dropped here is created again later in the migration (rebuild or force)."""
    key = short(table).lower()
    for later in run.later(stmt):
        if later.kind == "create_table" and (later.table or "").lower() == key:
            return True
        if any(short(t).lower() == key for _, t in later.shape.renames):
            return True
    return False


def action_label(action: Action) -> str:
    return " ".join(action.text.split())[:80]


def strip_semicolon(sql: str) -> str:
    return sql.rstrip().rstrip(";")


ColumnDefs = tuple[ColumnDef, ...]


def sqlite_rebuild(run: Run, stmt: Stmt) -> tuple[str, ColumnDefs, Table] | None:
    """For the DROP TABLE of a SQLite rebuild: (table, the new table's columns, the old table
    from the before schema); None when `stmt` is no rebuild or the old table is unknown."""
    rebuild = sqlite_rebuilds(run).get(stmt.index)
    if rebuild is None:
        return None
    table, new_name = rebuild
    created = next(
        (s for s in run.earlier(stmt) if s.kind == "create_table" and s.table == new_name), None
    )
    old_table = run.schema_table(table)
    if created is None or old_table is None:
        return None
    return table, created.shape.columns, old_table


def sqlite_affinity(type_: str) -> str:
    """SQLite's type affinity (section 3.1 of its datatype docs): only it survives a rebuild."""
    t = type_.upper()
    if "INT" in t:
        return "INTEGER"
    if any(word in t for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in t or not t.strip():
        return "BLOB"
    if any(word in t for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"
