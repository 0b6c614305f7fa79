"""Operations to SQL for one dialect: the statements, a runnable script, and the down.

`render` walks the operations, applying each to the running schema, because a statement often
needs more than the operation holds: MySQL's MODIFY COLUMN repeats the whole column, SQLite's
rebuild needs the whole table before and after, an enum column needs the enum's values. Each
operation is rendered by its dialect's table of render functions (see `dialects/`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from . import ops as o
from .dialects import Dialect, Statement, get
from .schema import Schema

__all__ = ["Statement", "render", "render_script", "reverse_statements", "script"]


def render(ops: Sequence[o.Operation], before: Schema, dialect: str | Dialect) -> list[Statement]:
    """The statements for `ops` applied in order to `before`, each tagged with its op's index."""
    d = get(dialect)
    state = before
    statements: list[Statement] = []
    for index, op in enumerate(ops):
        after = op.apply(state)
        statements += [replace(s, op_index=index) for s in d.render(op, state, after)]
        state = after
    return statements


def reverse_statements(
    ops: Sequence[o.Operation], before: Schema, dialect: str | Dialect
) -> list[Statement]:
    """The down of `ops`: their reverses rendered against the schema the up leaves behind.

    Raises IrreversibleError naming the first operation without a reverse. `op_index` refers to
    the reversed list (the last operation of the up comes first).
    """
    reverses = o.require_reverse(ops, before)
    return render(reverses, o.apply_all(ops, before), dialect)


def render_script(ops: Sequence[o.Operation], before: Schema, dialect: str | Dialect) -> str:
    """`render` as one runnable SQL text (see `script`)."""
    return script(render(ops, before, dialect), dialect)


def script(statements: Sequence[Statement], dialect: str | Dialect) -> str:
    """Statements joined with `;` and newlines, notes as `--` comments.

    Where DDL is transactional (PostgreSQL, SQLite) each run of transactional statements is
    wrapped in BEGIN/COMMIT and the others (CREATE INDEX CONCURRENTLY, SQLite's PRAGMA
    foreign_keys) stand between the runs. MySQL commits every DDL statement by itself, so its
    script says so instead of pretending to be atomic.
    """
    d = get(dialect)
    if not statements:
        return ""
    lines: list[str] = []
    if not d.transactional_ddl:
        lines.append(f"-- {d.label} commits each DDL statement implicitly: no BEGIN/COMMIT")
        for s in statements:
            lines += _statement_lines(s)
        return "\n".join(lines) + "\n"
    open_block = False
    for s in statements:
        if s.transactional and not open_block:
            lines.append("BEGIN;")
            open_block = True
        elif not s.transactional and open_block:
            lines.append("COMMIT;")
            open_block = False
        if not s.transactional:
            lines.append("-- runs outside a transaction")
        lines += _statement_lines(s)
    if open_block:
        lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


def _statement_lines(statement: Statement) -> list[str]:
    note = [f"-- {statement.note}"] if statement.note else []
    return [*note, statement.sql + ";"]
