"""Tokens and plain values of JavaScript and TypeScript source, without running it.

A regular expression over a knexfile finds `client:` inside a comment or a string as happily
as in code; a tokenizer that knows strings, template literals, comments and regex literals
does not. This module turns source into tokens (with line numbers for error messages),
checks that brackets balance (the cheapest useful "does this file parse" test), and holds
the value types the config reader in `jsconfig` produces.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import TypeAlias


class JsSyntaxError(Exception):
    """The file does not tokenize or its brackets do not balance; `line` is 1-based.

    Adapters turn it into a ConfigError or HistoryError that names their file.
    """

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Token:
    """One token: `kind` is name, number, string, template, regex or punct.

    For a string, `text` is its decoded value; for a template, its raw inner source.
    """

    kind: str
    text: str
    start: int
    end: int
    line: int


@dataclass(frozen=True)
class JsExpr:
    """An expression kept as source text (environment references shown as `${X}`)."""

    text: str
    line: int

    def __str__(self) -> str:
        return self.text


JsValue: TypeAlias = "str | int | float | bool | JsExpr | list[JsValue] | dict[str, JsValue] | None"

_PUNCT = sorted(
    [
        "...",
        "===",
        "!==",
        "=>",
        "==",
        "!=",
        "||",
        "??",
        "&&",
        "?.",
        "<=",
        ">=",
        "+=",
        "-=",
        "++",
        "--",
        "**",
    ],
    key=len,
    reverse=True,
)
_NAME = re.compile(r"[A-Za-z_$\u00c0-\uffff][\w$\u00c0-\uffff]*")
_NUMBER = re.compile(
    r"(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)n?"
)
_REGEX_BEFORE = set("(,=:[!&|?{};+-*%<>~^") | {"=>", "==", "===", "!=", "!==", "||", "&&", "??"}
_REGEX_AFTER_WORDS = {
    "return",
    "typeof",
    "case",
    "do",
    "else",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "yield",
    "await",
}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_TEMPLATE_HOLE = re.compile(r"\$\{([^{}]*)\}")
_ENV = re.compile(r"\bprocess\.env(?:\.([A-Za-z_$][\w$]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])!?")
_ENV_HOLE = re.compile(r"\$\{\s*" + _ENV.pattern + r"\s*\}")
CLOSERS = {"(": ")", "[": "]", "{": "}"}


def env_text(source: str) -> str:
    """Source text with every `process.env.X` (or `process.env["X"]`) shown as `${X}`."""
    source = _ENV_HOLE.sub(lambda m: "${" + (m[1] or m[2]) + "}", source)
    return _ENV.sub(lambda m: "${" + (m[1] or m[2]) + "}", source)


class _Lexer:
    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.newlines = [i for i, ch in enumerate(source) if ch == "\n"]
        self.tokens: list[Token] = []

    def line_at(self, offset: int) -> int:
        return bisect.bisect_right(self.newlines, offset - 1) + 1

    def run(self) -> list[Token]:
        while (tok := self.next_token()) is not None:
            self.tokens.append(tok)
        return self.tokens

    def _skip_space_and_comments(self) -> None:
        src = self.src
        while self.pos < len(src):
            ch = src[self.pos]
            if ch.isspace():
                self.pos += 1
            elif src.startswith("//", self.pos) or (self.pos == 0 and src.startswith("#!")):
                end = src.find("\n", self.pos)
                self.pos = len(src) if end < 0 else end
            elif src.startswith("/*", self.pos):
                end = src.find("*/", self.pos + 2)
                if end < 0:
                    raise JsSyntaxError("unterminated /* comment", self.line_at(self.pos))
                self.pos = end + 2
            else:
                return

    def _regex_allowed(self) -> bool:
        if not self.tokens:
            return True
        prev = self.tokens[-1]
        if prev.kind == "punct":
            return prev.text in _REGEX_BEFORE
        return prev.kind == "name" and prev.text in _REGEX_AFTER_WORDS

    def next_token(self) -> Token | None:
        self._skip_space_and_comments()
        src, start = self.src, self.pos
        if start >= len(src):
            return None
        ch = src[start]
        line = self.line_at(start)
        if ch in "'\"":
            value = self._read_string(ch)
            return Token("string", value, start, self.pos, line)
        if ch == "`":
            raw = self._read_template()
            return Token("template", raw, start, self.pos, line)
        if m := _NAME.match(src, start):
            self.pos = m.end()
            return Token("name", m[0], start, self.pos, line)
        if ch.isdigit() or (ch == "." and start + 1 < len(src) and src[start + 1].isdigit()):
            m = _NUMBER.match(src, start)
            self.pos = m.end() if m and m.end() > start else start + 1
            return Token("number", src[start : self.pos], start, self.pos, line)
        if ch == "/" and self._regex_allowed():
            self._read_regex()
            return Token("regex", src[start : self.pos], start, self.pos, line)
        for punct in _PUNCT:
            if src.startswith(punct, start):
                self.pos = start + len(punct)
                return Token("punct", punct, start, self.pos, line)
        self.pos = start + 1
        return Token("punct", ch, start, self.pos, line)

    def _read_string(self, quote: str) -> str:
        src, out = self.src, list[str]()
        start = self.pos
        self.pos += 1
        while self.pos < len(src):
            ch = src[self.pos]
            if ch == quote:
                self.pos += 1
                return "".join(out)
            if ch == "\n":
                break
            if ch == "\\" and self.pos + 1 < len(src):
                nxt = src[self.pos + 1]
                if nxt != "\n":
                    out.append(_ESCAPES.get(nxt, nxt))
                self.pos += 2
                continue
            out.append(ch)
            self.pos += 1
        raise JsSyntaxError(f"unterminated string starting {quote}", self.line_at(start))

    def _read_template(self) -> str:
        src, start = self.src, self.pos
        self.pos += 1
        while self.pos < len(src):
            ch = src[self.pos]
            if ch == "\\":
                self.pos += 2
            elif ch == "`":
                self.pos += 1
                return src[start + 1 : self.pos - 1]
            elif src.startswith("${", self.pos):
                self.pos += 2
                self._skip_to_closing_brace()
            else:
                self.pos += 1
        raise JsSyntaxError("unterminated template literal", self.line_at(start))

    def _skip_to_closing_brace(self) -> None:
        depth, start = 0, self.pos
        while True:
            tok = self.next_token()
            if tok is None:
                raise JsSyntaxError("unterminated ${ in template literal", self.line_at(start))
            if tok.kind == "punct" and tok.text == "{":
                depth += 1
            elif tok.kind == "punct" and tok.text == "}":
                if depth == 0:
                    return
                depth -= 1

    def _read_regex(self) -> None:
        src, start = self.src, self.pos
        self.pos += 1
        in_class = False
        while self.pos < len(src) and src[self.pos] != "\n":
            ch = src[self.pos]
            if ch == "\\":
                self.pos += 2
                continue
            if ch == "[":
                in_class = True
            elif ch == "]":
                in_class = False
            elif ch == "/" and not in_class:
                self.pos += 1
                while self.pos < len(src) and (src[self.pos].isalnum() or src[self.pos] == "_"):
                    self.pos += 1
                return
            self.pos += 1
        raise JsSyntaxError("unterminated regular expression", self.line_at(start))


def tokenize(source: str) -> list[Token]:
    """Tokens of a JS/TS source; raises JsSyntaxError on unterminated literals or brackets."""
    lexer = _Lexer(source)
    tokens = lexer.run()
    stack: list[Token] = []
    for tok in tokens:
        if tok.kind != "punct":
            continue
        if tok.text in CLOSERS:
            stack.append(tok)
        elif tok.text in (")", "]", "}"):
            if not stack:
                raise JsSyntaxError(f"unmatched '{tok.text}'", tok.line)
            opener = stack.pop()
            if CLOSERS[opener.text] != tok.text:
                raise JsSyntaxError(
                    f"'{opener.text}' opened on line {opener.line} is closed by '{tok.text}'",
                    tok.line,
                )
    if stack:
        raise JsSyntaxError(f"'{stack[-1].text}' is never closed", stack[-1].line)
    return tokens


def number_value(text: str) -> int | float | JsExpr:
    """A numeric literal's value (`1_000`, `0x1f`, `2.5e3`); odd ones stay source text."""
    clean = text.replace("_", "").rstrip("n")
    try:
        return (
            int(clean, 0)
            if not re.search(r"[.eE]", clean) or clean[:2] in ("0x", "0X")
            else (float(clean))
        )
    except ValueError:
        return JsExpr(text, 0)


def template_value(raw: str) -> str:
    """A template literal as text, each `${process.env.X}` hole shown as `${X}`."""

    def hole(match: re.Match[str]) -> str:
        inner = match[1].strip()
        env = _ENV.fullmatch(inner)
        return "${" + (env[1] or env[2]) + "}" if env else "${" + inner + "}"

    text = _TEMPLATE_HOLE.sub(hole, raw)
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[1]), text)


def display(value: JsValue) -> str | None:
    """A value as one line of text for FrameworkConfig.settings (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(filter(None, (display(v) for v in value)))
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {display(v)}" for k, v in value.items()) + "}"
    return str(value)
