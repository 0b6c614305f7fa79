"""The command line: a thin typer app over the tools (sqlite-utils' cli.py over its library).

Every command turns a MigwrightError into one red line with its fix and the error's exit code
(2 bad input, 1 validation or lint failed), and never shows a traceback for a user error.
`--json` prints exactly one JSON document on stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, cast

import typer
from rich.console import Console
from rich.markup import escape

from .. import __version__
from ..tools.errors import MigwrightError
from . import views
from .clicompat import ClickException, NoArgsIsHelpError, NoSuchOption, UsageError
from .cmd_eval import eval_command
from .cmd_ide import ide_app, mcp_command

app = typer.Typer(
    name="migwright",
    help="Write database migrations for an existing codebase and prove them on a real database.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

REQUEST_SETTINGS = {"allow_extra_args": True, "ignore_unknown_options": True}

# Options several commands share, spelled once.
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
FrameworkOpt = Annotated[
    str | None, typer.Option("--framework", "-f", help="Pick one (name or name@folder).")
]
RowsOpt = Annotated[int, typer.Option("--rows", help="Seeded rows per table.")]
UnsafeOpt = Annotated[
    bool,
    typer.Option(
        "--unsafe",
        help="Plain DDL instead of the zero-downtime rendering (CONCURRENTLY, NOT VALID + "
        "VALIDATE, lock_timeout with retries): for an empty database or a maintenance window.",
    ),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed of the seeded rows.")]
BatchSizeOpt = Annotated[
    int | None,
    typer.Option(
        "--batch-size",
        help="Rows per batch of a backfill (one commit each; default: from the table's size "
        "with --db, else one UPDATE).",
    ),
]
ThrottleOpt = Annotated[
    int | None,
    typer.Option("--throttle-ms", help="Pause between two batches of a backfill (milliseconds)."),
]
AppTestsOpt = Annotated[
    str | None,
    typer.Option(
        "--app-tests",
        help="The app's test command, run on the migrated database from a copy with the new "
        "migration and from HEAD (default: app-tests in migwright.toml or [tool.migwright]; "
        '"" for none).',
    ),
]
AppTestsTimeoutOpt = Annotated[
    float, typer.Option("--app-tests-timeout", help="Seconds each app test run may take.")
]


def say_error(message: str) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False)


def fail(message: str, code: int = 2) -> NoReturn:
    say_error(message)
    raise typer.Exit(code)


def guarded(fn: Callable[[], Any]) -> Any:
    """Run a command body; a MigwrightError becomes one line and its exit code."""
    try:
        return fn()
    except MigwrightError as exc:
        fail(exc.one_line(), exc.exit_code)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _version(value: bool) -> None:
    if value:
        out.print(f"migwright {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """migwright: analyse, plan, render, validate, document."""


def _request_help() -> str:
    from ..tools.spec_help import GRAMMAR

    return GRAMMAR


def _grammar_epilog() -> str:
    """The request grammar for --help, kept as written (click rewraps paragraphs without \\b)."""
    from ..tools.spec_help import GRAMMAR

    return "\n\n".join("\b\n" + block for block in GRAMMAR.strip().split("\n\n"))


@app.command(context_settings=REQUEST_SETTINGS, epilog=_grammar_epilog())
def sql(
    ctx: typer.Context,
    dialect: Annotated[
        str, typer.Option("--dialect", "-d", help="postgresql, mysql (MariaDB too) or sqlite.")
    ] = "postgresql",
    db: Annotated[
        str | None,
        typer.Option("--db", help="Read the current schema from this database (read-only)."),
    ] = None,
    down: Annotated[
        bool, typer.Option("--down", help="Print the reverse (the down) instead.")
    ] = False,
    unsafe: UnsafeOpt = False,
    batch_size: BatchSizeOpt = None,
    throttle_ms: ThrottleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the SQL (up, or --down) of a request for one dialect.

    Example: migwright sql -d postgresql --add-column "orders.shipped_at timestamptz"
    """

    def body() -> None:
        from ..tools.dialects import get as get_dialect
        from ..tools.plan_sql import plan_sql

        dialect_name = get_dialect(dialect).name
        result = plan_sql(
            list(ctx.args),
            dialect_name,
            db_url=db,
            safe=not unsafe,
            batch_size=batch_size,
            throttle_ms=throttle_ms,
        )
        if as_json:
            emit_json(views.sql_json(result))
        else:
            views.print_sql(out, result, down=down)

    guarded(body)


@app.command(context_settings=REQUEST_SETTINGS)
def lint(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None, typer.Argument(help="SQL files (migrations) to lint.")
    ] = None,
    dialect: Annotated[
        str, typer.Option("--dialect", "-d", help="postgresql, mysql, mariadb or sqlite.")
    ] = "postgresql",
    down: Annotated[
        Path | None, typer.Option("--down", help="The down SQL of a single file, linted too.")
    ] = None,
    pg_version: Annotated[
        str | None, typer.Option("--pg-version", "--server-version", help="e.g. 14.2")
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="Read version and table sizes (read-only).")
    ] = None,
    stats: Annotated[
        Path | None, typer.Option("--stats", help="JSON file with version and table sizes.")
    ] = None,
    rule: Annotated[list[str] | None, typer.Option("--rule", help="Only these rules.")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Skip these.")] = None,
    in_transaction: Annotated[
        bool, typer.Option("--in-transaction", help="The runner wraps each file in one.")
    ] = False,
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="error, warning or note: exit 1 at or above.")
    ] = "error",
    as_json: JsonOpt = False,
    sarif: Annotated[
        Path | None, typer.Option("--sarif", help="Write SARIF 2.1.0 here ('-' for stdout).")
    ] = None,
) -> None:
    """Lint SQL migrations, or a request, for locks, rewrites and data loss.

    Example: migwright lint db/migrations/*.sql --stats stats.json --sarif lint.sarif
    """

    def body() -> None:
        from ..tools.lint.base import LintContext, parse_version
        from ..tools.lint.engine import LintResult, lint_file, lint_plan
        from ..tools.lint.output import lint_result_to_json, to_sarif
        from ..tools.lint_inputs import stats_from_database, stats_from_file

        version = parse_version(pg_version)
        table_stats = None
        if stats is not None:
            file_version, table_stats = stats_from_file(stats)
            version = version or file_version
        if db is not None:
            db_version, table_stats = stats_from_database(db)
            version = version or db_version
        context = LintContext(
            dialect=dialect, version=version, stats=table_stats, in_transaction=in_transaction
        )
        results: list[LintResult] = []
        if ctx.args:
            from ..tools.plan_sql import plan_sql

            planned = plan_sql(list(ctx.args), _family(dialect), db_url=db)
            results.append(
                lint_plan(
                    planned.request.operations, planned.before, context, rules=rule, ignore=ignore
                )
            )
        for path in files or []:
            results.append(
                lint_file(
                    path,
                    context,
                    down_path=down if len(files or []) == 1 else None,
                    rules=rule,
                    ignore=ignore,
                )
            )
        if not results:
            fail('nothing to lint (give SQL files, or a request such as --add-index "t (c)")')
        findings = [f for r in results for f in r.findings]
        merged = LintResult(
            tuple(findings),
            results[0].dialect,
            tuple(f for r in results for f in r.files),
            sum(r.statements for r in results),
            results[0].rules,
        )
        if sarif is not None:
            document = to_sarif(merged.findings, merged.files, rules=merged.rules)
            if str(sarif) == "-":
                emit_json(document)
            else:
                sarif.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        if as_json:
            emit_json(lint_result_to_json(merged))
        elif str(sarif) != "-":
            views.print_lint(out, merged)
        if merged.failed(_severity(fail_on)):
            raise typer.Exit(1)

    guarded(body)


def _severity(text: str) -> Literal["error", "warning", "note"]:
    if text not in ("error", "warning", "note"):
        fail(f"unknown severity {text!r} for --fail-on (use error, warning or note)")
    return cast(Literal["error", "warning", "note"], text)


def _family(dialect: str) -> str:
    from ..tools.dialects import get as get_dialect

    return get_dialect(dialect).name


@app.command(context_settings=REQUEST_SETTINGS, epilog=_grammar_epilog())
def new(
    ctx: typer.Context,
    path: Annotated[Path, typer.Option("--repo", "-C", help="The repository.")] = Path("."),
    framework: FrameworkOpt = None,
    dialect: Annotated[
        str | None, typer.Option("--dialect", "-d", help="Validate on this dialect.")
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="Read the current schema from here (read-only).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the files; write nothing.")
    ] = False,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Skip the scratch-database round trip.")
    ] = False,
    update_models: Annotated[
        bool | None,
        typer.Option(
            "--update-models/--no-update-models",
            help="Write the model files too (default: on for Django and Prisma); "
            "their diff is shown either way.",
        ),
    ] = None,
    rows: RowsOpt = 1000,
    seed: SeedOpt = 0,
    app_tests: AppTestsOpt = None,
    app_tests_timeout: AppTestsTimeoutOpt = 600.0,
    show: Annotated[
        bool, typer.Option("--show/--no-show", help="Print the files and the document.")
    ] = True,
    answer: Annotated[
        list[str] | None,
        typer.Option(
            "--answer",
            help="Answer a question the model asked about a plain-English request "
            '(repeatable, in order), e.g. --answer "rename" --answer "accounts=customer_accounts".',
        ),
    ] = None,
    phase: Annotated[
        str,
        typer.Option(
            "--phase",
            help="A rename or rewriting type change: expand (add + sync triggers + backfill; "
            "its document gives the contract command), contract (after the app deploy), or "
            "one-step (single statement, for a maintenance window).",
        ),
    ] = "expand",
    unsafe: UnsafeOpt = False,
    batch_size: BatchSizeOpt = None,
    throttle_ms: ThrottleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a migration: analyse, plan, generate, validate on a scratch database, document.

    Files are written only after the migration went up, down and up again cleanly.
    """
    from .plan import Context, Options
    from .repair import run_new
    from .steps import STEPS
    from .views_models import print_model_diffs

    options = Options(
        path=path,
        args=tuple(ctx.args),
        framework=framework,
        dialect=dialect,
        db=db,
        dry_run=dry_run,
        validate=not no_validate,
        update_models=update_models,
        rows=rows,
        seed=seed,
        answers=tuple(answer or ()),
        phase=phase,
        app_tests=app_tests,
        app_tests_timeout=app_tests_timeout,
        safe=not unsafe,
        batch_size=batch_size,
        throttle_ms=throttle_ms,
    )
    context = Context(options)
    if as_json:
        run = run_new(STEPS, context)
        emit_json(views.run_json(run))
    else:
        with views.StepPrinter(out) as printer:
            run = run_new(STEPS, context, printer.listener)
        views.print_run(out, run, show=show)
        print_model_diffs(out, run)
    failed = run.failed_step
    if failed is not None:
        if not as_json:
            say_error(failed.error or failed.summary)
        raise typer.Exit(int(failed.outputs.get("exit_code", 1)))


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="The repository.")] = Path("."),
    migration: Annotated[
        str | None, typer.Option("--migration", "-m", help="Which one (default: the last).")
    ] = None,
    framework: FrameworkOpt = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="sqlite, postgresql, mysql, or a URL of a database you name."),
    ] = None,
    i_know: Annotated[
        bool,
        typer.Option(
            "--i-know-this-is-not-production",
            help="Allow --db URL to name a database migwright did not create.",
        ),
    ] = False,
    rows: RowsOpt = 1000,
    seed: SeedOpt = 0,
    app_tests: AppTestsOpt = None,
    app_tests_timeout: AppTestsTimeoutOpt = 600.0,
    as_json: JsonOpt = False,
) -> None:
    """Prove a migration already in the repo: up, down, up on a scratch database with data.

    With --app-tests (or the repo's default), the app's tests then run on the migrated
    database, from a copy of the repo and from HEAD (old code against the new schema); exit 1
    when either fails.
    """

    def body() -> None:
        from ..tools.validate_report import summary_lines
        from .validation import validate_existing

        dialect_name, url = (
            (db, None) if db in (None, "sqlite", "postgresql", "mysql") else (None, db)
        )
        report = validate_existing(
            path,
            framework=framework,
            migration=migration,
            dialect=dialect_name,
            db_url=url,
            explicit=i_know,
            rows=rows,
            seed=seed,
            app_tests=app_tests,
            app_tests_timeout=app_tests_timeout,
        )
        if as_json:
            emit_json(report.to_json())
        else:
            for line in summary_lines(report):
                out.print(line, markup=False, highlight=False)
        if not report.ok or report.breaks_running_code:
            raise typer.Exit(1)

    guarded(body)


@app.command()
def grammar() -> None:
    """Print the request grammar (the verbs `sql` and `new` take)."""
    out.print(_request_help(), markup=False)


@app.command()
def inspect(
    path: Annotated[Path, typer.Argument(help="Repository to analyse.")] = Path("."),
    framework: FrameworkOpt = None,
    description: Annotated[
        str, typer.Option("--description", help="Text the next migration name is made from.")
    ] = "new migration",
    dialect: Annotated[
        str | None,
        typer.Option("--dialect", "-d", help="Replay on this dialect instead of the repo's own."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Also read this database (read-only) and report drift."),
    ] = None,
    no_schema: Annotated[
        bool, typer.Option("--no-schema", help="Skip rebuilding the current schema.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Detect the framework, read the history, name the next migration, rebuild the schema.

    The history is read as text (no application code is imported); the current schema is
    rebuilt by replaying the history on a scratch database, which is dropped afterwards.
    """

    def body() -> None:
        from ..tools.analysis import analyse

        analysis = analyse(path, framework)
        current = None
        if not no_schema:  # imported here: reading the history alone needs no database library
            from ..tools.current import rebuild
            from ..tools.dialects import get as get_dialect

            current = rebuild(analysis, get_dialect(dialect).name if dialect else None, db)
        if as_json:
            emit_json(views.inspect_json(analysis, description, current))
        else:
            views.print_inspect(out, analysis, description, current)

    guarded(body)


app.add_typer(ide_app, name="ide")
app.command("mcp")(mcp_command)
app.command("eval")(eval_command)


@app.command("chat")
def chat(
    path: Annotated[Path, typer.Argument(help="The repository.")] = Path("."),
    framework: FrameworkOpt = None,
    dialect: Annotated[
        str | None, typer.Option("--dialect", "-d", help="Validate on this dialect.")
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="Read the current schema from here (read-only).")
    ] = None,
    rows: RowsOpt = 1000,
    seed: SeedOpt = 0,
) -> None:
    """Talk migrations: requests and follow-ups, the plan and the diffs, written on a yes."""
    from .chat import chat_command  # imported on use: the chat pulls in the whole agent

    chat_command(path, framework, dialect, db, rows, seed)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry: click's own usage errors become one line too."""
    try:
        code = app(args=argv, prog_name="migwright", standalone_mode=False)
    except NoArgsIsHelpError as exc:
        out.print(exc.ctx.get_help() if exc.ctx else "", markup=False)
        code = 0
    except NoSuchOption as exc:
        cmd = exc.ctx.command_path if exc.ctx else "migwright"
        hint = f"did you mean {' or '.join(exc.possibilities)}?" if exc.possibilities else ""
        say_error(f"{exc.format_message()} ({hint or f'see `{cmd} --help`'})")
        code = 2
    except UsageError as exc:
        cmd = exc.ctx.command_path if exc.ctx else "migwright"
        say_error(f"{exc.format_message()} (see `{cmd} --help`)")
        code = 2
    except typer.Abort:
        say_error("aborted")
        code = 130
    except typer.Exit as exc:
        code = exc.exit_code
    except ClickException as exc:
        say_error(exc.format_message())
        code = 2
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
