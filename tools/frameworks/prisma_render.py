"""Prisma Migrate migrations: `migration.sql` in the provider's SQL, and a `down.sql` beside it.

`prisma migrate dev` writes `prisma/migrations/<stamp>_<name>/migration.sql`: statements in
the provider's SQL under `-- CreateTable` / `-- AlterTable` / `-- CreateIndex` ... headers,
no BEGIN/COMMIT (Prisma sends the file as one script). migwright writes the same, with the SQL
of `tools/sql.py` for the schema's provider, and the reverse as `down.sql`: Prisma has no down
migrations, and its documented way back is a script run with `prisma db execute --file ...`
followed by `prisma migrate resolve --rolled-back <name>`, which the file's header spells
out. A plan without a reverse gets no `down.sql`, and its `migration.sql` says why.

`schema.prisma` is kept in step separately (`prisma_models.update_models`).
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import ops as o
from ..dialects import get
from ..dialects.base import Statement
from ..repo import RepoFacts
from ..sql import render as render_sql
from .base import FrameworkConfig, History
from .jsproject import folder_of
from .render import File, MigrationPlan

#: Prisma's own section headers, by operation class (see prisma-engines' sql_migration.rs).
HEADERS: dict[type[o.Operation], str] = {
    o.CreateTable: "CreateTable",
    o.DropTable: "DropTable",
    o.RenameTable: "AlterTable",
    o.AddColumn: "AlterTable",
    o.DropColumn: "AlterTable",
    o.AlterColumn: "AlterTable",
    o.RenameColumn: "AlterTable",
    o.CreateIndex: "CreateIndex",
    o.DropIndex: "DropIndex",
    o.AddForeignKey: "AddForeignKey",
    o.DropForeignKey: "DropForeignKey",
    o.DropConstraint: "AlterTable",
    o.AddUnique: "AlterTable",
    o.AddCheck: "AlterTable",
    o.CreateEnum: "CreateEnum",
    o.DropEnum: "DropEnum",
    o.AddEnumValue: "AlterEnum",
    o.Backfill: "Backfill",
    o.RawSQL: "Custom SQL",
}


def header(op: o.Operation, statements: Sequence[Statement]) -> str:
    if any(s.sql.upper().startswith("PRAGMA") for s in statements):
        return "RedefineTables"  # what Prisma calls a SQLite table rebuild
    if isinstance(op, o.DropConstraint) and not isinstance(op, o.DropForeignKey):
        return "AlterTable"
    for cls in type(op).__mro__:
        if cls in HEADERS:
            return HEADERS[cls]
    return "Custom SQL"


def script(ops: Sequence[o.Operation], before: object, dialect: str) -> str:
    """The statements of `ops`, grouped under Prisma-style headers, one blank line apart."""
    from ..schema import Schema

    assert isinstance(before, Schema)
    statements = render_sql(ops, before, dialect)
    sections: list[str] = []
    for index, op in enumerate(ops):
        mine = [s for s in statements if s.op_index == index]
        if not mine:
            continue
        lines = [f"-- {header(op, mine)}"]
        for s in mine:
            if s.note:
                lines.append(f"-- {s.note}")
            if not s.transactional:
                lines.append(
                    "-- runs outside a transaction: Prisma sends this file as one script, so "
                    "this statement may need a migration of its own"
                )
            lines.append(s.sql.rstrip(";") + ";")
        sections.append("\n".join(lines))
    return "\n\n".join(sections) + "\n" if sections else ""


def render(
    repo: RepoFacts, config: FrameworkConfig, history: History, plan: MigrationPlan
) -> list[File]:
    """`migration.sql` at `plan.name` and, when the plan has a reverse, `down.sql` beside it."""
    get(plan.dialect)  # an unknown provider fails here, naming the dialects we write
    folder = folder_of(plan.name)
    name = folder.rsplit("/", 1)[-1]
    up = script(plan.operations, plan.before, plan.dialect)
    if plan.reverse.irreversible:
        reasons = "; ".join(why.reason for _, why in plan.reverse.irreversible)
        up = f"-- irreversible: {reasons}; no down.sql was written\n\n" + up
        return [File(plan.name, up)]
    down = script(plan.reverse.operations, plan.after, plan.dialect)
    schema = config.settings.get("schema", "prisma/schema.prisma")
    lines = [
        f"-- Rollback of {name}. Prisma Migrate has no down migrations; to undo this one:",
        f"--   npx prisma db execute --file {folder}/down.sql --schema {schema}",
        f"--   npx prisma migrate resolve --rolled-back {name}",
        "-- then revert schema.prisma to match.",
    ]
    if plan.reverse.data_loss:
        lines.append("-- Not restored: " + "; ".join(plan.reverse.data_loss))
    rollback = "\n".join(lines) + "\n\n" + (down or "-- nothing to undo\n")
    return [File(plan.name, up), File(f"{folder}/down.sql", rollback, kind="rollback")]
