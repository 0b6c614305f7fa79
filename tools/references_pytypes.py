"""Typing Python expressions the way a reader would: which model, and one row or many.

Before a scope's code is matched, its variables are typed from what the code itself says: an
annotation (`order: Order`, `list[Order]`), what a query returns (`Order.objects.get(...)`,
`session.get(Order, 1)`, `select(Order)`, a loop over `Order.objects.filter(...)`), or, failing
that, a name that follows the model's (`order`, `orders`), with less confidence. The
scanner in `references_py` matches field names against these kinds.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .references_pymodels import dotted, last_name
from .references_types import (
    CERTAIN,
    GUESS,
    NAMED,
    TYPED,
    CodeModel,
    Source,
    Wanted,
    collection_names,
    instance_names,
)

_ONE = {
    "get",
    "first",
    "last",
    "latest",
    "earliest",
    "create",
    "one",
    "one_or_none",
    "scalar_one",
    "scalar_one_or_none",
    "scalar",
    "get_or_404",
    "first_or_404",
    "one_or_404",
    "aget",
    "afirst",
    "alast",
    "acreate",
}
_NOT_QUERY = {"count", "exists", "aggregate", "delete", "update", "explain", "acount", "aexists"}
_MANAGERS = {"objects", "query", "_default_manager", "_base_manager"}
#: Django expressions whose string arguments name fields of the query's model.
_COLLECTIONS = {"list", "List", "Sequence", "Iterable", "Iterator", "QuerySet", "set", "tuple"}
_COLLECTIONS |= {"Set", "Tuple", "Collection", "AsyncIterator", "ScalarResult", "Query"}


@dataclass(frozen=True)
class Kind:
    """What an expression holds: a model "class", an "instance", a "query" of many rows, a
    Core table ("core") or its column collection ("columns")."""

    what: str
    model: CodeModel
    confidence: float


@dataclass
class Scope:
    env: dict[str, Kind] = field(default_factory=dict)
    parent: Scope | None = None

    def lookup(self, name: str) -> Kind | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.env:
                return scope.env[name]
            scope = scope.parent
        return None


@dataclass(frozen=True)
class Ctx:
    """The query an expression sits in: its model, what it does with columns, how sure."""

    model: CodeModel | None = None
    role: str | None = None
    confidence: float = CERTAIN


class PyIndex:
    """Models by class name and the targets, shared by every module of one run."""

    def __init__(self, models: Sequence[CodeModel], wanted: Wanted) -> None:
        self.models = list(models)
        self.wanted = wanted
        self.by_name: dict[str, list[CodeModel]] = {}
        for model in models:
            if model.kind != "core":
                self.by_name.setdefault(model.name, []).append(model)

    def named(self, name: str) -> CodeModel | None:
        found = self.by_name.get(name)
        return found[0] if found else None


class PyResolver:
    """Module-level bindings and expression kinds for one parsed module."""

    def __init__(self, source: Source, tree: ast.Module, index: PyIndex) -> None:
        self.source = source
        self.tree = tree
        self.index = index
        self.wanted = index.wanted
        self.bound: dict[str, CodeModel] = {}
        self.modules: set[str] = set()

    def _bind_module(self) -> None:
        path = self.source.path
        for model in self.index.models:
            if model.path == path:
                self.bound[model.name] = model
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    imported = self._imported(node.module or "", alias.name)
                    if imported is not None:
                        self.bound[alias.asname or alias.name] = imported
                    elif alias.name[:1].islower():
                        self.modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.modules.add(alias.asname or alias.name.partition(".")[0])

    def _imported(self, module: str, name: str) -> CodeModel | None:
        """The model an import names: same class name, preferring one whose file path ends
        like the module path (`from orders.models import Order`)."""
        candidates = [m for m in self.index.models if m.name == name]
        if len(candidates) > 1:
            tail = module.lstrip(".").replace(".", "/")
            preferred = [
                m for m in candidates if tail and m.path.removesuffix(".py").endswith(tail)
            ]
            candidates = preferred or candidates
        return candidates[0] if candidates else None

    # -- positions ----------------------------------------------------------------------------
    def offset(self, lineno: int, col: int) -> int:
        """Text offset of an `ast` position (columns there count UTF-8 bytes)."""
        line = self.source.text.split("\n")[lineno - 1] if col else ""
        chars = len(line.encode()[:col].decode(errors="ignore")) if col else 0
        return self.source.offset(lineno, chars)

    # -- typing variables ---------------------------------------------------------------------
    def _collect(self, body: Sequence[ast.stmt], scope: Scope) -> None:
        """Type the variables one scope assigns (twice, so loops over earlier ones resolve)."""
        for _ in range(2):
            for node in _walk_scope(body):
                if isinstance(node, ast.Assign):
                    self._bind_assign(node.targets, node.value, scope)
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    kind = self.annotation(node.annotation)
                    if kind is None and node.value is not None:
                        kind = self.resolve(node.value, scope)
                    if kind is not None:
                        scope.env[node.target.id] = kind
                elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                    self._bind_loop(node.target, node.iter, scope)

    def _bind_assign(self, targets: list[ast.expr], value: ast.expr, scope: Scope) -> None:
        for target in targets:
            if isinstance(target, ast.Name):
                kind = self.resolve(value, scope)
                if kind is not None:
                    scope.env[target.id] = kind
            elif isinstance(target, ast.Tuple) and target.elts:
                first = target.elts[0]  # obj, created = Model.objects.get_or_create(...)
                call = value.value if isinstance(value, ast.Await) else value
                if (
                    isinstance(first, ast.Name)
                    and isinstance(call, ast.Call)
                    and last_name(call.func) in ("get_or_create", "update_or_create")
                    and isinstance(call.func, ast.Attribute)
                ):
                    base = self.resolve(call.func.value, scope)
                    if base is not None and base.what == "query":
                        scope.env[first.id] = Kind("instance", base.model, base.confidence)

    def _bind_loop(self, target: ast.expr, iterable: ast.expr, scope: Scope) -> None:
        kind = self.resolve(iterable, scope)
        if isinstance(target, ast.Name) and kind is not None and kind.what == "query":
            scope.env[target.id] = Kind("instance", kind.model, kind.confidence)

    def annotation(self, node: ast.expr | None) -> Kind | None:
        """`Order`, `"Order"`, `Order | None`, `Optional[Order]` -> instance; `list[Order]`,
        `QuerySet[Order]` -> query; `type[Order]` -> class."""
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.annotation(node.left) or self.annotation(node.right)
        if isinstance(node, ast.Subscript):
            outer = last_name(node.value)
            inner = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
            kind = self.annotation(inner)
            if kind is None:
                return None
            if outer in ("Optional", "Mapped"):
                return kind
            if outer == "type":
                return Kind("class", kind.model, TYPED)
            if outer in _COLLECTIONS:
                return Kind("query", kind.model, TYPED)
            return None
        model = self.bound.get(dotted(node)) or self.bound.get(last_name(node))
        if model is not None and model.kind != "core":
            return Kind("instance", model, TYPED)
        return None

    def resolve(self, node: ast.expr, scope: Scope) -> Kind | None:
        """What an expression holds, as far as a reader can tell without running it."""
        if isinstance(node, ast.Await):
            return self.resolve(node.value, scope)
        if isinstance(node, ast.Name):
            return self._resolve_name(node.id, scope)
        if isinstance(node, ast.Attribute):
            return self._resolve_attribute(node, scope)
        if isinstance(node, ast.Call):
            return self._resolve_call(node, scope)
        if isinstance(node, ast.Subscript):
            base = self.resolve(node.value, scope)
            if base is not None and base.what == "query":
                return Kind("instance", base.model, base.confidence)
        return None

    def _resolve_name(self, name: str, scope: Scope) -> Kind | None:
        kind = scope.lookup(name)
        if kind is not None:
            return kind
        model = self.bound.get(name)
        if model is not None:
            return Kind("core" if model.kind == "core" else "class", model, CERTAIN)
        if name in ("self", "cls") or name in self.modules:
            return None
        for model in self.wanted.models:
            if model.kind == "core":
                continue
            sure = NAMED if model.name in self.bound else GUESS
            if name in instance_names(model):
                return Kind("instance", model, sure)
            if name in collection_names(model):
                return Kind("query", model, sure)
        return None

    def _resolve_attribute(self, node: ast.Attribute, scope: Scope) -> Kind | None:
        if isinstance(node.value, ast.Name) and node.value.id in self.modules:
            model = self.bound.get(node.attr) or self.index.named(node.attr)
            if model is not None:
                return Kind("class", model, CERTAIN)
        base = self.resolve(node.value, scope)
        if base is None:
            return None
        if base.what == "core" and node.attr in ("c", "columns"):
            return Kind("columns", base.model, base.confidence)
        if base.what == "class" and (
            node.attr in _MANAGERS or not (base.model.has_attr(node.attr) or node.attr[:1] == "_")
        ):
            return Kind("query", base.model, base.confidence)
        if base.what == "instance" and node.attr in base.model.relations:
            related = self.index.named(base.model.relations[node.attr])
            if related is not None:
                return Kind("instance", related, base.confidence * TYPED)
        return None

    def _resolve_call(self, node: ast.Call, scope: Scope) -> Kind | None:
        func = node.func
        first = self.resolve(node.args[0], scope) if node.args else None
        if isinstance(func, ast.Attribute):
            method = func.attr
            base = self.resolve(func.value, scope)
            if base is not None and base.what == "query":
                if method in _ONE:
                    return Kind("instance", base.model, base.confidence)
                return None if method in _NOT_QUERY else base
            if first is not None:
                if method == "query" and first.what == "class":
                    return Kind("query", first.model, first.confidence)
                if method == "get" and first.what == "class":
                    return Kind("instance", first.model, first.confidence)
                if method in ("scalars", "execute") and first.what == "query":
                    return first
                if method == "scalar" and first.what == "query":
                    return Kind("instance", first.model, first.confidence)
            return None
        name = last_name(func)
        callee = self.resolve(func, scope)
        if callee is not None and callee.what == "class":
            return Kind("instance", callee.model, callee.confidence)
        if first is None:
            return None
        if name in ("select", "insert", "update", "delete") and first.what == "class":
            return Kind("query", first.model, first.confidence)
        if name == "get_object_or_404" and first.what in ("class", "query"):
            return Kind("instance", first.model, first.confidence)
        if name == "get_list_or_404" and first.what in ("class", "query"):
            return Kind("query", first.model, first.confidence)
        if name in ("list", "sorted", "reversed", "iter") and first.what == "query":
            return first
        if name == "aliased" and first.what == "class":
            return first
        return None


def _walk_scope(body: Sequence[ast.stmt]) -> Iterator[ast.AST]:
    """Nodes of one scope in source order, not descending into nested functions or classes."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
