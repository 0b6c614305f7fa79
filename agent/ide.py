"""Slash-command files for IDE assistants: the prompt that drives `migwright new` from a chat.

An assistant (Claude Code, Cursor, or any other that takes Markdown commands) gets one file,
`create-database-migration.md`. It tells the assistant to run `migwright new <request>
--dry-run --json` first, to present the plan, the lint findings, the validation report and the
files from that JSON document, to ask the person before writing, and to run the same command
without `--dry-run` only on a yes. The assistant never writes migration files itself: the files
worth writing are the ones migwright validated.

The flavours differ only where the tools differ: Claude Code reads YAML front matter
(`description`, `argument-hint`, `allowed-tools`) and substitutes `$ARGUMENTS` with what the
person typed after the command; Cursor reads plain Markdown and hands the typed text to the
model as the message, so its body names the request instead of substituting it. The generic
flavour (`--print`) keeps `$ARGUMENTS` and the two portable front-matter keys, which is what
most other assistants with Markdown commands understand.

A user's own command file is never replaced without `force`: an identical file is left alone,
a different one is an error naming `--force`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..tools.errors import ConfigError

Flavour = Literal["claude", "cursor", "generic"]
FLAVOURS: tuple[Flavour, ...] = ("claude", "cursor", "generic")

COMMAND_NAME = "create-database-migration"
#: Where each assistant looks for project commands, relative to the repository root.
TARGETS: dict[Flavour, str] = {
    "claude": f".claude/commands/{COMMAND_NAME}.md",
    "cursor": f".cursor/commands/{COMMAND_NAME}.md",
}
#: The marker for the person's request in the body; Claude Code and most others replace it.
ARGUMENTS = "$ARGUMENTS"

DESCRIPTION = "Write a database migration with migwright, validated up/down/up before writing"
ARGUMENT_HINT = '<request: --add-column "orders.shipped_at timestamptz" ... or plain English>'
#: Claude Code permission patterns: the migwright commands the prompt runs, nothing else.
ALLOWED_TOOLS = (
    "Bash(migwright new:*)",
    "Bash(migwright grammar:*)",
    "Bash(migwright inspect:*)",
    "Bash(python -m migwright new:*)",
    "Bash(python -m migwright grammar:*)",
)

_BODY = """\
# Create a database migration with migwright

Request: {request_line}

migwright writes migrations in this repository's own framework and naming, and proves each one
on a scratch database (up, down, up again, with seeded rows) before it writes anything. Your
job: run it, show the person what it would do, and write the files only when they agree. Do not
write or edit migration files yourself; the files worth writing are the ones migwright validated.

## 1. Dry run

If the request is empty, ask the person what the migration should change, and stop.

Run this from the repository root, with the request exactly as given (its quotes are for the
shell):

```sh
migwright new {request} --dry-run --json
```

If `migwright` is not on the PATH, run `python -m migwright` with the project's virtualenv
Python instead.

Standard output is one JSON document:
- `ok`: true when every step passed;
- `steps`: the ten steps, each with `step`, `key`, `title`, `status` (`ok`, `warning`,
  `failed`, `skipped`), `summary`, `outputs`, `findings` and `error`;
- `files`: each with `path`, `kind`, `existing` and `content`;
- `document` (the migration document), `written` (empty in a dry run) and `dry_run`.

The exit code is 0 when every step passed, 1 when validation failed, 2 when the request or the
repository is the problem. If standard output is empty, show the one-line error printed on
standard error, and stop. The document can be long: if your shell tool cuts it off, run the
command again with standard output redirected to a temporary file, and read that file.

A plain-English request needs a language model configured for migwright. If step 2 fails saying
no model is configured, translate the request into the structured form yourself
(`migwright grammar` lists the verbs, e.g. `--add-column "orders.shipped_at timestamptz"`), show
the person your translation, and do the dry run again with it.

## 2. When a step failed

If `ok` is false, find the step whose `status` is `"failed"` and show its `step` number, its
`title` and its `error`. Then stop: do not run without `--dry-run`, and do not write or patch
any file yourself.

- Step 8 (`testing`) failed: the migration did not survive the round trip on the scratch
  database. Show the failing verdict from that step's `outputs.report`: for every entry of
  `phases` (`history`, `seed`, `up`, `down`, `re-up`) whose `ok` is false, its `name` and
  `status`, its `failure` (`message`, `statement`, `hint`, `rows`) and each of its `verdicts`
  whose `ok` is false (`name`, `reason`, `details`). Say in one sentence what went wrong and
  how the request could change (a default for a NOT NULL column, a backfill before a
  constraint, a batched backfill, ...).
- Step 1 or 2 failed: the repository or the request is the problem, and the `error` names the
  fix.

## 3. Present the plan

When `ok` is true, present, briefly and in this order:

1. **Plan** (step 2, `outputs`): the migration file `name`, the `description`, every line of
   `operations` as it is, the `reversibility`, and `data_loss` when there is any (what the down
   cannot restore). Mention any `notes`.
2. **Validation** (step 8, `outputs.report`): the verdict (`ok`), the `dialect`, then one line
   per entry of `phases`: `name`, `status`, `seconds`. If step 8 was `skipped`, say plainly that
   the migration was not validated. Step 9's `summary` adds table rewrites and locks.
3. **Lint findings** (step 7, `outputs.findings`): each `error` and `warning` as
   `severity rule: message`, then its `help`, and its `safe_alternative` when there is one;
   `note`s in one line. A lint error does not stop the run: if there is one, say so clearly and
   recommend the safe alternative before asking. No findings: say so.
4. **Rollback** (step 6): its `summary`, and every entry of `outputs.irreversible`.
5. **Files** (`files`): for each, its `path` (new, or, when `existing` is true, an update of a
   file that exists, such as a model) and its `content` in a fenced code block. The migration
   `document` goes to step 10's `outputs.document_path`: show its headings, not all of it,
   unless the person asks.

## 4. Ask, then write

Ask the person whether to write these files, and write nothing before they say yes.

- Yes: run the same request without `--dry-run`:

  ```sh
  migwright new {request} --json
  ```

  It validates again and writes only when every step passes. Report the paths in `written`;
  the file name can differ from the dry run's by its timestamp or revision id. If a step
  fails, show it as in section 2: nothing was written.
- A change ("make it nullable", "call it shipped_at", "use a batched backfill"): change the
  request accordingly, tell the person the new request, and start again at section 1.
- No: stop. Nothing was written.
"""


@dataclass(frozen=True)
class Installed:
    """What `install` did: `status` is written (new), replaced (with force) or unchanged."""

    path: Path
    flavour: Flavour
    status: Literal["written", "replaced", "unchanged"]


def render(flavour: Flavour = "claude") -> str:
    """The command file's text for one assistant."""
    if flavour not in FLAVOURS:
        raise ConfigError(f"unknown assistant {flavour!r}", "use claude, cursor or generic")
    if flavour == "cursor":
        body = _BODY.format(
            request_line=(
                f"the text the person typed after `/{COMMAND_NAME}` (in the commands below, "
                "`<request>` stands for it)"
            ),
            request="<request>",
        )
        return body
    body = _BODY.format(request_line=ARGUMENTS, request=ARGUMENTS)
    return _front_matter(flavour) + "\n" + body


def _front_matter(flavour: Flavour) -> str:
    lines = [
        "---",
        f"description: {_yaml_string(DESCRIPTION)}",
        f"argument-hint: {_yaml_string(ARGUMENT_HINT)}",
    ]
    if flavour == "claude":
        lines.append(f"allowed-tools: {', '.join(ALLOWED_TOOLS)}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def _yaml_string(text: str) -> str:
    """A single-quoted YAML scalar: safe for `:`, `#`, `<` and double quotes inside."""
    return "'" + text.replace("'", "''") + "'"


def target_path(flavour: Flavour) -> str:
    """The command file's path in a repository; the generic flavour has none (it is printed)."""
    if flavour not in TARGETS:
        raise ConfigError(
            f"the {flavour} command has no fixed place in a repository",
            "print it with `migwright ide install --print` and save it where your assistant looks",
        )
    return TARGETS[flavour]


def default_flavour(root: Path) -> Flavour:
    """Cursor when the repo has a `.cursor/` folder and no `.claude/` one; Claude Code otherwise."""
    if (root / ".cursor").is_dir() and not (root / ".claude").is_dir():
        return "cursor"
    return "claude"


def install(root: Path, flavour: Flavour = "claude", force: bool = False) -> Installed:
    """Write the command file into the repository at `root`, atomically.

    An existing file with the same text is left as it is; one with other text (the person's
    own command, or an older migwright version) is replaced only with `force`.
    """
    from ..tools.frameworks.render import File
    from ..tools.writer import write_files

    if not root.is_dir():
        raise ConfigError(f"{root} is not a directory", "give the repository's root folder")
    relative = target_path(flavour)
    target = root / relative
    text = render(flavour)
    exists = target.exists()
    if exists and not target.is_file():
        raise ConfigError(f"{relative} exists and is not a file", "move it away, then run again")
    if exists and target.read_text(encoding="utf-8", errors="replace") == text:
        return Installed(target, flavour, "unchanged")
    if exists and not force:
        raise ConfigError(
            f"{relative} already exists and differs from migwright's command",
            "use --force to replace it, or --print to see migwright's version",
        )
    write_files(root, [File(relative, text, kind="doc", existing=exists)])
    if not exists:
        _readable(target)
    return Installed(target, flavour, "replaced" if exists else "written")


def _readable(path: Path) -> None:
    """Give a new file the mode the umask allows (the atomic writer's temporary file is 0600,
    and the command file is meant to be shared with the team through git)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)
