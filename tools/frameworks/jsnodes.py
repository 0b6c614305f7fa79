"""The JavaScript/TypeScript syntax tree the JS renderers build (see `jsrender` for printing).

Expressions (`Raw`, `Str`, `Member`, `Call`, `Obj`, `Arr`, `Arrow`, `Function`, `Method`,
`Await`) and statements (`ExprStmt`, `Return`, `Assign`, `Const`, `FunctionDecl`, `Comment`,
`Lines`, `Blank`, `Try`) cover what migration and model files need; `call`, `chain` and `obj`
build the common shapes from plain Python values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class Node:
    """An expression."""


@dataclass(frozen=True)
class Raw(Node):
    """Source text printed as is: identifiers, numbers, `true`, `null`, a TS type."""

    text: str


@dataclass(frozen=True)
class Str(Node):
    value: str


@dataclass(frozen=True)
class Member(Node):
    obj: Node
    name: str


@dataclass(frozen=True)
class Call(Node):
    callee: Node
    args: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Obj(Node):
    """An object literal. A property whose value is `Raw(key)` prints as shorthand (`{ x }`)."""

    props: tuple[tuple[str, Node], ...]
    expand: bool = False
    #: An empty line between properties when expanded (methods of a module object).
    spaced: bool = False


@dataclass(frozen=True)
class Arr(Node):
    items: tuple[Node, ...]
    expand: bool = False


@dataclass(frozen=True)
class Arrow(Node):
    """`async (a, b) => { ... }` with a block body."""

    params: tuple[str, ...]
    body: tuple[Stmt, ...]
    is_async: bool = False


@dataclass(frozen=True)
class Function(Node):
    """`async function (a) { ... }` (prettier puts a space after `function`)."""

    params: tuple[str, ...]
    body: tuple[Stmt, ...]
    is_async: bool = False


@dataclass(frozen=True)
class Method(Node):
    """An object or class method: `async up(queryInterface, Sequelize) { ... }`.

    `prefix` holds modifiers (`public async`), `returns` a TS return type.
    """

    params: tuple[str, ...]
    body: tuple[Stmt, ...]
    prefix: str = ""
    returns: str = ""


@dataclass(frozen=True)
class Await(Node):
    expr: Node


class Stmt:
    """A statement."""


@dataclass(frozen=True)
class ExprStmt(Stmt):
    expr: Node


@dataclass(frozen=True)
class Return(Stmt):
    expr: Node


@dataclass(frozen=True)
class Assign(Stmt):
    """`target = value;` (`exports.up = ...`, `module.exports = {...}`)."""

    target: str
    value: Node


@dataclass(frozen=True)
class Const(Stmt):
    """`const name = value;` (`keyword` may be `let`)."""

    name: str
    value: Node
    keyword: str = "const"


@dataclass(frozen=True)
class FunctionDecl(Stmt):
    """`export async function up(knex: Knex): Promise<void> { ... }`; `prefix` precedes it."""

    name: str
    params: tuple[str, ...]
    body: tuple[Stmt, ...]
    prefix: str = ""
    returns: str = ""


@dataclass(frozen=True)
class Comment(Stmt):
    """`// text` lines (a multi-line text gives one comment line per line)."""

    text: str


@dataclass(frozen=True)
class Lines(Stmt):
    """Verbatim lines (a JSDoc block, a directive), indented with the block."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class Blank(Stmt):
    """One empty line between statements."""


@dataclass(frozen=True)
class Try(Stmt):
    """`try { ... } catch (name) { ... }`."""

    body: tuple[Stmt, ...]
    error: str
    handler: tuple[Stmt, ...]


def call(path: str, *args: Node | str | int | bool | None) -> Call:
    """`call("knex.schema.createTable", "users", arrow)`: a dotted callee, plain values wrapped."""
    return Call(dotted(path), tuple(value(a) for a in args))


def dotted(path: str) -> Node:
    head, *rest = path.split(".")
    node: Node = Raw(head)
    for name in rest:
        node = Member(node, name)
    return node


def chain(head: Node, *calls: tuple[str, Sequence[Node | str | int | bool | None]]) -> Node:
    """`head.a(x).b()`: each (name, args) pair becomes one call on the previous result."""
    node = head
    for name, args in calls:
        node = Call(Member(node, name), tuple(value(a) for a in args))
    return node


def value(v: Node | str | int | float | bool | None) -> Node:
    """A Python value as a node: str -> Str, numbers and booleans -> Raw, None -> null."""
    if isinstance(v, Node):
        return v
    if v is None:
        return Raw("null")
    if isinstance(v, bool):
        return Raw("true" if v else "false")
    if isinstance(v, int | float):
        return Raw(repr(v))
    return Str(v)


def obj(expand: bool = False, **props: Node | str | int | bool | None) -> Obj:
    return Obj(tuple((k, value(v)) for k, v in props.items()), expand)


def props(items: Mapping[str, Node | str | int | bool | None], expand: bool = False) -> Obj:
    """`obj` for keys that are not Python identifiers or come as a dict."""
    return Obj(tuple((k, value(v)) for k, v in items.items()), expand)
