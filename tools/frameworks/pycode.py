"""Python source for generated migration files: a tiny expression tree and a formatter.

The Python renderers (Alembic revisions, Django migrations) build each statement as a tree of
calls, lists and atoms and print it the way ruff / black would: on one line when it fits, else
the bracket's contents on one indented line, else one item per line with a trailing comma.
Printing to the formatter's own rules (rather than running ruff afterwards) keeps rendering a
pure function that needs no tool installed, and `ruff format --check` passes on the result
(tests/generate checks that). `explode=True` asks for one item per line whatever the width,
the way Django's migration writer lays out operations; the trailing comma that comes with it
keeps ruff from joining the lines again ("magic trailing comma").
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import libcst
from libcst.codemod import CodemodContext
from libcst.codemod.commands.remove_unused_imports import RemoveUnusedImportsCommand

DEFAULT_LINE_LENGTH = 88  # ruff's and black's default


@dataclass(frozen=True)
class Call:
    """`func(*args, **kwargs)`; `args` and keyword values are Code."""

    func: str
    args: tuple[Code, ...] = ()
    kwargs: tuple[tuple[str, Code], ...] = ()
    explode: bool = False


@dataclass(frozen=True)
class Seq:
    """A list (`[...]`), tuple (`(...)`) or dict (`{...}`, items are Pairs) display."""

    items: tuple[Code, ...]
    kind: str = "list"
    explode: bool = False


@dataclass(frozen=True)
class Pair:
    """`key: value` inside a dict display."""

    key: str
    value: Code


#: A node: a call, a list/tuple/dict, or an atom (Python source text, already quoted).
Code = Call | Seq | Pair | str


def call(func: str, *args: Code, **kwargs: Code) -> Call:
    return Call(func, tuple(args), tuple(kwargs.items()))


def exploded(node: Call) -> Call:
    """The call laid out one argument per line, as Django's migration writer does."""
    return replace(node, explode=True)


def as_call(node: Code) -> Call:
    """`node` when it is a call (what an edit expects of a field or column definition)."""
    if not isinstance(node, Call):
        raise TypeError(f"expected a call, got {flat(node)}")
    return node


def from_import(module: str, names: list[str], width: int, explode: bool = False) -> list[str]:
    """`from module import a, b` on one line, or one name per line when it is too long."""
    one = f"from {module} import {', '.join(names)}"
    if len(one) <= width and not explode:
        return [one]
    return [f"from {module} import (", *(f"    {n}," for n in names), ")"]


def py(value: object) -> Code:
    """A Python value as source: strings quoted the way ruff prefers, lists as Seq."""
    if isinstance(value, str):
        return string(value)
    if isinstance(value, list):
        return Seq(tuple(py(v) for v in value))
    if isinstance(value, tuple):
        return Seq(tuple(py(v) for v in value), "tuple")
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    raise TypeError(f"no Python literal for {value!r}")


def string(text: str) -> str:
    """A string literal with ruff's preferred quotes: double, unless that needs more escapes."""
    body = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    if text.count('"') > text.count("'"):
        return "'" + body.replace("'", "\\'") + "'"
    return '"' + body.replace('"', '\\"') + '"'


def flat(node: Code) -> str:
    """The node on one line."""
    if isinstance(node, str):
        return node
    if isinstance(node, Pair):
        return f"{node.key}: {flat(node.value)}"
    open_, close = _brackets(node)
    parts = [prefix + flat(item) for prefix, item in _elements(node)]
    if isinstance(node, Seq) and node.kind == "tuple" and len(parts) == 1:
        return f"({parts[0]},)"
    if node.explode and parts:
        parts[-1] += ","
    return open_ + ", ".join(parts) + close


def lines(node: Code, indent: int, width: int, prefix: str = "", suffix: str = "") -> list[str]:
    """`prefix + node + suffix` as lines starting at column `indent`, formatted to `width`."""
    pad = " " * indent
    if isinstance(node, Pair):
        return lines(node.value, indent, width, f"{prefix}{node.key}: ", suffix)
    elements = [] if isinstance(node, str) else _elements(node)
    explode = not isinstance(node, str) and node.explode and bool(elements)
    one = pad + prefix + flat(node) + suffix
    if isinstance(node, str) or not elements or (len(one) <= width and not forced(node)):
        return [one]
    open_, close = _brackets(node)
    head = pad + prefix + open_
    tail = pad + close + suffix
    inner = indent + 4
    if not explode:
        if len(elements) == 1:  # nothing to split on: the element goes on its own line
            item_prefix, item = elements[0]
            single = "," if isinstance(node, Seq) and node.kind == "tuple" else ""
            return [head, *lines(item, inner, width, item_prefix, single), tail]
        body = " " * inner + ", ".join(p + flat(item) for p, item in elements)
        if len(body) <= width and not any(forced(item) for _, item in elements):
            return [head, body, tail]
    out = [head]
    for item_prefix, item in elements:
        out += lines(item, inner, width, item_prefix, ",")
    return [*out, tail]


def forced(node: Code) -> bool:
    """Whether the node or anything inside it must be one item per line (a magic comma)."""
    if isinstance(node, str):
        return False
    if isinstance(node, Pair):
        return forced(node.value)
    return (node.explode and bool(_elements(node))) or any(forced(i) for _, i in _elements(node))


def block(statements: list[Code], indent: int, width: int) -> list[str]:
    """Several statements at one indentation."""
    out: list[str] = []
    for statement in statements:
        out += lines(statement, indent, width)
    return out


def _brackets(node: Call | Seq) -> tuple[str, str]:
    if isinstance(node, Call):
        return f"{node.func}(", ")"
    return {"list": ("[", "]"), "dict": ("{", "}")}.get(node.kind, ("(", ")"))


def _elements(node: Call | Seq) -> list[tuple[str, Code]]:
    if isinstance(node, Seq):
        return [
            (f"{item.key}: ", item.value) if isinstance(item, Pair) else ("", item)
            for item in node.items
        ]
    return [("", a) for a in node.args] + [(f"{k}=", v) for k, v in node.kwargs]


# ---------------------------------------------------------------------------------------------
# Whole files
# ---------------------------------------------------------------------------------------------


def line_length(root: Path) -> int:
    """The repo's configured line length (ruff, then black), else the formatters' default."""
    for name, keys in (
        ("ruff.toml", ("line-length",)),
        (".ruff.toml", ("line-length",)),
        ("pyproject.toml", ("tool", "ruff", "line-length")),
        ("pyproject.toml", ("tool", "black", "line-length")),
    ):
        path = root / name
        if not path.is_file():
            continue
        try:
            data: object = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
            continue
        for key in keys:
            data = data.get(key) if isinstance(data, dict) else None
        if isinstance(data, int) and data > 20:
            return data
    return DEFAULT_LINE_LENGTH


_BLANKS = re.compile(r"\n{4,}")


def tidy_module(source: str, first_party: frozenset[str] = frozenset()) -> str:
    """Drop unused imports, order the rest as isort does, and tidy blank lines.

    Templates (Alembic's script.py.mako) import `sqlalchemy as sa` whether the body uses it or
    not, and list imports in their own order; a file a maintainer would commit has no dead
    imports and passes `ruff check` (F401, I001) and `ruff format`. Scope analysis (libcst)
    decides what is unused, never a pattern over the text.
    """
    module = libcst.parse_module(source)
    cleaned = RemoveUnusedImportsCommand(CodemodContext()).transform_module(module).code
    text = "\n".join(line.rstrip() for line in cleaned.splitlines())
    text = _BLANKS.sub("\n\n\n", organize_imports(text, first_party)).strip("\n")
    return _blank_after_docstring(text) + "\n"


def organize_imports(text: str, first_party: frozenset[str] = frozenset()) -> str:
    """The leading import block sorted the way ruff's isort rules sort it.

    Sections (__future__, standard library, third party, first party: the top-level modules
    and folders of the project, as ruff's `src` finds them) apart by one blank line; in each,
    `import x` lines before `from x import y` lines, both by module name; then one blank
    line before a statement, two before a def or class. A block with comments between its
    imports is left as it is.
    """
    tree = ast.parse(text)
    body = list(tree.body)
    start = 1 if body and _is_docstring(body[0]) else 0
    end = start
    while end < len(body) and isinstance(body[end], ast.Import | ast.ImportFrom):
        end += 1
    imports = body[start:end]
    if not imports:
        return text
    rows = text.split("\n")
    first, last = imports[0].lineno - 1, (imports[-1].end_lineno or imports[-1].lineno) - 1
    if any(line.strip().startswith("#") for line in rows[first : last + 1]):
        return text
    sections: dict[int, list[tuple[int, str, str]]] = {}
    for node in imports:
        source = ast.get_source_segment(text, node) or ""
        if isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            names = sorted(node.names, key=lambda a: _name_key(a.name))
            if names != node.names:
                items = [a.name + (f" as {a.asname}" if a.asname else "") for a in names]
                multiline = (node.end_lineno or node.lineno) > node.lineno
                source = "\n".join(from_import(module, items, 10**6, multiline))
            kind = 1
        elif isinstance(node, ast.Import):
            module = node.names[0].name
            kind = 0
        else:
            return text
        section = _section(module, first_party)
        sections.setdefault(section, []).append((kind, module.lower(), source))
    block = "\n\n".join(
        "\n".join(source for _, _, source in sorted(entries))
        for _, entries in sorted(sections.items())
    )
    rest = rows[last + 1 :]
    while rest and not rest[0].strip():
        rest = rest[1:]
    following = body[end] if end < len(body) else None
    gap = 2 if isinstance(following, ast.FunctionDef | ast.ClassDef) else 1
    return "\n".join([*rows[:first], *block.split("\n"), *([""] * gap), *rest])


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _section(module: str, first_party: frozenset[str]) -> int:
    top = module.lstrip(".").split(".")[0]
    if top == "__future__":
        return 0
    if module.startswith("."):
        return 4
    if top in first_party:
        return 3
    return 1 if top in sys.stdlib_module_names else 2


def first_party_modules(root: Path) -> frozenset[str]:
    """Top-level modules ruff counts as the project's own: what `src` (the project root and
    `src/`) holds, folders and .py files alike (an `alembic/` script folder makes `alembic`
    first party)."""
    names: set[str] = set()
    for base in (root, root / "src"):
        if not base.is_dir():
            continue
        for entry in base.iterdir():
            if entry.is_dir() and entry.name.isidentifier():
                names.add(entry.name)
            elif entry.suffix == ".py" and entry.stem.isidentifier():
                names.add(entry.stem)
    return frozenset(names)


def _name_key(name: str) -> tuple[int, str]:
    """ruff's order-by-type: CONSTANTS, then Classes, then everything else."""
    if name.isupper() and len(name) > 1:
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def _blank_after_docstring(text: str) -> str:
    """ruff format keeps exactly one blank line between a module docstring and what follows."""
    tree = ast.parse(text)
    if not tree.body or not _is_docstring(tree.body[0]):
        return text
    lines = text.split("\n")
    end = tree.body[0].end_lineno or 1
    rest = lines[end:]
    while rest and not rest[0].strip():
        rest = rest[1:]
    if not rest:
        return text
    return "\n".join([*lines[:end], "", *rest])


# ---------------------------------------------------------------------------------------------
# Reading existing source back into Code (models files edited with libcst)
# ---------------------------------------------------------------------------------------------


class _Flatten(libcst.CSTTransformer):
    """Every line break inside brackets becomes nothing (or one space after a comma)."""

    def leave_ParenthesizedWhitespace(
        self,
        original_node: libcst.ParenthesizedWhitespace,
        updated_node: libcst.ParenthesizedWhitespace,
    ) -> libcst.SimpleWhitespace:
        return libcst.SimpleWhitespace("")

    def leave_Comma(self, original_node: libcst.Comma, updated_node: libcst.Comma) -> libcst.Comma:
        return updated_node.with_changes(
            whitespace_before=libcst.SimpleWhitespace(""),
            whitespace_after=libcst.SimpleWhitespace(" "),
        )


def source_of(node: libcst.CSTNode) -> str:
    """A node's source on one line, trailing commas dropped (the formatter re-adds them)."""
    flattened = node.visit(_Flatten())
    assert isinstance(flattened, libcst.CSTNode)
    text = libcst.Module(body=[]).code_for_node(flattened)
    return re.sub(r",\s*([)\]}])", r"\1", text).strip()


def as_code(node: libcst.BaseExpression) -> Code:
    """An existing call / list / tuple as Code, so an edit can re-format it; atoms as text."""
    if isinstance(node, libcst.Call) and not node.lpar:
        func = source_of(node.func)
        args = tuple(as_code(a.value) for a in node.args if a.keyword is None and not a.star)
        kwargs = tuple(
            (a.keyword.value, as_code(a.value)) for a in node.args if a.keyword is not None
        )
        if any(a.star for a in node.args):
            return source_of(node)
        return Call(func, args, kwargs)
    if isinstance(node, libcst.List | libcst.Tuple) and not any(
        isinstance(e, libcst.StarredElement) for e in node.elements
    ):
        kind = "list" if isinstance(node, libcst.List) else "tuple"
        return Seq(tuple(as_code(e.value) for e in node.elements), kind)
    return source_of(node)


def edit_imports(
    source: str,
    add: dict[str, set[str]],
    remove: dict[str, set[str]],
    modules: set[str] = frozenset(),  # type: ignore[assignment]
    width: int = DEFAULT_LINE_LENGTH,
) -> str:
    """`from module import names` lines with names added or removed, and `import module`s.

    An existing import keeps its layout (a parenthesised list stays one name per line) and
    gets its names in isort's order; a new import goes after the last import of the file's
    leading block (the block is sorted again when it was sorted before). Names still used
    somewhere are never removed.
    """
    tree = ast.parse(source)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {
        n.value.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
    }
    rows = source.split("\n")
    present: set[str] = set()
    replacements: dict[int, tuple[int, list[str]]] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            present.update(a.name for a in node.names)
        if not isinstance(node, ast.ImportFrom) or node.level or node.module is None:
            continue
        if any(a.name == "*" for a in node.names):
            continue
        module = node.module
        present.add(module)
        names = [(a.name, a.asname) for a in node.names]
        wanted = add.get(module, set()) - {n for n, _ in names}
        dropped = {
            n for n, alias in names if n in remove.get(module, set()) and (alias or n) not in used
        }
        if not wanted and not dropped:
            continue
        kept = [(n, a) for n, a in names if n not in dropped] + [(n, None) for n in wanted]
        end = node.end_lineno or node.lineno
        if not kept:
            replacements[node.lineno - 1] = (end, [])
            continue
        kept.sort(key=lambda item: _name_key(item[0]))
        items = [n + (f" as {a}" if a else "") for n, a in kept]
        replacements[node.lineno - 1] = (end, from_import(module, items, width, end > node.lineno))
    for start in sorted(replacements, reverse=True):
        end, new = replacements[start]
        rows[start:end] = new
    text = "\n".join(rows)
    new_lines = [
        row
        for m, names in sorted(add.items())
        if m not in present and names
        for row in from_import(m, sorted(names, key=_name_key), width)
    ]
    new_lines += [f"import {m}" for m in sorted(modules) if m not in present]
    if not new_lines:
        return text
    was_sorted = organize_imports(source) == source
    tree = ast.parse(text)
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    at = (imports[-1].end_lineno or 0) if imports else 0
    split = text.split("\n")
    text = "\n".join([*split[:at], *new_lines, *split[at:]])
    return organize_imports(text) if was_sorted else text
