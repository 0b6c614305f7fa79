"""Rendering for frameworks whose migrations are SQL files, and for plain numbered SQL.

Flyway, golang-migrate, dbmate and plain numbered files all hold the SQL `tools/sql.py` renders
for the repo's dialect; they differ in how a file is named, where the down goes and who opens
the transaction. The pieces they share live here: the statements as file text (notes become
`--` comments, one blank line between operations), the reasons a down is missing or lossy as
comments, and the split of a plan into files where a runner sends each file to PostgreSQL as
one multi-statement string (dbmate, golang-migrate): such a string is one implicit
transaction, so CREATE INDEX CONCURRENTLY or ALTER TYPE ... ADD VALUE must sit in a file of
its own, as both tools' documentation says.

The plain-SQL renderer follows what the repo does: a `.down.sql` beside the up file when the
repo keeps down files, else the down as a commented block at the end of the up file (the repo's
own runner skips comments; `sqlfw_runner` reads the block to roll back).
"""

from __future__ import annotations

import posixpath
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from .. import sql
from ..dialects import Dialect, Statement
from ..dialects import get as get_dialect
from ..ops import Operation, ReversePlan, apply_all, reverse_all
from ..repo import RepoFacts
from ..schema import Schema
from .base import FrameworkConfig, History
from .render import File, MigrationPlan

#: First line of the commented down block in a plain SQL file of a repo without down files.
DOWN_MARKER = "-- migwright:down"
#: The marker of a migration that has no down, followed by the reason.
IRREVERSIBLE_MARKER = "-- migwright:down irreversible"
_DOWN_HELP = (
    "-- Not run by this migration: the statements that revert it, commented out. Run them",
    "-- without the leading '-- ' to revert by hand, or let migwright roll it back.",
)
_NOT_TRANSACTIONAL = "runs outside a transaction"


# ---------------------------------------------------------------------------------------------
# Shared by the SQL-file renderers
# ---------------------------------------------------------------------------------------------


def comment(text: str, width: int = 96) -> list[str]:
    """`text` as `--` comment lines of at most `width` characters."""
    return ["-- " + line for line in textwrap.wrap(" ".join(text.split()), width - 3)]


def sql_text(statements: Sequence[Statement], dialect: str, *, transactions: bool = False) -> str:
    """Statements as migration file text: `;` after each, a blank line between operations,
    each statement's note as a comment above it.

    `transactions=True` wraps each run of transactional statements in BEGIN/COMMIT (for files
    whose runner does not open a transaction itself, such as dbmate's `transaction:false`) on
    dialects whose DDL is transactional.
    """
    if transactions:
        return sql.script(statements, dialect)
    blocks: list[str] = []
    for _, group in groupby(statements, key=lambda s: s.op_index):
        lines: list[str] = []
        for statement in group:
            if statement.note:
                lines += comment(statement.note)
            if not statement.transactional and dialect == "postgresql":
                lines.append(f"-- {_NOT_TRANSACTIONAL}")
            lines.append(statement.sql + ";")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def irreversible_reason(reverse: ReversePlan) -> str:
    """Why the plan has no down, naming each operation that blocks it."""
    return "; ".join(f"{op.describe().strip()}: {why.reason}" for op, why in reverse.irreversible)


def data_loss_comment(reverse: ReversePlan) -> list[str]:
    """The comment a down starts with when it cannot bring every value back."""
    if not reverse.data_loss:
        return []
    return comment(f"Not brought back by this down: {'; '.join(reverse.data_loss)}.")


def needs_own_transaction(statements: Sequence[Statement]) -> bool:
    """True when some statement must run outside a transaction block."""
    return any(not s.transactional for s in statements)


@dataclass(frozen=True)
class Unit:
    """Operations one migration file holds, with the schema they start from."""

    operations: tuple[Operation, ...]
    before: Schema
    dialect: str

    @property
    def after(self) -> Schema:
        return apply_all(self.operations, self.before)

    @property
    def reverse(self) -> ReversePlan:
        return reverse_all(self.operations, self.before)

    def up_statements(self) -> list[Statement]:
        return sql.render(self.operations, self.before, self.dialect)

    def down_statements(self) -> list[Statement]:
        return sql.render(self.reverse.operations, self.after, self.dialect)

    @property
    def transactional(self) -> bool:
        return not needs_own_transaction(self.up_statements())


def split_units(plan: MigrationPlan) -> list[Unit]:
    """The plan as files for runners that send a whole file to the server as one string.

    On PostgreSQL such a string runs as one implicit transaction, so every operation that must
    run outside a transaction gets a file of its own; elsewhere the plan stays one file.
    """
    if plan.dialect != "postgresql" or plan.transactional:
        return [Unit(plan.operations, plan.before, plan.dialect)]
    units: list[Unit] = []
    pending: list[Operation] = []
    state = plan.before
    start = state
    for op in plan.operations:
        after = op.apply(state)
        if op.transactional and all(
            s.transactional for s in plan_dialect(plan).render(op, state, after)
        ):
            pending.append(op)
        else:
            if pending:
                units.append(Unit(tuple(pending), start, plan.dialect))
                pending = []
                start = state
            units.append(Unit((op,), state, plan.dialect))
            start = op.apply(state)
        state = after
    if pending:
        units.append(Unit(tuple(pending), start, plan.dialect))
    return units


def plan_dialect(plan: MigrationPlan) -> Dialect:
    """The plan's dialect, for asking how one operation renders (a batched backfill is a
    transactional operation whose PostgreSQL SQL must run outside a transaction)."""
    return get_dialect(plan.dialect)


def bump_version(version: str, steps: int) -> str:
    """`version` plus `steps`, in its own shape: a 14-digit timestamp moves by seconds, a
    counter keeps its zero padding (000009 -> 000010)."""
    if steps == 0:
        return version
    if len(version) == 14:
        try:
            moment = datetime.strptime(version, "%Y%m%d%H%M%S")
        except ValueError:
            pass
        else:
            return (moment + timedelta(seconds=steps)).strftime("%Y%m%d%H%M%S")
    return str(int(version) + steps).zfill(len(version))


def numbered_names(first: str, count: int) -> list[str]:
    """File names for `count` consecutive migrations, the first being `first`.

    `first` is `<folder>/<version>_<slug><suffix>` as `next_name` made it; the others take
    the next versions and the slug with `_2`, `_3` ... so that they read as one change.
    """
    folder, base = posixpath.split(first)
    match = re.fullmatch(r"(?P<version>\d+)_(?P<slug>.*?)(?P<suffix>(?:\.(?:up|down))?\.\w+)", base)
    if match is None:
        raise ValueError(f"not a numbered migration name: {first}")
    names = [first]
    for step in range(1, count):
        version = bump_version(match["version"], step)
        name = f"{version}_{match['slug']}_{step + 1}{match['suffix']}"
        names.append(posixpath.join(folder, name) if folder else name)
    return names


# ---------------------------------------------------------------------------------------------
# Plain numbered SQL files
# ---------------------------------------------------------------------------------------------


def render(
    repo: RepoFacts, config: FrameworkConfig, history: History, plan: MigrationPlan
) -> list[File]:
    """The next numbered file, with a `.down.sql` beside it when the repo keeps down files."""
    up_statements = sql.render(plan.operations, plan.before, plan.dialect)
    down_statements = sql.render(plan.reverse.operations, plan.after, plan.dialect)
    lines: list[str] = []
    if needs_own_transaction(up_statements) and plan.dialect == "postgresql":
        lines += comment(
            "Some statements below refuse to run inside a transaction block: apply this file "
            "without BEGIN/COMMIT around it (psql -f, not psql -1)."
        )
    body = sql_text(up_statements, plan.dialect)
    keeps_downs = any(ref.has_down for ref in history.migrations)
    if keeps_downs:
        files = [File(plan.name, _join(lines, body))]
        if plan.reverse.irreversible:
            note = comment(f"No down file: {irreversible_reason(plan.reverse)}.")
            return [File(plan.name, _join(lines + note, body))]
        down = _join(data_loss_comment(plan.reverse), sql_text(down_statements, plan.dialect))
        return [*files, File(down_name(plan.name), down, kind="down")]
    if plan.reverse.irreversible:
        block = [IRREVERSIBLE_MARKER, *comment(irreversible_reason(plan.reverse) + ".")]
    else:
        down = _join(data_loss_comment(plan.reverse), sql_text(down_statements, plan.dialect))
        block = [DOWN_MARKER, *_DOWN_HELP]
        block += ["-- " + line if line else "--" for line in down.splitlines()]
    return [File(plan.name, _join(lines, body) + "\n" + "\n".join(block) + "\n")]


def down_name(up_name: str) -> str:
    """`009_x.up.sql` or `009_x.sql` -> `009_x.down.sql`."""
    stem = up_name[: -len(".up.sql")] if up_name.endswith(".up.sql") else up_name[: -len(".sql")]
    return stem + ".down.sql"


def commented_down(text: str) -> str | None:
    """The SQL of the commented down block of a plain SQL file; None when it has none (or
    says the migration is irreversible)."""
    lines = text.splitlines()
    if DOWN_MARKER not in lines:
        return None
    out: list[str] = []
    for line in lines[lines.index(DOWN_MARKER) + 1 :]:
        if line in _DOWN_HELP:
            continue
        if not line.startswith("--"):
            break
        out.append(line[3:] if line.startswith("-- ") else line[2:])
    return "\n".join(out).strip() + "\n"


def _join(comment_lines: list[str], body: str) -> str:
    return "\n".join(comment_lines) + ("\n" if comment_lines else "") + body
