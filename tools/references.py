"""Find the code that uses what a migration changes, and the queries a new index serves.

`targets_for(operations)` lists what a plan drops, renames or retypes; `find_references(repo,
framework, targets)` finds every place in the application's code that uses those tables and
columns: model fields, attribute access, ORM query keys and strings, raw SQL, serializers and
templates. The deployment checklist turns the result into "change these 4 places before the
contract migration". `queries_for_index` finds the queries that filter or sort on a new
index's leading column, and `unused_index_note` says so when there are none.

Each language has its own reader (Python with `ast`, JavaScript/TypeScript and Ruby with
tree-sitter grammars, SQL with sqlglot); none imports or runs the code. Migration histories
and schema dumps are skipped: they describe the schema, they do not use it.
"""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Iterable, Sequence

from . import ops as o
from .errors import DetectionError
from .references_js import js_references
from .references_py import python_references
from .references_pymodels import discover_models
from .references_pytypes import PyIndex
from .references_ruby import ruby_references
from .references_sql import sql_file_references
from .references_templates import template_references
from .references_types import (
    Match,
    Reference,
    Source,
    Target,
    TargetKind,
    Wanted,
    dedupe,
)
from .repo import RepoFacts
from .schema import normalize_expression

__all__ = [
    "Match",
    "Reference",
    "Target",
    "TargetKind",
    "find_references",
    "queries_for_index",
    "targets_for",
    "unused_index_note",
]

_PY = (".py",)
_JS = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts")
_RUBY = (".rb", ".erb")
_TEMPLATES = (".html", ".htm", ".txt", ".jinja", ".jinja2", ".j2")

#: Which languages a framework's application is written in; SQL-file frameworks (Flyway,
#: dbmate ...) say nothing about the application, so every language is read.
_LANGUAGES: dict[str, frozenset[str]] = {
    "alembic": frozenset({"python"}),
    "django": frozenset({"python", "templates"}),
    "prisma": frozenset({"js"}),
    "sequelize": frozenset({"js"}),
    "knex": frozenset({"js"}),
    "typeorm": frozenset({"js"}),
    "drizzle": frozenset({"js"}),
    "rails": frozenset({"ruby"}),
}
_ALL = frozenset({"python", "templates", "js", "ruby"})
_MAX_BYTES = 1_000_000
#: Folders that hold migration histories (Django, Knex, Flyway `db/migration`, TypeORM
#: `src/migration`, Rails `db/migrate`, Prisma).
_HISTORY_DIRS = {"migrations", "migration", "migrate"}
_DUMPS = {"db/schema.rb", "db/structure.sql"}


# ---------------------------------------------------------------------------------------------
# Targets from a plan
# ---------------------------------------------------------------------------------------------


def targets_for(operations: Iterable[o.Operation]) -> list[Target]:
    """What a plan drops, renames or changes the type of, named as the code knows it today.

    Later operations name tables and columns by the names earlier ones gave them (rename
    `orders` to `purchases`, then drop `purchases.total`); the code still says `orders.total`,
    so names are mapped back through the plan's renames.
    """
    table_was: dict[str, str] = {}
    column_was: dict[tuple[str, str], str] = {}
    found: list[Target] = []

    def old_table(name: str) -> str:
        return table_was.get(name, name)

    def old_column(table: str, name: str) -> str:
        return column_was.get((table, name), name)

    for op in _flatten(operations):
        if isinstance(op, o.DropTable):
            found.append(Target(old_table(op.name), None, "drop"))
        elif isinstance(op, o.RenameTable):
            found.append(Target(old_table(op.old), None, "rename", op.new))
            table_was[op.new] = old_table(op.old)
            for (table, column), was in list(column_was.items()):
                if table == op.old:
                    column_was[(op.new, column)] = was
        elif isinstance(op, o.DropColumn):
            found.append(Target(old_table(op.table), old_column(op.table, op.column), "drop"))
        elif isinstance(op, o.RenameColumn):
            was = old_column(op.table, op.old)
            found.append(Target(old_table(op.table), was, "rename", op.new))
            column_was[(op.table, op.new)] = was
        elif isinstance(op, o.AlterColumn) and op.type is not None:
            found.append(Target(old_table(op.table), old_column(op.table, op.column), "type"))
    unique: list[Target] = []
    for target in found:
        if target not in unique:
            unique.append(target)
    return unique


def _flatten(operations: Iterable[o.Operation]) -> Iterable[o.Operation]:
    for op in operations:
        if isinstance(op, o.RawSQL) and op.effects:
            yield from _flatten(op.effects)
        else:
            yield op


# ---------------------------------------------------------------------------------------------
# Finding references
# ---------------------------------------------------------------------------------------------


def find_references(repo: RepoFacts, framework: str, targets: Sequence[Target]) -> list[Reference]:
    """Every place in the repo's application code that uses one of `targets`.

    `framework` is a registry name ("django", "alembic", "prisma", "rails", ...): it says which
    languages the application is read in, and which conventions name its tables. References
    come back one per place and target, most confident kept, in path and line order.
    """
    if not targets:
        return []
    languages = _languages(framework)
    files = [f for f in repo.files if _is_application_file(repo, f)]
    refs: list[Reference] = []
    if "python" in languages:
        parsed = _parse_python(repo, [f for f in files if f.endswith(_PY)])
        models = discover_models({p: tree for p, (_, tree) in parsed.items()})
        index = PyIndex(models, Wanted(targets, models))
        for source, tree in parsed.values():
            refs.extend(python_references(source, tree, index))
        if "templates" in languages:
            for path in files:
                if path.endswith(_TEMPLATES) and _in_templates(path):
                    source = Source(path, repo.read(path))
                    refs.extend(template_references(source, index.wanted))
    if "js" in languages:
        js_files = [f for f in files if f.endswith(_JS) and not f.endswith(".d.ts")]
        prisma = [f for f in files if f.endswith(".prisma")]
        refs.extend(js_references(repo, js_files, prisma, targets))
    if "ruby" in languages:
        refs.extend(ruby_references(repo, [f for f in files if f.endswith(_RUBY)], targets))
    for path in files:
        if path.endswith(".sql"):
            refs.extend(sql_file_references(Source(path, repo.read(path)), targets))
    return dedupe(refs)


def _languages(framework: str) -> frozenset[str]:
    from .frameworks import registry

    if framework not in registry() and framework not in _LANGUAGES:
        known = ", ".join(sorted(registry()))
        raise DetectionError(
            f"unknown framework {framework!r} for finding code references",
            f"use one of: {known}",
        )
    return _LANGUAGES.get(framework, _ALL)


def _is_application_file(repo: RepoFacts, path: str) -> bool:
    """Code of the application: not a migration history, a schema dump or a huge bundle."""
    if path in _DUMPS or path.endswith((".min.js", ".map")):
        return False
    parts = path.split("/")
    if any(p in _HISTORY_DIRS for p in parts[:-1]):
        return False
    folder = posixpath.dirname(path)
    if posixpath.basename(folder) == "versions" and repo.exists(
        posixpath.join(posixpath.dirname(folder), "env.py")
    ):
        return False  # an Alembic versions folder, whatever its parent is called
    if path.endswith(".sql") and repo.exists(posixpath.join(folder, "meta", "_journal.json")):
        return False  # Drizzle's generated SQL
    try:
        return repo.path(path).stat().st_size <= _MAX_BYTES
    except OSError:
        return False


def _in_templates(path: str) -> bool:
    return "templates" in path.split("/")[:-1]


def _parse_python(repo: RepoFacts, paths: Sequence[str]) -> dict[str, tuple[Source, ast.Module]]:
    parsed: dict[str, tuple[Source, ast.Module]] = {}
    for path in paths:
        text = repo.read(path)
        try:
            tree = ast.parse(text, filename=path)
        except (SyntaxError, ValueError):
            continue  # not our business to report: the app's own tests will
        parsed[path] = (Source(path, text), tree)
    return parsed


# ---------------------------------------------------------------------------------------------
# Index evidence
# ---------------------------------------------------------------------------------------------


def queries_for_index(
    repo: RepoFacts,
    table: str,
    columns: Sequence[str],
    framework: str | None = None,
) -> list[Reference]:
    """Code queries that filter or sort on the index's leading column.

    A B-tree index on (a, b) serves `WHERE a = ...`, `WHERE a = ... AND b ...` and `ORDER BY
    a`, not a query on `b` alone, so the leading column is what a query must use. Expression
    indexes (`lower(email)`) count queries on the column inside the expression.
    """
    leading = _leading_column(columns)
    if leading is None:
        return []
    target = Target(table, leading, "index")
    refs = find_references(repo, framework or "sqlfiles", [target])
    return [r for r in refs if r.role in ("filter", "sort")]


def _leading_column(columns: Sequence[str]) -> str | None:
    if not columns:
        return None
    first = columns[0]
    if first.replace("_", "").isalnum():
        return first
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(normalize_expression(first), read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None
    column = next(iter(tree.find_all(exp.Column)), None) if tree is not None else None
    return column.name if column is not None else None


def unused_index_note(
    table: str, columns: Sequence[str], references: Sequence[Reference]
) -> str | None:
    """A sentence for the migration document when no code query would use the index."""
    if references:
        return None
    cols = ", ".join(columns)
    return (
        f"No query in the code filters or sorts on {table}({cols}): the index may go unused. "
        "Check the database's own statistics (pg_stat_statements, the slow query log) for the "
        "queries it is meant for, or leave it out of the plan; an unused index still costs "
        "every write."
    )
