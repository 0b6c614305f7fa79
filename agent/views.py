"""How results look: rich text for people, plain dicts for `--json`.

The faces (cli, chat, ide) call these; the tools return values and never print.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table as RichTable

from ..tools.repo import redact

if TYPE_CHECKING:  # imported for types only: `migwright --version` should not load SQLAlchemy
    from ..tools.analysis import Analysis
    from ..tools.current import CurrentSchema
    from ..tools.plan_sql import SqlPlan
    from ..tools.schema import Schema


def schema_json(schema: Schema) -> dict[str, Any]:
    return {
        "tables": [
            {
                "name": t.name,
                "columns": [
                    {
                        "name": c.name,
                        "type": c.type,
                        "nullable": c.nullable,
                        "default": c.default,
                        "identity": c.identity,
                    }
                    for c in t.columns
                ],
                "primary_key": list(t.primary_key),
                "uniques": [{"name": u.name, "columns": list(u.columns)} for u in t.uniques],
                "indexes": [
                    {
                        "name": i.name,
                        "columns": list(i.columns),
                        "unique": i.unique,
                        "where": i.where,
                    }
                    for i in t.indexes
                ],
                "foreign_keys": [
                    {
                        "name": f.name,
                        "columns": list(f.columns),
                        "ref_table": f.ref_table,
                        "ref_columns": list(f.ref_columns),
                        "on_delete": f.on_delete,
                        "on_update": f.on_update,
                    }
                    for f in t.foreign_keys
                ],
                "checks": [{"name": c.name, "expression": c.expression} for c in t.checks],
            }
            for t in schema.tables
        ],
        "enums": [{"name": e.name, "values": list(e.values)} for e in schema.enums],
    }


def sql_json(plan: SqlPlan) -> dict[str, Any]:
    return {
        "dialect": plan.dialect,
        "description": plan.request.description,
        "schema_source": plan.schema_source,
        "operations": [
            {**op.to_dict(), "describe": op.describe().strip()} for op in plan.request.operations
        ],
        "up": [{"sql": s.sql, "transactional": s.transactional} for s in plan.up],
        "down": None
        if plan.down is None
        else [{"sql": s.sql, "transactional": s.transactional} for s in plan.down],
        "down_note": plan.down_note,
        "reversibility": plan.reverse.reversibility().value,
        "data_loss": list(plan.reverse.data_loss),
    }


def print_sql(console: Console, plan: SqlPlan, down: bool = False) -> None:
    statements = plan.down if down else plan.up
    if statements is None:
        console.print(f"-- no down: {plan.down_note}", markup=False)
        return
    label = "down" if down else "up"
    console.print(f"-- {label}: {plan.request.description} ({plan.dialect})", markup=False)
    for op in plan.request.operations:
        console.print(f"-- {op.describe().strip()}", markup=False)
    for stmt in statements:
        suffix = "" if stmt.transactional else "  -- outside a transaction"
        console.print(f"{stmt.sql.rstrip(';')};{suffix}", markup=False)
    if not down and plan.reverse.data_loss:
        for loss in plan.reverse.data_loss:
            console.print(f"-- the down cannot restore {loss}", markup=False)


class StepPrinter:
    """The ten steps as they run: a spinner on the running step, then its mark and timing."""

    STYLES = {"ok": "green", "warning": "yellow", "failed": "bold red", "skipped": "dim"}
    LABELS = {"ok": "ok", "warning": "warn", "failed": "FAIL", "skipped": "skip"}

    def __init__(self, console: Console) -> None:
        self.console = console
        self.status: Any = None

    def __enter__(self) -> StepPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.stop()

    def listener(self, event: str, result: Any) -> None:
        if event == "start":
            self.status = self.console.status(f"{result.number:>2}. {result.title}")
            self.status.start()
            return
        if self.status is not None:
            self.status.stop()
            self.status = None
        label = f"{self.LABELS[result.status]:>4}"
        self.console.print(
            f"[{self.STYLES[result.status]}]{label}[/] {result.number:>2}. {result.title} "
            f"[dim]({result.seconds:.1f}s)[/]",
            highlight=False,
        )
        pad = " " * 9
        if result.summary:
            self.console.print(f"{pad}{result.summary}", markup=False)
        for finding in result.findings[:8]:
            self.console.print(f"{pad}- {finding}", markup=False)
        if len(result.findings) > 8:
            self.console.print(f"{pad}... {len(result.findings) - 8} more", markup=False)


def run_json(run: Any) -> dict[str, Any]:
    ctx = run.context
    return {
        "ok": run.ok,
        "steps": [r.to_json() for r in run.results],
        "files": [
            {"path": f.path, "kind": f.kind, "existing": f.existing, "content": f.content}
            for f in ctx.files
        ],
        "document": ctx.document,
        "written": [str(p) for p in ctx.written],
        "dry_run": ctx.options.dry_run,
    }


def print_run(console: Console, run: Any, show: bool = True) -> None:
    ctx = run.context
    if show and ctx.files:
        for f in ctx.files:
            label = "updated" if f.existing else "new"
            console.rule(f"{f.path} ({label} {f.kind})")
            console.print(f.content.rstrip(), markup=False, highlight=False)
    if show and ctx.document:
        console.rule("migration document")
        console.print(ctx.document.rstrip(), markup=False, highlight=False)
    if ctx.written:
        console.print(f"\nwrote {len(ctx.written)} file(s):", highlight=False)
        for p in ctx.written:
            console.print(f"  {p}", markup=False)
    elif run.ok and ctx.options.dry_run:
        console.print("\ndry run: nothing written", highlight=False)


def print_lint(console: Console, result: Any) -> None:
    """Findings grouped by place, worst first, with the action and the safe alternative."""
    order = {"error": 0, "warning": 1, "note": 2}
    style = {"error": "bold red", "warning": "yellow", "note": "cyan"}
    for f in sorted(result.findings, key=lambda f: (order[f.severity], f.where())):
        where = f.where()
        console.print(
            f"[{style[f.severity]}]{f.severity}[/] [bold]{f.rule}[/]"
            + (f"  {where}" if where else ""),
            highlight=False,
        )
        console.print(f"  {f.message}", markup=False)
        console.print(f"  fix: {f.help}", markup=False)
        if f.safe_alternative:
            for line in f.safe_alternative.splitlines():
                console.print(f"    {line}", markup=False)
    counts = ", ".join(f"{result.count(s)} {s}" for s in ("error", "warning", "note"))
    console.print(f"{result.statements} statement(s) linted: {counts}", highlight=False)


def inspect_json(
    analysis: Analysis, description: str, current: CurrentSchema | None = None
) -> dict[str, Any]:
    history = analysis.history
    config = analysis.config
    return {
        "framework": analysis.framework.name,
        "title": analysis.framework.title,
        "root": analysis.detection.evidence.root,
        "confidence": analysis.detection.evidence.confidence,
        "evidence": [
            {"path": e.path, "line": e.line, "text": redact(e.text)}
            for e in analysis.detection.evidence.reasons
        ],
        "also_detected": [d.label for d in analysis.others],
        "dialect": config.dialect,
        "config": {
            "migrations_dir": config.migrations_dir,
            "database_url": redact(config.database_url) if config.database_url else None,
            "config_files": list(config.config_files),
            "settings": {k: redact(v) for k, v in config.settings.items()},
        },
        "count": len(history.migrations),
        "heads": list(history.heads),
        "last": history.last.id if history.last else None,
        "migrations": [
            {
                "id": m.id,
                "path": m.path,
                "name": m.name,
                "parents": list(m.parents),
                "has_down": m.has_down,
                "app": m.app,
            }
            for m in history.migrations
        ],
        "next_name": analysis.next_name(description),
        "warnings": [str(w) for w in history.warnings],
        "schema": None if current is None else current_json(current),
    }


def current_json(current: CurrentSchema) -> dict[str, Any]:
    return {
        "dialect": current.dialect,
        "method": current.method,
        "note": current.note,
        "current": schema_json(current.schema) if current.schema is not None else None,
        "database": schema_json(current.database) if current.database is not None else None,
        "drift": [op.describe().strip() for op in current.drift],
    }


def print_inspect(
    console: Console, analysis: Analysis, description: str, current: CurrentSchema | None = None
) -> None:
    data = inspect_json(analysis, description, current)
    grid = RichTable.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row(
        "framework", f"{data['title']} ({data['root']}, confidence {data['confidence']:.2f})"
    )
    for e in data["evidence"]:
        where = f"{e['path']}:{e['line']}" if e["line"] else e["path"]
        grid.add_row("", f"{where}  {e['text']}")
    if data["also_detected"]:
        grid.add_row("also found", ", ".join(data["also_detected"]))
    grid.add_row("dialect", data["dialect"] or "unknown (use --dialect)")
    grid.add_row("migrations", f"{data['count']} in {data['config']['migrations_dir']}")
    if data["config"]["database_url"]:
        grid.add_row("database", data["config"]["database_url"])
    grid.add_row("heads", ", ".join(data["heads"]) or "(none)")
    grid.add_row("last", data["last"] or "(none)")
    grid.add_row("next", data["next_name"])
    console.print(grid)
    for warning in data["warnings"]:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if current is None:
        return
    if current.schema is None:
        console.print(f"[yellow]schema:[/] {current.note}", highlight=False)
    else:
        console.print(
            f"\n[bold]current schema[/] ({current.dialect}, {current.method})", highlight=False
        )
        console.print(current.schema.describe(), markup=False)
    if current.database is not None and current.schema is not None:
        if current.drift:
            console.print("\n[bold]drift[/] (history -> database):", highlight=False)
            for op in current.drift:
                console.print(f"  {op.describe().strip()}", markup=False)
        else:
            console.print("\nno drift: the database matches the history", highlight=False)
