"""`migwright chat [PATH]`: the ten steps as a conversation in the terminal.

The repository is analysed once (step 1); each request, structured (`--add-column "..."`) or
plain English (through the configured model), becomes a plan that is shown in full before
anything is written: the files (a unified diff against the current file for models and other
files that exist, the whole text for new ones), the operations, the SQL, the down and the lint
findings (steps 2 to 7). Follow-ups change the plan under discussion ("call it shipped_at",
"make it nullable", see `chat_commands`), and only a "y" writes: steps 8 to 10 then validate
the migration on a scratch database and write the files, so a failed validation writes
nothing. `/undo` takes back what the last write created and restores the files it changed,
from contents saved in this session, and never touches a file changed since.

The session is the face here: it holds no migration logic of its own. Every change goes
through the steps, the grammar or the model boundary (`agent.structured`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from ..tools.errors import MigwrightError
from ..tools.spec import Request, parse_request
from . import chat_english as english
from .chat_commands import FOLLOW_UPS, follow_up
from .chat_files import Snapshot, Written, show_file, undo
from .plan import Context, Options, Step, StepFn, StepResult, run_steps
from .steps import STEPS
from .views import StepPrinter

PROMPT = "migwright> "
CONFIRM = "write these files? validation runs first [y/N] "
YES = ("y", "yes")
NO = ("n", "no")

#: Steps 3-7 after the chat's own step 2; 8-10 when the person says yes.
PLAN_STEPS = STEPS[2:7]
TESTING, PERFORMANCE, DOCS = STEPS[7], STEPS[8], STEPS[9]

HELP = f"""\
Type a request in the structured grammar, e.g.
  --add-column "posts.reading_time integer" --add-index "posts (reading_time)"
or in plain English when a model is configured (MIGWRIGHT_MODEL). `migwright grammar` lists
every verb. migwright shows the plan and the files, and writes only when you answer y.

Change the plan under discussion with a follow-up:
  {chr(10).join("  " + f for f in FOLLOW_UPS).strip()}
(several at once with "and"; anything else goes to the model when one is configured)

Commands:
  /plan       show the plan again
  /validate   run up, down, up on a scratch database now (nothing is written)
  /undo       remove the files the last write created and restore the files it changed
  /help       this text
  /quit       leave (Ctrl-D and Ctrl-C too)"""

Ask = Callable[[str], str]


@dataclass
class Pending:
    """A plan shown to the person and not written yet: steps 1-7 done in `ctx`."""

    request: Request
    ctx: Context
    results: list[StepResult]
    validated: bool = False


class Session:
    """One chat: the analysed repo, the plan under discussion and this session's writes."""

    def __init__(self, options: Options, console: Console, ask: Ask) -> None:
        self.options = replace(options, args=(), dry_run=True)
        self.console = console
        self.ask = ask
        self.base: Context | None = None
        self.request: Request | None = None  #: the request follow-ups edit
        self.pending: Pending | None = None
        self.writes: list[Written] = []
        self.model: Any = None
        #: questions the model asked back: (what it was asked, raw request, answers so far)
        self.asked: tuple[str, str, tuple[str, ...]] | None = None

    # -- the loop --------------------------------------------------------------------------------

    def run(self) -> int:
        """Talk until /quit, Ctrl-D or Ctrl-C; the exit code (130 when a step was interrupted)."""
        with StepPrinter(self.console) as printer:
            if not self.analyse(printer.listener):
                return 2
        self.say('Type a request, e.g. --add-column "t.c type", or /help.', style="dim")
        while True:
            try:
                line = self.ask(PROMPT)
            except (EOFError, KeyboardInterrupt):
                self.console.print()
                return 0
            try:
                if not self.handle(line):
                    return 0
            except KeyboardInterrupt:
                self.console.print()
                self.say("interrupted: nothing more was written", style="yellow")
                return 130
            except EOFError:
                return 0

    def handle(self, line: str) -> bool:
        """One line from the person; False when the session should end."""
        text = line.strip()
        if not text:
            return True
        try:
            if text.startswith("/"):
                return self.command(text)
            if text.lower() in YES + NO and self.pending is not None:
                if text.lower() in YES:
                    self.write()
                else:
                    self.say("nothing written", style="dim")
            elif text.startswith("--"):
                self.asked = None  # a structured request starts over
                self.propose(
                    parse_request(
                        text, dialect=self.dialect, schema=self.before, base_dir=self.options.path
                    )
                )
            else:
                self.plain(text)
        except MigwrightError as exc:
            self.error(exc.one_line())
        except EOFError:  # Ctrl-D at the yes/no question: leave, as at the prompt
            raise
        except Exception as exc:  # a bug must not end the session and lose its /undo records
            self.error(f"internal error ({type(exc).__name__}: {exc}); please report it")
        return True

    def command(self, text: str) -> bool:
        name = text.split()[0].lower()
        if name in ("/quit", "/exit", "/q"):
            return False
        actions: dict[str, Callable[[], None]] = {
            "/help": lambda: self.console.print(HELP, markup=False, highlight=False),
            "/plan": self.show_plan,
            "/validate": self.validate,
            "/undo": self.undo,
        }
        if name not in actions:
            self.error(f"unknown command {name} (commands: {', '.join(actions)}, /quit)")
            return True
        actions[name]()
        return True

    # -- analysing and planning ------------------------------------------------------------------

    @property
    def before(self) -> Any:
        assert self.base is not None
        return self.base.before

    @property
    def dialect(self) -> str:
        assert self.base is not None and self.base.current is not None
        return self.base.current.dialect

    def analyse(self, listener: Any = None) -> bool:
        """Step 1; again after each write and undo, so the next plan follows the new head."""
        context = Context(self.options)
        if listener is None:
            with self.console.status("reading the repository again"):
                run = run_steps(STEPS[:1], context)
        else:
            run = run_steps(STEPS[:1], context, listener)
        failed = run.failed_step
        if failed is not None:
            self.error(failed.error or failed.summary)
            return False
        self.base = context
        return True

    def plain(self, text: str) -> None:
        """Plain English: the answer to the model's questions, a follow-up known here, else
        the model, else one line of advice."""
        if self.asked is not None:
            self.answer(text)
            return
        if self.request is not None:
            edited = follow_up(text, self.request, self.before, self.dialect)
            if edited is not None:
                self.say(edited.message)
                self.propose(edited.request)
                return
        model = english.model_for(self)
        if model is None:
            self.say(english.offline_line(text, self.request, self.before, self.dialect))
            return
        with self.console.status(f"asking {model.name}"):
            request, questions = english.plan(model, text, self.request, self.before, self.dialect)
        if questions:
            ask = text if self.request is None else english.revision(text, self.request)
            raw = text if self.request is None else f"{self.request.raw}; {text}"
            self.ask_back(ask, raw, (), questions)
            return
        assert request is not None
        self.propose(request)

    def ask_back(self, ask: str, raw: str, answers: tuple[str, ...], questions: list[str]) -> None:
        """Show the model's questions; the next plain line answers them (Django's questioner,
        interactive). `new --answer` is the same in batch and IDE mode."""
        self.asked = (ask, raw, answers)
        self.say("the model asks:", style="yellow")
        for n, question in enumerate(questions, 1):
            self.say(f"  {n}. {question}", style="yellow")
        self.say("type your answer (one line; a request starting with -- starts over)", style="dim")

    def answer(self, text: str) -> None:
        """The person's answer to the model's questions: the request is planned again with it."""
        from .structured import plan_from_english

        assert self.asked is not None
        ask, raw, answers = self.asked
        answers = (*answers, text)
        self.asked = None
        model = english.model_for(self)
        if model is None:  # the configuration changed under the session: say so, plainly
            self.say(english.offline_line(text, self.request, self.before, self.dialect))
            return
        with self.console.status(f"asking {model.name}"):
            planned = plan_from_english(
                model, ask, self.before, dialect=self.dialect, answers=answers
            )
        if planned.questions:
            self.ask_back(ask, raw, answers, list(planned.questions))
            return
        self.propose(Request(planned.operations, planned.description, raw))

    def propose(self, request: Request) -> None:
        """Plan `request` (steps 2-7), show it and ask before writing."""
        self.request = request
        self.pending = None
        assert self.base is not None
        ctx = Context(
            self.options,
            analysis=self.base.analysis,
            current=self.base.current,
            before=self.base.before,
        )
        steps = [Step(2, "plan", STEPS[1].title, _planner(request)), *PLAN_STEPS]
        with self.console.status("planning"):
            run = run_steps(steps, ctx)
        failed = run.failed_step
        if failed is not None:
            self.error(f"step {failed.number} ({failed.key}): {failed.error or failed.summary}")
            return
        self.pending = Pending(request, ctx, run.results)
        self.show_plan()
        self.confirm()

    def confirm(self) -> None:
        answer = self.ask_once(CONFIRM)
        if answer in YES:
            self.write()
        else:
            self.say(
                "nothing written. Change the plan (e.g. 'call it NAME', 'make it nullable'), "
                "/validate it, or type a new request.",
                style="dim",
            )

    def ask_once(self, prompt: str) -> str:
        """A yes/no answer; kept out of the line-editing history."""
        answer = self.ask(prompt).strip().lower()
        _forget_last_line()
        return answer

    # -- showing ---------------------------------------------------------------------------------

    def show_plan(self) -> None:
        if self.pending is None and self.request is not None:
            self.propose(self.request)  # after /undo: plan it again on the repo as it is now
            return
        if self.pending is None:
            self.say('no plan yet: type a request, e.g. --add-column "t.c type"', style="dim")
            return
        ctx = self.pending.ctx
        assert ctx.analysis is not None and ctx.plan is not None
        for f in ctx.files:
            show_file(self.console, ctx.analysis.repo.root, f)
        out = {r.key: r.outputs for r in self.pending.results}
        c = self.console
        c.rule(f"plan: {ctx.plan.description} ({ctx.plan.dialect})")
        line = self.line
        line("migration", ctx.plan.name)
        line("operations", *out["plan"]["operations"], *out["plan"].get("notes", []))
        line(
            "SQL",
            *[
                s["sql"].rstrip(";") + ";" + ("" if s["transactional"] else "  -- no transaction")
                for s in out["schema"]["statements"]
            ],
        )
        if out["schema"]["models"]:
            line("models", ", ".join(out["schema"]["models"]))
        for b in out["data"].get("backfills", []):
            batch = f" in batches of {b['batch_size']}" if b["batch_size"] else " in one statement"
            line("data", f"{b['table']}.{b['column']} = {b['expression']}{batch}", b["invariant"])
        rollback = out["rollback"]
        line(
            "down",
            ctx.plan.reverse.reversibility().value,
            *rollback["reverse"],
            *[f"cannot restore {loss}" for loss in rollback["data_loss"]],
            *[f"no down: {why}" for why in rollback["irreversible"]],
        )
        findings = out["practices"]["findings"]
        line("lint", "no findings" if not findings else f"{len(findings)} finding(s)")
        seen: dict[tuple[str, str, str], int] = {}
        for f in findings:  # the same finding on several statements is said once
            key = (f["severity"], f["rule"], f["message"])
            seen[key] = seen.get(key, 0) + 1
        helps = {(f["severity"], f["rule"], f["message"]): f["help"] for f in findings}
        for (severity, rule, message), count in seen.items():
            style = {"error": "bold red", "warning": "yellow"}.get(severity, "cyan")
            times = f" (x{count})" if count > 1 else ""
            c.print(Text(f"  {severity} {rule}: {message}{times}", style=style))
            c.print(f"    fix: {helps[severity, rule, message]}", markup=False, highlight=False)

    def line(self, label: str, *values: str) -> None:
        """`label` in a column of its own, each value (and each line of one) beside it."""
        rows = [row for value in values or ("-",) for row in str(value).splitlines() or [""]]
        for n, row in enumerate(rows):
            head = f"{label:<12}" if n == 0 else " " * 12
            self.console.print(Text.assemble((head, "bold"), row))

    def say(self, text: str, style: str = "") -> None:
        self.console.print(Text(text, style=style))

    def error(self, text: str) -> None:
        self.console.print(Text.assemble(("error: ", "bold red"), text))

    # -- validating, writing, undoing ----------------------------------------------------------

    def validate(self) -> None:
        """Step 8 (and 9) now, on the plan under discussion; nothing is written."""
        pending = self.pending
        if pending is None:
            self.say("nothing to validate: type a request first", style="dim")
            return
        with StepPrinter(self.console) as printer:
            run = run_steps([TESTING, PERFORMANCE], pending.ctx, printer.listener)
        pending.validated = run.ok and pending.ctx.report is not None
        if pending.validated:
            self.confirm()
        else:
            self.say("validation failed: nothing written; change the plan", style="yellow")

    def write(self) -> None:
        """Steps 8-10 with dry_run off: validate, then write; remember it for /undo."""
        pending = self.pending
        assert pending is not None
        ctx = pending.ctx
        assert ctx.analysis is not None
        snapshot = Snapshot.take(ctx.analysis.repo.root, ctx.files)
        ctx.options = replace(ctx.options, dry_run=False)
        steps = [PERFORMANCE, DOCS] if pending.validated else [TESTING, PERFORMANCE, DOCS]
        try:
            with StepPrinter(self.console) as printer:
                run = run_steps(steps, ctx, printer.listener)
        finally:  # whatever happened, what was written can be undone
            ctx.options = replace(ctx.options, dry_run=True)
            record = snapshot.record(pending.request, ctx.written)
            if ctx.written:
                self.writes.append(record)
        failed = run.failed_step
        if failed is not None:
            self.error(failed.error or failed.summary)
            self.say("nothing written; change the plan and try again", style="yellow")
            return
        self.say(f"wrote {len(ctx.written)} file(s):", style="green")
        for path in ctx.written:
            self.say(f"  {record.rel(path)}")
        self.say("/undo takes them back", style="dim")
        self.pending = self.request = None
        self.analyse()

    def undo(self) -> None:
        if not self.writes:
            self.say("nothing to undo: migwright wrote no files in this session", style="dim")
            return
        record = self.writes.pop()
        for text, style in undo(record):
            self.say(text, style=style)
        if self.analyse():
            self.request = record.request
            self.say("the request is back under discussion: change it, or /plan", style="dim")


def _planner(request: Request) -> StepFn:
    """Step 2 for a request the chat already holds (parsed, edited or from the model)."""

    def plan(ctx: Context, result: StepResult) -> None:
        from ..tools.frameworks.render import MigrationPlan

        assert ctx.analysis is not None and ctx.before is not None and ctx.current is not None
        name = ctx.analysis.next_name(request.description, ctx.options.now or datetime.now(UTC))
        ctx.request = request
        ctx.plan = plan = MigrationPlan(
            request.operations, ctx.before, ctx.current.dialect, request.description, name
        )
        result.summary = f"{len(plan.operations)} operation(s) -> {name}"
        result.outputs = {
            "name": name,
            "operations": [op.describe().strip() for op in plan.operations],
            "notes": list(request.notes),
        }
        result.findings = [f"the down cannot restore {loss}" for loss in plan.reverse.data_loss]

    return plan


# ---------------------------------------------------------------------------------------------
# Line editing and the command
# ---------------------------------------------------------------------------------------------

_readline: Any = None


def _line_editing() -> None:
    """readline's editing and history (~/.local/state/migwright/chat_history) on a terminal."""
    global _readline
    import sys

    if not sys.stdin.isatty():
        return
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input() still works
        return
    import atexit

    _readline = readline
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    history = Path(state) / "migwright" / "chat_history"
    readline.set_history_length(1000)
    with contextlib.suppress(OSError):
        readline.read_history_file(history)

    def save() -> None:
        with contextlib.suppress(OSError):
            history.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history)

    atexit.register(save)
    words = ["/help", "/plan", "/validate", "/undo", "/quit", *english.VERBS]

    def complete(text: str, state: int) -> str | None:
        matches = [w for w in words if w.startswith(text)]
        return matches[state] if state < len(matches) else None

    readline.set_completer_delims(" \t\n\"'")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")


def _forget_last_line() -> None:
    if _readline is not None and _readline.get_current_history_length() > 0:
        _readline.remove_history_item(_readline.get_current_history_length() - 1)


def chat_command(
    path: Annotated[Path, typer.Argument(help="The repository.")] = Path("."),
    framework: Annotated[
        str | None, typer.Option("--framework", "-f", help="Pick one (name or name@folder).")
    ] = None,
    dialect: Annotated[
        str | None, typer.Option("--dialect", "-d", help="Validate on this dialect.")
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="Read the current schema from here (read-only).")
    ] = None,
    rows: Annotated[int, typer.Option("--rows", help="Seeded rows per table.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the seeded rows.")] = 0,
) -> None:
    """Talk migrations: requests and follow-ups, the plan and the diffs, written on a yes.

    Structured requests work offline; plain English needs a model (MIGWRIGHT_MODEL).
    """
    console = Console(highlight=False, soft_wrap=True)
    options = Options(
        path=path, args=(), framework=framework, dialect=dialect, db=db, rows=rows, seed=seed
    )
    _line_editing()
    code = Session(options, console, input).run()
    if code:
        raise typer.Exit(code)


def main(argv: list[str] | None = None) -> None:
    """`python -c "from migwright.agent.chat import main; main()" PATH`: the command alone."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(chat_command)
    app(args=argv, prog_name="migwright chat")
