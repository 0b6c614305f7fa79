"""Keeping schema.prisma in step with a migration, one operation at a time.

Each operation edits the schema file's lines (see `prisma_schema.PrismaFile`): a new column
is a new field (camelCase with `@map` when the model names its fields that way), a rename
moves the `@map` so Prisma Client's field names stay as the application uses them, a foreign
key is a relation field plus the back-relation Prisma requires on the other model, indexes
and uniques are `@@index` / `@@unique` with `map:` naming the database's index. What Prisma's
schema cannot say (checks, partial and expression indexes, data changes) lives in the
migration SQL only, as it does in a Prisma project written by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .. import ops as o
from ..repo import RepoFacts
from ..schema import Column, ForeignKey, Schema, Table, UniqueConstraint, is_identifier
from .base import FrameworkConfig
from .prisma_schema import (
    Block,
    Field,
    PrismaFile,
    default_name,
    field_name,
    model_name,
    prisma_default,
    prisma_type,
    render_field,
)
from .render import File, MigrationPlan

_ACTIONS = {
    "CASCADE": "Cascade",
    "SET NULL": "SetNull",
    "RESTRICT": "Restrict",
    "SET DEFAULT": "SetDefault",
    "NO ACTION": "NoAction",
}


class Editor:
    """Edits of one schema file for one plan."""

    def __init__(self, text: str) -> None:
        self.file = PrismaFile(text)
        self.provider = self.file.provider()

    def enums(self) -> dict[str, str]:
        return {b.name.lower(): b.name for b in self.file.blocks() if b.kind == "enum"}

    def camel(self, block: Block | None) -> bool:
        """camelCase field names with @map: the model's habit, or most models' for a new one."""
        if block is not None and self.file.fields(block):
            return self.file.uses_map(block)
        models = [b for b in self.file.blocks() if b.kind == "model"]
        return sum(self.file.uses_map(b) for b in models) * 2 >= len(models) if models else True

    def field_for(self, block: Block | None, table: Table, column: Column, schema: Schema) -> Field:
        camel = self.camel(block)
        name = field_name(column.name, camel)
        enums = self.enums()
        kind, native = prisma_type(column, self.provider, schema, enums)
        attrs: list[str] = []
        if table.primary_key == (column.name,):
            attrs.append("@id")
        default = prisma_default(column, kind in enums.values())
        if default:
            attrs.append(default)
        for u in table.uniques:
            if u.columns == (column.name,):
                attrs.append(_unique_attr(u, table.name, "@unique"))
        if name != column.name:
            attrs.append(f'@map("{column.name}")')
        if native:
            attrs.append(native)
        in_pk = column.name in table.primary_key
        return Field(name, kind, optional=column.nullable and not in_pk, attrs=attrs)

    def field_names(self, block: Block, columns: tuple[str, ...]) -> list[str]:
        names = []
        for column in columns:
            found = self.file.scalar(block, column)
            names.append(found[1].name if found else column)
        return names

    def relation(self, table: str, fk: ForeignKey, schema: Schema) -> None:
        """A relation field on `table`'s model and its back-relation on the target model."""
        block = self.file.model(table)
        target = self.file.model(fk.ref_table)
        if block is None or target is None:
            return
        here = self.field_names(block, fk.columns)
        there = self.field_names(target, fk.ref_columns)
        taken = {f.name for _, f in self.file.fields(block)}
        name = _free(target.name[:1].lower() + target.name[1:], taken)
        if len(fk.columns) == 1 and here[0].lower().endswith("id") and len(here[0]) > 2:
            name = _free(here[0][:-2].rstrip("_"), taken)  # replacedById -> replacedBy
        nullable = any(schema.table(table).column(c).nullable for c in fk.columns)
        args = [f"fields: [{', '.join(here)}]", f"references: [{', '.join(there)}]"]
        # A second relation between the same two models needs names on both ends.
        related = [f for _, f in self.file.fields(block) if f.type == target.name] + [
            f for _, f in self.file.fields(target) if f.type == block.name
        ]
        label = f'"{block.name}{name[:1].upper()}{name[1:]}"' if related else ""
        if label:
            args.insert(0, label)
        if fk.on_delete:
            args.append(f"onDelete: {_ACTIONS[fk.on_delete]}")
        if fk.on_update:
            args.append(f"onUpdate: {_ACTIONS[fk.on_update]}")
        if fk.name and fk.name != default_name(table, fk.columns, "fkey"):
            args.append(f'map: "{fk.name}"')
        self.file.insert_field(
            block,
            Field(name, target.name, optional=nullable, attrs=[f"@relation({', '.join(args)})"]),
        )
        target = self.file.model(fk.ref_table)
        assert target is not None
        taken = {f.name for _, f in self.file.fields(target)}
        back = _free(block.name[:1].lower() + block.name[1:] + "s", taken)
        attrs = [f"@relation({label})"] if label else []
        self.file.insert_field(target, Field(back, block.name, is_list=True, attrs=attrs))


def _free(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}{n}", n + 1
    return candidate


def _unique_attr(u: UniqueConstraint, table: str, attr: str) -> str:
    if u.name and u.name != default_name(table, u.columns, "key"):
        return f'{attr}(map: "{u.name}")'
    return attr


def _unique_block(u: UniqueConstraint, table: str, fields: str) -> str:
    """`@@unique([a, b])`, with `map:` when the name is not Prisma's default."""
    if u.name and u.name != default_name(table, u.columns, "key"):
        return f'@@unique([{fields}], map: "{u.name}")'
    return f"@@unique([{fields}])"


Edit = Callable[[Editor, o.Operation, Schema, Schema], None]


def _add_column(ed: Editor, op: o.AddColumn, before: Schema, after: Schema) -> None:
    block = ed.file.model(op.table)
    if block is not None:
        table = after.table(op.table)
        ed.file.insert_field(block, ed.field_for(block, table, op.column, after))


def _drop_column(ed: Editor, op: o.DropColumn, before: Schema, after: Schema) -> None:
    block = ed.file.model(op.table)
    found = ed.file.scalar(block, op.column) if block else None
    if found is not None:
        ed.file.replace(found[0], None)


def _rename_column(ed: Editor, op: o.RenameColumn, before: Schema, after: Schema) -> None:
    block = ed.file.model(op.table)
    found = ed.file.scalar(block, op.old) if block else None
    if found is None:
        return
    index, f = found
    attrs = f.without("@map")
    if f.name != op.new:
        attrs.append(f'@map("{op.new}")')
    f.attrs = attrs
    ed.file.replace(index, render_field(f))


def _alter_column(ed: Editor, op: o.AlterColumn, before: Schema, after: Schema) -> None:
    block = ed.file.model(op.table)
    found = ed.file.scalar(block, op.column) if block else None
    if block is None or found is None:
        return
    index, f = found
    table = after.table(op.table)
    fresh = ed.field_for(block, table, table.column(op.column), after)
    keep = f.without("@default", "@db")
    new_default = fresh.attr("@default")
    native = next((a for a in fresh.attrs if a.startswith("@db.")), None)
    f.type, f.optional = fresh.type, fresh.optional
    f.attrs = keep + [a for a in (new_default, native) if a]
    ed.file.replace(index, render_field(f))


def _create_table(ed: Editor, op: o.CreateTable, before: Schema, after: Schema) -> None:
    t = op.table
    name = model_name(t.name, set(ed.file.model_names()) | {b.name for b in ed.file.blocks()})
    ed.file.append_block(f"model {name} {{\n}}")
    block = ed.file.model(name)
    assert block is not None
    for column in t.columns:
        block = ed.file.model(name)
        assert block is not None
        f = ed.field_for(None, t, column, after)
        ed.file.insert_field(block, f)
    _block_attrs(ed, name, t)
    block = ed.file.model(name)
    assert block is not None
    if name != t.name:
        ed.file.add_block_attr(block, f'@@map("{t.name}")')
    for fk in t.foreign_keys:
        ed.relation(t.name, fk, after)


def _block_attrs(ed: Editor, model: str, t: Table) -> None:
    block = ed.file.model(model)
    assert block is not None
    if len(t.primary_key) > 1:
        ed.file.add_block_attr(block, f"@@id([{', '.join(ed.field_names(block, t.primary_key))}])")
    for u in t.uniques:
        if len(u.columns) > 1:
            fields = ", ".join(ed.field_names(block, u.columns))
            ed.file.add_block_attr(block, _unique_block(u, t.name, fields))
    for index in t.indexes:
        line = _index_line(ed, block, t.name, index)
        if line:
            ed.file.add_block_attr(block, line)


def _index_line(ed: Editor, block: Block, table: str, index: object) -> str | None:
    from ..schema import Index

    assert isinstance(index, Index)
    if index.where or not all(is_identifier(c) for c in index.columns):
        return None  # Prisma's schema has no partial or expression indexes
    fields = ", ".join(ed.field_names(block, index.columns))
    args = [f"[{fields}]"]
    suffix = "key" if index.unique else "idx"
    if index.name != default_name(table, index.columns, suffix):
        args.append(f'map: "{index.name}"')
    if index.using and index.using.lower() != "btree" and ed.provider == "postgresql":
        args.append(f"type: {index.using.capitalize()}")
    return f"@@{'unique' if index.unique else 'index'}({', '.join(args)})"


def _drop_table(ed: Editor, op: o.DropTable, before: Schema, after: Schema) -> None:
    block = ed.file.model(op.name)
    if block is None:
        return
    name = block.name
    ed.file.remove_block(block)
    for other in ed.file.blocks():
        if other.kind != "model":
            continue
        for index, f in reversed(ed.file.fields(other)):
            if f.type == name:
                ed.file.replace(index, None)


def _rename_table(ed: Editor, op: o.RenameTable, before: Schema, after: Schema) -> None:
    block = ed.file.model(op.old)
    if block is None:
        return
    _pin_names(ed, block, before.table(op.old))
    block = ed.file.model(op.old)
    assert block is not None
    for i in range(block.start + 1, block.end):
        if ed.file.lines[i].strip().startswith("@@map("):
            ed.file.replace(i, f'  @@map("{op.new}")')
            return
    ed.file.add_block_attr(block, f'@@map("{op.new}")')


def _pin_names(ed: Editor, block: Block, table: Table) -> None:
    """Give every key and index that carries Prisma's default name an explicit `map:`.

    Default names derive from the table (`categories_name_key`); renaming the table keeps the
    database's names, so the schema must name them or Prisma would see drift.
    """
    name = table.name
    for index, f in ed.file.fields(block):
        attrs = []
        for attr in f.attrs:
            col = f.column
            if attr == "@id" and ed.provider == "postgresql":
                attr = f'@id(map: "{default_name(name, (col,), "pkey")}")'
            elif attr == "@unique":
                attr = f'@unique(map: "{default_name(name, (col,), "key")}")'
            elif attr.startswith("@relation(") and "map:" not in attr:
                fields = re.search(r"fields:\s*\[([^\]]*)\]", attr)
                if fields:
                    cols = tuple(_column_of(ed, block, x.strip()) for x in fields[1].split(","))
                    attr = attr[:-1] + f', map: "{default_name(name, cols, "fkey")}")'
            attrs.append(attr)
        if attrs != f.attrs:
            f.attrs = attrs
            ed.file.replace(index, render_field(f))
    for i in range(block.start + 1, block.end):
        line = ed.file.lines[i].strip()
        m = re.match(r"^@@(index|unique|id)\(\[([^\]]*)\](.*)\)$", line)
        if not m or "map:" in m[3] or (m[1] == "id" and ed.provider != "postgresql"):
            continue
        cols = tuple(_column_of(ed, block, x.strip()) for x in m[2].split(","))
        suffix = {"index": "idx", "unique": "key", "id": "pkey"}[m[1]]
        mapped = f'map: "{default_name(name, cols, suffix)}"'
        ed.file.replace(i, f"  @@{m[1]}([{m[2]}]{m[3]}, {mapped})")


def _column_of(ed: Editor, block: Block, field: str) -> str:
    return next((f.column for _, f in ed.file.fields(block) if f.name == field), field)


def _create_index(ed: Editor, op: o.CreateIndex, before: Schema, after: Schema) -> None:
    block = ed.file.model(op.table)
    line = _index_line(ed, block, op.table, op.index) if block else None
    if block is not None and line:
        ed.file.add_block_attr(block, line)


def _drop_block_attr(ed: Editor, table: str, name: str, columns: tuple[str, ...]) -> bool:
    block = ed.file.model(table)
    if block is None:
        return False
    fields = ", ".join(ed.field_names(block, columns))
    for i in range(block.start + 1, block.end):
        line = ed.file.lines[i].strip()
        if not line.startswith(("@@index(", "@@unique(")):
            continue
        named = f'map: "{name}"' in line
        suffix = "key" if line.startswith("@@unique") else "idx"
        by_default = "map:" not in line and name == default_name(table, columns, suffix)
        if named or (by_default and line.split("(", 1)[1].startswith(f"[{fields}]")):
            ed.file.replace(i, None)
            return True
    return False


def _drop_index(ed: Editor, op: o.DropIndex, before: Schema, after: Schema) -> None:
    index = op.find(before.table(op.table))
    _drop_block_attr(ed, op.table, op.name, index.columns)


def _add_foreign_key(ed: Editor, op: o.AddForeignKey, before: Schema, after: Schema) -> None:
    ed.relation(op.table, op.foreign_key, after)


def _add_unique(ed: Editor, op: o.AddUnique, before: Schema, after: Schema) -> None:
    block = ed.file.model(op.table)
    if block is None:
        return
    u = op.unique
    if len(u.columns) == 1:
        found = ed.file.scalar(block, u.columns[0])
        if found is not None:
            index, f = found
            f.attrs.insert(1 if f.attr("@id") else 0, _unique_attr(u, op.table, "@unique"))
            ed.file.replace(index, render_field(f))
        return
    fields = ", ".join(ed.field_names(block, u.columns))
    ed.file.add_block_attr(block, _unique_block(u, op.table, fields))


def _drop_constraint(ed: Editor, op: o.DropConstraint, before: Schema, after: Schema) -> None:
    item = op.find(before.table(op.table))
    block = ed.file.model(op.table)
    if block is None:
        return
    if isinstance(item, ForeignKey):
        _drop_relation(ed, op.table, item)
    elif isinstance(item, UniqueConstraint):
        if len(item.columns) == 1:
            found = ed.file.scalar(block, item.columns[0])
            if found is not None:
                index, f = found
                f.attrs = f.without("@unique")
                ed.file.replace(index, render_field(f))
        else:
            _drop_block_attr(ed, op.table, op.name, item.columns)


def _drop_relation(ed: Editor, table: str, fk: ForeignKey) -> None:
    block = ed.file.model(table)
    target = ed.file.model(fk.ref_table)
    if block is None or target is None:
        return
    fields = ", ".join(ed.field_names(block, fk.columns))
    for index, f in ed.file.fields(block):
        relation = f.attr("@relation") or ""
        if f.type == target.name and f"fields: [{fields}]" in relation:
            ed.file.replace(index, None)
            break
    target = ed.file.model(fk.ref_table)
    assert target is not None
    for index, f in ed.file.fields(target):
        if f.type == block.name and not f.attr("@relation"):
            ed.file.replace(index, None)
            break


def _create_enum(ed: Editor, op: o.CreateEnum, before: Schema, after: Schema) -> None:
    values = "\n".join(f"  {v}" for v in op.enum.values)
    ed.file.append_block(f"enum {op.enum.name} {{\n{values}\n}}")


def _add_enum_value(ed: Editor, op: o.AddEnumValue, before: Schema, after: Schema) -> None:
    block = ed.file.enum(op.name)
    if block is None:
        return
    values = [ed.file.lines[i].strip() for i in range(block.start + 1, block.end)]
    at = block.end
    anchor = op.before or op.after
    if anchor and anchor in values:
        at = block.start + 1 + values.index(anchor) + (1 if op.after else 0)
    ed.file.lines.insert(at, f"  {op.value}")


def _drop_enum(ed: Editor, op: o.DropEnum, before: Schema, after: Schema) -> None:
    block = ed.file.enum(op.name)
    if block is not None:
        ed.file.remove_block(block)


EDITS: dict[type[o.Operation], Edit] = {
    o.AddColumn: _add_column,  # type: ignore[dict-item]
    o.DropColumn: _drop_column,  # type: ignore[dict-item]
    o.RenameColumn: _rename_column,  # type: ignore[dict-item]
    o.AlterColumn: _alter_column,  # type: ignore[dict-item]
    o.CreateTable: _create_table,  # type: ignore[dict-item]
    o.DropTable: _drop_table,  # type: ignore[dict-item]
    o.RenameTable: _rename_table,  # type: ignore[dict-item]
    o.CreateIndex: _create_index,  # type: ignore[dict-item]
    o.DropIndex: _drop_index,  # type: ignore[dict-item]
    o.AddForeignKey: _add_foreign_key,  # type: ignore[dict-item]
    o.AddUnique: _add_unique,  # type: ignore[dict-item]
    o.DropConstraint: _drop_constraint,  # type: ignore[dict-item]
    o.CreateEnum: _create_enum,  # type: ignore[dict-item]
    o.AddEnumValue: _add_enum_value,  # type: ignore[dict-item]
    o.DropEnum: _drop_enum,  # type: ignore[dict-item]
}


def update_models(repo: RepoFacts, config: FrameworkConfig, plan: MigrationPlan) -> list[File]:
    """schema.prisma with the plan's changes, laid out as `prisma format` would."""
    path = config.settings.get("schema", "prisma/schema.prisma")
    if path not in repo.files:
        return []
    original = repo.read(path)
    ed = Editor(original)
    state = plan.before
    for op in plan.operations:
        after = op.apply(state)
        fn = o.handler_for(EDITS, op)
        if fn is not None:
            fn(ed, op, state, after)
        state = after
    ed.file.format()
    text = ed.file.text
    return [] if text == original else [File(path, text, kind="model", existing=True)]
