"""The request grammar: `$ARGUMENTS` or CLI verbs -> operations.

`parse_request('--add-column "orders.shipped_at timestamptz" --add-index "orders (shipped_at)"')`
returns a `Request` whose operations run in the order the verbs were given. Without a schema
only the syntax is checked; with one, each verb's operations are applied to the schema as it
stands after the verbs before it, so an unknown table or column is reported against the verb
that named it. Every mistake is a `SpecError` with a one-line message naming the verb and the
problem, and a hint with the fix and an example; nothing else escapes (tests/test_spec_fuzz.py).

The verbs live in `spec_verbs.py` (short forms) and `spec_sql.py` (`--sql`); the clause
parsers they share in `spec_parse.py` / `spec_alter.py`; tokens in `spec_grammar.py`.
"""

from __future__ import annotations

import difflib
import logging
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import MigwrightError, SpecError
from .ops import Operation, apply_all
from .schema import Schema
from .spec_grammar import sqlglot_dialect
from .spec_help import GRAMMAR as GRAMMAR  # re-exported: the grammar is part of this API
from .spec_parse import Context
from .spec_sql import sql_verb
from .spec_verbs import (
    Handler,
    VerbResult,
    add_check,
    add_column,
    add_enum_value,
    add_fk,
    add_index,
    add_unique,
    alter_table,
    backfill,
    create_enum,
    create_table,
    drop_column,
    drop_constraint,
    drop_index,
    drop_table,
    rename_column,
    rename_table,
)

# sqlglot warns through `logging` when it falls back to an opaque Command for SQL it does not
# model; with no handler configured Python would print that to stderr. Tools never print.
logging.getLogger("sqlglot").addHandler(logging.NullHandler())


@dataclass(frozen=True)
class Request:
    """A parsed request: operations in order, a short description for naming the migration
    ("add shipped_at to orders"), the request text as given, and notes for the person (SQL
    kept as raw statements, what was left out)."""

    operations: tuple[Operation, ...]
    description: str
    raw: str
    notes: tuple[str, ...] = ()


#: verb -> (handler, example). The example is the hint's second half for every mistake.
VERBS: dict[str, tuple[Handler, str]] = {
    "--create-table": (
        create_table,
        '--create-table "users (id bigint generated always as identity primary key, '
        'email text not null unique)"',
    ),
    "--add-column": (add_column, '--add-column "orders.shipped_at timestamptz"'),
    "--alter-table": (
        alter_table,
        '--alter-table "orders alter column total type numeric(12,2), drop column note"',
    ),
    "--drop-column": (drop_column, '--drop-column "orders.note"'),
    "--drop-table": (drop_table, '--drop-table "legacy_events"'),
    "--rename-column": (rename_column, '--rename-column "orders.total to amount"'),
    "--rename-table": (rename_table, '--rename-table "orders to purchases"'),
    "--add-index": (add_index, '--add-index "orders (user_id, created_at)"'),
    "--drop-index": (drop_index, '--drop-index "orders.ix_orders_user_id"'),
    "--add-fk": (add_fk, '--add-fk "orders.user_id -> users.id on delete cascade"'),
    "--drop-constraint": (drop_constraint, '--drop-constraint "orders.ck_orders_total"'),
    "--add-check": (add_check, '--add-check "orders total >= 0"'),
    "--add-unique": (add_unique, '--add-unique "users (email)"'),
    "--backfill": (backfill, "--backfill \"orders.status = 'pending' where status is null\""),
    "--create-enum": (create_enum, '--create-enum "mood (happy, sad)"'),
    "--add-enum-value": (add_enum_value, '--add-enum-value "mood.ok after happy"'),
    "--sql": (sql_verb, "--sql migrations/change.sql"),
}
ALL_VERBS = (*VERBS, "--description")
_VERB_LIKE = re.compile(r"^--[A-Za-z]")
_EXAMPLE = '--add-column "orders.shipped_at timestamptz"'


def parse_request(
    text_or_argv: str | Sequence[str],
    *,
    dialect: str = "postgresql",
    schema: Schema | None = None,
    base_dir: str | Path | None = None,
) -> Request:
    """Parse a request; see the module docstring and `GRAMMAR`.

    `base_dir` is where relative `--sql` paths are looked up (default: the working directory).
    """
    try:
        return _parse(text_or_argv, dialect, schema, base_dir)
    except SpecError:
        raise
    except MigwrightError as exc:
        raise SpecError(str(exc), exc.hint) from exc
    except Exception as exc:  # the contract: a person gets a SpecError, never a traceback
        raise SpecError(
            f"migwright could not read this request (internal error: {type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:120]})",
            "rephrase the request or use --sql FILE; please report this as a bug",
        ) from exc


def _parse(
    text_or_argv: str | Sequence[str],
    dialect: str,
    schema: Schema | None,
    base_dir: str | Path | None,
) -> Request:
    argv, raw = _split(text_or_argv)
    verbs, description = _verbs(argv)
    ctx = Context(dialect, sqlglot_dialect(dialect), base_dir=Path(base_dir) if base_dir else None)
    state = schema
    operations: list[Operation] = []
    summaries: list[str] = []
    notes: list[str] = []
    for verb, arg in verbs:
        ctx.schema = state
        result = _run(verb, arg, ctx)
        if state is not None:
            try:
                state = apply_all(result.operations, state)
            except MigwrightError as exc:
                raise SpecError(f"{_where(verb, arg)}: {exc}", exc.hint) from exc
        operations += result.operations
        summaries.append(result.summary)
        notes += result.notes
    return Request(tuple(operations), description or _describe(summaries), raw, tuple(notes))


def _split(text_or_argv: str | Sequence[str]) -> tuple[list[str], str]:
    if isinstance(text_or_argv, str):
        try:
            return shlex.split(text_or_argv), text_or_argv
        except ValueError as exc:
            raise SpecError(
                f"the request has an unclosed quote ({exc})",
                f"quote each argument once, e.g. {_EXAMPLE}",
            ) from exc
    argv = [str(a) for a in text_or_argv]
    return argv, shlex.join(argv)


def _verbs(argv: list[str]) -> tuple[list[tuple[str, str]], str | None]:
    """(verb, argument) pairs in order, and the --description if one was given."""
    if not argv:
        raise SpecError("the request is empty", f"give at least one verb, e.g. {_EXAMPLE}")
    pairs: list[tuple[str, str]] = []
    description: str | None = None
    i = 0
    while i < len(argv):
        word = argv[i]
        verb, eq, value = word.partition("=")
        if not _VERB_LIKE.match(verb):
            raise SpecError(
                f"unexpected {_short(word)!r}: each part starts with a --verb", _guess(word)
            )
        if verb not in ALL_VERBS:
            raise SpecError(f"unknown verb {verb}", _guess(verb))
        if eq:
            arg, i = value, i + 1
        elif i + 1 < len(argv) and not _VERB_LIKE.match(argv[i + 1]):
            arg, i = argv[i + 1], i + 2
        else:
            raise SpecError(f"{verb} needs an argument", f"e.g. {_example(verb)}")
        if not arg.strip():
            raise SpecError(f"{verb} has an empty argument", f"e.g. {_example(verb)}")
        if verb == "--description":
            if description is not None:
                raise SpecError("--description is given twice", "give one description")
            description = " ".join(arg.split())
        else:
            pairs.append((verb, arg))
    if not pairs:
        raise SpecError("the request has no changes, only a description", f"e.g. {_EXAMPLE}")
    return pairs, description


def _guess(word: str) -> str:
    """A hint for something that is not a verb: the closest verb, else the list."""
    if "-" in word or word.lower() in ("sql", "description"):
        candidate = "--" + word.lstrip("-").split("=")[0].lower()
        close = difflib.get_close_matches(candidate, ALL_VERBS, n=1, cutoff=0.6)
        if close:
            return f"did you mean {close[0]}? e.g. {_example(close[0])}"
    return f"start each change with a verb, e.g. {_EXAMPLE}; verbs: {', '.join(ALL_VERBS)}"


def _example(verb: str) -> str:
    return VERBS[verb][1] if verb in VERBS else '--description "add shipped_at to orders"'


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _where(verb: str, arg: str) -> str:
    return f'{verb} "{_short(arg)}"'


def _run(verb: str, arg: str, ctx: Context) -> VerbResult:
    handler, example = VERBS[verb]
    try:
        return handler(arg, ctx)
    except SpecError as exc:
        hint = exc.hint
        if not hint:
            hint = example
        elif "e.g." not in hint and not hint.startswith("--"):
            hint = f"{hint}; e.g. {example}"
        raise SpecError(f"{_where(verb, arg)}: {exc}", hint) from exc


def _describe(summaries: list[str]) -> str:
    """One short phrase for the whole request, for the migration's name."""
    if len(summaries) <= 2:
        return " and ".join(summaries)
    return f"{summaries[0]}, {summaries[1]} and {len(summaries) - 2} more"
