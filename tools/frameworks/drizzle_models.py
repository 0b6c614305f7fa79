"""Keeping a Drizzle schema file (`drizzle.config`'s `schema:`) in step with a migration.

Drizzle apps read their tables through `pgTable` / `sqliteTable` / `mysqlTable` definitions in
a TypeScript file, and `drizzle-kit` diffs that file against the database (`push`) or its last
snapshot (`generate`). A migration written without the matching edit leaves the two
disagreeing. The edits are made on token positions of the file (`jsconfig.JsModule`), never by
patterns over the text; everything else stays byte for byte.

Covered: CreateTable (a new `export const` at the end, with indexes, uniques, checks and named
foreign keys in the extra-config callback), DropTable, AddColumn, DropColumn, RenameColumn (the
property keeps its name, the column name string changes, so code using it does not),
RenameTable (the table name string), CreateIndex and DropIndex. The rest (altered columns,
constraints added to existing tables) is listed in the plan's notes for a person to carry over.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import ops as o
from ..repo import RepoFacts
from ..schema import Schema
from .base import FrameworkConfig
from .drizzle_columns import TABLE_FN, Needs, builder
from .drizzle_newtable import camel, chain, index_code, new_table, with_callback
from .jsconfig import JsModule
from .jslex import JsSyntaxError
from .jsstyle import JsStyle, quote, style_for
from .render import File, MigrationPlan

_TABLE_FNS = set(TABLE_FN.values())


@dataclass
class _Entry:
    key: str
    column: str
    start: int  # token index of the key
    end: int  # token index of the `,` after the value, or of the closing `}`


@dataclass
class _TableDef:
    const: str
    name: str
    name_tok: int
    obj: tuple[int, int]  # token indexes of the columns object's braces
    extras: tuple[int, int] | None  # the callback's returned `[` ... `]`, when it has one
    call_end: int  # token index of the call's `)`
    statement: tuple[int, int]  # character span of the whole `export const ... ;` statement
    entries: list[_Entry]
    items: list[tuple[str | None, str]] | None = None  # the callback's items once edited


@dataclass
class _File:
    path: str
    module: JsModule
    tables: dict[str, _TableDef]
    edits: list[tuple[int, int, str]] = field(default_factory=list)
    needs: Needs = field(default_factory=Needs)
    appended: list[str] = field(default_factory=list)
    callbacks: dict[str, list[tuple[str | None, str]]] = field(default_factory=dict)


def schema_files(repo: RepoFacts, config: FrameworkConfig) -> list[str]:
    """The schema file(s) `drizzle.config` names (a file, a folder or a glob's folder)."""
    raw = config.settings.get("schema", "").strip("\"'[] ")
    if not raw:
        return []
    path = posixpath.normpath(posixpath.join(config.root, raw))
    if path in repo.files:
        return [path]
    folder = path.split("*", 1)[0].rstrip("/") if "*" in path else path
    return sorted(
        p
        for p in repo.under(folder)
        if p.endswith((".ts", ".js", ".mts")) and "node_modules/" not in p
    )


def _read(repo: RepoFacts, path: str) -> _File | None:
    try:
        return _parse(path, repo.read(path))
    except JsSyntaxError:
        return None


def _parse(path: str, source: str) -> _File:
    mod = JsModule(source)
    tables = {}
    for k, tok in enumerate(mod.tokens):
        if tok.kind != "name" or tok.text not in _TABLE_FNS or mod.depth[k]:
            continue
        if not (mod.is_at(k + 1, "(") and mod.tokens[k + 2].kind == "string"):
            continue
        if not (mod.is_at(k - 1, "=") and mod.is_at(k + 3, ",") and mod.is_at(k + 4, "{")):
            continue
        close = mod.match[k + 1]
        obj = (k + 4, mod.match[k + 4])
        extras = None
        if mod.is_at(obj[1] + 1, ",") and not mod.is_at(obj[1] + 2, ")"):
            arrow = mod.skip_to(obj[1] + 2, {"=>"}, mod.depth[obj[1]])
            if mod.is_at(arrow + 1, "["):
                extras = (arrow + 1, mod.match[arrow + 1])
        first = k - 2 - (mod.text_at(k - 3) == "const") - (mod.text_at(k - 4) == "export")
        last = close + 1 if mod.is_at(close + 1, ";") else close
        table = _TableDef(
            const=mod.text_at(k - 2),
            name=mod.tokens[k + 2].text,
            name_tok=k + 2,
            obj=obj,
            extras=extras,
            call_end=close,
            statement=(mod.tokens[first].start, mod.tokens[last].end),
            entries=_entries(mod, obj),
        )
        tables[table.name] = table
    return _File(path, mod, tables)


def _entries(mod: JsModule, obj: tuple[int, int]) -> list[_Entry]:
    inner = mod.depth[obj[0]] + 1
    out = []
    k = obj[0] + 1
    while k < obj[1]:
        if mod.depth[k] == inner and mod.is_at(k + 1, ":"):
            key = mod.tokens[k].text
            stop = min(mod.skip_to(k + 2, {","}, inner), obj[1])
            column = key
            if mod.is_at(k + 3, "(") and mod.tokens[k + 4].kind == "string":
                column = mod.tokens[k + 4].text
            out.append(_Entry(key, column, k, stop))
            k = stop
        k += 1
    return out


# ---------------------------------------------------------------------------------------------
# Edits, one function per operation class
# ---------------------------------------------------------------------------------------------


@dataclass
class _Context:
    files: list[_File]
    dialect: str
    style: JsStyle

    def table(self, name: str) -> tuple[_File, _TableDef] | None:
        for f in self.files:
            if name in f.tables:
                return f, f.tables[name]
        return None

    def refs(self) -> dict[tuple[str, str], str]:
        return {
            (t.name, e.column): f"{t.const}.{e.key}"
            for f in self.files
            for t in f.tables.values()
            for e in t.entries
        }


_Edit = Callable[[_Context, Any, Schema], "str | None"]


def _line_span(mod: JsModule, first: int, last: int) -> tuple[int, int]:
    """Characters from the start of `first`'s line to the end of `last`'s line."""
    source = mod.source
    start = source.rfind("\n", 0, mod.tokens[first].start)
    end = mod.tokens[last].end
    return start, end


def _add_column(ctx: _Context, op: o.AddColumn, after: Schema) -> str | None:
    found = ctx.table(op.table)
    if found is None:
        return f"no drizzle table for {op.table}: add {op.column.name} to the schema file"
    f, t = found
    table = after.table(op.table)
    parts = builder(op.column, table, after, ctx.dialect, ctx.refs(), ctx.style, f.needs)
    indent = _entry_indent(f, t)
    text = chain(f"{camel(op.column.name)}: ", parts, indent, ctx.style)
    mod = f.module
    last = t.entries[-1] if t.entries else None
    if last is None:
        at = mod.tokens[t.obj[0]].end
        f.edits.append((at, at, f"\n{indent}{text},"))
    elif mod.is_at(last.end, ","):
        at = mod.tokens[last.end].end
        f.edits.append((at, at, f"\n{indent}{text},"))
    else:
        at = mod.tokens[last.end - 1].end
        f.edits.append((at, at, f",\n{indent}{text}"))
    return None


def _drop_column(ctx: _Context, op: o.DropColumn, after: Schema) -> str | None:
    found = ctx.table(op.table)
    entry = _entry(found, op.column)
    if found is None or entry is None:
        return f"no drizzle column for {op.table}.{op.column}: nothing removed"
    f, _ = found
    last = entry.end if f.module.is_at(entry.end, ",") else entry.end - 1
    f.edits.append((*_line_span(f.module, entry.start, last), ""))
    return None


def _rename_column(ctx: _Context, op: o.RenameColumn, after: Schema) -> str | None:
    found = ctx.table(op.table)
    entry = _entry(found, op.old)
    if found is None or entry is None:
        return f"no drizzle column for {op.table}.{op.old}: rename it by hand"
    f, _ = found
    mod = f.module
    if entry.key == entry.column and mod.tokens[entry.start + 4].kind != "string":
        return f"{f.path}: {entry.key} takes its name from the key; rename it by hand"
    tok = mod.tokens[entry.start + 4]
    f.edits.append((tok.start, tok.end, quote(op.new, ctx.style)))
    return None


def _rename_table(ctx: _Context, op: o.RenameTable, after: Schema) -> str | None:
    found = ctx.table(op.old)
    if found is None:
        return f"no drizzle table for {op.old}: rename it by hand"
    f, t = found
    tok = f.module.tokens[t.name_tok]
    f.edits.append((tok.start, tok.end, quote(op.new, ctx.style)))
    mod = f.module
    named_by_table = [
        mod.text_at(k)
        for k in range(t.obj[0], t.call_end)
        if mod.text_at(k) in ("references", "primaryKey", "unique") and mod.is_at(k + 1, "(")
    ]
    if named_by_table:
        return (
            f"{f.path}: drizzle names {op.new}'s keys after the table; the database keeps the "
            f"names from {op.old}: pin them (`foreignKey({{ name }})`, `primaryKey({{ name }})`) "
            "or `drizzle-kit push` proposes renaming them"
        )
    return None


def _drop_table(ctx: _Context, op: o.DropTable, after: Schema) -> str | None:
    found = ctx.table(op.name)
    if found is None:
        return None
    f, t = found
    start = f.module.source.rfind("\n\n", 0, t.statement[0])
    f.edits.append((start if start >= 0 else t.statement[0], t.statement[1], ""))
    return None


def _items(f: _File, t: _TableDef) -> list[tuple[str | None, str]]:
    """The extra-config callback's items as (name, code), kept to be printed again once the
    edits are in (`callback_text`): an added item can turn a one-line array into several."""
    if t.const not in f.callbacks:
        mod, items = f.module, []
        if t.extras is not None:
            opening, closing = t.extras
            inner = mod.depth[opening] + 1
            k = opening + 1
            while k < closing:
                stop = min(mod.skip_to(k, {","}, inner), closing)
                if stop > k:
                    strings = [
                        mod.tokens[m] for m in range(k, stop) if mod.tokens[m].kind == "string"
                    ]
                    code = mod.source[mod.tokens[k].start : mod.tokens[stop - 1].end]
                    items.append((strings[0].text if strings else None, code))
                k = stop + 1
        f.callbacks[t.const] = items
    return f.callbacks[t.const]


def _create_index(ctx: _Context, op: o.CreateIndex, after: Schema) -> str | None:
    found = ctx.table(op.table)
    if found is None:
        return f"no drizzle table for {op.table}: add index {op.index.name} by hand"
    f, t = found
    if t.extras is None and not (t.obj[1] + 1 == t.call_end or mod_ends(f, t)):
        return f"{f.path}: {op.table} has an extra-config callback migwright cannot read"
    props = {e.column: e.key for e in t.entries}
    _items(f, t).append((op.index.name, index_code(op.index, props, ctx.style, f.needs)))
    return None


def mod_ends(f: _File, t: _TableDef) -> bool:
    """Whether the columns object is the call's last argument (a trailing comma allowed)."""
    return f.module.is_at(t.obj[1] + 1, ",") and t.obj[1] + 2 == t.call_end


def _drop_index(ctx: _Context, op: o.DropIndex, after: Schema) -> str | None:
    found = ctx.table(op.table)
    if found is not None:
        items = _items(*found)
        for item in items:
            if item[0] == op.name:
                items.remove(item)
                return None
    return f"no drizzle index {op.name} on {op.table}: nothing removed"


#: Operation class -> its schema-file edit; anything else becomes a note.
EDITS: dict[type[o.Operation], _Edit] = {
    o.AddColumn: _add_column,
    o.DropColumn: _drop_column,
    o.RenameColumn: _rename_column,
    o.RenameTable: _rename_table,
    o.DropTable: _drop_table,
    o.CreateIndex: _create_index,
    o.DropIndex: _drop_index,
}


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def update_models(repo: RepoFacts, config: FrameworkConfig, plan: MigrationPlan) -> list[File]:
    """The schema file(s) after the plan's operations, as `File(kind="model", existing=True)`."""
    return list(update_schema(repo, config, plan)[0])


def update_schema(
    repo: RepoFacts, config: FrameworkConfig, plan: MigrationPlan
) -> tuple[list[File], list[str]]:
    """The changed schema files and the notes of what a person must carry over by hand."""
    paths = schema_files(repo, config)
    files = [f for f in (_read(repo, p) for p in paths) if f is not None]
    if not files:
        return [], []
    dialect = plan.dialect if plan.dialect in TABLE_FN else "postgresql"
    ctx = _Context(files, dialect, style_for(repo, paths[:1], config.root))
    notes: list[str] = []
    state = plan.before
    created = {op.table.name for op in plan.operations if isinstance(op, o.CreateTable)}
    for op in plan.operations:
        after = op.apply(state)
        if isinstance(op, o.RenameTable) and op.old in created:
            created = (created - {op.old}) | {op.new}
        edit = EDITS.get(type(op))
        note = None
        if op.tables and set(op.tables) <= created:
            pass  # written whole from the final schema below
        elif edit is not None:
            note = edit(ctx, op, after)
        elif not isinstance(op, o.CreateTable) and any(ctx.table(t) for t in op.tables):
            note = f"schema file not updated for: {op.describe().strip()}"
        if note:
            notes.append(note)
        state = after
    target = files[-1]
    for name in sorted(created):
        if plan.after.has_table(name):
            table = plan.after.table(name)
            code = new_table(table, plan.after, dialect, ctx.refs(), ctx.style, target.needs)
            target.appended.append(code)
    out = [
        File(f.path, _apply(f, ctx.style), kind="model", existing=True)
        for f in files
        if f.edits or f.appended
    ]
    return out, notes


def _apply(f: _File, style: JsStyle) -> str:
    text = f.module.source
    ordered = sorted(enumerate(f.edits), key=lambda e: (e[1][0], e[1][1], e[0]), reverse=True)
    for _, (start, end, replacement) in ordered:
        text = text[:start] + replacement + text[end:]
    if f.appended:
        text = text.rstrip("\n") + "\n\n" + "\n\n".join(f.appended) + "\n"
    fn = {t.const: mod_fn(f, t) for t in f.tables.values()}
    for const, items in f.callbacks.items():  # printed again on the edited text
        text = with_callback(text, fn[const], const, [code for _, code in items], style)
    return _imports(text, f, style)


def mod_fn(f: _File, t: _TableDef) -> str:
    """The table function's name as the file calls it (`pgTable`)."""
    return f.module.text_at(t.name_tok - 2)


def _imports(text: str, f: _File, style: JsStyle) -> str:
    """Add what the new code uses to the core-module import (and `sql` from drizzle-orm), and
    drop the builders the edits left unused (a dropped column was the last `boolean`)."""
    mod = JsModule(text)
    used_before = _uses(f.module)
    used_now = _uses(mod)
    core_spec = None
    for k, tok in enumerate(mod.tokens):
        if (
            tok.kind == "string"
            and tok.text.startswith("drizzle-orm/")
            and tok.text.endswith("-core")
        ):
            core_spec = k
    wanted = set(f.needs.core)
    edits: list[tuple[int, int, str]] = []
    if core_spec is not None:
        brace_close = core_spec - 2
        if mod.is_at(brace_close, "}"):
            opening = next(o for o, c in mod.match.items() if c == brace_close)
            have = [
                mod.tokens[m].text
                for m in range(opening + 1, brace_close)
                if mod.tokens[m].kind == "name"
            ]
            missing = sorted(wanted - set(have))
            dead = {n for n in have if used_before.get(n) and not used_now.get(n)}
            if missing or dead:
                names = (
                    sorted(set(have) | set(missing), key=str.lower)
                    if have == sorted(have, key=str.lower)
                    else have + missing
                )
                names = [n for n in names if n not in dead]
                edits.append(
                    (
                        mod.tokens[opening].start,
                        mod.tokens[brace_close].end,
                        _braces(names, style, mod.tokens[core_spec].text),
                    )
                )
    if f.needs.sql and "sql" not in _imported(mod, "drizzle-orm"):
        line = f"import {{ sql }} from {quote('drizzle-orm', style)}{style.end}\n"
        edits.append((0, 0, line))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _uses(mod: JsModule) -> dict[str, int]:
    """How often each name is used outside import statements."""
    counts: dict[str, int] = {}
    k = 0
    while k < len(mod.tokens):
        tok = mod.tokens[k]
        if tok.kind == "name" and tok.text == "import" and mod.depth[k] == 0:
            k = mod.skip_to(k, {"from"}, 0) + 2
            continue
        if tok.kind == "name":
            counts[tok.text] = counts.get(tok.text, 0) + 1
        k += 1
    return counts


def _braces(names: list[str], style: JsStyle, spec: str) -> str:
    flat = "{ " + ", ".join(names) + " }"
    if len(f"import {flat} from {quote(spec, style)}{style.end}") <= style.width:
        return flat
    comma = "," if style.trailing_comma else ""
    return "{\n" + ",\n".join(f"{style.indent}{n}" for n in names) + comma + "\n}"


def _imported(mod: JsModule, spec: str) -> set[str]:
    from .jssource import imports

    return {name for name, where in imports(mod).items() if where == spec}


def _entry(found: tuple[_File, _TableDef] | None, column: str) -> _Entry | None:
    if found is None:
        return None
    return next((e for e in found[1].entries if e.column == column), None)


def _entry_indent(f: _File, t: _TableDef) -> str:
    source = f.module.source
    if t.entries:
        at = f.module.tokens[t.entries[0].start].start
        return source[source.rfind("\n", 0, at) + 1 : at]
    return "  "
