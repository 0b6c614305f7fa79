"""Alembic's revision graph, read from the revision files with `ast` and ordered as Alembic does.

A revision file names itself (`revision`), its parents (`down_revision`: a string, a tuple
for a merge, None for a base), optional `branch_labels` and `depends_on` (cross-branch
dependencies, by id or branch label). Nothing is imported: Alembic would execute every file in
versions/ to read these four names, we read the assignments.

The apply order is the one `alembic upgrade heads` uses (script/revision.py,
`_topological_sort`): walk down from the heads in file order, emitting a revision only when no
other pending head still needs it, then reverse. Any topological order would be valid; this
one matches what the user sees in Alembic's own output, so a replay on a scratch database
runs the revisions in the same order as production did.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import HistoryError
from ..repo import RepoFacts
from .base import HistoryWarning
from .pysource import evaluate, function_does_nothing, parse_python, top_level_functions

_IDENTIFIERS = ("revision", "down_revision", "branch_labels", "depends_on")
#: Alembic loads every .py in versions/ except editor droppings and __init__ files.
_REVISION_FILE = re.compile(r"(?!\.\#|__init__).*\.py$")
#: Revision files of Alembic 0.1 had no `revision` variable, only the id as the file name.
_LEGACY_NAME = re.compile(r"([a-f0-9]+)\.py$")


@dataclass(frozen=True)
class Revision:
    """One revision file as Alembic would see it, with line numbers for error messages."""

    id: str
    path: str
    line: int
    down: tuple[str, ...]
    down_line: int
    branch_labels: tuple[str, ...]
    depends_on: tuple[str, ...]
    depends_line: int
    message: str
    upgrade_empty: bool
    has_down: bool

    @property
    def is_merge(self) -> bool:
        return len(self.down) > 1


def revision_files(repo: RepoFacts, locations: Iterable[str], recursive: bool) -> list[str]:
    """Revision file paths in Alembic's load order: per location, files sorted by name.

    With recursive_version_locations, Alembic walks top-down with sorted folder names, so the
    files of a folder come before those of its subfolders.
    """
    seen: set[str] = set()
    out: list[str] = []
    for loc in locations:
        prefix = "" if loc in ("", ".") else loc.rstrip("/") + "/"
        found: list[tuple[tuple[str, ...], str, str]] = []
        for rel in repo.under(loc):
            tail = rel[len(prefix) :]
            parts = tail.split("/")
            if "__pycache__" in parts or (len(parts) > 1 and not recursive):
                continue
            if not _REVISION_FILE.match(parts[-1]):
                continue
            found.append((tuple(parts[:-1]), parts[-1], rel))
        for _dirs, _name, rel in sorted(found):
            if rel not in seen:
                seen.add(rel)
                out.append(rel)
    return out


def _as_ids(value: object, rel: str, line: int, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(str(v) for v in value)
    raise HistoryError(
        f"{rel}:{line}: {what} must be a revision id, a tuple of ids or None",
        f"write {what} as a literal (e.g. {what} = 'a1b2c3d4e5f6'); Alembic reads it from the file",
    )


def read_revision(repo: RepoFacts, rel: str) -> Revision:
    """Read the four identifiers and the shape of upgrade()/downgrade() from one file."""
    hint = "fix the file so that `python -c 'import ast; ast.parse(open(PATH).read())'` passes"
    tree = parse_python(repo, rel, HistoryError, hint.replace("PATH", rel))
    values: dict[str, object] = {}
    lines: dict[str, int] = {}
    for stmt in tree.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        if isinstance(target, ast.Name) and target.id in _IDENTIFIERS and value is not None:
            values[target.id] = evaluate(value)
            lines[target.id] = stmt.lineno
    name = rel.rsplit("/", 1)[-1]
    if "revision" in values:
        revision = values["revision"]
        if not isinstance(revision, str) or not revision:
            raise HistoryError(
                f"{rel}:{lines['revision']}: revision must be a non-empty string literal",
                "write it as revision = 'a1b2c3d4e5f6'",
            )
    elif legacy := _LEGACY_NAME.match(name):
        revision = legacy.group(1)
    else:
        raise HistoryError(
            f"{rel}:1: no module-level `revision = '...'`; Alembic cannot load this file",
            "add the revision identifiers, or move helper modules out of the versions folder",
        )
    functions = top_level_functions(tree)
    upgrade, downgrade = functions.get("upgrade"), functions.get("downgrade")
    docstring = ast.get_docstring(tree) or ""
    return Revision(
        id=revision,
        path=rel,
        line=lines.get("revision", 1),
        down=_as_ids(
            values.get("down_revision"), rel, lines.get("down_revision", 1), "down_revision"
        ),
        down_line=lines.get("down_revision", lines.get("revision", 1)),
        branch_labels=_as_ids(
            values.get("branch_labels"), rel, lines.get("branch_labels", 1), "branch_labels"
        ),
        depends_on=_as_ids(values.get("depends_on"), rel, lines.get("depends_on", 1), "depends_on"),
        depends_line=lines.get("depends_on", 1),
        message=docstring.strip().splitlines()[0] if docstring.strip() else "",
        upgrade_empty=upgrade is None or function_does_nothing(upgrade),
        has_down=downgrade is not None and not function_does_nothing(downgrade),
    )


@dataclass(frozen=True)
class RevisionGraph:
    """Revisions in apply order, the heads, and what was odd about them."""

    ordered: tuple[Revision, ...]
    parents: dict[str, tuple[str, ...]]
    heads: tuple[str, ...]
    warnings: tuple[HistoryWarning, ...]


def build_graph(revisions: list[Revision]) -> RevisionGraph:
    """Resolve parents, reject cycles and dangling parents, and order for `upgrade heads`."""
    warnings: list[HistoryWarning] = []
    by_id: dict[str, Revision] = {}
    for rev in revisions:
        if rev.id in by_id:
            warnings.append(
                HistoryWarning(
                    f"revision {rev.id} is present more than once (also in "
                    f"{by_id[rev.id].path}); Alembic uses this file",
                    rev.path,
                    rev.line,
                )
            )
        by_id[rev.id] = rev
    order = list(by_id)  # Alembic's revision map: file order, first occurrence wins the slot
    labels = _branch_labels(by_id)
    versioned: dict[str, tuple[str, ...]] = {}
    deps: dict[str, tuple[str, ...]] = {}
    for rid, rev in by_id.items():
        for parent in rev.down:
            if parent not in by_id:
                raise HistoryError(
                    f"{rev.path}:{rev.down_line}: down_revision '{parent}' of {rid} is not a "
                    "revision in the versions folder",
                    "restore the missing revision file or point down_revision at an existing "
                    "revision (`alembic heads` lists them)",
                )
        resolved: list[str] = []
        for dep in rev.depends_on:
            target = dep if dep in by_id else labels.get(dep)
            if target is None:
                raise HistoryError(
                    f"{rev.path}:{rev.depends_line}: depends_on '{dep}' of {rid} is neither a "
                    "revision nor a branch label",
                    "name an existing revision id or branch label in depends_on",
                )
            if target not in resolved:
                resolved.append(target)
        versioned[rid] = rev.down
        deps[rid] = tuple(resolved)
    _reject_cycles(by_id, versioned, deps)
    normalized = _normalized_parents(order, versioned, deps)
    # `alembic heads` lists revisions no down_revision names; `upgrade heads` starts from
    # those nothing at all depends on (depends_on included).
    children = {p for parents in versioned.values() for p in parents}
    heads = tuple(rid for rid in order if rid not in children)
    depended = children | {d for ds in deps.values() for d in ds}
    ordered = _upgrade_order(order, tuple(r for r in order if r not in depended), normalized)
    warnings.extend(_graph_warnings(by_id, heads, versioned))
    all_parents = {rid: tuple(dict.fromkeys(versioned[rid] + deps[rid])) for rid in order}
    return RevisionGraph(
        ordered=tuple(by_id[rid] for rid in ordered),
        parents=all_parents,
        heads=heads,
        warnings=tuple(warnings),
    )


def _branch_labels(by_id: dict[str, Revision]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for rid, rev in by_id.items():
        for label in rev.branch_labels:
            if label in labels:
                raise HistoryError(
                    f"{rev.path}:{rev.line}: branch label '{label}' of {rid} is already used "
                    f"by {labels[label]}",
                    "give each branch label to one revision only",
                )
            labels[label] = rid
    return labels


def _reject_cycles(
    by_id: dict[str, Revision],
    versioned: dict[str, tuple[str, ...]],
    deps: dict[str, tuple[str, ...]],
) -> None:
    """Depth-first search over parents and dependencies; a back edge is a cycle."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in by_id:
        if state.get(start):
            continue
        path: list[str] = []
        stack: list[tuple[str, list[str]]] = [(start, list(versioned[start] + deps[start]))]
        state[start] = 1
        path.append(start)
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            parent = pending.pop()
            if state.get(parent) == 1:
                cycle = [*path[path.index(parent) :], parent]
                first = by_id[cycle[0]]
                raise HistoryError(
                    f"{first.path}:{first.down_line}: revision cycle "
                    f"{' -> '.join(cycle)} (each is the down_revision of the one before)",
                    "break the cycle: the oldest revision of the loop must have "
                    "down_revision = None or an older revision",
                )
            if not state.get(parent):
                state[parent] = 1
                path.append(parent)
                stack.append((parent, list(versioned[parent] + deps[parent])))


def _ancestors(rid: str, parents: dict[str, tuple[str, ...]]) -> set[str]:
    """`rid` and everything below it."""
    seen = {rid}
    todo = [rid]
    while todo:
        for parent in parents[todo.pop()]:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def _normalized_parents(
    order: list[str],
    versioned: dict[str, tuple[str, ...]],
    deps: dict[str, tuple[str, ...]],
) -> dict[str, tuple[str, ...]]:
    """down_revision plus the dependencies no versioned ancestor already declared.

    This is what Alembic treats as a revision's immediate predecessors when ordering.
    """
    out: dict[str, tuple[str, ...]] = {}
    for rid in order:
        own = list(deps[rid])
        if own:
            for ancestor in _ancestors(rid, versioned) - {rid}:
                own = [d for d in own if d not in deps[ancestor]]
        out[rid] = tuple(dict.fromkeys(versioned[rid] + tuple(own)))
    return out


def _upgrade_order(
    order: list[str], heads: tuple[str, ...], parents: dict[str, tuple[str, ...]]
) -> list[str]:
    """Walk from the heads towards the bases; a revision is emitted only once no other line
    still has it as an ancestor, so shared history comes out after every line above it. The
    reversed walk is the upgrade order."""
    todo = set(order)
    position = {rid: i for i, rid in enumerate(order)}
    lines = sorted(heads, key=position.__getitem__)
    # Ancestor sets are only needed while two or more lines are walked; computed on demand,
    # a long linear history stays linear in time instead of quadratic.
    below: list[set[str] | None] = [None for _ in lines]

    def ancestors_of(j: int) -> set[str]:
        found = below[j]
        if found is None:
            found = below[j] = _ancestors(lines[j], parents)
        return found

    walked: list[str] = []
    idx = 0
    while lines:
        candidate = lines[idx]
        blocker = (
            None
            if len(lines) == 1
            else next(
                (j for j in range(len(lines)) if j != idx and candidate in ancestors_of(j)), None
            )
        )
        if blocker is not None:
            idx = blocker
            continue
        if candidate in todo:
            walked.append(candidate)
            todo.discard(candidate)
        nxt = [p for p in parents[candidate] if p in todo and p not in lines]
        if not nxt:
            del lines[idx]
            del below[idx]
            idx = max(idx - 1, 0)
            continue
        lines[idx] = nxt[0]
        below[idx] = None
        for extra in nxt[1:]:
            lines.append(extra)
            below.append(None)
    return list(reversed(walked))


def _graph_warnings(
    by_id: dict[str, Revision],
    heads: tuple[str, ...],
    versioned: dict[str, tuple[str, ...]],
) -> list[HistoryWarning]:
    warnings: list[HistoryWarning] = []
    if len(heads) > 1:
        warnings.append(
            HistoryWarning(
                f"{len(heads)} heads: {', '.join(heads)}; merge them with "
                "`alembic merge heads` before adding a revision"
            )
        )
    for rid, rev in by_id.items():
        if not rev.upgrade_empty and not rev.has_down:
            warnings.append(
                HistoryWarning(
                    f"downgrade() of {rid} does nothing: `alembic downgrade` past it leaves its "
                    "changes in place",
                    rev.path,
                )
            )
        if rev.upgrade_empty and not rev.is_merge and versioned[rid]:
            warnings.append(HistoryWarning(f"upgrade() of {rid} does nothing", rev.path))
    return warnings
