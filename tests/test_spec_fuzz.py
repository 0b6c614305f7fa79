"""Fuzzing the request grammar: whatever the text, `parse_request` returns a Request or raises
SpecError, and a SpecError is never the "internal error" safety net (which would mean a parser
bug that the net hid).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migwright.tools.errors import SpecError
from migwright.tools.ops import CreateTable
from migwright.tools.schema import Column, ForeignKey, Index, Schema, Table, UniqueConstraint
from migwright.tools.spec import ALL_VERBS, Request, parse_request

DIALECTS = ("postgresql", "mysql", "sqlite")

SCHEMA = Schema(
    tables=(
        Table(
            "users",
            (Column("id", "bigint", nullable=False, identity=True), Column("email", "text")),
            primary_key=("id",),
            uniques=(UniqueConstraint("uq_users_email", ("email",)),),
        ),
        Table(
            "orders",
            (
                Column("id", "bigint", nullable=False),
                Column("user_id", "bigint"),
                Column("total", "numeric(12,2)"),
                Column("status", "text"),
            ),
            primary_key=("id",),
            indexes=(Index("ix_orders_user_id", ("user_id",)),),
            foreign_keys=(ForeignKey("fk_orders_user_id", ("user_id",), "users", ("id",)),),
        ),
    )
)

#: Pieces of real arguments, recombined with garbage.
FRAGMENTS = [
    "orders",
    "users",
    ".",
    "orders.total",
    "orders.(user_id, status)",
    "users.id",
    "(",
    ")",
    ",",
    "->",
    "to",
    "id bigint",
    "primary key",
    "not null",
    "null",
    "default",
    "now()",
    "'x'",
    "'",
    '"',
    "`",
    "references",
    "on delete",
    "on update",
    "cascade",
    "set null",
    "check",
    "(total >= 0)",
    "unique",
    "where",
    "status = 'open'",
    "batch",
    "1000",
    "-1",
    "reverse",
    "name",
    "ix_x",
    "concurrently",
    "using",
    "gin",
    "alter column",
    "type",
    "numeric(12,2)",
    "set default 0",
    "drop",
    "add",
    "column",
    "constraint",
    "foreign key",
    "rename",
    "modify",
    "change",
    "generated always as identity",
    "auto_increment",
    "serial",
    "enum('a','b')",
    "comment",
    "create table",
    "create index",
    "on",
    "after",
    "before",
    "$$",
    "::",
    "[]",
    ";",
    "--",
    "/*",
    "\\",
    "é",
    "\x00",
    "1e999",
    "((((",
    "))))",
]

_ARG = st.lists(st.sampled_from(FRAGMENTS), max_size=12).map(" ".join)
_GARBAGE = st.text(max_size=40)


def _check(result_or_error: object) -> None:
    if isinstance(result_or_error, SpecError):
        assert "internal error" not in str(result_or_error), str(result_or_error)
        assert str(result_or_error).strip()
        assert "\n" not in str(result_or_error)
    else:
        assert isinstance(result_or_error, Request)
        assert result_or_error.description


def _run(argv: list[str] | str, dialect: str, schema: Schema | None) -> object:
    try:
        return parse_request(argv, dialect=dialect, schema=schema)
    except SpecError as exc:
        return exc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_GARBAGE, dialect=st.sampled_from(DIALECTS))
def test_random_text(text: str, dialect: str) -> None:
    _check(_run(text, dialect, None))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pairs=st.lists(
        st.tuples(st.sampled_from([*ALL_VERBS, "--nope", "add-column"]), _ARG | _GARBAGE),
        min_size=1,
        max_size=3,
    ),
    dialect=st.sampled_from(DIALECTS),
    with_schema=st.booleans(),
)
def test_verbs_with_garbage(pairs: list[tuple[str, str]], dialect: str, with_schema: bool) -> None:
    argv = [part for verb, arg in pairs for part in (verb, arg)]
    _check(_run(argv, dialect, SCHEMA if with_schema else None))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_ARG, dialect=st.sampled_from(DIALECTS), with_schema=st.booleans())
def test_create_table_bodies(body: str, dialect: str, with_schema: bool) -> None:
    """Bodies that start like a real table, so the fuzzing reaches the column parser."""
    argv = ["--create-table", f"t (id bigint primary key, {body})"]
    result = _run(argv, dialect, SCHEMA if with_schema else None)
    _check(result)
    if isinstance(result, Request):
        assert isinstance(result.operations[0], CreateTable)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sql=_ARG, dialect=st.sampled_from(DIALECTS), with_schema=st.booleans())
def test_inline_sql(sql: str, dialect: str, with_schema: bool) -> None:
    argv = ["--sql", f"ALTER TABLE orders {sql}; CREATE TABLE z (id int); {sql}"]
    _check(_run(argv, dialect, SCHEMA if with_schema else None))
