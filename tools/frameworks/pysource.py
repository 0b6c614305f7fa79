"""Helpers shared by the Python-framework adapters (Alembic, Django): reading Python
configuration and migration files without running them, URL and driver dialects, and evidence
roots.

Alembic revisions, env.py and Django settings and migrations are Python. Analysis must never
import the user's code (it may connect to databases, read secrets or simply fail outside the
app's environment), so the adapters read these files with `ast` and evaluate only what a
literal can say: constants, containers, names assigned earlier in the same module, and the
usual environment lookups (`os.environ.get("X", default)`, `os.getenv`, `env("X")`), which
stay symbolic as `${X}` so that no secret or `.env` value is ever resolved.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ..errors import MigwrightError
from ..repo import RepoFacts


@dataclass(frozen=True)
class EnvValue:
    """A value read from the environment at run time; shown as `${NAME}`, never resolved.

    `default` is the literal fallback written in the source (`os.environ.get("X", "d")`), kept
    because it often names the dialect (`sqlite:///dev.db`) when the variable is unset.
    """

    name: str
    default: object = None

    def __str__(self) -> str:
        return "${" + self.name + "}"


@dataclass(frozen=True)
class Opaque:
    """An expression analysis cannot evaluate (a call, a path join); keeps its source text."""

    source: str

    def __str__(self) -> str:
        return self.source


@dataclass(frozen=True)
class DatabaseUrlCall:
    """`dj_database_url.config(default=...)` / `env.db("X")`: a database given as one URL."""

    url: object

    def __str__(self) -> str:
        return str(self.url)


#: Callables whose first argument (or `default=`) is an environment variable name.
_ENV_FUNCS = {"getenv", "env", "config", "str", "int", "bool"}
_ENV_DB_FUNCS = {"db", "db_url", "database_url"}


def parse_python(repo: RepoFacts, rel: str, error: type[MigwrightError], hint: str) -> ast.Module:
    """Parse one file; a syntax error becomes `error` naming file:line and `hint`."""
    try:
        source = repo.read(rel)
    except OSError as exc:
        raise error(f"{rel}: cannot be read ({exc.strerror})", hint) from exc
    try:
        return ast.parse(source, filename=rel)
    except SyntaxError as exc:
        line = exc.lineno or 1
        raise error(f"{rel}:{line}: Python syntax error: {exc.msg}", hint) from exc
    except ValueError as exc:  # null bytes
        raise error(f"{rel}:1: not a Python source file ({exc})", hint) from exc


def dotted(node: ast.AST) -> str:
    """`os.environ.get` for an attribute chain, "" for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _env_call(node: ast.Call, names: Mapping[str, object]) -> object | None:
    """The EnvValue an environment lookup call stands for, or None when it is not one."""
    name = dotted(node.func)
    last = name.rsplit(".", 1)[-1]
    default: object = None
    for kw in node.keywords:
        if kw.arg == "default":
            default = evaluate(kw.value, names)
    if len(node.args) > 1:
        default = evaluate(node.args[1], names)
    first = node.args[0] if node.args else None
    var = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
    if name in {"os.environ.get", "environ.get", "os.getenv", "getenv"} and var:
        return EnvValue(var, default)
    if last in _ENV_DB_FUNCS and name.startswith("env."):
        return DatabaseUrlCall(EnvValue(var or "DATABASE_URL", default))
    if name in {"dj_database_url.config", "dj_database_url.parse"}:
        env_name = "DATABASE_URL"
        for kw in node.keywords:
            if kw.arg == "env" and isinstance(kw.value, ast.Constant):
                env_name = str(kw.value.value)
        if name.endswith("parse") and first is not None:
            return DatabaseUrlCall(evaluate(first, names))
        return DatabaseUrlCall(EnvValue(env_name, default))
    if var and (last in _ENV_FUNCS) and (name in {"env", "config"} or name.startswith("env.")):
        return EnvValue(var, default)
    return None


def evaluate(node: ast.AST, names: Mapping[str, object] | None = None) -> object:
    """The value of a literal-ish expression; EnvValue / Opaque where it cannot be known.

    Containers evaluate element by element, so one opaque entry does not hide its neighbours
    (`{"ENGINE": "...postgresql", "NAME": BASE_DIR / "db"}` still yields the engine).
    """
    names = names or {}
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Dict):
        out: dict[object, object] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:  # {**other}
                base = evaluate(value, names)
                if isinstance(base, dict):
                    out.update(base)
                continue
            k = evaluate(key, names)
            if isinstance(k, str | int | bool):
                out[k] = evaluate(value, names)
        return out
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        items = [evaluate(e, names) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Name):
        bound = names.get(node.id, Opaque(node.id))
        # An opaque binding reads better by its name: BASE_DIR, not Path(__file__)...
        return Opaque(node.id) if isinstance(bound, Opaque) else bound
    if isinstance(node, ast.Subscript) and dotted(node.value) in {"os.environ", "environ"}:
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return EnvValue(key.value)
    if isinstance(node, ast.Call):
        env = _env_call(node, names)
        if env is not None:
            return env
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = evaluate(node.left, names), evaluate(node.right, names)
        if isinstance(left, list) and isinstance(right, list):
            return left + right
        if isinstance(left, tuple) and isinstance(right, tuple):
            return left + right
        if isinstance(left, str) and isinstance(right, str):
            return left + right
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        # pathlib joins in settings: BASE_DIR / "db.sqlite3" -> "BASE_DIR/db.sqlite3"
        left, right = evaluate(node.left, names), evaluate(node.right, names)
        if isinstance(left, str | Opaque) and isinstance(right, str | Opaque):
            return Opaque(f"{left}/{right}")
    if isinstance(node, ast.JoinedStr):
        return Opaque(_fstring_text(node, names))
    return Opaque(ast.unparse(node))


def _fstring_text(node: ast.JoinedStr, names: Mapping[str, object]) -> str:
    parts: list[str] = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        elif isinstance(value, ast.FormattedValue):
            parts.append(str(evaluate(value.value, names)))
    return "".join(parts)


def module_assignments(
    tree: ast.Module,
    names: dict[str, object] | None = None,
    on_star_import: Callable[[ast.ImportFrom], Mapping[str, object]] | None = None,
) -> tuple[dict[str, object], dict[str, int]]:
    """Evaluate a module's top-level assignments in order; return values and their lines.

    Handles `X = ...`, `X: T = ...`, `X += [...]`, tuple targets of equal length and the bodies
    of top-level `try:` blocks (settings often do `try: from .local import *`). A star import
    calls `on_star_import`, whose names are merged as Python would.
    """
    values: dict[str, object] = dict(names or {})
    lines: dict[str, int] = {}

    def visit(body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                value = evaluate(stmt.value, values)
                for target in stmt.targets:
                    _bind(target, value, stmt.value, values, lines, stmt.lineno)
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                _bind(
                    stmt.target,
                    evaluate(stmt.value, values),
                    stmt.value,
                    values,
                    lines,
                    stmt.lineno,
                )
            elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                current = values.get(stmt.target.id)
                extra = evaluate(stmt.value, values)
                if (
                    isinstance(stmt.op, ast.Add)
                    and isinstance(current, list | tuple)
                    and isinstance(extra, list | tuple)
                ):
                    values[stmt.target.id] = type(current)([*current, *extra])
                    lines[stmt.target.id] = stmt.lineno
            elif isinstance(stmt, ast.ImportFrom) and on_star_import is not None:
                if any(alias.name == "*" for alias in stmt.names):
                    for key, value in on_star_import(stmt).items():
                        values[key] = value
            elif isinstance(stmt, ast.Try):
                visit(stmt.body)

    visit(tree.body)
    return values, lines


def _bind(
    target: ast.expr,
    value: object,
    value_node: ast.expr,
    values: dict[str, object],
    lines: dict[str, int],
    lineno: int,
) -> None:
    if isinstance(target, ast.Name):
        values[target.id] = value
        lines[target.id] = lineno
    elif (
        isinstance(target, ast.Tuple)
        and isinstance(value_node, ast.Tuple)
        and len(target.elts) == len(value_node.elts)
    ):
        for sub_target, sub_value in zip(target.elts, value_node.elts, strict=True):
            _bind(sub_target, evaluate(sub_value, values), sub_value, values, lines, lineno)


def function_does_nothing(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """True when a function body is only `pass`, `...` and a docstring."""
    for stmt in fn.body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        return False
    return True


def top_level_functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {
        stmt.name: stmt
        for stmt in tree.body
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted origin for the module's imports (`from a.b import C` -> "a.b.C")."""
    out: dict[str, str] = {}
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
            for alias in stmt.names:
                out[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                out[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
    return out


def scheme_dialect(url: str | None) -> str | None:
    """postgresql / mysql / sqlite from a URL scheme (`postgresql+psycopg://`, `mariadb://`)."""
    if not url:
        return None
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*)://", url.strip())
    if not match:
        return None
    base = match.group(1).split("+", 1)[0].lower()
    if base in {"postgresql", "postgres", "psql", "pgsql", "postgis", "cockroachdb"}:
        return "postgresql"
    if base in {"mysql", "mariadb"}:
        return "mysql"
    if base in {"sqlite", "sqlite3", "spatialite"}:
        return "sqlite"
    return None


def driver_dialect(repo: RepoFacts) -> str | None:
    """The dialect the installed database driver implies, when it implies exactly one."""
    text = repo.python_requirements()
    found = set()
    if re.search(r"\b(psycopg2?|psycopg\[|asyncpg|pg8000)\b", text) or "psycopg" in text:
        found.add("postgresql")
    if re.search(r"\b(pymysql|mysqlclient|mysql-connector|aiomysql|asyncmy|mariadb)\b", text):
        found.add("mysql")
    if re.search(r"\baiosqlite\b", text):
        found.add("sqlite")
    return found.pop() if len(found) == 1 else None


def owning_roots(folder: str, roots: Iterable[str], descend: bool = False) -> list[str]:
    """The evidence roots a folder belongs to: its deepest ancestor among `roots` (or itself).

    With `descend`, a folder above the roots belongs to every root below it: a requirements
    file at the top of a monorepo is the dependency of each service's own config.
    """
    candidates = list(roots)
    best: str | None = None
    for root in candidates:
        inside = root == "." or folder == root or folder.startswith(root + "/")
        if inside and (best is None or len(root) > len(best)):
            best = root
    if best is not None:
        return [best]
    if descend:
        return sorted(r for r in candidates if folder in ("", ".") or r.startswith(folder + "/"))
    return []


def repo_join(root: str, *parts: str) -> str:
    """A repo-relative path under `root`, where "." is the repo root (no "./" prefix)."""
    path = posixpath.join(root, *parts) if root not in ("", ".") else posixpath.join(*parts)
    return posixpath.normpath(path)
