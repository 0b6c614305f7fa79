"""Keeping Sequelize models in step with a migration: `Model.init({...})` / `define(...)` edits.

A Sequelize model file declares its attributes in the first object passed to `X.init(...)`
(or the second of `sequelize.define('X', ...)`); the table comes from `tableName`, the column
of an attribute from `field` or, with `underscored: true`, from its snake_case name. The
edits are structural: the file is tokenized (`jsconfig.JsModule`), the attributes object and
each property's span are found by bracket matching, and only those spans are replaced, so
comments, associations and hooks stay as the team wrote them. New attributes and new model
files are printed with `jsrender` in the repo's style.

Dropping a table leaves its model file alone (a file to delete is the person's call); the
migration itself carries the change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .. import ops as o
from ..dialects import Dialect, get
from ..dialects.base import identity_of
from ..repo import RepoFacts
from ..schema import Column, Schema, Table
from .base import FrameworkConfig
from .jsconfig import JsModule
from .jsproject import words
from .jsrender import Call, JsStyle, Member, Node, Obj, Printer, Raw, Str, key, style_for
from .render import File, MigrationPlan
from .sequelize_columns import default_node, type_node

_TIMESTAMPS = {"created_at": "createdAt", "updated_at": "updatedAt"}


@dataclass
class Prop:
    """One property of an object literal: its key and where it sits in the source."""

    key: str
    start: int  #: offset of the key
    end: int  #: offset just after the value
    value: int  #: token index where the value starts
    comma: int | None  #: offset just after its trailing comma, when it has one


def object_props(mod: JsModule, opening: int) -> list[Prop]:
    """The properties of the object literal whose `{` is token `opening`."""
    close = mod.match.get(opening, opening)
    inner = mod.depth[opening] + 1
    props: list[Prop] = []
    k = opening + 1
    while k < close:
        tok = mod.tokens[k]
        if mod.depth[k] != inner or not mod.is_at(k + 1, ":"):
            k += 1
            continue
        end = k + 2
        while end < close and not (mod.depth[end] == inner and mod.is_at(end, ",")):
            end += 1
        last = end - 1
        comma = mod.tokens[end].end if mod.is_at(end, ",") and end < close else None
        props.append(Prop(tok.text, tok.start, mod.tokens[last].end, k + 2, comma))
        k = end + 1
    return props


@dataclass
class Model:
    """A model file and what the edits need from it."""

    path: str
    source: str
    mod: JsModule
    name: str
    table: str
    attributes: int  #: token index of the attributes object's `{`
    underscored: bool
    timestamps: bool
    types: str  #: the DataTypes parameter's name

    def props(self) -> list[Prop]:
        return object_props(self.mod, self.attributes)

    def column_of(self, prop: Prop) -> str:
        value = self.mod.tokens[prop.value]
        if value.text == "{":
            for inner in object_props(self.mod, prop.value):
                token = self.mod.tokens[inner.value]
                if inner.key == "field" and token.kind == "string":
                    return token.text
        return snake(prop.key) if self.underscored else prop.key


def snake(name: str) -> str:
    return "_".join(words(name))


def camel(name: str) -> str:
    parts = words(name)
    return parts[0] + "".join(p.capitalize() for p in parts[1:]) if parts else name


def read_model(repo: RepoFacts, path: str) -> Model | None:
    """The model a file declares, or None when it declares none (index.js, helpers)."""
    return parse_model(path, repo.read(path))


def parse_model(path: str, source: str) -> Model | None:
    """`read_model` on source text (a file as earlier edits left it)."""
    try:
        mod = JsModule(source)
    except Exception:  # a file we cannot tokenize is not ours to edit
        return None
    for k, tok in enumerate(mod.tokens):
        if tok.kind != "name" or not mod.is_at(k + 1, "(") or not mod.is_at(k - 1, "."):
            continue
        if tok.text == "init" and mod.is_at(k + 2, "{"):
            attrs, name = k + 2, mod.text_at(k - 2)
        elif tok.text == "define" and mod.tokens[k + 2].kind == "string":
            name = mod.tokens[k + 2].text
            attrs = k + 4 if mod.is_at(k + 3, ",") and mod.is_at(k + 4, "{") else -1
        else:
            continue
        if attrs < 0:
            continue
        options_at = mod.match.get(attrs, attrs) + 2
        options = mod.value_at(options_at)[0] if mod.is_at(options_at, "{") else {}
        options = options if isinstance(options, dict) else {}
        table = options.get("tableName")
        return Model(
            path=path,
            source=source,
            mod=mod,
            name=name,
            table=table if isinstance(table, str) else _plural(name, options),
            attributes=attrs,
            underscored=options.get("underscored") is True,
            timestamps=options.get("timestamps") is not False,
            types=_types_name(source),
        )
    return None


def _plural(name: str, options: Mapping[str, object]) -> str:
    if options.get("freezeTableName") is True:
        return name
    base = snake(name) if options.get("underscored") is True else name
    if base.endswith("y") and base[-2:-1] not in "aeiou":
        return base[:-1] + "ies"
    return base + ("es" if base.endswith(("s", "x", "ch", "sh")) else "s")


def _types_name(source: str) -> str:
    m = re.search(r"\(\s*\w+\s*,\s*(\w+)\s*\)\s*=>", source)
    return m[1] if m else "DataTypes"


def models(repo: RepoFacts, config: FrameworkConfig) -> list[Model]:
    folder = config.settings.get("models-path", "models")
    found = []
    for path in repo.under(folder):
        if path.endswith((".js", ".cjs", ".ts")) and not path.rsplit("/", 1)[-1].startswith(
            "index."
        ):
            model = read_model(repo, path)
            if model is not None:
                found.append(model)
    return found


# ---------------------------------------------------------------------------------------------
# Edits
# ---------------------------------------------------------------------------------------------


@dataclass
class Editor:
    """Pending text edits per model file, and the style new code is printed in."""

    repo: RepoFacts
    config: FrameworkConfig
    dialect: Dialect
    style: JsStyle
    by_table: dict[str, Model]
    edits: dict[str, list[tuple[int, int, str]]]
    new_files: dict[str, str]

    def edit(self, model: Model, start: int, end: int, text: str) -> None:
        self.edits.setdefault(model.path, []).append((start, end, text))

    def attribute(self, model: Model, column: Column, table: Table, schema: Schema) -> str:
        """`name: { type: ..., allowNull: ..., field: ... }` at the attributes' indentation."""
        level = self._level(model)
        name = camel(column.name) if model.underscored else column.name
        value = self.value(model, column, table, schema)
        head = f"{key(name, self.style)}: "
        printer = Printer(self.style)
        width = len(self.style.indent.replace("\t", "  ")) * level + len(head)
        return head + printer.expr(value, level, width, 1)

    def value(self, model: Model, column: Column, table: Table, schema: Schema) -> Obj:
        props: list[tuple[str, Node]] = [
            ("type", type_node(column, self.dialect, schema, model.types))
        ]
        props.append(("allowNull", Raw("true" if column.nullable else "false")))
        if column.name in table.primary_key:
            props.append(("primaryKey", Raw("true")))
        if identity_of(column):
            props.append(("autoIncrement", Raw("true")))
        default = default_node(column, self.dialect, schema, model.types)
        if isinstance(default, Call) and isinstance(default.callee, Member):
            default = Call(Member(Raw("sequelize"), "literal"), default.args)
        if default is not None:
            props.append(("defaultValue", default))
        name = camel(column.name) if model.underscored else column.name
        if name != column.name:
            props.append(("field", Str(column.name)))
        return Obj(tuple(props))

    def _level(self, model: Model) -> int:
        props = model.props()
        unit = len(self.style.indent.replace("\t", "  ")) or 2
        if props:
            line_start = model.source.rfind("\n", 0, props[0].start) + 1
            return (props[0].start - line_start) // unit
        return 2

    def find(self, model: Model, column: str) -> Prop | None:
        return next((p for p in model.props() if model.column_of(p) == column), None)


def _add_column(ed: Editor, op: o.AddColumn, before: Schema, after: Schema) -> None:
    model = ed.by_table.get(op.table)
    if model is None or (model.timestamps and op.column.name in _TIMESTAMPS):
        return
    text = ed.attribute(model, op.column, after.table(op.table), after)
    props = model.props()
    close = model.mod.tokens[model.mod.match[model.attributes]].start
    if not props:
        ed.edit(model, close, close, text + " ")
        return
    last = props[-1]
    line_start = model.source.rfind("\n", 0, last.start) + 1
    indent = model.source[line_start : last.start]
    comma = "," if ed.style.trailing_comma else ""
    if last.comma is None:
        ed.edit(model, last.end, last.end, f",\n{indent}{text}{comma}")
    else:
        ed.edit(model, last.comma, last.comma, f"\n{indent}{text}{comma}")


def _drop_column(ed: Editor, op: o.DropColumn, before: Schema, after: Schema) -> None:
    model = ed.by_table.get(op.table)
    prop = ed.find(model, op.column) if model else None
    if model is None or prop is None:
        return
    line_start = model.source.rfind("\n", 0, prop.start) + 1
    stop = prop.comma if prop.comma is not None else prop.end
    line_end = model.source.find("\n", stop)
    whole_lines = not model.source[line_start : prop.start].strip() and (
        line_end < 0 or not model.source[stop:line_end].strip()
    )
    if whole_lines:
        ed.edit(model, line_start, line_end + 1 if line_end >= 0 else stop, "")
    else:
        ed.edit(model, prop.start, stop, "")


def _rename_column(ed: Editor, op: o.RenameColumn, before: Schema, after: Schema) -> None:
    model = ed.by_table.get(op.table)
    prop = ed.find(model, op.old) if model else None
    if model is None or prop is None:
        return
    if model.mod.tokens[prop.value].text == "{":
        for inner in object_props(model.mod, prop.value):
            if inner.key == "field":
                ed.edit(model, model.mod.tokens[inner.value].start, inner.end, _q(op.new, ed.style))
                return
    new_key = camel(op.new) if model.underscored else op.new
    ed.edit(model, prop.start, model.mod.tokens[prop.value - 2].end, key(new_key, ed.style))


def _alter_column(ed: Editor, op: o.AlterColumn, before: Schema, after: Schema) -> None:
    model = ed.by_table.get(op.table)
    prop = ed.find(model, op.column) if model else None
    if model is None or prop is None:
        return
    table = after.table(op.table)
    fresh = ed.value(model, table.column(op.column), table, after)
    wanted = dict(fresh.props)
    printer = Printer(ed.style)
    if model.mod.tokens[prop.value].text != "{":
        start = model.mod.tokens[prop.value].start
        ed.edit(model, start, prop.end, printer.flat(fresh) or "")
        return
    inner = {p.key: p for p in object_props(model.mod, prop.value)}
    changed = {"type": op.type is not None, "allowNull": op.nullable is not None}
    changed["defaultValue"] = op.default is not o.KEEP
    for name, is_changed in changed.items():
        if not is_changed:
            continue
        node = wanted.get(name)
        current = inner.get(name)
        if current is not None and node is not None:
            start = model.mod.tokens[current.value].start
            ed.edit(model, start, current.end, printer.flat(node) or "")
        elif current is not None:
            stop = current.comma if current.comma is not None else current.end
            after_stop = len(model.source[stop:]) - len(model.source[stop:].lstrip(" "))
            ed.edit(model, current.start, stop + after_stop, "")
        elif node is not None:
            anchor = inner.get("type")
            at = (anchor.comma or anchor.end) if anchor else model.mod.tokens[prop.value].end
            ed.edit(model, at, at, f" {name}: {printer.flat(node)},")


def _rename_table(ed: Editor, op: o.RenameTable, before: Schema, after: Schema) -> None:
    model = ed.by_table.get(op.old)
    if model is None:
        return
    options_at = model.mod.match[model.attributes] + 2
    if model.mod.is_at(options_at, "{"):
        for prop in object_props(model.mod, options_at):
            if prop.key == "tableName":
                start = model.mod.tokens[prop.value].start
                ed.edit(model, start, prop.end, _q(op.new, ed.style))


def _create_table(ed: Editor, op: o.CreateTable, before: Schema, after: Schema) -> None:
    from .sequelize_newmodel import new_model

    folder = ed.config.settings.get("models-path", "models")
    path, text = new_model(ed, op.table.name, after, folder)
    if path not in ed.repo.files:
        ed.new_files[path] = text


def _q(text: str, style: JsStyle) -> str:
    from .jsrender import quote

    return quote(text, style)


EDITS: dict[type[o.Operation], Callable[[Editor, o.Operation, Schema, Schema], None]] = {
    o.AddColumn: _add_column,  # type: ignore[dict-item]
    o.DropColumn: _drop_column,  # type: ignore[dict-item]
    o.RenameColumn: _rename_column,  # type: ignore[dict-item]
    o.AlterColumn: _alter_column,  # type: ignore[dict-item]
    o.RenameTable: _rename_table,  # type: ignore[dict-item]
    o.CreateTable: _create_table,  # type: ignore[dict-item]
}


def update_models(repo: RepoFacts, config: FrameworkConfig, plan: MigrationPlan) -> list[File]:
    """Model files changed (`existing=True`) or created so the models match `plan.after`.

    Each operation is applied to the files as they stand after the previous one, so a plan
    that adds and then renames a column edits the file twice, the second time on the result.
    """
    found = models(repo, config)
    if not found:
        return []
    style = style_for(repo, [m.path for m in found][:5], config.root)
    dialect = get(plan.dialect)
    sources = {m.path: m.source for m in found}
    new_files: dict[str, str] = {}
    state = plan.before
    for op in plan.operations:
        after = op.apply(state)
        fn = EDITS.get(type(op))
        if fn is not None:
            current = [parse_model(m.path, sources[m.path]) for m in found]
            by_table = {m.table: m for m in current if m is not None}
            editor = Editor(repo, config, dialect, style, by_table, {}, new_files)
            fn(editor, op, state, after)
            for path, edits in editor.edits.items():
                text = sources[path]
                for start, end, replacement in sorted(edits, reverse=True):
                    text = text[:start] + replacement + text[end:]
                sources[path] = text
        state = after
    changed = [
        File(m.path, sources[m.path], kind="model", existing=True)
        for m in found
        if sources[m.path] != m.source
    ]
    created = [File(p, t, kind="model") for p, t in new_files.items()]
    return changed + created
