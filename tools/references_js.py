"""References in JavaScript and TypeScript, read with tree-sitter (never run).

Matches model definitions (TypeORM `@Column() total`, Sequelize attributes, Drizzle table
columns, Prisma schema fields), attribute access on rows (`order.total`, `orders.total` for a
Drizzle table, `const { total } = order`), the keys and strings of ORM queries (`where: {
total }`, `select: { total: true }`, `.select("total")`, `.where("total", ">", 5)`,
`order: [["total", "DESC"]]`, `.where("o.total > :min")` on a QueryBuilder) and SQL in
strings and templates (`knex.raw`, Prisma's `$queryRaw` templates). Comments are tree-sitter
nodes of their own and are never looked at.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .references_jsargs import ROLES, JsArguments
from .references_jsmodels import (
    JsFile,
    decorator_call,
    decorators,
    discover_js_models,
    string_of,
    walk,
)
from .references_jsquery import FUNCTIONS, JKind, JScope, JsIndex, JsResolver, chain, unwrap
from .references_prisma import prisma_models, prisma_schema_references
from .references_sql import looks_like_sql, place_hits, sql_hits
from .references_types import (
    CERTAIN,
    TYPED,
    Match,
    Reference,
    Source,
    Target,
    Wanted,
)
from .repo import RepoFacts

if TYPE_CHECKING:
    import tree_sitter as ts

_CALLBACKS = {"map", "forEach", "filter", "find", "some", "every", "flatMap", "findIndex"}
_CALLBACKS |= {"sort", "reduce", "then"}


def js_references(
    repo: RepoFacts, paths: Sequence[str], schemas: Sequence[str], targets: Sequence[Target]
) -> list[Reference]:
    """References in JS/TS files and Prisma schemas."""
    files = [JsFile(Source(path, repo.read(path))) for path in paths]
    models = discover_js_models(files)
    schema_sources = [Source(path, repo.read(path)) for path in schemas]
    for source in schema_sources:
        models.extend(prisma_models(source))
    index = JsIndex(models, Wanted(targets, models))
    refs: list[Reference] = []
    for source in schema_sources:
        refs.extend(prisma_schema_references(source, index))
    for file in files:
        scanner = JsScanner(file, index)
        scanner.run()
        refs.extend(scanner.refs)
    return refs


class JsScanner(JsArguments):
    def __init__(self, file: JsFile, index: JsIndex) -> None:
        self.file = file
        self.index = index
        self.wanted = index.wanted
        self.resolver = JsResolver(file, index)
        self.refs: list[Reference] = []

    def add(
        self,
        node: ts.Node | int,
        match: Match,
        confidence: float,
        targets: Sequence[Target],
        role: str | None = None,
    ) -> None:
        offset = node if isinstance(node, int) else self.file.offset(node)
        for target in targets:
            self.refs.append(self.file.source.reference(offset, match, confidence, target, role))

    def run(self) -> None:
        self.resolver.bind_imports()
        self._definitions()
        scope = JScope()
        root = self.file.tree.root_node
        self._collect(root, scope)
        self.visit(root, scope, None)

    # -- definitions ----------------------------------------------------------------------------
    def _definitions(self) -> None:
        source = self.file.source
        for model in self.wanted.models:
            if model.path != source.path or model.kind == "prisma":
                continue
            for attr, (_, line, col) in model.field_pos.items():
                offset = self._offset(line, col)
                self.add(offset, Match.FIELD, CERTAIN, self.wanted.attr(model, attr))
            self.add(
                self._offset(model.line, model.col), Match.MODEL, CERTAIN, self.wanted.tables(model)
            )

    def _offset(self, line: int, byte_col: int) -> int:
        text = self.file.source.text.split("\n")[line - 1]
        chars = len(text.encode()[:byte_col].decode(errors="ignore"))
        return self.file.source.offset(line, chars)

    # -- scopes -----------------------------------------------------------------------------------
    def _collect(self, node: ts.Node, scope: JScope) -> None:
        """Type the variables one scope declares (twice, so later loops see earlier ones)."""
        for _ in range(2):
            stack = list(reversed(node.children))
            while stack:
                current = stack.pop()
                if current.type in FUNCTIONS or current.type == "class_declaration":
                    continue
                if current.type == "variable_declarator":
                    self._declare(current, scope)
                elif current.type == "for_in_statement":
                    left = unwrap(current.child_by_field_name("left"))
                    right = current.child_by_field_name("right")
                    kind = self.resolver.kind(right, scope)
                    if (
                        left is not None
                        and left.type == "identifier"
                        and kind
                        and kind.what == "query"
                    ):
                        scope.env[self.file.text(left)] = kind.as_("instance")
                stack.extend(reversed(current.children))

    def _declare(self, node: ts.Node, scope: JScope) -> None:
        name = node.child_by_field_name("name")
        if name is None or name.type != "identifier":
            return
        kind = self.resolver.annotation(node.child_by_field_name("type"))
        if kind is None:
            value = node.child_by_field_name("value")
            kind = self.resolver.kind(value, scope) if value is not None else None
        if kind is not None:
            scope.env[self.file.text(name)] = kind

    def _function(self, node: ts.Node, scope: JScope) -> None:
        inner = JScope(parent=scope)
        params = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
        names = _parameters(params)
        for param, annotation in names:
            kind = self.resolver.annotation(annotation)
            if kind is not None:
                inner.env[self.file.text(param)] = kind
        callback = self._callback_kind(node, scope) or self._drizzle_callback(node)
        if callback is not None and names:
            index = 1 if self._callback_method(node) == "reduce" else 0
            if index < len(names) and self.file.text(names[index][0]) not in inner.env:
                inner.env[self.file.text(names[index][0])] = callback
        body = node.child_by_field_name("body")
        if body is not None:
            self._collect(body, inner)
            self.visit(body, inner, None)
        if params is not None:
            for child in params.named_children:
                for deco in decorators(child):
                    self.visit(deco, scope, None)

    def _drizzle_callback(self, node: ts.Node) -> JKind | None:
        """`pgTable("orders", {...}, (t) => [index().on(t.total)])`: t is the table."""
        args = node.parent
        call = args.parent if args is not None else None
        if call is None or call.type != "call_expression":
            return None
        declarator = call.parent
        while declarator is not None and declarator.type in ("await_expression",):
            declarator = declarator.parent
        if declarator is None or declarator.type != "variable_declarator":
            return None
        model = self.resolver.bound.get(self.file.text(declarator.child_by_field_name("name")))
        if model is None or model.kind != "drizzle":
            return None
        return JKind("class", model, CERTAIN)

    def _callback_method(self, node: ts.Node) -> str:
        args = node.parent
        call = args.parent if args is not None else None
        if call is None or call.type != "call_expression":
            return ""
        func = call.child_by_field_name("function")
        if func is None or func.type != "member_expression":
            return ""
        return self.file.text(func.child_by_field_name("property"))

    def _callback_kind(self, node: ts.Node, scope: JScope) -> JKind | None:
        """`orders.map((o) => o.total)`: the callback's parameter is one row."""
        method = self._callback_method(node)
        if method not in _CALLBACKS:
            return None
        assert node.parent is not None and node.parent.parent is not None
        func = node.parent.parent.child_by_field_name("function")
        assert func is not None
        base = self.resolver.kind(func.child_by_field_name("object"), scope)
        if base is not None and base.what == "query":
            return base.as_("instance")
        if base is not None and base.what == "instance" and method == "then":
            return base
        return None

    def _class(self, node: ts.Node, scope: JScope) -> None:
        inner = JScope(parent=scope)
        body = node.child_by_field_name("body")
        model = next(
            (
                m
                for m in self.index.models
                if m.path == self.file.source.path
                and m.name == self.file.text(node.child_by_field_name("name"))
            ),
            None,
        )
        if model is not None:
            inner.env["this"] = JKind("instance", model, TYPED)
            for deco in decorators(node):  # @Index(["total"]), @Unique(["a", "total"])
                call = decorator_call(deco)
                if call is not None:
                    for string in (n for n in walk(call) if n.type == "string"):
                        text = string_of(self.file, string) or ""
                        self.add(string, Match.FIELD, CERTAIN, self.wanted.attr(model, text))
        for member in body.named_children if body is not None else []:
            self._class_member(member, inner)
        for child in node.children:
            if child.type != "decorator":
                self.visit(child, inner, None)

    def _class_member(self, member: ts.Node, scope: JScope) -> None:
        """`private repo: Repository<Order>` and constructor parameter properties."""
        if member.type in ("public_field_definition", "field_definition"):
            name = member.child_by_field_name("name") or member.child_by_field_name("property")
            kind = self.resolver.annotation(member.child_by_field_name("type"))
            value = member.child_by_field_name("value")
            if kind is None and value is not None:
                kind = self.resolver.kind(value, scope)
            if name is not None and kind is not None:
                scope.env[f"this.{self.file.text(name)}"] = kind
        if member.type == "method_definition":
            params = member.child_by_field_name("parameters")
            for child in params.named_children if params is not None else []:
                if not any(c.type == "accessibility_modifier" for c in child.children):
                    continue
                pattern = child.child_by_field_name("pattern")
                kind = self.resolver.annotation(child.child_by_field_name("type"))
                if pattern is not None and kind is not None:
                    scope.env[f"this.{self.file.text(pattern)}"] = kind

    # -- matching ---------------------------------------------------------------------------------
    def visit(self, node: ts.Node, scope: JScope, role: str | None) -> None:
        kind = node.type
        if kind == "comment":
            return
        if kind in FUNCTIONS:
            self._function(node, scope)
        elif kind == "class_declaration" or kind == "class":
            self._class(node, scope)
        elif kind == "call_expression":
            self._call(node, scope, role)
        elif kind == "member_expression":
            self._member(node, scope, role)
        elif kind == "subscript_expression":
            self._subscript(node, scope)
            for child in node.children:
                self.visit(child, scope, role)
        elif kind in ("string", "template_string"):
            self._string(node)
            for child in node.named_children:
                if child.type == "template_substitution":
                    self.visit(child, scope, role)
        elif kind in ("identifier", "type_identifier"):
            model = self.resolver.bound.get(self.file.text(node))
            if model is not None and scope.lookup(self.file.text(node)) is None:
                self.add(node, Match.MODEL, CERTAIN, self.wanted.tables(model))
        elif kind == "variable_declarator":
            self._destructure(node, scope)
            for child in node.children:
                self.visit(child, scope, role)
        else:
            for child in node.children:
                self.visit(child, scope, role)

    def _member(self, node: ts.Node, scope: JScope, role: str | None) -> None:
        obj = node.child_by_field_name("object")
        prop = node.child_by_field_name("property")
        base = self.resolver.kind(obj, scope)
        if prop is not None and base is not None:
            attr = self.file.text(prop)
            if base.what == "class" and base.model.kind == "drizzle":
                self.add(
                    prop, Match.ATTRIBUTE, base.confidence, self.wanted.attr(base.model, attr), role
                )
            elif base.what == "instance":
                sure = min(base.confidence, TYPED)
                self.add(prop, Match.ATTRIBUTE, sure, self.wanted.attr(base.model, attr))
        accessor = self.resolver.member_kind(node, scope) if prop is not None else None
        if accessor is not None and prop is not None and accessor.model.kind == "prisma":
            self.add(prop, Match.MODEL, CERTAIN, self.wanted.tables(accessor.model))
        if obj is not None:
            self.visit(obj, scope, role)

    def _subscript(self, node: ts.Node, scope: JScope) -> None:
        index = node.child_by_field_name("index")
        key = string_of(self.file, index)
        base = self.resolver.kind(node.child_by_field_name("object"), scope)
        if key is not None and index is not None and base is not None and base.what == "instance":
            self.add(
                index,
                Match.ATTRIBUTE,
                min(base.confidence, TYPED),
                self.wanted.attr(base.model, key),
            )

    def _destructure(self, node: ts.Node, scope: JScope) -> None:
        """`const { total } = order` reads order.total."""
        pattern = node.child_by_field_name("name")
        if pattern is None or pattern.type != "object_pattern":
            return
        base = self.resolver.kind(node.child_by_field_name("value"), scope)
        if base is None or base.what != "instance":
            return
        for child in pattern.named_children:
            key = child
            if child.type == "pair_pattern":
                key = child.child_by_field_name("key") or child
            if key.type in ("shorthand_property_identifier_pattern", "property_identifier"):
                targets = self.wanted.attr(base.model, self.file.text(key))
                self.add(key, Match.ATTRIBUTE, min(base.confidence, TYPED), targets)

    def _call(self, node: ts.Node, scope: JScope, role: str | None) -> None:
        links, root = chain(node)
        kind = self.resolver.chain_kind(links, root, scope)
        for link in links:
            link_role = ROLES.get(link.method, role if not link.method else None)
            if kind is not None:
                self._link(link.call, link.method, kind, link_role)
            func = link.call.child_by_field_name("function")
            if link.method == "" and func is not None:
                self.visit(func, scope, role)
            args = link.call.child_by_field_name("arguments")
            if args is not None:
                self.visit(args, scope, link_role)
        if root is not None:
            self.visit(root, scope, role)

    def _string(self, node: ts.Node) -> None:
        text = self._string_value(node)
        if text is None or not looks_like_sql(text):
            return
        start = self.file.offset(node)
        hits = sql_hits(text, self.wanted.targets)
        for at, hit in place_hits(self.file.text(node), text, hits):
            self.add(start + at, Match.RAW_SQL, hit.confidence, [hit.target], hit.role)


def _parameters(params: ts.Node | None) -> list[tuple[ts.Node, ts.Node | None]]:
    """(name, type annotation) of a function's simple parameters."""
    if params is None:
        return []
    if params.type == "identifier":
        return [(params, None)]
    out: list[tuple[ts.Node, ts.Node | None]] = []
    for child in params.named_children:
        if child.type == "identifier":
            out.append((child, None))
        elif child.type in ("required_parameter", "optional_parameter"):
            pattern = child.child_by_field_name("pattern")
            if pattern is not None and pattern.type == "identifier":
                out.append((pattern, child.child_by_field_name("type")))
        elif child.type == "assignment_pattern":
            left = child.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                out.append((left, None))
    return out
