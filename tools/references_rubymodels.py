"""Active Record models and Ruby source helpers, read with tree-sitter-ruby.

A model is a class inheriting from `ApplicationRecord` / `ActiveRecord::Base` (or another
model); its table is `self.table_name` or the pluralised snake_case class name. Active Record
declares no columns (it reads them from the database), so a model keeps only what the class
says: `alias_attribute`s and associations (`belongs_to :customer`, `has_many :orders`).
ERB views are parsed as Ruby of the same length (`erb_as_ruby`), so offsets stay the view's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from .errors import ConfigError
from .references_types import CodeModel, Source, pluralize, snake_case

if TYPE_CHECKING:
    import tree_sitter as ts

BASES = {"ApplicationRecord", "ActiveRecord::Base"}
ASSOCIATIONS = {"belongs_to", "has_one", "has_many", "has_and_belongs_to_many"}
_ERB = re.compile(r"<%(#|=|-)?(.*?)-?%>", re.DOTALL)


@cache
def _parser() -> ts.Parser:
    try:
        import tree_sitter
        import tree_sitter_ruby as tsr
    except ImportError as exc:
        raise ConfigError(
            f"reading Ruby code needs the tree-sitter grammar ({exc.name})",
            "pip install tree-sitter tree-sitter-ruby",
        ) from exc
    return tree_sitter.Parser(tree_sitter.Language(tsr.language()))


def erb_as_ruby(text: str) -> str:
    """An ERB template as Ruby of the same length: markup blanked, each tag's code kept in
    place and ended with `;`, so tree-sitter offsets are the template's own."""
    out = [ch if ch == "\n" else " " for ch in text]
    for m in _ERB.finditer(text):
        if m[1] == "#":
            continue
        for i in range(m.start(2), m.end(2)):
            out[i] = text[i]
        out[m.end() - 2] = ";"
    return "".join(out)


@dataclass
class RubyFile:
    source: Source
    data: bytes
    tree: ts.Tree
    template: bool

    def text(self, node: ts.Node | None) -> str:
        if node is None:
            return ""
        return self.data[node.start_byte : node.end_byte].decode(errors="replace")

    def offset(self, node: ts.Node) -> int:
        if len(self.data) == len(self.source.text):
            return node.start_byte
        return len(self.data[: node.start_byte].decode(errors="ignore"))


def parse_ruby(source: Source) -> RubyFile:
    template = source.path.endswith(".erb")
    code = erb_as_ruby(source.text) if template else source.text
    data = code.encode()
    return RubyFile(source, data, _parser().parse(data), template)


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


def discover_rails_models(files: Sequence[RubyFile]) -> list[CodeModel]:
    classes: list[tuple[RubyFile, ts.Node, str, str]] = []
    for file in files:
        for node in walk(file.tree.root_node):
            if node.type != "class":
                continue
            name = file.text(node.child_by_field_name("name")).rpartition("::")[2]
            superclass = node.child_by_field_name("superclass")
            base = file.text(superclass).lstrip("<").strip() if superclass is not None else ""
            classes.append((file, node, name, base.removeprefix("::")))
    known = set(BASES)
    changed = True
    while changed:  # models inheriting from other models (STI, abstract bases)
        changed = False
        for _, _, name, base in classes:
            if base in known and name not in known:
                known.add(name)
                changed = True
    models: list[CodeModel] = []
    for file, node, name, base in classes:
        if name in BASES or base not in known:
            continue
        name_node = node.child_by_field_name("name")
        start = name_node or node
        model = CodeModel(
            name,
            pluralize(snake_case(name)),
            "rails",
            file.source.path,
            start.start_point[0] + 1,
            start.start_point[1],
            declared=False,
        )
        _read_body(file, node, model)
        models.append(model)
    return models


def _read_body(file: RubyFile, node: ts.Node, model: CodeModel) -> None:
    body = node.child_by_field_name("body")
    for stmt in body.named_children if body is not None else []:
        if stmt.type == "assignment":
            left = file.text(stmt.child_by_field_name("left"))
            right = stmt.child_by_field_name("right")
            if left == "self.table_name" and right is not None and right.type == "string":
                model.table = string_text(file, right)
        elif stmt.type in ("call", "command") or stmt.type == "identifier":
            method = file.text(stmt.child_by_field_name("method"))
            symbols = [symbol(file, a) for a in arguments(stmt)]
            if method == "alias_attribute" and len(symbols) >= 2 and symbols[0] and symbols[1]:
                model.fields[symbols[0]] = symbols[1]
            elif method in ASSOCIATIONS and symbols and symbols[0]:
                class_name = next(
                    (
                        string_text(file, v)
                        for k, v in _pairs(file, stmt)
                        if k == "class_name" and v is not None
                    ),
                    None,
                )
                one = symbols[0] if method in ("belongs_to", "has_one") else singular(symbols[0])
                model.relations[symbols[0]] = class_name or _camelize(one)


def singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if re.search(r"(s|x|z|ch|sh)es$", word):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def _camelize(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


# ---------------------------------------------------------------------------------------------
# Tree helpers
# ---------------------------------------------------------------------------------------------


def walk(node: ts.Node) -> list[ts.Node]:
    out: list[ts.Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(current.children))
    return out


def arguments(call: ts.Node) -> list[ts.Node]:
    args = call.child_by_field_name("arguments")
    return [c for c in args.named_children if c.type != "comment"] if args is not None else []


def symbol(file: RubyFile, node: ts.Node) -> str | None:
    if node.type == "simple_symbol":
        return file.text(node).lstrip(":")
    if node.type == "string":
        return string_text(file, node)
    return None


def string_text(file: RubyFile, node: ts.Node) -> str:
    parts = []
    for child in node.named_children:
        if child.type in ("string_content", "heredoc_content", "escape_sequence"):
            parts.append(file.text(child))
        elif child.type == "interpolation":
            parts.append("?")
    return "".join(parts)


def _pairs(file: RubyFile, call: ts.Node) -> list[tuple[str, ts.Node | None]]:
    return [(k, v) for k, _, v in keyed(file, call)]


def keyed(file: RubyFile, call: ts.Node) -> list[tuple[str, ts.Node, ts.Node | None]]:
    """(key, key node, value) of a call's hash arguments (`total: 5`, `:total => 5`)."""
    out: list[tuple[str, ts.Node, ts.Node | None]] = []
    for arg in arguments(call):
        holders = [arg] if arg.type == "pair" else arg.named_children if arg.type == "hash" else []
        for pair in holders:
            if pair.type != "pair":
                continue
            key = pair.child_by_field_name("key")
            if key is None:
                continue
            name = (
                file.text(key).rstrip(":") if key.type == "hash_key_symbol" else symbol(file, key)
            )
            if name:
                out.append((name, key, pair.child_by_field_name("value")))
    return out
