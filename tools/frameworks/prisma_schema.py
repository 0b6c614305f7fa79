"""schema.prisma as lines: blocks, fields, attributes, and `prisma format`'s layout.

The Prisma schema is the source of truth of a Prisma project, so a migration is only done when
the schema says the same. Edits (see `prisma_models.py`) work on the file's lines: a model
block is found by its `@@map` (or name), a column's field by its `@map` (or name), and only
those lines change; comments and everything else stay. After an edit the block is laid out as
`prisma format` lays it out (checked against Prisma's own formatter, the prisma-schema-wasm
build, in the tests): fields aligned in name / type / attribute columns within groups of lines
separated by blank lines, block attributes after a blank line, one blank line between blocks.

Types map between canonical SQL types and Prisma's scalar types plus native `@db.X`
attributes per provider (postgresql, mysql, sqlite), the way `prisma db pull` would write them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot import exp

from ..dialects.base import identity_of, is_now, parse_default
from ..schema import Column, Schema, canonical_type
from .jsproject import pascal, words

_BLOCK = re.compile(r"^\s*(model|enum|view|type|datasource|generator)\s+(\w+)\s*\{")
_FIELD = re.compile(r"^\s*(\w+)\s+(\w+|Unsupported\(\"[^\"]*\"\))(\[\])?(\?)?(?:\s+(.*?))?\s*$")
_MAP = re.compile(r'@map\(\s*(?:name:\s*)?"([^"]+)"')
_BLOCK_MAP = re.compile(r'^\s*@@map\(\s*(?:name:\s*)?"([^"]+)"')


@dataclass
class Field:
    """One field line: `name Type[]? @attr(...) @attr2 // comment`."""

    name: str
    type: str
    is_list: bool = False
    optional: bool = False
    attrs: list[str] = field(default_factory=list)
    comment: str = ""

    @property
    def type_expr(self) -> str:
        return self.type + ("[]" if self.is_list else "") + ("?" if self.optional else "")

    def attr(self, name: str) -> str | None:
        return next((a for a in self.attrs if a == name or a.startswith(name + "(")), None)

    def without(self, *names: str) -> list[str]:
        return [a for a in self.attrs if not any(a == n or a.startswith(n + "(") for n in names)]

    @property
    def column(self) -> str:
        m = _MAP.search(" ".join(self.attrs))
        return m[1] if m else self.name


def split_attrs(text: str) -> list[str]:
    """`@id @default(now()) @db.VarChar(20)` -> its attributes, brackets and strings respected."""
    out: list[str] = []
    depth, quoted, start = 0, False, None
    for i, ch in enumerate(text):
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        if quoted:
            continue
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "@" and depth == 0 and (i == 0 or text[i - 1].isspace()):
            if start is not None:
                out.append(text[start:i].strip())
            start = i
    if start is not None:
        out.append(text[start:].strip())
    return [a for a in out if a]


def parse_field(line: str) -> Field | None:
    stripped = line.strip()
    if not stripped or stripped.startswith(("//", "@@", "}")):
        return None
    comment = ""
    code = stripped
    quoted = False
    for i, ch in enumerate(stripped):
        if ch == '"':
            quoted = not quoted
        elif not quoted and stripped.startswith("//", i):
            code, comment = stripped[:i].rstrip(), stripped[i:]
            break
    m = _FIELD.match(code)
    if not m:
        return None
    return Field(m[1], m[2], bool(m[3]), bool(m[4]), split_attrs(m[5] or ""), comment)


@dataclass
class Block:
    kind: str
    name: str
    start: int  #: line index of `model X {`
    end: int  #: line index of the closing `}`


class PrismaFile:
    """A schema file's lines with lookups by table and column; edits keep blocks current."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def blocks(self) -> list[Block]:
        found: list[Block] = []
        i = 0
        while i < len(self.lines):
            m = _BLOCK.match(self.lines[i])
            if m:
                end = next(
                    (j for j in range(i + 1, len(self.lines)) if self.lines[j].strip() == "}"),
                    len(self.lines) - 1,
                )
                found.append(Block(m[1], m[2], i, end))
                i = end
            i += 1
        return found

    def provider(self) -> str:
        for block in self.blocks():
            if block.kind == "datasource":
                for line in self.lines[block.start + 1 : block.end]:
                    m = re.match(r'^\s*provider\s*=\s*"(\w+)"', line)
                    if m:
                        return m[1]
        return "postgresql"

    def table_of(self, block: Block) -> str:
        for line in self.lines[block.start + 1 : block.end]:
            m = _BLOCK_MAP.match(line)
            if m:
                return m[1]
        return block.name

    def model(self, table: str) -> Block | None:
        return next(
            (b for b in self.blocks() if b.kind == "model" and self.table_of(b) == table), None
        )

    def enum(self, name: str) -> Block | None:
        return next(
            (b for b in self.blocks() if b.kind == "enum" and b.name.lower() == name.lower()),
            None,
        )

    def model_names(self) -> dict[str, Block]:
        return {b.name: b for b in self.blocks() if b.kind == "model"}

    def fields(self, block: Block) -> list[tuple[int, Field]]:
        out = []
        for i in range(block.start + 1, block.end):
            f = parse_field(self.lines[i])
            if f is not None:
                out.append((i, f))
        return out

    def scalar(self, block: Block, column: str) -> tuple[int, Field] | None:
        models = self.model_names()
        return next(
            ((i, f) for i, f in self.fields(block) if f.type not in models and f.column == column),
            None,
        )

    def uses_map(self, block: Block) -> bool:
        """Whether the model names fields in camelCase with @map to snake_case columns."""
        return any(f.attr("@map") for _, f in self.fields(block)) or any(
            "_" not in f.name and f.name != f.name.lower() for _, f in self.fields(block)
        )

    # -- edits -------------------------------------------------------------------------------
    def replace(self, index: int, line: str | None) -> None:
        if line is None:
            del self.lines[index]
        else:
            self.lines[index] = line

    def insert_field(self, block: Block, f: Field) -> None:
        fields = self.fields(block)
        at = fields[-1][0] + 1 if fields else block.start + 1
        self.lines.insert(at, render_field(f))

    def add_block_attr(self, block: Block, text: str) -> None:
        """Add `@@...` to a block; `@@map` stays last, where `prisma format` keeps it."""
        at = block.end
        if not text.startswith("@@map"):
            at = next(
                (
                    i
                    for i in range(block.start + 1, block.end)
                    if self.lines[i].strip().startswith("@@map")
                ),
                block.end,
            )
        self.lines.insert(at, f"  {text}")

    def append_block(self, text: str) -> None:
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()
        self.lines += ["", *text.rstrip("\n").split("\n")]

    def remove_block(self, block: Block) -> None:
        end = block.end + 1
        if end < len(self.lines) and not self.lines[end].strip():
            end += 1
        del self.lines[block.start : end]

    def format(self) -> None:
        """Lay every model and datasource block out as `prisma format` does."""
        for block in reversed(self.blocks()):
            body = self.lines[block.start + 1 : block.end]
            if block.kind in ("model", "view", "type"):
                body = _format_model(body)
            elif block.kind in ("datasource", "generator"):
                body = _format_keys(body)
            else:
                body = [f"  {ln.strip()}" if ln.strip() else "" for ln in body]
            self.lines[block.start + 1 : block.end] = body
        out: list[str] = []
        for line in self.lines:  # one blank line between blocks, none doubled
            if not line.strip() and out and not out[-1].strip():
                continue
            out.append(line.rstrip())
        blocks_at = {b.start for b in PrismaFile("\n".join(out)).blocks()}
        spaced: list[str] = []
        for i, line in enumerate(out):
            if i in blocks_at and spaced and spaced[-1].strip():
                spaced.append("")
            spaced.append(line)
        while spaced and not spaced[-1].strip():
            spaced.pop()
        self.lines = spaced


def render_field(f: Field) -> str:
    parts = [f.name, f.type_expr, *f.attrs]
    text = "  " + " ".join(parts)
    return text + (f" {f.comment}" if f.comment else "")


def _format_model(body: list[str]) -> list[str]:
    fields_part: list[str] = []
    attrs_part: list[str] = []
    for line in body:
        (attrs_part if line.strip().startswith("@@") else fields_part).append(line.strip())
    while fields_part and not fields_part[-1]:
        fields_part.pop()
    while fields_part and not fields_part[0]:
        fields_part.pop(0)
    out: list[str] = []
    group: list[str] = []

    def flush() -> None:
        parsed = [(ln, parse_field(ln)) for ln in group]
        names = max((len(f.name) for _, f in parsed if f), default=0)
        types = max((len(f.type_expr) for _, f in parsed if f), default=0)
        for ln, f in parsed:
            if f is None:
                out.append(f"  {ln}" if ln else "")
                continue
            rest = " ".join(f.attrs) + (f" {f.comment}" if f.comment else "")
            out.append(f"  {f.name.ljust(names)} {f.type_expr.ljust(types)} {rest}".rstrip())
        group.clear()

    for line in fields_part:
        if not line:
            flush()
            out.append("")
        else:
            group.append(line)
    flush()
    if attrs_part:
        if out:
            out.append("")
        ordered = sorted((a for a in attrs_part if a), key=_attr_rank)
        out += [f"  {a}" for a in ordered]
    return out


#: The order `prisma format` puts block attributes in (stable within a kind).
_ATTR_ORDER = ("id", "unique", "index", "fulltext", "map", "schema", "ignore")


def _attr_rank(text: str) -> int:
    kind = re.match(r"@@(\w+)", text)
    name = kind[1] if kind else ""
    return _ATTR_ORDER.index(name) if name in _ATTR_ORDER else len(_ATTR_ORDER)


def _format_keys(body: list[str]) -> list[str]:
    pairs = [re.match(r"^\s*(\w+)\s*=\s*(.*?)\s*$", ln) for ln in body]
    width = max((len(m[1]) for m in pairs if m), default=0)
    return [
        f"  {m[1].ljust(width)} = {m[2]}" if m else (f"  {ln.strip()}" if ln.strip() else "")
        for m, ln in zip(pairs, body, strict=True)
    ]


# ---------------------------------------------------------------------------------------------
# Types and defaults
# ---------------------------------------------------------------------------------------------

_PG = {
    "integer": ("Int", ""),
    "bigint": ("BigInt", ""),
    "smallint": ("Int", "@db.SmallInt"),
    "text": ("String", ""),
    "boolean": ("Boolean", ""),
    "timestamp": ("DateTime", ""),
    "timestamptz": ("DateTime", "@db.Timestamptz"),
    "date": ("DateTime", "@db.Date"),
    "time": ("DateTime", "@db.Time"),
    "double": ("Float", ""),
    "real": ("Float", "@db.Real"),
    "json": ("Json", "@db.Json"),
    "jsonb": ("Json", ""),
    "uuid": ("String", "@db.Uuid"),
    "blob": ("Bytes", ""),
}
_MYSQL = {
    **_PG,
    "text": ("String", "@db.Text"),
    "timestamptz": ("DateTime", ""),
    "date": ("DateTime", "@db.Date"),
    "time": ("DateTime", "@db.Time"),
    "real": ("Float", "@db.Float"),
    "json": ("Json", ""),
    "uuid": ("String", "@db.Char(36)"),
}
_SQLITE = {k: (v[0], "") for k, v in _PG.items()} | {"json": ("String", ""), "uuid": ("String", "")}
TYPES = {"postgresql": _PG, "mysql": _MYSQL, "sqlite": _SQLITE}


def prisma_type(
    column: Column, provider: str, schema: Schema, enums: dict[str, str]
) -> tuple[str, str]:
    """(Prisma type, native type attribute or "") for a column on `provider`."""
    kind = canonical_type(column.type)
    if kind in enums:
        return enums[kind], ""
    table = TYPES.get(provider, _PG)
    if kind in table:
        return table[kind]
    base, _, rest = kind.partition("(")
    args = rest.rstrip(")").replace(",", ", ")
    if base == "varchar":
        if provider == "sqlite" or (provider == "mysql" and args == "191"):
            return "String", ""
        return "String", f"@db.VarChar({args})"
    if base == "char":
        return "String", "" if provider == "sqlite" else f"@db.Char({args})"
    if base == "numeric":
        return "Decimal", "" if provider == "sqlite" else f"@db.Decimal({args})"
    return f'Unsupported("{column.type}")', ""


def prisma_default(column: Column, enum: bool) -> str | None:
    """`@default(...)` for a column (identity is `autoincrement()`), None for no default."""
    if identity_of(column):
        return "@default(autoincrement())"
    if column.default is None:
        return None
    tree = parse_default(column.default)
    if tree is None:
        return f'@default(dbgenerated("{_escape(column.default)}"))'
    if is_now(tree):
        return "@default(now())"
    while isinstance(tree, exp.Paren):
        tree = tree.this
    if isinstance(tree, exp.Boolean):
        return f"@default({'true' if tree.this else 'false'})"
    if isinstance(tree, exp.Literal):
        if tree.is_string:
            return f"@default({tree.this})" if enum else f'@default("{_escape(tree.this)}")'
        return f"@default({tree.this})"
    if isinstance(tree, exp.Neg) and isinstance(tree.this, exp.Literal):
        return f"@default(-{tree.this.this})"
    return f'@default(dbgenerated("{_escape(column.default)}"))'


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def field_name(column: str, camel: bool) -> str:
    if not camel:
        return column
    parts = words(column)
    return parts[0] + "".join(p.capitalize() for p in parts[1:]) if parts else column


def model_name(table: str, taken: set[str]) -> str:
    """`order_items` -> `OrderItem`, unique among `taken`."""
    singular = table[:-3] + "y" if table.endswith("ies") else table
    if singular == table and table.endswith("s") and not table.endswith("ss"):
        singular = table[:-1]
    name = pascal(singular)
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}{n}", n + 1
    return candidate


def default_name(table: str, columns: tuple[str, ...], suffix: str) -> str:
    """Prisma's default constraint name: `{table}_{columns}_{suffix}` (idx, key, fkey, pkey)."""
    return "_".join([table, *columns, suffix])[:63]
