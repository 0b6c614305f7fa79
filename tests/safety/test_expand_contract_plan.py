"""The expand/contract planner without a database: what splits, what is refused, the names and
the deploy steps it hands to the document."""

from __future__ import annotations

import pytest

from migwright.tools import ops as o
from migwright.tools.errors import SchemaError
from migwright.tools.expand_contract import (
    contract,
    contract_command,
    expand,
    missing_sync_objects,
    plan_phase,
    splits,
    sync_object_names,
)
from migwright.tools.expand_sync import NAME_LIMIT, ColumnSync, object_name
from migwright.tools.schema import Column, ForeignKey, Index, Schema, Table
from migwright.tools.sqlscript import split_sql

USERS = Table("users", (Column("id", "bigint", False), Column("email", "text")), ("id",))
ORDERS = Table(
    "orders",
    (
        Column("id", "bigint", False),
        Column("user_id", "bigint"),
        Column("total", "integer", False, "0"),
        Column("code", "varchar(50)"),
    ),
    ("id",),
    indexes=(
        Index("ix_orders_total", ("total",)),
        Index("ix_orders_code_total", ("code", "total")),
    ),
    foreign_keys=(ForeignKey("fk_orders_user", ("user_id",), "users", ("id",)),),
)
BEFORE = Schema((USERS, ORDERS))


@pytest.mark.parametrize(
    ("op", "dialect", "expected"),
    [
        (o.RenameColumn("orders", "total", "amount"), "postgresql", True),
        (o.RenameTable("orders", "purchases"), "mysql", True),
        (o.AlterColumn("orders", "total", type="bigint"), "postgresql", True),
        (o.AlterColumn("orders", "code", type="text"), "postgresql", False),  # binary-coercible
        (o.AlterColumn("orders", "code", type="varchar(60)"), "mysql", False),  # in place
        (o.AlterColumn("orders", "code", type="varchar(60)"), "sqlite", True),  # a rebuild
        (o.AlterColumn("orders", "total", nullable=True), "postgresql", False),  # no type
        (o.RenameColumn("missing", "a", "b"), "postgresql", False),  # created in the same plan
    ],
)
def test_what_splits(op: o.Operation, dialect: str, expected: bool) -> None:
    assert splits(op, BEFORE, dialect) is expected


def test_nothing_to_split_gives_none() -> None:
    assert expand([o.AddColumn("orders", Column("note", "text"))], BEFORE, "postgresql") is None
    one_step = plan_phase(
        [o.RenameColumn("orders", "total", "x")], BEFORE, "sqlite", "one-step", ""
    )
    assert one_step is None


def test_expand_keeps_other_operations_in_place() -> None:
    note = o.AddColumn("orders", Column("note", "text"))
    ops = expand([note, o.RenameColumn("orders", "total", "amount")], BEFORE, "postgresql")
    assert ops is not None
    assert [op.describe() for op in ops] == [
        "+ add column orders.note text",
        "+ add column orders.amount integer",
        ops[2].describe(),
        "~ backfill orders.amount = total where amount IS NULL",
        "+ create index ix_orders_amount on orders (amount)",
        "+ create index ix_orders_code_amount on orders (code, amount)",
    ]
    assert isinstance(ops[2], o.RawSQL) and ops[2].reverse_sql is not None
    assert "CREATE TRIGGER mw_orders_total_amount BEFORE INSERT OR UPDATE" in ops[2].sql


def test_contract_drops_the_copies_originals_and_restores_not_null() -> None:
    request = [o.RenameColumn("orders", "total", "amount")]
    ops = expand(request, BEFORE, "postgresql")
    assert ops is not None
    expanded = o.apply_all(ops, BEFORE)
    shrunk = contract(request, expanded, "postgresql")
    assert [op.describe() for op in shrunk[1:]] == [
        "~ alter column orders.total drop not null, drop default",
        "  nothing on the up; the down refills orders.total = amount",
        "- drop index ix_orders_total on orders",
        "- drop index ix_orders_code_total on orders",
        "- drop column orders.total",
        "~ alter column orders.amount set not null, default 0",
    ]
    refill = shrunk[2].reverse(o.apply_all(shrunk[:2], expanded))
    assert refill == o.Backfill("orders", "total", "amount")  # only the down writes the old column


def test_type_change_contract_renames_the_shadow_column_over_the_old_one() -> None:
    request = [o.AlterColumn("orders", "total", type="numeric(12,2)")]
    ops = expand(request, BEFORE, "mysql")
    assert ops is not None
    assert ops[0] == o.AddColumn("orders", Column("total_new", "numeric(12,2)"))
    shrunk = contract(request, o.apply_all(ops, BEFORE), "mysql")
    assert "> rename column orders.total_new to total" in [op.describe() for op in shrunk]
    final = o.apply_all(shrunk, o.apply_all(ops, BEFORE)).table("orders").column("total")
    assert final == Column("total", "numeric(12,2)", False, "0")


@pytest.mark.parametrize(
    ("op", "blocker"),
    [
        (o.RenameColumn("orders", "id", "order_id"), "the primary key"),
        (o.RenameColumn("orders", "user_id", "owner_id"), "foreign key fk_orders_user"),
        (o.RenameColumn("users", "id", "user_id"), "the primary key, foreign key fk_orders_user"),
    ],
)
def test_keys_are_refused_with_the_fix(op: o.Operation, blocker: str) -> None:
    with pytest.raises(SchemaError) as caught:
        expand([op], BEFORE, "postgresql")
    assert str(caught.value).startswith(f"expand/contract cannot carry {blocker}")
    assert caught.value.hint.startswith("use --phase one-step in a maintenance window")


def test_unknown_phase_and_empty_contract() -> None:
    with pytest.raises(SchemaError, match="unknown phase 'later'"):
        plan_phase([], BEFORE, "sqlite", "later", "")
    with pytest.raises(SchemaError, match="nothing in the request has a contract phase"):
        contract([o.AddColumn("orders", Column("x", "text"))], BEFORE, "sqlite")


def test_expand_steps_name_the_contract_command() -> None:
    command = contract_command(["--rename-column", "orders.total to amount"], "shop")
    assert command == (
        "migwright new -C shop --rename-column 'orders.total to amount' --phase contract"
    )
    plan = plan_phase(
        [o.RenameColumn("orders", "total", "amount")], BEFORE, "postgresql", "expand", command
    )
    assert plan is not None and len(plan.steps) == 3
    assert plan.steps[1] == (
        "Deploy the application that reads and writes orders.amount instead of orders.total."
    )
    assert plan.next_step is not None and plan.next_step.endswith(f"`{command}`")
    assert sync_object_names(plan, "mysql") == (
        "mw_orders_total_amount_bi",
        "mw_orders_total_amount_bu",
    )


def test_missing_sync_objects_reads_the_history_texts() -> None:
    names = ("mw_orders_total_amount_bi", "mw_orders_total_amount_bu")
    texts = ["CREATE TRIGGER MW_ORDERS_TOTAL_AMOUNT_BI BEFORE INSERT ...", "ALTER TABLE x"]
    assert missing_sync_objects(names, texts) == ["mw_orders_total_amount_bu"]


def test_long_names_stay_within_every_dialects_limit() -> None:
    name = object_name("a" * 40, "b" * 40, "c" * 40)
    assert len(name) == NAME_LIMIT and name != object_name("a" * 40, "b" * 40, "c" * 41)
    sync = ColumnSync("t" * 50, "o" * 20, "n" * 20, "text", "text")
    assert all(
        len(n) <= 64 for d in ("postgresql", "mysql", "sqlite") for n in sync.object_names(d)
    )


def test_split_sql_keeps_trigger_bodies_whole() -> None:
    script = (
        "CREATE TRIGGER a AFTER INSERT ON t FOR EACH ROW WHEN NEW.x IS NULL\n"
        "  BEGIN UPDATE t SET x = CASE WHEN NEW.y THEN 1 ELSE 2 END WHERE id = NEW.id; END;\n"
        "BEGIN;\nUPDATE t SET x = 1;\nCOMMIT;\n"
        "CREATE TRIGGER b INSTEAD OF DELETE ON v BEGIN DELETE FROM t; DELETE FROM u; END"
    )
    assert [s.sql.split()[0:3] for s in split_sql(script)] == [
        ["CREATE", "TRIGGER", "a"],
        ["BEGIN"],
        ["UPDATE", "t", "SET"],
        ["COMMIT"],
        ["CREATE", "TRIGGER", "b"],
    ]
    assert split_sql(script)[0].sql.endswith("WHERE id = NEW.id; END")
