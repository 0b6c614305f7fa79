"""Rails: `db/migrate/<timestamp>_<name>.rb` with `ActiveRecord::Migration[x.y]`.

Each operation becomes the Active Record call a Rails developer would write (`add_column`,
`change_column_null`, `add_index ..., where:, algorithm: :concurrently`, `add_foreign_key ...,
on_delete:`, `add_check_constraint`), found through a table from operation class to a small
function (Alembic's render.py shape). The migration uses `change` when every call is one Rails
can reverse by itself, `up`/`down` otherwise, with the down built from the plan's reverse (and
`raise ActiveRecord::IrreversibleMigration` with the reason when there is none). What Active
Record cannot say in the versions migwright runs (6.1 up to 7.1: unique constraints as such,
PostgreSQL enum types, composite foreign keys, SET DEFAULT) is `execute` with the dialect's
SQL, under a comment saying why. CREATE INDEX CONCURRENTLY comes with
`disable_ddl_transaction!`, as Rails requires.
"""

from __future__ import annotations

import posixpath
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from .. import backfill, sql
from .. import ops as o
from ..dialects import Dialect, get
from ..dialects.postgres import needs_using
from ..repo import RepoFacts
from ..schema import Column, ForeignKey, Index, Schema, Table, UniqueConstraint, is_identifier
from .base import FrameworkConfig, History
from .rails import camelize
from .rails_ruby import (
    action,
    call,
    column_options,
    default,
    expected_after,
    heredoc,
    migration_version,
    names,
    string,
    sym,
)
from .render import File, MigrationPlan

__all__ = ["RENDERERS", "expected_after", "render"]

I2, I4, I6 = "  ", "    ", "      "


@dataclass(frozen=True)
class Code:
    """Ruby lines for one operation (indented for a method body), whether Rails can reverse
    them by itself inside `change`, and whether they are Active Record calls (not SQL)."""

    lines: list[str]
    reversible: bool
    native: bool = True


Renderer = Callable[[Dialect, Any, Schema, Schema], Code]


# ---------------------------------------------------------------------------------------------
# The file
# ---------------------------------------------------------------------------------------------


def render(
    repo: RepoFacts, config: FrameworkConfig, history: History, plan: MigrationPlan
) -> list[File]:
    d = get(plan.dialect)
    up = _codes(d, plan.operations, plan.before)
    slug = posixpath.basename(plan.name).split("_", 1)[1].removesuffix(".rb")
    lines = [
        f"class {camelize(slug)} < ActiveRecord::Migration[{migration_version(repo, history)}]"
    ]
    batched = any(isinstance(op, o.Backfill) and op.batch_size for op in plan.operations)
    if (d.name == "postgresql" and not plan.transactional) or batched:
        lines += [f"{I2}disable_ddl_transaction!", ""]  # batches commit one by one
    down = [] if plan.reverse.irreversible else _codes(d, *_down_plan(d, plan))
    if down and all(c.reversible for c in up) and all(c.native for c in down):
        # Rails' own inverse of each call is the plan's reverse (and needs no SQL)
        lines += [f"{I2}def change", *_body(up), f"{I2}end"]
    else:
        lines += [f"{I2}def up", *_body(up), f"{I2}end", "", f"{I2}def down"]
        if plan.reverse.irreversible:
            reason = "; ".join(
                f"{op.describe().strip()}: {why.reason}" for op, why in plan.reverse.irreversible
            )
            lines.append(f"{I4}raise ActiveRecord::IrreversibleMigration, {string(reason)}")
        else:
            lines += _loss(plan)
            lines += _body(down)
        lines.append(f"{I2}end")
    lines.append("end")
    return [File(plan.name, "\n".join(lines) + "\n")]


def _codes(d: Dialect, operations: tuple[o.Operation, ...], before: Schema) -> list[Code]:
    codes = []
    state = before
    for op in operations:
        after = op.apply(state)
        codes.append(_render(d, op, state, after))
        state = after
    return codes


def _render(d: Dialect, op: o.Operation, before: Schema, after: Schema) -> Code:
    for cls in type(op).__mro__:
        renderer = RENDERERS.get(cls)
        if renderer is not None:
            return renderer(d, op, before, after)
    return _execute(d, op, before, after, "Active Record has no call for this operation")


def _body(codes: list[Code]) -> list[str]:
    """The calls one after another; a block of several lines stands apart by blank lines."""
    out: list[str] = []
    previous_block = False
    said: set[str] = set()
    for code in codes:
        # a reason given once (for the first `execute` of its kind) is not repeated
        lines = [line for line in code.lines if line not in said or not _is_comment(line)]
        said.update(line for line in code.lines if _is_comment(line))
        block = len(lines) > 1
        if out and (block or previous_block):
            out.append("")
        out += lines
        previous_block = block
    return out


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _loss(plan: MigrationPlan) -> list[str]:
    if not plan.reverse.data_loss:
        return []
    text = f"Not brought back by this down: {'; '.join(plan.reverse.data_loss)}."
    return [f"{I4}# {line}" for line in textwrap.wrap(text, 94)]


def _down_plan(d: Dialect, plan: MigrationPlan) -> tuple[tuple[o.Operation, ...], Schema]:
    """The reverse operations, and the schema they start from, as Rails sees them.

    Outside PostgreSQL a unique constraint this migration adds is written `add_index ...,
    unique: true` (see `_add_unique`), so its reverse drops that index rather than a constraint
    (which on SQLite would mean rebuilding the table).
    """
    ops, after = plan.reverse.operations, plan.after
    if d.name == "postgresql":
        return ops, after
    added = {(op.table, op.unique.name) for op in plan.operations if isinstance(op, o.AddUnique)}
    if not added:
        return ops, after
    for table_name, name in added:
        table = after.table(table_name)
        unique = next(u for u in table.uniques if u.name == name)
        assert name is not None
        index = Index(name, unique.columns, unique=True)
        uniques = tuple(u for u in table.uniques if u is not unique)
        after = after.with_table(replace(table, uniques=uniques, indexes=(*table.indexes, index)))
    ops = tuple(
        o.DropIndex(op.table, op.name)
        if type(op) is o.DropConstraint and (op.table, op.name) in added
        else op
        for op in ops
    )
    return ops, after


# ---------------------------------------------------------------------------------------------
# One function per operation
# ---------------------------------------------------------------------------------------------


def _execute(d: Dialect, op: o.Operation, before: Schema, after: Schema, why: str) -> Code:
    """The dialect's SQL for `op` through `execute`, with the reason as a comment."""
    lines = [f"{I4}# {why}"] if why else []
    for statement in sql.render([op], before, d):
        if statement.note:
            lines.append(f"{I4}# {statement.note}")
        lines += heredoc(statement.sql, I4)
    return Code(lines, reversible=False, native=False)


def _create_table(d: Dialect, op: o.CreateTable, before: Schema, after: Schema) -> Code:
    table = op.table
    head = _table_options(table)
    awkward = any(len(fk.columns) > 1 or _fk_bad(fk) for fk in table.foreign_keys)
    pk = table.primary_key
    made_by_rails = len(pk) == 1 and table.column(pk[0]).identity
    loose_identity = any(
        c.identity and not (made_by_rails and c.name == pk[0]) for c in table.columns
    )
    if head is None or awkward or loose_identity:
        return _execute(d, op, before, after, "create_table cannot declare this table")
    lines = [f"{I4}" + call("create_table", sym(table.name), head) + " do |t|"]
    for column in table.columns:
        if made_by_rails and column.name == pk[0]:
            continue
        kind, options = column_options(column, d, after)
        if pk == (column.name,):
            options.append("primary_key: true")
        if kind.startswith(":"):
            lines.append(f"{I6}t.{kind[1:]} " + ", ".join([sym(column.name), *options]))
        else:
            lines.append(f"{I6}t.column " + ", ".join([sym(column.name), kind, *options]))
    for index in table.indexes:
        lines.append(f"{I6}t.index " + ", ".join(_index_args(d, index, after)))
    constraints: list[str] = []
    for unique in table.uniques:
        if d.name == "postgresql":
            constraints += _unique_sql(d, table.name, unique, after)
        else:
            lines.append(f"{I6}t.index " + ", ".join(_unique_index_args(unique)))
    for fk in table.foreign_keys:
        lines.append(f"{I6}t.foreign_key " + ", ".join(_fk_args(fk)))
    for check in table.checks:
        args = [string(d.expression(check.expression, after))]
        args += [f"name: {string(check.name)}"] if check.name else []
        lines.append(f"{I6}t.check_constraint " + ", ".join(args))
    lines.append(f"{I4}end")
    if constraints:
        lines += [f"{I4}# Active Record before 7.1 has no unique constraints, only indexes"]
        lines += constraints
    return Code(lines, reversible=not constraints, native=not constraints)


def _table_options(table: Table) -> str | None:
    """create_table's key options: none for Rails' own `id bigint`, else id:/primary_key:."""
    pk = table.primary_key
    if not pk:
        return "id: false"
    if len(pk) > 1:
        return f"primary_key: {names(pk)}"
    column = table.column(pk[0])
    if not column.identity:
        return "id: false"
    kind = {"bigint": "", "integer": "id: :integer"}.get(column.type.split("(")[0].lower())
    if kind is None or column.default is not None:
        return None
    key = "" if pk[0] == "id" else f"primary_key: {sym(pk[0])}"
    return ", ".join(x for x in (kind, key) if x)


def _drop_table(d: Dialect, op: o.DropTable, before: Schema, after: Schema) -> Code:
    return Code([f"{I4}drop_table {sym(op.name)}"], reversible=False)


def _rename_table(d: Dialect, op: o.RenameTable, before: Schema, after: Schema) -> Code:
    return Code([f"{I4}rename_table {sym(op.old)}, {sym(op.new)}"], reversible=True)


def _add_column(d: Dialect, op: o.AddColumn, before: Schema, after: Schema) -> Code:
    if op.column.identity:
        return _execute(d, op, before, after, "Active Record adds identity columns only as keys")
    kind, options = column_options(op.column, d, after)
    return Code(
        [f"{I4}" + call("add_column", sym(op.table), sym(op.column.name), kind, *options)],
        reversible=True,
    )


def _drop_column(d: Dialect, op: o.DropColumn, before: Schema, after: Schema) -> Code:
    column = before.table(op.table).column(op.column)
    if column.identity:
        return Code([f"{I4}remove_column {sym(op.table)}, {sym(op.column)}"], reversible=False)
    kind, options = column_options(column, d, before)
    line = call("remove_column", sym(op.table), sym(op.column), kind, *options)
    return Code([f"{I4}{line}"], reversible=True)


def _alter_column(d: Dialect, op: o.AlterColumn, before: Schema, after: Schema) -> Code:
    old = before.table(op.table).column(op.column)
    new = after.table(op.table).column(op.column)
    table, name = sym(op.table), sym(op.column)
    if op.type is not None and old.type != new.type:
        # change_column restates the column (MySQL's MODIFY, SQLite's rebuild): what it must
        # keep is in the options, what it must drop is said explicitly.
        kind, options = column_options(new, d, after)
        if new.nullable and not old.nullable:
            options.append("null: true")
        if new.default is None and old.default is not None:
            options.append("default: nil")
        using = _using(d, op, old, new, after)
        if using:
            options.append(f"using: {string(using)}")
        return Code([f"{I4}" + call("change_column", table, name, kind, *options)], False)
    lines: list[str] = []
    if op.nullable is not None and op.nullable != old.nullable:
        lines.append(f"{I4}change_column_null {table}, {name}, {str(op.nullable).lower()}")
    if op.default is not o.KEEP and old.default != new.default:
        was = default(old, d, before) or "nil"
        now = default(new, d, after) or "nil"
        lines.append(f"{I4}change_column_default {table}, {name}, from: {was}, to: {now}")
    return Code(lines, reversible=True)


def _using(d: Dialect, op: o.AlterColumn, old: Column, new: Column, after: Schema) -> str | None:
    if d.name != "postgresql":
        return None
    if op.using:
        return d.expression(op.using, after)
    if needs_using(old.type, new.type):
        return f"{d.quote(op.column)}::{d.column_type(new, after)}"
    return None


def _rename_column(d: Dialect, op: o.RenameColumn, before: Schema, after: Schema) -> Code:
    return Code([f"{I4}rename_column {sym(op.table)}, {sym(op.old)}, {sym(op.new)}"], True)


def _index_args(d: Dialect, index: Index, schema: Schema) -> list[str]:
    if all(is_identifier(c) for c in index.columns):
        columns = names(index.columns)
    else:
        parts = [c if is_identifier(c) else d.expression(c, schema) for c in index.columns]
        columns = string(", ".join(parts))
    args = [columns, f"name: {string(index.name)}"]
    if index.unique:
        args.append("unique: true")
    if index.where:
        args.append(f"where: {string(d.expression(index.where, schema))}")
    if index.using:
        args.append(f"using: {sym(index.using.lower())}")
    return args


def _create_index(d: Dialect, op: o.CreateIndex, before: Schema, after: Schema) -> Code:
    args = [sym(op.table), *_index_args(d, op.index, after), *_algorithm(d, op.concurrently)]
    # Rails finds the index to remove by its columns, which an expression never matches
    return Code([f"{I4}" + call("add_index", *args)], reversible=not op.index.is_expression)


def _algorithm(d: Dialect, concurrently: bool) -> list[str]:
    if not concurrently:
        return []
    return {"postgresql": ["algorithm: :concurrently"], "mysql": ["algorithm: :inplace"]}.get(
        d.name, []
    )


def _drop_index(d: Dialect, op: o.DropIndex, before: Schema, after: Schema) -> Code:
    if _innodb_key(d, op, before):
        return _execute(d, op, before, after, _INNODB)
    args = [sym(op.table), f"name: {string(op.name)}", *_algorithm(d, op.concurrently)]
    return Code([f"{I4}" + call("remove_index", *args)], reversible=False)


_INNODB = "InnoDB keeps an index for a foreign key; remove_index / remove_foreign_key ignore it"


def _innodb_key(d: Dialect, op: o.Operation, before: Schema) -> bool:
    """True when MySQL needs more than the one statement Rails would send (see mysql_keys)."""
    return d.name == "mysql" and len(sql.render([op], before, d)) > 1


def _fk_bad(fk: ForeignKey) -> bool:
    try:
        action(fk.on_delete)
        action(fk.on_update)
    except KeyError:
        return True
    return False


def _fk_args(fk: ForeignKey) -> list[str]:
    args = [sym(fk.ref_table), f"column: {sym(fk.columns[0])}"]
    if fk.ref_columns != ("id",):
        args.append(f"primary_key: {sym(fk.ref_columns[0])}")
    if fk.name:
        args.append(f"name: {string(fk.name)}")
    for key, value in (("on_delete", fk.on_delete), ("on_update", fk.on_update)):
        if value:
            args.append(f"{key}: {action(value)}")
    return args


def _add_foreign_key(d: Dialect, op: o.AddForeignKey, before: Schema, after: Schema) -> Code:
    fk = op.foreign_key
    if len(fk.columns) > 1 or _fk_bad(fk):
        why = "add_foreign_key takes one column and cascade / nullify / restrict only"
        return _execute(d, op, before, after, why)
    return Code([f"{I4}" + call("add_foreign_key", sym(op.table), *_fk_args(fk))], True)


def _unique_index_args(unique: UniqueConstraint) -> list[str]:
    args = [names(unique.columns), "unique: true"]
    return args + ([f"name: {string(unique.name)}"] if unique.name else [])


def _unique_sql(d: Dialect, table: str, unique: UniqueConstraint, schema: Schema) -> list[str]:
    body = d.named(unique.name, f"UNIQUE ({d.names(unique.columns)})")
    return heredoc(f"ALTER TABLE {d.quote(table)} ADD {body}", I4)


def _add_unique(d: Dialect, op: o.AddUnique, before: Schema, after: Schema) -> Code:
    if d.name == "postgresql":
        why = "Active Record before 7.1 has no unique constraints, only unique indexes"
        return _execute(d, op, before, after, why)
    args = [sym(op.table), *_unique_index_args(op.unique)]
    return Code([f"{I4}" + call("add_index", *args)], reversible=True)


def _add_check(d: Dialect, op: o.AddCheck, before: Schema, after: Schema) -> Code:
    args = [sym(op.table), string(d.expression(op.check.expression, after))]
    args += [f"name: {string(op.check.name)}"] if op.check.name else []
    return Code([f"{I4}" + call("add_check_constraint", *args)], reversible=True)


def _drop_constraint(d: Dialect, op: o.DropConstraint, before: Schema, after: Schema) -> Code:
    item = op.find(before.table(op.table))
    table, name = sym(op.table), string(op.name)
    if _innodb_key(d, op, before):
        return _execute(d, op, before, after, _INNODB)
    if isinstance(item, ForeignKey):
        # SQLite does not keep foreign key names: Rails finds the key by its target and column
        args = [table, sym(item.ref_table), f"column: {sym(item.columns[0])}"]
        if d.name != "sqlite":
            args.append(f"name: {name}")
        return Code([f"{I4}" + call("remove_foreign_key", *args)], reversible=False)
    if isinstance(item, UniqueConstraint):
        if d.name == "mysql":
            return Code([f"{I4}remove_index {table}, name: {name}"], reversible=False)
        return _execute(d, op, before, after, "a unique constraint is not an index to Rails")
    return Code([f"{I4}remove_check_constraint {table}, name: {name}"], reversible=False)


def _enum(d: Dialect, op: o.Operation, before: Schema, after: Schema) -> Code:
    if d.name != "postgresql":
        return Code([f"{I4}# {op.describe().strip()}: {d.label} has no enum types"], True)
    return _execute(d, op, before, after, "Active Record before 7.0 has no enum types")


def _backfill(d: Dialect, op: o.Backfill, before: Schema, after: Schema) -> Code:
    why = "data change: plain SQL, so the migration does not depend on the app's models"
    if not op.batch_size:
        return _execute(d, op, before, after, why)
    # Values go in through Kernel#format with connection.quote, not sanitize_sql_array: Active
    # Record before 7.1 reads any `:word` as a bind, even inside a string literal, and has no
    # escape for it; a literal `%` is written `%%` for format.
    b = backfill.batch_sql(
        d,
        op,
        after,
        op.batch_size,
        "format",
        lambda text: text.replace("%", "%%"),
        throttle_ms=op.throttle_ms or 0,
    )
    lines = [f"{I4}# {line}" for line in textwrap.wrap(b.describe() + ".", 90)]
    lines += [
        f"{I4}label = {string(f'backfill {op.table}.{op.column}')}",
        f"{I4}first_sql = {string(b.first)}",
        f"{I4}bound_sql = {string(b.bound)}",
        f"{I4}update_sql = {string(b.update)}",
        f"{I4}tail_sql = {string(b.tail)}",
        f"{I4}lo = select_rows(format(first_sql)).first",
        f"{I4}batches = 0",
        f"{I4}until lo.nil?",
        f"{I6}keys = lo.map {{ |value| quote(value) }}",
        f"{I6}nx = select_rows(format(bound_sql, *keys)).first",
        f"{I6}if nx.nil?",
        f"{I6}  exec_update(format(tail_sql, *keys))",
        f"{I6}else",
        f"{I6}  exec_update(format(update_sql, *keys, *nx.map {{ |value| quote(value) }}))",
        f"{I6}end",
        f"{I6}batches += 1",
        f'{I6}say "#{{label}}: #{{batches}} batches of {b.size}" if (batches % {b.every}).zero?',
    ]
    if b.throttle_ms:
        lines.append(f"{I6}sleep {b.throttle_ms / 1000}")
    lines += [f"{I6}lo = nx", f"{I4}end"]
    return Code(lines, reversible=False, native=False)


def _raw_sql(d: Dialect, op: o.RawSQL, before: Schema, after: Schema) -> Code:
    return _execute(d, op, before, after, "")


def _noop(d: Dialect, op: o.NoOp, before: Schema, after: Schema) -> Code:
    return Code([f"{I4}# Nothing to do: {op.reason}"], reversible=True)


RENDERERS: dict[type[o.Operation], Renderer] = {
    o.CreateTable: _create_table,
    o.DropTable: _drop_table,
    o.RenameTable: _rename_table,
    o.AddColumn: _add_column,
    o.DropColumn: _drop_column,
    o.AlterColumn: _alter_column,
    o.RenameColumn: _rename_column,
    o.CreateIndex: _create_index,
    o.DropIndex: _drop_index,
    o.AddForeignKey: _add_foreign_key,
    o.AddUnique: _add_unique,
    o.AddCheck: _add_check,
    o.DropConstraint: _drop_constraint,
    o.CreateEnum: _enum,
    o.DropEnum: _enum,
    o.AddEnumValue: _enum,
    o.Backfill: _backfill,
    o.RawSQL: _raw_sql,
    o.NoOp: _noop,
}
