"""The ten steps, one function each. Steps call tools (and the model for plain English only);
they never run SQL themselves. Each fills its StepResult: a one-line summary, outputs for
`--json`, findings for people.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..tools import ops as o
from ..tools.errors import DetectionError, SpecError, ValidationFailed
from .plan import Context, Step, StepResult

PLAIN_ENGLISH_HINT = (
    "plain-English requests need a model: set MIGWRIGHT_MODEL (e.g. openai:gpt-4o-mini with "
    'OPENAI_API_KEY), or use the structured form, e.g. --add-column "orders.shipped_at timestamptz"'
)


def is_plain_english(args: tuple[str, ...]) -> bool:
    return bool(args) and not any(a.startswith("--") for a in args)


# 1 ---------------------------------------------------------------------------------------------
def analyse_step(ctx: Context, result: StepResult) -> None:
    from ..tools.analysis import analyse
    from ..tools.current import rebuild
    from ..tools.dialects import get as get_dialect

    opts = ctx.options
    if is_plain_english(opts.args):  # say it before replaying a whole history
        from .model import Offline, load_model

        if isinstance(load_model(opts.path), Offline):
            raise SpecError("no language model is configured", PLAIN_ENGLISH_HINT)
    ctx.analysis = analysis = analyse(opts.path, opts.framework)
    dialect = get_dialect(opts.dialect).name if opts.dialect else analysis.config.dialect
    ctx.current = current = rebuild(analysis, dialect or "sqlite", opts.db)
    before = current.schema if current.schema is not None else current.database
    if before is None:
        raise DetectionError(
            f"cannot rebuild the current schema: {current.note}",
            "start the database server, or give the schema with --db URL (read-only)",
        )
    ctx.before = before
    history = analysis.history
    result.summary = (
        f"{analysis.framework.title}, {len(history.migrations)} migrations, "
        f"{len(before.tables)} tables ({current.dialect}: {current.method or 'from --db'})"
    )
    result.outputs = {
        "framework": analysis.framework.name,
        "dialect": current.dialect,
        "migrations": len(history.migrations),
        "heads": list(history.heads),
        "tables": list(before.table_names),
        "schema_from": current.method or "database",
        "drift": [op.describe().strip() for op in current.drift],
    }
    result.findings = [str(w) for w in history.warnings]
    if result.findings or current.drift:
        result.status = "warning"


# 2 ---------------------------------------------------------------------------------------------
def plan_step(ctx: Context, result: StepResult) -> None:
    from ..tools.frameworks.render import MigrationPlan
    from ..tools.spec import Request, parse_request

    assert ctx.analysis is not None and ctx.before is not None and ctx.current is not None
    dialect = ctx.current.dialect
    args = ctx.options.args
    if not args:
        raise SpecError("empty request", 'say what to change, e.g. --add-column "t.c int"')
    if is_plain_english(args):
        ops, description, tokens = _plan_from_english(ctx, " ".join(args), dialect)
        request = Request(tuple(ops), description, " ".join(args))
        result.tokens = tokens
    else:
        request = parse_request(
            list(args), dialect=dialect, schema=ctx.before, base_dir=ctx.options.path
        )
    ctx.request = request
    now = ctx.options.now or datetime.now(UTC)
    name = ctx.analysis.next_name(request.description, now)
    plan = MigrationPlan(request.operations, ctx.before, dialect, request.description, name)
    ctx.plan = plan
    ctx.plan_result = result
    touched = sorted({t for op in plan.operations for t in op.tables})
    result.summary = f"{len(plan.operations)} operation(s) on {', '.join(touched)} -> {name}"
    result.outputs = {
        "name": name,
        "description": request.description,
        "operations": [op.describe().strip() for op in plan.operations],
        "tables": touched,
        "reversibility": plan.reverse.reversibility().value,
        "data_loss": list(plan.reverse.data_loss),
        "notes": list(getattr(request, "notes", ())),
    }
    result.findings = [f"the down cannot restore {loss}" for loss in plan.reverse.data_loss]
    ctx.references = _references(ctx)
    if ctx.references:
        result.outputs["code_references"] = [r.to_dict() for r in ctx.references]
        result.findings.append(
            f"{len(ctx.references)} place(s) in the code use what this changes: "
            + ", ".join(f"{r.path}:{r.line}" for r in ctx.references[:5])
            + (" ..." if len(ctx.references) > 5 else "")
        )
        result.status = "warning"


def _references(ctx: Context) -> list[Any]:
    """Code that reads what the plan drops, renames or retypes (expand/contract material)."""
    from ..tools.errors import MigwrightError
    from ..tools.references import find_references, targets_for

    assert ctx.plan is not None and ctx.analysis is not None
    targets = targets_for(ctx.plan.operations)
    if not targets:
        return []
    try:
        return list(find_references(ctx.analysis.repo, ctx.analysis.framework.name, targets))
    except MigwrightError:  # a language reader that is not installed: say nothing rather than guess
        return []


def _plan_from_english(ctx: Context, text: str, dialect: str) -> tuple[list[o.Operation], str, int]:
    from .model import Offline, load_model
    from .structured import plan_from_english

    model = load_model(ctx.options.path)
    if isinstance(model, Offline):
        raise SpecError("no language model is configured", PLAIN_ENGLISH_HINT)
    assert ctx.before is not None
    assert ctx.analysis is not None
    facts = _facts(ctx)
    planned = plan_from_english(model, text, ctx.before, facts=facts, dialect=dialect)
    if planned.questions:
        raise SpecError(
            f"the request is ambiguous: {'; '.join(planned.questions)}",
            "say it more precisely, or use the structured form",
        )
    tokens = planned.usage.prompt_tokens + planned.usage.completion_tokens
    return list(planned.operations), planned.description, tokens


def _facts(ctx: Context) -> str:
    """What the model may know about the repo: framework and conventions, never config values."""
    assert ctx.analysis is not None
    analysis = ctx.analysis
    last = analysis.history.last
    lines = [
        f"framework: {analysis.framework.title}",
        f"migrations: {len(analysis.history.migrations)} in {analysis.config.migrations_dir}",
    ]
    if last is not None:
        lines.append(f"last migration: {last.path}")
    return "\n".join(lines)


# 3 ---------------------------------------------------------------------------------------------
def generate_step(ctx: Context, result: StepResult) -> None:
    from ..tools.frameworks.generation import renderer

    assert ctx.analysis is not None and ctx.plan is not None
    analysis = ctx.analysis
    render = renderer(analysis.framework.name)
    if render is None:
        raise DetectionError(
            f"rendering {analysis.framework.title} migrations is not supported yet",
            "use `migwright sql` for the SQL of the request",
        )
    from ..tools.frameworks.generation import update_models

    files = list(render(analysis.repo, analysis.config, analysis.history, ctx.plan))
    rendered = {f.path for f in files}
    main = [f.path for f in files if f.kind == "migration"]
    if main and ctx.plan.name not in rendered:
        # the renderer knows better where the migration belongs (Django: the app that owns
        # the table, not the app of the last migration); the document follows it
        ctx.plan = _renamed(ctx.plan, main[0])
        if ctx.plan_result is not None:  # the plan's announced name is the file's name
            ctx.plan_result.outputs["name"] = main[0]
    models = update_models(
        analysis.framework.name, analysis.repo, analysis.config, analysis.history, ctx.plan
    )
    ctx.files = files + [m for m in models if m.path not in rendered]
    result.summary = ", ".join(f.path for f in ctx.files if f.kind != "model") or "no files"
    result.outputs = {
        "files": [
            {"path": f.path, "kind": f.kind, "existing": f.existing, "content": f.content}
            for f in ctx.files
        ]
    }


def _renamed(plan: Any, name: str) -> Any:
    from ..tools.frameworks.render import MigrationPlan

    return MigrationPlan(plan.operations, plan.before, plan.dialect, plan.description, name)


# 4 ---------------------------------------------------------------------------------------------
def schema_step(ctx: Context, result: StepResult) -> None:
    from ..tools.sql import render

    assert ctx.plan is not None
    plan = ctx.plan
    statements = render(plan.operations, plan.before, plan.dialect)
    models = [f.path for f in ctx.files if f.kind == "model"]
    result.summary = (
        f"{len(statements)} statement(s); models updated: {', '.join(models) or 'none'}"
    )
    result.outputs = {
        "statements": [{"sql": s.sql, "transactional": s.transactional} for s in statements],
        "models": models,
    }


# 5 ---------------------------------------------------------------------------------------------
def data_step(ctx: Context, result: StepResult) -> None:
    assert ctx.plan is not None
    backfills = [op for op in ctx.plan.operations if isinstance(op, o.Backfill)]
    if not backfills:
        result.summary = "no data changes"
        return
    result.summary = f"{len(backfills)} backfill(s)"
    result.outputs = {
        "backfills": [
            {
                "table": b.table,
                "column": b.column,
                "expression": b.expression,
                "where": b.where,
                "batch_size": b.batch_size,
                "invariant": f"no NULL left in {b.table}.{b.column}"
                + (f" where {b.where}" if b.where else ""),
            }
            for b in backfills
        ]
    }


# 6 ---------------------------------------------------------------------------------------------
def rollback_step(ctx: Context, result: StepResult) -> None:
    assert ctx.plan is not None
    rev = ctx.plan.reverse
    result.summary = f"{rev.reversibility().value}; {len(rev.operations)} reverse operation(s)"
    result.outputs = {
        "reverse": [op.describe().strip() for op in rev.operations],
        "irreversible": [why.reason for _, why in rev.irreversible],
        "data_loss": list(rev.data_loss),
        "transactional": ctx.plan.transactional,
    }
    if rev.irreversible:
        result.status = "warning"
        result.findings = [f"no down: {why.reason}" for _, why in rev.irreversible]


# 7 ---------------------------------------------------------------------------------------------
def practices_step(ctx: Context, result: StepResult) -> None:
    from ..tools.lint.base import LintContext
    from ..tools.lint.engine import lint_plan

    assert ctx.plan is not None
    plan = ctx.plan
    lint = lint_plan(plan.operations, plan.before, LintContext(dialect=plan.dialect))
    ctx.findings = list(lint.findings)
    errors = lint.count("error")
    result.summary = (
        f"{len(lint.findings)} finding(s): {errors} error, {lint.count('warning')} warning, "
        f"{lint.count('note')} note"
    )
    result.outputs = {"findings": [f.to_dict() for f in lint.findings]}
    result.findings = [f"{f.severity} {f.rule}: {f.message}" for f in lint.findings]
    if lint.findings:
        result.status = "warning"


# 8 ---------------------------------------------------------------------------------------------
def testing_step(ctx: Context, result: StepResult) -> None:
    if not ctx.options.validate:
        result.status = "skipped"
        result.summary = "not validated (--no-validate)"
        return
    from .validation import validate_run

    report = validate_run(ctx)
    ctx.report = report
    data = report.to_json()
    result.outputs = {"report": data}
    result.summary = "passed" if data.get("ok") else "FAILED"
    result.findings = report.failures()
    if not data.get("ok"):
        raise ValidationFailed(
            f"validation failed: {result.findings[0] if result.findings else 'see the report'}",
            "fix the request; nothing was written",
        )


# 9 ---------------------------------------------------------------------------------------------
def performance_step(ctx: Context, result: StepResult) -> None:
    data: dict[str, Any] = ctx.report.to_json() if ctx.report is not None else {}
    statements = [
        s
        for phase in data.get("phases", [])
        if phase.get("name") == "up"
        for s in phase.get("statements", [])
    ]
    rewrites = sorted({t for s in statements for t in s.get("rewritten", [])})
    explain = data.get("explain", [])
    advice = [f.help for f in ctx.findings if f.estimated_seconds]
    result.summary = (
        f"{len(statements)} statement(s) observed; rewritten: {', '.join(rewrites) or 'none'}"
        if statements
        else "no statement-level observations (validation skipped or not on PostgreSQL/MySQL)"
    )
    result.outputs = {"rewritten": rewrites, "explain": explain, "advice": advice}


# 10 --------------------------------------------------------------------------------------------
def docs_step(ctx: Context, result: StepResult) -> None:
    from ..tools.docs import DocFacts, document
    from ..tools.frameworks.render import File
    from ..tools.writer import write_files

    assert ctx.plan is not None and ctx.analysis is not None
    plan = ctx.plan
    report = ctx.report.to_json() if ctx.report is not None else None
    text = document(
        DocFacts(
            plan=plan,
            framework=ctx.analysis.framework.name,
            migration_id=plan.name,
            findings=ctx.findings,
            references=[r.describe() for r in ctx.references],
            report=report,
        )
    )
    ctx.document = text
    doc_path = _doc_path(plan.name)
    files = [*ctx.files, File(doc_path, text, kind="doc")]
    result.outputs = {"document": text, "document_path": doc_path}
    if ctx.options.dry_run:
        result.summary = f"{doc_path} (dry run: nothing written)"
        return
    ctx.written = write_files(ctx.analysis.repo.root, files)
    result.summary = f"wrote {len(ctx.written)} file(s)"
    result.outputs["written"] = [str(p) for p in ctx.written]


def _doc_path(name: str) -> str:
    stem = name.rsplit(".", 1)[0] if "/" in name or "." in name.rsplit("/", 1)[-1] else name
    if name.endswith("/migration.sql"):  # prisma: the folder is the migration
        return name.rsplit("/", 1)[0] + "/README.md"
    return stem + ".md"


STEPS: tuple[Step, ...] = (
    Step(1, "analyse", "Analyse the repository and database state", analyse_step),
    Step(2, "plan", "Plan operations, data impact, risk and order", plan_step),
    Step(3, "generate", "Generate the migration files", generate_step),
    Step(4, "schema", "Schema updates: DDL, indexes, keys, checks, models", schema_step),
    Step(5, "data", "Data migration: transforms, backfills, invariants", data_step),
    Step(6, "rollback", "Rollback: reverses, data loss, transactions", rollback_step),
    Step(7, "practices", "Best practices: safety lint", practices_step),
    Step(8, "testing", "Testing: up, down, up on a scratch database", testing_step),
    Step(9, "performance", "Performance: locks, rewrites, query plans", performance_step),
    Step(10, "docs", "Documentation and deployment checklist", docs_step),
)
