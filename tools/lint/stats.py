"""Table sizes from a live database, read-only, for size-based severity.

Only the catalog is read (no COUNT(*) on a server): PostgreSQL's planner estimate
`pg_class.reltuples` and `pg_total_relation_size` (heap, indexes, TOAST); MySQL's
`information_schema.TABLES` (TABLE_ROWS is InnoDB's estimate, refreshed by ANALYZE TABLE or
every `information_schema_stats_expiry` seconds). SQLite has no catalog statistics worth the
name, and its databases are local files, so rows are counted there.

Keys are table names as the migration would write them: plain for the default schema
(`public`, the current MySQL database), `schema.table` for other schemas.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..errors import IntrospectionError
from .base import TableStats

#: Bytes per row assumed for a PostgreSQL table never analysed (reltuples = -1).
UNANALYSED_ROW_BYTES = 100

_PG_STATS = """
SELECT n.nspname, c.relname, c.reltuples, c.relpages, pg_total_relation_size(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp)'
"""

_PG_PARTITIONED = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
"""

_MYSQL_STATS = """
SELECT TABLE_NAME, COALESCE(TABLE_ROWS, 0), COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0)
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
"""


def table_stats(engine: Engine) -> dict[str, TableStats]:
    """{table: TableStats(rows, bytes)} for every table of the database `engine` points at."""
    dialect = engine.dialect.name
    try:
        with engine.connect() as conn:
            if dialect == "postgresql":
                return _pg(conn)
            if dialect in ("mysql", "mariadb"):
                return {
                    str(name): TableStats(int(rows), int(size))
                    for name, rows, size in conn.execute(text(_MYSQL_STATS))
                }
            if dialect == "sqlite":
                return _sqlite(conn)
    except SQLAlchemyError as err:
        raise IntrospectionError(
            f"cannot read table sizes: {err.__class__.__name__}: {str(err).splitlines()[0]}",
            "check the database URL and that the user may read the catalog",
        ) from err
    raise IntrospectionError(
        f"table sizes are not supported for {dialect}", "use PostgreSQL, MySQL/MariaDB or SQLite"
    )


def partitioned_tables(engine: Engine) -> frozenset[str]:
    """Partitioned parents (PostgreSQL); empty elsewhere."""
    if engine.dialect.name != "postgresql":
        return frozenset()
    with engine.connect() as conn:
        search = _search_path(conn)
        return frozenset(
            _key(schema, name, search) for schema, name in conn.execute(text(_PG_PARTITIONED))
        )


def _pg(conn: Any) -> dict[str, TableStats]:
    search = _search_path(conn)
    stats: dict[str, TableStats] = {}
    for schema, name, reltuples, relpages, size in conn.execute(text(_PG_STATS)):
        if reltuples is None or reltuples < 0:  # never analysed (PostgreSQL 14+ says -1)
            rows = 0 if not relpages and size <= 8192 * 3 else int(size) // UNANALYSED_ROW_BYTES
        else:
            rows = int(reltuples)
        stats[_key(schema, name, search)] = TableStats(rows, int(size))
    return stats


def _search_path(conn: Any) -> set[str]:
    schemas = conn.execute(text("SELECT current_schemas(false)")).scalar() or []
    return {str(s) for s in schemas}


def _key(schema: str, name: str, search: set[str]) -> str:
    return name if schema in search else f"{schema}.{name}"


def _sqlite(conn: Any) -> dict[str, TableStats]:
    names = [
        row[0]
        for row in conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        )
    ]
    page_size = int(conn.execute(text("PRAGMA page_size")).scalar() or 4096)
    stats: dict[str, TableStats] = {}
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        rows = int(conn.execute(text(f"SELECT COUNT(*) FROM {quoted}")).scalar() or 0)
        stats[name] = TableStats(rows, _sqlite_bytes(conn, name, page_size))
    return stats


def _sqlite_bytes(conn: Any, name: str, page_size: int) -> int:
    """Pages of the table (dbstat, when SQLite was built with it), else 0."""
    try:
        pages = conn.execute(
            text("SELECT COUNT(*) FROM dbstat WHERE name = :name"), {"name": name}
        ).scalar()
    except SQLAlchemyError:
        return 0
    return int(pages or 0) * page_size
