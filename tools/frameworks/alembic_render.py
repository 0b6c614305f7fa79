"""Alembic revision files, written the way `alembic revision -m` and a maintainer would.

The file comes from the repo's own `script.py.mako` (rendered with Mako, as Alembic does;
Alembic's generic template when the repo has none or Mako is missing), named by `next_name`
from `file_template`, with `revision` = the id in the file name and `down_revision` = the one
head. Several heads are refused: a revision on one of them would leave the others dangling,
and the fix is Alembic's own `alembic merge heads`.

upgrade() holds the plan's operations as `op.*` calls (alembic_ops.py), downgrade() the
reverses, rendered against the schema the upgrade leaves. Statements that cannot run in a
transaction (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE) go inside
`with op.get_context().autocommit_block():`; in batch mode (SQLite, or env.py's
render_as_batch) neighbouring ALTERs of one table share a `with op.batch_alter_table()`.
The text is laid out the way ruff formats it, with no unused imports.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from ..dialects import get as get_dialect
from ..errors import ConfigError, HistoryError
from ..ops import Operation
from ..repo import RepoFacts
from ..schema import Schema
from .alembic_config import DEFAULT_FILE_TEMPLATE
from .alembic_ops import Context, Piece, render_operation
from .base import FrameworkConfig, History
from .pycode import (
    Code,
    block,
    call,
    first_party_modules,
    line_length,
    lines,
    py,
    tidy_module,
)
from .render import File, MigrationPlan

#: Alembic's templates/generic/script.py.mako, for repos without a template of their own.
GENERIC_TEMPLATE = '''"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

# revision identifiers, used by Alembic.
revision: str = ${repr(up_revision)}
down_revision: Union[str, Sequence[str], None] = ${repr(down_revision)}
branch_labels: Union[str, Sequence[str], None] = ${repr(branch_labels)}
depends_on: Union[str, Sequence[str], None] = ${repr(depends_on)}


def upgrade() -> None:
    """Upgrade schema."""
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    """Downgrade schema."""
    ${downgrades if downgrades else "pass"}
'''


class Quoted(str):
    """A string whose repr() uses double quotes, as ruff would write it in the template's
    `revision = ${repr(up_revision)}`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return '"' + self.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(
    repo: RepoFacts,
    config: FrameworkConfig,
    history: History,
    plan: MigrationPlan,
    now: datetime | None = None,
) -> list[File]:
    """The revision file for `plan`, at `plan.name`."""
    if len(history.heads) > 1:
        raise HistoryError(
            f"the Alembic history has {len(history.heads)} heads ({', '.join(history.heads)}); "
            "a new revision would continue only one of them",
            "merge them first with `alembic merge heads -m 'merge heads'`",
        )
    down = history.heads[0] if history.heads else None
    settings = config.settings
    dialect = get_dialect(plan.dialect)
    ctx = Context(
        dialect=dialect,
        final_names=settings.get("target_metadata", "None") != "None",
        batch=settings.get("render_as_batch") == "true" or dialect.name == "sqlite",
        width=line_length(repo.path(config.root)),
    )
    width = ctx.width
    upgrades = _body(plan.operations, plan.before, ctx, width)
    if plan.reverse.irreversible:
        reasons = "; ".join(why.reason for _, why in plan.reverse.irreversible)
        raising = call("NotImplementedError", py(reasons))
        downgrades = [
            *(f"# {line}" for line in _wrap(f"No way back: {reasons}.", width - 6)),
            *(line[4:] for line in lines(raising, 4, width, "raise ")),
        ]
    else:
        downgrades = _body(plan.reverse.operations, plan.after, ctx, width)
    variables = {
        "message": plan.description,
        "up_revision": Quoted(revision_id(plan.name, settings.get("file_template"))),
        "down_revision": Quoted(down) if down else None,
        "branch_labels": None,
        "depends_on": None,
        "create_date": now or datetime.now(),
        "imports": "\n".join(sorted(ctx.spell.imports)),
        "upgrades": "\n    ".join(upgrades),
        "downgrades": "\n    ".join(downgrades),
    }
    text = fill_template(_template(repo, config), variables)
    return [File(plan.name, tidy_module(text, first_party_modules(repo.path(config.root))))]


def revision_id(name: str, file_template: str | None) -> str:
    """The `%(rev)s` part of a revision file name made from `file_template`."""
    stem = name.rsplit("/", 1)[-1].removesuffix(".py")
    template = file_template or DEFAULT_FILE_TEMPLATE
    pattern = ""
    pos = 0
    for token in re.finditer(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sd]", template):
        pattern += re.escape(template[pos : token.start()].replace("%%", "%"))
        pattern += r"(?P<rev>\w+?)" if token.group(1) == "rev" else r".*?"
        pos = token.end()
    pattern += re.escape(template[pos:].replace("%%", "%"))
    match = re.fullmatch(pattern, stem)
    if match is None or "rev" not in match.groupdict():
        raise ConfigError(
            f"{name}: cannot find the revision id in the file name (file_template '{template}')",
            "name the file with next_name(), which follows file_template",
        )
    return match.group("rev")


def fill_template(template: str, variables: Mapping[str, object]) -> str:
    """Render a script.py.mako the way `alembic revision` does (Mako, with `comma`)."""
    try:
        from mako.template import Template
    except ImportError:  # Alembic installs Mako; without it, the generic layout by hand
        return _fill_without_mako(variables)
    try:
        return str(Template(template).render_unicode(comma=_comma, **variables))
    except Exception as exc:  # a template error is the repo's, reported as such
        raise ConfigError(
            f"script.py.mako cannot be rendered: {type(exc).__name__}: {exc}",
            "check the template with `alembic revision -m test` and fix what it reports",
        ) from exc


def _comma(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return ", ".join(str(v) for v in value)  # type: ignore[attr-defined]


def _fill_without_mako(variables: Mapping[str, object]) -> str:
    text = GENERIC_TEMPLATE
    for key in ("upgrades", "downgrades"):
        text = text.replace(f'${{{key} if {key} else "pass"}}', str(variables[key] or "pass"))
    text = text.replace('${imports if imports else ""}', str(variables["imports"] or ""))
    text = text.replace("${down_revision | comma,n}", _comma(variables["down_revision"]))
    for key in ("up_revision", "down_revision", "branch_labels", "depends_on"):
        text = text.replace(f"${{repr({key})}}", repr(variables[key]))
    for key in ("message", "up_revision", "create_date"):
        text = text.replace(f"${{{key}}}", str(variables[key]))
    return text


def _template(repo: RepoFacts, config: FrameworkConfig) -> str:
    location = config.settings.get("script_location", "")
    rel = f"{location}/script.py.mako" if location not in ("", ".") else "script.py.mako"
    return repo.read(rel) if rel in repo.files else GENERIC_TEMPLATE


def _body(ops: Sequence[Operation], before: Schema, ctx: Context, width: int) -> list[str]:
    """The lines of upgrade() or downgrade(), indented relative to the function body."""
    pieces: list[Piece] = []
    state = before
    for op in ops:
        after = op.apply(state)
        pieces += render_operation(op, state, after, ctx)
        state = after
    lines: list[str] = []
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        if piece.autocommit:
            group = _run(pieces, i, lambda p: p.autocommit)
            lines.append("with op.get_context().autocommit_block():")
            for member in group:
                lines += _piece(member, member.code, 1, width)
        elif ctx.batch and piece.batch is not None and piece.table:
            group = _run(pieces, i, _same_batch(piece.table))
            opener = call("op.batch_alter_table", py(piece.table))
            lines.append(f"with {block([opener], 0, width)[0]} as batch_op:")
            for member in group:
                lines += _piece(member, member.batch, 1, width)
        else:
            group = [piece]
            lines += _piece(piece, piece.code, 0, width)
        i += len(group)
    if not any(line.strip() and not line.lstrip().startswith("#") for line in lines):
        lines.append("pass")
    return lines


def _same_batch(table: str) -> Callable[[Piece], bool]:
    """Pieces that can join a batch block on `table` (a commented piece starts a new one)."""

    def belongs(piece: Piece) -> bool:
        return piece.table == table and piece.batch is not None and not piece.comments

    return belongs


def _run(pieces: list[Piece], start: int, belongs: Callable[[Piece], bool]) -> list[Piece]:
    """pieces[start] and the pieces right after it that `belongs` accepts."""
    group = [pieces[start]]
    for nxt in pieces[start + 1 :]:
        if not belongs(nxt):
            break
        group.append(nxt)
    return group


def _piece(piece: Piece, code: Code | None, depth: int, width: int) -> list[str]:
    """Comments and code of one piece, `depth` blocks inside the function body."""
    pad = " " * (4 * depth)
    out = [f"{pad}# {line}" for c in piece.comments for line in _wrap(c, width - 6 - len(pad))]
    if code is not None:
        out += [line[4:] for line in block([code], 4 + 4 * depth, width)]
    return out


def _wrap(text: str, width: int) -> list[str]:
    words = text.split()
    out: list[str] = []
    current = ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*out, current] if current else out
