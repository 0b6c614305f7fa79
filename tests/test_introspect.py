"""introspect() on real SQLite, PostgreSQL and MySQL/MariaDB databases.

Each dialect gets hand-written DDL with what its servers report in their own way (serial and
identity, AUTO_INCREMENT, INTEGER PRIMARY KEY; partial and expression indexes; foreign keys with
actions; checks; enums; comments; defaults of every kind; bookkeeping tables), and the result is
compared with the Schema a person would write for it, after `normalized()`. Introspection then
runs on a connection the server itself keeps read-only, so any write it tried would fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from migwright.tools.errors import IntrospectionError
from migwright.tools.introspect import introspect, is_bookkeeping
from migwright.tools.schema import (
    CheckConstraint,
    Column,
    EnumType,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
)
from migwright.tools.scratch import ScratchDatabase


def _run(db: ScratchDatabase, statements: list[str]) -> None:
    with db.engine().begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _assert_same(actual: Schema, expected: Schema) -> None:
    got, want = actual.normalized(), expected.normalized()
    assert got == want, f"\n--- expected ---\n{want.describe()}\n--- got ---\n{got.describe()}"


@pytest.fixture
def pg_read_only(pg_scratch: ScratchDatabase) -> Iterator[Engine]:
    """An engine on the scratch database whose every transaction the server makes read-only."""
    engine = create_engine(
        pg_scratch.url, connect_args={"options": "-c default_transaction_read_only=on"}
    )
    yield engine
    engine.dispose()


@pytest.fixture
def mysql_read_only(mysql_scratch: ScratchDatabase) -> Iterator[Engine]:
    engine = create_engine(mysql_scratch.url)

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET SESSION TRANSACTION READ ONLY")

    yield engine
    engine.dispose()


def _assert_refuses_writes(source: Engine | str) -> None:
    """The read-only connections below really are: a write through them fails."""
    engine = create_engine(source) if isinstance(source, str) else source
    with pytest.raises(DBAPIError), engine.connect() as conn:
        conn.execute(text("CREATE TABLE probe (id integer PRIMARY KEY)"))
    if isinstance(source, str):
        engine.dispose()


def _sqlite_read_only_url(db: ScratchDatabase) -> str:
    path = Path(db.url.removeprefix("sqlite:///"))
    return f"sqlite:///file:{path}?mode=ro&uri=true"


# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------

PG_DDL = [
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
    """CREATE TABLE users (
        id serial PRIMARY KEY,
        email varchar(200) NOT NULL,
        name text DEFAULT 'anon',
        active boolean NOT NULL DEFAULT true,
        created timestamptz NOT NULL DEFAULT now(),
        score numeric(10,2) DEFAULT 0 CHECK (score >= 0),
        ratio double precision DEFAULT 1.5,
        feeling mood DEFAULT 'ok',
        tags text[],
        manager_id integer,
        CONSTRAINT uq_users_email UNIQUE (email),
        CONSTRAINT fk_users_manager FOREIGN KEY (manager_id) REFERENCES users (id)
            ON DELETE SET NULL
    )""",
    "COMMENT ON TABLE users IS 'people who order'",
    "COMMENT ON COLUMN users.email IS 'login name'",
    """CREATE TABLE orders (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id integer REFERENCES users (id) ON DELETE CASCADE,
        total numeric(12,2) NOT NULL,
        status varchar(20) NOT NULL DEFAULT 'new',
        placed date DEFAULT CURRENT_DATE,
        CONSTRAINT ck_orders_total CHECK (total > 0),
        CONSTRAINT ck_orders_status CHECK (status IN ('new', 'paid'))
    )""",
    """CREATE TABLE order_lines (
        order_id bigint NOT NULL,
        line integer NOT NULL,
        qty smallint NOT NULL DEFAULT 1,
        PRIMARY KEY (order_id, line),
        CONSTRAINT fk_lines_order FOREIGN KEY (order_id) REFERENCES orders (id)
            ON DELETE RESTRICT ON UPDATE CASCADE
    )""",
    "CREATE INDEX ix_orders_open ON orders (user_id) WHERE status <> 'paid'",
    "CREATE UNIQUE INDEX ix_orders_status_total ON orders (status, total)",
    "CREATE INDEX ix_users_lower ON users (lower(email), id)",
    "CREATE INDEX ix_users_tags ON users USING gin (tags)",
    "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)",
    "CREATE TABLE _migwright_runs (id integer PRIMARY KEY)",
    "CREATE TABLE audit_log (id integer PRIMARY KEY)",
    "CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100",
]

PG_EXPECTED = Schema(
    (
        Table(
            "users",
            (
                Column("id", "integer", nullable=False, identity=True),
                Column("email", "varchar(200)", nullable=False, comment="login name"),
                Column("name", "text", default="'anon'"),
                Column("active", "boolean", nullable=False, default="true"),
                Column("created", "timestamptz", nullable=False, default="CURRENT_TIMESTAMP"),
                Column("score", "numeric(10,2)", default="0"),
                Column("ratio", "double", default="1.5"),
                Column("feeling", "mood", default="'ok'"),
                Column("tags", "text[]"),
                Column("manager_id", "integer"),
            ),
            ("id",),
            uniques=(UniqueConstraint("uq_users_email", ("email",)),),
            indexes=(
                Index("ix_users_lower", ("lower(email)", "id")),
                Index("ix_users_tags", ("tags",), using="gin"),
            ),
            foreign_keys=(
                ForeignKey("fk_users_manager", ("manager_id",), "users", ("id",), "SET NULL"),
            ),
            checks=(CheckConstraint(None, "score >= 0"),),
            comment="people who order",
        ),
        Table(
            "orders",
            (
                Column("id", "bigint", nullable=False, identity=True),
                Column("user_id", "integer"),
                Column("total", "numeric(12,2)", nullable=False),
                Column("status", "varchar(20)", nullable=False, default="'new'"),
                Column("placed", "date", default="CURRENT_DATE"),
            ),
            ("id",),
            indexes=(
                Index("ix_orders_open", ("user_id",), where="status <> 'paid'"),
                Index("ix_orders_status_total", ("status", "total"), unique=True),
            ),
            foreign_keys=(ForeignKey(None, ("user_id",), "users", ("id",), "CASCADE"),),
            checks=(
                CheckConstraint("ck_orders_total", "total > 0"),
                CheckConstraint("ck_orders_status", "status IN ('new', 'paid')"),
            ),
        ),
        Table(
            "order_lines",
            (
                Column("order_id", "bigint", nullable=False),
                Column("line", "integer", nullable=False),
                Column("qty", "smallint", nullable=False, default="1"),
            ),
            ("order_id", "line"),
            foreign_keys=(
                ForeignKey(
                    "fk_lines_order", ("order_id",), "orders", ("id",), "RESTRICT", "CASCADE"
                ),
            ),
        ),
    ),
    (EnumType("mood", ("sad", "ok", "happy")),),
)


@pytest.mark.postgres
def test_postgres_schema_is_read_as_written(
    pg_scratch: ScratchDatabase, pg_read_only: Engine
) -> None:
    _run(pg_scratch, PG_DDL)
    _assert_refuses_writes(pg_read_only)
    schema = introspect(pg_read_only, exclude=["audit_*"])
    _assert_same(schema, PG_EXPECTED)
    assert schema.diff(PG_EXPECTED) == []
    users, orders = schema.table("users"), schema.table("orders")
    assert users.column("id").default is None  # serial's nextval() is the identity, not a default
    assert orders.column("status").default == "'new'::character varying"  # as stored
    assert orders.foreign_keys[0].name == "orders_user_id_fkey"  # the real name, to drop it by
    assert {c.name for c in users.checks} == {"users_score_check"}


@pytest.mark.postgres
def test_postgres_bookkeeping_and_other_schemas(
    pg_scratch: ScratchDatabase, pg_read_only: Engine
) -> None:
    _run(
        pg_scratch,
        [
            *PG_DDL,
            "CREATE SCHEMA billing",
            "CREATE TYPE billing.currency AS ENUM ('eur', 'usd')",
            """CREATE TABLE billing.invoices (
                id integer PRIMARY KEY,
                user_id integer REFERENCES public.users (id),
                currency billing.currency NOT NULL
            )""",
        ],
    )
    everything = introspect(pg_read_only, include_bookkeeping=True)
    assert set(everything.table_names) == {
        "_migwright_runs",
        "alembic_version",
        "audit_log",
        "order_lines",
        "orders",
        "users",
    }
    billing = introspect(pg_read_only, schema_name="billing")
    assert billing.table_names == ("invoices",)
    assert billing.enums == (EnumType("currency", ("eur", "usd")),)
    (fk,) = billing.table("invoices").foreign_keys
    assert fk.ref_table == "public.users"
    with pytest.raises(IntrospectionError) as err:
        introspect(pg_read_only, schema_name="nowhere")
    assert "billing" in err.value.hint


# ---------------------------------------------------------------------------------------------
# MySQL / MariaDB
# ---------------------------------------------------------------------------------------------

MYSQL_DDL = [
    """CREATE TABLE users (
        id int AUTO_INCREMENT PRIMARY KEY,
        email varchar(200) NOT NULL,
        name varchar(50) DEFAULT 'anon',
        motto varchar(20) DEFAULT 'it''s ok',
        active tinyint(1) NOT NULL DEFAULT 1,
        created timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
        score decimal(10,2) DEFAULT 0 CHECK (score >= 0),
        ratio double DEFAULT 1.5,
        feeling enum('sad','ok','happy') DEFAULT 'ok',
        data json,
        notes text COMMENT 'free text',
        manager_id int NULL,
        CONSTRAINT uq_users_email UNIQUE (email),
        CONSTRAINT fk_users_manager FOREIGN KEY (manager_id) REFERENCES users (id)
            ON DELETE SET NULL
    ) COMMENT 'people who order'""",
    """CREATE TABLE orders (
        id bigint NOT NULL AUTO_INCREMENT,
        user_id int,
        total decimal(12,2) NOT NULL,
        status varchar(20) NOT NULL DEFAULT 'new',
        code varchar(10),
        PRIMARY KEY (id),
        CONSTRAINT ck_orders_total CHECK (total > 0),
        CONSTRAINT ck_orders_status CHECK (status IN ('new', 'paid')),
        FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE ON UPDATE CASCADE
    )""",
    "CREATE INDEX ix_orders_user_total ON orders (user_id, total)",
    "CREATE UNIQUE INDEX ix_orders_code ON orders (code)",
    "CREATE TABLE django_migrations (id int PRIMARY KEY)",
    "CREATE TABLE knex_migrations_lock (id int PRIMARY KEY)",
]


def _mysql_expected(mariadb: bool) -> Schema:
    return Schema(
        (
            Table(
                "users",
                (
                    Column("id", "integer", nullable=False, identity=True),
                    Column("email", "varchar(200)", nullable=False),
                    Column("name", "varchar(50)", default="'anon'"),
                    Column("motto", "varchar(20)", default="'it''s ok'"),
                    Column("active", "boolean", nullable=False, default="true"),
                    Column("created", "timestamp", nullable=False, default="CURRENT_TIMESTAMP"),
                    Column("score", "numeric(10,2)", default="0"),
                    Column("ratio", "double", default="1.5"),
                    Column("feeling", "enum('sad','ok','happy')", default="'ok'"),
                    Column("data", "json"),
                    Column("notes", "text", comment="free text"),
                    Column("manager_id", "integer"),
                ),
                ("id",),
                uniques=(UniqueConstraint("uq_users_email", ("email",)),),
                foreign_keys=(
                    ForeignKey("fk_users_manager", ("manager_id",), "users", ("id",), "SET NULL"),
                ),
                # MariaDB names an inline check after its column, MySQL 8 `<table>_chk_<n>`.
                checks=(CheckConstraint("score" if mariadb else "users_chk_1", "score >= 0"),),
                comment="people who order",
            ),
            Table(
                "orders",
                (
                    Column("id", "bigint", nullable=False, identity=True),
                    Column("user_id", "integer"),
                    Column("total", "numeric(12,2)", nullable=False),
                    Column("status", "varchar(20)", nullable=False, default="'new'"),
                    Column("code", "varchar(10)"),
                ),
                ("id",),
                # A unique index is a unique constraint in MySQL; the FK's own index is implied.
                uniques=(UniqueConstraint("ix_orders_code", ("code",)),),
                indexes=(Index("ix_orders_user_total", ("user_id", "total")),),
                foreign_keys=(
                    ForeignKey(
                        "orders_ibfk_1", ("user_id",), "users", ("id",), "CASCADE", "CASCADE"
                    ),
                ),
                checks=(
                    CheckConstraint("ck_orders_total", "total > 0"),
                    CheckConstraint("ck_orders_status", "status IN ('new', 'paid')"),
                ),
            ),
        )
    )


@pytest.mark.mysql
def test_mysql_schema_is_read_as_written(
    mysql_scratch: ScratchDatabase, mysql_read_only: Engine
) -> None:
    _run(mysql_scratch, MYSQL_DDL)
    _assert_refuses_writes(mysql_read_only)
    with mysql_read_only.connect() as conn:  # the dialect learns is_mariadb on first connect
        mariadb = bool(getattr(conn.dialect, "is_mariadb", False))
    schema = introspect(mysql_read_only)
    _assert_same(schema, _mysql_expected(mariadb))
    assert schema.diff(_mysql_expected(mariadb)) == []
    users = schema.table("users")
    assert users.column("name").default == "'anon'"  # SQL text, on MySQL 8 as on MariaDB
    assert users.column("data").type == "json"
    assert not any("json_valid" in c.expression for c in users.checks)
    assert [i.name for i in schema.table("orders").indexes] == ["ix_orders_user_total"]


@pytest.mark.mysql
def test_mysql_bookkeeping_is_left_out_unless_asked(
    mysql_scratch: ScratchDatabase, mysql_read_only: Engine
) -> None:
    _run(mysql_scratch, MYSQL_DDL)
    assert introspect(mysql_read_only).table_names == ("orders", "users")
    kept = introspect(mysql_read_only, include_bookkeeping=True, exclude=["orders"])
    assert kept.table_names == ("django_migrations", "knex_migrations_lock", "users")


# ---------------------------------------------------------------------------------------------
# SQLite
# ---------------------------------------------------------------------------------------------

SQLITE_DDL = [
    """CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        email varchar(200) NOT NULL,
        name text DEFAULT 'anon',
        active boolean NOT NULL DEFAULT 1,
        created timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
        score numeric(10,2) DEFAULT 0 CHECK (score >= 0),
        ratio real DEFAULT 1.5,
        manager_id integer REFERENCES users (id) ON DELETE SET NULL,
        CONSTRAINT uq_users_email UNIQUE (email)
    )""",
    """CREATE TABLE orders (
        id integer NOT NULL,
        user_id int,
        total decimal(12,2) NOT NULL,
        status varchar(20) NOT NULL DEFAULT ('new'),
        CONSTRAINT pk_orders PRIMARY KEY (id),
        CONSTRAINT ck_orders_total CHECK (total > 0),
        CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id)
            ON DELETE CASCADE ON UPDATE RESTRICT
    )""",
    "CREATE TABLE counters (id INTEGER PRIMARY KEY AUTOINCREMENT, n bigint DEFAULT 0)",
    "CREATE TABLE pairs (a integer NOT NULL, b integer NOT NULL, PRIMARY KEY (a, b))",
    "CREATE TABLE words (id INTEGER PRIMARY KEY, word text) WITHOUT ROWID",
    "CREATE TABLE big (id bigint PRIMARY KEY, misc)",
    "CREATE INDEX ix_orders_open ON orders (user_id) WHERE status <> 'paid'",
    "CREATE UNIQUE INDEX ix_users_lower ON users (lower(email))",
    "CREATE INDEX ix_pairs_b ON pairs (b DESC)",
    "CREATE TABLE knex_migrations (id integer PRIMARY KEY, name varchar(255))",
    "CREATE TABLE SequelizeMeta (name varchar(255) PRIMARY KEY)",
]

SQLITE_EXPECTED = Schema(
    (
        Table(
            "users",
            (
                Column("id", "integer", nullable=False, identity=True),
                Column("email", "varchar(200)", nullable=False),
                Column("name", "text", default="'anon'"),
                Column("active", "boolean", nullable=False, default="1"),
                Column("created", "timestamp", nullable=False, default="CURRENT_TIMESTAMP"),
                Column("score", "numeric(10,2)", default="0"),
                Column("ratio", "real", default="1.5"),
                Column("manager_id", "integer"),
            ),
            ("id",),
            uniques=(UniqueConstraint("uq_users_email", ("email",)),),
            indexes=(Index("ix_users_lower", ("lower(email)",), unique=True),),
            foreign_keys=(ForeignKey(None, ("manager_id",), "users", ("id",), "SET NULL"),),
            checks=(CheckConstraint(None, "score >= 0"),),
        ),
        Table(
            "orders",
            (
                Column("id", "integer", nullable=False, identity=True),
                Column("user_id", "integer"),
                Column("total", "numeric(12,2)", nullable=False),
                Column("status", "varchar(20)", nullable=False, default="'new'"),
            ),
            ("id",),
            indexes=(Index("ix_orders_open", ("user_id",), where="status <> 'paid'"),),
            foreign_keys=(
                ForeignKey("fk_orders_user", ("user_id",), "users", ("id",), "CASCADE", "RESTRICT"),
            ),
            checks=(CheckConstraint("ck_orders_total", "total > 0"),),
        ),
        Table(
            "counters",
            (
                Column("id", "integer", nullable=False, identity=True),
                Column("n", "bigint", default="0"),
            ),
            ("id",),
        ),
        Table(
            "pairs",
            (Column("a", "integer", nullable=False), Column("b", "integer", nullable=False)),
            ("a", "b"),
            indexes=(Index("ix_pairs_b", ("b",)),),
        ),
        Table(
            "words",
            (Column("id", "integer", nullable=False), Column("word", "text")),
            ("id",),
        ),
        Table("big", (Column("id", "bigint", nullable=False), Column("misc", "blob")), ("id",)),
    )
)


def test_sqlite_schema_is_read_as_written(sqlite_scratch: ScratchDatabase) -> None:
    _run(sqlite_scratch, SQLITE_DDL)
    _assert_refuses_writes(_sqlite_read_only_url(sqlite_scratch))
    schema = introspect(_sqlite_read_only_url(sqlite_scratch))
    _assert_same(schema, SQLITE_EXPECTED)
    assert schema.diff(SQLITE_EXPECTED) == []
    assert schema.table("orders").primary_key == ("id",)


def test_sqlite_bookkeeping_is_left_out_unless_asked(sqlite_scratch: ScratchDatabase) -> None:
    _run(sqlite_scratch, SQLITE_DDL)
    url = _sqlite_read_only_url(sqlite_scratch)
    assert "knex_migrations" not in introspect(url).table_names
    names = introspect(url, include_bookkeeping=True).table_names
    assert {"knex_migrations", "SequelizeMeta"} <= set(names)
    assert introspect(url, exclude=["ord*", "PAIRS"]).table_names == (
        "big",
        "counters",
        "users",
        "words",
    )


def test_sqlite_engine_stays_writable_after_introspection(sqlite_scratch: ScratchDatabase) -> None:
    engine = sqlite_scratch.engine()
    _run(sqlite_scratch, ["CREATE TABLE t (id integer PRIMARY KEY)"])
    introspect(engine)
    with engine.begin() as conn:  # the pooled connection is not left query_only
        conn.execute(text("INSERT INTO t (id) VALUES (1)"))
    assert introspect(engine).table_names == ("t",)


def test_a_callers_connection_is_used_inside_its_own_transaction(
    sqlite_scratch: ScratchDatabase,
) -> None:
    with sqlite_scratch.engine().connect() as conn:
        conn.execute(text("CREATE TABLE t (id integer PRIMARY KEY, n integer)"))
        schema = introspect(conn)  # sees the uncommitted table: same connection, same transaction
        assert schema.table("t").column("n").type == "integer"
        conn.execute(text("INSERT INTO t (id, n) VALUES (1, 2)"))
        conn.commit()
    assert introspect(sqlite_scratch.engine()).table_names == ("t",)


def test_an_empty_database_is_an_empty_schema(sqlite_scratch: ScratchDatabase) -> None:
    assert introspect(sqlite_scratch.engine()) == Schema()


# ---------------------------------------------------------------------------------------------
# Errors and bookkeeping names
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://app:s3cret@127.0.0.1:1/shop",
        "mysql+pymysql://app:s3cret@127.0.0.1:1/shop",
    ],
)
def test_an_unreachable_server_says_why_without_the_password(url: str) -> None:
    with pytest.raises(IntrospectionError) as err:
        introspect(url)
    message = err.value.one_line()
    assert "s3cret" not in message
    assert "app:***@127.0.0.1:1" in message
    assert "start the server" in err.value.hint


def test_a_missing_sqlite_file_and_a_bad_url_are_introspection_errors(tmp_path: Path) -> None:
    with pytest.raises(IntrospectionError, match="cannot connect"):
        introspect(f"sqlite:///file:{tmp_path / 'missing.db'}?mode=ro&uri=true")
    with pytest.raises(IntrospectionError, match="not a database URL"):
        introspect("definitely not a url")
    with pytest.raises(IntrospectionError, match="cannot use"):
        introspect("oracle+nosuchdriver://u:p@host/db")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("alembic_version", True),
        ("SequelizeMeta", True),
        ("_migwright_state", True),
        ("flyway_schema_history", True),
        ("users", False),
        ("migwright_users", False),
    ],
)
def test_bookkeeping_tables_are_recognised(name: str, expected: bool) -> None:
    assert is_bookkeeping(name) is expected
