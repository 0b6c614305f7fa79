"""The migration document and deployment checklist, built from facts only.

Everything here is computed from the plan, the lint findings and the validation report, so the
document is the same with or without a language model; a model may only reword the purpose
paragraph (`prose`). The document goes beside the migration as Markdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import ops as o
from .frameworks.render import MigrationPlan
from .schema import Schema

#: Commands that roll one migration back, per framework; `{id}` is the migration's id.
ROLLBACK_COMMANDS = {
    "alembic": "alembic downgrade -1",
    "django": "python manage.py migrate {app} {previous}",
    "prisma": "psql/mysql/sqlite3 < {dir}/down.sql, then delete its _prisma_migrations row",
    "sequelize": "npx sequelize-cli db:migrate:undo",
    "knex": "npx knex migrate:down",
    "typeorm": "npx typeorm migration:revert -d <data-source>",
    "drizzle": "run the rollback SQL beside the migration, then delete its journal row",
    "flyway": "flyway undo (Teams) or run the U file by hand",
    "golang_migrate": "migrate -path <dir> -database $DATABASE_URL down 1",
    "dbmate": "dbmate rollback",
    "rails": "bin/rails db:rollback",
    "sqlfiles": "run the down file by hand",
}


class _Placeholders(dict[str, str]):
    """Fills what is known into a rollback command and leaves `<name>` for the rest."""

    def __missing__(self, key: str) -> str:
        return f"<{key}>"


@dataclass(frozen=True)
class DocFacts:
    """What the document is made from; every field is optional except the plan."""

    plan: MigrationPlan
    framework: str
    migration_id: str
    statements: Sequence[str] = ()
    findings: Sequence[Any] = ()  #: lint Finding objects (rule_id, severity, message, help)
    report: dict[str, Any] | None = None  #: ValidationReport.to_json()
    table_rows: dict[str, int] | None = None
    prose: str | None = None
    references: Sequence[str] = ()  #: file:line places in the code that use what changes
    phase: str | None = None  #: "expand" or "contract" when the plan is one of a pair
    phase_steps: Sequence[str] = ()  #: the pair's deploy order (tools/expand_contract.py)


def document(facts: DocFacts) -> str:
    plan = facts.plan
    lines = [f"# Migration: {plan.description}", ""]
    lines += [f"`{plan.name}` ({facts.framework}, {plan.dialect})", ""]
    lines += ["## Purpose", "", facts.prose or _purpose(plan), ""]
    lines += ["## Schema changes", "", "| # | change | reversible |", "|---|---|---|"]
    state = plan.before
    for i, op in enumerate(plan.operations, 1):
        lines.append(f"| {i} | {_cell(op.describe().strip())} | {op.reversibility(state).value} |")
        state = op.apply(state)
    lines.append("")
    lines += _data_safety(plan)
    lines += _indexing(plan, facts.report)
    lines += _locks(facts.report, facts.findings)
    lines += _validation(facts.report)
    lines += _checklist(facts)
    return "\n".join(lines).rstrip() + "\n"


def _purpose(plan: MigrationPlan) -> str:
    tables = sorted({t for op in plan.operations for t in op.tables})
    return (
        f"{plan.description.capitalize()}: {len(plan.operations)} change(s) to "
        f"{', '.join(tables) or 'the schema'}."
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _data_safety(plan: MigrationPlan) -> list[str]:
    out = ["## Data safety and rollback", ""]
    rev = plan.reverse
    out.append(f"Reversibility: **{rev.reversibility().value}**.")
    if rev.data_loss:
        out.append("")
        out.append("The down cannot restore:")
        out += [f"- {loss}" for loss in rev.data_loss]
    if rev.irreversible:
        out.append("")
        out.append("No down for:")
        out += [f"- {op.describe().strip()}: {why.reason}" for op, why in rev.irreversible]
    backfills = [op for op in plan.operations if isinstance(op, o.Backfill)]
    if backfills:
        out.append("")
        out.append("Data changes:")
        for b in backfills:
            where = f" where {b.where}" if b.where else ""
            batch = f", in batches of {b.batch_size}" if b.batch_size else ""
            if b.batch_size:  # tools/backfill.py: one commit per batch, pending rows only
                pause = f", {b.throttle_ms} ms apart" if b.throttle_ms else ""
                batch += f"{pause}, one commit each (after a failure, run it again to finish)"
            out.append(f"- `{b.table}.{b.column} = {b.expression}`{where}{batch}")
    out.append("")
    if not plan.transactional:
        out.append(
            "Some statements cannot run inside a transaction (CONCURRENTLY, ADD VALUE): a failure "
            "part-way leaves the earlier statements applied; re-running the migration finishes it."
        )
        out.append("")
    return out


def _indexing(plan: MigrationPlan, report: dict[str, Any] | None) -> list[str]:
    indexes = [op for op in plan.operations if isinstance(op, o.CreateIndex)]
    fks = [op for op in plan.operations if isinstance(op, o.AddForeignKey)]
    if not indexes and not fks:
        return []
    out = ["## Indexing strategy", ""]
    for op in indexes:
        how = "concurrently, outside a transaction" if op.concurrently else "in the migration"
        out.append(
            f"- `{op.index.name}` on {op.table} ({', '.join(op.index.columns)}), built {how}"
        )
    for fk_op in fks:
        fk = fk_op.foreign_key
        if not _covered(plan.after, fk_op.table, fk.columns):
            out.append(
                f"- foreign key {fk.name} on {fk_op.table}({', '.join(fk.columns)}) has no index "
                "starting with its columns: deletes on the parent scan the child table"
            )
    explain = (report or {}).get("explain") or []
    for item in explain:
        used = "uses the index" if item.get("index_used") else "does NOT use the index"
        out.append(f"- EXPLAIN `{item.get('query')}`: {used} after the migration")
    out.append("")
    return out


def _covered(schema: Schema, table: str, columns: Sequence[str]) -> bool:
    t = schema.table(table)
    prefix = tuple(columns)
    keys = [tuple(i.columns) for i in t.indexes] + [tuple(u.columns) for u in t.uniques]
    keys.append(tuple(t.primary_key))
    return any(k[: len(prefix)] == prefix for k in keys)


def _locks(report: dict[str, Any] | None, findings: Sequence[Any]) -> list[str]:
    out: list[str] = []
    statements: list[dict[str, Any]] = []
    for phase in (report or {}).get("phases", []):
        if phase.get("name") == "up":
            statements = phase.get("statements") or []
    if statements:
        out += [
            "## Locks and rewrites observed",
            "",
            "| statement | locks | rewrite |",
            "|---|---|---|",
        ]
        for s in statements:
            taken = s.get("new_locks") or s.get("locks") or {}
            locks = ", ".join(f"{mode} on {rel}" for rel, mode in sorted(dict(taken).items()))
            rewrite = ", ".join(s.get("rewritten", [])) or "no"
            algo = s.get("algorithm")
            sql = " ".join(str(s.get("sql", "")).split())[:80]
            out.append(f"| `{_cell(sql)}` | {locks or algo or '-'} | {rewrite} |")
        out.append("")
    if findings:
        out += ["## Safety findings", ""]
        for f in findings:
            out.append(f"- **{f.severity}** `{f.rule}`: {f.message} {f.help}".rstrip())
        out.append("")
    return out


def _validation(report: dict[str, Any] | None) -> list[str]:
    if not report:
        return ["## Validation", "", "Not validated (`--no-validate`).", ""]
    out = ["## Validation", ""]
    verdict = "passed" if report.get("ok") else "FAILED"
    rows = report.get("rows")
    out.append(
        f"Up, down and up again on a scratch {report.get('dialect')} database"
        f"{f' with {rows} seeded rows per table' if rows else ''}: **{verdict}**."
    )
    for v in report.get("verdicts", []):
        mark = "ok" if v.get("ok") else "FAILED"
        reason = f": {v.get('reason')}" if v.get("reason") else ""
        out.append(f"- {mark}: {v.get('name')}{reason}")
    out.append("")
    return out


def _checklist(facts: DocFacts) -> list[str]:
    plan = facts.plan
    out = ["## Deployment checklist", ""]
    tables = sorted({t for op in plan.operations for t in op.tables if plan.before.has_table(t)})
    out.append("Before:")
    out.append("- [ ] Review this document and the migration file with a second person.")
    if plan.reverse.data_loss or plan.reverse.irreversible:
        out.append(
            f"- [ ] Take a backup of {', '.join(tables) or 'the database'} (data is lost on down)."
        )
    if tables:
        sizes = facts.table_rows or {}
        sized = [f"{t} ({sizes[t]:,} rows)" if t in sizes else t for t in tables]
        out.append(f"- [ ] Check the size of {', '.join(sized)} and plan for the locks above.")
    if facts.references:
        when = "before the contract migration" if facts.phase == "expand" else "first"
        out.append(f"- [ ] Change these {len(facts.references)} places in the code {when}:")
        out += [f"  - {ref}" for ref in facts.references]
    out.append("")
    out.append("Deploy:")
    if facts.phase_steps:  # an expand/contract pair: the order across deploys
        out.append(f"This is the {facts.phase} migration of an expand/contract pair, in order:")
        out += [f"{i}. [ ] {step}" for i, step in enumerate(facts.phase_steps, 1)]
    else:
        out.append("- [ ] Apply the migration before the application code that needs it.")
    if not plan.transactional:
        out.append(
            "- [ ] It runs partly outside a transaction: watch it finish; re-run on failure."
        )
    out.append("")
    out.append("Monitor:")
    if plan.dialect == "postgresql":
        out.append(
            "- [ ] `SELECT pid, wait_event_type, state, query FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock';` shows no queue behind the migration."
        )
    elif plan.dialect == "mysql":
        out.append("- [ ] `SHOW PROCESSLIST` shows no 'Waiting for table metadata lock'.")
    out.append("- [ ] Error rate and latency of the application stay flat.")
    out.append("")
    out.append("Rollback:")
    command = ROLLBACK_COMMANDS.get(facts.framework, "run the down migration")
    out.append(f"- [ ] `{command.format_map(_Placeholders(id=facts.migration_id))}`")
    return out
