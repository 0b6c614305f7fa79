"""Live database -> Schema, for SQLite, PostgreSQL and MySQL/MariaDB.

The validator compares what a migration should produce (operations applied to a Schema) with
what the database really holds, so introspection must report the database faithfully *and* in
the vocabulary of `schema.py`: canonical types, defaults as SQL text, every auto-numbering
spelling as `identity`, partial and expression indexes, named constraints. SQLAlchemy's
inspector does most of the reading; each dialect module (`introspect_pg`, `introspect_mysql`,
`introspect_sqlite`) adds the catalog queries the inspector lacks or gets wrong, as a `Reader`
subclass (the shape of Alembic's per-dialect `ddl/` modules over one base).

Introspection is read-only: it runs in one transaction it marks READ ONLY (PostgreSQL, MySQL) or
under `PRAGMA query_only` (SQLite), and rolls back. The bookkeeping tables of migwright and of
the migration frameworks are left out by default, because a migration never changes them by
hand and their presence differs between a framework runner and plain SQL.
"""

from __future__ import annotations

import contextlib
import fnmatch
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, Connection, Engine, Inspector, make_url
from sqlalchemy.exc import (
    ArgumentError,
    NoSuchModuleError,
    OperationalError,
    SAWarning,
    SQLAlchemyError,
)
from sqlalchemy.pool import NullPool

from .errors import IntrospectionError
from .repo import redact
from .schema import (
    CheckConstraint,
    Column,
    EnumType,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
    canonical_type,
    normalize_action,
)

#: Tables migration frameworks (and migwright) keep their own state in. Compared lower-case.
BOOKKEEPING_TABLES: tuple[str, ...] = (
    "alembic_version",  # Alembic
    "django_migrations",  # Django
    "_prisma_migrations",  # Prisma
    "sequelizemeta",  # Sequelize (SequelizeMeta)
    "knex_migrations",  # Knex
    "knex_migrations_lock",
    "migrations",  # TypeORM (and Laravel)
    "typeorm_metadata",
    "__drizzle_migrations",  # Drizzle
    "flyway_schema_history",  # Flyway
    "schema_migrations",  # Rails, golang-migrate, dbmate
    "ar_internal_metadata",  # Rails
    "goose_db_version",  # goose
    "sqlite_sequence",  # SQLite's AUTOINCREMENT counters
)

#: Glob patterns for bookkeeping tables with variable names.
BOOKKEEPING_PATTERNS: tuple[str, ...] = ("_migwright*",)

_HANDLED_WARNINGS = (
    "Skipped unsupported reflection of expression-based index",
    "Did not recognize type",
    "Predicate of partial index",
)

_HINT_REACH = "start the server, check host, port, user and password in the URL"


def introspect(
    source: Engine | Connection | str | URL,
    *,
    schema_name: str | None = None,
    exclude: Iterable[str] = (),
    include_bookkeeping: bool = False,
) -> Schema:
    """Read the tables, keys, indexes, checks and enum types of a live database.

    `source` is an engine, an open connection (introspection then runs inside the caller's
    transaction and leaves it open) or a URL. `schema_name` picks a PostgreSQL schema or a MySQL
    database other than the connection's default. `exclude` adds table names or glob patterns
    (`audit_*`) to leave out; `include_bookkeeping=True` keeps the frameworks' own tables.
    """
    skip = _exclusions(exclude, include_bookkeeping)
    with _connection(source) as conn:
        reader = reader_for(conn, schema_name)
        try:
            with warnings.catch_warnings():
                # The readers fill in what these warnings say the inspector skipped: expression
                # indexes (read from the catalog) and unknown types (read as the catalog spells
                # them).
                for message in _HANDLED_WARNINGS:
                    warnings.filterwarnings("ignore", message=message, category=SAWarning)
                names = [n for n in reader.table_names() if not _excluded(n, skip)]
                return reader.read(names)
        except SQLAlchemyError as exc:
            raise IntrospectionError(
                f"cannot read the schema of {_where(conn)}: {_reason(exc)}",
                "connect as a user allowed to read the catalog (information_schema, pg_catalog)",
            ) from exc


def is_bookkeeping(table: str) -> bool:
    """True for a framework's or migwright's own bookkeeping table."""
    return _excluded(table, _exclusions((), False))


# ---------------------------------------------------------------------------------------------
# The reader every dialect module extends
# ---------------------------------------------------------------------------------------------


class Reader:
    """Reads one schema through SQLAlchemy's inspector; dialect subclasses override the hooks.

    `read()` fetches everything with the inspector's multi-table calls (one round trip per kind
    on PostgreSQL, instead of one per table), then builds each `Table` from the hooks `columns`,
    `indexes`, `checks` and `foreign_keys`. `prepare()` runs the dialect's own catalog queries
    once, before any hook.
    """

    dialect: ClassVar[str] = ""

    def __init__(self, conn: Connection, schema_name: str | None) -> None:
        self.conn = conn
        self.insp: Inspector = inspect(conn)
        self.schema_name = schema_name
        #: The schema the catalog queries filter on: the given one, or the connection's default.
        self.schema = schema_name or self.insp.default_schema_name or ""
        if schema_name is not None and schema_name not in self.insp.get_schema_names():
            raise IntrospectionError(
                f"{_where(conn)} has no schema {schema_name!r}",
                f"use one of: {', '.join(self.insp.get_schema_names())}",
            )

    # -- the flow -----------------------------------------------------------------------------
    def table_names(self) -> list[str]:
        return list(self.insp.get_table_names(schema=self.schema_name))

    def read(self, names: list[str]) -> Schema:
        if not names:
            return Schema((), tuple(self.enums()))
        self.prepare(names)
        kw: dict[str, Any] = {"schema": self.schema_name, "filter_names": names}
        columns = self.insp.get_multi_columns(**kw)
        pks = self.insp.get_multi_pk_constraint(**kw)
        uniques = self.insp.get_multi_unique_constraints(**kw)
        fks = self.insp.get_multi_foreign_keys(**kw)
        checks = self.multi_checks(names)
        comments = self.multi_comments(names)
        tables = []
        for name in names:
            key = (self.schema_name, name)
            reflected_uniques = list(uniques.get(key, []))
            reflected_fks = list(fks.get(key, []))
            pk_info = pks.get(key)
            pk = tuple(pk_info["constrained_columns"] or ()) if pk_info else ()
            cols = self.columns(name, list(columns.get(key, [])), pk)
            tables.append(
                Table(
                    name=name,
                    columns=tuple(cols),
                    primary_key=pk,
                    uniques=tuple(
                        UniqueConstraint(u.get("name"), tuple(u["column_names"]))
                        for u in reflected_uniques
                    ),
                    indexes=tuple(self.indexes(name, reflected_uniques, reflected_fks)),
                    foreign_keys=tuple(self.foreign_keys(name, reflected_fks)),
                    checks=tuple(self.checks(name, cols, checks.get(name, []))),
                    comment=comments.get(name),
                )
            )
        return Schema(tuple(tables), tuple(self.enums()))

    # -- hooks --------------------------------------------------------------------------------
    def prepare(self, names: list[str]) -> None:
        """Run the dialect's catalog queries for `names` (once, before the hooks)."""

    def columns(
        self, table: str, reflected: list[Any], primary_key: tuple[str, ...]
    ) -> list[Column]:
        return [
            Column(
                name=c["name"],
                type=canonical_type(c["type"].compile(dialect=self.conn.dialect)),
                nullable=bool(c["nullable"]),
                default=c.get("default"),
                identity=bool(c.get("identity")),
                comment=c.get("comment") or None,
            )
            for c in reflected
        ]

    def indexes(self, table: str, uniques: list[Any], fks: list[Any]) -> list[Index]:
        """Indexes that are not the backing index of a primary key or unique constraint."""
        reflected = self.insp.get_indexes(table, schema=self.schema_name)
        return [
            Index(
                name=str(i["name"]),
                columns=tuple(str(c) for c in i.get("expressions") or i["column_names"]),
                unique=bool(i["unique"]),
            )
            for i in reflected
            if not i.get("duplicates_constraint")
        ]

    def foreign_keys(self, table: str, reflected: list[Any]) -> list[ForeignKey]:
        result = []
        for fk in reflected:
            options = fk.get("options") or {}
            ref_schema = fk.get("referred_schema")
            ref_table = fk["referred_table"]
            if ref_schema and ref_schema != self.schema:
                ref_table = f"{ref_schema}.{ref_table}"
            result.append(
                ForeignKey(
                    name=fk.get("name"),
                    columns=tuple(fk["constrained_columns"]),
                    ref_table=ref_table,
                    ref_columns=tuple(fk["referred_columns"]),
                    on_delete=normalize_action(options.get("ondelete")),
                    on_update=normalize_action(options.get("onupdate")),
                )
            )
        return result

    def multi_checks(self, names: list[str]) -> dict[str, list[CheckConstraint]]:
        found = self.insp.get_multi_check_constraints(schema=self.schema_name, filter_names=names)
        return {
            key[1]: [CheckConstraint(c.get("name"), c["sqltext"]) for c in checks]
            for key, checks in found.items()
        }

    def checks(
        self, table: str, columns: list[Column], found: list[CheckConstraint]
    ) -> list[CheckConstraint]:
        return found

    def multi_comments(self, names: list[str]) -> dict[str, str | None]:
        found = self.insp.get_multi_table_comment(schema=self.schema_name, filter_names=names)
        return {key[1]: (value or {}).get("text") or None for key, value in found.items()}

    def enums(self) -> list[EnumType]:
        return []


# ---------------------------------------------------------------------------------------------
# Connections, read-only transactions and errors
# ---------------------------------------------------------------------------------------------


def reader_for(conn: Connection, schema_name: str | None) -> Reader:
    """The dialect's Reader for an open connection."""
    # Imported here: the dialect modules import Reader from this module.
    from .introspect_mysql import MySQLReader
    from .introspect_pg import PostgresReader
    from .introspect_sqlite import SQLiteReader

    readers: Mapping[str, type[Reader]] = {
        "postgresql": PostgresReader,
        "mysql": MySQLReader,
        "mariadb": MySQLReader,
        "sqlite": SQLiteReader,
    }
    name = conn.dialect.name
    if name not in readers:
        raise IntrospectionError(
            f"cannot introspect a {name} database",
            "use PostgreSQL, MySQL/MariaDB or SQLite",
        )
    return readers[name](conn, schema_name)


@contextlib.contextmanager
def _connection(source: Engine | Connection | str | URL) -> Iterator[Connection]:
    """An open connection inside a read-only transaction that is rolled back afterwards.

    A caller's own Connection is used as it is: its transaction belongs to the caller, and
    PostgreSQL refuses SET TRANSACTION READ ONLY once a transaction has run a query.
    """
    if isinstance(source, Connection):
        yield source
        return
    engine, owned = _engine(source)
    try:
        try:
            conn = engine.connect()
        except SQLAlchemyError as exc:
            raise IntrospectionError(
                f"cannot connect to {_safe_url(engine.url)}: {_reason(exc)}", _HINT_REACH
            ) from exc
        with conn, _read_only(conn):
            yield conn
    finally:
        if owned:
            engine.dispose()


def _engine(source: Engine | str | URL) -> tuple[Engine, bool]:
    if isinstance(source, Engine):
        return source, False
    try:
        url = make_url(source)
        return create_engine(url, poolclass=NullPool), True
    except (NoSuchModuleError, ImportError) as exc:  # NoSuchModuleError is an ArgumentError
        raise IntrospectionError(
            f"cannot use {redact(str(source))}: {_reason(exc)}",
            "install the driver the URL names (psycopg, PyMySQL) or change the URL",
        ) from exc
    except (ArgumentError, ValueError) as exc:
        raise IntrospectionError(
            f"not a database URL: {redact(str(source))}",
            "give a SQLAlchemy URL such as postgresql+psycopg://user@host:5432/dbname",
        ) from exc


@contextlib.contextmanager
def _read_only(conn: Connection) -> Iterator[None]:
    """Make the transaction refuse writes, and roll it back: introspection changes nothing."""
    name = conn.dialect.name
    try:
        if name == "mysql" or name == "mariadb":
            # Applies to the next transaction only, which the next statement starts.
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        elif name == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        elif name == "sqlite":
            conn.exec_driver_sql("PRAGMA query_only = ON")
    except OperationalError as exc:
        raise IntrospectionError(
            f"cannot open a read-only transaction on {_where(conn)}: {_reason(exc)}", _HINT_REACH
        ) from exc
    try:
        yield
    finally:
        with contextlib.suppress(SQLAlchemyError):
            conn.rollback()
        if name == "sqlite":
            # A pooled connection must not stay read-only for the engine's next user.
            with contextlib.suppress(SQLAlchemyError):
                conn.exec_driver_sql("PRAGMA query_only = OFF")
                conn.rollback()


def _exclusions(extra: Iterable[str], include_bookkeeping: bool) -> tuple[str, ...]:
    patterns = [p.lower() for p in extra]
    if not include_bookkeeping:
        patterns += [*BOOKKEEPING_TABLES, *BOOKKEEPING_PATTERNS]
    return tuple(patterns)


def _excluded(table: str, patterns: tuple[str, ...]) -> bool:
    name = table.lower()
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _safe_url(url: URL) -> str:
    return redact(url.render_as_string(hide_password=False))


def _where(conn: Connection) -> str:
    return _safe_url(conn.engine.url)


def _reason(exc: BaseException) -> str:
    """The driver's first line, without SQLAlchemy's statement echo, secrets redacted."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return redact(" ".join(lines[0].split())) if lines else type(original).__name__
