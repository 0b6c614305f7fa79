"""Python models and the tables they map to, read with `ast` (the code is never imported).

Django models (`class Order(models.Model)`: table `Meta.db_table` or `<app_label>_<model>`,
columns from fields, `db_column` and ForeignKey's `_id`), SQLAlchemy declarative classes
(`__tablename__`, `Column` / `mapped_column` with an explicit column name or the attribute's),
Flask-SQLAlchemy's `db.Model` (snake_case class name by default) and SQLAlchemy Core
`Table("orders", metadata, Column("total", ...))` objects. Abstract Django bases and
SQLAlchemy mixins lend their fields to the classes that inherit them.
"""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass, field

from .references_types import CodeModel, snake_case

_DJANGO_BASES = {"models.Model", "Model", "django.db.models.Model"}
_DJANGO_RELATIONS = {"ForeignKey", "OneToOneField"}
_DJANGO_MANY = {"ManyToManyField", "GenericRelation", "GenericForeignKey"}
_SA_COLUMNS = {"Column", "mapped_column", "column_property"}
_SA_RELATIONS = {"relationship", "relation"}
_SA_TABLE = {"Table"}


def dotted(node: ast.AST) -> str:
    """`models.ForeignKey` for an attribute chain, `""` for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def last_name(node: ast.AST) -> str:
    """The last part of a dotted name (`sa.Column` -> `Column`), `""` when it is not one."""
    if isinstance(node, ast.Call):
        return last_name(node.func)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def string_value(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


@dataclass
class _ClassInfo:
    path: str
    node: ast.ClassDef
    bases: list[str]
    meta: dict[str, ast.expr] = field(default_factory=dict)
    tablename: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    field_pos: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    relations: dict[str, str] = field(default_factory=dict)
    flavour: str = ""


def discover_models(trees: dict[str, ast.Module]) -> list[CodeModel]:
    """Every model and Core table defined in the given modules (path -> parsed module)."""
    classes: dict[str, list[_ClassInfo]] = {}
    models: list[CodeModel] = []
    for path, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                info = _read_class(path, node)
                classes.setdefault(node.name, []).append(info)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                core = _core_table(path, node)
                if core is not None:
                    models.append(core)
    flavours = _flavours(classes)
    for name, infos in classes.items():
        for info in infos:
            flavour = flavours.get(name)
            if flavour is None:
                continue
            model = _model_of(info, flavour, classes)
            if model is not None:
                models.append(model)
    return models


def _read_class(path: str, node: ast.ClassDef) -> _ClassInfo:
    info = _ClassInfo(path, node, [dotted(b) for b in node.bases])
    for stmt in node.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            for item in stmt.body:
                if isinstance(item, ast.Assign) and isinstance(item.targets[0], ast.Name):
                    info.meta[item.targets[0].id] = item.value
            continue
        target, value = _assignment(stmt)
        if target is None or value is None:
            continue
        if target.id == "__tablename__":
            info.tablename = string_value(value)
            continue
        if isinstance(value, ast.Call):
            _read_field(info, path, target, value)
    return info


def _assignment(stmt: ast.stmt) -> tuple[ast.Name | None, ast.expr | None]:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        return (target if isinstance(target, ast.Name) else None), stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target, stmt.value
    return None, None


def _read_field(info: _ClassInfo, path: str, target: ast.Name, call: ast.Call) -> None:
    kind = last_name(call.func)
    attr = target.id
    pos = (path, target.lineno, target.col_offset)
    if kind in _SA_COLUMNS:
        inner = call.args[0] if kind == "column_property" and call.args else call
        column = attr
        if isinstance(inner, ast.Call):
            named = string_value(inner.args[0]) if inner.args else None
            column = named or string_value(_keyword(inner, "name")) or attr
        info.fields[attr] = column
        info.field_pos[attr] = pos
        info.flavour = info.flavour or "sqlalchemy"
    elif kind in _SA_RELATIONS:
        ref = call.args[0] if call.args else None
        info.relations[attr] = _class_ref(ref, info.node.name)
    elif kind in _DJANGO_RELATIONS:
        column = string_value(_keyword(call, "db_column")) or f"{attr}_id"
        info.fields[attr] = column
        info.fields[f"{attr}_id"] = column
        info.field_pos[attr] = pos
        to = call.args[0] if call.args else _keyword(call, "to")
        info.relations[attr] = _class_ref(to, info.node.name)
        info.flavour = info.flavour or "django"
    elif kind in _DJANGO_MANY:
        to = call.args[0] if call.args else _keyword(call, "to")
        info.relations[attr] = _class_ref(to, info.node.name)
    elif (kind.endswith("Field") and dotted(call.func).startswith(("models.", "fields."))) or (
        kind.endswith("Field") and isinstance(call.func, ast.Name)
    ):
        info.fields[attr] = string_value(_keyword(call, "db_column")) or attr
        info.field_pos[attr] = pos
        info.flavour = info.flavour or "django"


def _class_ref(node: ast.AST | None, own: str) -> str:
    """The class a relation points at: `Customer`, `"Customer"`, `"shop.Customer"`, "self"."""
    text = string_value(node) if node is not None else None
    if text is None and node is not None:
        text = last_name(node)
        if isinstance(node, ast.Lambda):
            text = last_name(node.body)
    if not text:
        return ""
    if text == "self":
        return own
    return text.rpartition(".")[2]


def _flavours(classes: dict[str, list[_ClassInfo]]) -> dict[str, str]:
    """Class name -> "django" / "sqlalchemy" / "flask" for every model or model base."""
    flavours: dict[str, str] = {}
    for name, infos in classes.items():
        for info in infos:
            if any(b in _DJANGO_BASES for b in info.bases):
                flavours[name] = "django"
            elif info.tablename is not None:
                flavours[name] = "sqlalchemy"
            elif any(b.endswith("db.Model") for b in info.bases):
                flavours[name] = "flask"
    changed = True
    while changed:  # classes that inherit from a model or an abstract base are models too
        changed = False
        for name, infos in classes.items():
            if name in flavours:
                continue
            for info in infos:
                inherited = next(
                    (
                        flavours[b.rpartition(".")[2]]
                        for b in info.bases
                        if b.rpartition(".")[2] in flavours
                    ),
                    None,
                )
                if inherited is not None:
                    flavours[name] = inherited
                    changed = True
    return flavours


def _inherited(info: _ClassInfo, classes: dict[str, list[_ClassInfo]], seen: set[str]) -> None:
    """Fields of bases (abstract Django models, SQLAlchemy mixins) that this class exposes."""
    for base in info.bases:
        name = base.rpartition(".")[2]
        if name in seen or name not in classes:
            continue
        seen.add(name)
        parent = classes[name][0]
        _inherited(parent, classes, seen)
        for attr, column in parent.fields.items():
            info.fields.setdefault(attr, column)
        for attr, pos in parent.field_pos.items():
            info.field_pos.setdefault(attr, pos)
        for attr, ref in parent.relations.items():
            info.relations.setdefault(attr, ref)


def _model_of(
    info: _ClassInfo, flavour: str, classes: dict[str, list[_ClassInfo]]
) -> CodeModel | None:
    node = info.node
    _inherited(info, classes, {node.name})
    if flavour == "django":
        if _meta_true(info, "abstract"):
            return None
        table = string_value(info.meta.get("db_table")) or _django_table(info)
    elif flavour == "sqlalchemy":
        if info.tablename is None:
            return None  # a mixin or the declarative base
        table = info.tablename
    else:
        table = info.tablename or snake_case(node.name)
    return CodeModel(
        name=node.name,
        table=table,
        kind=flavour,
        path=info.path,
        line=node.lineno,
        col=node.col_offset,
        fields=dict(info.fields),
        field_pos=dict(info.field_pos),
        relations=dict(info.relations),
    )


def _meta_true(info: _ClassInfo, key: str) -> bool:
    value = info.meta.get(key)
    return isinstance(value, ast.Constant) and value.value is True


def django_app_label(path: str) -> str:
    """The app a models module belongs to: `orders/models.py` and `orders/models/x.py` ->
    `orders` (Django's default app label is the last part of the app's module path)."""
    folder = posixpath.dirname(path)
    if posixpath.basename(folder) == "models":
        folder = posixpath.dirname(folder)
    return posixpath.basename(folder)


def _django_table(info: _ClassInfo) -> str:
    label = string_value(info.meta.get("app_label")) or django_app_label(info.path)
    return f"{label}_{info.node.name.lower()}" if label else info.node.name.lower()


def _core_table(path: str, node: ast.Assign | ast.AnnAssign) -> CodeModel | None:
    target = node.targets[0] if isinstance(node, ast.Assign) else node.target
    value = node.value
    if not (isinstance(target, ast.Name) and isinstance(value, ast.Call)):
        return None
    if last_name(value.func) not in _SA_TABLE or not value.args:
        return None
    table = string_value(value.args[0])
    if table is None:
        return None
    model = CodeModel(target.id, table, "core", path, target.lineno, target.col_offset)
    for arg in value.args[1:]:
        if isinstance(arg, ast.Call) and last_name(arg.func) == "Column" and arg.args:
            column = string_value(arg.args[0])
            if column:
                model.fields[column] = column
                model.field_pos[column] = (path, arg.args[0].lineno, arg.args[0].col_offset)
    return model
