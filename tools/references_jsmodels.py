"""JavaScript/TypeScript models read with tree-sitter: TypeORM, Sequelize, Drizzle, Prisma.

- TypeORM: `@Entity("orders") class Order` (or `@Entity()`: snake_case of the class), its
  `@Column(...)` properties (`name:` option or the property's own name), relations with
  `@JoinColumn({ name })` (default `<property>Id`).
- Sequelize: `sequelize.define("Order", { total: ... }, { tableName })` and
  `class Order extends Model {}; Order.init({...}, {...})`; the table is `tableName`, or the
  model name (pluralised unless `freezeTableName`); `field:` and `underscored` name columns.
- Drizzle: `export const orders = pgTable("orders", { total: numeric("total") })`.
- Prisma: `model Order { total Decimal @map("total_amount") @@map("orders") }` in
  schema.prisma; the client reaches it as `prisma.order`.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

from .errors import ConfigError
from .references_types import CodeModel, Source, pluralize, snake_case

if TYPE_CHECKING:
    import tree_sitter as ts

_COLUMN_DECORATORS = {
    "Column",
    "PrimaryColumn",
    "PrimaryGeneratedColumn",
    "CreateDateColumn",
    "UpdateDateColumn",
    "DeleteDateColumn",
    "VersionColumn",
    "ObjectIdColumn",
    "ViewColumn",
}
_JOIN_RELATIONS = {"ManyToOne", "OneToOne"}
_LIST_RELATIONS = {"OneToMany", "ManyToMany"}
_DRIZZLE_TABLES = {"pgTable", "mysqlTable", "sqliteTable", "table", "singlestoreTable"}
_TS = (".ts", ".mts", ".cts")


@cache
def parser_for(key: str) -> ts.Parser:
    """A tree-sitter parser for "js" (JSX included), "ts" or "tsx"."""
    try:
        import tree_sitter
        import tree_sitter_javascript as tsj
        import tree_sitter_typescript as tst
    except ImportError as exc:
        raise ConfigError(
            f"reading JavaScript/TypeScript code needs the tree-sitter grammars ({exc.name})",
            "pip install tree-sitter tree-sitter-javascript tree-sitter-typescript",
        ) from exc
    if key == "tsx":
        language = tst.language_tsx()
    elif key == "ts":
        language = tst.language_typescript()
    else:
        language = tsj.language()
    return tree_sitter.Parser(tree_sitter.Language(language))


def parser_key(path: str) -> str:
    return "tsx" if path.endswith(".tsx") else "ts" if path.endswith(_TS) else "js"


class JsFile:
    """A parsed JS/TS file: its tree and byte-offset to text-offset mapping."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.data = source.text.encode()
        self.ascii = len(self.data) == len(source.text)
        self.tree = parser_for(parser_key(source.path)).parse(self.data)

    def offset(self, node: ts.Node) -> int:
        if self.ascii:
            return node.start_byte
        return len(self.data[: node.start_byte].decode(errors="ignore"))

    def text(self, node: ts.Node | None) -> str:
        if node is None:
            return ""
        return self.data[node.start_byte : node.end_byte].decode(errors="replace")


def walk(node: ts.Node) -> Iterator[ts.Node]:
    """Every node below `node`, depth first, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def string_of(file: JsFile, node: ts.Node | None) -> str | None:
    """The value of a plain string literal (no escapes decoded beyond the common ones)."""
    if node is None or node.type != "string":
        return None
    return "".join(file.text(c) for c in node.named_children if c.type == "string_fragment")


def call_name(file: JsFile, node: ts.Node) -> str:
    """The last name of a call's function (`Column` for `@Column(...)`, `define` for
    `sequelize.define(...)`)."""
    func = node.child_by_field_name("function") if node.type == "call_expression" else node
    if func is None:
        return ""
    if func.type == "member_expression":
        return file.text(func.child_by_field_name("property"))
    return file.text(func) if func.type == "identifier" else ""


def arguments(node: ts.Node) -> list[ts.Node]:
    args = node.child_by_field_name("arguments")
    if args is None:
        return []
    return [c for c in args.named_children if c.type != "comment"]


def pairs(node: ts.Node | None) -> list[tuple[str, ts.Node, ts.Node | None]]:
    """(key, key node, value node) of an object literal; shorthand `{ total }` has no value."""
    if node is None or node.type != "object":
        return []
    out: list[tuple[str, ts.Node, ts.Node | None]] = []
    for child in node.named_children:
        if child.type == "pair":
            key = child.child_by_field_name("key")
            if key is None:
                continue
            name = key.text.decode(errors="replace") if key.text else ""
            if key.type == "string":
                name = name[1:-1]
            elif key.type not in ("property_identifier", "identifier", "number"):
                continue  # [Op.gt] and other computed keys
            out.append((name, key, child.child_by_field_name("value")))
        elif child.type == "shorthand_property_identifier":
            out.append((child.text.decode() if child.text else "", child, None))
    return out


def decorators(node: ts.Node) -> list[ts.Node]:
    """Decorators of a class (also those written before `export`) or of a property."""
    found = [c for c in node.children if c.type == "decorator"]
    parent = node.parent
    if (
        node.type == "class_declaration"
        and parent is not None
        and parent.type == "export_statement"
    ):
        found = [c for c in parent.children if c.type == "decorator"] + found
    return found


def decorator_call(node: ts.Node) -> ts.Node | None:
    inner = node.named_children[0] if node.named_children else None
    return inner if inner is not None and inner.type == "call_expression" else None


# ---------------------------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------------------------


def discover_js_models(files: list[JsFile]) -> list[CodeModel]:
    models: list[CodeModel] = []
    for file in files:
        inits: dict[str, CodeModel] = {}
        for node in walk(file.tree.root_node):
            if node.type == "class_declaration":
                entity = _typeorm_entity(file, node)
                if entity is not None:
                    models.append(entity)
            elif node.type == "call_expression":
                name = call_name(file, node)
                if name == "define":
                    model = _sequelize_define(file, node)
                elif name == "init":
                    model = _sequelize_init(file, node)
                elif name in _DRIZZLE_TABLES:
                    model = _drizzle_table(file, node)
                else:
                    model = None
                if model is not None and model.name not in inits:
                    inits[model.name] = model
                    models.append(model)
    return models


def _position(file: JsFile, node: ts.Node) -> tuple[str, int, int]:
    return (file.source.path, node.start_point[0] + 1, node.start_point[1])


def _typeorm_entity(file: JsFile, node: ts.Node) -> CodeModel | None:
    entity = None
    for decorator in decorators(node):
        call = decorator_call(decorator)
        if call is not None and call_name(file, call) == "Entity":
            entity = call
    if entity is None:
        return None
    name_node = node.child_by_field_name("name")
    name = file.text(name_node)
    args = arguments(entity)
    table = string_of(file, args[0]) if args else None
    if table is None and args:
        table = next((string_of(file, v) for k, _, v in pairs(args[0]) if k == "name"), None)
    start = name_node or node
    model = CodeModel(
        name, table or snake_case(name), "typeorm", file.source.path, *_position(file, start)[1:]
    )
    body = node.child_by_field_name("body")
    for member in body.named_children if body is not None else []:
        if member.type not in ("public_field_definition", "field_definition"):
            continue
        prop = member.child_by_field_name("name") or member.child_by_field_name("property")
        if prop is None:
            continue
        attr = file.text(prop)
        for decorator in decorators(member):
            call = decorator_call(decorator)
            kind = call_name(file, call) if call is not None else ""
            options = (
                next((a for a in arguments(call) if a.type == "object"), None) if call else None
            )
            named = next((string_of(file, v) for k, _, v in pairs(options) if k == "name"), None)
            if kind in _COLUMN_DECORATORS:
                model.fields[attr] = named or attr
                model.field_pos[attr] = _position(file, prop)
            elif kind == "JoinColumn":
                model.fields[attr] = named or f"{attr}Id"
                model.field_pos[attr] = _position(file, prop)
            elif kind in _JOIN_RELATIONS | _LIST_RELATIONS and call is not None:
                model.relations[attr] = _related(file, call)
                if kind in _JOIN_RELATIONS and attr not in model.fields:
                    model.fields[attr] = f"{attr}Id"
    return model


def _related(file: JsFile, call: ts.Node) -> str:
    """`@ManyToOne(() => Customer, ...)` -> "Customer"."""
    args = arguments(call)
    if not args:
        return ""
    first = args[0]
    if first.type == "arrow_function":
        body = first.child_by_field_name("body")
        return file.text(body) if body is not None and body.type == "identifier" else ""
    return string_of(file, first) or file.text(first)


def _declared_name(file: JsFile, node: ts.Node) -> str | None:
    """The variable a call's result is assigned to (`const Order = sequelize.define(...)`)."""
    parent = node.parent
    while parent is not None and parent.type in ("await_expression", "parenthesized_expression"):
        parent = parent.parent
    if parent is not None and parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        if name is not None and name.type == "identifier":
            return file.text(name)
    return None


def _sequelize_attributes(
    file: JsFile, model: CodeModel, attrs: ts.Node, options: ts.Node | None
) -> None:
    option = {k: v for k, _, v in pairs(options)}
    underscored = (
        option.get("underscored") is not None and file.text(option["underscored"]) == "true"
    )
    for key, key_node, value in pairs(attrs):
        field = next((string_of(file, v) for k, _, v in pairs(value) if k == "field"), None)
        model.fields[key] = field or (snake_case(key) if underscored else key)
        model.field_pos[key] = _position(file, key_node)


def _sequelize_table(file: JsFile, model_name: str, options: ts.Node | None) -> str:
    option = {k: v for k, _, v in pairs(options)}
    explicit = string_of(file, option.get("tableName"))
    if explicit:
        return explicit
    frozen = option.get("freezeTableName")
    if frozen is not None and file.text(frozen) == "true":
        return model_name
    return pluralize(model_name)


def _sequelize_define(file: JsFile, node: ts.Node) -> CodeModel | None:
    args = arguments(node)
    if len(args) < 2 or args[1].type != "object":
        return None
    model_name = string_of(file, args[0])
    if model_name is None:
        return None
    options = args[2] if len(args) > 2 and args[2].type == "object" else None
    name = _declared_name(file, node) or model_name
    table = _sequelize_table(file, model_name, options)
    model = CodeModel(name, table, "sequelize", *_position(file, args[0]))
    _sequelize_attributes(file, model, args[1], options)
    return model


def _sequelize_init(file: JsFile, node: ts.Node) -> CodeModel | None:
    func = node.child_by_field_name("function")
    args = arguments(node)
    if func is None or func.type != "member_expression" or not args or args[0].type != "object":
        return None
    target = func.child_by_field_name("object")
    if target is None or target.type != "identifier":
        return None
    name = file.text(target)
    options = args[1] if len(args) > 1 and args[1].type == "object" else None
    model_name = next((string_of(file, v) for k, _, v in pairs(options) if k == "modelName"), None)
    table = _sequelize_table(file, model_name or name, options)
    model = CodeModel(name, table, "sequelize", *_position(file, target))
    _sequelize_attributes(file, model, args[0], options)
    return model


def _drizzle_table(file: JsFile, node: ts.Node) -> CodeModel | None:
    args = arguments(node)
    if len(args) < 2 or args[1].type != "object":
        return None
    table = string_of(file, args[0])
    name = _declared_name(file, node)
    if table is None or name is None:
        return None
    model = CodeModel(name, table, "drizzle", *_position(file, args[0]))
    for key, key_node, value in pairs(args[1]):
        column = _innermost_string(file, value) or key
        model.fields[key] = column
        model.field_pos[key] = _position(file, key_node)
    return model


def _innermost_string(file: JsFile, node: ts.Node | None) -> str | None:
    """`numeric("total", {...}).notNull()` -> "total"."""
    while node is not None and node.type == "call_expression":
        func = node.child_by_field_name("function")
        if func is not None and func.type == "member_expression":
            node = func.child_by_field_name("object")
            continue
        args = arguments(node)
        return string_of(file, args[0]) if args else None
    return None
