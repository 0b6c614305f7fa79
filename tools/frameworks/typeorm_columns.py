"""TypeORM column options and TypeScript property types for a migwright Column.

What `@Column({...})` says for a column (TypeORM's type name for the dialect, length or
precision, nullable, default, enum values) and the property type TypeORM hands the app
(`number`, `string` for bigint and numeric, `Date`, `| null`). Entity edits use it for added
and changed columns.
"""

from __future__ import annotations

import re

from ..schema import Column, Schema, canonical_type
from .jsrender import JsStyle, quote

_TYPE_ARGS = re.compile(r"^([a-z_ ]+?)\s*(?:\((\d+)(?:\s*,\s*(\d+))?\))?$")

#: Canonical base type -> TypeORM column type per dialect (postgresql, mysql, sqlite).
_TYPES: dict[str, tuple[str, str, str]] = {
    "timestamptz": ("timestamptz", "timestamp", "datetime"),
    "timestamp": ("timestamp", "datetime", "datetime"),
    "integer": ("integer", "int", "integer"),
    "numeric": ("numeric", "decimal", "decimal"),
    "double precision": ("double precision", "double", "double"),
    "jsonb": ("jsonb", "json", "text"),
    "json": ("json", "json", "text"),
    "uuid": ("uuid", "uuid", "varchar"),
}
_DIALECT_INDEX = {"postgresql": 0, "mysql": 1, "sqlite": 2}
_TS_TYPES = {
    "smallint": "number", "integer": "number", "real": "number", "double precision": "number",
    "boolean": "boolean", "timestamp": "Date", "timestamptz": "Date", "json": "unknown",
    "jsonb": "unknown", "bytea": "Buffer", "blob": "Buffer",
}  # fmt: skip


def column_options(column: Column, schema: Schema, dialect: str) -> list[tuple[str, str]]:
    """`(key, JS source)` pairs of the `@Column({...})` options for `column`."""
    canonical = canonical_type(column.type)
    m = _TYPE_ARGS.match(canonical)
    base, first, second = (m[1], m[2], m[3]) if m else (canonical, None, None)
    options: list[tuple[str, str]] = []
    enum = schema.enum(canonical)
    if enum is not None:
        values = ", ".join(js_string(v) for v in enum.values)
        options += [("type", '"enum"'), ("enum", f"[{values}]"), ("enumName", js_string(base))]
    else:
        kind = _TYPES.get(base, (base, base, base))[_DIALECT_INDEX.get(dialect, 0)]
        options.append(("type", js_string(kind)))
        if first and base in ("varchar", "char"):
            options.append(("length", first))
        elif first:
            options.append(("precision", first))
            if second:
                options.append(("scale", second))
    if column.nullable:
        options.append(("nullable", "true"))
    default = _default(column.default)
    if default is not None:
        options.append(("default", default))
    if column.identity:
        options.append(("generated", '"increment"'))
    if column.comment:
        options.append(("comment", js_string(column.comment)))
    return options


def ts_type(column: Column, schema: Schema) -> str:
    canonical = canonical_type(column.type)
    enum = schema.enum(canonical)
    base = (_TYPE_ARGS.match(canonical) or [canonical, canonical])[1]
    kind = (
        " | ".join(js_string(v) for v in enum.values)
        if enum is not None
        else _TS_TYPES.get(str(base), "string")
    )
    return f"{kind} | null" if column.nullable else kind


def js_string(text: str) -> str:
    """A double-quoted JS string literal (TypeORM's generated code and docs use them)."""
    return quote(text, JsStyle(quote='"'))


def _default(sql: str | None) -> str | None:
    if sql is None or sql.strip().lower() == "null":
        return None
    text = re.sub(r"::[\w ]+(\[\])?$", "", sql.strip())
    if re.fullmatch(r"-?\d+(\.\d+)?", text) or text.lower() in ("true", "false"):
        return text.lower() if text.lower() in ("true", "false") else text
    if re.fullmatch(r"'(?:[^']|'')*'", text):
        return js_string(text[1:-1].replace("''", "'"))
    return f"() => {js_string(sql.strip())}"
