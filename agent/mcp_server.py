"""The MCP server (`migwright mcp`): migwright's tools for an assistant, over stdio.

Five tools, each returning the same JSON document the matching `--json` command prints, so an
assistant reads one shape whichever way it came in:

- `inspect_repo`        framework, history, next name, current schema  (`migwright inspect`)
- `plan_migration`      steps 1-2 and 4-7: operations, SQL, reverses, lint; no files, no database
                        round trip  (`migwright new --dry-run --no-validate`, without files)
- `generate_migration`  all ten steps; a dry run unless `write` is true  (`migwright new`)
- `validate_migration`  steps 1-9: the round trip on a scratch database, the report on top
- `lint_sql`            safety rules over SQL text  (`migwright lint --json`)

The tools call the library directly (the step runner, `analyse`, the lint engine), never a
subprocess of migwright. Runs are serialised by a lock: the SDK runs each synchronous tool on a
worker thread, and one migration run at a time is what a person at an assistant does anyway.
A MigwrightError becomes a tool error (`isError`) whose text is the CLI's one line with its fix;
a failed step inside a run is not an error but `ok: false` in the document, as with `--json`.

The SDK's stdio transport points file descriptor 1 at stderr while it serves, so output of
framework runners (subprocesses) can never corrupt the protocol stream.
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from ..tools.errors import ConfigError, MigwrightError, SpecError

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

SERVER_NAME = "migwright"

INSTRUCTIONS = """\
migwright writes database migrations for the repository in the repository's own framework and
naming, and proves them on a scratch database (up, down, up) before writing. Requests are the
structured flags of `migwright new`, e.g. --add-column "orders.shipped_at timestamptz" or
--add-index "orders (user_id)" (several may follow each other), or plain English when a model is
configured for migwright. Typical use: inspect_repo to see the framework and schema;
generate_migration (a dry run by default) to get the plan, lint findings, validation report and
files; show them to the person; call generate_migration again with write=true only after they
agree. Never write migration files yourself. When `ok` is false, show the failed step's error
(and, for step 8, the failing phase and verdicts of its report) and stop."""

#: The steps `plan_migration` runs: everything that needs neither files nor a round trip.
PLAN_STEPS = frozenset({"analyse", "plan", "schema", "data", "rollback", "practices"})
#: The steps `validate_migration` runs: all but the document (which would be a write).
VALIDATE_STEPS = frozenset(PLAN_STEPS | {"generate", "testing", "performance"})

Request = Annotated[
    str,
    Field(
        description=(
            "What to change, as `migwright new` takes it: structured flags such as "
            '--add-column "orders.shipped_at timestamptz" --add-index "orders (shipped_at)" '
            "(split like a shell command line), or one plain-English sentence (needs a model "
            "configured for migwright)."
        )
    ),
]
RepoPath = Annotated[
    str,
    Field(description="The repository, absolute or relative to the server's --repo folder."),
]
FrameworkName = Annotated[
    str | None, Field(description="Pick one framework (name or name@folder) when several match.")
]
DialectName = Annotated[
    str | None,
    Field(description="postgresql, mysql or sqlite; default: the repository's own."),
]
DatabaseUrl = Annotated[
    str | None,
    Field(description="Read the current schema from this database (read-only)."),
]

_LOCK = threading.Lock()


def request_args(request: str) -> tuple[str, ...]:
    """The request as command-line arguments: flags split like a shell would, while a sentence
    stays one argument (an apostrophe in plain English is not a shell quote)."""
    text = request.strip()
    if not text:
        raise SpecError("empty request", 'say what to change, e.g. --add-column "t.c int"')
    if not text.startswith("-"):
        return (text,)
    try:
        return tuple(shlex.split(text))
    except ValueError as exc:
        raise SpecError(
            f"cannot split the request into arguments: {exc}",
            'quote each argument once, e.g. --add-column "orders.note text"',
        ) from exc


class MigwrightTools:
    """The five tools, bound to the folder relative paths start from.

    Plain methods returning dicts: the server registers them, and tests may call them too.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    # -- repository --------------------------------------------------------------------------
    def inspect_repo(
        self,
        path: RepoPath = ".",
        framework: FrameworkName = None,
        description: Annotated[
            str, Field(description="Text the next migration's name is made from.")
        ] = "new migration",
        dialect: DialectName = None,
        db: DatabaseUrl = None,
        rebuild_schema: Annotated[
            bool,
            Field(description="Rebuild the current schema by replaying the history (slower)."),
        ] = True,
    ) -> dict[str, Any]:
        """Detect the migration framework, read the history in order, name the next migration
        and rebuild the current schema on a scratch database (secrets redacted).

        Returns what `migwright inspect --json` prints: framework, dialect, config, migrations,
        heads, next_name, warnings and schema.
        """
        with _LOCK, _tool_errors():
            from ..tools.analysis import analyse
            from .views import inspect_json

            analysis = analyse(self._repo(path), framework)
            current = None
            if rebuild_schema:
                from ..tools.current import rebuild
                from ..tools.dialects import get as get_dialect

                current = rebuild(analysis, get_dialect(dialect).name if dialect else None, db)
            return inspect_json(analysis, description, current)

    # -- the ten steps -----------------------------------------------------------------------
    def plan_migration(
        self,
        request: Request,
        path: RepoPath = ".",
        framework: FrameworkName = None,
        dialect: DialectName = None,
        db: DatabaseUrl = None,
    ) -> dict[str, Any]:
        """Plan a migration without rendering files or running it: the operations and the next
        migration's name (step 2), the SQL (step 4), backfills (5), reverses and data loss (6)
        and the safety lint findings (7).

        Returns the `migwright new --json` document for those steps; `ok` is false when one
        failed, and that step's `error` names the fix.
        """
        return self._run(request, path, framework, dialect, db, steps=PLAN_STEPS)

    def generate_migration(
        self,
        request: Request,
        path: RepoPath = ".",
        framework: FrameworkName = None,
        dialect: DialectName = None,
        db: DatabaseUrl = None,
        write: Annotated[
            bool,
            Field(
                description=(
                    "Write the files into the repository (only when every step passes). "
                    "Default: a dry run; ask the person before setting this."
                )
            ),
        ] = False,
        validate: Annotated[
            bool, Field(description="Run the up/down/up round trip on a scratch database.")
        ] = True,
        rows: Annotated[int, Field(description="Seeded rows per table.", ge=0)] = 1000,
        seed: Annotated[int, Field(description="Random seed of the seeded rows.")] = 0,
    ) -> dict[str, Any]:
        """Run all ten steps of `migwright new`: analyse, plan, generate the files in the
        framework's own format, schema and data changes, rollback, lint, validate on a scratch
        database, performance, document. A dry run unless `write` is true.

        Returns what `migwright new --json` prints: ok, steps, files (path, kind, existing,
        content), document, written, dry_run.
        """
        return self._run(
            request,
            path,
            framework,
            dialect,
            db,
            dry_run=not write,
            validate=validate,
            rows=rows,
            seed=seed,
        )

    def validate_migration(
        self,
        request: Request,
        path: RepoPath = ".",
        framework: FrameworkName = None,
        dialect: DialectName = None,
        db: DatabaseUrl = None,
        rows: Annotated[int, Field(description="Seeded rows per table.", ge=0)] = 1000,
        seed: Annotated[int, Field(description="Random seed of the seeded rows.")] = 0,
    ) -> dict[str, Any]:
        """Generate the migration for a request and prove it on a scratch database: history
        replayed, rows seeded, up, down, up again, with schema and data compared; writes
        nothing.

        Returns the `migwright new --json` document for steps 1-9, plus `report`: the
        validation report (ok, dialect, phases with verdicts, failures), or null when the run
        stopped before step 8.
        """
        data = self._run(
            request,
            path,
            framework,
            dialect,
            db,
            steps=VALIDATE_STEPS,
            rows=rows,
            seed=seed,
        )
        testing = next((s for s in data["steps"] if s["key"] == "testing"), None)
        data["report"] = (testing or {}).get("outputs", {}).get("report")
        return data

    # -- lint --------------------------------------------------------------------------------
    def lint_sql(
        self,
        sql: Annotated[str, Field(description="The migration's SQL (its up).")],
        dialect: Annotated[
            str, Field(description="postgresql, mysql, mariadb or sqlite.")
        ] = "postgresql",
        down: Annotated[
            str | None, Field(description="The migration's down SQL, linted too.")
        ] = None,
        server_version: Annotated[
            str | None, Field(description="The server version, e.g. 14.2; default: any.")
        ] = None,
        in_transaction: Annotated[
            bool, Field(description="The runner wraps the migration in one transaction.")
        ] = False,
        rules: Annotated[list[str] | None, Field(description="Only these rule ids.")] = None,
        ignore: Annotated[list[str] | None, Field(description="Skip these rule ids.")] = None,
        fail_on: Annotated[
            Literal["error", "warning", "note"],
            Field(description="`failed` is true for a finding at or above this severity."),
        ] = "error",
    ) -> dict[str, Any]:
        """Lint migration SQL for safety: locks, table rewrites, unsafe defaults, missing
        downs, version- and dialect-specific traps. Each finding has a message (the
        consequence), help (the action) and often a safe alternative.

        Returns what `migwright lint --json` prints (dialect, statements, rules, summary,
        findings), plus `failed`.
        """
        with _LOCK, _tool_errors():
            from ..tools.lint.base import LintContext, parse_version
            from ..tools.lint.engine import lint_sql
            from ..tools.lint.output import lint_result_to_json

            context = LintContext(
                dialect=dialect,
                version=parse_version(server_version),
                in_transaction=in_transaction,
            )
            result = lint_sql(sql, context, down=down, rules=rules, ignore=ignore)
            data = lint_result_to_json(result)
            data["failed"] = result.failed(fail_on)
            return data

    # -- helpers -----------------------------------------------------------------------------
    def _repo(self, path: str) -> Path:
        repo = Path(path).expanduser()
        if not repo.is_absolute():
            repo = self.root / repo
        if not repo.is_dir():
            raise ConfigError(f"{path}: no such folder", "give the repository's root folder")
        return repo

    def _run(
        self,
        request: str,
        path: str,
        framework: str | None,
        dialect: str | None,
        db: str | None,
        *,
        steps: frozenset[str] | None = None,
        dry_run: bool = True,
        validate: bool = True,
        rows: int = 1000,
        seed: int = 0,
    ) -> dict[str, Any]:
        """Run (some of) the ten steps as `migwright new --json` does and return its document."""
        with _LOCK, _tool_errors():
            from .plan import Context, Options, run_steps
            from .steps import STEPS
            from .views import run_json

            options = Options(
                path=self._repo(path),
                args=request_args(request),
                framework=framework,
                dialect=dialect,
                db=db,
                dry_run=dry_run,
                validate=validate and (steps is None or "testing" in steps),
                rows=rows,
                seed=seed,
            )
            chosen = [s for s in STEPS if steps is None or s.key in steps]
            return run_json(run_steps(chosen, Context(options)))


@contextmanager
def _tool_errors() -> Iterator[None]:
    """Turn a MigwrightError into the SDK's ToolError: `isError` with the CLI's one line."""
    try:
        yield
    except MigwrightError as exc:
        from mcp.server.mcpserver.exceptions import ToolError

        raise ToolError(exc.one_line()) from exc


def build_server(root: Path = Path(".")) -> MCPServer:
    """The server with the five tools registered, relative paths starting at `root`."""
    try:
        from mcp.server.mcpserver import MCPServer
        from mcp.types import ToolAnnotations
    except ImportError as exc:
        raise ConfigError(
            f"the MCP SDK is not installed ({exc.name or exc})",
            "pip install 'mcp>=2'",
        ) from exc
    from .. import __version__

    tools = MigwrightTools(root.resolve())
    server: MCPServer = MCPServer(
        SERVER_NAME, version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )
    reads = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    server.add_tool(tools.inspect_repo, title="Inspect the repository", annotations=reads)
    server.add_tool(tools.plan_migration, title="Plan a migration", annotations=reads)
    server.add_tool(
        tools.generate_migration,
        title="Generate a migration",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, open_world_hint=False
        ),
    )
    server.add_tool(tools.validate_migration, title="Validate a migration", annotations=reads)
    server.add_tool(tools.lint_sql, title="Lint migration SQL", annotations=reads)
    return server


def serve(root: Path = Path(".")) -> None:
    """Serve over stdio until the client closes the connection (what `migwright mcp` runs)."""
    if not root.is_dir():
        raise ConfigError(f"{root} is not a directory", "give the repository with --repo")
    build_server(root).run("stdio")
