"""Operations as pure state changes: apply, reverse, reversibility, data loss, serialisation."""

from __future__ import annotations

import pytest

from migwright.tools import ops as o
from migwright.tools.errors import SchemaError, SpecError
from migwright.tools.opcodec import decode
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

USERS = Table(
    "users",
    (Column("id", "bigint", False, identity=True), Column("email", "text", False)),
    ("id",),
    (UniqueConstraint("uq_users_email", ("email",)),),
)
ORDERS = Table(
    "orders",
    (
        Column("id", "bigint", False, identity=True),
        Column("user_id", "bigint", True),
        Column("total", "numeric(10,2)", False, "0"),
        Column("note", "varchar(200)"),
    ),
    ("id",),
    indexes=(Index("ix_orders_user_id", ("user_id",)),),
    foreign_keys=(ForeignKey("fk_orders_user_id", ("user_id",), "users", ("id",), "CASCADE"),),
)
BASE = Schema((USERS, ORDERS))

ROUND_TRIPS: list[o.Operation] = [
    o.CreateTable(Table("tags", (Column("id", "integer", False),), ("id",))),
    o.DropTable("orders"),
    o.RenameTable("users", "accounts"),
    o.AddColumn("orders", Column("shipped_at", "timestamptz")),
    o.DropColumn("orders", "note"),
    o.AlterColumn("orders", "total", type="numeric(12,2)"),
    o.AlterColumn("orders", "note", nullable=False),
    o.AlterColumn("orders", "note", default="'n/a'"),
    o.AlterColumn("orders", "total", default=None),
    o.RenameColumn("orders", "user_id", "buyer_id"),
    o.RenameColumn("users", "id", "user_key"),
    o.CreateIndex("orders", Index("ix_orders_total", ("total",), where="total > 0")),
    o.DropIndex("orders", "ix_orders_user_id"),
    o.AddForeignKey("orders", ForeignKey("fk2", ("user_id",), "users", ("id",))),
    o.DropConstraint("orders", "fk_orders_user_id"),
    o.DropForeignKey("orders", "fk_orders_user_id"),
    o.AddUnique("orders", UniqueConstraint("uq_orders_note", ("note",))),
    o.AddCheck("orders", CheckConstraint("ck_orders_total", "total >= 0")),
    o.DropConstraint("users", "uq_users_email"),
    o.Backfill("orders", "note", "'x'", where="note IS NULL", reverse_expression="NULL"),
    o.RawSQL("SELECT 1", "SELECT 2"),
]


@pytest.mark.parametrize("op", ROUND_TRIPS, ids=lambda op: op.describe())
def test_reverse_restores_the_schema(op: o.Operation) -> None:
    after = op.apply(BASE)
    reverse = op.reverse(BASE)
    assert isinstance(reverse, o.Operation)
    assert reverse.apply(after).same_as(BASE)


@pytest.mark.parametrize("op", ROUND_TRIPS, ids=lambda op: op.describe())
def test_operations_serialise_both_ways(op: o.Operation) -> None:
    assert decode(op.to_dict()) == op


def test_state_change_is_pure() -> None:
    before = BASE
    o.AddColumn("orders", Column("x", "int")).apply(before)
    assert not before.table("orders").has_column("x")


def test_rename_column_follows_references() -> None:
    after = o.RenameColumn("users", "id", "user_key").apply(BASE)
    fk = after.table("orders").foreign_keys[0]
    assert fk.ref_columns == ("user_key",)
    assert after.table("users").primary_key == ("user_key",)


def test_rename_table_follows_references() -> None:
    after = o.RenameTable("users", "accounts").apply(BASE)
    assert after.table("orders").foreign_keys[0].ref_table == "accounts"


def test_rename_column_inside_checks_and_partial_indexes() -> None:
    schema = o.AddCheck("orders", CheckConstraint("ck", "total >= 0")).apply(BASE)
    schema = o.CreateIndex("orders", Index("ix", ("total",), where="total > 10")).apply(schema)
    after = o.RenameColumn("orders", "total", "amount").apply(schema)
    table = after.table("orders")
    assert table.checks[0].expression == "amount >= 0"
    assert table.indexes[-1].where == "amount > 10"


@pytest.mark.parametrize(
    ("op", "kind", "loss"),
    [
        (o.AddColumn("orders", Column("x", "int")), o.Reversibility.LOSSLESS, None),
        (o.DropColumn("orders", "note"), o.Reversibility.LOSSY, "orders.note"),
        (o.DropTable("orders"), o.Reversibility.LOSSY, "every row of orders"),
        (o.AlterColumn("orders", "note", type="text"), o.Reversibility.LOSSLESS, None),
        (o.AlterColumn("orders", "note", type="varchar(10)"), o.Reversibility.LOSSY, "varchar(10)"),
        (o.AlterColumn("orders", "total", type="integer"), o.Reversibility.LOSSY, "integer"),
        (o.AlterColumn("orders", "total", type="numeric(14,2)"), o.Reversibility.LOSSLESS, None),
        (o.Backfill("orders", "note", "'x'"), o.Reversibility.LOSSY, "before the backfill"),
        (o.RawSQL("DELETE FROM orders"), o.Reversibility.IRREVERSIBLE, None),
    ],
)
def test_reversibility(op: o.Operation, kind: o.Reversibility, loss: str | None) -> None:
    assert op.reversibility(BASE) is kind
    described = op.data_loss(BASE)
    if loss is None:
        assert described is None
    else:
        assert described is not None and loss in described


def test_irreversible_says_why() -> None:
    reverse = o.RawSQL("DELETE FROM orders").reverse(BASE)
    assert isinstance(reverse, o.Irreversible)
    assert "reverse" in reverse.reason


def test_backfill_of_a_new_column_loses_nothing() -> None:
    ops = [o.AddColumn("orders", Column("status", "text")), o.Backfill("orders", "status", "'new'")]
    plan = o.reverse_all(ops, BASE)
    assert plan.reversibility() is o.Reversibility.LOSSLESS
    assert plan.operations[-1] == o.DropColumn("orders", "status")


def test_reverse_all_runs_backwards() -> None:
    ops = [
        o.AddColumn("orders", Column("a", "int")),
        o.CreateIndex("orders", Index("ix_a", ("a",))),
    ]
    plan = o.reverse_all(ops, BASE)
    assert plan.operations == (o.DropIndex("orders", "ix_a"), o.DropColumn("orders", "a"))
    assert o.apply_all(plan.operations, o.apply_all(ops, BASE)).same_as(BASE)


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (o.AddColumn("orders", Column("note", "text")), "already exists"),
        (o.AddColumn("nope", Column("x", "text")), "no table named nope"),
        (o.DropColumn("orders", "user_id"), "used by index ix_orders_user_id"),
        (o.DropColumn("users", "id"), "primary key"),
        (o.DropTable("users"), "references it"),
        (o.AlterColumn("orders", "note"), "changes nothing"),
        (o.CreateIndex("orders", Index("ix_orders_user_id", ("total",))), "already used"),
        (o.CreateIndex("orders", Index("ix_x", ("missing",))), "no column missing"),
        (o.AddForeignKey("orders", ForeignKey("f", ("user_id",), "orders", ("note",))), "unique"),
        (
            o.AddForeignKey("orders", ForeignKey("f", ("total",), "users", ("id",), "SET NULL")),
            "allow NULL",
        ),
        (o.DropConstraint("orders", "nope"), "no constraint nope"),
        (o.DropForeignKey("users", "uq_users_email"), "not a foreign key"),
        (o.AddCheck("orders", CheckConstraint("ck", "missing > 0")), "no column missing"),
    ],
)
def test_invalid_operations_name_the_problem(op: o.Operation, message: str) -> None:
    with pytest.raises(SchemaError) as info:
        op.apply(BASE)
    assert message in str(info.value)
    assert info.value.hint
    assert "\n" not in info.value.one_line()


def test_enum_operations() -> None:
    schema = o.CreateEnum(EnumType("mood", ("happy", "sad"))).apply(Schema())
    schema = o.AddEnumValue("mood", "ok", after="happy").apply(schema)
    enum_type = schema.enum("mood")
    assert enum_type is not None and enum_type.values == ("happy", "ok", "sad")
    assert isinstance(o.AddEnumValue("mood", "x").reverse(schema), o.Irreversible)
    assert not o.AddEnumValue("mood", "x").transactional
    assert o.DropEnum("mood").reverse(schema) == o.CreateEnum(enum_type)


def test_concurrent_index_is_not_transactional() -> None:
    op = o.CreateIndex("orders", Index("ix", ("total",)), concurrently=True)
    assert not op.transactional
    assert op.reverse(BASE) == o.DropIndex("orders", "ix", concurrently=True)


def test_describe_has_a_category() -> None:
    symbols = {op.describe()[0] for op in ROUND_TRIPS}
    assert symbols <= {"+", "-", "~", ">"}
    assert o.DropColumn("orders", "note").describe() == "- drop column orders.note"


def test_decode_rejects_unknown_things() -> None:
    with pytest.raises(SpecError):
        decode({"op": "explode"})
    with pytest.raises(SpecError):
        decode({"op": "drop_table", "name": "x", "cascade": True})
    with pytest.raises(SpecError):
        decode({"table": "x"})
