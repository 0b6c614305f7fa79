"""Checks that a schema.prisma says what the database holds, written apart from the editor.

Prisma's CLI cannot run here (it downloads engines), but its schema formatter and validator
ship as WebAssembly (`@prisma/prisma-schema-wasm`, in tests/js): `format` and `validate` run
through node. What the schema *means* is read by a small reader of its own (field lines,
`@map`, `@db.*`, `@@index`, `@relation`) into a projection that is compared with the same
projection of the introspected database: columns with canonical types and nullability, the
indexes Prisma can express (by name), and foreign keys.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from migwright.tools.frameworks.node import HARNESS
from migwright.tools.frameworks.prisma_schema import PrismaFile, default_name, parse_field
from migwright.tools.schema import Schema, canonical_type, is_identifier

WASM = HARNESS / "@prisma" / "prisma-schema-wasm"

_SCRIPT = r"""
const wasm = require('@prisma/prisma-schema-wasm');
const schema = require('fs').readFileSync(process.argv[1], 'utf8');
const params = { textDocument: { uri: 'file:/schema.prisma' }, options: { tabSize: 2, insertSpaces: true } };
const formatted = JSON.parse(wasm.format(JSON.stringify([['schema.prisma', schema]]), JSON.stringify(params)))[0][1];
let error = null;
try { wasm.validate(JSON.stringify({ prismaSchema: schema, noColor: true })); } catch (e) { error = String(e.message || e); }
console.log(JSON.stringify({ formatted, error }));
"""


def wasm_available() -> bool:
    return (WASM / "package.json").is_file()


def format_and_validate(path: Path) -> tuple[str, str | None]:
    """(what `prisma format` prints, the validation error or None)."""
    proc = subprocess.run(
        ["node", "-e", _SCRIPT, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"NODE_PATH": str(HARNESS), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    return out["formatted"], out["error"]


_NATIVE = re.compile(r"^@db\.(\w+)(?:\(([^)]*)\))?$")
_PG_SCALARS = {
    "Int": "integer",
    "BigInt": "bigint",
    "String": "text",
    "Boolean": "boolean",
    "DateTime": "timestamp",
    "Float": "double",
    "Decimal": "numeric(65,30)",
    "Json": "jsonb",
    "Bytes": "blob",
}
_PG_NATIVE = {
    "SmallInt": "smallint",
    "Uuid": "uuid",
    "Timestamptz": "timestamptz",
    "Timestamp": "timestamp",
    "Date": "date",
    "Time": "time",
    "Real": "real",
    "Json": "json",
    "Text": "text",
}

Projection = dict[str, dict[str, object]]


def _type(scalar: str, attrs: list[str], enums: set[str]) -> str:
    if scalar in enums:
        return scalar.lower()
    for attr in attrs:
        m = _NATIVE.match(attr)
        if m:
            name, args = m[1], (m[2] or "").replace(" ", "")
            if name in ("VarChar", "Char"):
                return canonical_type(f"{name.lower()}({args})")
            if name == "Decimal":
                return canonical_type(f"numeric({args})")
            return _PG_NATIVE.get(name, name.lower())
    return _PG_SCALARS.get(scalar, scalar)


def read_schema(text: str) -> Projection:
    """tables -> columns {name: (type, nullable)}, indexes {name: (cols, unique)}, fks."""
    pf = PrismaFile(text)
    blocks = pf.blocks()
    enums = {b.name for b in blocks if b.kind == "enum"}
    models = {b.name: b for b in blocks if b.kind == "model"}
    tables = {name: pf.table_of(b) for name, b in models.items()}
    out: Projection = {}
    for name, block in models.items():
        table = tables[name]
        columns: dict[str, tuple[str, bool]] = {}
        by_field: dict[str, str] = {}
        indexes: dict[str, tuple[tuple[str, ...], bool]] = {}
        fks: set[tuple[tuple[str, ...], str, tuple[str, ...]]] = set()
        relations = []
        for line in pf.lines[block.start + 1 : block.end]:
            f = parse_field(line)
            if f is None:
                continue
            if f.type in models:
                if f.attr("@relation") and "fields:" in (f.attr("@relation") or ""):
                    relations.append(f)
                continue
            by_field[f.name] = f.column
            columns[f.column] = (_type(f.type, f.attrs, enums), f.optional)
            unique = f.attr("@unique")
            if unique:
                m = re.search(r'map:\s*"([^"]+)"', unique)
                indexes[m[1] if m else default_name(table, (f.column,), "key")] = (
                    (f.column,),
                    True,
                )
        for line in pf.lines[block.start + 1 : block.end]:
            m = re.match(r"^\s*@@(index|unique)\(\[([^\]]*)\](.*)\)\s*$", line)
            if not m:
                continue
            cols = tuple(by_field.get(x.strip(), x.strip()) for x in m[2].split(",") if x.strip())
            named = re.search(r'map:\s*"([^"]+)"', m[3])
            unique = m[1] == "unique"
            name_ = named[1] if named else default_name(table, cols, "key" if unique else "idx")
            indexes[name_] = (cols, unique)
        for f in relations:
            rel = f.attr("@relation") or ""
            here = re.search(r"fields:\s*\[([^\]]*)\]", rel)
            there = re.search(r"references:\s*\[([^\]]*)\]", rel)
            assert here and there, rel
            target = models[f.type]
            target_fields = {g.name: g.column for _, g in pf.fields(target)}
            fks.add(
                (
                    tuple(by_field[x.strip()] for x in here[1].split(",")),
                    tables[f.type],
                    tuple(target_fields[x.strip()] for x in there[1].split(",")),
                )
            )
        out[table] = {"columns": columns, "indexes": indexes, "fks": fks}
    return out


def read_database(schema: Schema, tables: set[str]) -> Projection:
    """The same projection of an introspected schema, for the tables the models map."""
    out: Projection = {}
    for t in schema.tables:
        if t.name not in tables:
            continue
        columns = {
            c.name: (canonical_type(c.type), c.nullable and c.name not in t.primary_key)
            for c in t.columns
        }
        indexes = {
            i.name: (tuple(i.columns), i.unique)
            for i in t.indexes
            if not i.where and all(is_identifier(c) for c in i.columns)
        }
        indexes.update({u.name: (tuple(u.columns), True) for u in t.uniques if u.name})
        fks = {(tuple(f.columns), f.ref_table, tuple(f.ref_columns)) for f in t.foreign_keys}
        out[t.name] = {"columns": columns, "indexes": indexes, "fks": fks}
    return out
