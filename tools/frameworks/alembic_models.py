"""SQLAlchemy declarative models kept in step with a new Alembic revision.

Where env.py's `target_metadata` comes from a models module, `alembic check` (autogenerate)
compares the database with those classes: a revision that changes the database without the
models makes the next autogenerate propose to undo it. `update_models` edits the module with
libcst (never a regular expression over the source): columns added, dropped, renamed and
altered as `Mapped[...] = mapped_column(...)` attributes, new tables as new classes, indexes
and constraints as `index=True` / `unique=True` where the metadata's naming convention gives
exactly the planned name, else as entries of `__table_args__`. Imports follow: new names are
added, names the edit left unused are removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import libcst as cst

from .. import ops as o
from ..dialects import get as get_dialect
from ..errors import ConfigError
from ..repo import RepoFacts
from ..schema import CheckConstraint, ForeignKey, Schema, UniqueConstraint
from .alembic_model_cst import (
    Editor,
    class_body,
    column_code,
    column_statements,
    convention_name,
    conventional,
    entry_name,
    find_column,
    foreign_key_code,
    index_entry,
    index_flag,
    insert_after,
    name_kwargs,
    naming_conventions,
    replace_stmt,
    set_table_args,
    table_args,
    table_entries,
    tablename,
)
from .base import FrameworkConfig
from .pycode import Call, Code, Seq, as_code, call, flat, line_length, lines, py, source_of
from .render import File, MigrationPlan


def models_file(repo: RepoFacts, config: FrameworkConfig) -> str | None:
    """The models module env.py takes target_metadata from, as a repo path (None if none)."""
    module = config.settings.get("models_module")
    if not module:
        return None
    base = module.replace(".", "/")
    root = "" if config.root in ("", ".") else config.root.rstrip("/") + "/"
    for rel in (f"{root}{base}.py", f"{root}{base}/__init__.py"):
        if rel in repo.files:
            return rel
    return None


def update_models(repo: RepoFacts, config: FrameworkConfig, plan: MigrationPlan) -> list[File]:
    """The models module with the plan applied, or [] when the repo has no models module."""
    rel = models_file(repo, config)
    if rel is None:
        return []
    source = repo.read(rel)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise ConfigError(
            f"{rel}: cannot parse the models ({exc.message})", "fix its syntax"
        ) from exc
    editor = Editor(
        module=module,
        dialect=get_dialect(plan.dialect),
        width=line_length(repo.path(config.root)),
        conventions=naming_conventions(source),
    )
    state = plan.before
    for op in plan.operations:
        after = op.apply(state)
        handler = next((HANDLERS[c] for c in type(op).__mro__ if c in HANDLERS), None)
        if handler is not None:
            handler(editor, op, state, after)
        state = after
    return [File(rel, editor.finish(source), kind="model", existing=True)]


# ---------------------------------------------------------------------------------------------
# Naming conventions
# ---------------------------------------------------------------------------------------------


def _mapped(cls: cst.ClassDef) -> bool:
    """Whether the class declares columns as `Mapped[...]` annotations (SQLAlchemy 2 style)."""
    found = column_statements(cls)
    return not found or any(c.annotation for c in found)


def _add_column(ed: Editor, op: o.AddColumn, before: Schema, after: Schema) -> None:
    cls = ed.cls(op.table)
    prefix, code = column_code(ed, op.column, after.table(op.table), after, _mapped(cls))
    existing = column_statements(cls)
    anchor = existing[-1].stmt if existing else None
    ed.replace(cls, insert_after(cls, anchor, ed.statement(code, prefix)))


def _drop_column(ed: Editor, op: o.DropColumn, before: Schema, after: Schema) -> None:
    cls = ed.cls(op.table)
    ed.replace(cls, replace_stmt(cls, find_column(cls, op.column).stmt, []))


def _rewrite_column(
    ed: Editor,
    table: str,
    column: str,
    edit: Callable[[Code], Code],
    annotation: str | None = None,
    attr: str | None = None,
) -> None:
    cls = ed.cls(table)
    found = find_column(cls, column)
    code = edit(as_code(found.call))
    name = attr or found.attr
    prefix = f"{name}: {annotation or found.annotation} = " if found.annotation else f"{name} = "
    ed.replace(cls, replace_stmt(cls, found.stmt, [ed.statement(code, prefix)]))


def _with_kwarg(code: Code, key: str, value: Code | None) -> Code:
    assert isinstance(code, Call)
    kwargs = [(k, v) for k, v in code.kwargs if k != key]
    if value is not None:
        kwargs.append((key, value))
    return call(code.func, *code.args, **dict(kwargs))


def _rename_column(ed: Editor, op: o.RenameColumn, before: Schema, after: Schema) -> None:
    cls = ed.cls(op.table)
    found = find_column(cls, op.old)

    def edit(code: Code) -> Code:
        assert isinstance(code, Call)
        args = list(code.args)
        if args and args[0] == py(op.old):
            args[0] = py(op.new)
        return call(code.func, *args, **dict(code.kwargs))

    attr = op.new if found.attr == op.old and op.new.isidentifier() else found.attr
    _rewrite_column(ed, op.table, op.old, edit, attr=attr)
    _rename_strings(ed, {f"{op.table}.{op.old}": f"{op.table}.{op.new}"})
    cls = ed.cls(op.table)
    _, items = table_args(cls)
    if items:
        renamed = [_rename_in(item, op.old, op.new) for item in items]
        ed.replace(cls, set_table_args(ed, cls, renamed))


def _rename_in(code: Code, old: str, new: str) -> Code:
    if isinstance(code, str):
        return py(new) if code == py(old) else code
    if isinstance(code, Seq):
        return Seq(tuple(_rename_in(i, old, new) for i in code.items), code.kind, code.explode)
    if not isinstance(code, Call):
        return code
    return call(code.func, *(_rename_in(a, old, new) for a in code.args), **dict(code.kwargs))


def _rename_strings(ed: Editor, mapping: dict[str, str]) -> None:
    """String literals naming `table.column` (ForeignKey targets) across the module."""

    class Renamer(cst.CSTTransformer):
        def leave_SimpleString(
            self, original_node: cst.SimpleString, updated_node: cst.SimpleString
        ) -> cst.SimpleString:
            value = original_node.evaluated_value
            if isinstance(value, str) and value in mapping:
                return updated_node.with_changes(value=py(mapping[value]))
            return updated_node

    ed.module = ed.module.visit(Renamer())


def _alter_column(ed: Editor, op: o.AlterColumn, before: Schema, after: Schema) -> None:
    new = after.table(op.table).column(op.column)
    type_code = ed.type_code(new, after) if op.type is not None else None
    cls = ed.cls(op.table)
    mapped = find_column(cls, op.column).annotation is not None

    def edit(code: Code) -> Code:
        assert isinstance(code, Call)
        args = list(code.args)
        if type_code is not None:
            position = 1 if args and isinstance(args[0], str) and args[0][:1] in "\"'" else 0
            is_type = len(args) > position and not _is_constraint(args[position])
            args[position : position + (1 if is_type else 0)] = [type_code]
        result: Code = call(code.func, *args, **dict(code.kwargs))
        if op.nullable is not None:
            result = _with_kwarg(
                result, "nullable", None if mapped else ("True" if op.nullable else "False")
            )
        if op.default is not o.KEEP:
            result = _with_kwarg(result, "server_default", ed.default_code(new, after))
        return result

    _rewrite_column(
        ed, op.table, op.column, edit, annotation=ed.annotation(new) if mapped else None
    )


def _is_constraint(code: Code) -> bool:
    text = flat(code)
    return text.split("(")[0].split(".")[-1] in ("ForeignKey", "Identity", "Sequence", "Computed")


def _create_table(ed: Editor, op: o.CreateTable, before: Schema, after: Schema) -> None:
    table = op.table
    bases = [
        source_of(b.value)
        for n in ed.module.body
        if isinstance(n, cst.ClassDef) and tablename(n)
        for b in n.bases[:1]
    ]
    base = max(set(bases), key=bases.count) if bases else "Base"
    taken = {n.name.value for n in ed.module.body if isinstance(n, cst.ClassDef)}
    name = class_name(table.name, taken)
    lines_ = [f"class {name}({base}):", f"    __tablename__ = {py(table.name)}"]
    entries = table_entries(ed, table, after)
    if entries:
        lines_ += [
            "    " + line for line in _lines(ed, Seq(tuple(entries), "tuple"), "__table_args__ = ")
        ]
    lines_.append("")
    for col in table.columns:
        prefix, code = column_code(ed, col, table, after)
        lines_ += ["    " + line for line in _lines(ed, code, prefix)]
    node = cst.parse_statement("\n".join(lines_) + "\n")
    assert isinstance(node, cst.ClassDef)
    node = node.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
    ed.module = ed.module.with_changes(body=[*ed.module.body, node])


def _lines(ed: Editor, code: Code, prefix: str) -> list[str]:
    return [line[4:] for line in lines(code, 4, ed.width, prefix)]


def class_name(table: str, taken: set[str]) -> str:
    """`order_items` -> `OrderItem`: CamelCase of the singular, unique in the module."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", table) if w]
    if words:
        last = words[-1]
        if last.endswith("ies") and len(last) > 3:
            words[-1] = last[:-3] + "y"
        elif last.endswith("s") and not last.endswith("ss"):
            words[-1] = last[:-1]
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Model"
    if name[0].isdigit():
        name = "T" + name
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}{n}", n + 1
    return candidate


def _drop_table(ed: Editor, op: o.DropTable, before: Schema, after: Schema) -> None:
    cls = ed.cls(op.name)
    gone = cls.name.value
    ed.replace(cls, None)
    for node in list(ed.module.body):
        if not isinstance(node, cst.ClassDef):
            continue
        stale = [
            s
            for s in class_body(node)
            if "relationship(" in cst.Module(body=[]).code_for_node(s)
            and re.search(rf"\b{gone}\b", cst.Module(body=[]).code_for_node(s))
        ]
        for stmt in stale:
            node_now = next(
                n
                for n in ed.module.body
                if isinstance(n, cst.ClassDef) and n.name.value == node.name.value
            )
            ed.replace(node_now, replace_stmt(node_now, stmt, []))


def _rename_table(ed: Editor, op: o.RenameTable, before: Schema, after: Schema) -> None:
    cls = ed.cls(op.old)
    mapping = {f"{op.old}.{c.name}": f"{op.new}.{c.name}" for c in before.table(op.old).columns}
    for stmt in class_body(cls):
        text = cst.Module(body=[]).code_for_node(stmt)
        if "__tablename__" in text:
            ed.replace(
                cls,
                replace_stmt(cls, stmt, [cst.parse_statement(f"__tablename__ = {py(op.new)}\n")]),
            )
            break
    _rename_strings(ed, mapping)


def _add_entry(ed: Editor, table: str, entry: Code) -> None:
    cls = ed.cls(table)
    _, items = table_args(cls)
    dict_last = items and isinstance(items[-1], str) and items[-1].startswith("{")
    items = [*items[:-1], entry, items[-1]] if dict_last else [*items, entry]
    ed.replace(cls, set_table_args(ed, cls, items))


def _drop_entry(ed: Editor, table: str, keep: Callable[[Code], bool]) -> bool:
    cls = ed.cls(table)
    stmt, items = table_args(cls)
    kept = [i for i in items if keep(i)]
    if stmt is None or len(kept) == len(items):
        return False
    ed.replace(cls, set_table_args(ed, cls, kept))
    return True


def _create_index(ed: Editor, op: o.CreateIndex, before: Schema, after: Schema) -> None:
    column = index_flag(ed, op.index, op.table)
    if column is not None:
        _rewrite_column(ed, op.table, column, lambda c: _with_kwarg(c, "index", "True"))
    else:
        _add_entry(ed, op.table, index_entry(ed, op.index, op.table, after))


def _drop_index(ed: Editor, op: o.DropIndex, before: Schema, after: Schema) -> None:
    index = op.find(before.table(op.table))
    column = index_flag(ed, index, op.table)
    if column is not None:
        _rewrite_column(ed, op.table, column, lambda c: _with_kwarg(c, "index", None))
    else:
        _drop_entry(ed, op.table, lambda item: entry_name(item) != op.name)


def _add_foreign_key(ed: Editor, op: o.AddForeignKey, before: Schema, after: Schema) -> None:
    fk, table = op.foreign_key, after.table(op.table)
    code = foreign_key_code(ed, fk, table)
    if len(fk.columns) > 1:
        _add_entry(ed, op.table, code)
        return

    def edit(c: Code) -> Code:
        assert isinstance(c, Call)
        args = list(c.args)
        position = next(
            (
                i + 1
                for i, a in enumerate(args)
                if not _is_constraint(a) and not (isinstance(a, str) and a[:1] in "\"'")
            ),
            len(args),
        )
        args.insert(position, code)
        return call(c.func, *args, **dict(c.kwargs))

    _rewrite_column(ed, op.table, fk.columns[0], edit)


def _add_unique(ed: Editor, op: o.AddUnique, before: Schema, after: Schema) -> None:
    u = op.unique
    if len(u.columns) == 1 and u.name == conventional(ed, "uq", op.table, u.columns):
        _rewrite_column(ed, op.table, u.columns[0], lambda c: _with_kwarg(c, "unique", "True"))
        return
    kwargs = name_kwargs(ed, "uq", u.name, op.table, u.columns)
    _add_entry(ed, op.table, call(ed.spell.sa("UniqueConstraint"), *map(py, u.columns), **kwargs))


def _add_check(ed: Editor, op: o.AddCheck, before: Schema, after: Schema) -> None:
    kwargs = name_kwargs(ed, "ck", op.check.name, op.table, ())
    expression = py(ed.dialect.expression(op.check.expression, after))
    _add_entry(ed, op.table, call(ed.spell.sa("CheckConstraint"), expression, **kwargs))


def _drop_constraint(ed: Editor, op: o.DropConstraint, before: Schema, after: Schema) -> None:
    item = op.find(before.table(op.table))

    def named(entry: Code) -> bool:
        found = entry_name(entry)
        if found is None:
            return False
        full = {found}
        kind = {ForeignKey: "fk", UniqueConstraint: "uq", CheckConstraint: "ck"}[type(item)]
        template = ed.conventions.get(kind, "")
        if "%(constraint_name)s" in template:
            full.add(
                convention_name(
                    template.replace("%(constraint_name)s", found),
                    op.table,
                    getattr(item, "columns", ()),
                )
            )
        return op.name in full

    if _drop_entry(ed, op.table, lambda entry: not named(entry)):
        return
    if isinstance(item, ForeignKey) and len(item.columns) == 1:
        target = py(f"{item.ref_table}.{item.ref_columns[0]}")

        def edit(c: Code) -> Code:
            assert isinstance(c, Call)
            args = [
                a
                for a in c.args
                if not (
                    isinstance(a, Call)
                    and a.func.endswith("ForeignKey")
                    and a.args[:1] == (target,)
                )
            ]
            return call(c.func, *args, **dict(c.kwargs))

        _rewrite_column(ed, op.table, item.columns[0], edit)
    elif isinstance(item, UniqueConstraint) and len(item.columns) == 1:
        _rewrite_column(ed, op.table, item.columns[0], lambda c: _with_kwarg(c, "unique", None))


Handler = Callable[[Editor, Any, Schema, Schema], None]


HANDLERS: dict[type[o.Operation], Handler] = {
    o.AddColumn: _add_column,
    o.DropColumn: _drop_column,
    o.RenameColumn: _rename_column,
    o.AlterColumn: _alter_column,
    o.CreateTable: _create_table,
    o.DropTable: _drop_table,
    o.RenameTable: _rename_table,
    o.CreateIndex: _create_index,
    o.DropIndex: _drop_index,
    o.AddForeignKey: _add_foreign_key,
    o.AddUnique: _add_unique,
    o.AddCheck: _add_check,
    o.DropConstraint: _drop_constraint,
}
