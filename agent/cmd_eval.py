"""`migwright eval`: the command-line face of agent/evaluate.py.

cli.py mounts it (`app.command("eval")(eval_command)`). It prints one line per case as it
finishes (so a long run shows progress), then the scorecard: a rich table per case and the
totals, and the checks that failed with what was expected. `--json` prints one document
instead. Exit codes as everywhere: 0 when the total score reaches the threshold, 1 below it,
2 for bad input (a missing folder, a malformed case file: one line naming file and problem).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:  # evaluate.py pulls in the whole pipeline: import it when eval runs
    from .evaluate import CaseResult, Evaluation

#: How much of a failed check's detail the table view prints (a runner's error can be long).
DETAIL_CHARS = 400
#: Scorecard columns: (check name, heading).
COLUMNS = (
    ("detection", "detect"),
    ("naming", "name"),
    ("plan", "plan"),
    ("generation", "files"),
    ("validation", "valid."),
    ("refusal", "refused"),
)


def eval_command(
    path: Annotated[
        Path, typer.Argument(help="The evals folder (holding cases/ and repos/).")
    ] = Path("evals"),
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Cases run side by side.")] = 2,
    case: Annotated[
        list[str] | None,
        typer.Option("--case", "-k", help="Only cases whose id contains (or globs) this."),
    ] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", help="Exit 1 when the total score is below this.")
    ] = 0.9,
    rows: Annotated[int, typer.Option("--rows", help="Seeded rows per table.")] = 200,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per case.")] = 600.0,
    live_model: Annotated[
        bool,
        typer.Option(
            "--live-model",
            help="Plain-English cases ask the configured model instead of the scripted answer.",
        ),
    ] = False,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep each case's repo copy (paths in the output).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Score migwright on the example repos: detection, naming, plan, files, validation, lint.

    Example: migwright eval evals/ -j 2 --case alembic-blog
    """
    from .cli import emit_json, err, guarded, out

    def body() -> Evaluation:
        from ..tools.errors import ConfigError
        from .evaluate import Settings, load_cases, run_cases

        if jobs < 1:
            raise ConfigError(f"--jobs {jobs}: must be 1 or more", "e.g. -j 2")
        if not 0.0 <= threshold <= 1.0:
            raise ConfigError(f"--threshold {threshold}: must be within 0..1", "e.g. 0.9")
        cases = load_cases(path, case or ())
        settings = Settings(path, rows=rows, timeout=timeout, live_model=live_model, keep=keep)
        done = None if as_json else (lambda r: _progress(err, r))
        return run_cases(cases, settings, jobs=jobs, threshold=threshold, on_done=done)

    evaluation: Evaluation = guarded(body)
    if as_json:
        emit_json(evaluation.to_json())
    else:
        print_scorecard(out, evaluation)
    if not evaluation.passed:
        raise typer.Exit(1)


def _progress(console: Console, result: CaseResult) -> None:
    mark = "[green]ok  [/]" if result.ok else "[red]FAIL[/]"
    console.print(
        f"{mark} {result.case.id} ({result.seconds:.1f} s, score {result.score:.2f})",
        highlight=False,
    )


def _mark(result: CaseResult, name: str) -> str:
    check = result.check(name)
    if check is None:
        return "[dim]-[/]"
    return "[green]✓[/]" if check.score >= 1.0 else "[red]✗[/]"


def _lint_cell(result: CaseResult) -> str:
    if result.lint_counts is None:
        return "[dim]-[/]"
    hits, actual, wanted = result.lint_counts
    precision = hits / actual if actual else 1.0
    recall = hits / wanted if wanted else 1.0
    style = "green" if precision == recall == 1.0 else "red"
    return f"[{style}]{precision:.2f}/{recall:.2f}[/]"


def _rate(value: dict[str, object]) -> str:
    rate = value.get("rate")
    return "-" if rate is None else f"{float(str(rate)):.0%} of {value.get('cases')}"


def print_scorecard(console: Console, evaluation: Evaluation) -> None:
    """Per case, one row of checks; then totals and every failed check with its detail."""
    table = Table(title="migwright eval", show_lines=False)
    table.add_column("case", no_wrap=True)
    for _, heading in COLUMNS:
        table.add_column(heading, justify="center")
    table.add_column("lint P/R", justify="center")
    table.add_column("tokens", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("score", justify="right")
    for r in evaluation.results:
        style = "green" if r.ok else "red"
        table.add_row(
            r.case.id,
            *(_mark(r, name) for name, _ in COLUMNS),
            _lint_cell(r),
            str(r.tokens),
            f"{r.seconds:.1f}",
            f"[{style}]{r.score:.2f}[/]",
        )
    totals = evaluation.totals()
    precision, recall = totals["lint_precision"], totals["lint_recall"]
    lint_total = "-" if precision is None else f"{precision:.2f}/{recall:.2f}"
    table.add_section()
    table.add_row(
        f"{totals['cases_ok']}/{totals['cases']} cases ok",
        *(_rate(totals[name]) for name, _ in COLUMNS),
        lint_total,
        str(totals["tokens"]),
        f"{totals['wall_seconds']:.0f}",
        f"{evaluation.score:.2f}",
    )
    # a pipe or a CI log has no width of its own (80): give the table room to show its cells
    wide = console if console.is_terminal else Console(file=console.file, width=160)
    wide.print(table)
    failures = [(r, c) for r in evaluation.results for c in r.checks if c.score < 1.0]
    if failures:
        console.print("\n[bold]failed checks[/]")
        for r, c in failures:
            console.print(f"  {r.case.id} [bold]{c.name}[/]: ", end="", highlight=False)
            detail = c.detail or "(no detail)"  # --json keeps the whole text
            cut = detail if len(detail) <= DETAIL_CHARS else detail[: DETAIL_CHARS - 3] + "..."
            console.print(cut, markup=False, highlight=False)
    verdict = "[green]passed[/]" if evaluation.passed else "[red]below threshold[/]"
    console.print(
        f"\nscore {evaluation.score:.3f} (threshold {evaluation.threshold:g}): {verdict}; "
        f"{totals['case_seconds']:.0f} s of cases in {totals['wall_seconds']:.0f} s "
        f"with -j {evaluation.jobs}",
        highlight=False,
    )
    if any(r.workdir for r in evaluation.results):
        for r in evaluation.results:
            console.print(f"  {r.case.id}: {r.workdir}", markup=False, highlight=False)
