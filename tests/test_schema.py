"""The schema value: type aliases, default spellings and generated names normalise away."""

from __future__ import annotations

import pytest

from migwright.tools.errors import SchemaError
from migwright.tools.schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
    canonical_type,
    constraint_name,
    is_generated_name,
    normalize_action,
    normalize_default,
    normalize_expression,
)


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("int4", "integer"),
        ("INT", "integer"),
        ("int(11)", "integer"),
        ("int8", "bigint"),
        ("bigint unsigned", "bigint"),
        ("serial", "integer"),
        ("bigserial", "bigint"),
        ("bool", "boolean"),
        ("tinyint(1)", "boolean"),
        ("character varying(20)", "varchar(20)"),
        ("VARCHAR(255)", "varchar(255)"),
        ("character(3)", "char(3)"),
        ("bpchar", "char(1)"),
        ("NUMERIC(12, 2)", "numeric(12,2)"),
        ("decimal(10)", "numeric(10,0)"),
        ("double precision", "double"),
        ("float8", "double"),
        ("timestamp without time zone", "timestamp"),
        ("timestamp(6) with time zone", "timestamptz"),
        ("datetime(6)", "timestamp"),
        ("text[]", "text[]"),
        ("enum('a', 'b')", "enum('a','b')"),
        ("mood", "mood"),
    ],
)
def test_canonical_type(written: str, canonical: str) -> None:
    assert canonical_type(written) == canonical


@pytest.mark.parametrize(
    ("stored", "written", "type_"),
    [
        ("'pending'::character varying", "'pending'", "varchar(20)"),
        ("now()", "CURRENT_TIMESTAMP", "timestamptz"),
        ("current_timestamp()", "CURRENT_TIMESTAMP", "timestamp"),
        ("1", "true", "boolean"),
        ("'0'", "false", "boolean"),
        ("0.00", "0", "numeric(10,2)"),
        ("'7'", "7", "integer"),
        ("(0)::numeric", "0", "numeric(10,2)"),
    ],
)
def test_default_spellings_fold(stored: str, written: str, type_: str) -> None:
    assert normalize_default(stored, type_) == normalize_default(written, type_)


def test_null_default_is_no_default() -> None:
    assert normalize_default("NULL", "text") is None
    assert normalize_default("null::character varying", "varchar(3)") is None


@pytest.mark.parametrize(
    ("stored", "written"),
    [
        ("(price > (0)::numeric)", "price > 0"),
        (
            "((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
            "status IN ('a', 'b')",
        ),
        ("`qty` >= 0", "qty >= 0"),
        ('"Qty" >= 0', "qty >= 0"),
    ],
)
def test_check_expressions_fold(stored: str, written: str) -> None:
    assert normalize_expression(stored) == normalize_expression(written)


def test_different_expressions_stay_different() -> None:
    assert normalize_expression("price > 0") != normalize_expression("price >= 0")


def _orders(fk_name: str | None, check_name: str | None, col_type: str = "int4") -> Schema:
    users = Table("users", (Column("id", "bigint", False, identity=True),), ("id",))
    orders = Table(
        "orders",
        (
            Column("id", "bigint", False, identity=True),
            Column("user_id", "bigint", True),
            Column("qty", col_type, False, "'0'"),
        ),
        ("id",),
        foreign_keys=(ForeignKey(fk_name, ("user_id",), "users", ("id",), "cascade", "no action"),),
        checks=(CheckConstraint(check_name, "qty >= 0"),),
    )
    return Schema((orders, users))


def test_generated_constraint_names_compare_equal_to_unnamed() -> None:
    pg = _orders("orders_user_id_fkey", "orders_qty_check")
    mysql = _orders("orders_ibfk_1", "CONSTRAINT_1", "integer")
    unnamed = _orders(None, None, "INT")
    assert pg.same_as(unnamed)
    assert mysql.same_as(unnamed)


def test_chosen_names_matter() -> None:
    assert not _orders("fk_orders_user", None).same_as(_orders("fk_orders_buyer", None))


def test_column_order_does_not_matter_but_types_do() -> None:
    a = Schema((Table("t", (Column("a", "int"), Column("b", "text"))),))
    b = Schema((Table("t", (Column("b", "text"), Column("a", "integer"))),))
    c = Schema((Table("t", (Column("b", "text"), Column("a", "bigint"))),))
    assert a.same_as(b)
    assert not a.same_as(c)


def test_primary_key_columns_are_not_null_and_pk_unique_is_redundant() -> None:
    a = Table(
        "t", (Column("id", "int", nullable=True),), ("id",), (UniqueConstraint("x", ("id",)),)
    )
    b = Table("t", (Column("id", "int", nullable=False),), ("id",))
    assert Schema((a,)).same_as(Schema((b,)))


def test_index_method_btree_is_default_and_expressions_fold() -> None:
    a = Table("t", (Column("e", "text"),), indexes=(Index("ix", ("lower(e)",), using="btree"),))
    b = Table("t", (Column("e", "text"),), indexes=(Index("ix", ("LOWER(e)",)),))
    assert Schema((a,)).same_as(Schema((b,)))


def test_lookup_errors_name_the_fix() -> None:
    schema = _orders(None, None)
    with pytest.raises(SchemaError) as info:
        schema.table("order")
    assert "orders" in info.value.hint
    with pytest.raises(SchemaError) as info:
        schema.table("orders").column("total")
    assert "qty" in info.value.hint


def test_constraint_names_are_deterministic_and_short() -> None:
    assert constraint_name("fk", "orders", ["user_id"]) == "fk_orders_user_id"
    long = constraint_name("ix", "t" * 40, ["c" * 40])
    assert len(long) == 63
    assert long == constraint_name("ix", "t" * 40, ["c" * 40])
    assert is_generated_name("orders_user_id_fkey", "orders")
    assert not is_generated_name("fk_orders_user_id", "orders")


def test_referential_actions() -> None:
    assert normalize_action("set null") == "SET NULL"
    assert normalize_action("No Action") is None
    with pytest.raises(SchemaError):
        normalize_action("explode")


def test_schema_is_frozen_and_sorted() -> None:
    schema = Schema((Table("b", (Column("x", "int"),)), Table("a", (Column("x", "int"),))))
    assert schema.table_names == ("a", "b")
    with pytest.raises(AttributeError):
        schema.tables = ()  # type: ignore[misc]


def test_stored_check_spellings_fold() -> None:
    pg = "((total > (0)::numeric) AND ((status)::text = ANY (ARRAY['a'::text])))"
    assert normalize_expression(pg) == normalize_expression("total > 0 AND status IN ('a')")
    assert normalize_expression("NOT x IS NULL") == normalize_expression("x IS NOT NULL")
    assert normalize_expression("(a OR b) AND c") != normalize_expression("a OR b AND c")


def test_mariadb_and_mysql8_check_names_are_generated() -> None:
    inline = Table(
        "t", (Column("score", "int"),), checks=(CheckConstraint("score", "`score` >= 0"),)
    )
    mysql8 = Table(
        "t", (Column("score", "int"),), checks=(CheckConstraint("t_chk_1", "score >= 0"),)
    )
    plain = Table("t", (Column("score", "int"),), checks=(CheckConstraint(None, "score >= 0"),))
    assert Schema((inline,)).same_as(Schema((plain,)))
    assert Schema((mysql8,)).same_as(Schema((plain,)))
