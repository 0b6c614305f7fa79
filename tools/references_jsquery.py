"""What JS/TS expressions hold: model classes, repositories, query chains, rows.

The JavaScript ORMs reach a table through very different doors: a TypeORM repository
(`getRepository(Order)`, `@InjectRepository(Order) repo: Repository<Order>`), a Sequelize
model's statics (`Order.findAll`), Prisma's client (`prisma.order.findMany`), a Knex chain
(`knex("orders").where(...)`, `db.select("total").from("orders")`), a Drizzle table object
(`db.select().from(orders)`). `JsResolver.kind` answers "which table does this expression
reach, and does it hold the query, one row or many?" the way a reader of the code would,
with a confidence; the scanner in `references_js` matches field names against that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .references_jsmodels import JsFile, arguments, string_of
from .references_types import (
    CERTAIN,
    GUESS,
    NAMED,
    TYPED,
    CodeModel,
    Wanted,
    collection_names,
    instance_names,
)

if TYPE_CHECKING:
    import tree_sitter as ts

#: Calls that return one row, and calls that return many.
ONE = {
    "findOne",
    "findOneBy",
    "findOneOrFail",
    "findOneByOrFail",
    "findByPk",
    "findUnique",
    "findUniqueOrThrow",
    "findFirst",
    "findFirstOrThrow",
    "create",
    "build",
    "upsert",
    "first",
    "getOne",
    "getOneOrFail",
    "save",
}
MANY = {
    "findAll",
    "find",
    "findBy",
    "findMany",
    "findAndCountAll",
    "findAndCount",
    "bulkCreate",
    "getMany",
    "select",
    "where",
    "then",
}
#: Functions that start a Knex query from a table name: `knex("orders")`, `db("orders")`.
KNEX_NAMES = {"knex", "db", "trx", "tx", "database", "qb", "connection", "conn", "k", "pg"}
_NOT_KNEX = {"require", "import", "t", "i18n", "translate", "fetch", "Symbol", "Error"}
#: A table name as Knex takes it: `orders`, `shop.orders`, `orders as o`.
_TABLE = re.compile(r"^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)?(\s+as\s+\w+)?$", re.IGNORECASE)
_FUNCTIONS = {
    "function_declaration",
    "function_expression",
    "function",
    "arrow_function",
    "method_definition",
    "generator_function_declaration",
    "generator_function",
}
FUNCTIONS = frozenset(_FUNCTIONS)
_WRAPPERS = {"await_expression", "parenthesized_expression", "non_null_expression", "as_expression"}
_WRAPPERS |= {"satisfies_expression", "type_assertion"}


@dataclass(frozen=True)
class JKind:
    """What an expression holds: "class" (a model or Drizzle table), "repo" (a repository or
    Prisma delegate), "query" (a chain or rows), "builder" (TypeORM QueryBuilder with
    `alias`) or "instance" (one row)."""

    what: str
    model: CodeModel
    confidence: float
    alias: str | None = None

    def as_(self, what: str) -> JKind:
        return JKind(what, self.model, self.confidence, self.alias)


@dataclass
class JScope:
    env: dict[str, JKind] = field(default_factory=dict)
    parent: JScope | None = None

    def lookup(self, name: str) -> JKind | None:
        scope: JScope | None = self
        while scope is not None:
            if name in scope.env:
                return scope.env[name]
            scope = scope.parent
        return None


class JsIndex:
    """Models of every JS/TS file and the targets, shared across one run."""

    def __init__(self, models: list[CodeModel], wanted: Wanted) -> None:
        self.models = models
        self.wanted = wanted
        self.by_name = {m.name: m for m in models if m.kind != "prisma"}
        self.prisma = {m.accessor: m for m in models if m.kind == "prisma" and m.accessor}
        self.prisma_types = {m.name: m for m in models if m.kind == "prisma"}
        self._tables: dict[str, CodeModel] = {}

    def named(self, name: str) -> CodeModel | None:
        return self.by_name.get(name) or self.prisma_types.get(name)

    def table(self, name: str) -> CodeModel:
        """A model for a table reached by name (Knex): its rows carry the column names."""
        key = name.lower()
        if key not in self._tables:
            self._tables[key] = CodeModel(name, name, "table", declared=False)
        return self._tables[key]


@dataclass
class Link:
    """One call of a method chain (`.where(...)`), outermost first."""

    call: ts.Node
    method: str


def unwrap(node: ts.Node | None) -> ts.Node | None:
    while node is not None and node.type in _WRAPPERS and node.named_children:
        node = node.named_children[0]
    return node


def chain(node: ts.Node) -> tuple[list[Link], ts.Node | None]:
    """The calls of a chain (outermost first) and what the chain starts from."""
    links: list[Link] = []
    current: ts.Node | None = unwrap(node)
    while current is not None and current.type == "call_expression":
        func = current.child_by_field_name("function")
        if func is not None and func.type == "member_expression":
            prop = func.child_by_field_name("property")
            links.append(Link(current, prop.text.decode() if prop and prop.text else ""))
            current = unwrap(func.child_by_field_name("object"))
        else:
            links.append(Link(current, ""))
            return links, None
    return links, current


class JsResolver:
    """Types expressions of one file; the scanner keeps the scopes."""

    def __init__(self, file: JsFile, index: JsIndex) -> None:
        self.file = file
        self.index = index
        self.bound: dict[str, CodeModel] = {}
        text = file.source.text
        self.uses_knex = "knex" in text
        self.uses_prisma = "prisma" in text.lower()

    def bind_imports(self) -> None:
        """Names this file gives to models: imports, requires and its own declarations."""
        for model in self.index.models:
            if model.path == self.file.source.path and model.kind != "prisma":
                self.bound[model.name] = model
        stack = [self.file.tree.root_node]
        while stack:
            node = stack.pop()
            if node.type in ("import_specifier", "shorthand_property_identifier_pattern"):
                imported = node.child_by_field_name("name") or node
                alias = node.child_by_field_name("alias") or imported
                self._bind(self.file.text(imported), self.file.text(alias))
            elif node.type == "import_clause":
                for child in node.named_children:
                    if child.type == "identifier":
                        self._bind(self.file.text(child), self.file.text(child))
            elif node.type == "variable_declarator":
                declared = node.child_by_field_name("name")
                value = unwrap(node.child_by_field_name("value"))
                required = value is not None and self.file.text(value).startswith("require(")
                if declared is not None and declared.type == "identifier" and required:
                    self._bind(self.file.text(declared), self.file.text(declared))
            stack.extend(node.children)

    def _bind(self, name: str, local: str) -> None:
        model = self.index.named(name)
        if model is not None:
            self.bound[local] = model

    # -- annotations --------------------------------------------------------------------------
    def annotation(self, node: ts.Node | None) -> JKind | None:
        """`Order` -> instance, `Order[]` / `Array<Order>` -> query, `Repository<Order>` ->
        repo, `Promise<Order>` / `Order | null` -> as inside."""
        if node is None:
            return None
        if node.type == "type_annotation":
            return self.annotation(node.named_children[0] if node.named_children else None)
        if node.type == "type_identifier":
            model = self.bound.get(self.file.text(node))
            return JKind("instance", model, TYPED) if model is not None else None
        if node.type == "array_type":
            inner = self.annotation(node.named_children[0] if node.named_children else None)
            return inner.as_("query") if inner is not None else None
        if node.type == "union_type":
            for child in node.named_children:
                kind = self.annotation(child)
                if kind is not None:
                    return kind
            return None
        if node.type == "generic_type":
            name = node.child_by_field_name("name")
            args = node.child_by_field_name("type_arguments")
            inner = self.annotation(
                args.named_children[0] if args and args.named_children else None
            )
            outer = self.file.text(name)
            if inner is None:
                return None
            if outer in ("Array", "ReadonlyArray", "Set"):
                return inner.as_("query")
            if outer in ("Repository", "EntityRepository", "ModelStatic", "ModelCtor"):
                return inner.as_("repo")
            if outer in ("Promise", "Partial", "Readonly", "Required"):
                return inner
        return None

    # -- expressions --------------------------------------------------------------------------
    def kind(self, node: ts.Node | None, scope: JScope) -> JKind | None:
        node = unwrap(node)
        if node is None:
            return None
        if node.type == "identifier":
            return self._identifier(self.file.text(node), scope)
        if node.type == "this":
            return scope.lookup("this")
        if node.type == "member_expression":
            return self.member_kind(node, scope)
        if node.type == "call_expression":
            links, root = chain(node)
            found = self.chain_kind(links, root, scope)
            if found is None:
                return None
            return self._after(found, links[0].method)
        if node.type == "new_expression":
            ctor = node.child_by_field_name("constructor")
            base = self.kind(ctor, scope)
            if base is not None and base.what == "class":
                return base.as_("instance")
        if node.type == "subscript_expression":
            base = self.kind(node.child_by_field_name("object"), scope)
            if base is not None and base.what == "query":
                return base.as_("instance")
        return None

    def _identifier(self, name: str, scope: JScope) -> JKind | None:
        kind = scope.lookup(name)
        if kind is not None:
            return kind
        model = self.bound.get(name)
        if model is not None and model.kind != "prisma":
            return JKind("class", model, CERTAIN)
        for model in self.index.wanted.models:
            if model.kind == "drizzle" or model.kind == "table":
                continue
            sure = NAMED if model.name in self.bound else GUESS
            if name in instance_names(model):
                return JKind("instance", model, sure)
            if name in collection_names(model):
                return JKind("query", model, sure)
        return None

    def member_kind(self, node: ts.Node, scope: JScope) -> JKind | None:
        obj = unwrap(node.child_by_field_name("object"))
        prop = self.file.text(node.child_by_field_name("property"))
        if obj is not None and obj.type == "this":
            return scope.lookup(f"this.{prop}")
        base = self.kind(obj, scope)
        if base is not None:
            if base.what == "instance" and prop in base.model.relations:
                related = self.index.named(base.model.relations[prop])
                if related is not None:
                    return JKind("instance", related, base.confidence * TYPED)
            return None
        if prop in self.index.prisma and self.uses_prisma:
            return JKind("repo", self.index.prisma[prop], CERTAIN)
        model = self.index.by_name.get(prop)
        if model is not None and model.kind in ("sequelize", "typeorm", "drizzle"):
            return JKind("class", model, CERTAIN)  # db.Order, models.Order, db.query.orders
        return None

    def chain_kind(self, links: list[Link], root: ts.Node | None, scope: JScope) -> JKind | None:
        """What the innermost determinable part of a chain reaches: its root, or the first
        call that names a table (`from("orders")`, `getRepository(Order)`)."""
        found = self.kind(root, scope) if root is not None else None
        for link in reversed(links):
            args = arguments(link.call)
            first = args[0] if args else None
            if link.method == "":
                found = found or self._root_call(link.call, scope)
                continue
            if link.method in ("from", "into", "table", "update", "insertInto", "deleteFrom"):
                table = string_of(self.file, first)
                if table is not None and found is None and (root is None or self.uses_knex):
                    found = JKind("query", self.index.table(table), CERTAIN)
                    continue
                target = self.kind(first, scope) if first is not None else None
                if target is not None and target.what == "class" and found is None:
                    alias = string_of(self.file, args[1]) if len(args) > 1 else None
                    found = JKind("builder" if alias else "query", target.model, CERTAIN, alias)
                continue
            if link.method in ("getRepository", "getCustomRepository", "getTreeRepository"):
                target = self.kind(first, scope)
                if target is not None and target.what == "class":
                    found = target.as_("repo")
                continue
            if link.method == "createQueryBuilder":
                alias = next((string_of(self.file, a) for a in args if a.type == "string"), None)
                target = self.kind(first, scope) if first is not None else None
                if target is not None and target.what == "class":
                    found = JKind("builder", target.model, CERTAIN, alias)
                elif found is not None and found.what in ("repo", "class"):
                    found = JKind("builder", found.model, found.confidence, alias)
                continue
            if found is not None and found.what == "repo" and link.method in ONE:
                continue  # the outermost link decides (see _after)
        return found

    def _root_call(self, call: ts.Node, scope: JScope) -> JKind | None:
        func = call.child_by_field_name("function")
        args = arguments(call)
        name = self.file.text(func)
        if func is not None and func.type == "identifier" and args:
            table = string_of(self.file, args[0])
            knex_like = name in KNEX_NAMES or (self.uses_knex and name not in _NOT_KNEX)
            if table is not None and len(args) == 1 and knex_like and _TABLE.match(table):
                words = table.split()
                alias = words[2] if len(words) == 3 else None
                return JKind("query", self.index.table(words[0]), CERTAIN, alias)
            if name in ("getRepository", "getCustomRepository"):
                target = self.kind(args[0], scope)
                if target is not None and target.what == "class":
                    return target.as_("repo")
        return None

    def _after(self, kind: JKind, method: str) -> JKind | None:
        """What the outermost call of a chain returns."""
        if kind.what in ("repo", "class"):
            if method in ONE:
                return kind.as_("instance")
            if method in MANY:
                return kind.as_("query")
            return kind if method in ("getRepository", "") else None
        if kind.what == "builder":
            if method in ("getOne", "getOneOrFail"):
                return kind.as_("instance")
            if method in ("getMany", "getRawMany"):
                return kind.as_("query")
            return kind
        if kind.what == "query":
            return kind.as_("instance") if method == "first" else kind
        return kind
