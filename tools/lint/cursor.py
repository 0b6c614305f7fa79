"""A cursor over one statement's tokens: keyword matching, names, parenthesised groups.

The shape readers (`shape.py`, `shape_parts.py`) are written with it; it knows nothing about
SQL beyond words, names, commas and brackets.
"""

from __future__ import annotations

from collections.abc import Sequence

from .source import Tok

_OPEN = {"(": ")", "[": "]"}


class Cursor:
    """Reads tokens left to right. Keyword arguments of `at`/`accept` are upper-case words or
    punctuation; `<any>` matches any single token."""

    def __init__(self, toks: Sequence[Tok], sql: str, pos: int = 0) -> None:
        self.toks = list(toks)
        self.sql = sql
        self.pos = pos

    @property
    def done(self) -> bool:
        return self.pos >= len(self.toks)

    def peek(self, k: int = 0) -> Tok | None:
        j = self.pos + k
        return self.toks[j] if 0 <= j < len(self.toks) else None

    def text_at(self, k: int = 0) -> str:
        """The source text of the token at offset k ("" past the end)."""
        tok = self.peek(k)
        return tok.text if tok is not None else ""

    def value_at(self, k: int = 0) -> str:
        """A string literal's content (or the token's text) at offset k ("" past the end)."""
        tok = self.peek(k)
        return tok.value if tok is not None else ""

    def word(self, k: int = 0) -> str:
        """The upper-cased word at offset k, or "" when that token is not a bare word."""
        tok = self.peek(k)
        return tok.upper if tok is not None and tok.kind == "word" else ""

    def at(self, *words: str) -> bool:
        for k, want in enumerate(words):
            tok = self.peek(k)
            if tok is None:
                return False
            if want == "<any>":
                continue
            if tok.kind == "word" and tok.upper == want:
                continue
            if tok.kind == "punct" and tok.text == want:
                continue
            return False
        return True

    def accept(self, *words: str) -> bool:
        if self.at(*words):
            self.pos += len(words)
            return True
        return False

    def accept_any(self, *words: str) -> str | None:
        for want in words:
            if self.accept(want):
                return want
        return None

    def advance(self, k: int = 1) -> None:
        self.pos += k

    def name(self) -> str | None:
        """A possibly qualified name (`public.orders`), quotes removed; None when absent."""
        tok = self.peek()
        if tok is None or not tok.is_name:
            return None
        parts = [tok.name]
        self.pos += 1
        while self.at(".") and self.peek(1) is not None and self.peek(1).is_name:  # type: ignore[union-attr]
            parts.append(self.toks[self.pos + 1].name)
            self.pos += 2
        return ".".join(parts)

    def group(self) -> list[Tok] | None:
        """The tokens inside the bracket group starting here (advancing past it), else None."""
        tok = self.peek()
        if tok is None or tok.kind != "punct" or tok.text not in _OPEN:
            return None
        end = matching(self.toks, self.pos)
        inner = self.toks[self.pos + 1 : end]
        self.pos = end + 1
        return inner

    def rest(self) -> list[Tok]:
        toks = self.toks[self.pos :]
        self.pos = len(self.toks)
        return toks

    def take_until(self, stops: set[str]) -> list[Tok]:
        """Tokens up to (not including) the first top-level word in `stops` or a comma."""
        taken: list[Tok] = []
        while not self.done:
            tok = self.toks[self.pos]
            if tok.kind == "punct" and tok.text == ",":
                break
            if tok.kind == "word" and tok.upper in stops:
                break
            if tok.kind == "punct" and tok.text in _OPEN:
                end = matching(self.toks, self.pos)
                taken += self.toks[self.pos : end + 1]
                self.pos = end + 1
                continue
            taken.append(tok)
            self.pos += 1
        return taken

    def text(self, toks: Sequence[Tok]) -> str:
        """The source text spanning `toks` (as written, comments inside kept)."""
        if not toks:
            return ""
        return self.sql[toks[0].start : toks[-1].end]


def matching(toks: Sequence[Tok], pos: int) -> int:
    """Index of the bracket closing the one at `pos` (the last token when unbalanced)."""
    depth = 0
    for j in range(pos, len(toks)):
        tok = toks[j]
        if tok.kind != "punct":
            continue
        if tok.text in _OPEN:
            depth += 1
        elif tok.text in (")", "]"):
            depth -= 1
            if depth == 0:
                return j
    return len(toks) - 1


def split_top(toks: Sequence[Tok], sep: str = ",") -> list[list[Tok]]:
    """Split at top-level `sep` punctuation (outside brackets)."""
    parts: list[list[Tok]] = [[]]
    depth = 0
    for tok in toks:
        if tok.kind == "punct" and tok.text in _OPEN:
            depth += 1
        elif tok.kind == "punct" and tok.text in (")", "]"):
            depth -= 1
        elif depth == 0 and tok.kind == "punct" and tok.text == sep:
            parts.append([])
            continue
        parts[-1].append(tok)
    return [p for p in parts if p]


def names_in(toks: Sequence[Tok]) -> tuple[str, ...]:
    """Column names of a simple list `a, "b", c DESC` (expressions keep their first name)."""
    names: list[str] = []
    for part in split_top(toks):
        first = part[0]
        expression = len(part) > 1 and part[1].kind == "punct" and part[1].text in "(.:"
        if first.is_name and not expression:
            names.append(first.name)
        else:
            names.append(" ".join(t.text for t in part))
    return tuple(names)


def short(name: str | None) -> str:
    """The last part of a qualified name: `public.orders` -> `orders`."""
    return (name or "").rsplit(".", 1)[-1]
