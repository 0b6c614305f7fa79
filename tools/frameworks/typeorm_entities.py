"""Keeping TypeORM entities in step with a migration: careful edits of the entity classes.

A TypeORM app reads its tables through entity classes (`@Entity("deals") class Deal`), so a
migration that adds, drops, renames or changes a column leaves the entity wrong until someone
edits it. These edits are made on the token positions of the file (`jsconfig.JsModule`), never
by patterns over the whole text: a property is its decorators plus its declaration, an option
is a key of the decorator's object literal, and everything else in the file stays byte for byte.

Covered: AddColumn (a new `@Column` property), DropColumn (the property goes, a relation whose
join column it was too), RenameColumn (the property keeps its name, `name:` says the new column,
so code using the entity does not change), AlterColumn (type, nullable and default options and
the property's `| null`), RenameTable (`@Entity("new")`), CreateTable (a new entity file, see
typeorm_newentity, registered in the data source when it lists its classes). Everything else on
an existing entity (indexes, keys, checks) is listed in `notes` for a person to carry over.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import ops as o
from ..repo import RepoFacts
from ..schema import Schema
from .base import FrameworkConfig
from .jsconfig import JsModule
from .jslex import JsSyntaxError
from .jsrender import JsStyle, style_for
from .render import File, MigrationPlan
from .typeorm_columns import column_options, js_string, ts_type
from .typeorm_newentity import new_entity_files

_COLUMN_DECORATORS = {
    "Column", "PrimaryColumn", "PrimaryGeneratedColumn", "CreateDateColumn", "UpdateDateColumn",
    "DeleteDateColumn", "VersionColumn",
}  # fmt: skip
_SOURCE = (".ts", ".js", ".mts", ".cts", ".mjs", ".cjs")


@dataclass(frozen=True)
class EntityUpdate:
    """The entity files to replace, and what the person must still carry over by hand."""

    files: tuple[File, ...]
    notes: tuple[str, ...]


@dataclass
class _Member:
    """A class property: its decorators, the name token, and where its text starts and ends."""

    name: str
    start: int  # character offset of the first decorator (or of the name)
    end: int  # character offset just after the `;` (or the declaration)
    decorators: dict[str, tuple[int, int]]  # decorator name -> (index of `(`, index of `)`)
    annotation: tuple[int, int] | None  # character span of the type after `:`


@dataclass
class _Entity:
    path: str
    module: JsModule
    table: str
    class_name: str
    body: tuple[int, int]  # token indexes of the class body's `{` and `}`
    members: list[_Member]
    edits: list[tuple[int, int, str]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Finding entities
# ---------------------------------------------------------------------------------------------


def snake_case(name: str) -> str:
    """TypeORM's default table name for a class (`OrderItem` -> `order_item`)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)


def find_entities(repo: RepoFacts, root: str) -> dict[str, _Entity]:
    """Table name -> entity, for every `@Entity` class under the project folder."""
    found: dict[str, _Entity] = {}
    for path in repo.under(root):
        if not path.endswith(_SOURCE) or "node_modules/" in path or path.endswith(".d.ts"):
            continue
        source = repo.read(path)
        if "@Entity" not in source:
            continue
        try:
            module = JsModule(source)
        except JsSyntaxError:
            continue
        for entity in _entities_in(path, module):
            found.setdefault(entity.table, entity)
    return found


def _entities_in(path: str, mod: JsModule) -> list[_Entity]:
    out = []
    for k, tok in enumerate(mod.tokens):
        if not (tok.text == "@" and mod.text_at(k + 1) == "Entity" and mod.depth[k] == 0):
            continue
        explicit: str | None = None
        if mod.is_at(k + 2, "("):
            arg, _ = mod.value_at(k + 3) if not mod.is_at(k + 3, ")") else (None, 0)
            if isinstance(arg, str):
                explicit = arg
            elif isinstance(arg, dict) and isinstance(arg.get("name"), str):
                explicit = str(arg["name"])
        cls = mod.skip_to(k, {"class"}, 0)
        if cls + 1 >= len(mod.tokens):
            continue
        name = mod.text_at(cls + 1)
        opening = mod.skip_to(cls, {"{"}, 0)
        body = (opening, mod.match.get(opening, opening))
        out.append(
            _Entity(path, mod, explicit or snake_case(name), name, body, _members(mod, body))
        )
    return out


def _members(mod: JsModule, body: tuple[int, int]) -> list[_Member]:
    members: list[_Member] = []
    inner = mod.depth[body[0]] + 1
    k = body[0] + 1
    while k < body[1]:
        first = k
        decorators: dict[str, tuple[int, int]] = {}
        while mod.is_at(k, "@"):
            name = mod.text_at(k + 1)
            k += 2
            while mod.is_at(k, "."):
                k += 2
            if mod.is_at(k, "("):
                decorators[name] = (k, mod.match[k])
                k = mod.match[k] + 1
        while mod.text_at(k) in ("public", "private", "protected", "readonly", "declare"):
            k += 1
        if mod.tokens[k].kind != "name" or mod.is_at(k + 1, "("):
            k = mod.skip_to(k + 1, {";", "}"}, inner) + 1 if k < body[1] else k + 1
            continue
        name_at = k
        k += 1
        while mod.is_at(k, "!", "?"):
            k += 1
        annotation = None
        if mod.is_at(k, ":"):
            stop = k + 1
            while stop < body[1] and not (
                mod.depth[stop] == inner and mod.text_at(stop) in (";", "=", "@")
            ):
                stop += 1
            annotation = (mod.tokens[k + 1].start, mod.tokens[stop - 1].end)
            k = stop
        end_tok = mod.skip_to(k, {";", "@", "}"}, inner)
        end = mod.tokens[end_tok].end if mod.is_at(end_tok, ";") else mod.tokens[end_tok - 1].end
        k = end_tok + 1 if mod.is_at(end_tok, ";") else end_tok
        members.append(
            _Member(mod.text_at(name_at), mod.tokens[first].start, end, decorators, annotation)
        )
    return members


def _column_of(entity: _Entity, member: _Member) -> str | None:
    """The column a property maps to (its `name` option, a join column, or its own name)."""
    mod = entity.module
    for decorator, (opening, closing) in member.decorators.items():
        if decorator in _COLUMN_DECORATORS or decorator == "JoinColumn":
            options = _options_at(mod, opening, closing)
            if options is not None:
                value, _ = mod.value_at(options)
                if isinstance(value, dict) and isinstance(value.get("name"), str):
                    return str(value["name"])
            if decorator in _COLUMN_DECORATORS:
                return member.name
    return None


def _options_at(mod: JsModule, opening: int, closing: int) -> int | None:
    """Token index of the decorator's object-literal argument (the last argument)."""
    depth = mod.depth[opening] + 1
    for k in range(opening + 1, closing):
        if mod.depth[k] == depth and mod.is_at(k, "{"):
            return k
    return None


# ---------------------------------------------------------------------------------------------
# Edits, one function per operation class
# ---------------------------------------------------------------------------------------------


@dataclass
class _Context:
    repo: RepoFacts
    entities: dict[str, _Entity]
    dialect: str

    def member(self, table: str, column: str) -> tuple[_Entity | None, _Member | None]:
        entity = self.entities.get(table)
        if entity is None:
            return None, None
        return entity, next((m for m in entity.members if _column_of(entity, m) == column), None)


_Edit = Callable[[_Context, Any, Schema], "str | None"]


def _add_column(ctx: _Context, op: o.AddColumn, after: Schema) -> str | None:
    entity = ctx.entities.get(op.table)
    if entity is None:
        return f"no entity class for table {op.table}: add a property for {op.column.name}"
    prop = camel_case(op.column.name)
    options = column_options(op.column, after, ctx.dialect)
    if prop != op.column.name:
        options.insert(0, ("name", js_string(op.column.name)))
    style = style_for(ctx.repo, [entity.path])
    indent = _member_indent(entity) or style.indent
    decorator = _decorator("Column", options, style, indent)
    declaration = f"{indent}{prop}: {ts_type(op.column, after)}{style.end}"
    mod = entity.module
    at = entity.members[-1].end if entity.members else mod.tokens[entity.body[0]].end
    gap = "\n\n" if entity.members and _blank_between(entity) else "\n"
    entity.edits.append((at, at, f"{gap}{indent}{decorator}\n{declaration}"))
    return None


def _drop_column(ctx: _Context, op: o.DropColumn, after: Schema) -> str | None:
    entity, member = ctx.member(op.table, op.column)
    if entity is None or member is None:
        return f"no entity property for {op.table}.{op.column}: nothing removed"
    source = entity.module.source
    start = source.rfind("\n", 0, member.start)
    if source[source.rfind("\n", 0, start) + 1 : start].strip() == "":
        start = source.rfind("\n", 0, start)  # the blank line before it goes too
    entity.edits.append((start, member.end, ""))
    if "JoinColumn" in member.decorators:
        return (
            f"{entity.path}: removed the relation {member.name} (its join column "
            f"{op.column} was dropped); remove its inverse side in the other entity"
        )
    return None


def _rename_column(ctx: _Context, op: o.RenameColumn, after: Schema) -> str | None:
    entity, member = ctx.member(op.table, op.old)
    if entity is None or member is None:
        return f"no entity property for {op.table}.{op.old}: rename it by hand"
    names = [d for d in member.decorators if d in _COLUMN_DECORATORS or d == "JoinColumn"]
    decorator = "JoinColumn" if "JoinColumn" in names else names[0] if names else None
    if decorator is None:
        return f"{entity.path}: {member.name} has no column decorator to rename"
    _set_options(entity, member.decorators[decorator], {"name": js_string(op.new)}, first=True)
    return None


def _alter_column(ctx: _Context, op: o.AlterColumn, after: Schema) -> str | None:
    entity, member = ctx.member(op.table, op.column)
    if entity is None or member is None or "Column" not in member.decorators:
        return f"no @Column property for {op.table}.{op.column}: change it by hand"
    column = after.table(op.table).column(op.column)
    wanted = dict(column_options(column, after, ctx.dialect))
    updates: dict[str, str | None] = {}
    if op.type is not None:
        for key in ("type", "length", "precision", "scale", "enum", "enumName"):
            updates[key] = wanted.get(key)
    if op.nullable is not None:
        updates["nullable"] = wanted.get("nullable")
    if op.default is not o.KEEP:
        updates["default"] = wanted.get("default")
    _set_options(entity, member.decorators["Column"], updates)
    if member.annotation and (op.type is not None or op.nullable is not None):
        entity.edits.append((*member.annotation, ts_type(column, after)))
    return None


def _rename_table(ctx: _Context, op: o.RenameTable, after: Schema) -> str | None:
    entity = ctx.entities.get(op.old)
    if entity is None:
        return f"no entity class for table {op.old}: rename it by hand"
    mod = entity.module
    at = max(
        k for k in range(entity.body[0]) if mod.tokens[k].text == "Entity" and mod.is_at(k - 1, "@")
    )
    if mod.is_at(at + 1, "(") and mod.tokens[at + 2].kind == "string":
        tok = mod.tokens[at + 2]
        entity.edits.append((tok.start, tok.end, js_string(op.new)))
    elif mod.is_at(at + 1, "(") and _options_at(mod, at + 1, mod.match[at + 1]) is not None:
        _set_options(entity, (at + 1, mod.match[at + 1]), {"name": js_string(op.new)}, True)
    else:
        end = mod.match[at + 1] if mod.is_at(at + 1, "(") else at
        start = mod.tokens[at].end
        entity.edits.append((start, mod.tokens[end].end, f"({js_string(op.new)})"))
    return None


#: Operation class -> its entity edit; anything else becomes a note.
EDITS: dict[type[o.Operation], _Edit] = {
    o.AddColumn: _add_column,
    o.DropColumn: _drop_column,
    o.RenameColumn: _rename_column,
    o.AlterColumn: _alter_column,
    o.RenameTable: _rename_table,
}


def update_entities(repo: RepoFacts, config: FrameworkConfig, plan: MigrationPlan) -> EntityUpdate:
    """The entity files after the plan's operations, as `File(kind="model", existing=True)`."""
    ctx = _Context(repo, find_entities(repo, config.root), plan.dialect)
    notes: list[str] = []
    state = plan.before
    created = {op.table.name for op in plan.operations if isinstance(op, o.CreateTable)}
    for op in plan.operations:
        after = op.apply(state)
        if isinstance(op, o.RenameTable) and op.old in created:
            created = (created - {op.old}) | {op.new}
        edit = EDITS.get(type(op))
        if op.tables and set(op.tables) <= created:
            note = None  # a table the plan creates: its entity is written from the final schema
        elif edit is not None:
            note = edit(ctx, op, after)
        elif op.tables and any(t in ctx.entities for t in op.tables):
            note = f"entity not updated for: {op.describe().strip()}"
        else:
            note = None
        if note:
            notes.append(note)
        state = after
    files = []
    for entity in {id(e): e for e in ctx.entities.values()}.values():
        if entity.edits:
            files.append(File(entity.path, _apply(entity), kind="model", existing=True))
    tables = [t for t in sorted(created) if plan.after.has_table(t)]
    classes = {table: (e.path, e.class_name) for table, e in ctx.entities.items()}
    files += new_entity_files(repo, config, classes, tables, plan, notes)
    return EntityUpdate(tuple(sorted(files, key=lambda f: f.path)), tuple(notes))


# ---------------------------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------------------------


def _apply(entity: _Entity) -> str:
    text = entity.module.source
    # From the end backwards; of two insertions at one place the later one goes in first, so
    # that they end up in the order the operations made them.
    ordered = sorted(enumerate(entity.edits), key=lambda e: (e[1][0], e[1][1], e[0]), reverse=True)
    for _, (start, end, replacement) in ordered:
        text = text[:start] + replacement + text[end:]
    return text


def _member_indent(entity: _Entity) -> str | None:
    if not entity.members:
        return None
    source = entity.module.source
    line_start = source.rfind("\n", 0, entity.members[0].start) + 1
    return source[line_start : entity.members[0].start]


def _blank_between(entity: _Entity) -> bool:
    """Whether the class separates its properties with an empty line."""
    source = entity.module.source
    return any(
        source[a.end : b.start].count("\n") >= 2
        for a, b in zip(entity.members, entity.members[1:], strict=False)
    )


def _decorator(name: str, options: list[tuple[str, str]], style: JsStyle, indent: str) -> str:
    flat = "@" + name + "({ " + ", ".join(f"{k}: {v}" for k, v in options) + " })"
    if len(indent.replace("\t", "  ")) + len(flat) <= style.width:
        return flat
    comma = "," if style.trailing_comma else ""
    inner = ",\n".join(f"{indent}{style.indent}{k}: {v}" for k, v in options)
    return f"@{name}({{\n{inner}{comma}\n{indent}}})"


def _set_options(
    entity: _Entity,
    parens: tuple[int, int],
    updates: dict[str, str | None],
    first: bool = False,
) -> None:
    """Set (or, for None, remove) keys of a decorator's options object, keeping the rest."""
    mod = entity.module
    opening, closing = parens
    obj = _options_at(mod, opening, closing)
    if obj is None:
        added = ", ".join(f"{k}: {v}" for k, v in updates.items() if v is not None)
        if not added:
            return
        has_args = closing > opening + 1
        at = mod.tokens[closing].start
        entity.edits.append((at, at, f"{', ' if has_args else ''}{{ {added} }}"))
        return
    spans = _keys(mod, obj)
    pending = dict(updates)
    order = list(spans)
    for position, key_name in enumerate(order):
        if key_name not in pending:
            continue
        key_start, value_start, value_end, after = spans[key_name]
        new = pending.pop(key_name)
        if new is not None:
            entity.edits.append((value_start, value_end, new))
        elif after > value_end or position == 0:
            entity.edits.append((key_start, after, ""))  # `key: value, ` up to the next key
        else:  # the last key: take the comma before it instead
            entity.edits.append((spans[order[position - 1]][2], value_end, ""))
    text = ", ".join(f"{k}: {v}" for k, v in pending.items() if v is not None)
    if not text:
        return
    if not spans:
        inside = (mod.tokens[obj].end, mod.tokens[mod.match[obj]].start)
        entity.edits.append((*inside, f" {text} "))
    elif first:
        at = min(v[0] for v in spans.values())
        entity.edits.append((at, at, f"{text}, "))
    else:
        last_end = max(v[2] for v in spans.values())
        entity.edits.append((last_end, last_end, f", {text}"))


def _keys(mod: JsModule, obj: int) -> dict[str, tuple[int, int, int, int]]:
    """key -> (key start, value start, value end, end of the following `, ` or the value)."""
    close = mod.match[obj]
    inner = mod.depth[obj] + 1
    out: dict[str, tuple[int, int, int, int]] = {}
    k = obj + 1
    while k < close:
        if (
            mod.depth[k] == inner
            and mod.is_at(k + 1, ":")
            and mod.tokens[k].kind in ("name", "string")
        ):
            stop = min(mod.skip_to(k + 2, {","}, inner), close)
            value_end = mod.tokens[stop - 1].end
            after = value_end
            if mod.is_at(stop, ","):
                nxt = mod.tokens[stop + 1] if stop + 1 < len(mod.tokens) else mod.tokens[stop]
                after = nxt.start if stop + 1 < close else mod.tokens[stop].end
            out[mod.tokens[k].text] = (
                mod.tokens[k].start,
                mod.tokens[k + 2].start,
                value_end,
                after,
            )
            k = stop
        k += 1
    return out
