"""Prisma's schema: models, fields and their table and column names.

`model Order { total Decimal @map("total_amount") ... @@map("orders") }`: the table is the
`@@map` name or the model's, a column the `@map` name or the field's; fields whose type is
another model are relations. The client reaches a model as `prisma.<lowerCamel name>`.
References in the schema itself are the model line, the field lines and `@@index([...])` /
`@@unique([...])` lists.
"""

from __future__ import annotations

import re

from .references_jsquery import JsIndex
from .references_types import (
    CERTAIN,
    CodeModel,
    Match,
    Reference,
    Source,
    Wanted,
    lower_camel,
    word_offsets,
)

_MODEL = re.compile(r"^\s*model\s+(\w+)\s*\{")
_FIELD = re.compile(r"^\s*(\w+)\s+(\w+)(\[\])?\??")
_MAP = re.compile(r"@map\(\s*(?:name\s*:\s*)?\"([^\"]+)\"")
_TABLE_MAP = re.compile(r"@@map\(\s*(?:name\s*:\s*)?\"([^\"]+)\"")
_LIST = re.compile(r"\[([^\]]*)\]")
_FIELDS = re.compile(r"\bfields\s*:\s*\[([^\]]*)\]")
_SCALARS = {
    "String",
    "Int",
    "BigInt",
    "Float",
    "Decimal",
    "Boolean",
    "DateTime",
    "Json",
    "Bytes",
    "Unsupported",
}


def strip_prisma_comment(line: str) -> str:
    """A schema line without its `//` comment (strings in Prisma schemas hold no `//`
    except in URLs, which sit in datasource blocks this reader does not use)."""
    cut = line.find("//")
    return line if cut < 0 else line[:cut]


def prisma_models(source: Source) -> list[CodeModel]:
    models: list[CodeModel] = []
    current: CodeModel | None = None
    enums: set[str] = set(re.findall(r"(?m)^\s*enum\s+(\w+)", source.text))
    for number, raw in enumerate(source.text.split("\n"), start=1):
        line = strip_prisma_comment(raw)
        if current is None:
            m = _MODEL.match(line)
            if m:
                current = CodeModel(m[1], m[1], "prisma", source.path, number, m.start(1))
                current.accessor = lower_camel(m[1])
                models.append(current)
            continue
        if line.strip().startswith("}"):
            current = None
            continue
        if (table := _TABLE_MAP.search(line)) is not None:
            current.table = table[1]
            continue
        m = _FIELD.match(line)
        if m is None or line.strip().startswith("@@"):
            continue
        attr, kind = m[1], m[2]
        if kind in _SCALARS or kind in enums:
            mapped = _MAP.search(line)
            current.fields[attr] = mapped[1] if mapped else attr
            current.field_pos[attr] = (source.path, number, m.start(1))
        else:
            current.relations[attr] = kind
    return models


def prisma_schema_references(source: Source, index: JsIndex) -> list[Reference]:
    """Fields, `@@index([...])` lists and model lines of schema.prisma."""
    refs: list[Reference] = []
    for model in index.wanted.models:
        if model.kind != "prisma" or model.path != source.path:
            continue
        for target in index.wanted.tables(model):
            offset = source.offset(model.line, model.col)
            refs.append(source.reference(offset, Match.MODEL, CERTAIN, target))
        for attr, (_, line, col) in model.field_pos.items():
            for target in index.wanted.attr(model, attr):
                refs.append(
                    source.reference(source.offset(line, col), Match.FIELD, CERTAIN, target)
                )
        refs.extend(_prisma_lists(source, model, index.wanted))
    return refs


def _prisma_lists(source: Source, model: CodeModel, wanted: Wanted) -> list[Reference]:
    refs: list[Reference] = []
    lines = source.text.split("\n")
    depth = 0
    for number in range(model.line, len(lines) + 1):
        line = strip_prisma_comment(lines[number - 1])
        depth += line.count("{") - line.count("}")
        # `@@index([total])`, `@@unique([a, total])`, `@relation(fields: [customerId], ...)`
        lists = _LIST.finditer(line) if line.strip().startswith("@@") else _FIELDS.finditer(line)
        for found in lists:
            for attr in model.fields:
                for at in word_offsets(found[1], attr):
                    for target in wanted.attr(model, attr):
                        offset = source.offset(number, found.start(1) + at)
                        refs.append(source.reference(offset, Match.FIELD, CERTAIN, target))
        if depth <= 0 and number > model.line:
            break
    return refs
