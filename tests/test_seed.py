"""seed() on real SQLite, PostgreSQL and MySQL/MariaDB databases.

One schema holds what production data is made of: every canonical type, a PostgreSQL enum,
uniques (one composite), checks the seeder can evaluate and one it cannot (`substr`), a partial
index, foreign keys with a self-reference, a nullable two-table cycle, a NOT NULL self-reference
and a NOT NULL two-table cycle. It is created through `tools.sql.render`, seeded with 1,000 rows
per table, and then checked with plain SQL: the database accepted the rows (so types, NOT NULL,
uniques and checks held), every child points at a real parent, NULLs are present but not
dominant, unicode and type limits are there, and the same seed gives the same data twice.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import dialect_params, require_server
from sqlalchemy.engine import Engine

from migwright.tools import ops as o
from migwright.tools.datacheck import snapshot
from migwright.tools.dialects import get as get_dialect
from migwright.tools.errors import SchemaError, ScratchDatabaseError
from migwright.tools.introspect import introspect
from migwright.tools.schema import CheckConstraint as Check
from migwright.tools.schema import Column as C
from migwright.tools.schema import EnumType, Index, Schema, Table
from migwright.tools.schema import ForeignKey as FK
from migwright.tools.schema import UniqueConstraint as U
from migwright.tools.scratch import ScratchDatabase, create_scratch
from migwright.tools.seed import load_order, seed
from migwright.tools.seed_checks import compile_check
from migwright.tools.seed_hints import column_hints
from migwright.tools.seed_values import ColumnSpec, ValueMaker, unique_key
from migwright.tools.sql import render

ROWS = 1000


def every_type_tables(dialect: str) -> list[Table]:
    partial = None if dialect == "mysql" else "deleted_at IS NULL"  # MySQL: no partial index
    users = Table(
        "users",
        (
            C("id", "integer", False, identity=True),
            C("email", "varchar(120)", False),
            C("name", "varchar(80)", False),
            C("nickname", "varchar(12)"),
            C("bio", "text"),
            C("age", "smallint"),
            C("balance", "numeric(12,2)", False, default="0"),
            C("score", "double"),
            C("ratio", "real"),
            C("active", "boolean", False, default="true"),
            C("born", "date"),
            C("created_at", "timestamp", False, default="CURRENT_TIMESTAMP"),
            C("last_login", "timestamptz"),
            C("prefs", "json"),
            C("meta", "jsonb"),
            C("token", "uuid"),
            C("avatar", "blob"),
            C("mood", "mood"),
            C("status", "varchar(10)", False),
            C("big", "bigint"),
            C("tiny", "smallint"),
            C("deleted_at", "timestamptz"),
            C("label", "varchar(40)"),
            C("wake", "time"),
        ),
        ("id",),
        uniques=(U("uq_users_email", ("email",)), U("uq_users_token", ("token",))),
        indexes=(Index("ix_users_live", ("name",), where=partial),),
        checks=(
            Check("ck_users_age", "age >= 0 AND age <= 150"),
            Check("ck_users_status", "status IN ('active', 'banned', 'pending')"),
            Check("ck_users_name", "char_length(name) >= 1"),
            # substr() is beyond the seeder's evaluator: the database has to judge these rows
            Check("ck_users_label", "substr(label, 1, 1) <> 'u'"),
        ),
    )
    categories = Table(
        "categories",
        (
            C("id", "integer", False, identity=True),
            C("parent_id", "integer"),
            C("name", "varchar(50)", False),
            C("slug", "varchar(60)", False),
        ),
        ("id",),
        uniques=(U("uq_categories_parent_slug", ("parent_id", "slug")),),
        foreign_keys=(FK("fk_categories_parent", ("parent_id",), "categories", ("id",)),),
    )
    products = Table(
        "products",
        (
            C("id", "bigint", False, identity=True),
            C("sku", "varchar(20)", False),
            C("category_id", "integer", False),
            C("price", "numeric(10,2)", False),
            C("stock", "integer", False, default="0"),
            C("title", "varchar(200)"),
            C("weight", "numeric"),  # unconstrained; MySQL makes it DECIMAL(65,30)
        ),
        ("id",),
        uniques=(U("uq_products_sku", ("sku",)),),
        foreign_keys=(FK("fk_products_category", ("category_id",), "categories", ("id",)),),
        checks=(Check("ck_products_price", "price > 0"), Check("ck_products_stock", "stock >= 0")),
    )
    orders = Table(
        "orders",
        (
            C("id", "integer", False, identity=True),
            C("user_id", "integer", False),
            C("placed_at", "timestamptz", False),
            C("shipped_at", "timestamptz"),
            C("total", "numeric(12,2)"),
        ),
        ("id",),
        uniques=(U("uq_orders_user_placed", ("user_id", "placed_at")),),
        foreign_keys=(FK("fk_orders_user", ("user_id",), "users", ("id",)),),
        checks=(Check("ck_orders_shipped", "shipped_at IS NULL OR shipped_at >= placed_at"),),
    )
    items = Table(
        "order_items",
        (
            C("order_id", "integer", False),
            C("product_id", "bigint", False),
            C("quantity", "integer", False),
        ),
        ("order_id", "product_id"),
        foreign_keys=(
            FK("fk_items_order", ("order_id",), "orders", ("id",)),
            FK("fk_items_product", ("product_id",), "products", ("id",)),
        ),
        checks=(Check("ck_items_quantity", "quantity > 0"),),
    )
    teams = Table(
        "teams",
        (
            C("id", "integer", False, identity=True),
            C("name", "varchar(40)", False),
            C("captain_id", "integer"),
        ),
        ("id",),
    )
    members = Table(
        "members",
        (
            C("id", "integer", False, identity=True),
            C("team_id", "integer", False),
            C("name", "varchar(40)", False),
        ),
        ("id",),
        foreign_keys=(FK("fk_members_team", ("team_id",), "teams", ("id",)),),
    )
    employees = Table(
        "employees",
        (
            C("id", "integer", False, identity=True),
            C("manager_id", "integer", False),
            C("name", "varchar(40)", False),
        ),
        ("id",),
        foreign_keys=(FK("fk_employees_manager", ("manager_id",), "employees", ("id",)),),
    )
    a_nodes = Table("a_nodes", (C("id", "integer", False), C("b_id", "integer", False)), ("id",))
    b_nodes = Table(
        "b_nodes",
        (C("id", "integer", False), C("a_id", "integer", False)),
        ("id",),
        foreign_keys=(FK("fk_b_a", ("a_id",), "a_nodes", ("id",)),),
    )
    return [users, categories, products, orders, items, teams, members, employees, a_nodes, b_nodes]


#: Foreign keys that close a cycle: added once both tables exist.
CYCLE_KEYS = [
    ("teams", FK("fk_teams_captain", ("captain_id",), "members", ("id",))),
    ("a_nodes", FK("fk_a_b", ("b_id",), "b_nodes", ("id",))),
]


def create_every_type(engine: Engine, dialect: str) -> Schema:
    ops: list[o.Operation] = [o.CreateEnum(EnumType("mood", ("happy", "sad", "ok")))]
    ops += [o.CreateTable(t) for t in every_type_tables(dialect)]
    ops += [o.AddForeignKey(t, fk) for t, fk in CYCLE_KEYS]
    with engine.begin() as conn:
        for statement in render(ops, Schema(), dialect):
            conn.exec_driver_sql(statement.sql)
    return o.apply_all(ops, Schema())


def _one(engine: Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar()


def _all(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.exec_driver_sql(sql).all())


# ---------------------------------------------------------------------------------------------
# The whole schema, on every dialect
# ---------------------------------------------------------------------------------------------


@pytest.fixture(params=dialect_params())
def seeded(request: pytest.FixtureRequest) -> Any:
    dialect = str(request.param)
    url = require_server(dialect)
    with create_scratch(dialect, None if dialect == "sqlite" else url) as db:
        engine = db.engine()
        schema = create_every_type(engine, dialect)
        report = seed(engine, schema, rows=ROWS, seed=3)
        yield dialect, engine, schema, report


def test_counts_match_the_report_and_the_request(seeded: Any) -> None:
    dialect, engine, schema, report = seeded
    q = get_dialect(dialect).quote
    for table in schema.tables:
        entry = report.table(table.name)
        assert _one(engine, f"SELECT COUNT(*) FROM {q(table.name)}") == entry.rows
        assert entry.rows + entry.dropped_rows == ROWS
        if table.name != "users":
            assert entry.rows == ROWS, (table.name, entry.dropped)
    users = report.table("users")
    # Only the check the seeder cannot evaluate loses rows, and the report says which one.
    assert 0 < users.dropped_rows < ROWS * 0.2
    assert all("ck_users_label" in d.reason for d in users.dropped), users.dropped
    assert report.to_dict()["tables"][0]["rows"] == report.tables[0].rows


def test_children_point_at_real_parents(seeded: Any) -> None:
    dialect, engine, schema, _ = seeded
    q = get_dialect(dialect).quote
    for table in schema.tables:
        for fk in table.foreign_keys:
            on = " AND ".join(
                f"p.{q(r)} = c.{q(col)}" for col, r in zip(fk.columns, fk.ref_columns, strict=True)
            )
            present = " AND ".join(f"c.{q(col)} IS NOT NULL" for col in fk.columns)
            orphans = _one(
                engine,
                f"SELECT COUNT(*) FROM {q(table.name)} c LEFT JOIN {q(fk.ref_table)} p ON {on} "
                f"WHERE {present} AND p.{q(fk.ref_columns[0])} IS NULL",
            )
            assert orphans == 0, fk
    # The self-reference is a forest (roots, and children pointing at other rows), and the
    # NOT NULL cycle and self-reference hold real keys, not placeholders.
    roots = _one(engine, "SELECT COUNT(*) FROM categories WHERE parent_id IS NULL")
    assert 0 < roots < ROWS * 0.3
    assert _one(engine, "SELECT COUNT(DISTINCT parent_id) FROM categories") > 50
    assert _one(engine, "SELECT COUNT(*) FROM employees WHERE manager_id IS NULL") == 0
    assert _one(engine, "SELECT COUNT(*) FROM teams WHERE captain_id IS NOT NULL") > ROWS * 0.7
    assert _one(engine, "SELECT COUNT(DISTINCT b_id) FROM a_nodes") > 100


def test_nulls_are_present_but_not_dominant(seeded: Any) -> None:
    dialect, engine, schema, _ = seeded
    q = get_dialect(dialect).quote
    for table in schema.tables:
        total = _one(engine, f"SELECT COUNT(*) FROM {q(table.name)}")
        for column in table.columns:
            if not column.nullable or column.name in table.primary_key:
                continue
            nulls = _one(
                engine, f"SELECT COUNT(*) FROM {q(table.name)} WHERE {q(column.name)} IS NULL"
            )
            assert 0.02 <= nulls / total <= 0.30, (table.name, column.name, nulls, total)


def test_values_reach_the_edges(seeded: Any) -> None:
    dialect, engine, _, _ = seeded
    limits = _all(
        engine,
        "SELECT MAX(big), MIN(big), MAX(tiny), MIN(tiny), MAX(balance), MIN(balance) FROM users",
    )[0]
    assert [int(v) for v in limits[:4]] == [2**63 - 1, -(2**63), 2**15 - 1, -(2**15)]
    assert Decimal(str(limits[4])) == Decimal("9999999999.99")
    assert Decimal(str(limits[5])) == Decimal("-9999999999.99")
    length = "char_length" if dialect != "sqlite" else "length"
    assert _one(engine, f"SELECT MAX({length}(nickname)) FROM users") == 12
    assert _one(engine, "SELECT COUNT(*) FROM users WHERE bio = ''") >= 1
    texts = [r[0] for r in _all(engine, "SELECT bio FROM users WHERE bio IS NOT NULL")]
    texts += [r[0] for r in _all(engine, "SELECT name FROM users")]
    assert any(any(ord(ch) > 0x2FFF for ch in t) for t in texts)  # CJK
    assert any(any(ord(ch) > 0xFFFF for ch in t) for t in texts)  # emoji (utf8mb4 here)
    assert any("é" in t or "ö" in t or "Å" in t for t in texts)
    moods = {r[0] for r in _all(engine, "SELECT DISTINCT mood FROM users")}
    assert moods == {"happy", "sad", "ok", None}
    statuses = {r[0] for r in _all(engine, "SELECT DISTINCT status FROM users")}
    assert statuses <= {"active", "banned", "pending"} and len(statuses) == 3


def test_rows_look_like_production(seeded: Any) -> None:
    """Repeated values in plain columns, unique ones where required, defaults applied."""
    _, engine, _, _ = seeded
    top = _all(
        engine,
        "SELECT category_id, COUNT(*) FROM products GROUP BY category_id ORDER BY 2 DESC",
    )
    assert top[0][1] >= 5 and len(top) > 100  # popular parents and a long tail
    statuses = _all(engine, "SELECT status, COUNT(*) FROM users GROUP BY status ORDER BY 2 DESC")
    assert statuses[0][1] > statuses[-1][1] * 1.5  # skewed, not uniform
    assert _one(engine, "SELECT COUNT(DISTINCT email) FROM users") == _one(
        engine, "SELECT COUNT(*) FROM users"
    )
    assert _one(engine, "SELECT COUNT(*) FROM users WHERE balance = 0") >= ROWS * 0.05
    live = _one(engine, "SELECT COUNT(*) FROM users WHERE deleted_at IS NULL")
    assert 0 < live < _one(engine, "SELECT COUNT(*) FROM users")  # both sides of the predicate
    bad = _one(
        engine,
        "SELECT COUNT(*) FROM orders WHERE shipped_at IS NOT NULL AND shipped_at < placed_at",
    )
    assert bad == 0


# ---------------------------------------------------------------------------------------------
# Determinism, introspected schemas, subsets, refusals
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", dialect_params())
def test_same_seed_same_data(dialect: str) -> None:
    url = require_server(dialect)
    snapshots = []
    for number in (11, 11, 12):
        with create_scratch(dialect, None if dialect == "sqlite" else url) as db:
            schema = create_every_type(db.engine(), dialect)
            seed(db.engine(), schema, rows=300, seed=number)
            snapshots.append(snapshot(db.engine(), schema))
    assert snapshots[0] == snapshots[1]
    assert snapshots[0].table("users").checksum != snapshots[2].table("users").checksum


def test_seeds_an_introspected_schema(scratch: ScratchDatabase, dialect: str) -> None:
    """What the validator passes: the schema as the database reports it."""
    engine = scratch.engine()
    create_every_type(engine, dialect)
    schema = introspect(engine)
    report = seed(engine, schema, rows=200, seed=5)
    for table in schema.tables:
        expected = 200 - report.table(table.name).dropped_rows
        assert report.table(table.name).rows == expected
        assert report.table(table.name).dropped_rows <= (40 if table.name == "users" else 0)


def test_seeds_only_the_tables_asked_for(sqlite_scratch: ScratchDatabase) -> None:
    engine = sqlite_scratch.engine()
    schema = create_every_type(engine, "sqlite")
    seed(engine, schema, rows=50, tables=["categories"])
    report = seed(engine, schema, rows=80, tables=["products"], seed=1)
    assert report.rows == {"products": 80}
    assert _one(engine, "SELECT COUNT(*) FROM categories") == 50
    assert _one(engine, "SELECT COUNT(*) FROM users") == 0
    with pytest.raises(SchemaError, match="no table named nope"):
        seed(engine, schema, tables=["nope"])


def test_tables_the_database_fills_alone(scratch: ScratchDatabase, dialect: str) -> None:
    """Only an identity column, or only defaults: rows are still made (DEFAULT VALUES)."""
    tables = [
        Table("counters", (C("id", "integer", False, identity=True),), ("id",)),
        Table(
            "settings",
            (C("id", "integer", False, identity=True), C("on", "boolean", False, default="true")),
            ("id",),
        ),
    ]
    engine = scratch.engine()
    schema = o.apply_all([o.CreateTable(t) for t in tables], Schema())
    with engine.begin() as conn:
        for statement in render([o.CreateTable(t) for t in tables], Schema(), dialect):
            conn.exec_driver_sql(statement.sql)
    report = seed(engine, schema, rows=25)
    assert report.rows == {"counters": 25, "settings": 25}
    assert _one(engine, "SELECT COUNT(DISTINCT id) FROM counters") == 25


def test_refuses_a_database_it_did_not_create(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'production.sqlite3'}")
    with pytest.raises(ScratchDatabaseError, match="not a scratch database"):
        seed(engine, Schema((Table("t", (C("id", "integer", False),), ("id",)),)))
    engine.dispose()


@pytest.mark.mysql
def test_mysql_limits_the_canonical_type_hides(mysql_scratch: ScratchDatabase) -> None:
    """tinyint is `smallint` and utf8mb3 is `varchar` to the schema; the seeder asks MySQL."""
    engine = mysql_scratch.engine()
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE gauges (id INT AUTO_INCREMENT PRIMARY KEY, level TINYINT NOT NULL, "
            "pct TINYINT UNSIGNED, note VARCHAR(30) CHARACTER SET utf8mb3, "
            "legacy VARCHAR(30) CHARACTER SET latin1, body TINYTEXT, seen TIMESTAMP NULL, "
            "f FLOAT, vb VARBINARY(16), bn BINARY(16) UNIQUE, k ENUM('a','b','c') NOT NULL, "
            "s SET('x','y'), yr YEAR, m MEDIUMINT UNSIGNED, big DECIMAL(65,30), tb TINYBLOB)"
        )
    report = seed(engine, introspect(engine), rows=400, seed=2)
    assert report.table("gauges").rows == 400, report.table("gauges").dropped
    levels = _all(engine, "SELECT MIN(level), MAX(level), MIN(pct), MAX(pct) FROM gauges")[0]
    assert tuple(levels) == (-128, 127, 0, 255)
    notes = [r[0] for r in _all(engine, "SELECT note FROM gauges WHERE note IS NOT NULL")]
    assert notes and all(all(ord(ch) <= 0xFFFF for ch in n) for n in notes)
    assert any(any(ord(ch) > 0x7F for ch in n) for n in notes)  # still not plain ASCII
    legacy = [r[0] for r in _all(engine, "SELECT legacy FROM gauges WHERE legacy IS NOT NULL")]
    assert all(all(ord(ch) <= 0xFF for ch in n) for n in legacy)
    seen = _one(engine, "SELECT MIN(seen) FROM gauges")
    assert seen >= dt.datetime(1970, 1, 2)
    assert _one(engine, "SELECT MAX(m) FROM gauges") == 2**24 - 1
    assert _one(engine, "SELECT COUNT(DISTINCT k) FROM gauges") == 3


@pytest.mark.mysql
def test_mysql_session_is_left_as_found(mysql_scratch: ScratchDatabase) -> None:
    """Seeding relaxes FOREIGN_KEY_CHECKS and reads in UTC; the pooled connection gets both
    back, so the migration that runs next sees the server's own settings."""
    engine = mysql_scratch.engine()
    schema = create_every_type(engine, "mysql")
    with engine.connect() as conn:
        before = conn.exec_driver_sql("SELECT @@session.time_zone").scalar()
        pid = conn.exec_driver_sql("SELECT CONNECTION_ID()").scalar()
    seed(engine, schema, rows=50, tables=["a_nodes", "b_nodes"])
    snapshot(engine, schema)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT CONNECTION_ID()").scalar() == pid  # same session
        assert conn.exec_driver_sql("SELECT @@session.time_zone").scalar() == before
        assert conn.exec_driver_sql("SELECT @@session.foreign_key_checks").scalar() == 1


# ---------------------------------------------------------------------------------------------
# Building blocks, no database
# ---------------------------------------------------------------------------------------------


def test_load_order_puts_parents_first_and_cycles_together() -> None:
    schema = o.apply_all(
        [o.CreateTable(t) for t in every_type_tables("postgresql")]
        + [o.AddForeignKey(t, fk) for t, fk in CYCLE_KEYS],
        Schema(),
    )
    order = load_order(schema, schema.table_names)
    flat = [t for unit in order for t in unit]
    assert flat.index("users") < flat.index("orders") < flat.index("order_items")
    assert flat.index("categories") < flat.index("products") < flat.index("order_items")
    units = {unit for unit in order if len(unit) > 1}
    # teams first: its key into members is the nullable one, so no NOT NULL key points ahead
    assert units == {("teams", "members"), ("a_nodes", "b_nodes")}


def test_checks_are_evaluated_with_sql_logic() -> None:
    check = compile_check(Check(None, "shipped_at IS NULL OR shipped_at >= placed_at"))
    assert check is not None
    day = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    assert check.holds({"shipped_at": None, "placed_at": day})
    assert check.holds({"shipped_at": day, "placed_at": day})
    assert not check.holds({"shipped_at": day - dt.timedelta(days=1), "placed_at": day})
    in_list = compile_check(Check(None, "(status)::text = ANY (ARRAY['a'::text, 'b'::text])"))
    assert in_list is not None
    assert in_list.holds({"status": "a"}) and not in_list.holds({"status": "c"})
    assert in_list.holds({"status": None})  # NULL is not FALSE: a check passes
    assert compile_check(Check(None, "name ~ '^[a-z]+$'")) is None  # left to the database
    hints = column_hints(
        [
            c
            for c in (
                compile_check(Check(None, "qty > 0 AND qty <= 10")),
                compile_check(Check(None, "char_length(code) BETWEEN 2 AND 4")),
                compile_check(Check(None, "kind IN ('x', 'y')")),
            )
            if c is not None
        ]
    )
    assert (hints["qty"].low, hints["qty"].low_strict, hints["qty"].high) == (0, True, 10)
    assert (hints["code"].min_length, hints["code"].max_length) == (2, 4)
    assert hints["kind"].choices == ("x", "y")


@pytest.mark.parametrize(
    "type_",
    ["integer", "smallint", "numeric(6,2)", "varchar(3)", "text", "date", "timestamptz", "uuid"],
)
def test_unique_values_do_not_repeat(type_: str) -> None:
    maker = ValueMaker(ColumnSpec("code", type_, nullable=False), random.Random(1), 2000)
    rng = random.Random(2)
    values = [maker.unique(i, 0, rng) for i in range(2000)]
    assert len({unique_key(v) for v in values}) == 2000


def test_hints_steer_the_generators() -> None:
    hints = column_hints([c for c in [compile_check(Check(None, "qty BETWEEN 5 AND 9"))] if c])
    maker = ValueMaker(ColumnSpec("qty", "integer", False, hint=hints["qty"]), random.Random(), 100)
    rng = random.Random(3)
    values = maker.boundaries + [maker.common(rng) for _ in range(200)]
    assert set(values) <= set(range(5, 10)) and {5, 9} <= set(values)
