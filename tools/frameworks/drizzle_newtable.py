"""Printing Drizzle table code as prettier prints it: a new table, and a table's extra-config
callback (`(table) => [index(...).on(...), ...]`) after items were added or removed.

Layout follows prettier 3: `pgTable("t", { ... })` hugs its object while it is the last
argument; with a callback the arguments go one a line. A callback's array stays on one line
while it fits, else one item a line; a `foreignKey({ ... })` too long for its line opens its
object. `drizzle_models` decides what to write; this module only lays it out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..schema import Index, Schema, Table
from .drizzle_columns import TABLE_FN, Needs, builder, inline_fk
from .jsconfig import JsModule
from .jsstyle import JsStyle, quote


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)


def chain(lead: str, parts: list[str], indent: str, style: JsStyle) -> str:
    """`key: builder(...).a().b()` flat when it fits, else one call a line (prettier's
    member-chain break), the head call kept on the key's line."""
    flat = lead + "".join(parts)
    if len(indent) + len(flat) + 1 <= style.width or len(parts) == 1:
        return flat
    rest = "".join(f"\n{indent}{style.indent}{p}" for p in parts[1:])
    return lead + parts[0] + rest


def index_code(index: Index, props: dict[str, str], style: JsStyle, needs: Needs) -> str:
    fn = "uniqueIndex" if index.unique else "index"
    needs.core.add(fn)
    on = ", ".join(f"table.{props.get(c, camel(c))}" for c in index.columns)
    code = f"{fn}({quote(index.name, style)}).on({on})"
    if index.where:
        needs.sql = True
        code += f".where(sql`{index.where}`)"
    return code


def new_table(
    table: Table,
    schema: Schema,
    dialect: str,
    refs: dict[tuple[str, str], str],
    style: JsStyle,
    needs: Needs,
) -> str:
    """`export const t = pgTable("t", { ... }, (table) => [...])` for a table the plan creates.

    `refs` maps (table, column) to the code naming it (`users.id`) for the tables the schema
    file defines; a foreign key onto any other table stays in the database only."""
    unit = style.indent
    fn = TABLE_FN[dialect]
    needs.core.add(fn)
    const = camel(table.name)
    props = {c.name: camel(c.name) for c in table.columns}
    refs = {**refs, **{(table.name, c): f"{const}.{p}" for c, p in props.items()}}
    extras = _extras(table, dialect, props, refs, style, needs)
    indent = unit * 2 if extras else unit
    lines = [
        indent
        + chain(
            f"{props[c.name]}: ",
            builder(c, table, schema, dialect, refs, style, needs),
            indent,
            style,
        )
        + ","
        for c in table.columns
    ]
    head = f"export const {const} = {fn}("
    name = quote(table.name, style)
    body = "\n".join(lines)
    if not extras:
        return f"{head}{name}, {{\n{body}\n}}){style.end}"
    callback = f"{unit}(table) => {array_text(extras, len(unit) + 11, unit, style)},"
    return f"{head}\n{unit}{name},\n{unit}{{\n{body}\n{unit}}},\n{callback}\n){style.end}"


def _extras(
    table: Table,
    dialect: str,
    props: dict[str, str],
    refs: dict[tuple[str, str], str],
    style: JsStyle,
    needs: Needs,
) -> list[str]:
    out = [index_code(i, props, style, needs) for i in table.indexes]
    cols = lambda names: ", ".join(f"table.{props[c]}" for c in names)  # noqa: E731
    if len(table.primary_key) > 1:
        needs.core.add("primaryKey")
        out.append(f"primaryKey({{ columns: [{cols(table.primary_key)}] }})")
    for u in table.uniques:
        if len(u.columns) > 1:
            needs.core.add("unique")
            out.append(f"unique({quote(u.name, style) if u.name else ''}).on({cols(u.columns)})")
    for fk in table.foreign_keys:
        targets = [refs.get((fk.ref_table, c)) for c in fk.ref_columns]
        if not all(targets) or inline_fk(fk, table, dialect):
            continue  # inline `.references()`, or a table the schema file does not define
        needs.core.add("foreignKey")
        name = f"name: {quote(fk.name, style)}, " if fk.name else ""
        code = (
            f"foreignKey({{ {name}columns: [{cols(fk.columns)}], "
            f"foreignColumns: [{', '.join(str(t) for t in targets)}] }})"
        )
        for key, value in (("onDelete", fk.on_delete), ("onUpdate", fk.on_update)):
            if value and value.lower() != "no action":
                code += f".{key}({quote(value.lower(), style)})"
        out.append(code)
    for check in table.checks:
        needs.core.add("check")
        needs.sql = True
        name = quote(check.name or f"{table.name}_check", style)
        out.append(f"check({name}, sql`{check.expression}`)")
    return out


def array_text(items: Sequence[str], column: int, base: str, style: JsStyle) -> str:
    """`[a, b]` when it fits from `column` (plus the trailing `,`), else one item a line at
    `base` + one indent, with a `foreignKey({ ... })` that is still too long opened up."""
    flat = "[" + ", ".join(items) + "]"
    if column + len(flat) + 1 <= style.width:
        return flat
    inner = base + style.indent
    rows = [_open_object(item, inner, style) for item in items]
    comma = "," if style.trailing_comma else ""
    body = ",\n".join(f"{inner}{row}" for row in rows)
    return f"[\n{body}{comma}\n{base}]"


def _open_object(item: str, indent: str, style: JsStyle) -> str:
    if len(indent) + len(item) + 1 <= style.width or "({ " not in item:
        return item
    head, rest = item.split("({ ", 1)
    inside, tail = rest.split(" })", 1)
    keys = _split_top(inside)
    comma = "," if style.trailing_comma else ""
    body = ",\n".join(f"{indent}{style.indent}{k}" for k in keys)
    return f"{head}({{\n{body}{comma}\n{indent}}}){tail}"


def _split_top(text: str) -> list[str]:
    """`a: [x, y], b: z` split on its top-level commas."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def with_callback(source: str, table_fn: str, const: str, items: list[str], style: JsStyle) -> str:
    """`source` with table `const`'s callback array printed anew from `items` (added when the
    table had none: the call's arguments then go one a line, the object re-indented)."""
    mod = JsModule(source)
    k = next(
        k
        for k, tok in enumerate(mod.tokens)
        if tok.text == const and mod.is_at(k + 1, "=") and mod.text_at(k + 2) == table_fn
    )
    call = k + 3
    close = mod.match[call]
    line_start = source.rfind("\n", 0, mod.tokens[k].start) + 1
    base = source[line_start : mod.tokens[k].start]
    base = base[: len(base) - len(base.lstrip())]
    unit = style.indent
    obj = call + 3
    obj_end = mod.match[obj]
    after_obj = obj_end + 1
    if mod.is_at(after_obj, ",") and not mod.is_at(after_obj + 1, ")"):
        arrow = mod.skip_to(after_obj + 1, {"=>"}, mod.depth[obj_end])
        opening = arrow + 1
        closing = mod.match[opening]
        start = mod.tokens[opening].start
        col = start - (source.rfind("\n", 0, start) + 1)
        arr_line = source[source.rfind("\n", 0, start) + 1 : start]
        arr_base = arr_line[: len(arr_line) - len(arr_line.lstrip())]
        text = array_text(items, col, arr_base, style)
        return source[:start] + text + source[mod.tokens[closing].end :]
    name_text = source[mod.tokens[call + 1].start : mod.tokens[call + 1].end]
    obj_text = re.sub(
        r"\n(?=[^\n])", "\n" + unit, source[mod.tokens[obj].start : mod.tokens[obj_end].end]
    )
    inner = base + unit
    comma = "," if style.trailing_comma else ""
    array = array_text(items, len(inner) + 11, inner, style)
    callback = f"{inner}(table) => {array}{comma}"
    new = f"\n{inner}{name_text},\n{inner}{obj_text},\n{callback}\n{base}"
    return source[: mod.tokens[call].end] + new + source[mod.tokens[close].start :]
