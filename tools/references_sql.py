"""Tables and columns named in SQL text: strings in code, `.sql` files, and query fragments.

SQL in application code (`cursor.execute("SELECT total FROM orders")`, `knex.raw(...)`,
`find_by_sql`) is parsed with sqlglot so that `total` counts only where it is a column of the
table the statement reads or writes: `SELECT total FROM invoices` is another table's column and
does not match, and neither does the word in a `-- comment`. Fragments that ORMs splice into
their own queries (`.where("total > ?")`, `whereRaw`, `.extra(where=[...])`) are parsed inside
a query on the table the ORM call is about. Text sqlglot cannot parse (a template with
`${table}` in it, a dialect's oddity) falls back to sqlglot's tokenizer, with lower confidence.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from .references_types import (
    CERTAIN,
    LIKELY,
    NAMED,
    Match,
    Reference,
    Source,
    Target,
    word_offsets,
)
from .schema import is_identifier
from .sqlscript import split_sql

_DIALECTS = ("postgres", "mysql", "sqlite")

_STARTS = re.compile(
    r"^\s*\(?\s*(select|insert|update|delete|with|merge|replace|alter|create|drop|truncate)\b",
    re.IGNORECASE,
)
#: What must follow the first keyword for text to be SQL rather than English ("Update the...").
_NEEDS = {
    "select": r"\bfrom\b",
    "insert": r"\binto\b",
    "replace": r"\binto\b",
    "update": r"\bset\b",
    "delete": r"\bfrom\b",
    "with": r"\b(select|insert|update|delete)\b",
    "merge": r"\binto\b",
    "alter": r"\btable\b",
    "create": r"\b(table|view|index)\b",
    "drop": r"\b(table|view|index)\b",
    "truncate": r".",
}
_SCOPES = (exp.Select, exp.Update, exp.Delete, exp.Insert)
_TABLE_KEYWORDS = {"FROM", "JOIN", "UPDATE", "INTO", "TABLE"}
_ROLE_KEYWORDS = {
    "WHERE": "filter",
    "ON": "filter",
    "HAVING": "filter",
    "ORDER_BY": "sort",
    "GROUP_BY": "sort",
    "SELECT": None,
    "SET": None,
    "VALUES": None,
    "FROM": None,
}


@dataclass(frozen=True)
class SqlHit:
    """A target named in SQL text, at `offset` of that text."""

    target: Target
    offset: int
    role: str | None
    confidence: float


def looks_like_sql(text: str) -> bool:
    """True for text that starts like a SQL statement and has the clause that makes it one."""
    m = _STARTS.match(text)
    if m is None:
        return False
    return re.search(_NEEDS[m[1].lower()], text[m.end() :], re.IGNORECASE) is not None


def _parse(sql: str) -> list[exp.Expression] | None:
    for dialect in _DIALECTS:
        try:
            trees = sqlglot.parse(sql, read=dialect)
        except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError):
            continue
        return [t for t in trees if isinstance(t, exp.Expression)]
    return None


def sql_hits(sql: str, targets: Sequence[Target]) -> list[SqlHit]:
    """Every place in `sql` that names a target's table (table targets) or column."""
    trees = _parse(sql)
    if trees is None:
        return _token_hits(sql, targets, None, None)
    hits: list[SqlHit] = []
    for tree in trees:
        hits.extend(_tree_hits(tree, targets))
    return hits


def fragment_hits(
    fragment: str,
    table: str,
    targets: Sequence[Target],
    clause: str = "where",
    alias: str | None = None,
) -> list[SqlHit]:
    """Column targets of `table` named in a fragment an ORM splices into its own query.

    `clause` is where the fragment goes: "where" (`.where("total > ?")`), "order"
    (`order("total DESC")`), "group", "select" or "set". `alias` is the name the ORM gives
    the table in that query (TypeORM's `createQueryBuilder("o")`).
    """
    wanted = [t for t in targets if t.column]
    if not wanted or not fragment.strip():
        return []
    name = table if is_identifier(table) else '"' + table.replace('"', '""') + '"'
    source = f"{name} AS {alias}" if alias else name
    if clause == "select":
        prefix, suffix = "SELECT ", f" FROM {source}"
    elif clause == "set":
        prefix, suffix = f"UPDATE {source} SET ", ""
    else:
        keyword = {"order": "ORDER BY", "group": "GROUP BY"}.get(clause, "WHERE")
        prefix, suffix = f"SELECT * FROM {source} {keyword} ", ""
    trees = _parse(prefix + fragment + suffix)
    if trees is None:
        role = {"where": "filter", "order": "sort", "group": "sort"}.get(clause)
        return _token_hits(fragment, wanted, table, role)
    hits = [h for tree in trees for h in _tree_hits(tree, wanted)]
    start, end = len(prefix), len(prefix) + len(fragment)
    return [
        SqlHit(h.target, h.offset - start, h.role, h.confidence)
        for h in hits
        if start <= h.offset < end
    ]


# ---------------------------------------------------------------------------------------------
# Parsed SQL
# ---------------------------------------------------------------------------------------------


def _scope_of(node: exp.Expression) -> exp.Expression | None:
    found = node.find_ancestor(*_SCOPES)
    return found


def _scope_tables(scope: exp.Expression | None, tree: exp.Expression) -> list[exp.Table]:
    """Tables a statement or subquery reads or writes itself (not those of nested selects)."""
    root = scope if scope is not None else tree
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    return [
        t
        for t in root.find_all(exp.Table)
        if _scope_of(t) is scope and t.name and t.name.lower() not in ctes
    ]


def _role(node: exp.Expression, scope: exp.Expression | None) -> str | None:
    current: exp.Expr | None = node
    while current is not None and current is not scope:
        parent = current.parent
        if isinstance(current, exp.Where | exp.Having):
            return "filter"
        if isinstance(current, exp.Order | exp.Group):
            return "sort"
        if isinstance(parent, exp.Join) and current is parent.args.get("on"):
            return "filter"
        current = parent
    return None


def _start(node: exp.Expression) -> int:
    meta = node.meta if isinstance(node, exp.Identifier) else getattr(node.this, "meta", {})
    start = meta.get("start") if isinstance(meta, dict) else None
    return int(start) if isinstance(start, int) else -1


def _tree_hits(tree: exp.Expression, targets: Sequence[Target]) -> list[SqlHit]:
    hits: list[SqlHit] = []
    aliases: dict[str, str] = {}
    for table in tree.find_all(exp.Table):
        if table.name:
            aliases[table.name.lower()] = table.name.lower()
            if table.alias:
                aliases[table.alias.lower()] = table.name.lower()
    for target in targets:
        wanted = target.table.lower()
        if target.column is None:
            for table in tree.find_all(exp.Table):
                if table.name.lower() == wanted:
                    hits.append(SqlHit(target, _start(table), None, CERTAIN))
            continue
        column = target.column.lower()
        for node in tree.find_all(exp.Column):
            if node.name.lower() != column:
                continue
            scope = _scope_of(node)
            confidence = _column_confidence(node, scope, tree, aliases, wanted)
            if confidence:
                hits.append(SqlHit(target, _start(node), _role(node, scope), confidence))
        for schema in tree.find_all(exp.Schema):  # INSERT INTO orders (total, ...)
            if not isinstance(schema.this, exp.Table) or schema.this.name.lower() != wanted:
                continue
            for ident in schema.expressions:
                if isinstance(ident, exp.Identifier) and ident.name.lower() == column:
                    hits.append(SqlHit(target, _start(ident), None, CERTAIN))
    return hits


def _column_confidence(
    node: exp.Column,
    scope: exp.Expression | None,
    tree: exp.Expression,
    aliases: dict[str, str],
    wanted: str,
) -> float:
    if node.table:
        qualifier = node.table.lower()
        if qualifier in aliases:
            return CERTAIN if aliases[qualifier] == wanted else 0.0
        # a table the fragment's query joins elsewhere (`whereRaw("products.price > 0")`)
        return LIKELY if qualifier == wanted else 0.0
    names = {t.name.lower() for t in _scope_tables(scope, tree)}
    if wanted not in names:
        return 0.0
    return CERTAIN if len(names) == 1 else LIKELY


# ---------------------------------------------------------------------------------------------
# Tokens, for text sqlglot cannot parse
# ---------------------------------------------------------------------------------------------


def _tokens(sql: str) -> list[Token]:
    try:
        return list(sqlglot.tokenize(sql, read="postgres"))
    except (sqlglot.errors.TokenError, ValueError):
        return []


def _token_hits(
    sql: str, targets: Sequence[Target], table: str | None, fixed_role: str | None
) -> list[SqlHit]:
    """Targets in SQL that does not parse: the table must still be named where tables go."""
    tokens = _tokens(sql)
    tables = {table.lower()} if table else set()
    for prev, tok in itertools.pairwise(tokens):
        if prev.token_type.name in _TABLE_KEYWORDS and tok.token_type == TokenType.VAR:
            tables.add(tok.text.lower())
    hits: list[SqlHit] = []
    for target in targets:
        if target.table.lower() not in tables:
            continue
        confidence = NAMED if len(tables) == 1 else NAMED - 0.2
        role = fixed_role
        for k, tok in enumerate(tokens):
            kind = tok.token_type.name
            if fixed_role is None and kind in _ROLE_KEYWORDS:
                role = _ROLE_KEYWORDS[kind]
            if tok.token_type != TokenType.VAR:
                continue
            word = tok.text.lower()
            if target.column is None:
                previous = tokens[k - 1].token_type.name if k else ""
                if word == target.table.lower() and previous in _TABLE_KEYWORDS:
                    hits.append(SqlHit(target, tok.start, None, confidence))
            elif word == target.column.lower():
                hits.append(SqlHit(target, tok.start, role, confidence))
    return hits


# ---------------------------------------------------------------------------------------------
# .sql files in the application (queries for sqlc, reports, views): not the migrations
# ---------------------------------------------------------------------------------------------


def sql_file_references(source: Source, targets: Sequence[Target]) -> list[Reference]:
    """References in a `.sql` file, statement by statement so one odd statement costs little."""
    refs: list[Reference] = []
    cursor = 0
    for statement in split_sql(source.text):
        start = source.text.find(statement.sql, cursor)
        if start < 0:
            continue
        cursor = start + len(statement.sql)
        for hit in sql_hits(statement.sql, targets):
            if hit.offset >= 0:
                refs.append(
                    source.reference(
                        start + hit.offset, Match.RAW_SQL, hit.confidence, hit.target, hit.role
                    )
                )
    return refs


def place_hits(segment: str, value: str, hits: Sequence[SqlHit]) -> list[tuple[int, SqlHit]]:
    """Offsets in a string literal's source `segment` of hits found in its `value`.

    The two differ by quotes, escapes, line continuations and `${...}` / f-string holes, so a
    hit is placed by counting: the k-th `total` in the value is the k-th `total` in the source.
    """
    placed: list[tuple[int, SqlHit]] = []
    for hit in hits:
        word = hit.target.column or hit.target.table
        k = sum(1 for o in word_offsets(value, word) if o <= hit.offset) - 1
        in_source = word_offsets(segment, word)
        placed.append((in_source[k] if 0 <= k < len(in_source) else 0, hit))
    return placed
