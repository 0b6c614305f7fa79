"""dbmate: one `<timestamp>_<name>.sql` per migration, `-- migrate:up` then `-- migrate:down`.

dbmate wraps each section in a transaction unless its marker says `transaction:false`. A
section holding a statement that refuses a transaction gets that option, and then its
transactional statements are wrapped in BEGIN/COMMIT inside the section (SQLite's table
rebuild: the PRAGMA foreign_keys lines stay outside, the rebuild itself stays atomic). dbmate
sends a section to PostgreSQL as one multi-statement string, which is one implicit
transaction, so on PostgreSQL each operation that refuses a transaction gets a migration of
its own (the next second's timestamp), as dbmate's documentation advises for CREATE INDEX
CONCURRENTLY. A plan without a reverse keeps an empty down section with the reason, which is
how dbmate repositories mark a migration that cannot be rolled back.
"""

from __future__ import annotations

from ..dialects import Statement
from ..ops import NoOp
from ..repo import RepoFacts
from .base import FrameworkConfig, History
from .render import File, MigrationPlan
from .sqlfiles_render import (
    Unit,
    comment,
    data_loss_comment,
    irreversible_reason,
    needs_own_transaction,
    numbered_names,
    split_units,
    sql_text,
)

UP = "-- migrate:up"
DOWN = "-- migrate:down"
NO_TRANSACTION = " transaction:false"
#: How an intentionally empty down section starts (a rollback of it is allowed to do nothing).
NOTHING_TO_UNDO = "Nothing to undo"


def render(
    repo: RepoFacts, config: FrameworkConfig, history: History, plan: MigrationPlan
) -> list[File]:
    units = split_units(plan)
    names = numbered_names(plan.name, len(units))
    return [
        File(name, _file(unit, plan, len(units))) for name, unit in zip(names, units, strict=True)
    ]


def _file(unit: Unit, plan: MigrationPlan, parts: int) -> str:
    lines: list[str] = []
    if parts > 1:
        lines += comment(
            f"Part of '{plan.description}', split over {parts} migrations: dbmate sends a "
            "section to PostgreSQL as one string, which runs as one transaction, and CREATE "
            "INDEX CONCURRENTLY / ALTER TYPE ... ADD VALUE refuse that."
        )
    up = unit.up_statements()
    lines.append(UP + (NO_TRANSACTION if needs_own_transaction(up) else ""))
    lines.append(_section(up, unit.dialect).rstrip("\n"))
    lines.append("")
    reverse = unit.reverse
    if reverse.irreversible:
        lines.append(DOWN)
        lines += comment(f"Irreversible: {irreversible_reason(reverse)}.")
        return "\n".join(lines) + "\n"
    down = unit.down_statements()
    lines.append(DOWN + (NO_TRANSACTION if needs_own_transaction(down) else ""))
    lines += data_loss_comment(reverse)
    if down:
        lines.append(_section(down, unit.dialect).rstrip("\n"))
    else:
        reasons = [op.reason for op in reverse.operations if isinstance(op, NoOp) and op.reason]
        lines += comment(f"{NOTHING_TO_UNDO}: {'; '.join(reasons) or 'the up changes no schema'}.")
    return "\n".join(lines) + "\n"


def _section(statements: list[Statement], dialect: str) -> str:
    """A section's SQL; with `transaction:false`, transactional runs get BEGIN/COMMIT."""
    own = needs_own_transaction(statements)
    if own and any(s.transactional for s in statements):
        return sql_text(statements, dialect, transactions=True)
    return sql_text(statements, dialect)
