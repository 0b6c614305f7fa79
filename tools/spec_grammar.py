"""Reading request text: the dialect's tokens, a cursor over them, and the grammar help text.

Every verb argument (`"orders.shipped_at timestamptz not null default now()"`) is read with
sqlglot's tokenizer for the target dialect, so quoting works the way the user's database reads
it (backticks in MySQL, double quotes as identifiers in PostgreSQL and SQLite, `''` escapes,
dollar quoting), and then walked by the small clause parsers in `spec_parse.py`.

Types and expressions are kept as the user wrote them (sliced from the source by token
positions) rather than re-rendered by sqlglot: its renderer rewrites `bigint` to `INTEGER` for
SQLite and `x::numeric` to `CAST(x AS DECIMAL)`, and the migration should say what the user said.
sqlglot still checks every expression, so nothing unparsable reaches an operation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import TokenType

from .errors import SpecError

#: migwright's dialect names (and common spellings) -> sqlglot's.
DIALECTS = {
    "postgresql": "postgres",
    "postgres": "postgres",
    "pg": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
}

#: Referential actions as written -> stored (NO ACTION, the default everywhere, is None).
ACTIONS = {
    ("CASCADE",): "CASCADE",
    ("RESTRICT",): "RESTRICT",
    ("SET", "NULL"): "SET NULL",
    ("SET", "DEFAULT"): "SET DEFAULT",
    ("NO", "ACTION"): None,
}
ACTION_HINT = "use one of: cascade, set null, set default, restrict, no action"


class UnmodelledError(SpecError):
    """Valid SQL that migwright's operations do not model (a collation, a generated column).

    A verb reports it like any mistake; `--sql` keeps such a statement as raw SQL instead.
    """


def sqlglot_dialect(dialect: str) -> str:
    """sqlglot's name for one of migwright's dialect names."""
    name = DIALECTS.get(dialect.strip().lower())
    if name is None:
        raise SpecError(f"unknown dialect {dialect!r}", "use postgresql, mysql or sqlite")
    return name


# ---------------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------------

_WORD = re.compile(r"^[^\W\d][\w$]*$")
_PHRASE = re.compile(r"^[^\W\d][\w$]*(\s+[^\W\d][\w$]*)+$")
_STRINGS = {
    TokenType.STRING,
    TokenType.NATIONAL_STRING,
    TokenType.RAW_STRING,
    TokenType.HEREDOC_STRING,
    TokenType.BIT_STRING,
    TokenType.HEX_STRING,
    TokenType.BYTE_STRING,
    TokenType.UNICODE_STRING,
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Tok:
    """One token. `kind` is word, ident (quoted identifier), string, number or punct.

    `text` is a word as written, an identifier or string without its quotes, or the punctuation.
    `start`/`end` are offsets into the source (end exclusive), so slices give the user's text.
    """

    kind: str
    text: str
    start: int
    end: int
    line: int

    @property
    def upper(self) -> str:
        """The word in upper case, for keyword matching; empty for anything but a word."""
        return self.text.upper() if self.kind == "word" else ""

    def shown(self) -> str:
        return repr(self.text) if self.kind != "string" else repr(f"'{self.text}'")


def tokenize(source: str, sg_dialect: str) -> list[Tok]:
    """The dialect's tokens of `source`; an unterminated quote or stray character is a SpecError."""
    try:
        raw = Dialect.get_or_raise(sg_dialect).tokenize(source)
    except sqlglot.errors.SqlglotError as exc:
        raise SpecError(
            f"cannot read {source.strip()[:60]!r}: {clean_message(exc)}",
            "check the quotes: strings in 'single quotes', names in "
            + ("`backticks`" if sg_dialect == "mysql" else '"double quotes"'),
        ) from exc
    tokens: list[Tok] = []
    for t in raw:
        if t.token_type == TokenType.UNKNOWN:
            raise SpecError(
                f"unexpected character {t.text!r} in {source.strip()[:60]!r}",
                "remove it, or quote the name it belongs to",
            )
        if t.token_type in _STRINGS:
            kind = "string"
        elif t.token_type == TokenType.NUMBER:
            kind = "number"
        elif t.token_type == TokenType.IDENTIFIER:
            kind = "ident"
        elif _WORD.match(t.text):
            kind = "word"
        elif _PHRASE.match(t.text):
            # sqlglot reads some phrases as one keyword (PRIMARY KEY, DOUBLE PRECISION);
            # the clause parsers match words, so split them back into words.
            for m in re.finditer(r"[^\s]+", source[t.start : t.end + 1]):
                tokens.append(
                    Tok("word", m.group(), t.start + m.start(), t.start + m.end(), t.line)
                )
            continue
        else:
            kind = "punct"
        tokens.append(Tok(kind, t.text, t.start, t.end + 1, t.line))
    return tokens


def clean_message(exc: BaseException) -> str:
    """sqlglot's error text without its terminal colour codes, on one line."""
    errors = getattr(exc, "errors", None)
    if errors and isinstance(errors, list) and isinstance(errors[0], dict):
        first = errors[0]
        text = str(first.get("description", exc))
        if first.get("highlight"):
            text += f" near {_ANSI.sub('', str(first['highlight']))!r}"
        return _tidy(text)
    return _tidy(str(exc))[:200] or type(exc).__name__


_MISSING = re.compile(r"Required keyword: '\w+' missing for <class '[\w.]+'>")
_TOKEN_REPR = re.compile(r"<Token token_type: TokenType\.(\w+), text: (.*?), line: .*?>")


def _tidy(text: str) -> str:
    """One line, no colour codes, and sqlglot's `<Token ...>` reprs as the text they stand for."""
    text = _ANSI.sub("", text)
    text = _MISSING.sub("it is incomplete", text)
    text = _TOKEN_REPR.sub(
        lambda m: "the end" if m.group(1) == "SENTINEL" else repr(m.group(2)), text
    )
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------
# Expressions
# ---------------------------------------------------------------------------------------------

#: Parse results that are not a value expression (an alias hides a missing operator: `a > 0 b`).
_NOT_EXPRESSIONS = (exp.Alias, exp.Query, exp.DDL, exp.DML, exp.Command, exp.Star, exp.Tuple)


def check_expression(text: str, sg_dialect: str, what: str) -> str:
    """`text` if it is one SQL value expression in the dialect; otherwise a SpecError.

    Any failure inside sqlglot counts as "not readable": it is a third-party parser fed with
    arbitrary user text, and what matters here is only whether it could read the expression.
    """
    try:
        tree = sqlglot.parse_one(text, read=sg_dialect)
    except Exception as exc:
        raise SpecError(
            f"{what} {text!r} is not a SQL expression: {clean_message(exc)}",
            "write it as in a SQL WHERE clause, e.g. status = 'open'",
        ) from exc
    if tree is None or isinstance(tree, _NOT_EXPRESSIONS):
        raise SpecError(
            f"{what} {text!r} is not a single SQL expression",
            "write one expression, e.g. total >= 0 (put several conditions together with and)",
        )
    if any(isinstance(node, exp.Placeholder | exp.Parameter) for node in tree.walk()):
        raise SpecError(
            f"{what} {text!r} has a query parameter", "write the value itself, not a placeholder"
        )
    return text


# ---------------------------------------------------------------------------------------------
# Cursor
# ---------------------------------------------------------------------------------------------

Stop = Callable[["Cursor"], bool]


class Cursor:
    """A position in a token list, with the small reads every clause parser needs.

    Errors are SpecErrors that name the problem only; the verb layer adds which verb and
    argument they came from.
    """

    def __init__(self, tokens: list[Tok], source: str, sg_dialect: str) -> None:
        self.tokens = tokens
        self.source = source
        self.sg = sg_dialect
        self.pos = 0

    @classmethod
    def of(cls, source: str, sg_dialect: str) -> Cursor:
        return cls(tokenize(source, sg_dialect), source, sg_dialect)

    # -- looking -------------------------------------------------------------------------------
    def at_end(self) -> bool:
        return self.pos >= len(self.tokens)

    def peek(self, offset: int = 0) -> Tok | None:
        index = self.pos + offset
        return self.tokens[index] if 0 <= index < len(self.tokens) else None

    def is_word(self, *words: str, offset: int = 0) -> bool:
        """True when the next tokens are these words (case-insensitive)."""
        for i, word in enumerate(words):
            tok = self.peek(offset + i)
            if tok is None or tok.upper != word:
                return False
        return True

    def is_punct(self, text: str, offset: int = 0) -> bool:
        tok = self.peek(offset)
        return tok is not None and tok.kind == "punct" and tok.text == text

    def word(self, offset: int = 0) -> str:
        """The upper-case word at `offset`, or "" when there is none (a name in quotes, a
        string, punctuation, the end)."""
        tok = self.peek(offset)
        return tok.upper if tok is not None else ""

    def found(self) -> str:
        tok = self.peek()
        return "the end" if tok is None else tok.shown()

    # -- consuming -----------------------------------------------------------------------------
    def advance(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise SpecError("unexpected end of text", "the argument stops too early")
        self.pos += 1
        return tok

    def accept(self, *words: str) -> bool:
        if self.is_word(*words):
            self.pos += len(words)
            return True
        return False

    def expect(self, *words: str, hint: str = "") -> None:
        if not self.accept(*words):
            raise SpecError(f"expected {' '.join(words).lower()}, found {self.found()}", hint)

    def accept_punct(self, text: str) -> bool:
        if self.is_punct(text):
            self.pos += 1
            return True
        return False

    def expect_punct(self, text: str, what: str, hint: str = "") -> None:
        if not self.accept_punct(text):
            raise SpecError(f"expected {text!r} {what}, found {self.found()}", hint)

    def is_name(self, offset: int = 0) -> bool:
        tok = self.peek(offset)
        return tok is not None and tok.kind in ("word", "ident")

    def name(self, what: str, hint: str = "") -> str:
        """A table, column or constraint name. PostgreSQL folds unquoted names to lower case."""
        tok = self.peek()
        if tok is None or tok.kind not in ("word", "ident"):
            raise SpecError(f"expected {what}, found {self.found()}", hint)
        self.pos += 1
        if tok.kind == "word" and self.sg == "postgres":
            return tok.text.lower()
        if not tok.text:
            raise SpecError(f"{what} is empty", hint)
        return tok.text

    def name_list(self, what: str, hint: str = "") -> tuple[str, ...]:
        """`( name [, name]* )`."""
        self.expect_punct("(", f"before the {what}", hint)
        names = [self.name(what, hint)]
        while self.accept_punct(","):
            names.append(self.name(what, hint))
        self.expect_punct(")", f"after the {what}", hint)
        return tuple(names)

    def value(self, what: str) -> str:
        """A word or a 'string' (enum values): its text without quotes."""
        tok = self.peek()
        if tok is None or tok.kind not in ("word", "string", "ident"):
            raise SpecError(f"expected {what}, found {self.found()}", "write 'value' in quotes")
        self.pos += 1
        return tok.text

    def finish(self, what: str, hint: str = "") -> None:
        if not self.at_end():
            raise SpecError(f"unexpected {self.found()} after {what}", hint)

    # -- expressions ---------------------------------------------------------------------------
    def expression(self, what: str, stop: Stop | None = None) -> str:
        """SQL expression text up to `stop` (checked at paren depth 0 after the first token), a
        comma or an unmatched `)` at depth 0, or the end; checked by sqlglot, returned verbatim."""
        first = self.pos
        depth = 0
        while not self.at_end():
            tok = self.tokens[self.pos]
            if depth == 0 and self.pos > first:
                if tok.kind == "punct" and tok.text in (",", ";"):
                    break
                if stop is not None and stop(self):
                    break
            if tok.kind == "punct" and tok.text in ("(", "["):
                depth += 1
            elif tok.kind == "punct" and tok.text in (")", "]"):
                if depth == 0:
                    break
                depth -= 1
            self.pos += 1
        if self.pos == first:
            raise SpecError(f"expected {what}, found {self.found()}", "write a SQL expression")
        return check_expression(self.slice(first, self.pos), self.sg, what)

    def parenthesized(self, what: str) -> str:
        """`( expression )` -> the expression text."""
        self.expect_punct("(", f"before the {what}", "put it in parentheses: check (total >= 0)")
        text = self.expression(what)
        self.expect_punct(")", f"after the {what}")
        return text

    def slice(self, first: int, stop: int) -> str:
        return self.source[self.tokens[first].start : self.tokens[stop - 1].end]

    def function_call_next(self, offset: int = 0) -> bool:
        """True when the word at `offset` is directly followed by `(`: `reverse(name)` is a call,
        not the `reverse` keyword."""
        word, paren = self.peek(offset), self.peek(offset + 1)
        return (
            word is not None
            and paren is not None
            and paren.kind == "punct"
            and paren.text == "("
            and paren.start == word.end
        )


def referential_action(cur: Cursor, event: str) -> str | None:
    """The action after ON DELETE / ON UPDATE, normalised (NO ACTION -> None)."""
    for words, stored in ACTIONS.items():
        if cur.accept(*words):
            return stored
    raise SpecError(f"unknown referential action {cur.found()} for on {event}", ACTION_HINT)


def foreign_key_actions(cur: Cursor) -> tuple[str | None, str | None]:
    """Any number of `ON DELETE a` / `ON UPDATE a` clauses, each at most once."""
    on_delete: str | None = None
    on_update: str | None = None
    seen: set[str] = set()
    while cur.is_word("ON", "DELETE") or cur.is_word("ON", "UPDATE"):
        cur.advance()
        event = cur.advance().upper.lower()
        if event in seen:
            raise SpecError(f"on {event} given twice", "give each action once")
        seen.add(event)
        action = referential_action(cur, event)
        if event == "delete":
            on_delete = action
        else:
            on_update = action
    return on_delete, on_update
