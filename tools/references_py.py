"""References in Python code: Django and SQLAlchemy models, their queries, and SQL strings.

Each module is read with `ast` (comments are gone before matching starts) and walked once per
scope. Before a function's body is matched, its variables are typed the cheap way a reader
would: an annotation (`order: Order`), what a query returns (`Order.objects.get(...)`,
`session.get(Order, 1)`, a loop over `Order.objects.filter(...)`), or, failing that, a name
that follows the model (`order`, `orders`). `invoice.total` then stays a near miss when
`invoice` holds an Invoice, even though Invoice has its own `total`; and `total = 3` is a
local variable, not an attribute, so it never matches.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from .references_pyconfig import ConfigClasses
from .references_pymodels import last_name, string_value
from .references_pytypes import Ctx, Kind, PyIndex, PyResolver, Scope
from .references_sql import SqlHit, fragment_hits, looks_like_sql, place_hits, sql_hits
from .references_types import (
    CERTAIN,
    NAMED,
    TYPED,
    CodeModel,
    Match,
    Reference,
    Source,
    Target,
    word_offsets,
)

#: Query methods whose keyword arguments are field lookups, and the role they give.
_KW_METHODS: dict[str, str | None] = {
    "filter": "filter",
    "exclude": "filter",
    "get": "filter",
    "filter_by": "filter",
    "get_or_create": "filter",
    "update_or_create": "filter",
    "aget": "filter",
    "create": None,
    "acreate": None,
    "update": None,
    "values": None,
}
#: Query methods whose string arguments are field names, and the role they give.
_STR_METHODS: dict[str, str | None] = {
    "order_by": "sort",
    "latest": "sort",
    "earliest": "sort",
    "distinct": "sort",
    "values": None,
    "values_list": None,
    "only": None,
    "defer": None,
}
#: What expressions inside a query method's arguments do to their columns.
_ARG_ROLES = {
    "filter": "filter",
    "exclude": "filter",
    "get": "filter",
    "where": "filter",
    "having": "filter",
    "join": "filter",
    "order_by": "sort",
    "group_by": "sort",
}
_EXPRESSIONS = {
    "F",
    "Sum",
    "Avg",
    "Count",
    "Max",
    "Min",
    "StdDev",
    "Variance",
    "Coalesce",
    "Lower",
    "Upper",
    "Length",
    "Cast",
    "Trunc",
    "TruncDate",
    "TruncDay",
    "TruncMonth",
    "TruncYear",
    "ExtractYear",
    "ExtractMonth",
    "Greatest",
    "Least",
    "Concat",
}


def python_references(source: Source, tree: ast.Module, index: PyIndex) -> list[Reference]:
    """References to the index's targets in one parsed module."""
    scanner = PyScanner(source, tree, index)
    scanner.run()
    return scanner.refs


class PyScanner(PyResolver):
    def __init__(self, source: Source, tree: ast.Module, index: PyIndex) -> None:
        super().__init__(source, tree, index)
        self.refs: list[Reference] = []
        self.config = ConfigClasses(self)

    # -- module level -------------------------------------------------------------------------
    def run(self) -> None:
        self._bind_module()
        self.config.collect_registrations(self.tree)
        for model in self.wanted.models:  # Core tables: Table("orders", ..., Column("total"))
            if model.kind == "core" and model.path == self.source.path:
                self._fields(model)
                at = self.offset(model.line, model.col)
                self.add(at, Match.MODEL, CERTAIN, self.wanted.tables(model))
        scope = Scope()
        self._collect(self.tree.body, scope)
        for stmt in self.tree.body:
            self.visit(stmt, scope, Ctx())

    def add(
        self,
        offset: int,
        match: Match,
        confidence: float,
        targets: Sequence[Target],
        role: str | None = None,
    ) -> None:
        for target in targets:
            self.refs.append(self.source.reference(offset, match, confidence, target, role))

    # -- matching -----------------------------------------------------------------------------
    def visit(self, node: ast.AST, scope: Scope, ctx: Ctx) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self._function(node, scope)
        elif isinstance(node, ast.Lambda):
            inner = Scope(parent=scope)
            self.visit(node.body, inner, ctx)
        elif isinstance(node, ast.ClassDef):
            self._class(node, scope)
        elif isinstance(node, ast.Expr) and _is_docstring(node):
            return
        elif isinstance(node, ast.Call):
            self._call(node, scope, ctx)
        elif isinstance(node, ast.Attribute):
            self._attribute(node, scope, ctx)
            self.visit(node.value, scope, ctx)
        elif isinstance(node, ast.Subscript):
            self._subscript(node, scope, ctx)
            for child in ast.iter_child_nodes(node):
                self.visit(child, scope, ctx)
        elif isinstance(node, ast.Name):
            self._name(node, scope)
        elif isinstance(node, ast.ImportFrom):
            self._import(node)
        elif isinstance(node, ast.Constant):
            self.string(node, ctx)
        elif isinstance(node, ast.JoinedStr):
            self.string(node, ctx)
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    self.visit(value.value, scope, ctx)
        else:
            for child in ast.iter_child_nodes(node):
                self.visit(child, scope, ctx)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator, scope, Ctx())
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default, scope, Ctx())
        inner = Scope(parent=scope)
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        for arg in args:
            kind = self.annotation(arg.annotation)
            if kind is not None:
                inner.env[arg.arg] = kind
        self._collect(node.body, inner)
        for stmt in node.body:
            self.visit(stmt, inner, Ctx())

    def _class(self, node: ast.ClassDef, scope: Scope) -> None:
        for item in [*node.decorator_list, *node.bases, *node.keywords]:
            self.visit(item, scope, Ctx())
        model = next(
            (m for m in self.index.models if m.name == node.name and m.path == self.source.path),
            None,
        )
        if model is not None:
            offset = self.offset(node.lineno, node.col_offset)
            name_at = self.source.text.find(node.name, offset)
            self.add(name_at, Match.MODEL, CERTAIN, self.wanted.tables(model))
            self._fields(model)
        inner = Scope(parent=scope)
        if model is not None:
            inner.env["self"] = Kind("instance", model, TYPED)
            inner.env["cls"] = Kind("class", model, CERTAIN)
        ctx = Ctx(model) if model is not None else Ctx()
        configured = self.config.model_of(node, scope)
        for stmt in node.body:
            if configured is not None and self.config.visit(stmt, configured, node):
                continue
            if model is not None and isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
                self.config.model_meta(stmt, model)
                continue
            if model is not None and self.config.table_args(stmt, model):
                continue
            self.visit(stmt, inner, ctx)

    def _fields(self, model: CodeModel) -> None:
        """The model's own declarations of the target columns (reported from its file)."""
        for attr, (path, line, col) in model.field_pos.items():
            if path != self.source.path:
                continue
            targets = self.wanted.attr(model, attr)
            self.add(self.offset(line, col), Match.FIELD, CERTAIN, targets)

    def _attribute(self, node: ast.Attribute, scope: Scope, ctx: Ctx) -> None:
        if not isinstance(node.ctx, ast.Load | ast.Store | ast.Del):
            return
        base = self.resolve(node.value, scope)
        if base is None:
            return
        at = self.offset(node.end_lineno or node.lineno, node.end_col_offset or 0) - len(node.attr)
        if base.what in ("class", "columns"):
            targets = self.wanted.attr(base.model, node.attr)
            self.add(at, Match.ATTRIBUTE, base.confidence, targets, ctx.role)
        elif base.what == "instance":
            sure = min(base.confidence, TYPED)
            self.add(at, Match.ATTRIBUTE, sure, self.wanted.attr(base.model, node.attr))

    def _subscript(self, node: ast.Subscript, scope: Scope, ctx: Ctx) -> None:
        key = string_value(node.slice)
        if key is None:
            return
        base = self.resolve(node.value, scope)
        if base is not None and base.what == "columns":  # orders.c["total"]
            at = self.offset(node.slice.lineno, node.slice.col_offset)
            self.add(
                at, Match.ATTRIBUTE, base.confidence, self.wanted.attr(base.model, key), ctx.role
            )

    def _name(self, node: ast.Name, scope: Scope) -> None:
        model = self.bound.get(node.id)
        if model is not None and scope.lookup(node.id) is None:
            targets = self.wanted.tables(model)
            self.add(self.offset(node.lineno, node.col_offset), Match.MODEL, CERTAIN, targets)

    def _import(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            model = self.bound.get(alias.asname or alias.name)
            if model is None or model.name != alias.name:
                continue
            targets = self.wanted.tables(model)
            if targets:
                line_offset = self.offset(node.lineno, node.col_offset)
                end = self.offset(node.end_lineno or node.lineno, node.end_col_offset or 0)
                found = word_offsets(self.source.text[line_offset:end], alias.name)
                at = line_offset + (found[-1] if found else 0)
                self.add(at, Match.MODEL, TYPED, targets)

    def _call(self, node: ast.Call, scope: Scope, ctx: Ctx) -> None:
        func = node.func
        name = last_name(func)
        inner = ctx
        if name == "Q":
            self._expression_keywords(node, ctx)
        elif name in _EXPRESSIONS:
            self._expression_strings(node, ctx)
        elif name in ("text", "RawSQL") and node.args and ctx.model is not None:
            self.fragment(node.args[0], ctx)
        elif name in ("get_object_or_404", "get_list_or_404") and node.args:
            first = self.resolve(node.args[0], scope)
            if first is not None and first.what in ("class", "query"):
                self._keywords(node, first.model, "filter", first.confidence)
        elif name in ("ForeignKey", "OneToOneField", "ManyToManyField", "relationship"):
            self._relation_strings(node)
        elif isinstance(func, ast.Attribute):
            base = self.resolve(func.value, scope)
            if base is not None and base.what == "query":
                self._query_call(node, func.attr, base)
                inner = Ctx(base.model, _ARG_ROLES.get(func.attr), base.confidence)
            elif base is not None and base.what == "class" and func.attr in _ARG_ROLES:
                inner = Ctx(base.model, _ARG_ROLES[func.attr], base.confidence)
            elif ctx.model is None and func.attr in _ARG_ROLES:
                inner = Ctx(None, _ARG_ROLES[func.attr])
        else:
            callee = self.resolve(func, scope)
            if callee is not None and callee.what == "class":  # Order(total=...)
                self._keywords(node, callee.model, None, callee.confidence)
        self.visit(func, scope, ctx)
        for arg in node.args:
            self.visit(arg, scope, inner)
        for keyword in node.keywords:
            self.visit(keyword.value, scope, inner)

    def _query_call(self, node: ast.Call, method: str, base: Kind) -> None:
        if method in _KW_METHODS:
            self._keywords(node, base.model, _KW_METHODS[method], base.confidence)
        if method in _STR_METHODS:
            for arg in node.args:
                text = string_value(arg)
                if text is not None:
                    self.lookup(text, arg, base.model, _STR_METHODS[method], base.confidence)
        if method == "extra":
            for keyword in node.keywords:
                values = keyword.value.elts if isinstance(keyword.value, ast.List) else []
                for item in values:
                    if keyword.arg == "where":
                        self.fragment(item, Ctx(base.model, "filter", base.confidence))
                    elif keyword.arg == "order_by" and (text := string_value(item)):
                        self.lookup(text, item, base.model, "sort", base.confidence)

    def _keywords(
        self, node: ast.Call, model: CodeModel, role: str | None, confidence: float
    ) -> None:
        for keyword in node.keywords:
            if keyword.arg is not None and keyword.arg != "defaults":
                self.lookup(keyword.arg, keyword, model, role, confidence)

    def _expression_keywords(self, node: ast.Call, ctx: Ctx) -> None:
        for keyword in node.keywords:
            if keyword.arg is None:
                continue
            model, sure = self._context_model(keyword.arg, ctx)
            self.lookup(keyword.arg, keyword, model, ctx.role or "filter", sure)

    def _expression_strings(self, node: ast.Call, ctx: Ctx) -> None:
        for arg in node.args:
            text = string_value(arg)
            if text is None:
                continue
            model, sure = self._context_model(text.lstrip("-"), ctx)
            self.lookup(text, arg, model, ctx.role, sure)

    def _context_model(self, lookup: str, ctx: Ctx) -> tuple[CodeModel | None, float]:
        """The model a bare `F("total")` / `Q(total=...)` is about: its query's, else the one
        model this module uses that has such a field."""
        if ctx.model is not None:
            return ctx.model, ctx.confidence
        head = lookup.lstrip("-").split("__")[0]
        having = {id(m): m for m in self.bound.values() if m.kind != "core" and m.has_attr(head)}
        if len(having) == 1:
            return next(iter(having.values())), NAMED
        return None, 0.0

    def lookup(
        self,
        text: str,
        node: ast.keyword | ast.expr,
        model: CodeModel | None,
        role: str | None,
        confidence: float,
        match: Match = Match.QUERY,
    ) -> None:
        """A lookup path (`total`, `-total`, `order__total__gte`, DRF's `order.total`) from
        `model`, following relations segment by segment."""
        current = model
        at = self.offset(node.lineno, node.col_offset)
        for segment in text.lstrip("-?^=@").replace(".", "__").split("__"):
            if current is None:
                return
            self.add(at, match, confidence, self.wanted.attr(current, segment), role)
            related = current.relations.get(segment)
            current = self.index.named(related) if related else None

    def _relation_strings(self, node: ast.Call) -> None:
        """`ForeignKey("orders.id")` (SQLAlchemy: table.column) and `ForeignKey("Order")` /
        `relationship("Order")` (a class by name) name the table or the column."""
        for arg in node.args[:1]:
            text = string_value(arg)
            if not text:
                continue
            at = self.offset(arg.lineno, arg.col_offset)
            table, dot, column = text.rpartition(".")
            model = self.index.named(column if dot else text)
            for target in self.wanted.targets:
                if model is not None:  # a class: `"Order"`, Django's `"orders.Order"`
                    if target.column is None and model.is_for(target.table):
                        self.add(at, Match.MODEL, TYPED, [target])
                elif (
                    dot
                    and table.lower() == target.table.lower()
                    and (target.column is None or target.column.lower() == column.lower())
                ):
                    self.add(at, Match.FIELD, CERTAIN, [target])

    def fragment(self, node: ast.expr, ctx: Ctx) -> None:
        text = string_value(node)
        if text is None or ctx.model is None:
            return
        if looks_like_sql(text):
            return  # a whole statement: string() reports it
        clause = {"filter": "where", "sort": "order"}.get(ctx.role or "", "select")
        hits = fragment_hits(text, ctx.model.table, self.wanted.targets, clause)
        self._report_sql(node, text, hits, ctx.confidence)

    # -- strings ------------------------------------------------------------------------------
    def string(self, node: ast.Constant | ast.JoinedStr, ctx: Ctx) -> None:
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, str) or not looks_like_sql(node.value):
                return
            text = node.value
        else:
            text = "".join(
                v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "?"
                for v in node.values
            )
            if not looks_like_sql(text):
                return
        self._report_sql(node, text, sql_hits(text, self.wanted.targets), CERTAIN)

    def _report_sql(self, node: ast.expr, text: str, hits: Sequence[SqlHit], sure: float) -> None:
        """Map hits in the string's value back to the source, by counting occurrences of the
        matched word (the value and the source differ by quotes, escapes and f-string holes)."""
        start = self.offset(node.lineno, node.col_offset)
        end = self.offset(node.end_lineno or node.lineno, node.end_col_offset or 0)
        for at, hit in place_hits(self.source.text[start:end], text, hits):
            self.add(start + at, Match.RAW_SQL, min(sure, hit.confidence), [hit.target], hit.role)


def _is_docstring(node: ast.Expr) -> bool:
    return isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
