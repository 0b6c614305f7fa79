"""SQL text to statements and tokens, with line numbers and ignore markers.

The linter needs three things sqlglot's tokenizer does not hand over together: where each
statement starts (file:line for every finding), the comments between statements (the
`-- migwright: ignore <rule-id> <reason>` markers apply to the next statement) and a split that
survives what migration files really hold: PostgreSQL dollar-quoted function bodies, nested
block comments, MySQL `#` comments, backslash escapes and `DELIMITER` lines, and trigger bodies
(`BEGIN ... END;` in SQLite and MySQL) whose inner semicolons do not end the statement. So the
scan here is a small hand-written one; sqlglot then parses each statement on its own.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ..sqlscript import body_depth

#: Dialect families the scanner knows: the quoting and comment rules differ between them.
FAMILIES = ("postgresql", "mysql", "sqlite")

_WORD_START = re.compile(r"[A-Za-z_\u0080-\uffff]")
_WORD = re.compile(r"[A-Za-z0-9_$\u0080-\uffff]*")
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_MARKER = re.compile(
    r"migwright\s*:\s*ignore\b\s*(?P<rules>[A-Za-z0-9_-]+(?:\s*,\s*[A-Za-z0-9_-]+)*)?"
    r"(?P<reason>.*)",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Tok:
    """One token. `kind` is word, ident (quoted identifier), string, number, param or punct.

    `start` is the offset in the statement's text, so a rule can quote the exact source of a
    default expression or a type (`Statement.text_between`).
    """

    kind: str
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def upper(self) -> str:
        """Keyword spelling: upper-cased words; other tokens as written."""
        return self.text.upper() if self.kind == "word" else self.text

    @property
    def name(self) -> str:
        """The identifier this token names: quotes removed, case kept."""
        if self.kind == "ident":
            inner = self.text[1:-1]
            quote = self.text[0]
            return inner.replace(quote * 2, quote) if quote != "[" else inner
        return self.text

    @property
    def is_name(self) -> bool:
        return self.kind in ("word", "ident")

    @property
    def value(self) -> str:
        """A string literal's content (quotes and doubled quotes removed)."""
        if self.kind != "string":
            return self.text
        text = self.text
        if text[:1] in "eEnNbBxX" and text[1:2] == "'":
            text = text[1:]
        if text.startswith("$"):
            tag_end = text.index("$", 1) + 1
            return text[tag_end:-tag_end]
        return text[1:-1].replace("''", "'")


@dataclass(frozen=True)
class Marker:
    """A `migwright: ignore` comment. `rules` is empty and `reason` blank when malformed."""

    rules: tuple[str, ...]
    reason: str
    line: int
    text: str


@dataclass(frozen=True)
class RawStatement:
    """One statement as written: its text (without the final `;`), line and markers."""

    text: str
    line: int
    offset: int
    tokens: tuple[Tok, ...]
    markers: tuple[Marker, ...] = ()


@dataclass
class _Builder:
    source: str
    line_starts: list[int]
    tokens: list[tuple[str, int, int]] = field(default_factory=list)
    comments: list[tuple[str, int]] = field(default_factory=list)

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)


def split_sql(source: str, family: str = "postgresql") -> list[RawStatement]:
    """Split `source` into statements. Empty statements (`;;`) and pure comments vanish.

    Markers in the comments before a statement (since the previous `;`) belong to it; markers
    after the last statement belong to nothing and are dropped.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown SQL family {family!r}")
    line_starts = [0] + [m.end() for m in re.finditer(r"\n", source)]
    b = _Builder(source, line_starts)
    statements: list[RawStatement] = []
    delimiter = ";"
    i, n = 0, len(source)
    pending_markers: list[Marker] = []
    block_depth = 0

    def flush(end: int) -> None:
        nonlocal pending_markers, block_depth
        if b.tokens:
            first = b.tokens[0][1]
            text = source[first:end].rstrip()
            toks = tuple(Tok(kind, source[s:e], s - first) for kind, s, e in b.tokens)
            statements.append(
                RawStatement(text, b.line_of(first), first, toks, tuple(pending_markers))
            )
            pending_markers = []
        b.tokens = []
        block_depth = 0

    def note_comment(text: str, offset: int) -> None:
        match = _MARKER.search(text)
        if match and not b.tokens:
            rules = tuple(
                r.strip().lower() for r in (match.group("rules") or "").split(",") if r.strip()
            )
            reason = match.group("reason").strip().rstrip("*/").strip(" \t-:—")
            pending_markers.append(Marker(rules, reason, b.line_of(offset), text.strip()))

    while i < n:
        ch = source[i]
        # MySQL client DELIMITER lines change the statement terminator.
        if family == "mysql" and ch in "Dd" and (i == 0 or source[i - 1] == "\n"):
            match = re.match(r"DELIMITER[ \t]+(\S+)[ \t]*(?:\n|$)", source[i:], re.IGNORECASE)
            if match:
                flush(i)
                delimiter = match.group(1)
                i += match.end()
                continue
        if delimiter != ";" and source.startswith(delimiter, i):
            flush(i)
            i += len(delimiter)
            continue
        if ch in " \t\r\n\f":
            i += 1
            continue
        if ch == "-" and source.startswith("--", i):
            end = source.find("\n", i)
            end = n if end < 0 else end
            note_comment(source[i + 2 : end], i)
            i = end
            continue
        if ch == "#" and family == "mysql":
            end = source.find("\n", i)
            end = n if end < 0 else end
            note_comment(source[i + 1 : end], i)
            i = end
            continue
        if ch == "/" and source.startswith("/*", i):
            end = _block_comment_end(source, i, nested=family == "postgresql")
            note_comment(source[i + 2 : end - 2], i)
            i = end
            continue
        if ch == ";" and delimiter == ";":
            if block_depth > 0:
                b.tokens.append(("punct", i, i + 1))
                i += 1
                continue
            flush(i)
            i += 1
            continue
        start = i
        kind, i = _token(source, i, family)
        if delimiter != ";" and kind == "word":
            cut = source.find(delimiter, start + 1, i)
            i = cut if cut > start else i  # `END$$`: the word stops at the delimiter
        b.tokens.append((kind, start, i))
        if kind == "word":
            block_depth = _track_block(b, source, block_depth)
    flush(n)
    return statements


def _token(source: str, i: int, family: str) -> tuple[str, int]:
    """Scan one token starting at `i`: its kind and the offset after it."""
    ch = source[i]
    n = len(source)
    if ch in "eEnNbBxX" and i + 1 < n and source[i + 1] == "'":
        backslash = ch in "eE" or family == "mysql"
        return "string", _quoted_end(source, i + 1, "'", backslash)
    if ch == "'":
        return "string", _quoted_end(source, i, "'", family == "mysql")
    if ch == '"':
        return "ident", _quoted_end(source, i, '"', family == "mysql")
    if ch == "`":
        return "ident", _quoted_end(source, i, "`", False)
    if ch == "[" and family == "sqlite":
        end = source.find("]", i)
        return "ident", n if end < 0 else end + 1
    if ch == "$" and family == "postgresql":
        match = _DOLLAR_TAG.match(source, i)
        if match:
            tag = match.group(0)
            end = source.find(tag, match.end())
            return "string", n if end < 0 else end + len(tag)
        match = re.compile(r"\$\d+").match(source, i)
        if match:
            return "param", match.end()
    if _WORD_START.match(ch):
        match = _WORD.match(source, i + 1)
        return "word", match.end() if match else i + 1
    if ch.isdigit() or (ch == "." and i + 1 < n and source[i + 1].isdigit()):
        match = _NUMBER.match(source, i)
        return "number", match.end() if match else i + 1
    if ch == ":" and source.startswith("::", i):
        return "punct", i + 2
    if ch in "?" or (ch == "@" and family == "mysql"):
        match = re.compile(r"@@?[A-Za-z0-9_.$]*|\?").match(source, i)
        if match and match.end() > i:
            return ("word" if ch == "@" else "param"), match.end()
    return "punct", i + 1


def _quoted_end(source: str, i: int, quote: str, backslash: bool) -> int:
    """Offset after the quoted text starting at `i` (doubled quotes escape; maybe backslash)."""
    j = i + 1
    n = len(source)
    while j < n:
        ch = source[j]
        if backslash and ch == "\\":
            j += 2
            continue
        if ch == quote:
            if j + 1 < n and source[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    return n


def _block_comment_end(source: str, i: int, nested: bool) -> int:
    depth = 0
    j = i
    n = len(source)
    while j < n:
        if source.startswith("/*", j):
            depth = depth + 1 if nested or depth == 0 else depth
            j += 2
            continue
        if source.startswith("*/", j):
            depth -= 1
            j += 2
            if depth <= 0:
                return j
            continue
        j += 1
    return n


def _track_block(b: _Builder, source: str, depth: int) -> int:
    """Depth of BEGIN/CASE ... END inside a CREATE TRIGGER/FUNCTION/PROCEDURE being scanned
    (the rule is sqlscript.body_depth, which the migration runners' splitter uses too)."""
    head = [source[s:e].upper() for kind, s, e in b.tokens[:6] if kind == "word"]
    word = source[b.tokens[-1][1] : b.tokens[-1][2]].upper()
    previous = source[b.tokens[-2][1] : b.tokens[-2][2]].upper() if len(b.tokens) > 1 else ""
    return body_depth(head, previous, word, depth)
