"""The ten steps, one function each. Steps call tools (and the model for plain English only);
they never run SQL themselves. Each fills its StepResult: a one-line summary, outputs for
`--json`, findings for people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
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
    from ..tools.spec import Request, parse_request

    assert ctx.analysis is not None and ctx.before is not None and ctx.current is not None
    dialect = ctx.current.dialect
    args = ctx.options.args
    if not args:
        raise SpecError("empty request", 'say what to change, e.g. --add-column "t.c int"')
    answer: dict[str, Any] | None = None
    if is_plain_english(args):
        planned = _plan_from_english(ctx, " ".join(args), dialect)
        request = Request(planned.operations, planned.description, " ".join(args))
        result.tokens = planned.usage.total_tokens
        answer = planned.answer.model_dump(mode="json", exclude_defaults=True)
    else:
        # the contract's request names what the expand already added: checked by the
        # contract planner against the current schema, not by the parser
        schema = None if ctx.options.phase == "contract" else ctx.before
        request = parse_request(
            list(args), dialect=dialect, schema=schema, base_dir=ctx.options.path
        )
    plan_request(ctx, result, request, answer)


def plan_request(
    ctx: Context, result: StepResult, request: Any, model_answer: dict[str, Any] | None = None
) -> None:
    """Step 2 for a request already made: parsed, planned by the model, or repaired after a
    failed validation (repair.py); `model_answer` is the model's plan as it answered."""
    from ..tools.frameworks.render import MigrationPlan

    assert ctx.analysis is not None and ctx.before is not None and ctx.current is not None
    dialect = ctx.current.dialect
    ctx.request = request
    operations, description = _phased(ctx, request, dialect)
    if ctx.options.safe:  # weaker locks, lock_timeout with retries, re-runnable steps
        from ..tools.zero_downtime import policy_for, safe_operations

        policy = policy_for(ctx.analysis.framework.name)
        operations = tuple(safe_operations(operations, ctx.before, dialect, retry=policy))
    operations = _batched(ctx, operations)
    now = ctx.options.now or datetime.now(UTC)
    name = ctx.analysis.next_name(description, now)
    plan = MigrationPlan(operations, ctx.before, dialect, description, name)
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
    if model_answer is not None:
        result.outputs["model_answer"] = model_answer
    result.findings = [f"the down cannot restore {loss}" for loss in plan.reverse.data_loss]
    if ctx.phased is not None:  # which phase this is, and what comes after it
        result.outputs["phase"] = ctx.phased.to_dict()
        result.summary += f" ({ctx.phased.phase} phase)"
        if ctx.phased.next_step:
            result.findings.append(f"next: {ctx.phased.next_step}")
    ctx.references = _references(ctx)
    if ctx.references:
        result.outputs["code_references"] = [r.to_dict() for r in ctx.references]
        result.findings.append(
            f"{len(ctx.references)} place(s) in the code use what this changes: "
            + ", ".join(f"{r.path}:{r.line}" for r in ctx.references[:5])
            + (" ..." if len(ctx.references) > 5 else "")
        )
        result.status = "warning"


def _batched(ctx: Context, operations: Any) -> tuple[o.Operation, ...]:
    """Each backfill's batch size: the request's, --batch-size, or from the table's row count
    (read from --db's catalog); --throttle-ms between batches (tools/backfill.py)."""
    from ..tools.backfill import batched, row_counts
    from ..tools.zero_downtime import NO_CONCURRENT

    assert ctx.before is not None
    opts = ctx.options
    rows = row_counts(opts.db) if opts.db else None
    out = batched(operations, ctx.before, opts.batch_size, opts.throttle_ms, rows)
    if ctx.analysis is not None and ctx.analysis.framework.name in NO_CONCURRENT:
        # its runner holds every file in one transaction: batches could not commit apart
        out = tuple(
            replace(op, batch_size=None, throttle_ms=None) if isinstance(op, o.Backfill) else op
            for op in out
        )
    return out


def _phased(ctx: Context, request: Any, dialect: str) -> tuple[tuple[o.Operation, ...], str]:
    """The operations and description of the phase asked for (tools/expand_contract.py):
    a rename or rewriting type change becomes its expand or its contract migration."""
    from ..tools.expand_contract import (
        contract_command,
        missing_sync_objects,
        plan_phase,
        sync_object_names,
    )

    assert ctx.before is not None and ctx.analysis is not None
    opts = ctx.options
    command = contract_command(opts.args, str(opts.path))
    phased = plan_phase(request.operations, ctx.before, dialect, opts.phase, command)
    ctx.phased = phased
    if phased is None:
        return tuple(request.operations), request.description
    if phased.phase == "contract":
        repo, history = ctx.analysis.repo, ctx.analysis.history
        texts = [_read(repo.path(m.path)) for m in history.migrations]
        missing = missing_sync_objects(sync_object_names(phased, dialect), texts)
        if missing:
            raise SpecError(
                f"no migration creates the expand's sync objects {', '.join(missing)}",
                "write and deploy the expand first: the same command with --phase expand",
            )
    return phased.operations, f"{phased.phase} {request.description}"


def _read(path: Any) -> str:
    try:
        return str(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return ""


def _references(ctx: Context) -> list[Any]:
    """Code that reads what the plan drops, renames or retypes (expand/contract material)."""
    from ..tools.errors import MigwrightError
    from ..tools.references import find_references, targets_for

    assert ctx.plan is not None and ctx.analysis is not None
    # an expand/contract phase is about the request's rename, not the helper column it adds
    ops = ctx.request.operations if ctx.phased is not None and ctx.request else ctx.plan.operations
    targets = targets_for(ops)
    if not targets:
        return []
    try:
        return list(find_references(ctx.analysis.repo, ctx.analysis.framework.name, targets))
    except MigwrightError:  # a language reader that is not installed: say nothing rather than guess
        return []


def _plan_from_english(ctx: Context, text: str, dialect: str) -> Any:
    from .model import Offline, load_model
    from .structured import plan_from_english

    model = load_model(ctx.options.path)
    if isinstance(model, Offline):
        raise SpecError("no language model is configured", PLAIN_ENGLISH_HINT)
    assert ctx.before is not None
    assert ctx.analysis is not None
    planned = plan_from_english(
        model,
        text,
        ctx.before,
        facts=_facts(ctx),
        dialect=dialect,
        answers=ctx.options.answers,
        framework=ctx.analysis.framework.name,
    )
    if planned.questions:
        raise ambiguous(planned.questions, ctx.options.answers)
    return planned


def ambiguous(questions: Sequence[str], answers: Sequence[str] = ()) -> SpecError:
    """The questions a model asked back, and the exact flag that answers them."""
    listed = " ".join(f"({n}) {q}" for n, q in enumerate(questions, 1))
    given = f" after the answers {', '.join(repr(a) for a in answers)}" if answers else ""
    example = " ".join(f'--answer "<answer {n}>"' for n in range(1, len(questions) + 1))
    return SpecError(
        f"the request is ambiguous{given}: {listed}",
        f"pass {example} to `migwright new`, one per question in order, e.g. "
        '--answer "rename" or --answer "accounts=customer_accounts"',
    )


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
    from ..tools.python_transform import refuse_outside_django

    assert ctx.analysis is not None and ctx.plan is not None
    analysis = ctx.analysis
    refuse_outside_django(analysis.framework.name, ctx.plan.operations)
    render = renderer(analysis.framework.name)
    if render is None:
        raise DetectionError(
            f"rendering {analysis.framework.title} migrations is not supported yet",
            "use `migwright sql` for the SQL of the request",
        )
    from ..tools.frameworks.generation import model_diff, update_models, writes_models

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
    diffs = {m.path: model_diff(analysis.repo.root, m.path, m.content) for m in models}
    models = [m for m in models if m.path not in rendered and diffs[m.path]]
    # the model change is always computed and shown; it is written (and validated in the
    # copy) only when asked for, or by default where the models are the source of truth
    write_models = writes_models(analysis.framework.name, ctx.options.update_models)
    ctx.files = files + (models if write_models else [])
    result.summary = ", ".join(f.path for f in ctx.files if f.kind != "model") or "no files"
    if models:
        how = "written" if write_models else "diff only; --update-models writes them"
        result.summary += f"; models ({how}): {', '.join(m.path for m in models)}"
    result.outputs = {
        "files": [
            {"path": f.path, "kind": f.kind, "existing": f.existing, "content": f.content}
            for f in ctx.files
        ],
        "update_models": write_models,
        "model_diffs": [{"path": m.path, "diff": diffs[m.path]} for m in models],
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
    from ..tools.python_transform import PythonTransform

    assert ctx.plan is not None
    backfills = [op for op in ctx.plan.operations if isinstance(op, o.Backfill)]
    transforms = [op for op in ctx.plan.operations if isinstance(op, PythonTransform)]
    if transforms:  # Django RunPython functions the model drafted (allowlisted, run on scratch)
        result.outputs["python_transforms"] = [
            {
                "table": t.table,
                "columns": list(t.columns),
                "summary": t.summary,
                "forward": t.forward,
            }
            for t in transforms
        ]
        result.summary = f"{len(transforms)} Python transform(s) (RunPython)"
    if not backfills:
        result.summary = result.summary or "no data changes"
        return
    result.summary = f"{len(backfills)} backfill(s)" + (f", {result.summary}" if transforms else "")
    result.outputs |= {
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
    _app_test_findings(ctx, result, report)
    if not data.get("ok"):
        raise ValidationFailed(
            f"validation failed: {result.findings[0] if result.findings else 'see the report'}",
            "fix the request; nothing was written",
        )


def _app_test_findings(ctx: Context, result: StepResult, report: Any) -> None:
    """The app's tests in the summary; the old code's failure as a finding of the run."""
    from ..tools.apptests import running_code_finding
    from ..tools.validate_report import app_test_outcome

    for run, label in ((report.app_tests, "app tests"), (report.old_code_tests, "old code")):
        if run is not None:
            result.summary += f"; {label}: {app_test_outcome(run)}"
    finding = running_code_finding(report)
    if finding is not None:
        ctx.findings.append(finding)
        result.findings.append(f"{finding.severity} {finding.rule}: {finding.message}")
        result.status = "warning"


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
    from .prose import improve_purpose

    assert ctx.plan is not None and ctx.analysis is not None
    plan = ctx.plan
    report = ctx.report.to_json() if ctx.report is not None else None
    prose = improve_purpose(ctx)  # None offline: the document is all deterministic
    text = document(
        DocFacts(
            plan=plan,
            framework=ctx.analysis.framework.name,
            migration_id=plan.name,
            findings=ctx.findings,
            references=[r.describe() for r in ctx.references],
            report=report,
            prose=prose.text if prose is not None else None,
            phase=ctx.phased.phase if ctx.phased is not None else None,
            phase_steps=ctx.phased.steps if ctx.phased is not None else (),
        )
    )
    if prose is not None:
        result.tokens = prose.tokens
        result.findings += prose.notes
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
