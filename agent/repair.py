"""Repair after a failed validation: the report goes back to the model, at most twice.

A plan from plain English passed the model-boundary checks (`structured.review`) but can still
fail on a real database: NOT NULL over rows that hold NULLs, a unique index over duplicates, a
type that cannot convert the stored values. When step 8 fails that way, `run_new` sends the
request, the model's plan and the report's failures to the model
(`structured.repair_after_validation`, prompts/repair_validation.txt) and runs steps 2 to 8
again with the repaired plan: the same checks, the same renderer, the same validator. After
`MAX_REPAIRS` failed repairs the run stops with the last report: a non-zero exit and nothing
written, since step 10 never runs.

Each attempt shows in the run: a "repair" step (its tokens, the failures it was sent, the
operations it answered) and then steps 2 to 8 again, numbered as usual and marked with their
`attempt`; the attempts a repair replaced are kept and marked `superseded`, so `--json` and the
live view show what happened while the verdict is the last attempt's. Structured requests are
never sent to a model: they run the ten steps once, as before.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..tools.errors import SpecError
from .plan import Context, Listener, Run, Step, StepFn, StepResult, run_steps
from .steps import ambiguous, is_plain_english, plan_request

MAX_REPAIRS = 2
REPAIR_TITLE = "Repair: the validation failures go back to the model"


def run_new(
    steps: Sequence[Step],
    context: Context,
    listener: Listener | None = None,
    *,
    max_repairs: int = MAX_REPAIRS,
) -> Run:
    """The steps of `migwright new`, with up to `max_repairs` repairs of a plain-English plan
    whose validation failed (see the module doc)."""
    opts = context.options
    keys = [s.key for s in steps]
    if not is_plain_english(opts.args) or not opts.validate or "testing" not in keys:
        return run_steps(steps, context, listener)
    split = keys.index("testing") + 1
    run = run_steps(steps[:split], context, listener)
    results, ctx = list(run.results), context
    failures = _validation_failures(run, ctx)
    previous = _answer_of(ctx)
    attempt = 1
    while failures is not None and previous is not None and attempt <= max_repairs:
        for r in results:
            if r.attempt == attempt and r.key != "analyse":
                r.superseded = True
        attempt += 1
        repair = StepResult(steps[split - 1].number, "repair", REPAIR_TITLE, attempt=attempt)
        holder: dict[str, Any] = {}
        fn = _repair_step(ctx, failures, previous, holder)
        (repair,) = run_steps(
            [Step(repair.number, "repair", REPAIR_TITLE, fn)], ctx, listener
        ).results
        repair.attempt = attempt
        results.append(repair)
        answer = holder.get("answer")
        if repair.status == "failed":
            errors = repair.outputs.get("errors")
            if not errors or answer is None:
                break  # the model is unreachable or asks back: another try cannot help
            failures, previous = list(errors), json.dumps(answer, indent=1)
            continue
        ctx = Context(opts, analysis=ctx.analysis, current=ctx.current, before=ctx.before)
        label = f" (repair {attempt - 1})"
        again = [replace(steps[1], title=steps[1].title + label, fn=holder["fn"])]
        again += [replace(s, title=s.title + label) for s in steps[2:split]]
        rerun = run_steps(again, ctx, listener)
        for r in rerun.results:
            r.attempt = attempt
        results += rerun.results
        failures, previous = _validation_failures(rerun, ctx), _answer_of(ctx)
    if any(r.status == "failed" and not r.superseded for r in results):
        rest = [StepResult(s.number, s.key, s.title, attempt=attempt) for s in steps[split:]]
        return Run(results + rest, ctx)
    tail = run_steps(steps[split:], ctx, listener)
    for r in tail.results:
        r.attempt = attempt
    return Run(results + tail.results, ctx)


def _clip(text: str, width: int = 160) -> str:
    """One failure as the live view shows it (`--json` has it whole, in `sent_failures`)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def _validation_failures(run: Run, ctx: Context) -> list[str] | None:
    """The report's failures when step 8 failed with a report (repairable); else None."""
    failed = run.failed_step
    if failed is None or failed.key != "testing" or ctx.report is None:
        return None
    return list(failed.findings) or [failed.error or "validation failed"]


def _answer_of(ctx: Context) -> str | None:
    """The model's plan as it answered (step 2 keeps it), as JSON for the repair prompt."""
    if ctx.plan_result is None:
        return None
    answer = ctx.plan_result.outputs.get("model_answer")
    return None if answer is None else json.dumps(answer, indent=1)


def _repair_step(
    ctx: Context, failures: list[str], previous: str, holder: dict[str, Any]
) -> StepFn:
    """The repair as a step: one model call; `holder` gets the answer and step 2 for it."""

    def repair(_ctx: Context, result: StepResult) -> None:
        from ..tools.spec import Request
        from .model import load_model
        from .steps import _facts
        from .structured import repair_after_validation

        assert ctx.before is not None and ctx.analysis is not None and ctx.current is not None
        text = " ".join(ctx.options.args)
        repaired = repair_after_validation(
            load_model(ctx.options.path),
            text,
            ctx.before,
            previous,
            failures,
            facts=_facts(ctx),
            dialect=ctx.current.dialect,
            answers=ctx.options.answers,
            framework=ctx.analysis.framework.name,
        )
        answer = repaired.answer.model_dump(mode="json", exclude_defaults=True)
        holder["answer"] = answer
        result.tokens = repaired.usage.total_tokens
        result.outputs = {
            "sent_failures": failures,
            "description": repaired.description,
            "operations": [op.describe().strip() for op in repaired.operations],
            "model_answer": answer,
        }
        if repaired.questions:
            raise ambiguous(repaired.questions, ctx.options.answers)
        if repaired.errors:
            result.outputs["errors"] = list(repaired.errors)
            more = f" (and {len(repaired.errors) - 1} more)" if len(repaired.errors) > 1 else ""
            raise SpecError(
                f"the repaired plan did not pass the checks: {repaired.errors[0]}{more}",
                "rephrase the request more precisely, or write it as a structured request",
            )
        request = Request(repaired.operations, repaired.description, text)
        result.summary = (
            f"{len(repaired.operations)} operation(s) after {len(failures)} failure(s), "
            f"{result.tokens} tokens: {repaired.description}"
        )
        result.findings = [f"sent back: {_clip(f)}" for f in failures]

        def plan(step_ctx: Context, step_result: StepResult) -> None:
            plan_request(step_ctx, step_result, request, answer)

        holder["fn"] = plan

    return repair
