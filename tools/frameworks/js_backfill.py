"""A batched backfill as JavaScript: the loop Knex, Sequelize and TypeORM migrations run.

The SQL comes from tools/backfill.py; this writes the loop around it once for the three
JavaScript frameworks, which differ only in how a query is sent and where its rows come back
(`Host`). The loop is a bare `{ ... }` block, so two backfills in one migration keep their
variables apart, laid out the way prettier prints it (a long string goes on its own line after
`=`), and each UPDATE runs outside any transaction: the migration is marked non-transactional
by its renderer, so every batch commits by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..backfill import BatchSQL


@dataclass(frozen=True)
class Host:
    """How one framework sends SQL: `run(sql, params)` is the call (params may be None) and
    `first(call)` the first row of what the awaited call returns (undefined when none)."""

    run: Callable[[str, str | None], str]
    first: Callable[[str], str]
    quote: Callable[[str], str]
    indent: str = "  "
    end: str = ";"
    width: int = 80
    typescript: bool = False


def loop_lines(b: BatchSQL, host: Host) -> list[str]:
    """The block's lines, relative to the enclosing method body."""
    i, e = host.indent, host.end
    any_ = ": any" if host.typescript else ""
    label = host.quote(f"backfill {b.table}.{b.column}")
    lines = ["{", *_comment(b.describe() + ".", i)]
    lines += _const(f"{i}const label = ", label, host)
    for name, sql in (
        ("firstSql", b.first),
        ("boundSql", b.bound),
        ("updateSql", b.update),
        ("tailSql", b.tail),
    ):
        lines += _const(f"{i}const {name} = ", host.quote(sql), host)
    ii, iii = i * 2, i * 3
    lines += [
        f"{i}let lo{any_} = {host.first(host.run('firstSql', None))}{e}",
        f"{i}let batches = 0{e}",
        f"{i}while (lo !== undefined) {{",
        f"{ii}const keys = Object.values(lo){e}",
        f"{ii}const nx{any_} = {host.first(host.run('boundSql', 'keys'))}{e}",
        f"{ii}if (nx === undefined) {{",
        f"{iii}await {host.run('tailSql', 'keys')}{e}",
        f"{ii}}} else {{",
        f"{iii}await {host.run('updateSql', '[...keys, ...Object.values(nx)]')}{e}",
        f"{ii}}}",
        f"{ii}batches += 1{e}",
        f"{ii}if (batches % {b.every} === 0) {{",
        f"{iii}console.log(`${{label}}: ${{batches}} batches of {b.size}`){e}",
        f"{ii}}}",
    ]
    if b.throttle_ms:
        lines.append(f"{ii}await new Promise((resolve) => setTimeout(resolve, {b.throttle_ms})){e}")
    lines += [f"{ii}lo = nx{e}", f"{i}}}", "}"]
    return lines


def _const(head: str, value: str, host: Host) -> list[str]:
    """`const x = 'long';` as prettier lays it out: the string on its own line when too long."""
    if len(head) + len(value) + len(host.end) <= host.width:
        return [f"{head}{value}{host.end}"]
    pad = head[: len(head) - len(head.lstrip())]
    return [head.rstrip(), f"{pad}{host.indent}{value}{host.end}"]


def _comment(text: str, indent: str, width: int = 76) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(f"{indent}// {current}")
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(f"{indent}// {current}")
    return lines
