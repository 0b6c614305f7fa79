"""Rails' conventions as migwright writes them: Ruby literals, column types and options, the
migration version bracket, and the index names Active Record generates.

Kept apart from `rails_render` so that the renderer reads as "which Active Record call for
which operation" and this module answers "how is this written the Rails way". Types follow
Active Record's abstract types where one means the same column on the dialect (`:string,
limit: 40` is varchar(40) everywhere), and fall back to the dialect's own SQL type as a string
(`"timestamptz"`, `"char(3)"`), which Active Record passes through unchanged.
"""

from __future__ import annotations

import re
from dataclasses import replace

import sqlglot
from sqlglot import exp

from .. import ops as o
from ..dialects import Dialect
from ..repo import RepoFacts
from ..schema import Column, Schema, canonical_type
from .base import History
from .render import MigrationPlan

_BRACKET = re.compile(r"ActiveRecord::Migration\[\s*(\d+\.\d+)\s*\]")
_GEM_RAILS = re.compile(
    r"""^\s*gem\s+["'](?:rails|activerecord)["']\s*,\s*["'][~>=\s]*(\d+)\.(\d+)""", re.M
)
DEFAULT_VERSION = "7.1"

_SYMBOL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*[?!]?$")
#: Canonical types with an Active Record type of the same meaning on every dialect.
_PLAIN = {
    "integer": ":integer",
    "bigint": ":bigint",
    "boolean": ":boolean",
    "text": ":text",
    "date": ":date",
    "time": ":time",
    "json": ":json",
    "blob": ":binary",
}
_ACTIONS = {"CASCADE": ":cascade", "SET NULL": ":nullify", "RESTRICT": ":restrict"}


def sym(name: str) -> str:
    """`:name`, quoted when the name is not a plain Ruby identifier."""
    return f":{name}" if _SYMBOL.match(name) else f":{string(name)}"


def string(text: str) -> str:
    """A double-quoted Ruby string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("#{", "\\#{")
    return '"' + escaped.replace("\n", "\\n") + '"'


def names(columns: tuple[str, ...] | list[str]) -> str:
    """One column as a symbol, several as an array of symbols."""
    if len(columns) == 1:
        return sym(columns[0])
    return "[" + ", ".join(sym(c) for c in columns) + "]"


def heredoc(sql: str, indent: str) -> list[str]:
    """`execute` with SQL: one line as a string, more as a squiggly heredoc (`<<~'SQL'` when
    the SQL holds a backslash or `#{`, which an interpolating heredoc would change)."""
    lines = sql.strip().splitlines()
    if len(lines) == 1:
        return [f"{indent}execute {string(lines[0])}"]
    tag = "<<~'SQL'" if "\\" in sql or "#{" in sql else "<<~SQL"
    return [f"{indent}execute {tag}", *(f"{indent}  {line}" for line in lines), f"{indent}SQL"]


def action(value: str | None) -> str | None:
    """A referential action as Active Record's symbol; None for NO ACTION; raises KeyError for
    one Active Record cannot name (SET DEFAULT)."""
    return None if value is None else _ACTIONS[value]


def column_type(column: Column, d: Dialect, schema: Schema) -> tuple[str, list[str]]:
    """Active Record's type for a column, and the options that complete it."""
    canonical = canonical_type(column.type)
    base, _, rest = canonical.partition("(")
    args = rest.rstrip(")").split(",") if rest else []
    if canonical in _PLAIN and not (canonical == "json" and d.name == "mysql"):
        return _PLAIN[canonical], []
    if canonical == "smallint" and d.name != "sqlite":
        return ":integer", ["limit: 2"]  # SQLite's adapter drops the limit: spelled below
    if base == "varchar":
        return ":string", [f"limit: {args[0]}"] if args else []
    if base == "numeric":
        options = [f"precision: {args[0]}", f"scale: {args[1]}"] if len(args) == 2 else []
        return ":decimal", options
    if canonical == "timestamp":
        return ":datetime", ["precision: 6"] if d.name == "mysql" else []
    if canonical == "double" and d.name != "mysql":
        return ":float", []
    if canonical in ("jsonb", "uuid") and d.name == "postgresql":
        return f":{canonical}", []
    spelled = d.column_type(column, schema)
    # Rails code spells SQL types in lower case; enum('a','B') keeps its values as written
    return string(spelled if "'" in spelled else spelled.lower()), []


def default(column: Column, d: Dialect, schema: Schema) -> str | None:
    """The `default:` value: a Ruby literal for a constant, else a lambda with the SQL."""
    sql = d.default_sql(column, schema)
    if sql is None:
        return None
    literal = _literal(sql)
    return literal if literal is not None else f"-> {{ {string(sql)} }}"


def _literal(sql: str) -> str | None:
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None
    negative = isinstance(tree, exp.Neg)
    inner = tree.this if negative else tree
    if isinstance(inner, exp.Boolean) and not negative:
        return "true" if inner.this else "false"
    if isinstance(inner, exp.Literal) and not inner.is_string:
        return ("-" if negative else "") + inner.this
    if isinstance(inner, exp.Literal) and not negative:
        return string(inner.this)
    return None


def column_options(column: Column, d: Dialect, schema: Schema) -> tuple[str, list[str]]:
    """(type, options) for `add_column` / `t.column`: type options, null, default, comment."""
    kind, options = column_type(column, d, schema)
    if not column.nullable:
        options.append("null: false")
    value = default(column, d, schema)
    if value is not None:
        options.append(f"default: {value}")
    if column.comment:
        options.append(f"comment: {string(column.comment)}")
    return kind, options


def call(name: str, *args: str) -> str:
    """`name arg, arg, key: value` (arguments already spelled)."""
    return f"{name} {', '.join(a for a in args if a)}"


def expected_after(plan: MigrationPlan) -> Schema:
    """`plan.after` as Active Record leaves it.

    `rename_table` and `rename_column` also rename the indexes that carry Rails' generated
    name (`index_<table>_on_<col>_and_<col>`), which the plan does not model: a validator
    comparing a Rails migration with its plan compares with this schema instead.
    """
    state = plan.before
    for op in plan.operations:
        state = op.apply(state)
        if isinstance(op, o.RenameTable):
            state = _rails_index_names(state, op.new, op.old, {})
        elif isinstance(op, o.RenameColumn):
            state = _rails_index_names(state, op.table, op.table, {op.new: op.old})
    return state


def _rails_index_names(schema: Schema, table: str, old_table: str, old: dict[str, str]) -> Schema:
    """Rename the indexes of `table` whose name is the one Rails generated before the change."""
    current = schema.table(table)
    indexes = []
    for index in current.indexes:
        before = [old.get(c, c) for c in index.columns]
        if index.name == _rails_index_name(old_table, before):
            index = replace(index, name=_rails_index_name(table, list(index.columns)))
        indexes.append(index)
    return schema.with_table(replace(current, indexes=tuple(indexes)))


def _rails_index_name(table: str, columns: list[str]) -> str:
    return f"index_{table}_on_{'_and_'.join(columns)}"


def migration_version(repo: RepoFacts, history: History) -> str:
    """The `[x.y]` of the newest migration that has one, else the Rails of the Gemfile."""
    for ref in reversed(history.migrations):
        match = _BRACKET.search(repo.read(ref.path))
        if match:
            return match[1]
    for gemfile in repo.named("Gemfile"):
        match = _GEM_RAILS.search(repo.read(gemfile))
        if match:
            return f"{match[1]}.{match[2]}"
    return DEFAULT_VERSION
