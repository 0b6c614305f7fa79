"""golang-migrate: `<n>_<name>.up.sql` and `<n>_<name>.down.sql`, numbered the repo's way.

`migrate` sends a whole file to the database in one call and opens no transaction of its own on
PostgreSQL and MySQL (its SQLite driver wraps each file in one), so the files hold bare
statements, like the example files in golang-migrate's repository. A multi-statement string
is one implicit transaction on PostgreSQL, which CREATE INDEX CONCURRENTLY refuses: such an
operation gets a migration of its own (the next version), the way golang-migrate's PostgreSQL
notes advise. When the plan cannot be reversed there is no down file (golang-migrate then
moves the version back without running anything, so the up file says why in a comment).
"""

from __future__ import annotations

from ..repo import RepoFacts
from .base import FrameworkConfig, History
from .render import File, MigrationPlan
from .sqlfiles_render import (
    comment,
    data_loss_comment,
    irreversible_reason,
    numbered_names,
    split_units,
    sql_text,
)


def render(
    repo: RepoFacts, config: FrameworkConfig, history: History, plan: MigrationPlan
) -> list[File]:
    units = split_units(plan)
    files: list[File] = []
    for name, unit in zip(numbered_names(plan.name, len(units)), units, strict=True):
        up = sql_text(unit.up_statements(), plan.dialect)
        header: list[str] = []
        if len(units) > 1:
            header += comment(
                f"Part of '{plan.description}', split over {len(units)} migrations: PostgreSQL "
                "runs a multi-statement file as one transaction, which "
                + (
                    "this statement refuses."
                    if not unit.transactional
                    else "the statements of the next part refuse."
                )
            )
        reverse = unit.reverse
        if reverse.irreversible:
            header += comment(
                f"No down migration: {irreversible_reason(reverse)}. `migrate down` would "
                "only move the version back."
            )
        files.append(File(name, _join(header, up)))
        if not reverse.irreversible:
            down = sql_text(unit.down_statements(), plan.dialect)
            files.append(File(down_name(name), _join(data_loss_comment(reverse), down), "down"))
    return files


def down_name(up_name: str) -> str:
    """`000009_x.up.sql` -> `000009_x.down.sql`."""
    stem, _, ext = up_name.rpartition(".up.")
    return f"{stem}.down.{ext}"


def _join(comment_lines: list[str], body: str) -> str:
    return "\n".join(comment_lines) + ("\n" if comment_lines else "") + body
