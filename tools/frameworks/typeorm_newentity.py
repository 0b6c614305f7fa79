"""A new TypeORM entity class for a table a migration creates, and its place in the data source.

TypeORM reads tables through `@Entity` classes, so a created table needs one before the app can
use it; `typeorm schema:log` (the schema builder's diff of entities against the database) is
the judge, and reports nothing for a class written here. The class says what the migration
created, with the names the migration gave, because TypeORM compares constraints by name:
`@PrimaryGeneratedColumn` / `@PrimaryColumn`, `@Column` with type, length, nullable and
default, class-level `@Index`, `@Unique` and `@Check`, and `@ManyToOne` + `@JoinColumn` with
`foreignKeyConstraintName` for each single-column foreign key onto a table that has an entity.
A foreign key onto a table without one stays a plain column with a comment: TypeORM only knows
foreign keys through relations.

The file goes where the repo keeps its entities (beside them, named as they are: `Deal.ts` or
`deal.entity.ts`) and is formatted in the repo's style (its prettier config, else what its
files show). When the data source lists its entity classes (`entities: [User, Deal]`), the new
class is imported and added there too; a glob (`entities: ["src/entity/*.ts"]`) needs nothing.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..dialects.base import identity_of
from ..repo import RepoFacts
from ..schema import Column, ForeignKey, Schema, Table, canonical_type
from .base import FrameworkConfig
from .jsconfig import JsModule
from .jsproject import pascal
from .jsstyle import JsStyle, quote, style_for
from .render import File, MigrationPlan
from .sequelize_newmodel import _singular as singular
from .typeorm import glob_dir
from .typeorm_columns import column_options, js_string, ts_type

_ON_DELETE = {"cascade", "set null", "restrict", "no action", "set default"}


@dataclass(frozen=True)
class KnownEntity:
    """An entity class that exists (or is being written): where it lives and its key."""

    path: str
    class_name: str


def new_entity_files(
    repo: RepoFacts,
    config: FrameworkConfig,
    classes: dict[str, tuple[str, str]],
    tables: list[str],
    plan: MigrationPlan,
    notes: list[str],
) -> list[File]:
    """Entity files for the tables the plan creates, and the data source listing them.

    `classes` maps the tables that have an entity to its (path, class name). A file of the
    new class's name that exists already is never replaced: a note says so instead.
    """
    if not tables:
        return []
    known = {t: KnownEntity(*where) for t, where in classes.items() if plan.after.has_table(t)}
    paths = [path for path, _ in classes.values()]
    added: dict[str, KnownEntity] = {}
    for table in tables:
        cls = class_name_for(table)
        path = entity_path(repo, config, paths, cls)
        if path in repo.files:
            notes.append(f"{path} exists already: write the entity for {table} by hand")
            continue
        known[table] = added[table] = KnownEntity(path, cls)
    source = config.settings.get("datasource", "")
    style = style_for(repo, paths[:3] or [source])  # the data source, when no entity exists
    files = [
        File(
            entity.path,
            new_entity(plan.after.table(t), plan.after, plan.dialect, entity.path, known, style),
            kind="model",
        )
        for t, entity in added.items()
    ]
    listed = register(repo, source, list(added.values()))
    return files + ([listed] if listed else [])


def class_name_for(table: str) -> str:
    """`order_items` -> `OrderItem`, TypeORM's own examples' naming of entity classes."""
    return pascal(singular(table).replace("_", " "))


def entity_path(repo: RepoFacts, config: FrameworkConfig, known: Iterable[str], cls: str) -> str:
    """Where the new class goes: beside the repo's entities, named like them."""
    paths = sorted(known)
    if paths:
        folders = [posixpath.dirname(p) for p in paths]
        folder = max(set(folders), key=folders.count)
        if sum(p.endswith(".entity.ts") for p in paths) * 2 > len(paths):
            kebab = "".join(f"-{c.lower()}" if c.isupper() else c for c in cls).lstrip("-")
            return posixpath.join(folder, f"{kebab}.entity.ts")
        return posixpath.join(folder, f"{cls}.ts")
    pattern = config.settings.get("entities", "")
    if "*" in pattern and not pattern.startswith("["):
        folder = glob_dir(pattern.strip("\"'"))
        return posixpath.join(folder, f"{cls}.ts")
    return posixpath.normpath(posixpath.join(config.root, "src", "entity", f"{cls}.ts"))


def new_entity(
    table: Table,
    schema: Schema,
    dialect: str,
    path: str,
    entities: dict[str, KnownEntity],
    style: JsStyle,
) -> str:
    """The text of the entity file for `table` (as it stands in `schema`, the plan's after)."""
    writer = _Writer(style)
    relations = {
        fk.columns[0]: fk
        for fk in table.foreign_keys
        if len(fk.columns) == 1 and fk.ref_table in entities
    }
    props = {c.name: _property(c.name, relations) for c in table.columns}
    members = [
        _member(writer, table, column, schema, dialect, props[column.name], relations, entities)
        for column in table.columns
    ]
    head = [f"@Entity({js_string(table.name)})"]
    for index in table.indexes:
        options = []
        if index.unique:
            options.append(("unique", "true"))
        if index.where:
            options.append(("where", js_string(index.where)))
        fields = "[" + ", ".join(js_string(props.get(c, c)) for c in index.columns) + "]"
        head.append(writer.call("Index", [js_string(index.name), fields], options, ""))
    for unique in table.uniques:
        fields = "[" + ", ".join(js_string(props.get(c, c)) for c in unique.columns) + "]"
        name = [js_string(unique.name)] if unique.name else []
        head.append(writer.call("Unique", [*name, fields], [], ""))
    for check in table.checks:
        name = [js_string(check.name)] if check.name else []
        head.append(writer.call("Check", [*name, js_string(check.expression)], [], ""))
    imports = _imports(writer.used, relations, entities, path, style)
    cls = class_name_for(table.name)
    body = "\n\n".join(members)
    text = f"{imports}\n\n" + "\n".join(head) + f"\nexport class {cls} {{\n{body}\n}}\n"
    return _requote(text, style)


def _requote(text: str, style: JsStyle) -> str:
    """The repo's quotes: the literals above are written double-quoted (as TypeORM's docs
    write them); plain ones are re-quoted the way prettier would for `singleQuote`."""
    if style.quote == '"':
        return text
    return re.sub(r'"([^"\\\n]*)"', lambda m: quote(m[1], style), text)


def _property(column: str, relations: dict[str, ForeignKey]) -> str:
    from .typeorm_entities import camel_case

    if column in relations and column.endswith("_id") and len(column) > 3:
        return camel_case(column[:-3])  # `deal_id` -> the relation `deal`
    return camel_case(column)


def _member(
    writer: _Writer,
    table: Table,
    column: Column,
    schema: Schema,
    dialect: str,
    prop: str,
    relations: dict[str, ForeignKey],
    entities: dict[str, KnownEntity],
) -> str:
    indent = writer.style.indent
    end = writer.style.end
    fk = relations.get(column.name)
    if fk is not None:
        return _relation(writer, column, fk, prop, entities[fk.ref_table])
    options = column_options(column, schema, dialect)
    if prop != column.name:
        options.insert(0, ("name", js_string(column.name)))
    lines: list[str] = []
    single_key = table.primary_key == (column.name,)
    if single_key and identity_of(column):
        decorator = _generated(writer, column, options, prop)
    elif column.name in table.primary_key:
        options = [o for o in options if o[0] not in ("nullable", "generated")]
        decorator = writer.call("PrimaryColumn", [], options, indent)
    else:
        decorator = writer.call("Column", [], options, indent)
    for other in table.foreign_keys:
        if column.name in other.columns and other is not fk:
            lines.append(
                f"{indent}// references {other.ref_table}({', '.join(other.ref_columns)}) "
                "(no entity class for it, so no relation)"
            )
    lines += [f"{indent}{decorator}", f"{indent}{prop}: {ts_type(column, schema)}{end}"]
    return "\n".join(lines)


def _generated(writer: _Writer, column: Column, options: list[tuple[str, str]], prop: str) -> str:
    """`@PrimaryGeneratedColumn()`: an int key numbered by the database; bigint says so."""
    kept = [(k, v) for k, v in options if k == "name"]
    if canonical_type(column.type).startswith("bigint"):
        kept.append(("type", js_string("bigint")))
    return writer.call("PrimaryGeneratedColumn", [], kept, writer.style.indent)


def _relation(
    writer: _Writer, column: Column, fk: ForeignKey, prop: str, target: KnownEntity
) -> str:
    indent, end = writer.style.indent, writer.style.end
    options: list[tuple[str, str]] = []
    if fk.on_delete and fk.on_delete.lower() in _ON_DELETE:
        options.append(("onDelete", js_string(fk.on_delete.upper())))
    if fk.on_update and fk.on_update.lower() in _ON_DELETE:
        options.append(("onUpdate", js_string(fk.on_update.upper())))
    if not column.nullable:
        options.append(("nullable", "false"))
    cls = target.class_name
    many = writer.call("ManyToOne", [f"() => {cls}"], options, indent)
    join = [("name", js_string(column.name))]
    if fk.ref_columns != ("id",):
        from .typeorm_entities import camel_case

        join.append(("referencedColumnName", js_string(camel_case(fk.ref_columns[0]))))
    if fk.name:
        join.append(("foreignKeyConstraintName", js_string(fk.name)))
    joined = writer.call("JoinColumn", [], join, indent)
    kind = f"{cls} | null" if column.nullable else cls
    return f"{indent}{many}\n{indent}{joined}\n{indent}{prop}: {kind}{end}"


class _Writer:
    """Decorator calls printed as prettier prints them, remembering which were used."""

    def __init__(self, style: JsStyle) -> None:
        self.style = style
        self.used: set[str] = {"Entity"}

    def call(self, name: str, args: list[str], options: list[tuple[str, str]], indent: str) -> str:
        self.used.add(name)
        obj = ["{ " + ", ".join(f"{k}: {v}" for k, v in options) + " }"] if options else []
        flat = f"@{name}({', '.join([*args, *obj])})"
        if len(indent.replace("\t", "    ")) + len(flat) <= self.style.width:
            return flat
        unit = self.style.indent
        comma = "," if self.style.trailing_comma else ""
        if options:  # prettier hugs a last object argument: `@X(a, {` ... `})`
            inner = ",\n".join(f"{indent}{unit}{k}: {v}" for k, v in options)
            lead = "".join(f"{a}, " for a in args)
            return f"@{name}({lead}{{\n{inner}{comma}\n{indent}}})"
        inner = ",\n".join(f"{indent}{unit}{a}" for a in args)
        return f"@{name}(\n{inner}{comma}\n{indent})"


def _imports(
    used: set[str],
    relations: dict[str, ForeignKey],
    entities: dict[str, KnownEntity],
    path: str,
    style: JsStyle,
) -> str:
    end = style.end
    names = sorted(used)
    flat = "import { " + ", ".join(names) + ' } from "typeorm"' + end
    if len(flat) > style.width:
        comma = "," if style.trailing_comma else ""
        inner = ",\n".join(f"{style.indent}{n}" for n in names)
        flat = "import {\n" + inner + comma + '\n} from "typeorm"' + end
    lines = [flat]
    targets = sorted({entities[fk.ref_table].path for fk in relations.values()})
    for target in targets:
        if target == path:
            continue  # a self-reference needs no import
        cls = next(e.class_name for e in entities.values() if e.path == target)
        lines.append(f"import {{ {cls} }} from {js_string(_relative(path, target))}{end}")
    return "\n".join(lines)


def _relative(source: str, target: str) -> str:
    spec = posixpath.relpath(_stem(target), posixpath.dirname(source))
    return spec if spec.startswith(".") else f"./{spec}"


def _stem(path: str) -> str:
    return path.rsplit(".", 1)[0] if path.endswith((".ts", ".js")) else path


# ---------------------------------------------------------------------------------------------
# The data source's `entities: [A, B]` list
# ---------------------------------------------------------------------------------------------


def register(repo: RepoFacts, source_path: str, added: list[KnownEntity]) -> File | None:
    """The data source with the new classes imported and listed, when it lists classes."""
    if not source_path or source_path not in repo.files or not added:
        return None
    source = repo.read(source_path)
    mod = JsModule(source)
    listing = _entities_array(mod)
    if listing is None:
        return None
    opening, closing = listing
    items = [mod.tokens[k] for k in range(opening + 1, closing) if mod.tokens[k].kind == "name"]
    names = [t.text for t in items]
    if not items or any(mod.tokens[k].kind == "string" for k in range(opening + 1, closing)):
        return None  # globs or paths: a file in the folder is found already
    edits: list[tuple[int, int, str]] = []
    new = [e for e in added if e.class_name not in names]
    last = items[-1]
    multiline = "\n" in source[mod.tokens[opening].end : last.start]
    if multiline:
        line_start = source.rfind("\n", 0, last.start) + 1
        pad = source[line_start : last.start]
        text = "".join(f",\n{pad}{e.class_name}" for e in new)
    else:
        text = "".join(f", {e.class_name}" for e in new)
    edits.append((last.end, last.end, text))
    style = style_for(repo, [source_path])
    lines = "".join(
        f"\nimport {{ {e.class_name} }} from {quote(_relative(source_path, e.path), style)}"
        f"{style.end}"
        for e in new
    )
    edits.append((_after_last_import(mod), _after_last_import(mod), lines))
    for start, stop, replacement in sorted(edits, reverse=True):
        source = source[:start] + replacement + source[stop:]
    return File(source_path, source, kind="model", existing=True)


def _entities_array(mod: JsModule) -> tuple[int, int] | None:
    for k, tok in enumerate(mod.tokens):
        if tok.text == "entities" and mod.is_at(k + 1, ":") and mod.is_at(k + 2, "["):
            return k + 2, mod.match[k + 2]
    return None


def _after_last_import(mod: JsModule) -> int:
    last = 0
    for k, tok in enumerate(mod.tokens):
        if tok.kind == "name" and tok.text == "import" and mod.depth[k] == 0:
            stop = mod.skip_to(k, {";"}, 0)
            spec = mod.skip_to(k, {"from"}, 0) + 1
            end_tok = stop if stop < len(mod.tokens) and stop <= spec + 1 else spec
            last = mod.tokens[min(end_tok, len(mod.tokens) - 1)].end
    return last
