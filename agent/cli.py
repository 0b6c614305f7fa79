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
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from .. import __version__
from ..tools.errors import MigwrightError
from . import views
from .clicompat import ClickException, NoArgsIsHelpError, NoSuchOption, UsageError

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


def say_error(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)


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
    from ..tools.spec import GRAMMAR

    return GRAMMAR


@app.command(
    context_settings=REQUEST_SETTINGS,
    epilog="Request grammar: see `migwright grammar` or README.md.",
)
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
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Print the SQL for a request, e.g. --add-column "orders.shipped_at timestamptz"."""

    def body() -> None:
        from ..tools.dialects import get as get_dialect
        from ..tools.plan_sql import plan_sql

        dialect_name = get_dialect(dialect).name
        result = plan_sql(list(ctx.args), dialect_name, db_url=db)
        if as_json:
            emit_json(views.sql_json(result))
        else:
            views.print_sql(out, result, down=down)

    guarded(body)


@app.command()
def grammar() -> None:
    """Print the request grammar (the verbs `sql` and `new` take)."""
    out.print(_request_help(), markup=False)


@app.command()
def inspect(
    path: Annotated[Path, typer.Argument(help="Repository to analyse.")] = Path("."),
    framework: Annotated[
        str | None,
        typer.Option("--framework", "-f", help="Pick one framework (name or name@folder)."),
    ] = None,
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
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
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
