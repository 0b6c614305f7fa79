"""One statement as the rules see it: text, place, tokens, shape, sqlglot tree, transaction.

`parse_statements` turns SQL text into these; the engine fills in the transaction facts (which
block a statement runs in) before any rule looks at them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

import sqlglot
from sqlglot import exp

from .cursor import short
from .shape import Shape, read_shape
from .source import Marker, Tok, split_sql

SQLGLOT_NAMES = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}


@dataclass(eq=False)
class Stmt:
    """A statement in a migration. `index` counts from 0 in the file (or plan).

    `txn` is the transaction block it runs in (None: autocommit, each statement on its own);
    `managed` says whether that block is the framework's implicit one (Django's atomic
    migration, Alembic's transaction_per_migration) rather than a BEGIN in the file.
    `op_index` links a statement rendered from a plan back to its operation.
    """

    index: int
    sql: str
    line: int
    tokens: tuple[Tok, ...]
    family: str
    file: str | None = None
    markers: tuple[Marker, ...] = ()
    op_index: int | None = None
    must_run_outside_transaction: bool = False
    txn: int | None = None
    managed: bool = False
    shape: Shape = field(default_factory=lambda: Shape("other"))

    @property
    def in_transaction(self) -> bool:
        return self.txn is not None

    @property
    def kind(self) -> str:
        return self.shape.kind

    @property
    def table(self) -> str | None:
        """The main table, unqualified (`public.orders` -> `orders`)."""
        return short(self.shape.table) if self.shape.table else None

    @cached_property
    def tree(self) -> exp.Expression | None:
        """sqlglot's parse of the statement, or None when it could not read it."""
        return parse_expression(self.sql, self.family)

    @property
    def words(self) -> list[str]:
        return [t.upper for t in self.tokens if t.kind == "word"]

    def excerpt(self, width: int = 120) -> str:
        text = " ".join(self.sql.split())
        return text if len(text) <= width else text[: width - 3] + "..."


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning for every statement it keeps as a Command; tools never print."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def parse_expression(sql: str, family: str) -> exp.Expression | None:
    with _quiet_sqlglot():
        try:
            tree = sqlglot.parse_one(sql, read=SQLGLOT_NAMES[family])
        except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError, KeyError):
            return None
    return tree if isinstance(tree, exp.Expression) else None


def parse_statements(sql: str, family: str, file: str | None = None) -> list[Stmt]:
    """Split and read `sql`; every statement gets its shape (its tree is parsed on demand)."""
    statements = []
    for index, raw in enumerate(split_sql(sql, family)):
        shape = read_shape(raw.tokens, raw.text, family)
        statements.append(
            Stmt(
                index=index,
                sql=raw.text,
                line=raw.line,
                tokens=raw.tokens,
                family=family,
                file=file,
                markers=raw.markers,
                shape=shape,
            )
        )
    return statements


def volatile_functions(expression: str, family: str) -> list[str]:
    """Function calls in an expression that are not known to be stable within a statement.

    PostgreSQL 11+ adds a column with a non-volatile default without rewriting the table: the
    default is evaluated once and stored in the catalog. `now()` is STABLE (one value per
    transaction) and so is fine; `random()`, `gen_random_uuid()`, `clock_timestamp()`,
    `nextval()` are VOLATILE. Unknown functions count as volatile: we cannot see their
    declared volatility without the catalog.
    """
    tree = parse_expression(f"SELECT {expression}", family)
    if tree is None:
        return [expression]
    found: list[str] = []
    for node in tree.find_all(exp.Func):
        if isinstance(node, exp.Cast | exp.TryCast | exp.Paren):
            continue
        if isinstance(node, exp.Anonymous):
            printed = node.name.lower()
            names = {printed}
        else:
            printed = node.sql(dialect=SQLGLOT_NAMES[family]).split("(")[0].strip().lower()
            names = {printed, (node.sql_name() or "").lower(), type(node).__name__.lower()}
        if names & STABLE_FUNCTIONS:
            continue
        found.append(printed or "?")
    return found


#: Functions PostgreSQL declares IMMUTABLE or STABLE (and sqlglot's names for them).
STABLE_FUNCTIONS = frozenset(
    {
        "now", "current_timestamp", "currenttimestamp", "current_date", "currentdate",
        "current_time", "currenttime", "localtimestamp", "localtime", "transaction_timestamp",
        "statement_timestamp", "lower", "upper", "coalesce", "concat", "length", "abs",
        "round", "trim", "to_char", "to_timestamp", "date_trunc", "datetrunc", "timestamptrunc",
        "make_interval", "jsonb_build_object", "json_build_object", "array", "cast",
        "current_user", "currentuser", "session_user", "interval", "greatest", "least",
        "nullif", "substring", "substr", "replace", "lpad", "rpad", "md5", "jsonb",
        "to_jsonb", "to_json", "timezone", "attimezone", "extract", "date", "utc_timestamp",
    }
)  # fmt: skip
