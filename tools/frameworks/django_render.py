"""Django migration files, written the way `makemigrations` (and a maintainer) would.

`NNNN_name.py` goes into the migrations package of the app that owns the tables the plan
touches (the name `next_name` gave, moved to that app when it picked another), depends on that
app's leaf (two leaves are refused: `makemigrations --merge` first) and on the leaves of the
apps its foreign keys point into, with `swappable_dependency` for the user model. The
operations come from django_ops.py; RunPython helpers sit above the class; `atomic = False`
when a statement cannot run in a transaction. The text is laid out the way ruff formats it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from ..dialects import get as get_dialect
from ..errors import HistoryError
from ..repo import RepoFacts
from .base import FrameworkConfig, History
from .django_ops import DjOp, Translation, translate_one
from .django_project import read_project
from .pycode import Seq, first_party_modules, flat, line_length, lines, py, tidy_module
from .render import File, MigrationPlan


@dataclass(frozen=True)
class Rendered:
    """The translation of a plan: its operations in order and their shared context."""

    app: str
    operations: tuple[DjOp, ...]
    tx: Translation


@dataclass(frozen=True)
class Part:
    """One migration file: Django operations act on the models of one app only, so a plan
    that touches several apps becomes one migration per run of operations on one app."""

    path: str
    app: str
    operations: tuple[DjOp, ...]
    previous: tuple[str, str] | None  #: (app, name) of the part before it
    own_previous: str | None  #: the last part of the same app, when there is one


def translate(
    repo: RepoFacts, config: FrameworkConfig, history: History, plan: MigrationPlan
) -> Rendered:
    project = read_project(repo, config)
    app = _owning_app(plan, project.app_of_table, config, history)
    tx = Translation(app, project, get_dialect(plan.dialect))
    out: list[DjOp] = []
    state = plan.before
    for index, op in enumerate(plan.operations):
        after = op.apply(state)
        if index not in tx.consumed:
            owner = next(filter(None, map(tx.project.app_of_table, op.tables)), app)
            helpers, tx.atomic = len(tx.helpers), True
            produced = translate_one(op, state, after, tx, plan.operations, index)
            extra = tuple(tx.helpers[helpers:])
            for n, item in enumerate(produced):
                out.append(
                    replace(
                        item,
                        app=item.app or owner,
                        helpers=extra if n == 0 else (),
                        atomic=tx.atomic,
                    )
                )
        state = after
    return Rendered(app, tuple(out), tx)


def parts(
    repo: RepoFacts, config: FrameworkConfig, history: History, plan: MigrationPlan
) -> tuple[Rendered, list[Part]]:
    """The translation split into files, each named and chained the way Django would."""
    rendered = translate(repo, config, history, plan)
    groups: list[tuple[str, list[DjOp]]] = []
    for op in rendered.operations:
        if groups and groups[-1][0] == op.app:
            groups[-1][1].append(op)
        else:
            groups.append((op.app, [op]))
    if not groups:
        groups = [(rendered.app, [])]
    out: list[Part] = []
    taken: dict[str, int] = {}
    previous: tuple[str, str] | None = None
    last: dict[str, str] = {}
    for app, ops in groups:
        path = _path(repo, config, history, plan, app, taken)
        out.append(Part(path, app, tuple(ops), previous, last.get(app)))
        previous = (app, posixpath.basename(path)[:-3])
        last[app] = previous[1]
    return rendered, out


def render(
    repo: RepoFacts,
    config: FrameworkConfig,
    history: History,
    plan: MigrationPlan,
    now: datetime | None = None,
) -> list[File]:
    """The migration file(s) for `plan`: one, unless it touches several apps."""
    rendered, files = parts(repo, config, history, plan)
    width = line_length(repo.path(config.root))
    first_party = first_party_modules(repo.path(config.root))
    return [
        File(part.path, tidy_module(_file(part, rendered, history, width, now), first_party))
        for part in files
    ]


def _owning_app(
    plan: MigrationPlan,
    app_of_table: Callable[[str], str | None],
    config: FrameworkConfig,
    history: History,
) -> str:
    """The app of the first table the plan touches; else the app next_name chose."""
    for op in plan.operations:
        for table in op.tables:
            app = app_of_table(table)
            if app:
                return str(app)
    return _app_of_path(plan.name, config)


def _app_of_path(path: str, config: FrameworkConfig) -> str:
    folder = posixpath.dirname(path)
    for item in config.settings.get("apps", "").split(", "):
        label, _, migrations_dir = item.partition("=")
        if migrations_dir == folder:
            return label
    return posixpath.basename(posixpath.dirname(folder))


def _path(
    repo: RepoFacts,
    config: FrameworkConfig,
    history: History,
    plan: MigrationPlan,
    app: str,
    taken: dict[str, int],
) -> str:
    """plan.name for the first file of its app; else the app's next number (and the one after
    that for a second file of the same app)."""
    from .django import ADAPTER, parse_number

    first = app not in taken
    if first and _app_of_path(plan.name, config) == app:
        path = plan.name
    else:
        path = ADAPTER.next_name(repo, config, history, plan.description, datetime.now(), app=app)
    folder, name = posixpath.split(path)
    number = max(parse_number(name) or 0, taken.get(app, 0) + 1)
    taken[app] = number
    return f"{folder}/{number:04d}_{name.split('_', 1)[1]}"


def _leaves(history: History, app: str) -> list[str]:
    return sorted(h.split(".", 1)[1] for h in history.heads if h.split(".", 1)[0] == app)


def _dependencies(part: Part, rendered: Rendered, history: History) -> list[Seq | str]:
    own = _leaves(history, part.app)
    if len(own) > 1:
        raise HistoryError(
            f"app '{part.app}' has {len(own)} leaf migrations ({', '.join(own)}); a new "
            "migration would follow only one of them",
            f"merge them first with `python manage.py makemigrations --merge {part.app}`",
        )
    chained: list[tuple[str, str]] = []
    if part.own_previous or own:
        chained.append((part.app, part.own_previous or own[0]))
    if part.previous is not None and part.previous[0] != part.app:
        chained.append(part.previous)
    deps: list[Seq | str] = [Seq((py(a), py(n)), "tuple") for a, n in chained]
    text = " ".join(flat(op.code) for op in part.operations if op.code is not None)
    for other in sorted(rendered.tx.other_apps - {part.app}):
        leaves = _leaves(history, other)
        if leaves and f'"{other}.' in text:
            deps.append(Seq((py(other), py(leaves[-1])), "tuple"))
    if "settings.AUTH_USER_MODEL" in text:
        deps.append("migrations.swappable_dependency(settings.AUTH_USER_MODEL)")
    return deps


def _file(
    part: Part, rendered: Rendered, history: History, width: int, now: datetime | None
) -> str:
    tx = rendered.tx
    deps = _dependencies(part, rendered, history)
    stamp = (now or datetime.now()).strftime("%Y-%m-%d %H:%M")
    head = [f"# Generated by migwright on {stamp}", ""]
    head.append("from django.db import migrations, models")
    head.append("from django.conf import settings")
    head += [f"from {module} import {name}" for module, name in sorted(tx.imports)]
    body: list[str] = []
    for op in part.operations:
        for helper in op.helpers:
            body += ["", "", helper]
    body += ["", "", "class Migration(migrations.Migration):"]
    if not _leaves(history, part.app) and part.own_previous is None:
        body += ["    initial = True", ""]
    if not all(op.atomic for op in part.operations):
        body += ["    atomic = False", ""]
    body += lines(Seq(tuple(deps), explode=bool(deps)), 4, width, "dependencies = ")
    body += ["", "    operations = ["]
    for op in part.operations:
        body += [
            f"        # {line}" for comment in op.comments for line in _wrap(comment, width - 10)
        ]
        if op.code is not None:
            body += lines(op.code, 8, width, suffix=",")
    body.append("    ]")
    return "\n".join(head + body) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    out: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*out, current] if current else out
