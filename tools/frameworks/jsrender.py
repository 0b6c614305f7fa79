"""Writing JavaScript and TypeScript the way prettier would print it.

Knex, Sequelize, TypeORM and Drizzle renderers emit small programs: a few statements of calls,
member chains, object literals and arrow functions. Building those as strings invites quoting
bugs and lines that a repo's formatter rewrites on the next commit, so renderers build a tiny
tree of nodes (`Call`, `Member`, `Obj`, `Arrow` ...) and `print_module` lays it out with the
subset of prettier's rules such code needs:

- a call stays on one line when it fits; otherwise a last object or function argument is
  "hugged" (`fn(a, {` ... `})`) unless the argument before it is of the same kind; otherwise
  every argument goes on its own line with a trailing comma;
- a member chain (`table.integer('x').notNullable().references('id')`) stays on one line when
  it has few calls or fits, and otherwise puts one call per line, as prettier's member-chain
  printer does (a short head such as `t` keeps its first call);
- objects print flat when they fit unless the renderer asks for them expanded (prettier keeps
  an object expanded when its source has a newline after `{`, so both are stable);
- strings take the configured quote unless the other one needs fewer escapes.

`JsStyle` holds what differs between repos (quotes, semicolons, indent, print width, trailing
commas); `style_for` reads it from the repo's prettier config or, without one, infers it from
existing files. The tests check the output against the real prettier.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .jsnodes import (
    Arr,
    Arrow,
    Assign,
    Await,
    Blank,
    Call,
    Comment,
    Const,
    ExprStmt,
    Function,
    FunctionDecl,
    Lines,
    Member,
    Method,
    Node,
    Obj,
    Raw,
    Return,
    Stmt,
    Str,
    Try,
    call,
    chain,
    dotted,
    obj,
    props,
    value,
)
from .jsstyle import JsStyle, key, prettier_config, quote, style_for


@dataclass
class Printer:
    style: JsStyle
    _flat_cache: dict[int, str | None] = field(default_factory=dict)

    # -- flat forms --------------------------------------------------------------------------
    def flat(self, node: Node) -> str | None:
        """The one-line form, or None when the node cannot be on one line (a block body)."""
        s = self.style
        if isinstance(node, Raw):
            return node.text
        if isinstance(node, Str):
            return quote(node.value, s)
        if isinstance(node, Member):
            inner = self.flat(node.obj)
            return None if inner is None else f"{inner}.{node.name}"
        if isinstance(node, Call):
            callee = self.flat(node.callee)
            args = [self.flat(a) for a in node.args]
            if callee is None or any(a is None for a in args):
                return None
            return f"{callee}({', '.join(str(a) for a in args)})"
        if isinstance(node, Obj):
            if node.expand:
                return None
            if not node.props:
                return "{}"
            parts = []
            for k, v in node.props:
                text = self.flat(v)
                if text is None:
                    return None
                parts.append(k if isinstance(v, Raw) and v.text == k else f"{key(k, s)}: {text}")
            return "{ " + ", ".join(parts) + " }"
        if isinstance(node, Arr):
            items = [self.flat(i) for i in node.items]
            if node.expand or any(i is None for i in items):
                return None
            return "[" + ", ".join(str(i) for i in items) + "]"
        if isinstance(node, Await):
            inner = self.flat(node.expr)
            return None if inner is None else f"await {inner}"
        return None  # functions have block bodies

    # -- laid-out forms ----------------------------------------------------------------------
    def expr(self, node: Node, level: int, col: int, tail: int = 0) -> str:
        """`node` starting at column `col` inside a block at `level`, `tail` chars after it."""
        text = self.flat(node)
        fits = text is not None and col + len(text) + tail <= self.style.width
        if fits and not (isinstance(node, Call | Member) and self._chain_must_break(node)):
            return str(text)
        if isinstance(node, Await):
            return "await " + self.expr(node.expr, level, col + 6, tail)
        if isinstance(node, Call) and not isinstance(node.callee, Member):
            callee = self.flat(node.callee) or ""
            return callee + self._arguments(node.args, level, col + len(callee), tail)
        if isinstance(node, Call | Member):
            return self._chain(node, level, col, tail)
        if isinstance(node, Obj):
            return self._object(node, level)
        if isinstance(node, Arr):
            return self._array(node, level)
        if isinstance(node, Arrow | Function | Method):
            return self._function(node, level)
        return text if text is not None else ""

    def _pad(self, level: int) -> str:
        return self.style.indent * level

    def _width(self, level: int) -> int:
        return len(self._pad(level).replace("\t", "  "))

    def _comma(self) -> str:
        return "," if self.style.trailing_comma else ""

    def _object(self, node: Obj, level: int) -> str:
        if not node.props:
            return "{}"
        inner = self._pad(level + 1)
        lines = []
        for k, v in node.props:
            if isinstance(v, Raw) and v.text == k:
                lines.append(f"{inner}{k},")
                continue
            head = f"{key(k, self.style)}: "
            if isinstance(v, Method):
                text = self._function(v, level + 1, name=k)
                lines.append(f"{inner}{text},")
                continue
            text = self.expr(v, level + 1, self._width(level + 1) + len(head), 1)
            lines.append(f"{inner}{head}{text},")
        if not self.style.trailing_comma:
            lines[-1] = lines[-1][:-1]
        joiner = "\n\n" if node.spaced else "\n"
        return "{\n" + joiner.join(lines) + "\n" + self._pad(level) + "}"

    def _array(self, node: Arr, level: int) -> str:
        if not node.items:
            return "[]"
        inner = self._pad(level + 1)
        lines = [
            f"{inner}{self.expr(i, level + 1, self._width(level + 1), 1)}," for i in node.items
        ]
        if not self.style.trailing_comma:
            lines[-1] = lines[-1][:-1]
        return "[\n" + "\n".join(lines) + "\n" + self._pad(level) + "]"

    def _function(self, node: Arrow | Function | Method, level: int, name: str = "") -> str:
        params = ", ".join(node.params)
        if isinstance(node, Arrow):
            head = f"{'async ' if node.is_async else ''}({params}) => {{"
        elif isinstance(node, Function):
            head = f"{'async ' if node.is_async else ''}function ({params}) {{"
        else:
            prefix = f"{node.prefix} " if node.prefix else ""
            returns = f": {node.returns}" if node.returns else ""
            head = f"{prefix}{name}({params}){returns} {{"
        body = self.block(node.body, level + 1)
        return head + "\n" + body + ("\n" if body else "") + self._pad(level) + "}"

    # -- calls and member chains ---------------------------------------------------------------
    def _links(self, node: Node) -> tuple[Node, list[tuple[str, tuple[Node, ...] | None]]]:
        """`a.b.c(x).d()` -> (Raw a, [(b, None), (c, (x,)), (d, ())])."""
        links: list[tuple[str, tuple[Node, ...] | None]] = []
        while True:
            if isinstance(node, Call) and isinstance(node.callee, Member):
                links.append((node.callee.name, node.args))
                node = node.callee.obj
            elif isinstance(node, Member):
                links.append((node.name, None))
                node = node.obj
            else:
                break
        links.reverse()
        return node, links

    def _groups(
        self, node: Node
    ) -> tuple[str, list[tuple[str, tuple[Node, ...] | None]], list[list[tuple[str, Any]]]]:
        base, links = self._links(node)
        head = self.flat(base) or ""
        # prettier's first group: the head and the plain member accesses before the last one
        # that leads into a call (`knex.schema` of `knex.schema.createTable(...)`).
        i = 0
        while i + 1 < len(links) and links[i][1] is None and links[i + 1][1] is None:
            head += "." + links[i][0]
            i += 1
        groups: list[list[tuple[str, Any]]] = []
        for name, args in links[i:]:
            if groups and groups[-1][-1][1] is None:
                groups[-1].append((name, args))
            else:
                groups.append([(name, args)])
        return head, links[i:], groups

    def _chain_must_break(self, node: Call | Member) -> bool:
        """prettier breaks a chain of more than two calls when one has a function argument."""
        _head, _, groups = self._groups(node)
        calls = [args for g in groups for _, args in g if args is not None]
        return len(calls) > 2 and any(not self._simple(a) for args in calls for a in args)

    def _simple(self, node: Node, depth: int = 0) -> bool:
        """prettier's isSimpleCallArgument, for the nodes we emit."""
        if isinstance(node, Raw | Str):
            return True
        if isinstance(node, Obj):
            return not node.expand and all(self._simple(v, depth) for _, v in node.props)
        if isinstance(node, Arr):
            return all(self._simple(i, depth) for i in node.items)
        if isinstance(node, Member):
            return self._simple(node.obj, depth)
        if isinstance(node, Call):
            return depth < 2 and all(self._simple(a, depth + 1) for a in node.args)
        return False

    def _chain(self, node: Call | Member, level: int, col: int, tail: int) -> str:
        head, _links, groups = self._groups(node)
        short = len(head) <= len(self.style.indent.replace("\t", "  ")) or head == "this"
        factory = bool(re.match(r"^[A-Z]|^[$_]+$", head)) and "." not in head
        merge = len(groups) >= 2 and (short or factory)
        cutoff = 3 if merge else 2
        if len(groups) <= cutoff and not self._chain_must_break(node):
            return self._one_line(head, groups, level, col, tail)
        text = head
        start = 0
        if merge:
            text = self._one_line(head, groups[:1], level, col, 0)
            start = 1
        pad = self._pad(level + 1)
        for i, group in enumerate(groups[start:], start):
            last = i == len(groups) - 1
            text += (
                "\n"
                + pad
                + self._group(group, level + 1, self._width(level + 1), tail if last else 0)
            )
        return text

    def _one_line(
        self, head: str, groups: list[list[tuple[str, Any]]], level: int, col: int, tail: int
    ) -> str:
        text = head
        for i, group in enumerate(groups):
            last = i == len(groups) - 1
            text += self._group(
                group,
                level,
                col + len(text.rsplit("\n", 1)[-1])
                if "\n" not in text
                else len(text.rsplit("\n", 1)[-1]),
                tail if last else 0,
            )
        return text

    def _group(self, group: list[tuple[str, Any]], level: int, col: int, tail: int) -> str:
        text = ""
        for j, (name, args) in enumerate(group):
            text += "." + name
            if args is not None:
                last = j == len(group) - 1
                text += self._arguments(args, level, col + len(text), tail if last else 0)
        return text

    def _arguments(self, args: tuple[Node, ...], level: int, col: int, tail: int) -> str:
        flats = [self.flat(a) for a in args]
        if all(f is not None for f in flats):
            flat = "(" + ", ".join(str(f) for f in flats) + ")"
            if col + len(flat) + tail <= self.style.width:
                return flat
        if args and self._huggable(args):
            before = flats[:-1]
            if all(f is not None for f in before):
                opening = "(" + "".join(f"{f}, " for f in before)
                last = args[-1]
                first_line = self._first_line(last, level)
                if col + len(opening) + len(first_line) <= self.style.width:
                    body = self._hugged(last, level)
                    return opening + body + ")"
        pad = self._pad(level + 1)
        lines = [pad + self.expr(a, level + 1, self._width(level + 1), 1) + "," for a in args]
        if not self.style.trailing_comma:
            lines[-1] = lines[-1][:-1]
        return "(\n" + "\n".join(lines) + "\n" + self._pad(level) + ")"

    def _huggable(self, args: tuple[Node, ...]) -> bool:
        last = args[-1]
        kinds = (Obj, Arr, Arrow, Function)
        if not isinstance(last, kinds):
            return False
        if len(args) > 1 and isinstance(args[-2], type(last)):
            return False
        return not any(isinstance(a, Arrow | Function) for a in args[:-1])

    def _first_line(self, node: Node, level: int) -> str:
        if isinstance(node, Obj):
            return "{"
        if isinstance(node, Arr):
            return "["
        return self._function(node, level).split("\n", 1)[0]  # type: ignore[arg-type]

    def _hugged(self, node: Node, level: int) -> str:
        if isinstance(node, Obj):
            return self._object(node, level)
        if isinstance(node, Arr):
            return self._array(node, level)
        return self._function(node, level)  # type: ignore[arg-type]

    # -- statements --------------------------------------------------------------------------
    def block(self, body: Sequence[Stmt], level: int) -> str:
        return "\n".join(self.statement(s, level) for s in body)

    def statement(self, stmt: Stmt, level: int) -> str:
        pad = self._pad(level)
        col = self._width(level)
        end = self.style.end
        if isinstance(stmt, Blank):
            return ""
        if isinstance(stmt, Comment):
            return "\n".join(f"{pad}// {line}".rstrip() for line in stmt.text.splitlines())
        if isinstance(stmt, Lines):
            return "\n".join(f"{pad}{line}".rstrip() for line in stmt.lines)
        if isinstance(stmt, ExprStmt):
            return pad + self.expr(stmt.expr, level, col, len(end)) + end
        if isinstance(stmt, Return):
            return pad + "return " + self.expr(stmt.expr, level, col + 7, len(end)) + end
        if isinstance(stmt, Assign):
            lead = f"{stmt.target} = "
            return pad + lead + self.expr(stmt.value, level, col + len(lead), len(end)) + end
        if isinstance(stmt, Const):
            lead = f"{stmt.keyword} {stmt.name} = "
            return pad + lead + self.expr(stmt.value, level, col + len(lead), len(end)) + end
        if isinstance(stmt, FunctionDecl):
            prefix = f"{stmt.prefix} " if stmt.prefix else ""
            returns = f": {stmt.returns}" if stmt.returns else ""
            params = ", ".join(stmt.params)
            body = self.block(stmt.body, level + 1)
            return (
                f"{pad}{prefix}function {stmt.name}({params}){returns} {{\n"
                + (body + "\n" if body else "")
                + f"{pad}}}"
            )
        if isinstance(stmt, Try):
            return (
                f"{pad}try {{\n{self.block(stmt.body, level + 1)}\n{pad}}} catch ({stmt.error}) "
                f"{{\n{self.block(stmt.handler, level + 1)}\n{pad}}}"
            )
        raise TypeError(f"cannot print {type(stmt).__name__}")


def print_module(body: Sequence[Stmt], style: JsStyle) -> str:
    """A whole file: top-level statements, ending with one newline."""
    return Printer(style).block(body, 0).rstrip("\n") + "\n"


def print_expr(node: Node, style: JsStyle, level: int = 0, col: int = 0) -> str:
    return Printer(style).expr(node, level, col)


__all__ = [
    "Arr",
    "Arrow",
    "Assign",
    "Await",
    "Blank",
    "Call",
    "Comment",
    "Const",
    "ExprStmt",
    "Function",
    "FunctionDecl",
    "JsStyle",
    "Lines",
    "Member",
    "Method",
    "Node",
    "Obj",
    "Printer",
    "Raw",
    "Return",
    "Stmt",
    "Str",
    "Try",
    "call",
    "chain",
    "dotted",
    "key",
    "obj",
    "prettier_config",
    "print_expr",
    "print_module",
    "props",
    "quote",
    "style_for",
    "value",
]
