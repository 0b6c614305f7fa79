"""Split a SQL script into statements, the way a database client would.

Migration files hold many statements; drivers want one at a time (PyMySQL without
MULTI_STATEMENTS, PostgreSQL when a statement such as CREATE INDEX CONCURRENTLY must not share an
implicit transaction). The splitter knows quotes, comments and PostgreSQL dollar quoting, and the
`DELIMITER` command MySQL dumps use around procedures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_DELIMITER = re.compile(r"(?im)^\s*DELIMITER\s+(\S+)\s*$")


@dataclass(frozen=True)
class ScriptStatement:
    sql: str
    line: int  #: 1-based line of the statement's first character in the script


def split_sql(script: str) -> list[ScriptStatement]:
    """Statements of `script` without their terminators; comment-only pieces are dropped."""
    out: list[ScriptStatement] = []
    delimiter = ";"
    i, start, n = 0, 0, len(script)

    def flush(end: int) -> None:
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
        if script.startswith(delimiter, i):
            flush(i)
            i += len(delimiter)
            start = i
            continue
        i += 1
    flush(n)
    return out


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
