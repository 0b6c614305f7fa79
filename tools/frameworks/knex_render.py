"""Knex migrations: `knex.schema` builder calls in `exports.up` / `exports.down`.

A file reads as `npx knex migrate:make` would start it and a maintainer would finish it: one
`await knex.schema.createTable(...)` or `alterTable(...)` per operation, columns through the
builders (`table.string('sku', 40).notNullable()`), keys and indexes named the way migwright
names them so the down can drop them by name on every client. What the builder cannot say
(a partial or expression index on a client Knex does not do it for, `CREATE INDEX
CONCURRENTLY`, a PostgreSQL enum type, a SQLite table rebuild) is `knex.raw(...)` with the SQL
of `tools/sql.py` for the repo's dialect and a comment saying why. When any step must run
outside a transaction, the file exports `config = { transaction: false }`, Knex's own switch.

Renderers are a table from operation class to a function returning `Step`s; a function raises
`Fallback(reason)` to hand its operation to the raw-SQL path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .. import backfill
from .. import ops as o
from ..dialects import Dialect, get
from ..dialects.base import Statement
from ..errors import DialectError
from ..repo import RepoFacts
from ..schema import Column, ForeignKey, Index, Schema, Table, UniqueConstraint, is_identifier
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
    FunctionDecl,
    JsStyle,
    Lines,
    Member,
    Node,
    Raw,
    Stmt,
    Str,
    call,
    chain,
    obj,
    print_module,
    props,
    style_for,
)
from .jsrender import Function as JsFunction
from .knex_columns import column_chain, increments, raw, references_increments
from .render import File, MigrationPlan


class Fallback(Exception):
    """This operation is written as raw SQL; the message says why (it becomes a comment)."""


@dataclass(frozen=True)
class Step:
    """One awaited expression of up or down, with an optional comment above it."""

    node: Node
    comment: str | None = None
    transactional: bool = True
    #: Verbatim lines written instead of `await node` (a batched backfill's loop).
    block: tuple[str, ...] = ()


@dataclass
class KnexWriter:
    """Turns operations into Knex steps for one dialect."""

    dialect: Dialect
    #: Schemas whose foreign keys decide `.unsigned()` (the plan's before and after).
    context: tuple[Schema, ...] = ()
    #: The SQL of the operation being rendered (for the MySQL special cases and fallbacks).
    statements: tuple[Statement, ...] = ()
    #: The repo's formatting, for the verbatim blocks (set by `render`).
    style: JsStyle = field(default_factory=JsStyle)
    typescript: bool = False

    def steps(self, operations: Sequence[o.Operation], before: Schema) -> list[Step]:
        out: list[Step] = []
        state = before
        for op in operations:
            after = op.apply(state)
            statements = render_sql([op], state, self.dialect)  # validates the dialect too
            self.statements = tuple(statements)
            fn = o.handler_for(RENDERERS, op)
            try:
                if fn is None:
                    raise Fallback(f"Knex has no builder for {type(op).__name__}")
                out += fn(self, op, state, after)
            except Fallback as why:
                out += self.raw_steps(statements, str(why))
            state = after
        return out

    def raw_steps(self, statements: Sequence[object], why: str) -> list[Step]:
        steps = []
        for i, s in enumerate(statements):
            sql = " ".join(str(getattr(s, "sql", s)).split())
            transactional = bool(getattr(s, "transactional", True))
            steps.append(Step(raw(sql), why if i == 0 else None, transactional))
        return steps

    # -- helpers -----------------------------------------------------------------------------
    def column(self, column: Column, table: Table, schema: Schema) -> Node:
        unsigned = references_increments(table.name, column.name, (schema, *self.context))
        return column_chain(column, table, self.dialect, schema, unsigned)

    def single_statement(self) -> None:
        """Raise Fallback when the dialect needs more than the one statement Knex would run
        (InnoDB's index behind a foreign key, say): the SQL carries the reason as a note."""
        if self.dialect.name == "mysql" and len(self.statements) > 1:
            note = next((s.note for s in self.statements if s.note), None)
            raise Fallback(note or f"{self.dialect.label} needs more than one statement here")

    def table(self, name: str, body: list[Node], method: str = "alterTable") -> Step:
        arrow = Arrow(("table",), tuple(ExprStmt(n) for n in body))
        return Step(call(f"knex.schema.{method}", name, arrow))

    def rebuild(self, name: str, body: list[Node]) -> Step:
        """An alterTable that Knex runs on SQLite by copying the table into a new one.

        Inside a transaction the copy cannot switch foreign keys off, and dropping the old
        table would then fire its ON DELETE actions on every referencing row, so the step
        runs outside Knex's migration transaction (Knex then turns them off for the copy).
        """
        step = self.table(name, body)
        if self.dialect.name != "sqlite":
            return step
        note = f"SQLite rebuilds {name} for this; Knex keeps its rows only outside a transaction"
        return Step(step.node, note, transactional=False)

    def foreign(self, fk: ForeignKey) -> Node:
        cols = fk.columns[0] if len(fk.columns) == 1 else _arr(fk.columns)
        refs = fk.ref_columns[0] if len(fk.ref_columns) == 1 else _arr(fk.ref_columns)
        links: list[tuple[str, list[Node | str | int | bool | None]]] = [
            ("foreign", [cols, fk.name]),
            ("references", [refs]),
            ("inTable", [fk.ref_table]),
        ]
        if fk.on_delete:
            links.append(("onDelete", [fk.on_delete]))
        if fk.on_update:
            links.append(("onUpdate", [fk.on_update]))
        return chain(Raw("table"), *links)

    def index(self, index: Index, schema: Schema) -> Node:
        if not all(is_identifier(c) for c in index.columns):
            raise Fallback("Knex's index builder takes column names, not expressions")
        options: dict[str, Node | str | int | bool | None] = {}
        if index.using and index.using.lower() != "btree":
            if self.dialect.name != "postgresql":
                raise Fallback(f"Knex cannot give a {self.dialect.label} index a method")
            options["indexType"] = index.using
        if index.where:
            if self.dialect.name == "mysql":
                raise Fallback("MySQL has no partial indexes")
            where = self.dialect.expression(index.where, schema)
            options["predicate"] = Call(
                Member(Raw("knex"), "whereRaw"), (Str(where.replace("?", "\\?")),)
            )
        if index.unique:
            unique: dict[str, Node | str | int | bool | None] = {"indexName": index.name}
            if self.dialect.name == "postgresql":
                unique["useConstraint"] = False
            return call("table.unique", _arr(index.columns), props({**unique, **options}))
        args: list[Node | str | int | bool | None] = [_arr(index.columns), index.name]
        if options:
            args.append(props(options))
        return call("table.index", *args)

    def unique(self, u: UniqueConstraint) -> Node:
        return call("table.unique", _arr(u.columns), obj(indexName=u.name))

    def check(self, name: str | None, expression: str, schema: Schema) -> Node:
        if "?" in expression:
            raise Fallback("Knex's check() reads `?` as a binding")
        sql = self.dialect.expression(expression, schema)
        return call("table.check", sql, Arr(()), name)


def _arr(names: Sequence[str]) -> Arr:
    return Arr(tuple(Str(n) for n in names))


Renderer = Callable[[KnexWriter, o.Operation, Schema, Schema], list[Step]]


def _create_table(w: KnexWriter, op: o.CreateTable, before: Schema, after: Schema) -> list[Step]:
    t = op.table
    body: list[Node] = []
    for column in t.columns:
        inc = increments(column, t)
        if inc is None and column.identity:
            raise Fallback(f"Knex makes only an integer primary key auto-numbered ({column.name})")
        body.append(inc or w.column(column, t, after))
    if len(t.primary_key) > 1:
        body.append(call("table.primary", _arr(t.primary_key)))
    body += [w.unique(u) for u in t.uniques]
    body += [w.foreign(fk) for fk in t.foreign_keys]
    body += [w.check(c.name, c.expression, after) for c in t.checks]
    body += [w.index(i, after) for i in t.indexes]
    return [w.table(t.name, body, "createTable")]


def _drop_table(w: KnexWriter, op: o.DropTable, before: Schema, after: Schema) -> list[Step]:
    return [Step(call("knex.schema.dropTable", op.name))]


def _rename_table(w: KnexWriter, op: o.RenameTable, before: Schema, after: Schema) -> list[Step]:
    return [Step(call("knex.schema.renameTable", op.old, op.new))]


def _sqlite_add_in_place(w: KnexWriter, op: o.AddColumn, after: Schema) -> bool:
    default = w.dialect.default_sql(op.column, after)
    if not op.column.nullable and default is None:
        return False
    return default is None or not (default.startswith("(") or default.upper().startswith("CURR"))


def _add_column(w: KnexWriter, op: o.AddColumn, before: Schema, after: Schema) -> list[Step]:
    if op.column.identity:
        raise Fallback("Knex cannot add an auto-numbered column to an existing table")
    if w.dialect.name == "sqlite" and not _sqlite_add_in_place(w, op, after):
        raise Fallback("SQLite cannot add this column in place; the table is rebuilt")
    table = after.table(op.table)
    return [w.table(op.table, [w.column(op.column, table, after)])]


def _drop_column(w: KnexWriter, op: o.DropColumn, before: Schema, after: Schema) -> list[Step]:
    return [w.rebuild(op.table, [call("table.dropColumn", op.column)])]


def _rename_column(w: KnexWriter, op: o.RenameColumn, before: Schema, after: Schema) -> list[Step]:
    return [w.table(op.table, [call("table.renameColumn", op.old, op.new)])]


def _alter_column(w: KnexWriter, op: o.AlterColumn, before: Schema, after: Schema) -> list[Step]:
    if op.using:
        raise Fallback("Knex's alter() writes its own USING cast; this change needs another")
    table = after.table(op.table)
    column = table.column(op.column)
    if column.identity:
        raise Fallback("Knex's alter() would drop the column's auto-numbering")
    node = w.column(column, table, after)
    if column.nullable and column.name not in table.primary_key:
        node = Call(Member(node, "nullable"), ())
    options: dict[str, Node | str | int | bool | None] = {}
    if op.type is None:
        options["alterType"] = False
    if op.nullable is None:
        options["alterNullable"] = False
    node = Call(Member(node, "alter"), (props(options),) if options else ())
    return [w.rebuild(op.table, [node])]


def _create_index(w: KnexWriter, op: o.CreateIndex, before: Schema, after: Schema) -> list[Step]:
    if op.concurrently:
        raise Fallback("Knex has no builder for CREATE INDEX CONCURRENTLY")
    return [w.table(op.table, [w.index(op.index, after)])]


def _drop_index(w: KnexWriter, op: o.DropIndex, before: Schema, after: Schema) -> list[Step]:
    if op.concurrently:
        raise Fallback("Knex has no builder for DROP INDEX CONCURRENTLY")
    w.single_statement()
    index = op.find(before.table(op.table))
    cols = _arr(index.columns) if all(is_identifier(c) for c in index.columns) else Arr(())
    return [w.table(op.table, [call("table.dropIndex", cols, op.name)])]


def _add_foreign_key(
    w: KnexWriter, op: o.AddForeignKey, before: Schema, after: Schema
) -> list[Step]:
    return [w.rebuild(op.table, [w.foreign(op.foreign_key)])]


def _add_unique(w: KnexWriter, op: o.AddUnique, before: Schema, after: Schema) -> list[Step]:
    return [w.table(op.table, [w.unique(op.unique)])]


def _add_check(w: KnexWriter, op: o.AddCheck, before: Schema, after: Schema) -> list[Step]:
    return [w.rebuild(op.table, [w.check(op.check.name, op.check.expression, after)])]


def _drop_constraint(
    w: KnexWriter, op: o.DropConstraint, before: Schema, after: Schema
) -> list[Step]:
    w.single_statement()
    item = op.find(before.table(op.table))
    if isinstance(item, ForeignKey):
        return [w.rebuild(op.table, [call("table.dropForeign", _arr(item.columns), op.name)])]
    if isinstance(item, UniqueConstraint):
        return [w.table(op.table, [call("table.dropUnique", _arr(item.columns), op.name)])]
    if w.dialect.name == "sqlite":
        raise Fallback("Knex cannot drop a check constraint on SQLite; the table is rebuilt")
    return [w.table(op.table, [call("table.dropChecks", op.name)])]


def _backfill(w: KnexWriter, op: o.Backfill, before: Schema, after: Schema) -> list[Step]:
    d = w.dialect
    if op.batch_size:
        return [_batched(w, op, after)]
    node: Node = Call(Raw("knex"), (Str(op.table),))
    if op.where:
        node = Call(
            Member(node, "whereRaw"), (Str(d.expression(op.where, after).replace("?", "\\?")),)
        )
    update = raw(d.expression(op.expression, after))
    node = Call(Member(node, "update"), (props({op.column: update}),))
    return [Step(node)]


def _batched(w: KnexWriter, op: o.Backfill, after: Schema) -> Step:
    """The backfill as a loop of knex.raw batches (tools/backfill.py), outside a transaction."""
    size = op.batch_size or backfill.DEFAULT_BATCH_SIZE
    plain = backfill.batch_sql(w.dialect, op, after, size, "named")
    if w.dialect.name == "sqlite" and "?" in plain.update:
        # Knex keeps a `\?` escaped where the driver does not take it out (SQLite's), and an
        # unescaped one would be taken for a binding
        raise DialectError(
            f"{op.describe().strip()}: Knex cannot send a literal `?` with bindings to SQLite",
            "write the expression without `?` (char(63) is the same character)",
        )
    escape = lambda text: text.replace("?", "\\?")  # noqa: E731  (Knex's literal `?`)
    b = backfill.batch_sql(w.dialect, op, after, size, "qmark", escape, op.throttle_ms or 0)
    rows = {"postgresql": "{}.rows[0]", "mysql": "{}[0][0]"}.get(w.dialect.name, "{}[0]")
    host = Host(
        run=lambda sql, params: f"knex.raw({sql}, {params or '[]'})",
        first=lambda call: rows.format(f"(await {call})"),
        quote=lambda text: _q(text, w.style),
        indent=w.style.indent,
        end=w.style.end,
        width=w.style.width - len(w.style.indent),  # inside exports.up's body
        typescript=w.typescript,
    )
    return Step(Raw(""), None, transactional=False, block=tuple(loop_lines(b, host)))


def _raw_sql(w: KnexWriter, op: o.RawSQL, before: Schema, after: Schema) -> list[Step]:
    return [Step(raw(" ".join(s.sql.split()))) for s in split_sql(op.sql)]


def _noop(w: KnexWriter, op: o.NoOp, before: Schema, after: Schema) -> list[Step]:
    return []


def _enum(w: KnexWriter, op: o.Operation, before: Schema, after: Schema) -> list[Step]:
    raise Fallback("Knex has no builder for a PostgreSQL enum type")


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

_JSDOC = (
    "/**",
    ' * @param { import("knex").Knex } knex',
    " * @returns { Promise<void> }",
    " */",
)


def _body(steps: Sequence[Step]) -> tuple[Stmt, ...]:
    out: list[Stmt] = []
    said = None
    for step in steps:
        if step.comment and step.comment != said:
            out.append(Comment(step.comment))
        said = step.comment or said
        out.append(Lines(step.block) if step.block else ExprStmt(Await(step.node)))
    return tuple(out)


def _down_body(plan: MigrationPlan, writer: KnexWriter) -> tuple[list[Step], tuple[Stmt, ...]]:
    if plan.reverse.irreversible:
        reasons = "; ".join(why.reason for _, why in plan.reverse.irreversible)
        message = f"irreversible migration: {reasons}"
        throw = ExprStmt(Call(Raw("throw new Error"), (Str(message),)))
        return [], (throw,)
    steps = writer.steps(plan.reverse.operations, plan.after)
    body = _body(steps)
    if plan.reverse.data_loss:
        body = (Comment("not restored by this down: " + "; ".join(plan.reverse.data_loss)), *body)
    return steps, body


def render(
    repo: RepoFacts, config: FrameworkConfig, history: History, plan: MigrationPlan
) -> list[File]:
    """The migration file at `plan.name`, in the style of the repo's existing migrations."""
    writer = KnexWriter(get(plan.dialect), (plan.before, plan.after))
    writer.style = style_for(repo, [m.path for m in history.migrations][-5:], config.root)
    writer.typescript = plan.name.endswith(".ts")
    up_steps = writer.steps(plan.operations, plan.before)
    down_steps, down = _down_body(plan, writer)
    up = _body(up_steps)
    style = style_for(repo, [m.path for m in history.migrations][-5:], config.root)
    transactional = all(s.transactional for s in up_steps + down_steps) and plan.transactional
    typescript = plan.name.endswith(".ts")
    text = _module(plan.description, up, down, transactional, typescript, style)
    return [File(plan.name, text)]


def _module(
    description: str,
    up: tuple[Stmt, ...],
    down: tuple[Stmt, ...],
    transactional: bool,
    typescript: bool,
    style: JsStyle,
) -> str:
    head: list[Stmt] = [Comment(description[:1].upper() + description[1:]), Blank()]
    tail: list[Stmt] = []
    if not transactional:
        why = "a step cannot run inside a transaction, so Knex must not open one"
        tail = [Blank(), Comment(why)]
    if typescript:
        decl = "export async"
        body: list[Stmt] = [
            *head,
            Lines((f"import type {{ Knex }} from {_q('knex', style)}{style.end}",)),
            Blank(),
            FunctionDecl("up", ("knex: Knex",), up, decl, "Promise<void>"),
            Blank(),
            FunctionDecl("down", ("knex: Knex",), down, decl, "Promise<void>"),
        ]
        if tail:
            body += [*tail, Lines((f"export const config = {{ transaction: false }}{style.end}",))]
        return print_module(body, style)
    body = [
        *head,
        Lines(_JSDOC),
        Assign("exports.up", JsFunction(("knex",), up, is_async=True)),
        Blank(),
        Lines(_JSDOC),
        Assign("exports.down", JsFunction(("knex",), down, is_async=True)),
    ]
    if tail:
        body += [*tail, Assign("exports.config", obj(transaction=False))]
    return print_module(body, style)


def _q(text: str, style: JsStyle) -> str:
    from .jsrender import quote

    return quote(text, style)


__all__ = ["RENDERERS", "DialectError", "Fallback", "KnexWriter", "render"]
