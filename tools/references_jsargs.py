"""The arguments of JS/TS ORM calls: query options, Knex column strings, QueryBuilder SQL.

Once `references_jsquery` has said which model or table a call chain reaches, the arguments
say which columns it uses: keys of option objects (`where: { total }`, `select: { total:
true }`, `order: [["total", "DESC"]]`, `_sum: { total: true }`), Knex column strings
(`"total"`, `"orders.total"`, `"total as t"`, `"total desc"`), raw fragments (`whereRaw`) and
TypeORM QueryBuilder SQL (`.where("o.total > :min")`, `.orderBy("o.total")`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .references_jsmodels import JsFile, arguments, pairs, string_of
from .references_jsquery import JKind, JsIndex
from .references_sql import fragment_hits, looks_like_sql, place_hits
from .references_types import CodeModel, Match, Target, Wanted

if TYPE_CHECKING:
    import tree_sitter as ts

#: Keys of ORM query options and the role their contents play; the rest are field names.
_STRUCTURAL: dict[str, str | None] = {
    "where": "filter",
    "having": "filter",
    "cursor": "filter",
    "order": "sort",
    "orderBy": "sort",
    "group": "sort",
    "groupBy": "sort",
    "by": "sort",
    "distinct": None,
    "select": None,
    "attributes": None,
    "data": None,
    "create": None,
    "update": None,
    "set": None,
    "omit": None,
    "_sum": None,
    "_avg": None,
    "_min": None,
    "_max": None,
    "_count": None,
}
_LOGICAL = {"AND", "OR", "NOT"}
#: Link methods whose arguments filter, sort, or write.
ROLES: dict[str, str | None] = {
    "where": "filter",
    "andWhere": "filter",
    "orWhere": "filter",
    "whereNot": "filter",
    "whereIn": "filter",
    "whereNotIn": "filter",
    "whereNull": "filter",
    "whereNotNull": "filter",
    "whereBetween": "filter",
    "having": "filter",
    "andHaving": "filter",
    "orHaving": "filter",
    "findBy": "filter",
    "findOneBy": "filter",
    "findOneByOrFail": "filter",
    "countBy": "filter",
    "existsBy": "filter",
    "orderBy": "sort",
    "addOrderBy": "sort",
    "groupBy": "sort",
    "addGroupBy": "sort",
    "whereRaw": "filter",
    "orderByRaw": "sort",
    "groupByRaw": "sort",
    "havingRaw": "filter",
    "innerJoin": "filter",
    "leftJoin": "filter",
    "join": "filter",
}
#: Knex methods whose string arguments are column references.
#: Knex joins: the first argument is the joined table, the rest are columns.
_JOINS = {"join", "innerJoin", "leftJoin", "leftOuterJoin", "rightJoin", "fullOuterJoin"}
_COLUMN_METHODS = set(ROLES) - {"whereRaw", "orderByRaw", "groupByRaw", "havingRaw"}
_COLUMN_METHODS |= {"select", "pluck", "first", "increment", "decrement", "sum", "avg", "min"}
_COLUMN_METHODS |= {"max", "count", "countDistinct", "distinct", "returning", "column", "columns"}
_COLUMN_METHODS -= {"findBy", "findOneBy", "findOneByOrFail"} | _JOINS
#: Sequelize statics whose string arguments are attributes.
_ORM_STRING_METHODS = {"sum", "max", "min", "increment", "decrement", "count", "aggregate"}
_RAW_METHODS = {"whereRaw": "where", "orderByRaw": "order", "groupByRaw": "group"}
_RAW_METHODS |= {"havingRaw": "where"}
_BUILDER_CLAUSES = {
    "where": "where",
    "andWhere": "where",
    "orWhere": "where",
    "having": "where",
    "andHaving": "where",
    "orHaving": "where",
    "orderBy": "order",
    "addOrderBy": "order",
    "groupBy": "group",
    "addGroupBy": "group",
    "select": "select",
    "addSelect": "select",
}


class JsArguments:
    """Matching of call arguments; mixed into the scanner, which provides `add`."""

    file: JsFile
    index: JsIndex
    wanted: Wanted

    def add(
        self,
        node: ts.Node | int,
        match: Match,
        confidence: float,
        targets: Sequence[Target],
        role: str | None = None,
    ) -> None:
        raise NotImplementedError

    def _link(self, call: ts.Node, method: str, kind: JKind, role: str | None) -> None:
        args = arguments(call)
        model = kind.model
        sure = kind.confidence
        if kind.what == "builder":
            self._builder(args, method, kind, role)
            return
        if model.kind == "table" or kind.what == "query":
            if method in _RAW_METHODS and args:
                self._fragment(args[0], model, _RAW_METHODS[method], None, sure)
                return
            if method in _COLUMN_METHODS:
                for arg in args:
                    self._columns(arg, model, role, sure, kind.alias)
            elif method in _JOINS:
                for arg in args[1:]:
                    self._columns(arg, model, "filter", sure, kind.alias)
        if kind.what in ("repo", "class") and method in _ORM_STRING_METHODS:
            for arg in args:
                self._columns(arg, model, role, sure, None)
        for arg in args:
            if arg.type == "object":
                self._options(arg, model, role, sure, top=True)

    def _columns(
        self, node: ts.Node, model: CodeModel, role: str | None, sure: float, alias: str | None
    ) -> None:
        """Column references in Knex arguments: `"total"`, `"orders.total"`, `"total as t"`,
        `"total desc"`, arrays of those, `{ column: "total" }`."""
        if node.type == "array":
            for child in node.named_children:
                self._columns(child, model, role, sure, alias)
            return
        if node.type == "object":
            for key, _, value in pairs(node):
                if key == "column" and value is not None:
                    self._columns(value, model, role, sure, alias)
            return
        text = string_of(self.file, node)
        if text is None:
            return
        head = text.strip().split()[0] if text.strip() else ""
        prefix, _, column = head.rpartition(".")
        if prefix and prefix.lower() not in (model.table.lower(), (alias or "").lower()):
            if model.kind != "table":
                return
            model = self.index.table(prefix)  # a joined table: `"products.price"`
        self.add(node, Match.QUERY, sure, self.wanted.attr(model, column), role)

    def _options(
        self, node: ts.Node, model: CodeModel, role: str | None, sure: float, top: bool = False
    ) -> None:
        """Keys and strings of ORM query options: structural keys (`where`, `select`, `order`
        ...) lead to field names; relations lead to the related model's fields."""
        if node.type == "array":
            for child in node.named_children:
                self._options(child, model, role, sure)
            return
        if node.type == "string":
            text = string_of(self.file, node) or ""
            self.add(node, Match.QUERY, sure, self.wanted.attr(model, text), role)
            return
        for key, key_node, value in pairs(node):
            nested = key in ("select", "orderBy", "where") and model.column_of(key) is None
            if key in _STRUCTURAL and value is not None and (top or nested):
                self._options(value, model, _STRUCTURAL[key] or role, sure)
                continue
            if key in _LOGICAL and value is not None:
                self._options(value, model, role, sure)
                continue
            related = model.relations.get(key)
            if related is not None:
                target = self.index.named(related)
                if target is not None and value is not None and value.type == "object":
                    self._options(value, target, role, sure)
                continue
            self.add(key_node, Match.QUERY, sure, self.wanted.attr(model, key), role)

    def _builder(self, args: list[ts.Node], method: str, kind: JKind, role: str | None) -> None:
        """TypeORM QueryBuilder fragments: `.where("o.total > :min")`, `.orderBy("o.total")`,
        `.select(["o.id", "o.total"])`, `.set({ total })`."""
        clause = _BUILDER_CLAUSES.get(method)
        for k, arg in enumerate(args):
            if k > 0 and arg.type != "object":
                continue  # `.select("o.total", "alias")`, `.orderBy("o.total", "DESC")`
            if clause is not None and arg.type in ("string", "template_string"):
                self._fragment(arg, kind.model, clause, kind.alias, kind.confidence)
            elif clause is not None and arg.type == "array":
                for item in arg.named_children:
                    self._fragment(item, kind.model, clause, kind.alias, kind.confidence)
            elif arg.type == "object" and method in ("orderBy", "addOrderBy"):
                for _, key_node, _ in pairs(arg):
                    self._fragment(key_node, kind.model, "order", kind.alias, kind.confidence)
            elif arg.type == "object" and method in ("set", "values"):
                self._options(arg, kind.model, None, kind.confidence, top=True)

    def _fragment(
        self, node: ts.Node, model: CodeModel, clause: str, alias: str | None, sure: float
    ) -> None:
        text = self._string_value(node)
        if text is None or looks_like_sql(text):
            return
        segment = self.file.text(node)
        start = self.file.offset(node)
        probes: list[tuple[Target, Target]] = []  # (what the SQL names, the target it stands for)
        for target in self.wanted.columns():
            if model.kind == "table" or not model.is_for(target.table):
                probes.append((target, target))  # Knex SQL names columns, joins included
                continue
            column = target.column or ""
            names = dict.fromkeys([*model.attrs_for(column), column])  # properties or columns
            for name in names:
                probes.append((Target(target.table, name, target.kind, target.new_name), target))
        for probe, target in probes:
            hits = fragment_hits(text, model.table, [probe], clause, alias)
            for at, hit in place_hits(segment, text, hits):
                self.add(start + at, Match.QUERY, min(sure, hit.confidence), [target], hit.role)

    def _string_value(self, node: ts.Node) -> str | None:
        if node.type == "string":
            return string_of(self.file, node)
        if node.type == "property_identifier":
            return self.file.text(node)
        if node.type == "template_string":
            parts = []
            for child in node.named_children:
                if child.type == "template_substitution":
                    parts.append("?")
                elif child.type in ("string_fragment", "escape_sequence"):
                    parts.append(self.file.text(child))
            return "".join(parts)
        return None
