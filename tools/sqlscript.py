"""Split a SQL script into statements, the way a database client would.

Migration files hold many statements; drivers want one at a time (PyMySQL without
MULTI_STATEMENTS, PostgreSQL when a statement such as CREATE INDEX CONCURRENTLY must not share an
implicit transaction). The splitter knows quotes, comments and PostgreSQL dollar quoting, the
`DELIMITER` command MySQL dumps use around procedures, and the `BEGIN ... END` body of a
`CREATE TRIGGER` (SQLite's trigger bodies need `;` inside them, with no DELIMITER around).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_DELIMITER = re.compile(r"(?im)^\s*DELIMITER\s+(\S+)\s*$")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
BODY_OWNERS = frozenset({"TRIGGER", "FUNCTION", "PROCEDURE", "EVENT"})


@dataclass(frozen=True)
class ScriptStatement:
    sql: str
    line: int  #: 1-based line of the statement's first character in the script


def split_sql(script: str) -> list[ScriptStatement]:
    """Statements of `script` without their terminators; comment-only pieces are dropped."""
    out: list[ScriptStatement] = []
    delimiter = ";"
    i, start, n = 0, 0, len(script)
    words: list[str] = []  # the current statement's words, as far as the body depth needs them
    depth = 0

    def flush(end: int) -> None:
        nonlocal depth
        words.clear()
        depth = 0
        text = script[start:end]
        stripped = _strip_comments(text).strip()
        if stripped:
            offset = len(text) - len(text.lstrip())
            line = script.count("\n", 0, start + offset) + 1
            out.append(ScriptStatement(text.strip(), line))

    while i < n:
        ch = script[i]
        if ch in "'\"`":
            i = _skip_quoted(script, i, ch)
            continue
        if script.startswith("--", i) or (ch == "#" and _line_start(script, i)):
            j = script.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if script.startswith("/*", i):
            j = script.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if ch == "$":
            m = _DOLLAR.match(script, i)
            if m:
                j = script.find(m.group(0), m.end())
                i = n if j < 0 else j + len(m.group(0))
                continue
        if _line_start(script, i):
            m = _DELIMITER.match(script, i)
            if m:
                flush(i)
                delimiter = m.group(1)
                i = m.end()
                start = i
                continue
        if ch == ";" and delimiter == ";" and depth > 0:
            i += 1
            continue
        if (ch.isalpha() or ch == "_") and (
            i == 0 or not (script[i - 1].isalnum() or script[i - 1] in "_$")
        ):
            m = _WORD.match(script, i)
            assert m is not None
            words.append(m.group(0).upper())
            depth = _body_depth(words, depth)
            i = m.end()
            continue
        if script.startswith(delimiter, i):
            flush(i)
            i += len(delimiter)
            start = i
            continue
        i += 1
    flush(n)
    return out


def _body_depth(words: list[str], depth: int) -> int:
    """Depth of BEGIN/CASE ... END inside a CREATE TRIGGER (or routine) being scanned."""
    previous = words[-2] if len(words) > 1 else ""
    return body_depth(words[:6], previous, words[-1], depth)


def body_depth(head: Sequence[str], previous: str, word: str, depth: int) -> int:
    """The BEGIN/CASE ... END depth after `word` (upper case; `previous` the word before it)
    in a statement that starts with `head`. Only CREATE TRIGGER/FUNCTION/PROCEDURE/EVENT have
    bodies whose semicolons do not end the statement; elsewhere BEGIN is the transaction
    statement and the depth stays 0. Shared by this splitter and the lint's (lint/source.py).
    """
    if not head or head[0] != "CREATE" or not BODY_OWNERS.intersection(head):
        return depth
    if previous == "END" and word in ("IF", "LOOP", "WHILE", "REPEAT"):
        return depth + 1  # MySQL's END IF closed no BEGIN: undo the END's decrement
    if previous == "END" and word == "CASE":
        return depth  # END CASE: the END already closed the CASE
    if word in ("BEGIN", "CASE"):
        return depth + 1
    if word == "END" and depth > 0:
        return depth - 1
    return depth


def _line_start(script: str, i: int) -> bool:
    j = i - 1
    while j >= 0 and script[j] in " \t":
        j -= 1
    return j < 0 or script[j] == "\n"


def _skip_quoted(script: str, i: int, quote: str) -> int:
    j = i + 1
    n = len(script)
    while j < n:
        if script[j] == "\\" and quote != '"':
            j += 2
            continue
        if script[j] == quote:
            if j + 1 < n and script[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    return n


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"(?m)--.*$", "", text)
