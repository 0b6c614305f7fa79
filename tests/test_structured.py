"""Structured answers -> operations, and the checks that stand between a model and a plan."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_llm_server import FakeLLMServer, Reply
from pydantic import ValidationError

from migwright.agent.model import load_model
from migwright.agent.structured import (
    PlanAnswer,
    check_against,
    draft_backfill,
    expression_problems,
    plan_from_english,
    repair_after_validation,
    to_operations,
    unrequested_drops,
    write_prose,
)
from migwright.agent.structured_ops import BackfillOp
from migwright.tools import ops as o
from migwright.tools.errors import ModelError
from migwright.tools.opcodec import decode
from migwright.tools.python_transform import PythonTransform
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
    (
        Column("id", "bigint", False, identity=True),
        Column("email", "text", False),
        Column("first_name", "text", default="''"),
        Column("last_name", "text"),
        Column("legacy_flags", "text"),
    ),
    ("id",),
    indexes=(Index("ix_users_email", ("email",)),),
    uniques=(UniqueConstraint("uq_users_email", ("email",)),),
)
ORDERS = Table(
    "orders",
    (
        Column("id", "bigint", False, identity=True),
        Column("user_id", "bigint", False),
        Column("total", "numeric(12,2)"),
        Column("status", "order_status"),
    ),
    ("id",),
    foreign_keys=(ForeignKey("fk_orders_user_id", ("user_id",), "users", ("id",)),),
    checks=(CheckConstraint("ck_orders_total", "total >= 0"),),
)
SCHEMA = Schema(
    tables=(USERS, ORDERS, Table("notes", (Column("id", "bigint", False),), ("id",))),
    enums=(EnumType("order_status", ("new", "paid")),),
)


def plan(*operations: dict[str, Any], questions: tuple[str, ...] = ()) -> PlanAnswer:
    return PlanAnswer.model_validate(
        {"description": "d", "operations": list(operations), "questions": list(questions)}
    )


# -- answer -> operations ------------------------------------------------------------------

TITLE_CASE = """def forward(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.exclude(first_name="").iterator():
        user.first_name = user.first_name.strip().title()
        user.save(update_fields=["first_name"])
"""

EVERY_KIND: list[tuple[dict[str, Any], o.Operation]] = [
    (
        {
            "op": "create_table",
            "table": "invoices",
            "columns": [
                {"name": "id", "type": "bigserial", "nullable": False},
                {"name": "order_id", "type": "int8", "nullable": False},
                {"name": "amount", "type": "NUMERIC(12, 2)", "default": "0"},
            ],
            "primary_key": ["id"],
            "uniques": [{"columns": ["order_id"]}],
            "foreign_keys": [
                {
                    "columns": ["order_id"],
                    "ref_table": "orders",
                    "ref_columns": ["id"],
                    "on_delete": "cascade",
                }
            ],
            "checks": [{"expression": "amount >= 0"}],
            "indexes": [{"columns": ["lower(cast(amount as text))"]}],
        },
        o.CreateTable(
            Table(
                "invoices",
                (
                    Column("id", "bigint", False, identity=True),
                    Column("order_id", "bigint", False),
                    Column("amount", "numeric(12,2)", True, "0"),
                ),
                ("id",),
                uniques=(UniqueConstraint("uq_invoices_order_id", ("order_id",)),),
                indexes=(Index("ix_invoices_expr", ("lower(cast(amount as text))",)),),
                foreign_keys=(
                    ForeignKey("fk_invoices_order_id", ("order_id",), "orders", ("id",), "CASCADE"),
                ),
                checks=(CheckConstraint("ck_invoices_amount", "amount >= 0"),),
            )
        ),
    ),
    ({"op": "drop_table", "table": "notes"}, o.DropTable("notes")),
    ({"op": "rename_table", "old": "notes", "new": "memos"}, o.RenameTable("notes", "memos")),
    (
        {"op": "add_column", "table": "users", "column": {"name": "age", "type": "int4"}},
        o.AddColumn("users", Column("age", "integer")),
    ),
    (
        {"op": "drop_column", "table": "users", "column": "legacy_flags"},
        o.DropColumn("users", "legacy_flags"),
    ),
    (
        {"op": "alter_column", "table": "orders", "column": "total", "type": "numeric(14,2)"},
        o.AlterColumn("orders", "total", type="numeric(14,2)"),
    ),
    (
        {"op": "alter_column", "table": "users", "column": "first_name", "drop_default": True},
        o.AlterColumn("users", "first_name", default=None),
    ),
    (
        {"op": "alter_column", "table": "users", "column": "first_name", "default": "'anon'"},
        o.AlterColumn("users", "first_name", default="'anon'"),
    ),
    (
        {"op": "alter_column", "table": "users", "column": "first_name", "nullable": False},
        o.AlterColumn("users", "first_name", nullable=False),
    ),
    (
        {"op": "rename_column", "table": "users", "old": "first_name", "new": "given_name"},
        o.RenameColumn("users", "first_name", "given_name"),
    ),
    (
        {
            "op": "create_index",
            "table": "orders",
            "columns": ["user_id", "status"],
            "where": "status = 'new'",
            "concurrently": True,
        },
        o.CreateIndex(
            "orders",
            Index("ix_orders_user_id_status", ("user_id", "status"), where="status = 'new'"),
            True,
        ),
    ),
    (
        {"op": "drop_index", "table": "users", "name": "ix_users_email"},
        o.DropIndex("users", "ix_users_email"),
    ),
    (
        {
            "op": "add_foreign_key",
            "table": "orders",
            "name": "orders_owner",
            "columns": ["user_id"],
            "ref_table": "users",
            "ref_columns": ["id"],
            "on_update": "NO ACTION",
        },
        o.AddForeignKey("orders", ForeignKey("orders_owner", ("user_id",), "users", ("id",))),
    ),
    (
        {"op": "add_unique", "table": "users", "columns": ["email"]},
        o.AddUnique("users", UniqueConstraint("uq_users_email_2", ("email",))),
    ),
    (
        {"op": "add_check", "table": "users", "expression": "length(email) > 3"},
        o.AddCheck("users", CheckConstraint("ck_users_email", "length(email) > 3")),
    ),
    (
        {"op": "drop_constraint", "table": "orders", "name": "ck_orders_total"},
        o.DropConstraint("orders", "ck_orders_total"),
    ),
    (
        {"op": "create_enum", "name": "mood", "values": ["ok", "meh"]},
        o.CreateEnum(EnumType("mood", ("ok", "meh"))),
    ),
    (
        {"op": "add_enum_value", "name": "order_status", "value": "void", "after": "new"},
        o.AddEnumValue("order_status", "void", after="new"),
    ),
    (
        {
            "op": "backfill",
            "table": "orders",
            "column": "total",
            "expression": "0",
            "where": "total IS NULL",
            "batch_size": 500,
        },
        o.Backfill("orders", "total", "0", "total IS NULL", batch_size=500),
    ),
    (
        {
            "op": "python_transform",
            "table": "users",
            "columns": ["first_name"],
            "forward": TITLE_CASE,
            "summary": "title-case first names",
        },
        PythonTransform("users", ("first_name",), TITLE_CASE, None, "title-case first names"),
    ),
]


@pytest.mark.parametrize(
    ("answer", "expected"),
    EVERY_KIND,
    ids=[a["op"] + str(i) for i, (a, _) in enumerate(EVERY_KIND)],
)
def test_every_kind_becomes_its_operation(answer: dict[str, Any], expected: o.Operation) -> None:
    (op,) = to_operations(plan(answer), SCHEMA)
    assert op == expected
    assert decode(op.to_dict()) == op  # the same plain data the rest of migwright speaks
    assert check_against([op], SCHEMA) == []


def test_every_operation_kind_except_raw_sql_has_a_model() -> None:
    kinds = {a["op"] for a, _ in EVERY_KIND}
    # the zero-downtime rewrite's own steps (tools/ops_safe.py) are never asked of a model
    rewrite_only = {
        "guarded_sql",
        "validate_constraint",
        "drop_invalid_index",
        "prepare_unique_index",
        "lock_timeout",
        "refill_on_down",  # the contract migration's own step (tools/expand_contract.py)
    }
    modelled = (
        set(o.OPERATIONS) - {"raw_sql", "noop", "drop_enum", "drop_foreign_key"} - rewrite_only
    )
    assert modelled <= kinds, modelled - kinds


def test_unknown_fields_and_kinds_are_rejected() -> None:
    with pytest.raises(ValidationError):
        plan(
            {
                "op": "add_column",
                "table": "users",
                "column": {"name": "a", "type": "text", "unique": True},
            }
        )
    with pytest.raises(ValidationError):
        plan({"op": "raw_sql", "sql": "DROP TABLE users"})
    with pytest.raises(ValidationError):
        BackfillOp.model_validate(
            {"op": "backfill", "table": "t", "column": "c", "expression": "1", "batch_size": 0}
        )


def test_generated_names_do_not_collide_within_a_plan() -> None:
    ops = to_operations(
        plan(
            {"op": "create_index", "table": "orders", "columns": ["total"]},
            {"op": "create_index", "table": "orders", "columns": ["total"], "unique": True},
        ),
        SCHEMA,
    )
    assert [op.index.name for op in ops if isinstance(op, o.CreateIndex)] == [
        "ix_orders_total",
        "ix_orders_total_2",
    ]


# -- check_against -------------------------------------------------------------------------


def test_check_against_reports_every_mistake_as_a_line() -> None:
    ops = to_operations(
        plan(
            {"op": "add_column", "table": "customers", "column": {"name": "x", "type": "text"}},
            {"op": "create_index", "table": "users", "columns": ["emial"]},
            {"op": "add_column", "table": "users", "column": {"name": "nick", "type": "text"}},
            {"op": "create_index", "table": "users", "columns": ["nick"]},
        ),
        SCHEMA,
    )
    errors = check_against(ops, SCHEMA)
    assert len(errors) == 2
    assert errors[0].startswith(
        "operation 1 (+ add column customers.x text): no table named customers"
    )
    assert "known tables: notes, orders, users" in errors[0]
    assert errors[1].startswith("operation 2") and "no column emial" in errors[1]


def test_check_against_judges_sql_fragments() -> None:
    ops = to_operations(
        plan(
            {
                "op": "backfill",
                "table": "orders",
                "column": "total",
                "expression": "0; DELETE FROM users",
            },
            {"op": "add_check", "table": "orders", "expression": "pg_sleep(10) IS NULL"},
        ),
        SCHEMA,
    )
    errors = check_against(ops, SCHEMA)
    assert "contains ';'" in errors[0]
    assert "pg_sleep() , which" not in errors[1] and "calls pg_sleep()" in errors[1]


def test_check_against_sees_tables_created_earlier_in_the_plan() -> None:
    ops = to_operations(
        plan(
            {
                "op": "create_table",
                "table": "tags",
                "columns": [{"name": "id", "type": "bigint"}, {"name": "label", "type": "text"}],
                "primary_key": ["id"],
            },
            {"op": "backfill", "table": "tags", "column": "label", "expression": "upper(label)"},
        ),
        SCHEMA,
    )
    assert check_against(ops, SCHEMA) == []


# -- unrequested drops ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_text", "flagged"),
    [
        ("add a nickname to users", 2),
        ("drop the legacy_flags column from users", 1),  # only the column was asked for
        ("remove table notes and drop users.legacy_flags", 0),
        ("get rid of notes, and delete legacy_flags", 0),
        ("rename notes to memos", 2),
        ("notes and legacy_flags are mentioned but nothing is removed", 2),
    ],
)
def test_drops_need_a_request_that_asks_for_them(request_text: str, flagged: int) -> None:
    ops = [
        o.DropColumn("users", "legacy_flags"),
        o.DropTable("notes"),
        o.AddColumn("users", Column("n", "text")),
    ]
    problems = unrequested_drops(ops, request_text)
    assert len(problems) == flagged
    assert all("destroys data the request did not ask to drop" in p for p in problems)


# -- SQL expressions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "lower(email)",
        "coalesce(first_name, '') || ' ' || coalesce(last_name, '')",
        "CASE WHEN email LIKE '%@example.com' THEN 'test' ELSE 'real' END",
        "(SELECT count(*) FROM orders o WHERE o.user_id = users.id)",
        "(SELECT max(total) FROM orders WHERE orders.user_id = users.id)",
        "now()",
        "id * 2",
    ],
)
def test_safe_expressions_pass(text: str) -> None:
    assert expression_problems(text, "users", SCHEMA) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("lower(email); DROP TABLE users", "contains ';'"),
        ("SELECT 1", "is a query"),
        ("lower(", "does not parse"),
        ("lower(emial)", "no column emial in users"),
        ("(SELECT count(*) FROM invoices)", "no table named invoices"),
        ("(SELECT x.total FROM orders o)", "no table or alias x"),
        ("(SELECT o.amount FROM orders o)", "no column amount in orders"),
        ("setval('users_id_seq', 1)", "calls setval()"),
        ("pg_sleep(5)", "calls pg_sleep()"),
        ("a b c d", "does not parse"),
    ],
)
def test_unsafe_or_wrong_expressions_are_named(text: str, problem: str) -> None:
    problems = expression_problems(text, "users", SCHEMA)
    assert any(problem in p for p in problems), problems


def test_writing_subqueries_are_refused() -> None:
    # sqlglot cannot even parse DELETE inside parentheses; either way it never passes.
    for text in (
        "(DELETE FROM orders RETURNING 1)",
        "(WITH d AS (DELETE FROM orders RETURNING id) SELECT 1)",
    ):
        assert expression_problems(text, "users", SCHEMA) != []


def test_expressions_follow_the_dialect() -> None:
    assert expression_problems("IFNULL(first_name, '')", "users", SCHEMA, "mysql") == []
    assert expression_problems("first_name || last_name", "users", SCHEMA, "sqlite") == []


# -- draft_backfill and write_prose (through the fake server) --------------------------------


@pytest.fixture
def openai_model(tmp_path: Path) -> Iterator[tuple[Any, FakeLLMServer]]:
    with FakeLLMServer() as server:
        (tmp_path / "migwright.toml").write_text("[model]\nretry_delay = 0.001\n")
        env = {
            "MIGWRIGHT_MODEL": "openai:gpt-4o-mini",
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": server.openai_url,
        }
        yield load_model(tmp_path, env), server


def test_draft_backfill_returns_a_checked_expression(
    openai_model: tuple[Any, FakeLLMServer],
) -> None:
    model, server = openai_model
    server.script(
        Reply.answer({"expression": "first || ' ' || last"}),
        Reply.answer(
            {"expression": "trim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))"}
        ),
    )
    expression = draft_backfill(
        model, "users", "first_name", "full name from the name parts", SCHEMA
    )
    assert expression.startswith("trim(")
    assert len(server.requests) == 2
    second = server.requests[1].prompt_text
    assert "Your previous expression was rejected" in second
    assert "no column first in users" in second
    assert "users.first_name (text)" in second


def test_draft_backfill_gives_up(openai_model: tuple[Any, FakeLLMServer]) -> None:
    model, server = openai_model
    server.script(*[Reply.answer({"expression": "1; DELETE FROM users"})] * 3)
    with pytest.raises(ModelError, match=r"after 2 repairs: .*contains ';'") as caught:
        draft_backfill(model, "users", "first_name", "anything", SCHEMA)
    assert "--backfill" in caught.value.hint
    assert len(server.requests) == 3


def test_questions_come_back_instead_of_guesses(openai_model: tuple[Any, FakeLLMServer]) -> None:
    model, server = openai_model
    question = "Should first_name be renamed to given_name, or dropped and a new column added?"
    server.script(Reply.answer({"description": "unclear", "questions": [question]}))
    planned = plan_from_english(model, "change first_name to given_name", SCHEMA)
    assert planned.operations == ()
    assert planned.questions == (question,)


def test_write_prose(openai_model: tuple[Any, FakeLLMServer]) -> None:
    model, server = openai_model
    server.script(Reply.text("## Add nickname\n\nAdds a nullable column.\n"))
    facts = {
        "operations": ["+ add column users.nickname text"],
        "lock": "ACCESS EXCLUSIVE, brief",
        "sql": "ALTER TABLE users\n  ADD COLUMN nickname text;",
    }
    text = write_prose(model, facts)
    assert text.startswith("## Add nickname")
    prompt = server.requests[0].prompt_text
    assert 'operations: ["+ add column users.nickname text"]' in prompt
    assert "lock: ACCESS EXCLUSIVE, brief" in prompt
    assert "sql:\n  ALTER TABLE users\n    ADD COLUMN nickname text;" in prompt


# -- repair after a failed validation, and answers -------------------------------------------


def test_repair_after_validation_sends_the_failures_and_reviews_the_answer(
    openai_model: tuple[Any, FakeLLMServer],
) -> None:
    model, server = openai_model
    previous = plan(
        {
            "op": "add_column",
            "table": "users",
            "column": {"name": "age", "type": "integer", "nullable": False},
        }
    )
    fixed = {
        "op": "add_column",
        "table": "users",
        "column": {"name": "age", "type": "integer", "default": "0", "nullable": False},
    }
    server.script(Reply.answer({"description": "add age", "operations": [fixed]}))
    failures = [
        "up: column age contains null values",
        "up: the runner printed postgres://app:canarypw@db/prod",
    ]
    repaired = repair_after_validation(
        model, "add a required age to users", SCHEMA, previous.model_dump_json(), failures
    )
    assert repaired.errors == () and repaired.questions == ()
    assert [op.describe().strip() for op in repaired.operations] == [
        "+ add column users.age integer not null default 0"
    ]
    assert repaired.usage.total_tokens > 0
    sent = server.requests[0]
    assert "Validation failures reported by migwright" in sent.prompt_text
    assert "- up: column age contains null values" in sent.prompt_text
    assert '"nullable":false' in sent.prompt_text.replace(" ", "")
    assert "Never drop a table or column unless" in sent.prompt_text, "under the plan's rules"
    assert "canarypw" not in server.all_bodies(), "the report is scrubbed on its way out"


def test_a_repair_that_fails_the_checks_comes_back_with_its_errors(
    openai_model: tuple[Any, FakeLLMServer],
) -> None:
    model, server = openai_model
    wrong = {"op": "create_index", "table": "users", "columns": ["agee"]}
    server.script(Reply.answer({"description": "x", "operations": [wrong]}))
    repaired = repair_after_validation(model, "index age", SCHEMA, "{}", ["up: failed"])
    assert repaired.errors and "agee" in repaired.errors[0]


def test_answers_reach_the_plan_prompt(openai_model: tuple[Any, FakeLLMServer]) -> None:
    model, server = openai_model
    rename = {"op": "rename_column", "table": "users", "old": "first_name", "new": "given_name"}
    server.script(Reply.answer({"description": "rename", "operations": [rename]}))
    planned = plan_from_english(
        model, "change first_name to given_name", SCHEMA, answers=["rename", "keep the data"]
    )
    assert planned.questions == ()
    text = server.requests[0].prompt_text
    assert "Answers the person gave to your earlier questions:\n- rename\n- keep the data" in text


@pytest.mark.parametrize("budget", [6000, 8000])
def test_a_validation_repair_prompt_stays_within_the_budget(
    openai_model: tuple[Any, FakeLLMServer], budget: int
) -> None:
    import json

    from migwright.agent.budget import count_tokens
    from migwright.agent.structured_ops import PlanAnswer as Answer

    model, server = openai_model
    tables = [
        Table(
            f"table_{n:03d}",
            tuple(Column(f"column_{n:03d}_{c:02d}", "varchar(255)") for c in range(25)),
        )
        for n in range(300)
    ]
    big = Schema(tables=(*tables, USERS))
    server.script(Reply.answer({"description": "x", "operations": []}))
    failures = [f"up: statement {n} failed: " + "value too long " * 40 for n in range(30)]
    repair_after_validation(
        model, "add a required age to users", big, "{}" * 2000, failures, budget_tokens=budget
    )
    sent = server.requests[0].prompt_text
    schema_tokens = count_tokens(json.dumps(Answer.model_json_schema()))
    assert count_tokens(sent) + schema_tokens <= budget
    assert "users\n  id bigint" in sent, "the table the request names comes first"
    assert "table_299" not in sent, "not every table fits"
    assert "(cut to fit)" in sent, "the failures were cut to their share"
