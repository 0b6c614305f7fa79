"""libcst editing of SQLAlchemy models modules: finding classes and columns, spelling them.

alembic_models.py says *what* each operation changes in a models module; this module says
*how*: the Editor holding the module, how a column attribute, a constraint or an index entry
of `__table_args__` is found and written (`Mapped[...] = mapped_column(...)` for SQLAlchemy 2
classes, `Column(...)` for classic ones), and how names relate to the metadata's naming
convention, so that `index=True` / `unique=True` are used exactly where the convention gives
the planned name.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import libcst as cst

from ..dialects import Dialect
from ..errors import ConfigError
from ..schema import (
    Column,
    ForeignKey,
    Index,
    Schema,
    Table,
    canonical_type,
    is_identifier,
)
from .alembic_sa import Spelling, sa_type, server_default
from .pycode import Call, Code, Seq, as_code, call, edit_imports, flat, lines, py, source_of

_PY_TYPES = {
    "integer": "int",
    "bigint": "int",
    "smallint": "int",
    "boolean": "bool",
    "double": "float",
    "real": "float",
    "numeric": "decimal.Decimal",
    "varchar": "str",
    "char": "str",
    "text": "str",
    "timestamp": "datetime.datetime",
    "timestamptz": "datetime.datetime",
    "date": "datetime.date",
    "time": "datetime.time",
    "timetz": "datetime.time",
    "json": "dict",
    "jsonb": "dict",
    "uuid": "uuid.UUID",
    "blob": "bytes",
    "interval": "datetime.timedelta",
}


_COLUMN_CALLS = ("mapped_column", "Column", "sa.Column", "sqlalchemy.Column")


def naming_conventions(source: str) -> dict[str, str]:
    """The `naming_convention` given to MetaData in the module (a literal or a module name)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    assigned = {
        t.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg != "naming_convention":
                continue
            value = assigned.get(kw.value.id) if isinstance(kw.value, ast.Name) else kw.value
            try:
                literal = ast.literal_eval(value) if value is not None else None
            except ValueError:
                return {}
            if isinstance(literal, dict):
                return {str(k): str(v) for k, v in literal.items()}
    return {}


def convention_name(template: str, table: str, columns: tuple[str, ...], ref: str = "") -> str:
    tokens = {
        "table_name": table,
        "column_0_name": columns[0] if columns else "",
        "column_0_label": f"{table}_{columns[0]}" if columns else table,
        "column_0N_name": "".join(columns),
        "column_0_N_name": "_".join(columns),
        "referred_table_name": ref,
        "constraint_name": "",
    }
    try:
        return template % tokens
    except (KeyError, ValueError, TypeError):
        return ""


# ---------------------------------------------------------------------------------------------
# The editor
# ---------------------------------------------------------------------------------------------


@dataclass
class Editor:
    module: cst.Module
    dialect: Dialect
    width: int
    conventions: dict[str, str]
    spell: Spelling = field(default_factory=lambda: Spelling(prefix=""))
    modules: set[str] = field(default_factory=set)
    extra: list[tuple[str, str]] = field(default_factory=list)

    # -- finding ------------------------------------------------------------------------------
    def cls(self, table: str) -> cst.ClassDef:
        for node in self.module.body:
            if isinstance(node, cst.ClassDef) and tablename(node) == table:
                return node
        raise ConfigError(
            f"no model class with __tablename__ = {table!r} in the models module",
            "add the model by hand, or update the models after the migration",
        )

    def has_cls(self, table: str) -> bool:
        return any(isinstance(n, cst.ClassDef) and tablename(n) == table for n in self.module.body)

    def replace(self, old: cst.ClassDef, new: cst.ClassDef | None) -> None:
        body = [new if n is old else n for n in self.module.body if not (n is old and new is None)]
        self.module = self.module.with_changes(body=[b for b in body if b is not None])

    def statement(self, code: Code, prefix: str = "") -> cst.BaseStatement:
        text = "\n".join(line[4:] for line in lines(code, 4, self.width, prefix))
        return cst.parse_statement(text + "\n")

    # -- spelling -----------------------------------------------------------------------------
    def type_code(self, column: Column, schema: Schema) -> Code:
        spelled = sa_type(column.type, self.dialect, schema, self.spell, column)
        if spelled is None:
            raise ConfigError(
                f"no SQLAlchemy type for {column.type} on {self.dialect.label}",
                "update the models by hand for this column",
            )
        return strip_empty_call(spelled)

    def annotation(self, column: Column) -> str:
        base = canonical_type(column.type).split("(")[0].removesuffix("[]")
        py_type = _PY_TYPES.get(base, "str")
        if "." in py_type:
            self.modules.add(py_type.split(".")[0])
        return f"Mapped[{py_type}{' | None' if column.nullable else ''}]"

    def default_code(self, column: Column, schema: Schema) -> Code | None:

        code = server_default(column, self.dialect, schema, self.spell)
        if isinstance(code, str) or code is None:
            return code
        if flat(code) in ('text("now()")', 'text("CURRENT_TIMESTAMP")'):
            self.spell.names.discard("text")
            return call(f"{self.spell.sa('func')}.now")
        return code

    def finish(self, original: str) -> str:
        """The edited module with its imports brought in line with what it now uses."""
        add: dict[str, set[str]] = {}
        for name in self.spell.names:
            add.setdefault("sqlalchemy", set()).add(name)
        for module, name in self.extra:
            add.setdefault(module, set()).add(name)
        if self.spell.imports:
            add.setdefault("sqlalchemy.dialects", set()).add("postgresql")
        text = self.module.code
        gone = _used_names(original) - _used_names(text)
        remove: dict[str, set[str]] = {}
        for name in gone:
            for module, imported in _imported(original).get(name, ()):
                if imported is not None:
                    remove.setdefault(module, set()).add(imported)
        return edit_imports(text, add, remove, self.modules, self.width)


def tablename(node: cst.ClassDef) -> str | None:
    for stmt in class_body(node):
        for small in getattr(stmt, "body", ()):
            if isinstance(small, cst.Assign | cst.AnnAssign):
                target = small.targets[0].target if isinstance(small, cst.Assign) else small.target
                value = small.value
                if (
                    isinstance(target, cst.Name)
                    and target.value == "__tablename__"
                    and isinstance(value, cst.SimpleString)
                ):
                    return str(value.evaluated_value)
    return None


def strip_empty_call(code: Code) -> Code:
    """`String(32)`-style positional spelling for models: `Integer()` -> `Integer`."""
    if not isinstance(code, Call):
        return code
    if not code.args and not code.kwargs and "(" not in code.func:
        return code.func
    args = tuple(v for k, v in code.kwargs if k in ("length", "precision", "scale"))
    if args and len(args) == len(code.kwargs):
        return call(code.func, *code.args, *args)
    return code


def class_body(node: cst.ClassDef) -> list[cst.BaseStatement]:
    body = node.body
    return list(body.body) if isinstance(body, cst.IndentedBlock) else []


def _used_names(source: str) -> set[str]:
    tree = ast.parse(source)
    return {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store)
    }


def _imported(source: str) -> dict[str, list[tuple[str, str | None]]]:
    out: dict[str, list[tuple[str, str | None]]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                out.setdefault(alias.asname or alias.name, []).append((node.module, alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                out.setdefault(alias.asname or alias.name.split(".")[0], []).append(
                    (alias.name, None)
                )
    return out


# ---------------------------------------------------------------------------------------------
# Class bodies: column statements and __table_args__
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnStatement:
    """One column attribute of a model class: its statement, attribute and column names."""

    stmt: cst.SimpleStatementLine
    attr: str
    column: str
    call: cst.Call
    annotation: str | None


def column_statements(cls: cst.ClassDef) -> list[ColumnStatement]:
    out = []
    for stmt in class_body(cls):
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        small = stmt.body[0]
        if isinstance(small, cst.AnnAssign):
            target, value = small.target, small.value
            annotation = source_of(small.annotation.annotation)
        elif isinstance(small, cst.Assign) and len(small.targets) == 1:
            target, value, annotation = small.targets[0].target, small.value, None
        else:
            continue
        if not (isinstance(target, cst.Name) and isinstance(value, cst.Call)):
            continue
        if source_of(value.func) not in _COLUMN_CALLS:
            continue
        first = value.args[0].value if value.args and value.args[0].keyword is None else None
        name = first.evaluated_value if isinstance(first, cst.SimpleString) else target.value
        out.append(ColumnStatement(stmt, target.value, str(name), value, annotation))
    return out


def find_column(cls: cst.ClassDef, column: str) -> ColumnStatement:
    for found in column_statements(cls):
        if found.column == column:
            return found
    raise ConfigError(
        f"model {cls.name.value} has no attribute for column {column}",
        "update the models by hand for this change",
    )


def replace_stmt(
    cls: cst.ClassDef, old: cst.BaseStatement, new: list[cst.BaseStatement]
) -> cst.ClassDef:
    body: list[cst.BaseStatement] = []
    for stmt in class_body(cls):
        body += new if stmt is old else [stmt]
    return cls.with_changes(body=cls.body.with_changes(body=body))


def insert_after(
    cls: cst.ClassDef, anchor: cst.BaseStatement | None, new: cst.BaseStatement
) -> cst.ClassDef:
    body = class_body(cls)
    index = body.index(anchor) + 1 if anchor is not None else len(body)
    return cls.with_changes(body=cls.body.with_changes(body=[*body[:index], new, *body[index:]]))


def table_args(cls: cst.ClassDef) -> tuple[cst.SimpleStatementLine | None, list[Code]]:
    for stmt in class_body(cls):
        if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign):
            assign = stmt.body[0]
            target = assign.targets[0].target
            if isinstance(target, cst.Name) and target.value == "__table_args__":
                value = as_code(assign.value)
                items: list[Code] = list(value.items) if isinstance(value, Seq) else [value]
                return stmt, items
    return None, []


def set_table_args(ed: Editor, cls: cst.ClassDef, items: list[Code]) -> cst.ClassDef:
    stmt, _ = table_args(cls)
    new = ed.statement(Seq(tuple(items), "tuple"), "__table_args__ = ") if items else None
    if stmt is not None:
        return replace_stmt(cls, stmt, [new] if new is not None else [])
    if new is None:
        return cls
    anchor = next(
        (s for s in class_body(cls) if "__tablename__" in cst.Module(body=[]).code_for_node(s)),
        None,
    )
    return insert_after(cls, anchor, new)


def entry_name(item: Code) -> str | None:
    """The name of an Index(...) (first argument) or a constraint (name=...) entry."""
    if not isinstance(item, Call):
        return None
    name = dict(item.kwargs).get("name")
    if item.func.endswith("Index") and item.args:
        name = item.args[0]
    if isinstance(name, str) and name[:1] in "\"'":
        return ast.literal_eval(name)
    if isinstance(name, str) and name.startswith("conv("):
        return ast.literal_eval(name[5:-1])
    return None


# ---------------------------------------------------------------------------------------------
# Spelling columns and constraints
# ---------------------------------------------------------------------------------------------


def column_code(
    ed: Editor, col: Column, table: Table, schema: Schema, mapped: bool = True
) -> tuple[str, Code]:
    """(`name: Mapped[...] = ` prefix, `mapped_column(...)`) for one column of `table`."""
    args: list[Code] = [ed.type_code(col, schema)]
    if col.identity and ed.dialect.name == "postgresql":
        args.append(call(ed.spell.sa("Identity")))
    for fk in table.foreign_keys:
        if fk.columns == (col.name,):
            args.append(foreign_key_code(ed, fk, table))
    kwargs: dict[str, Code] = {}
    if col.name in table.primary_key:
        kwargs["primary_key"] = "True"
    if (
        table.primary_key == (col.name,)
        and not col.identity
        and canonical_type(col.type)
        in (
            "integer",
            "bigint",
            "smallint",
        )
    ):
        kwargs["autoincrement"] = "False"
    for index in table.indexes:
        if index_flag(ed, index, table.name) == col.name:
            kwargs["index"] = "True"
    for unique in table.uniques:
        if unique.columns == (col.name,) and unique.name == conventional(
            ed, "uq", table.name, unique.columns
        ):
            kwargs["unique"] = "True"
    default = ed.default_code(col, schema)
    if default is not None:
        kwargs["server_default"] = default
    if not mapped:
        kwargs["nullable"] = "True" if col.nullable else "False"
    if col.comment:
        kwargs["comment"] = py(col.comment)
    attr = col.name if col.name.isidentifier() else None
    if attr is None:
        args.insert(0, py(col.name))
        attr = re.sub(r"\W", "_", col.name)
    func = "mapped_column" if mapped else ed.spell.sa("Column")
    if mapped:
        ed.extra.append(("sqlalchemy.orm", "mapped_column"))
        ed.extra.append(("sqlalchemy.orm", "Mapped"))
        prefix = f"{attr}: {ed.annotation(col)} = "
    else:
        prefix = f"{attr} = "
    return prefix, call(func, *args, **kwargs)


def conventional(
    ed: Editor, kind: str, table: str, cols: tuple[str, ...], ref: str = ""
) -> str | None:
    template = ed.conventions.get(kind)
    return convention_name(template, table, cols, ref) if template else None


def index_flag(ed: Editor, index: Index, table: str) -> str | None:
    """The column an index can be written on as `index=True` (the convention names it)."""
    plain = len(index.columns) == 1 and is_identifier(index.columns[0])
    if not plain or index.unique or index.where or index.using:
        return None
    if index.name != conventional(ed, "ix", table, index.columns):
        return None
    return index.columns[0]


def name_kwargs(
    ed: Editor, kind: str, name: str | None, table: str, cols: tuple[str, ...], ref: str = ""
) -> dict[str, Code]:
    """`name=` for a constraint: left out when the convention gives it, the convention's
    %(constraint_name)s part when there is one, else `conv()` (taken as final)."""
    if name is None:
        return {}
    template = ed.conventions.get(kind)
    if not template:
        return {"name": py(name)}
    if "%(constraint_name)s" not in template:
        return {} if convention_name(template, table, cols, ref) == name else {"name": py(name)}
    parts = template.split("%(constraint_name)s")
    pattern = "(.+)".join(re.escape(convention_name(p, table, cols, ref)) for p in parts)
    match = re.fullmatch(pattern, name)
    if match:
        return {"name": py(match.group(1))}
    ed.extra.append(("sqlalchemy.sql.naming", "conv"))
    return {"name": call("conv", py(name))}


def foreign_key_code(ed: Editor, fk: ForeignKey, table: Table) -> Code:
    if len(fk.columns) == 1:
        func, args = ed.spell.sa("ForeignKey"), [py(f"{fk.ref_table}.{fk.ref_columns[0]}")]
    else:
        refs = [f"{fk.ref_table}.{c}" for c in fk.ref_columns]
        func, args = ed.spell.sa("ForeignKeyConstraint"), [py(list(fk.columns)), py(refs)]
    kwargs = name_kwargs(ed, "fk", fk.name, table.name, fk.columns, fk.ref_table)
    if fk.on_delete:
        kwargs["ondelete"] = py(fk.on_delete)
    if fk.on_update:
        kwargs["onupdate"] = py(fk.on_update)
    return call(func, *args, **kwargs)


def index_entry(ed: Editor, index: Index, table: str, schema: Schema) -> Code:
    cols = [
        py(c)
        if is_identifier(c)
        else call(ed.spell.sa("text"), py(ed.dialect.expression(c, schema)))
        for c in index.columns
    ]
    kwargs: dict[str, Code] = {}
    if index.unique:
        kwargs["unique"] = "True"
    if index.where and ed.dialect.name in ("postgresql", "sqlite"):
        where = ed.dialect.expression(index.where, schema)
        kwargs[f"{ed.dialect.name}_where"] = call(ed.spell.sa("text"), py(where))
    if index.using and ed.dialect.name == "postgresql":
        kwargs["postgresql_using"] = py(index.using)
    return call(ed.spell.sa("Index"), py(index.name), *cols, **kwargs)


def table_entries(ed: Editor, table: Table, schema: Schema) -> list[Code]:
    """What a new table's class needs in __table_args__ (what columns cannot say)."""
    entries: list[Code] = []
    for fk in table.foreign_keys:
        if len(fk.columns) > 1:
            entries.append(foreign_key_code(ed, fk, table))
    for u in table.uniques:
        if not (len(u.columns) == 1 and u.name == conventional(ed, "uq", table.name, u.columns)):
            kwargs = name_kwargs(ed, "uq", u.name, table.name, u.columns)
            entries.append(call(ed.spell.sa("UniqueConstraint"), *map(py, u.columns), **kwargs))
    for ck in table.checks:
        kwargs = name_kwargs(ed, "ck", ck.name, table.name, ())
        expression = py(ed.dialect.expression(ck.expression, schema))
        entries.append(call(ed.spell.sa("CheckConstraint"), expression, **kwargs))
    for index in table.indexes:
        if index_flag(ed, index, table.name) is None:
            entries.append(index_entry(ed, index, table.name, schema))
    return entries


# ---------------------------------------------------------------------------------------------
# One handler per operation
# ---------------------------------------------------------------------------------------------
