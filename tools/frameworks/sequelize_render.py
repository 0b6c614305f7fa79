"""Sequelize migrations: `queryInterface` calls in `up` / `down`, as sequelize-cli lays them out.

One awaited `queryInterface.createTable / addColumn / changeColumn / renameColumn / addIndex /
addConstraint / removeConstraint ...` per step, attribute objects in the shape sequelize-cli's
template uses, every key and index named so the down can drop it by name. On PostgreSQL and
SQLite, whose DDL is transactional, up and down run inside
`queryInterface.sequelize.transaction(...)` with `{ transaction }` passed to every call; MySQL
commits each DDL statement anyway, so its files do without.

What queryInterface cannot say goes through `queryInterface.sequelize.query(...)` with the SQL
of `tools/sql.py` and a comment saying why: partial and expression indexes (addIndex takes a
where object, not SQL), check constraints, PostgreSQL enum types, a type change that needs a
USING cast, and on SQLite every change that rebuilds a table (Sequelize's SQLite queryInterface
rebuilds from `describeTable`, which drops the table's foreign keys, uniques and indexes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .. import backfill
from .. import ops as o
from ..dialects import Dialect, get
from ..dialects.base import Statement, identity_of
from ..repo import RepoFacts
from ..schema import ForeignKey, Index, Schema, Table, UniqueConstraint, is_identifier
from ..sql import render as render_sql
from ..sqlscript import split_sql
from .base import FrameworkConfig, History
from .js_backfill import Host, loop_lines
from .jsrender import (
    Arr,
    Arrow,
    Assign,
    Await,
    Blank,
    Call,
    Comment,
    ExprStmt,
    JsStyle,
    Lines,
    Method,
    Node,
    Obj,
    Printer,
    Raw,
    Stmt,
    Str,
    dotted,
    print_module,
    quote,
    style_for,
)
from .render import File, MigrationPlan
from .sequelize_columns import attributes


class Fallback(Exception):
    """This operation is written as `sequelize.query(sql)`; the message says why."""


@dataclass(frozen=True)
class Step:
    """One awaited call; `options` is its last argument (`{ transaction }` joins it)."""

    path: str
    args: tuple[Node, ...]
    options: tuple[tuple[str, Node], ...] = ()
    comment: str | None = None
    transactional: bool = True
    #: addConstraint takes its options as its only object argument (no separate options).
    options_inline: bool = False
    #: Verbatim lines written instead of the awaited call (a batched backfill's loop).
    block: tuple[str, ...] = ()

    def node(self, transaction: bool) -> Node:
        opts = list(self.options)
        if transaction:
            opts.append(("transaction", Raw("transaction")))
        args = self.args
        if opts:
            args = (*args, Obj(tuple(opts)))
        return Call(dotted(self.path), args)


def qi(method: str, *args: Node | str, options: Sequence[tuple[str, Node]] = ()) -> Step:
    nodes = tuple(Str(a) if isinstance(a, str) else a for a in args)
    return Step(f"queryInterface.{method}", nodes, tuple(options))


def query(sql: str, comment: str | None = None, transactional: bool = True) -> Step:
    text = " ".join(sql.split())
    return Step("queryInterface.sequelize.query", (Str(text),), (), comment, transactional)


@dataclass
class SequelizeWriter:
    dialect: Dialect
    statements: tuple[Statement, ...] = field(default=())
    #: The repo's formatting, for the verbatim blocks (set by `render`).
    style: JsStyle = field(default_factory=JsStyle)

    def steps(self, operations: Sequence[o.Operation], before: Schema) -> list[Step]:
        out: list[Step] = []
        state = before
        for op in operations:
            after = op.apply(state)
            self.statements = tuple(render_sql([op], state, self.dialect))
            fn = o.handler_for(RENDERERS, op)
            try:
                if fn is None:
                    raise Fallback(f"queryInterface has no call for {type(op).__name__}")
                out += fn(self, op, state, after)
            except Fallback as why:
                out += self.raw(self.statements, str(why))
            state = after
        return out

    def raw(self, statements: Sequence[Statement], why: str) -> list[Step]:
        return [
            query(s.sql, why if i == 0 else None, s.transactional) for i, s in enumerate(statements)
        ]

    @property
    def sqlite(self) -> bool:
        return self.dialect.name == "sqlite"

    def not_on_sqlite(self, what: str) -> None:
        if self.sqlite:
            raise Fallback(
                f"Sequelize's SQLite {what} rebuilds the table without its keys and indexes"
            )

    def single_statement(self) -> None:
        if self.dialect.name == "mysql" and len(self.statements) > 1:
            note = next((s.note for s in self.statements if s.note), None)
            raise Fallback(note or "MySQL needs more than one statement here")

    # -- pieces ----------------------------------------------------------------------------
    def attrs(
        self,
        table: Table,
        column_name: str,
        schema: Schema,
        fk: ForeignKey | None = None,
        expand: bool = False,
    ) -> Obj:
        """A column's attribute object: expanded in createTable, as sequelize-cli writes it."""
        column = table.column(column_name)
        return Obj(tuple(attributes(column, table, self.dialect, schema, references=fk)), expand)

    def index(self, table: str, index: Index) -> Step:
        if not all(is_identifier(c) for c in index.columns):
            raise Fallback("queryInterface.addIndex takes column names, not expressions")
        if index.where:
            raise Fallback("queryInterface.addIndex takes a where object, not a SQL predicate")
        options: list[tuple[str, Node]] = [("name", Str(index.name))]
        if index.unique:
            options.append(("unique", Raw("true")))
        if index.using and index.using.lower() != "btree":
            if self.dialect.name != "postgresql":
                raise Fallback(f"{self.dialect.label} indexes take no method")
            options.append(("using", Str(index.using)))
        return qi("addIndex", table, _arr(index.columns), options=options)

    def constraint(
        self,
        table: str,
        kind: str,
        name: str | None,
        fields: Sequence[str],
        extra: Sequence[tuple[str, Node]] = (),
    ) -> Step:
        options: list[tuple[str, Node]] = [("fields", _arr(fields)), ("type", Str(kind))]
        if name:
            options.append(("name", Str(name)))
        options += extra
        return Step("queryInterface.addConstraint", (Str(table),), tuple(options))

    def foreign(self, table: str, fk: ForeignKey) -> Step:
        if len(fk.columns) != 1:
            raise Fallback("queryInterface.addConstraint references one column")
        ref = Obj((("table", Str(fk.ref_table)), ("field", Str(fk.ref_columns[0]))))
        extra: list[tuple[str, Node]] = [("references", ref)]
        if fk.on_delete:
            extra.append(("onDelete", Str(fk.on_delete.lower())))
        if fk.on_update:
            extra.append(("onUpdate", Str(fk.on_update.lower())))
        return self.constraint(table, "foreign key", fk.name, fk.columns, extra)

    def check(self, table: str, name: str | None, expression: str, schema: Schema) -> Step:
        sql = self.dialect.expression(expression, schema)
        where = Call(dotted("Sequelize.literal"), (Str(sql),))
        return self.constraint(table, "check", name, [], [("where", where)])


def _arr(names: Sequence[str]) -> Arr:
    return Arr(tuple(Str(n) for n in names))


Renderer = Callable[[SequelizeWriter, o.Operation, Schema, Schema], list[Step]]


def _create_table(
    w: SequelizeWriter, op: o.CreateTable, before: Schema, after: Schema
) -> list[Step]:
    t = op.table
    inline = {fk.columns[0]: fk for fk in t.foreign_keys if w.sqlite and len(fk.columns) == 1}
    if w.sqlite and len(inline) < len(t.foreign_keys):
        raise Fallback("Sequelize's createTable references one column per foreign key")
    for column in t.columns:
        if identity_of(column) and t.primary_key != (column.name,):
            raise Fallback(f"Sequelize auto-numbers only a primary key ({column.name})")
    columns = tuple(
        (c.name, w.attrs(t, c.name, after, inline.get(c.name), True)) for c in t.columns
    )
    steps = [qi("createTable", t.name, Obj(columns, True))]
    if not w.sqlite:
        steps += [w.constraint(t.name, "unique", u.name, u.columns) for u in t.uniques]
        steps += [w.foreign(t.name, fk) for fk in t.foreign_keys]
    # On SQLite addConstraint copies the table; right after createTable it has no rows,
    # indexes or referencing keys yet, so nothing is lost and the checks go in first.
    steps += [w.check(t.name, c.name, c.expression, after) for c in t.checks]
    if w.sqlite:
        steps += [w.index(t.name, Index(u.name or "", u.columns, unique=True)) for u in t.uniques]
    for index in t.indexes:
        try:
            steps.append(w.index(t.name, index))
        except Fallback as why:
            sql = w.dialect.create_index_sql(t.name, index, after)
            steps.append(query(sql, str(why)))
    return steps


def _drop_table(w: SequelizeWriter, op: o.DropTable, before: Schema, after: Schema) -> list[Step]:
    return [qi("dropTable", op.name)]


def _rename_table(
    w: SequelizeWriter, op: o.RenameTable, before: Schema, after: Schema
) -> list[Step]:
    return [qi("renameTable", op.old, op.new)]


def _add_column(w: SequelizeWriter, op: o.AddColumn, before: Schema, after: Schema) -> list[Step]:
    if op.column.identity:
        raise Fallback("Sequelize cannot add an auto-numbered column to a table")
    if w.sqlite and len(w.statements) > 1:
        raise Fallback("SQLite cannot add this column in place; the table is rebuilt")
    table = after.table(op.table)
    return [qi("addColumn", op.table, op.column.name, w.attrs(table, op.column.name, after))]


def _drop_column(w: SequelizeWriter, op: o.DropColumn, before: Schema, after: Schema) -> list[Step]:
    w.not_on_sqlite("removeColumn")
    return [qi("removeColumn", op.table, op.column)]


def _rename_column(
    w: SequelizeWriter, op: o.RenameColumn, before: Schema, after: Schema
) -> list[Step]:
    w.not_on_sqlite("renameColumn")
    return [qi("renameColumn", op.table, op.old, op.new)]


def _alter_column(
    w: SequelizeWriter, op: o.AlterColumn, before: Schema, after: Schema
) -> list[Step]:
    w.not_on_sqlite("changeColumn")
    if op.using or any(" USING " in s.sql for s in w.statements):
        raise Fallback("queryInterface.changeColumn cannot give the type change a USING cast")
    table = after.table(op.table)
    if identity_of(table.column(op.column)):
        raise Fallback("queryInterface.changeColumn would drop the column's auto-numbering")
    return [qi("changeColumn", op.table, op.column, w.attrs(table, op.column, after))]


def _create_index(
    w: SequelizeWriter, op: o.CreateIndex, before: Schema, after: Schema
) -> list[Step]:
    step = w.index(op.table, op.index)
    if op.concurrently:
        step = Step(
            step.path,
            step.args,
            (*step.options, ("concurrently", Raw("true"))),
            transactional=False,
        )
    return [step]


def _drop_index(w: SequelizeWriter, op: o.DropIndex, before: Schema, after: Schema) -> list[Step]:
    w.single_statement()
    if op.concurrently:
        options = (("concurrently", Raw("true")),)
        return [
            Step(
                "queryInterface.removeIndex",
                (Str(op.table), Str(op.name)),
                options,
                transactional=False,
            )
        ]
    return [qi("removeIndex", op.table, op.name)]


def _add_foreign_key(
    w: SequelizeWriter, op: o.AddForeignKey, before: Schema, after: Schema
) -> list[Step]:
    w.not_on_sqlite("addConstraint")
    return [w.foreign(op.table, op.foreign_key)]


def _add_unique(w: SequelizeWriter, op: o.AddUnique, before: Schema, after: Schema) -> list[Step]:
    u = op.unique
    if w.sqlite:
        return [w.index(op.table, Index(u.name or "", u.columns, unique=True))]
    return [w.constraint(op.table, "unique", u.name, u.columns)]


def _add_check(w: SequelizeWriter, op: o.AddCheck, before: Schema, after: Schema) -> list[Step]:
    w.not_on_sqlite("addConstraint")
    return [w.check(op.table, op.check.name, op.check.expression, after)]


def _drop_constraint(
    w: SequelizeWriter, op: o.DropConstraint, before: Schema, after: Schema
) -> list[Step]:
    w.not_on_sqlite("removeConstraint")
    w.single_statement()
    item = op.find(before.table(op.table))
    if w.dialect.name == "mysql" and not isinstance(item, UniqueConstraint):
        # it looks the name up in information_schema and ends in DROP INDEX for these
        raise Fallback("Sequelize's MySQL removeConstraint drops only unique keys reliably")
    return [qi("removeConstraint", op.table, op.name)]


def _raw_sql(w: SequelizeWriter, op: o.RawSQL, before: Schema, after: Schema) -> list[Step]:
    return [query(s.sql) for s in split_sql(op.sql)]


def _backfill(w: SequelizeWriter, op: o.Backfill, before: Schema, after: Schema) -> list[Step]:
    if not op.batch_size:
        return [query(s.sql) for s in w.statements]
    # A loop of committed batches (tools/backfill.py): bind parameters are $1.., and a literal
    # `$` is written `$$` so that Sequelize does not take it for one.
    escape = lambda text: text.replace("$", "$$")  # noqa: E731
    b = backfill.batch_sql(
        w.dialect, op, after, op.batch_size, "numeric", escape, op.throttle_ms or 0
    )

    def run(sql: str, params: str | None) -> str:
        # always a bind option, even empty: only then are `$$` read back as `$`
        return f"queryInterface.sequelize.query({sql}, {{ bind: {params or '[]'} }})"

    host = Host(
        run=run,
        first=lambda call: f"(await {call})[0][0]",
        quote=lambda text: quote(text, w.style),
        indent=w.style.indent,
        end=w.style.end,
        width=w.style.width - 2 * len(w.style.indent),  # inside module.exports = { up() {
    )
    return [Step("", (), transactional=False, block=tuple(loop_lines(b, host)))]


def _noop(w: SequelizeWriter, op: o.NoOp, before: Schema, after: Schema) -> list[Step]:
    return []


def _enum(w: SequelizeWriter, op: o.Operation, before: Schema, after: Schema) -> list[Step]:
    raise Fallback("queryInterface has no call for a PostgreSQL enum type")


RENDERERS: dict[type[o.Operation], Renderer] = {
    o.CreateTable: _create_table,  # type: ignore[dict-item]
    o.DropTable: _drop_table,  # type: ignore[dict-item]
    o.RenameTable: _rename_table,  # type: ignore[dict-item]
    o.AddColumn: _add_column,  # type: ignore[dict-item]
    o.DropColumn: _drop_column,  # type: ignore[dict-item]
    o.RenameColumn: _rename_column,  # type: ignore[dict-item]
    o.AlterColumn: _alter_column,  # type: ignore[dict-item]
    o.CreateIndex: _create_index,  # type: ignore[dict-item]
    o.DropIndex: _drop_index,  # type: ignore[dict-item]
    o.AddForeignKey: _add_foreign_key,  # type: ignore[dict-item]
    o.AddUnique: _add_unique,  # type: ignore[dict-item]
    o.AddCheck: _add_check,  # type: ignore[dict-item]
    o.DropConstraint: _drop_constraint,  # type: ignore[dict-item]
    o.Backfill: _backfill,  # type: ignore[dict-item]
    o.RawSQL: _raw_sql,  # type: ignore[dict-item]
    o.NoOp: _noop,  # type: ignore[dict-item]
    o.CreateEnum: _enum,
    o.DropEnum: _enum,
    o.AddEnumValue: _enum,
}


# ---------------------------------------------------------------------------------------------
# The file
# ---------------------------------------------------------------------------------------------


def _statements(steps: Sequence[Step], transaction: bool) -> list[Stmt]:
    out: list[Stmt] = []
    said = None
    for step in steps:
        if step.comment and step.comment != said:
            out.append(Comment(step.comment))
        said = step.comment or said
        out.append(Lines(step.block) if step.block else ExprStmt(Await(step.node(transaction))))
    return out


def _method(
    steps: Sequence[Step], use_tx: bool, style: JsStyle, extra: Sequence[Stmt] = ()
) -> Method:
    """`async up(queryInterface, Sequelize) {...}`, naming only the parameters it uses (a
    down that only throws takes none), as sequelize-cli's own examples do."""
    body: list[Stmt] = [*extra]
    if use_tx and steps:
        inner = tuple(_statements(steps, True))
        arrow = Arrow(("transaction",), inner, is_async=True)
        body.append(ExprStmt(Await(Call(dotted("queryInterface.sequelize.transaction"), (arrow,)))))
    else:
        body += _statements(steps, False)
    text = Printer(style).block(body, 0)
    params = [p for p in ("queryInterface", "Sequelize") if f"{p}." in text]
    if params == ["Sequelize"]:
        params = ["queryInterface", "Sequelize"]
    return Method(tuple(params), tuple(body), prefix="async")


def render(
    repo: RepoFacts, config: FrameworkConfig, history: History, plan: MigrationPlan
) -> list[File]:
    """The migration file at `plan.name`, in sequelize-cli's module shape."""
    dialect = get(plan.dialect)
    writer = SequelizeWriter(dialect)
    writer.style = style_for(repo, [m.path for m in history.migrations][-5:], config.root)
    up = writer.steps(plan.operations, plan.before)
    down: list[Step] = []
    down_extra: list[Stmt] = []
    if plan.reverse.irreversible:
        reasons = "; ".join(why.reason for _, why in plan.reverse.irreversible)
        down_extra.append(
            ExprStmt(Call(Raw("throw new Error"), (Str(f"irreversible migration: {reasons}"),)))
        )
    else:
        down = writer.steps(plan.reverse.operations, plan.after)
        if plan.reverse.data_loss:
            lost = "; ".join(plan.reverse.data_loss)
            down_extra.append(Comment(f"not restored by this down: {lost}"))
    transactional = dialect.transactional_ddl and all(s.transactional for s in up + down)
    style = style_for(repo, [m.path for m in history.migrations][-5:], config.root)
    methods = Obj(
        (
            ("up", _method(up, transactional, style)),
            ("down", _method(down, transactional, style, down_extra)),
        ),
        expand=True,
        spaced=True,
    )
    head: list[Stmt] = [
        Lines((f"{_q('use strict', style)}{style.end}",)),
        Blank(),
        Comment(plan.description[:1].upper() + plan.description[1:]),
    ]
    if not transactional and dialect.transactional_ddl:
        head.append(Comment("runs without a transaction: a step cannot run inside one"))
    body = [
        *head,
        Blank(),
        Lines(("/** @type {import('sequelize-cli').Migration} */",)),
        Assign("module.exports", methods),
    ]
    text = print_module(body, style)
    return [File(plan.name, text)]


def _q(text: str, style: JsStyle) -> str:
    return quote(text, style)


__all__ = ["RENDERERS", "Fallback", "SequelizeWriter", "render"]
