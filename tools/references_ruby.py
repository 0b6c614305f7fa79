"""References in Ruby (Rails, Active Record) and ERB views, read with tree-sitter-ruby.

Active Record models declare no columns (they come from the database), so a model here is a
class inheriting from `ApplicationRecord` / `ActiveRecord::Base` with its table (`self.
table_name` or the pluralised snake_case class name), its associations and `alias_attribute`s.
Matched: attribute access on records (`order.total`, `@order.total = 0`, `order[:total]`,
`self.total` in the model), query keys and symbols (`Order.where(total: ..)`,
`.order(total: :desc)`, `.pluck(:total)`, `find_by_total`), SQL fragments
(`where("total > ?", 5)`), class-level declarations in the model (`validates :total`), strong
parameters (`params.require(:order).permit(:total)`), SQL strings and heredocs, and ERB views
(`<%= @order.total %>`). Comments are nodes of their own and never match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .references_rubymodels import (
    RubyFile,
    arguments,
    discover_rails_models,
    keyed,
    parse_ruby,
    singular,
    string_text,
    symbol,
    walk,
)
from .references_sql import fragment_hits, looks_like_sql, place_hits, sql_hits
from .references_types import (
    CERTAIN,
    GUESS,
    NAMED,
    TYPED,
    CodeModel,
    Match,
    Reference,
    Source,
    Target,
    Wanted,
    collection_names,
    instance_names,
)
from .repo import RepoFacts

if TYPE_CHECKING:
    import tree_sitter as ts

_ONE = {"find", "find_by", "find_by!", "first", "last", "take", "new", "create", "create!"}
_ONE |= {"find_or_create_by", "find_or_create_by!", "find_or_initialize_by", "first!", "last!"}
_ONE |= {"sole", "find_sole_by", "build", "second", "third"}
_NOT_RELATION = {"count", "sum", "pluck", "pick", "exists?", "ids", "average", "maximum"}
_NOT_RELATION |= {"minimum", "update_all", "delete_all", "destroy_all", "size", "any?", "empty?"}
#: Query methods: the role their hash keys, symbols and fragments play.
_QUERY: dict[str, str | None] = {
    "where": "filter",
    "not": "filter",
    "rewhere": "filter",
    "or": "filter",
    "find_by": "filter",
    "find_by!": "filter",
    "find_or_create_by": "filter",
    "find_or_create_by!": "filter",
    "find_or_initialize_by": "filter",
    "find_sole_by": "filter",
    "exists?": "filter",
    "having": "filter",
    "order": "sort",
    "reorder": "sort",
    "in_order_of": "sort",
    "group": "sort",
    "pluck": None,
    "pick": None,
    "select": None,
    "sum": None,
    "average": None,
    "maximum": None,
    "minimum": None,
    "count": None,
    "distinct": None,
    "create": None,
    "create!": None,
    "new": None,
    "build": None,
    "update": None,
    "update!": None,
    "update_all": None,
    "insert_all": None,
    "upsert_all": None,
    "update_columns": None,
    "update_column": None,
    "assign_attributes": None,
    "increment!": None,
    "decrement!": None,
    "toggle!": None,
    "write_attribute": None,
    "read_attribute": None,
}
_FRAGMENT_CLAUSES = {"where": "where", "having": "where", "order": "order", "reorder": "order"}
_FRAGMENT_CLAUSES |= {"group": "group", "select": "select", "pluck": "select", "not": "where"}
ASSOCIATIONS = {"belongs_to", "has_one", "has_many", "has_and_belongs_to_many"}
_BLOCK_METHODS = {"each", "map", "find_each", "select", "reject", "collect", "each_with_index"}
_BLOCK_METHODS |= {"sum", "flat_map", "filter_map", "detect", "find", "sort_by", "group_by"}


def ruby_references(
    repo: RepoFacts, paths: Sequence[str], targets: Sequence[Target]
) -> list[Reference]:
    files = [parse_ruby(Source(path, repo.read(path))) for path in paths]
    models = discover_rails_models([f for f in files if not f.template])
    wanted = Wanted(targets, models)
    by_name = {m.name: m for m in models}
    refs: list[Reference] = []
    for file in files:
        scanner = _Scanner(file, by_name, wanted)
        scanner.run()
        refs.extend(scanner.refs)
    return refs


# ---------------------------------------------------------------------------------------------
# Scanning
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    what: str  # "class" | "relation" | "instance"
    model: CodeModel
    confidence: float


@dataclass
class _Scope:
    env: dict[str, _Kind] = field(default_factory=dict)
    parent: _Scope | None = None

    def lookup(self, name: str) -> _Kind | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.env:
                return scope.env[name]
            scope = scope.parent
        return None


class _Scanner:
    def __init__(self, file: RubyFile, by_name: dict[str, CodeModel], wanted: Wanted) -> None:
        self.file = file
        self.by_name = by_name
        self.wanted = wanted
        self.refs: list[Reference] = []
        self.mentioned = {m.name for m in wanted.models if m.name in file.source.text}

    def add(
        self,
        node: ts.Node,
        match: Match,
        confidence: float,
        targets: Sequence[Target],
        role: str | None = None,
        offset: int | None = None,
    ) -> None:
        if self.file.template and match is Match.ATTRIBUTE:
            match = Match.TEMPLATE
        at = self.file.offset(node) if offset is None else offset
        for target in targets:
            self.refs.append(self.file.source.reference(at, match, confidence, target, role))

    def run(self) -> None:
        scope = _Scope()
        root = self.file.tree.root_node
        self._collect(root, scope)
        self.visit(root, scope)

    # -- typing ---------------------------------------------------------------------------------
    def _collect(self, node: ts.Node, scope: _Scope) -> None:
        for _ in range(2):
            stack = list(reversed(node.children))
            while stack:
                current = stack.pop()
                if current.type in ("method", "singleton_method", "class", "module"):
                    continue
                if current.type == "assignment":
                    left = current.child_by_field_name("left")
                    kind = self.kind(current.child_by_field_name("right"), scope)
                    if (
                        left is not None
                        and left.type in ("identifier", "instance_variable")
                        and kind
                    ):
                        scope.env[self.file.text(left)] = kind
                stack.extend(reversed(current.children))

    def kind(self, node: ts.Node | None, scope: _Scope) -> _Kind | None:
        if node is None:
            return None
        if node.type in ("constant", "scope_resolution"):
            model = self.by_name.get(self.file.text(node).rpartition("::")[2])
            return _Kind("class", model, CERTAIN) if model is not None else None
        if node.type in ("identifier", "instance_variable", "self"):
            return self._variable(self.file.text(node), scope)
        if node.type == "call":
            return self._call_kind(node, scope)
        if node.type == "parenthesized_statements" and node.named_children:
            return self.kind(node.named_children[-1], scope)
        return None

    def _variable(self, name: str, scope: _Scope) -> _Kind | None:
        kind = scope.lookup(name)
        if kind is not None or name == "self":
            return kind
        bare = name.lstrip("@")
        for model in self.wanted.models:
            sure = NAMED if model.name in self.mentioned or name.startswith("@") else GUESS
            if bare in instance_names(model):
                return _Kind("instance", model, sure)
            if bare in collection_names(model):
                return _Kind("relation", model, sure)
        return None

    def _call_kind(self, node: ts.Node, scope: _Scope) -> _Kind | None:
        method = self.file.text(node.child_by_field_name("method"))
        receiver = node.child_by_field_name("receiver")
        base = self.kind(receiver, scope) if receiver is not None else scope.lookup("self")
        if base is None:
            return None
        if base.what in ("class", "relation"):
            if method in _ONE or method.startswith("find_by_"):
                return _Kind("instance", base.model, base.confidence)
            if method in _NOT_RELATION or method.endswith(("=", "!")):
                return None
            return _Kind("relation", base.model, base.confidence)
        related = base.model.relations.get(method)
        model = self.by_name.get(related) if related else None
        if model is not None:
            many = singular(method) != method
            return _Kind("relation" if many else "instance", model, base.confidence * TYPED)
        return None

    # -- matching -------------------------------------------------------------------------------
    def visit(self, node: ts.Node, scope: _Scope) -> None:
        kind = node.type
        if kind == "comment":
            return
        if kind == "class":
            self._class(node, scope)
        elif kind in ("method", "singleton_method"):
            inner = _Scope(parent=scope)
            if kind == "singleton_method":
                self_kind = scope.lookup("self")
                if self_kind is not None:
                    inner.env["self"] = _Kind("class", self_kind.model, CERTAIN)
            elif (self_kind := scope.lookup("self")) is not None and self_kind.what == "class":
                inner.env["self"] = _Kind("instance", self_kind.model, TYPED)
            self._collect(node, inner)
            for child in node.children:
                self.visit(child, inner)
        elif kind in ("do_block", "block"):
            self._block(node, scope)
        elif kind == "call":
            self._call(node, scope)
            for child in node.children:
                self.visit(child, scope)
        elif kind == "element_reference":
            self._element(node, scope)
            for child in node.children:
                self.visit(child, scope)
        elif kind in ("string", "heredoc_body"):
            self._string(node)
            for child in node.named_children:
                self.visit(child, scope)
        elif kind in ("constant", "scope_resolution"):
            base = self.kind(node, scope)
            if base is not None:
                self.add(node, Match.MODEL, CERTAIN, self.wanted.tables(base.model))
        else:
            for child in node.children:
                self.visit(child, scope)

    def _class(self, node: ts.Node, scope: _Scope) -> None:
        name = self.file.text(node.child_by_field_name("name")).rpartition("::")[2]
        model = self.by_name.get(name)
        inner = _Scope(parent=scope)
        if model is not None and model.path == self.file.source.path:
            inner.env["self"] = _Kind("class", model, CERTAIN)
            name_node = node.child_by_field_name("name")
            if name_node is not None:
                self.add(name_node, Match.MODEL, CERTAIN, self.wanted.tables(model))
            self._declarations(node, model)
        self._instance_variables(node, inner)
        for child in node.children:
            if child.type not in (
                "constant",
                "scope_resolution",
            ) or child != node.child_by_field_name("name"):
                self.visit(child, inner)

    def _instance_variables(self, node: ts.Node, scope: _Scope) -> None:
        """`@order = Order.find(...)` in any action types `@order` for the whole controller."""
        for current in walk(node):
            if current.type != "assignment":
                continue
            left = current.child_by_field_name("left")
            if left is not None and left.type == "instance_variable":
                kind = self.kind(current.child_by_field_name("right"), scope)
                if kind is not None:
                    scope.env[self.file.text(left)] = kind

    def _declarations(self, node: ts.Node, model: CodeModel) -> None:
        """`validates :total`, `alias_attribute :amount, :total`, `enum total: ...` in the
        model's own body."""
        body = node.child_by_field_name("body")
        for stmt in body.named_children if body is not None else []:
            if stmt.type != "call" or stmt.child_by_field_name("receiver") is not None:
                continue
            method = self.file.text(stmt.child_by_field_name("method"))
            if method in _QUERY or method == "scope":
                continue
            for arg in arguments(stmt):
                name = symbol(self.file, arg)
                if name:
                    self.add(arg, Match.FIELD, CERTAIN, self.wanted.attr(model, name))
            for key, key_node, _ in keyed(self.file, stmt):
                self.add(key_node, Match.FIELD, CERTAIN, self.wanted.attr(model, key))

    def _block(self, node: ts.Node, scope: _Scope) -> None:
        """`orders.each do |o|`: the block's first parameter is one record."""
        inner = _Scope(parent=scope)
        params = node.child_by_field_name("parameters")
        call = node.parent
        if params is not None and call is not None and call.type == "call":
            method = self.file.text(call.child_by_field_name("method"))
            receiver = call.child_by_field_name("receiver")
            base = self.kind(receiver, scope) if receiver is not None else None
            names = [c for c in params.named_children if c.type == "identifier"]
            if base is not None and base.what == "relation" and method in _BLOCK_METHODS and names:
                inner.env[self.file.text(names[0])] = _Kind("instance", base.model, base.confidence)
        self._collect(node, inner)
        for child in node.children:
            self.visit(child, inner)

    def _call(self, node: ts.Node, scope: _Scope) -> None:
        method_node = node.child_by_field_name("method")
        method = self.file.text(method_node)
        receiver = node.child_by_field_name("receiver")
        base = self.kind(receiver, scope) if receiver is not None else scope.lookup("self")
        if method == "permit" and receiver is not None:
            self._permit(node, receiver)
        if base is None or method_node is None:
            return
        if base.what == "instance" and receiver is not None and not arguments(node):
            sure = min(base.confidence, TYPED)
            self.add(method_node, Match.ATTRIBUTE, sure, self.wanted.attr(base.model, method))
        if method.startswith("find_by_") and base.what in ("class", "relation"):
            for attr in method.removeprefix("find_by_").rstrip("!").split("_and_"):
                self.add(
                    method_node,
                    Match.QUERY,
                    base.confidence,
                    self.wanted.attr(base.model, attr),
                    "filter",
                )
        if method not in _QUERY:
            return
        role = _QUERY[method]
        for arg in arguments(node):
            name = symbol(self.file, arg) if arg.type == "simple_symbol" else None
            if name:
                self.add(
                    arg, Match.QUERY, base.confidence, self.wanted.attr(base.model, name), role
                )
            elif arg.type == "string" and method in _FRAGMENT_CLAUSES:
                self._fragment(arg, base, _FRAGMENT_CLAUSES[method], role)
        for key, key_node, _ in keyed(self.file, node):
            self.add(
                key_node, Match.QUERY, base.confidence, self.wanted.attr(base.model, key), role
            )

    def _permit(self, node: ts.Node, receiver: ts.Node) -> None:
        """`params.require(:order).permit(:status, :total)`: the form's fields of Order."""
        if (
            receiver.type != "call"
            or self.file.text(receiver.child_by_field_name("method")) != "require"
        ):
            return
        args = arguments(receiver)
        key = symbol(self.file, args[0]) if args else None
        model = next((m for m in self.wanted.models if key and key in instance_names(m)), None)
        if model is None:
            return
        for arg in arguments(node):
            name = symbol(self.file, arg)
            if name:
                self.add(arg, Match.SERIALIZER, TYPED, self.wanted.attr(model, name))

    def _element(self, node: ts.Node, scope: _Scope) -> None:
        """`order[:total]` / `order["total"]`."""
        base = self.kind(node.child_by_field_name("object"), scope)
        keys = [c for c in node.named_children[1:] if c.type in ("simple_symbol", "string")]
        if base is None or base.what != "instance" or len(keys) != 1:
            return
        name = symbol(self.file, keys[0])
        if name:
            sure = min(base.confidence, TYPED)
            self.add(keys[0], Match.ATTRIBUTE, sure, self.wanted.attr(base.model, name))

    def _fragment(self, node: ts.Node, base: _Kind, clause: str, role: str | None) -> None:
        text = string_text(self.file, node)
        if looks_like_sql(text):
            return
        hits = fragment_hits(text, base.model.table, self.wanted.targets, clause)
        start = self.file.offset(node)
        for at, hit in place_hits(self.file.text(node), text, hits):
            sure = min(base.confidence, hit.confidence)
            self.add(node, Match.QUERY, sure, [hit.target], hit.role or role, offset=start + at)

    def _string(self, node: ts.Node) -> None:
        text = string_text(self.file, node)
        if not looks_like_sql(text):
            return
        start = self.file.offset(node)
        hits = sql_hits(text, self.wanted.targets)
        for at, hit in place_hits(self.file.text(node), text, hits):
            self.add(node, Match.RAW_SQL, hit.confidence, [hit.target], hit.role, offset=start + at)
