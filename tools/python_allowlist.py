"""An AST allowlist for the one kind of Python a model may write: a Django RunPython function.

A data migration sometimes needs logic SQL says badly (split a name, map legacy codes), and
Django's answer is `RunPython(forward, reverse)`. When a model drafts that function, migwright
accepts it only if every node of its syntax tree is on this list, and runs it only on a scratch
database during validation before anything is written. The list is what such a function needs
and nothing more:

- one `def NAME(apps, schema_editor):` (no decorators, defaults, `*args` or `**kwargs`);
- models from `apps.get_model("app", "Model")`, their managers and querysets through the
  methods in `QUERYSET_METHODS` (filter, exclude, all, iterator, update, bulk_update, only,
  values_list, ...), instance attributes and `save()`;
- `F`, `Q`, `Value`, `Case`, `When`, `Func` (imported by the migration from django.db.models);
- arithmetic, comparisons, boolean logic, literals, f-strings, str methods, list/dict helpers,
  a few pure builtins (`len`, `range`, `min`, ...), `for`, `if`, comprehensions, and `while`
  with a condition that can become false.

Everything else is refused with one error naming the node and its line: imports, `open`,
`eval`/`exec`/`compile`/`__import__`/`getattr`/`setattr`, any dunder attribute, `global` /
`nonlocal`, `while True`, `schema_editor` (its `execute` and `connection.cursor()` are raw SQL),
`.raw()` / `.extra()` / `.delete()` / cursors, `str.format` (it reads attributes by name),
lambdas, classes, nested functions, `try`, `with`. A name the function did not bind itself
(a parameter, an assignment, a loop variable) must be one of `ALLOWED_GLOBALS`.

This is a gate for generated code, not a sandbox: a person reviews the file, and the
validator runs it on a throwaway database only.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from .errors import SpecError

#: The signature Django calls a RunPython function with.
PARAMETERS = ("apps", "schema_editor")

#: django.db.models expressions the function may use by bare name (the migration imports them).
DJANGO_EXPRESSIONS = frozenset({"F", "Q", "Value", "Case", "When", "Func"})

#: Builtins without side effects that transforms commonly need.
SAFE_BUILTINS = frozenset(
    {
        "len", "range", "str", "int", "float", "bool", "min", "max", "sum", "abs", "round",
        "sorted", "reversed", "enumerate", "zip", "list", "dict", "set", "tuple", "any", "all",
        "isinstance", "divmod",
    }
)  # fmt: skip

ALLOWED_GLOBALS = DJANGO_EXPRESSIONS | SAFE_BUILTINS

#: Manager and queryset methods (Django's `Model.objects....`) a transform may call.
QUERYSET_METHODS = frozenset(
    {
        "filter", "exclude", "all", "iterator", "update", "bulk_update", "only", "values_list",
        "values", "order_by", "count", "exists", "first", "distinct", "using", "get",
    }
)  # fmt: skip

#: Methods of instances, strings, lists and dicts a transform may call.
VALUE_METHODS = frozenset(
    {
        "save", "append", "extend", "items", "keys", "setdefault",
        "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "join", "replace",
        "startswith", "endswith", "title", "capitalize", "casefold", "zfill", "ljust", "rjust",
        "center", "partition", "rpartition", "isdigit", "isalpha", "isalnum", "isspace",
        "splitlines", "removeprefix", "removesuffix", "find", "rfind", "quantize",
    }
)  # fmt: skip

#: Names and attributes that open a way around the ORM or out of the process.
FORBIDDEN_NAMES = frozenset(
    {
        "open", "eval", "exec", "compile", "__import__", "getattr", "setattr", "delattr",
        "globals", "locals", "vars", "input", "breakpoint", "exit", "quit", "help", "type",
        "object", "super", "memoryview", "schema_editor", "connection", "connections",
        "RawSQL", "cursor",
    }
)  # fmt: skip
FORBIDDEN_ATTRIBUTES = frozenset(
    {
        "raw", "extra", "delete", "cursor", "execute", "executemany", "connection",
        "format", "format_map", "mro", "subclasses", "f_globals", "gi_frame", "os", "system",
    }
)  # fmt: skip

#: Statement and expression nodes allowed as such (their children are checked too).
_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For, ast.If, ast.While, ast.Pass,
    ast.Break, ast.Continue, ast.Return,
    ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Call, ast.keyword,
    ast.Attribute, ast.Subscript, ast.Slice, ast.Name, ast.Constant, ast.List, ast.Tuple,
    ast.Dict, ast.Set, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
    ast.comprehension, ast.JoinedStr, ast.FormattedValue, ast.Starred,
    ast.Load, ast.Store, ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
)  # fmt: skip

#: What a refused node is called in the error (anything else: its class name).
_NODE_NAMES: dict[type[ast.AST], str] = {
    ast.Import: "import",
    ast.ImportFrom: "import",
    ast.Global: "global",
    ast.Nonlocal: "nonlocal",
    ast.Lambda: "lambda",
    ast.ClassDef: "class definition",
    ast.FunctionDef: "nested function",
    ast.AsyncFunctionDef: "async function",
    ast.Try: "try",
    ast.With: "with",
    ast.Delete: "del",
    ast.Raise: "raise",
    ast.Yield: "yield",
    ast.YieldFrom: "yield from",
    ast.Await: "await",
    ast.NamedExpr: "assignment expression (:=)",
    ast.Assert: "assert",
}


class ForbiddenPython(SpecError):
    """A drafted RunPython function uses something outside the allowlist."""


FIX = (
    "write the transform with apps.get_model(...), queryset methods, F/Q/Case/When and plain "
    "Python; or use a SQL expression (a backfill) instead"
)


@dataclass(frozen=True)
class CheckedFunction:
    """A function that passed the allowlist: its name, the tree, the Django names it uses."""

    name: str
    tree: ast.Module
    expressions: frozenset[str]  #: F, Q, ... (the migration imports them)
    text: str = ""  #: the source as checked

    def source(self, name: str | None = None) -> str:
        """The function as written (comments and layout kept for the reviewer), renamed to
        `name`: each RunPython helper in a file needs its own. Only the name on the `def`
        line changes, so the code in the file is the code that was checked."""
        text = self.text.strip("\n")
        if not name or name == self.name:
            return text
        return re.sub(rf"^def {re.escape(self.name)}\(", f"def {name}(", text, count=1, flags=re.M)


def check_function(source: str) -> CheckedFunction:
    """Parse `source` and check it against the allowlist; ForbiddenPython names the first
    refused node and its line."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ForbiddenPython(
            f"the transform function does not parse: {exc.msg} (line {exc.lineno})", FIX
        ) from None
    body = tree.body
    if len(body) != 1 or not isinstance(body[0], ast.FunctionDef):
        raise ForbiddenPython(
            "the transform must be exactly one function: def forward(apps, schema_editor): ...",
            FIX,
        )
    function = body[0]
    _check_signature(function)
    checker = _Checker(function)
    for statement in function.body:
        checker.visit(statement)
    return CheckedFunction(function.name, tree, frozenset(checker.expressions), source)


def _refuse(node: ast.AST, what: str) -> ForbiddenPython:
    line = getattr(node, "lineno", "?")
    return ForbiddenPython(f"line {line}: {what} is not allowed in a RunPython transform", FIX)


def _check_signature(function: ast.FunctionDef) -> None:
    args = function.args
    names = tuple(a.arg for a in args.args)
    extras = args.posonlyargs or args.kwonlyargs or args.vararg or args.kwarg or args.defaults
    if function.decorator_list:
        raise _refuse(function.decorator_list[0], "a decorator")
    if names != PARAMETERS or extras:
        raise _refuse(function, f"the signature ({', '.join(names)}): use (apps, schema_editor)")
    if function.name.startswith("__"):
        raise _refuse(function, f"the dunder name {function.name}")


class _Checker:
    """Walks the function body, refusing the first node that is not on the list."""

    def __init__(self, function: ast.FunctionDef) -> None:
        self.bound = {"apps"} | _bound_names(function)
        self.expressions: set[str] = set()

    def visit(self, node: ast.AST) -> None:
        if not isinstance(node, _ALLOWED_NODES):
            raise _refuse(node, _NODE_NAMES.get(type(node), type(node).__name__))
        # children first: `open(p).read()` is refused for `open`, not for `.read()`
        for child in ast.iter_child_nodes(node):
            self.visit(child)
        check = getattr(self, f"_{type(node).__name__}", None)
        if check is not None:
            check(node)

    def _Name(self, node: ast.Name) -> None:
        name = node.id
        if name.startswith("__") or name in FORBIDDEN_NAMES:
            raise _refuse(node, f"the name {name}")
        if isinstance(node.ctx, ast.Load) and name not in self.bound:
            if name not in ALLOWED_GLOBALS:
                raise _refuse(node, f"the name {name} (not bound in the function)")
            if name in DJANGO_EXPRESSIONS:
                self.expressions.add(name)

    def _Attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        if attr.startswith("__"):
            raise _refuse(node, f"the dunder attribute .{attr}")
        if attr in FORBIDDEN_ATTRIBUTES or attr.startswith("_"):
            raise _refuse(node, f"the attribute .{attr}")
        on_apps = isinstance(node.value, ast.Name) and node.value.id == "apps"
        if attr == "get_model" and not on_apps:
            raise _refuse(node, "get_model on anything but apps")

    def _Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            return  # the name itself is checked by _Name
        if not isinstance(func, ast.Attribute):
            raise _refuse(node, "calling the result of an expression")
        method = func.attr
        if method == "get_model":
            return
        if method not in QUERYSET_METHODS and method not in VALUE_METHODS:
            raise _refuse(node, f"the method call .{method}()")

    def _While(self, node: ast.While) -> None:
        test = node.test
        if isinstance(test, ast.Constant) and test.value:
            raise _refuse(node, "while with a constant true condition (no bound)")

    def _Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bytes):
            raise _refuse(node, "a bytes literal")


def _bound_names(function: ast.FunctionDef) -> set[str]:
    """Names the function binds itself: assignment, loop and comprehension targets."""
    bound: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
    return bound
