"""`migwright ide install` and `migwright mcp`: the command-line faces of agent/ide.py and
agent/mcp_server.py.

cli.py mounts them (`app.add_typer(ide_app, name="ide")`, `app.command("mcp")(mcp_command)`);
they live here so cli.py stays a list of commands. Errors go through cli.py's `guarded`, so a
refusal is one red line and exit code 2, as everywhere else.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..tools.errors import ConfigError

ide_app = typer.Typer(
    name="ide",
    help="Slash commands for IDE assistants (Claude Code, Cursor, others).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)


@ide_app.command()
def install(
    path: Annotated[Path, typer.Argument(help="The repository to install into.")] = Path("."),
    claude: Annotated[
        bool, typer.Option("--claude", help="Claude Code: .claude/commands/ (the default).")
    ] = False,
    cursor: Annotated[
        bool,
        typer.Option(
            "--cursor",
            help="Cursor: .cursor/commands/ (the default when only .cursor/ exists).",
        ),
    ] = False,
    print_only: Annotated[
        bool,
        typer.Option("--print", help="Print the command instead, for any other assistant."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing command file that differs.")
    ] = False,
) -> None:
    """Install /create-database-migration, which runs `migwright new` from the assistant's chat.

    The assistant runs a dry run first, shows the plan, lint findings, validation report and
    files, and writes only when you say so. An existing file is never replaced without --force.
    """
    from . import ide
    from .cli import guarded, out

    def body() -> None:
        if claude and cursor:
            raise ConfigError("--claude and --cursor exclude each other", "choose one")
        flavour: ide.Flavour
        if claude:
            flavour = "claude"
        elif cursor:
            flavour = "cursor"
        elif print_only:
            flavour = "generic"
        else:
            flavour = ide.default_flavour(path)
        if print_only:
            sys.stdout.write(ide.render(flavour))
            return
        done = ide.install(path, flavour, force=force)
        title = "Claude Code" if flavour == "claude" else "Cursor"
        where = ide.target_path(flavour)
        if done.status == "unchanged":
            out.print(f"{where} is already up to date", markup=False)
        else:
            out.print(f"{done.status} {where}", markup=False)
        out.print(
            f'in {title}, type: /{ide.COMMAND_NAME} --add-column "orders.shipped_at timestamptz"',
            markup=False,
        )

    guarded(body)


def mcp_command(
    repo: Annotated[
        Path,
        typer.Option("--repo", "-C", help="The repository tools use when given no path."),
    ] = Path("."),
) -> None:
    """Serve migwright to an assistant over MCP (stdio): inspect_repo, plan_migration,
    generate_migration, validate_migration, lint_sql.

    Nothing is written unless a client calls generate_migration with write=true.
    """
    from .cli import guarded

    def body() -> None:
        from .mcp_server import serve

        serve(repo)

    guarded(body)
