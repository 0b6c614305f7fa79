"""Django's migration graph, read from the migration files with `ast`, ordered as Django does.

This follows django/db/migrations/loader.py and graph.py, for a fresh database (nothing
applied yet, which is what a scratch replay starts from):

- same-app dependencies first, then cross-app ones, where `("app", "__first__")` means the
  app's first root and `__latest__` its leaf, and a dependency on an app outside the repo
  (`django.contrib.auth`, a swappable user model that is not ours) is external: noted, not
  an edge;
- `run_before` adds the reverse edge;
- a squashed migration (`replaces = [...]`) stands in for the migrations it replaces, and
  whatever depended on them now depends on it (when none of them is applied, Django's rule
  says the squash is used);
- the plan is `migrate`'s: for each leaf node, sorted, a depth-first walk over parents in
  sorted order, skipping what is already planned.
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass, field

from ..errors import HistoryError
from ..repo import RepoFacts
from .base import HistoryWarning
from .pysource import dotted, evaluate, parse_python

Key = tuple[str, str]
_NUMBERED = re.compile(r"^\d{4}_\w+$")


@dataclass(frozen=True)
class Dependency:
    """One entry of `dependencies` / `run_before`, with where it was written."""

    app: str
    name: str
    line: int
    swappable: str | None = None


@dataclass(frozen=True)
class DjangoMigration:
    """One migration file as Django's loader would see it."""

    app: str
    name: str
    path: str
    line: int
    dependencies: tuple[Dependency, ...]
    run_before: tuple[Dependency, ...]
    replaces: tuple[Key, ...]
    initial: bool
    #: (operation, line) of operations that cannot be unapplied.
    irreversible: tuple[tuple[str, int], ...]
    warnings: tuple[HistoryWarning, ...] = ()

    @property
    def key(self) -> Key:
        return (self.app, self.name)

    @property
    def id(self) -> str:
        return f"{self.app}.{self.name}"


def migration_files(repo: RepoFacts, migrations_dir: str) -> list[tuple[str, str]]:
    """(name, path) of the modules Django loads from a migrations package."""
    prefix = migrations_dir.rstrip("/") + "/"
    out = []
    for rel in repo.under(migrations_dir):
        tail = rel[len(prefix) :]
        if "/" in tail or not tail.endswith(".py"):
            continue
        name = tail[:-3]
        if name[:1] in {"_", "~"}:
            continue
        out.append((name, rel))
    return sorted(out)


def read_migration(
    repo: RepoFacts, app: str, name: str, rel: str, swappable: dict[str, str]
) -> DjangoMigration:
    """Read the Migration class of one file; a file Django cannot load is a HistoryError."""
    tree = parse_python(
        repo, rel, HistoryError, f"fix the syntax of {rel}; `manage.py migrate` imports it"
    )
    cls = next(
        (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Migration"), None
    )
    if cls is None:
        raise HistoryError(
            f"{rel}:1: no Migration class; Django refuses to load the app's migrations",
            "define `class Migration(migrations.Migration)` or move the module out of "
            "migrations/ (names starting with _ are skipped)",
        )
    fields: dict[str, ast.expr] = {}
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
            fields[stmt.targets[0].id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
            fields[stmt.target.id] = stmt.value
    warnings: list[HistoryWarning] = []
    deps = _dependencies(fields.get("dependencies"), rel, swappable, warnings)
    run_before = _dependencies(fields.get("run_before"), rel, swappable, warnings)
    replaces: list[Key] = []
    replaced = evaluate(fields["replaces"]) if "replaces" in fields else []
    for item in replaced if isinstance(replaced, list | tuple) else []:
        if (
            isinstance(item, list | tuple)
            and len(item) == 2
            and all(isinstance(i, str) for i in item)
        ):
            replaces.append((str(item[0]), str(item[1])))
    initial = evaluate(fields["initial"]) is True if "initial" in fields else False
    return DjangoMigration(
        app=app,
        name=name,
        path=rel,
        line=cls.lineno,
        dependencies=tuple(deps),
        run_before=tuple(run_before),
        replaces=tuple(replaces),
        initial=initial,
        irreversible=_irreversible(fields.get("operations")),
        warnings=tuple(warnings),
    )


def _dependencies(
    node: ast.expr | None,
    rel: str,
    swappable: dict[str, str],
    warnings: list[HistoryWarning],
) -> list[Dependency]:
    if node is None:
        return []
    if not isinstance(node, ast.List | ast.Tuple):
        warnings.append(
            HistoryWarning(
                "dependencies are computed, not a literal list; not analysed", rel, node.lineno
            )
        )
        return []
    out: list[Dependency] = []
    for elt in node.elts:
        if isinstance(elt, ast.Tuple | ast.List) and len(elt.elts) == 2:
            app, name = (evaluate(e) for e in elt.elts)
            if isinstance(app, str) and isinstance(name, str):
                out.append(Dependency(app, name, elt.lineno))
                continue
        if isinstance(elt, ast.Call) and dotted(elt.func).endswith("swappable_dependency"):
            setting = dotted(elt.args[0]) if elt.args else ""
            key = setting.rsplit(".", 1)[-1]
            value = swappable.get(key) or (
                evaluate(elt.args[0])
                if elt.args and isinstance(elt.args[0], ast.Constant)
                else None
            )
            if isinstance(value, str) and "." in value:
                out.append(
                    Dependency(value.split(".", 1)[0], "__first__", elt.lineno, setting or value)
                )
                continue
        warnings.append(
            HistoryWarning(
                f"dependency `{ast.unparse(elt)}` is not a literal; not analysed", rel, elt.lineno
            )
        )
    return out


def _irreversible(node: ast.expr | None) -> tuple[tuple[str, int], ...]:
    """RunPython without reverse_code and RunSQL without reverse_sql: no way back."""
    if node is None:
        return ()
    out: list[tuple[str, int]] = []
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        kind = dotted(call.func).rsplit(".", 1)[-1]
        reverse_kw = {"RunPython": "reverse_code", "RunSQL": "reverse_sql"}.get(kind)
        if reverse_kw is None:
            continue
        keywords = {kw.arg: kw.value for kw in call.keywords}
        reverse = call.args[1] if len(call.args) > 1 else keywords.get(reverse_kw)
        if reverse is None or (isinstance(reverse, ast.Constant) and reverse.value is None):
            out.append((kind, call.lineno))
    return tuple(out)


@dataclass
class DjangoGraph:
    """The plan for a fresh database, the leaves, and the notes made on the way."""

    ordered: list[DjangoMigration]
    parents: dict[Key, set[Key]]
    leaves: list[Key]
    warnings: list[HistoryWarning] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    #: squash key -> the replaced keys it stands in for
    squashed: dict[Key, tuple[Key, ...]] = field(default_factory=dict)


class _Graph:
    """Nodes and edges with the few operations Django's MigrationGraph needs here."""

    def __init__(self, migrations: list[DjangoMigration]) -> None:
        self.nodes: dict[Key, DjangoMigration] = {m.key: m for m in migrations}
        self.parents: dict[Key, set[Key]] = {k: set() for k in self.nodes}
        self.children: dict[Key, set[Key]] = {k: set() for k in self.nodes}
        #: (child, parent) -> (path, line) of the dependency that made the edge
        self.origin: dict[tuple[Key, Key], tuple[str, int]] = {}

    def add_edge(self, child: Key, parent: Key, path: str, line: int) -> None:
        self.parents.setdefault(child, set()).add(parent)
        self.children.setdefault(parent, set()).add(child)
        self.origin.setdefault((child, parent), (path, line))

    def roots(self, app: str) -> list[Key]:
        return sorted(
            k for k in self.nodes if k[0] == app and all(p[0] != app for p in self.parents[k])
        )

    def leaves(self, app: str | None = None) -> list[Key]:
        return sorted(
            k
            for k in self.nodes
            if (app is None or k[0] == app) and all(c[0] != k[0] for c in self.children.get(k, ()))
        )

    def replace(self, squash: Key, replaced: tuple[Key, ...]) -> None:
        """Django's remove_replaced_nodes: the squash inherits the replaced nodes' edges."""
        for old in replaced:
            self.nodes.pop(old, None)
            for child in self.children.pop(old, set()):
                self.parents.setdefault(child, set()).discard(old)
                if child not in replaced:
                    self.add_edge(child, squash, *self.origin.get((child, old), ("", 0)))
            for parent in self.parents.pop(old, set()):
                self.children.setdefault(parent, set()).discard(old)
                if parent not in replaced:
                    self.add_edge(squash, parent, *self.origin.get((old, parent), ("", 0)))

    def plan(self) -> list[Key]:
        """`migrate`'s forwards plan for all leaves (graph.iterative_dfs per leaf)."""
        planned: list[Key] = []
        seen: set[Key] = set()
        for leaf in self.leaves():
            stack: list[tuple[Key, bool]] = [(leaf, False)]
            while stack:
                node, processed = stack.pop()
                if node in seen:
                    continue
                if processed:
                    seen.add(node)
                    planned.append(node)
                else:
                    stack.append((node, True))
                    stack.extend((p, False) for p in sorted(self.parents[node]) if p not in seen)
        return planned


def build_graph(migrations: list[DjangoMigration]) -> DjangoGraph:
    """Edges, replacements, checks and the plan, in the order Django's loader does them."""
    graph = _Graph(migrations)
    apps = {m.app for m in migrations}
    external: list[str] = []

    def resolve(dep: Dependency, current: str) -> Key | None:
        if dep.app not in apps:
            note = f"{dep.app}.{dep.name}" + (f" ({dep.swappable})" if dep.swappable else "")
            if note not in external:
                external.append(note)
            return None
        if dep.name not in {"__first__", "__latest__"}:
            return (dep.app, dep.name)
        if dep.app == current:
            return None
        found = graph.roots(dep.app) if dep.name == "__first__" else graph.leaves(dep.app)
        return found[0] if found else None

    for m in migrations:
        for dep in m.dependencies:
            if dep.app == m.app and dep.name != "__first__":
                graph.add_edge(m.key, (dep.app, dep.name), m.path, dep.line)
    for m in migrations:
        for dep in m.dependencies:
            if dep.app == m.app:
                continue
            parent = resolve(dep, m.app)
            if parent is not None:
                graph.add_edge(m.key, parent, m.path, dep.line)
        for dep in m.run_before:
            child = resolve(dep, m.app)
            if child is not None:
                graph.add_edge(child, m.key, m.path, dep.line)
    squashed: dict[Key, tuple[Key, ...]] = {}
    for m in migrations:
        if m.replaces and m.key in graph.nodes:
            graph.replace(m.key, m.replaces)
            squashed[m.key] = m.replaces
    _check_dangling(graph)
    _check_cycles(graph)
    plan = graph.plan()
    warnings: list[HistoryWarning] = [w for m in migrations for w in m.warnings]
    warnings += _warnings(graph, plan)
    return DjangoGraph(
        ordered=[graph.nodes[k] for k in plan],
        parents={k: set(graph.parents[k]) for k in plan},
        leaves=graph.leaves(),
        warnings=warnings,
        external=external,
        squashed=squashed,
    )


def _check_dangling(graph: _Graph) -> None:
    """Every edge must join two migrations that exist (Django's validate_consistency)."""
    edges = sorted(
        (child, parent)
        for child, parents in graph.parents.items()
        for parent in parents
        if parent not in graph.nodes or child not in graph.nodes
    )
    for child, parent in edges:
        missing = parent if parent not in graph.nodes else child
        holder = child if missing == parent else parent
        path, line = graph.origin.get((child, parent), ("", 0))
        where = f"{path}:{line}" if path else graph.nodes[holder].path
        verb = "depends on" if missing == parent else "must run before"
        raise HistoryError(
            f"{where}: {holder[0]}.{holder[1]} {verb} {missing[0]}.{missing[1]}, "
            f"which is not a migration of app '{missing[0]}'",
            "restore the missing migration or fix the dependency "
            "(`python manage.py showmigrations` lists the real names)",
        )


def _check_cycles(graph: _Graph) -> None:
    state: dict[Key, int] = {}
    for start in sorted(graph.nodes):
        if state.get(start):
            continue
        path = [start]
        state[start] = 1
        stack = [(start, sorted(graph.parents[start]))]
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
                m = graph.nodes[cycle[0]]
                raise HistoryError(
                    f"{m.path}:{m.line}: circular dependency "
                    f"{' -> '.join(f'{a}.{n}' for a, n in cycle)}",
                    "remove one of the dependencies so that the migrations form a chain",
                )
            if not state.get(parent):
                state[parent] = 1
                path.append(parent)
                stack.append((parent, sorted(graph.parents[parent])))


def _warnings(graph: _Graph, plan: list[Key]) -> list[HistoryWarning]:
    warnings: list[HistoryWarning] = []
    by_app: dict[str, list[Key]] = {}
    for leaf in graph.leaves():
        by_app.setdefault(leaf[0], []).append(leaf)
    for app, leaves in sorted(by_app.items()):
        if len(leaves) > 1:
            names = ", ".join(name for _, name in leaves)
            warnings.append(
                HistoryWarning(
                    f"app '{app}' has {len(leaves)} leaf migrations: {names}; merge them with "
                    f"`python manage.py makemigrations --merge {app}`"
                )
            )
    for key in plan:
        m = graph.nodes[key]
        for kind, line in m.irreversible:
            reverse = "reverse_code" if kind == "RunPython" else "reverse_sql"
            warnings.append(
                HistoryWarning(
                    f"{kind} without {reverse}: {m.id} cannot be unapplied", m.path, line
                )
            )
    names_by_app: dict[str, list[DjangoMigration]] = {}
    for m in graph.nodes.values():
        names_by_app.setdefault(m.app, []).append(m)
    for app, items in sorted(names_by_app.items()):
        odd = sorted(m.name for m in items if not _NUMBERED.match(m.name))
        if odd and len(odd) < len(items):
            warnings.append(
                HistoryWarning(
                    f"app '{app}': {', '.join(odd)} not numbered like the others (NNNN_name)",
                    posixpath.dirname(items[0].path),
                )
            )
    return warnings
