"""diff_schemas: the operations that turn one schema into another.

The property tests hold for every pair the strategies draw: applying the diff reaches the
target (`same_as`), its reverse comes back, and a schema differs from itself by nothing. The
example tests pin the order (what must come before what) and the cases the property cannot
see: names, enums, cycles, rebuilds.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from migwright.tools import ops as o
from migwright.tools.diff import diff_schemas
from migwright.tools.errors import SchemaError
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

try:
    from .strategies import schema_pairs, schemas
except ImportError:  # tests/ collected as a plain folder, without an __init__.py
    from strategies import schema_pairs, schemas  # type: ignore[no-redef]

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _kinds(ops: list[o.Operation]) -> list[str]:
    return [type(op).__name__ for op in ops]


def _id(name: str = "id") -> Column:
    return Column(name, "integer", nullable=False, identity=True)


def _users(**changes: object) -> Table:
    base = Table(
        "users",
        (_id(), Column("email", "varchar(200)", nullable=False), Column("age", "integer")),
        ("id",),
        uniques=(UniqueConstraint("uq_users_email", ("email",)),),
        checks=(CheckConstraint("ck_users_age", "age > 0"),),
    )
    from dataclasses import replace

    return replace(base, **changes)  # type: ignore[arg-type]


def _orders(fk_name: str | None = "fk_orders_user_id", **fk: object) -> Table:
    return Table(
        "orders",
        (_id(), Column("user_id", "integer"), Column("total", "numeric(12,2)")),
        ("id",),
        foreign_keys=(ForeignKey(fk_name, ("user_id",), "users", ("id",), **fk),),  # type: ignore[arg-type]
        indexes=(Index("ix_orders_user_id", ("user_id",)),),
    )


# -- properties --------------------------------------------------------------------------------


@PROPERTY
@given(schema_pairs())
def test_diff_reaches_the_target_and_its_reverse_comes_back(pair: tuple[Schema, Schema]) -> None:
    a, b = pair
    ops = diff_schemas(a, b)
    after = o.apply_all(ops, a)
    assert after.same_as(b), "\n".join(op.describe() for op in ops)
    down = o.reverse_all(ops, a)
    assert down.ok
    assert o.apply_all(down.operations, after).same_as(a)


@PROPERTY
@given(schemas(), schemas())
def test_diff_between_unrelated_schemas_reaches_the_target(a: Schema, b: Schema) -> None:
    assert o.apply_all(diff_schemas(a, b), a).same_as(b)


@PROPERTY
@given(schemas())
def test_a_schema_differs_from_itself_and_its_normal_form_by_nothing(a: Schema) -> None:
    assert diff_schemas(a, a) == []
    assert diff_schemas(a, a.normalized()) == []
    assert a.diff(a) == []


@PROPERTY
@given(schemas())
def test_diff_from_empty_creates_everything_and_back_drops_everything(b: Schema) -> None:
    up = diff_schemas(Schema(), b)
    assert {type(op) for op in up} <= {o.CreateTable, o.AddForeignKey}
    assert o.apply_all(up, Schema()).same_as(b)
    down = diff_schemas(b, Schema())
    assert {type(op) for op in down} <= {o.DropTable, o.DropConstraint}
    assert o.apply_all(down, b) == Schema()


# -- order -------------------------------------------------------------------------------------


def test_foreign_keys_and_indexes_go_before_tables_and_columns_come_in_before_checks() -> None:
    a = Schema((_users(), _orders()))
    b = Schema(
        (
            _users(
                columns=(
                    _id(),
                    Column("email", "varchar(200)", nullable=False),
                    Column("nick", "text"),
                ),
                checks=(CheckConstraint("ck_users_nick", "nick <> ''"),),
            ),
        )
    )
    ops = diff_schemas(a, b)
    assert [op.describe() for op in ops] == [
        "- drop constraint ck_users_age on users",
        "- drop table orders",
        "+ add column users.nick text",
        "- drop column users.age",
        "+ add check ck_users_nick on users (nick <> '')",
    ]


def test_new_tables_are_created_referenced_first() -> None:
    b = Schema((_orders(), _users()))
    ops = diff_schemas(Schema(), b)
    assert [op.describe() for op in ops] == [
        "+ create table users (3 columns)",
        "+ create table orders (3 columns)",
    ]
    assert isinstance(ops[1], o.CreateTable) and ops[1].table.foreign_keys


def test_a_cycle_of_new_tables_defers_one_foreign_key() -> None:
    a_table = Table(
        "alpha",
        (_id(), Column("beta_id", "integer")),
        ("id",),
        foreign_keys=(ForeignKey("fk_alpha_beta", ("beta_id",), "beta", ("id",)),),
    )
    b_table = Table(
        "beta",
        (_id(), Column("alpha_id", "integer")),
        ("id",),
        foreign_keys=(ForeignKey("fk_beta_alpha", ("alpha_id",), "alpha", ("id",)),),
    )
    b = Schema((a_table, b_table))
    ops = diff_schemas(Schema(), b)
    assert _kinds(ops) == ["CreateTable", "CreateTable", "AddForeignKey"]
    assert o.apply_all(ops, Schema()).same_as(b)
    down = diff_schemas(b, Schema())
    assert _kinds(down) == ["DropConstraint", "DropConstraint", "DropTable", "DropTable"]
    assert o.apply_all(down, b) == Schema()


def test_a_key_to_a_new_unique_is_added_after_the_unique() -> None:
    a = Schema((Table("users", (_id(), Column("code", "varchar(10)")), ("id",)),))
    target = Table(
        "orders",
        (_id(), Column("user_code", "varchar(10)")),
        ("id",),
        foreign_keys=(ForeignKey("fk_orders_code", ("user_code",), "users", ("code",)),),
    )
    users = a.table("users")
    b = Schema(
        (
            Table(users.name, users.columns, ("id",), (UniqueConstraint("uq_code", ("code",)),)),
            target,
        )
    )
    ops = diff_schemas(a, b)
    assert _kinds(ops) == ["CreateTable", "AddUnique", "AddForeignKey"]
    assert o.apply_all(ops, a).same_as(b)


def test_a_retyped_column_inside_a_foreign_key_moves_the_key_around_the_change() -> None:
    a = Schema((_users(), _orders()))
    users = a.table("users")
    orders = a.table("orders")
    b = Schema(
        (
            users.replace_column("id", Column("id", "bigint", nullable=False, identity=True)),
            orders.replace_column("user_id", Column("user_id", "bigint")),
        )
    )
    ops = diff_schemas(a, b)
    assert [op.describe() for op in ops] == [
        "- drop constraint fk_orders_user_id on orders",
        "~ alter column orders.user_id type bigint",
        "~ alter column users.id type bigint",
        "+ add foreign key fk_orders_user_id orders(user_id) -> users(id)",
    ]


# -- what changes in place and what does not ---------------------------------------------------


def test_generated_and_missing_names_are_the_same_and_need_nothing() -> None:
    a = Schema((_users(), _orders("orders_user_id_fkey")))
    b = Schema((_users(), _orders(None)))
    assert diff_schemas(a, b) == []


def test_an_unnamed_constraint_gets_the_name_postgresql_would_give_it() -> None:
    a = Schema((_users(checks=()),))
    unnamed = (UniqueConstraint(None, ("email", "age")),)
    b = Schema((_users(checks=(CheckConstraint(None, "age > 0"),), uniques=unnamed),))
    ops = diff_schemas(a, b)
    assert ops == [
        o.DropConstraint("users", "uq_users_email"),
        o.AddUnique("users", UniqueConstraint("users_email_age_key", ("email", "age"))),
        o.AddCheck("users", CheckConstraint("users_age_check", "age > 0")),
    ]
    assert o.apply_all(ops, a).same_as(b)
    assert o.reverse_all(ops, a).ok


def test_dropping_an_unnamed_constraint_asks_for_its_real_name() -> None:
    a = Schema((_users(checks=(CheckConstraint(None, "age > 0"),)),))
    with pytest.raises(SchemaError) as err:
        diff_schemas(a, Schema((_users(checks=()),)))
    assert "introspect" in err.value.hint


def test_alter_column_carries_only_what_changed() -> None:
    a = Schema((_users(),))
    b = Schema(
        (
            _users(
                columns=(
                    _id(),
                    Column("email", "character varying(200)", nullable=False),
                    Column("age", "int4", nullable=False, default="18"),
                )
            ),
        )
    )
    (op,) = diff_schemas(a, b)
    assert op == o.AlterColumn("users", "age", type=None, nullable=False, default="18")


def test_a_new_primary_key_or_identity_rebuilds_the_table_and_its_references() -> None:
    a = Schema((_users(), _orders()))
    users = a.table("users")
    b = Schema((users.replace_column("id", Column("id", "integer", nullable=False)), _orders()))
    ops = diff_schemas(a, b)
    assert [op.describe() for op in ops] == [
        "- drop constraint fk_orders_user_id on orders",
        "- drop table users",
        "+ create table users (3 columns)",
        "+ add foreign key fk_orders_user_id orders(user_id) -> users(id)",
    ]
    assert o.apply_all(ops, a).same_as(b)


def test_case_of_names_does_not_matter() -> None:
    a = Schema((Table("Users", (Column("ID", "int4", nullable=False),), ("ID",)),))
    b = Schema((Table("users", (Column("id", "integer", nullable=False),), ("id",)),))
    assert diff_schemas(a, b) == []


# -- enums -------------------------------------------------------------------------------------


def _with_mood(values: tuple[str, ...]) -> Schema:
    table = Table("people", (_id(), Column("mood", "mood", default="'ok'")), ("id",))
    return Schema((table,), (EnumType("mood", values),))


def test_new_enum_values_are_added_in_place_before_or_after_a_neighbour() -> None:
    a = _with_mood(("ok", "sad"))
    b = _with_mood(("happy", "ok", "meh", "sad", "angry"))
    ops = diff_schemas(a, b)
    assert ops == [
        o.AddEnumValue("mood", "happy", before="ok"),
        o.AddEnumValue("mood", "meh", after="ok"),
        o.AddEnumValue("mood", "angry", after="sad"),
    ]
    assert o.apply_all(ops, a).same_as(b)


def test_an_enum_that_loses_a_value_is_recreated_around_its_columns() -> None:
    a = _with_mood(("ok", "sad", "happy"))
    b = _with_mood(("ok", "happy"))
    ops = diff_schemas(a, b)
    assert [op.describe() for op in ops] == [
        "~ alter column people.mood type text",
        "- drop enum mood",
        "+ create enum mood (ok, happy)",
        "~ alter column people.mood type mood",
    ]
    assert o.apply_all(ops, a).same_as(b)


def test_enums_are_created_first_and_dropped_last() -> None:
    a = Schema(
        (Table("people", (_id(), Column("mood", "text")), ("id",)),), (EnumType("old", ("x",)),)
    )
    b = _with_mood(("ok",))
    ops = diff_schemas(a, b)
    assert _kinds(ops) == ["CreateEnum", "AlterColumn", "DropEnum"]
    assert o.apply_all(ops, a).same_as(b)
